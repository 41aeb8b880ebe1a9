"""Segment your own images, folders of images and videos with a trained model.

    python tools/infer.py configs/toy/uvpt_mit-tiny.py \
        work_dirs/toy_demo/uvpt/latest.pth my_photos/ dashcam.mp4 \
        --out work_dirs/infer [--raw] [--amp bf16] [--scale 0.5]

Writes colour-coded predictions (``color/``), overlays (``overlay/``), with ``--raw``
the train ids (``labels/``), and an overlay video per video (``video/``). An input
that cannot be read is skipped with a warning and the run exits with status 1
(``--strict``: stop at the first, status 2). See
:mod:`mmseg_uvpt.user_tools.infer_files`. ``main(argv)`` returns the summary of
:func:`mmseg_uvpt.user_tools.infer_files.run_infer`.
"""
import sys

from mmseg_uvpt.user_tools.infer_files import infer_main
from mmseg_uvpt.utils.cli_errors import run_script


def main(argv=None):
    return infer_main(argv)


if __name__ == '__main__':
    sys.exit(run_script(main, 'infer.py'))
