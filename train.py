"""Stage 3: adapt a source model with Uni-UVPT (mmseg 0.x ``tools/train.py`` CLI).

    python train.py configs/uvpt/X.py --source-checkpoint model/X.pth [--work-dir DIR]
    torchrun --nproc_per_node 4 train.py configs/uvpt/X.py --launcher pytorch

Builds the prompted segmentor, loads the source checkpoint (``--source-checkpoint``
or config key ``source_checkpoint``), wires the pseudo-label correction to the work
dir and trains with periodic evaluation, keeping the best checkpoint by mIoU.
``main(argv)`` returns the run summary of :func:`mmseg_uvpt.apis.run_training`.
"""
import sys

from mmseg_uvpt.apis import train_main
from mmseg_uvpt.utils.cli_errors import run_script


def main(argv=None):
    return train_main(argv)


if __name__ == '__main__':
    sys.exit(run_script(main, 'train.py'))
