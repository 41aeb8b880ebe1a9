"""Target images trained on pseudo-labels from a pseudo-label folder, for any target
dataset class.

Pseudo-label layout (written by ``generate_pseudo_label.py``), mirroring the image
folder: for the image ``<img_dir>/<sub/folders>/<name><img_suffix>`` (e.g.
``leftImg8bit/train/aachen/x_leftImg8bit.png``, ACDC's
``rgb_anon/fog/train/GOPR0475/x_rgb_anon.png``, or ``my_images/day1/x.jpg``) the
folder ``D`` holds ``D/<sub/folders>/<name>_pseudoTrainIds.png`` (uint8 train ids),
plus ``D/manifest.json``. :func:`pseudo_label_path` names these files, for the
generator and the datasets alike.

Any target dataset class gets a pseudo-label variant from :class:`PseudoLabelMixin`::

    @DATASETS.register_module()
    class PseudoLabelMyDataset(PseudoLabelMixin, MyDataset):
        '''MyDataset's images trained on pseudo-labels.'''

``PseudoLabelCityscapesDataset``, ``PseudoLabelACDCDataset``,
``PseudoLabelDarkZurichDataset`` and ``PseudoLabelImageFolderDataset`` are made so.
"""
import os.path as osp

from mmseg.datasets.builder import DATASETS
from .cityscapes import UVPTCityscapesDataset

IMG_SUFFIX = '_leftImg8bit.png'
PSEUDO_LABEL_SUFFIX = '_pseudoTrainIds.png'
MANIFEST_NAME = 'manifest.json'


def strip_image_suffix(img_filename, img_suffix):
    """``img_filename`` without its image suffix.

    Args:
        img_filename (str): e.g. 'aachen/x_leftImg8bit.png' or 'day1/x.JPG'.
        img_suffix (str | Sequence[str]): the suffix, or several (the longest that
            matches is removed; matched without regard to case, so '.jpg' strips
            '.JPG').

    Raises:
        ValueError: the name ends with none of the suffixes.
    """
    suffixes = (img_suffix, ) if isinstance(img_suffix, str) else tuple(img_suffix)
    lower = img_filename.lower()
    for suffix in sorted(suffixes, key=len, reverse=True):
        if lower.endswith(suffix.lower()):
            return img_filename[:-len(suffix)]
    raise ValueError(
        f'image file name {img_filename!r} does not end with {img_suffix!r}')


def label_filename(img_filename, img_suffix, label_suffix):
    """The label file name of an image: its name with ``img_suffix`` replaced by
    ``label_suffix`` (relative paths stay relative), as every dataset of the project
    pairs images and labels."""
    return strip_image_suffix(img_filename, img_suffix) + label_suffix


def pseudo_label_path(pseudo_label_dir, img_filename, img_suffix=IMG_SUFFIX):
    """The path of one image's pseudo-label.

    Args:
        pseudo_label_dir (str): the pseudo-label folder ``D``.
        img_filename (str): the image path relative to the image folder, as in
            ``dataset.img_infos[i]['filename']`` (e.g. 'aachen/x_leftImg8bit.png').
        img_suffix (str | Sequence[str]): the dataset's ``img_suffix``, replaced
            by the pseudo-label suffix (several for a folder of .png and .jpg).
    """
    return osp.join(pseudo_label_dir,
                    label_filename(img_filename, img_suffix, PSEUDO_LABEL_SUFFIX))


class PseudoLabelMixin:
    """Makes a target dataset class train on pseudo-labels: the labels are read from
    ``pseudo_label_dir`` (named by :func:`pseudo_label_path`) instead of
    ``ann_dir``.

    Put it before the dataset class. Every image must have its
    ``*_pseudoTrainIds.png``; otherwise construction fails naming the folder and the
    first missing file. ``PSEUDO_LABEL_FIXED`` lists further arguments the variant
    sets itself (e.g. no invalid masks, no label-id conversion: pseudo-labels are
    plain train ids).

    Args:
        pseudo_label_dir (str): the pseudo-label folder, relative to the working
            directory (not to ``data_root``) or absolute.
        **kwargs: the arguments of the dataset class except ``ann_dir``,
            ``seg_map_suffix`` and those of ``PSEUDO_LABEL_FIXED``, which the
            variant sets.
    """

    MISSING_LABEL_HINT = ('Does the pseudo-label folder belong to this image '
                          'folder? Generate it with generate_pseudo_label.py.')
    PSEUDO_LABEL_FIXED = {}

    def __init__(self, pseudo_label_dir, **kwargs):
        name = type(self).__name__
        fixed = dict(self.PSEUDO_LABEL_FIXED, seg_map_suffix=PSEUDO_LABEL_SUFFIX)
        for key in ('ann_dir', ) + tuple(fixed):
            if key in kwargs:
                raise ValueError(
                    f'{name} sets {key} itself (pseudo-labels from '
                    f'pseudo_label_dir); remove {key}={kwargs[key]!r}')
        if not pseudo_label_dir:
            raise ValueError(
                f'{name}: pseudo_label_dir is not set; generate pseudo-labels with '
                'generate_pseudo_label.py and set data.train.pseudo_label_dir to '
                'their folder')
        self.pseudo_label_dir = osp.abspath(pseudo_label_dir)
        super().__init__(ann_dir=self.pseudo_label_dir, **fixed, **kwargs)


@DATASETS.register_module()
class PseudoLabelCityscapesDataset(PseudoLabelMixin, UVPTCityscapesDataset):
    """Cityscapes images (e.g. ``leftImg8bit/train``) trained on pseudo-labels
    (:class:`PseudoLabelMixin`; arguments of :class:`UVPTCityscapesDataset`)."""
