"""Convert Cityscapes fine labels to train ids.

Reads DIR/gtFine/<split>/<city>/*_gtFine_labelIds.png, writes
*_gtFine_labelTrainIds.png beside each and DIR/sample_class_stats.json
(per-image class pixel counts and a report of unreadable files and size mismatches).

    python tools/convert_datasets/cityscapes.py data/cityscapes --nproc 8
"""
import sys

from mmseg_uvpt.datasets.conversion import (cityscapes_jobs, converter_main,
                                            read_cityscapes_ids)
from mmseg_uvpt.datasets.label_ids import cityscapes_id_to_train_id


def main(argv=None):
    return converter_main(argv, __doc__, cityscapes_jobs,
                          cityscapes_id_to_train_id(), read_cityscapes_ids)


if __name__ == '__main__':
    sys.exit(main())
