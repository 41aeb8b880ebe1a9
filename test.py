"""Stage 4: evaluate a checkpoint (mmseg 0.x ``tools/test.py`` CLI).

    python test.py CONFIG CHECKPOINT --eval mIoU [--show-dir DIR] [--aug-test]
    torchrun --nproc_per_node 4 test.py CONFIG CHECKPOINT --eval mIoU --launcher pytorch

Prints the per-class table and the mIoU over all classes (plus mIoU16/mIoU13 where
the dataset config has ``eval_subsets``) and writes them as JSON (``--out`` or the
work dir). ``main(argv)`` returns :func:`mmseg_uvpt.apis.run_test`'s summary.
"""
import sys

from mmseg_uvpt.apis import evaluate_main
from mmseg_uvpt.utils.cli_errors import run_script


def main(argv=None):
    return evaluate_main(argv)


if __name__ == '__main__':
    sys.exit(run_script(main, 'test.py'))
