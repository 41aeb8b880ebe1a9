"""Source-domain datasets (GTA5, SYNTHIA), labelled with Cityscapes' 19 train ids."""
from mmseg.datasets import CityscapesDataset, CustomDataset
from mmseg.datasets.builder import DATASETS

from .validation import CheckedDatasetMixin


@DATASETS.register_module()
class GTADataset(CheckedDatasetMixin, CustomDataset):
    """GTA5 with labels converted by ``tools/convert_datasets/gta.py``.

    Layout: ``<data_root>/images/XXXXX.png`` and
    ``<data_root>/labels/XXXXX_labelTrainIds.png``. Images that the converter
    reported as problems (e.g. label/image size mismatch) are skipped.

    Args:
        img_dir (str): image folder, relative to ``data_root``. Default 'images'.
        ann_dir (str): label folder, relative to ``data_root``. Default 'labels'.
        img_suffix (str): Default '.png'.
        seg_map_suffix (str): Default '_labelTrainIds.png'.
        **kwargs: the other arguments of mmseg's ``CustomDataset``
            (``pipeline``, ``data_root``, ``split``, ``test_mode``, ...).
    """

    CLASSES = CityscapesDataset.CLASSES
    PALETTE = CityscapesDataset.PALETTE
    MISSING_LABEL_HINT = ('Run tools/convert_datasets/gta.py <data_root> to '
                          'write the *_labelTrainIds.png labels.')

    def __init__(self,
                 img_dir='images',
                 ann_dir='labels',
                 img_suffix='.png',
                 seg_map_suffix='_labelTrainIds.png',
                 **kwargs):
        super().__init__(
            img_dir=img_dir,
            ann_dir=ann_dir,
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            **kwargs)


@DATASETS.register_module()
class SynthiaDataset(CheckedDatasetMixin, CustomDataset):
    """SYNTHIA-RAND-CITYSCAPES with labels converted by
    ``tools/convert_datasets/synthia.py`` (16 of the 19 train ids occur).

    Layout: ``<data_root>/RGB/XXXXXXX.png`` and
    ``<data_root>/GT/LABELS/XXXXXXX_labelTrainIds.png``.

    Args:
        img_dir (str): image folder, relative to ``data_root``. Default 'RGB'.
        ann_dir (str): label folder, relative to ``data_root``.
            Default 'GT/LABELS'.
        img_suffix (str): Default '.png'.
        seg_map_suffix (str): Default '_labelTrainIds.png'.
        **kwargs: the other arguments of mmseg's ``CustomDataset``.
    """

    CLASSES = CityscapesDataset.CLASSES
    PALETTE = CityscapesDataset.PALETTE
    MISSING_LABEL_HINT = ('Run tools/convert_datasets/synthia.py <data_root> '
                          'to write the *_labelTrainIds.png labels.')

    def __init__(self,
                 img_dir='RGB',
                 ann_dir='GT/LABELS',
                 img_suffix='.png',
                 seg_map_suffix='_labelTrainIds.png',
                 **kwargs):
        super().__init__(
            img_dir=img_dir,
            ann_dir=ann_dir,
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            **kwargs)
