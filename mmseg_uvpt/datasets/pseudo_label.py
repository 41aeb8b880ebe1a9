"""Cityscapes train images with pseudo-labels from a pseudo-label folder.

Pseudo-label layout (written by ``generate_pseudo_label.py``), mirroring the image
folder: for the image ``<img_dir>/<city>/<name>_leftImg8bit.png`` the folder ``D``
holds ``D/<city>/<name>_pseudoTrainIds.png`` (uint8 train ids), plus
``D/manifest.json``. Use :func:`pseudo_label_path` to name these files.
"""
import os.path as osp

from mmseg.datasets.builder import DATASETS
from .cityscapes import UVPTCityscapesDataset

IMG_SUFFIX = '_leftImg8bit.png'
PSEUDO_LABEL_SUFFIX = '_pseudoTrainIds.png'
MANIFEST_NAME = 'manifest.json'


def pseudo_label_path(pseudo_label_dir, img_filename, img_suffix=IMG_SUFFIX):
    """The path of one image's pseudo-label.

    Args:
        pseudo_label_dir (str): the pseudo-label folder ``D``.
        img_filename (str): the image path relative to the image folder, as in
            ``dataset.img_infos[i]['filename']`` (e.g. 'aachen/x_leftImg8bit.png').
        img_suffix (str): the image suffix replaced by the pseudo-label suffix.
    """
    if not img_filename.endswith(img_suffix):
        raise ValueError(
            f'image file name {img_filename!r} does not end with {img_suffix!r}')
    return osp.join(pseudo_label_dir, img_filename[:-len(img_suffix)]) + PSEUDO_LABEL_SUFFIX


@DATASETS.register_module()
class PseudoLabelCityscapesDataset(UVPTCityscapesDataset):
    """Cityscapes images (e.g. ``leftImg8bit/train``) trained on pseudo-labels.

    Every image must have its ``*_pseudoTrainIds.png`` in ``pseudo_label_dir``;
    otherwise construction fails naming the folder and the first missing file.

    Args:
        pseudo_label_dir (str): the pseudo-label folder, relative to the working
            directory (not to ``data_root``) or absolute.
        **kwargs: the arguments of :class:`UVPTCityscapesDataset` except
            ``ann_dir`` and ``seg_map_suffix``, which this class sets.
    """

    MISSING_LABEL_HINT = ('Does the pseudo-label folder belong to this image '
                          'folder? Generate it with generate_pseudo_label.py.')

    def __init__(self, pseudo_label_dir, **kwargs):
        for key in ('ann_dir', 'seg_map_suffix'):
            if key in kwargs:
                raise ValueError(
                    f'PseudoLabelCityscapesDataset sets {key} itself from '
                    f'pseudo_label_dir; remove {key}={kwargs[key]!r}')
        if not pseudo_label_dir:
            raise ValueError(
                'PseudoLabelCityscapesDataset: pseudo_label_dir is not set; '
                'generate pseudo-labels with generate_pseudo_label.py and set '
                'data.train.pseudo_label_dir to their folder')
        self.pseudo_label_dir = osp.abspath(pseudo_label_dir)
        super().__init__(
            ann_dir=self.pseudo_label_dir,
            seg_map_suffix=PSEUDO_LABEL_SUFFIX,
            **kwargs)
