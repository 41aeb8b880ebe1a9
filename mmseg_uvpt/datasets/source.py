"""Source-domain datasets (GTA5, SYNTHIA), labelled with Cityscapes' 19 train ids."""
from mmseg.datasets import CityscapesDataset, CustomDataset
from mmseg.datasets.builder import DATASETS

from .validation import CheckedDatasetMixin


class CityscapesLabelledSource(CheckedDatasetMixin, CustomDataset):
    """A source set whose converted labels are Cityscapes train ids; subclasses name
    their default folders. Every default can be overridden by the config.

    Args:
        img_dir (str): image folder, relative to ``data_root``. Default ``IMG_DIR``.
        ann_dir (str): label folder, relative to ``data_root``. Default ``ANN_DIR``.
        img_suffix (str): Default '.png'.
        seg_map_suffix (str): Default '_labelTrainIds.png'.
        **kwargs: the other arguments of mmseg's ``CustomDataset``
            (``pipeline``, ``data_root``, ``split``, ``test_mode``, ...).
    """

    CLASSES = CityscapesDataset.CLASSES
    PALETTE = CityscapesDataset.PALETTE
    IMG_DIR = None
    ANN_DIR = None

    def __init__(self, **kwargs):
        kwargs.setdefault('img_dir', self.IMG_DIR)
        kwargs.setdefault('ann_dir', self.ANN_DIR)
        kwargs.setdefault('img_suffix', '.png')
        kwargs.setdefault('seg_map_suffix', '_labelTrainIds.png')
        super().__init__(**kwargs)


@DATASETS.register_module()
class GTADataset(CityscapesLabelledSource):
    """GTA5 with labels converted by ``tools/convert_datasets/gta.py``.

    Layout: ``<data_root>/images/XXXXX.png`` and
    ``<data_root>/labels/XXXXX_labelTrainIds.png``. Images that the converter
    reported as problems (e.g. label/image size mismatch) are skipped. Arguments as
    :class:`CityscapesLabelledSource`.
    """

    IMG_DIR = 'images'
    ANN_DIR = 'labels'
    MISSING_LABEL_HINT = ('Run tools/convert_datasets/gta.py <data_root> to '
                          'write the *_labelTrainIds.png labels.')


@DATASETS.register_module()
class SynthiaDataset(CityscapesLabelledSource):
    """SYNTHIA-RAND-CITYSCAPES with labels converted by
    ``tools/convert_datasets/synthia.py`` (16 of the 19 train ids occur).

    Layout: ``<data_root>/RGB/XXXXXXX.png`` and
    ``<data_root>/GT/LABELS/XXXXXXX_labelTrainIds.png``. Arguments as
    :class:`CityscapesLabelledSource`.
    """

    IMG_DIR = 'RGB'
    ANN_DIR = 'GT/LABELS'
    MISSING_LABEL_HINT = ('Run tools/convert_datasets/synthia.py <data_root> '
                          'to write the *_labelTrainIds.png labels.')
