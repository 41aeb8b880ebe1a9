"""Convert GTA5 labels to Cityscapes train ids.

Reads DIR/labels/*.png (Cityscapes label ids), writes DIR/labels/*_labelTrainIds.png
and DIR/sample_class_stats.json (per-image class pixel counts and a report of
unreadable files and label/image size mismatches, which GTA5 has a few of).

    python tools/convert_datasets/gta.py data/gta --nproc 8
"""
import sys

from mmseg_uvpt.datasets.conversion import (converter_main, gta_jobs,
                                            read_cityscapes_ids)
from mmseg_uvpt.datasets.label_ids import cityscapes_id_to_train_id


def main(argv=None):
    return converter_main(argv, __doc__, gta_jobs, cityscapes_id_to_train_id(),
                          read_cityscapes_ids)


if __name__ == '__main__':
    sys.exit(main())
