"""Stage 1: train the source model (mmseg 0.x ``tools/train.py`` CLI).

    python pretrain.py configs/pretrain/X.py [--work-dir DIR] [--resume-from CKPT]
    torchrun --nproc_per_node 4 pretrain.py configs/pretrain/X.py --launcher pytorch

Trains whatever segmentor the config builds (EncoderDecoder + DAFormerHead, or
SourceGtASegmentor). ``main(argv)`` returns the run summary of
:func:`mmseg_uvpt.apis.run_training`.
"""
import sys

from mmseg_uvpt.apis import pretrain_main
from mmseg_uvpt.utils.cli_errors import run_script


def main(argv=None):
    return pretrain_main(argv)


if __name__ == '__main__':
    sys.exit(run_script(main, 'pretrain.py'))
