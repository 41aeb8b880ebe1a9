"""Convert SYNTHIA-RAND-CITYSCAPES labels to Cityscapes train ids.

Reads DIR/GT/LABELS/*.png (16-bit, SYNTHIA class id in the first channel), writes
DIR/GT/LABELS/*_labelTrainIds.png (16 classes; terrain, truck and train stay
unused) and DIR/sample_class_stats.json (per-image class pixel counts and a report
of unreadable files and label/image size mismatches).

    python tools/convert_datasets/synthia.py data/synthia --nproc 8
"""
import sys

from mmseg_uvpt.datasets.conversion import (converter_main, read_synthia_ids,
                                            synthia_jobs)
from mmseg_uvpt.datasets.label_ids import SYNTHIA_ID_TO_TRAIN_ID


def main(argv=None):
    return converter_main(argv, __doc__, synthia_jobs, SYNTHIA_ID_TO_TRAIN_ID,
                          read_synthia_ids)


if __name__ == '__main__':
    sys.exit(main())
