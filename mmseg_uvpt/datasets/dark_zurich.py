"""Dark Zurich: the unlabelled night train images and the labelled night val split,
in its own layout::

    <data_root>/rgb_anon/train/{day,twilight,night}/<sequence>/<name>_rgb_anon.png
    <data_root>/rgb_anon/{val,test}/night/<sequence>/<name>_rgb_anon.png
    <data_root>/gt/val/night/<sequence>/<name>_gt_labelTrainIds.png  (+ _gt_invIds.png)

1920x1080; 2416 night train images (no labels), 50 labelled val images, 151 test
images whose labels stay on the server (``test.py --format-only`` writes the
submission, see :mod:`.submission`). The class extends mmseg 0.30's
``DarkZurichDataset`` (its suffixes ``_rgb_anon.png`` / ``_gt_labelTrainIds.png``),
which reads one folder of val/test images only.
"""
from mmseg.datasets import DarkZurichDataset
from mmseg.datasets.builder import DATASETS

from .adverse_conditions import (ConditionFoldersMixin, InvalidMaskMixin,
                                 resolve_choices)
from .cityscapes import UVPTCityscapesDataset
from .pseudo_label import PseudoLabelMixin
from .submission import SubmissionMixin

DARK_ZURICH_CONDITIONS = ('day', 'twilight', 'night')
DARK_ZURICH_SUBSETS = ('train', 'val', 'test')
DARK_ZURICH_LABELLED_SUBSETS = ('val', )
_DEFAULT = object()


@DATASETS.register_module()
class UVPTDarkZurichDataset(InvalidMaskMixin, ConditionFoldersMixin, SubmissionMixin,
                            UVPTCityscapesDataset, DarkZurichDataset):
    """Dark Zurich, one subset, its night images by default; Cityscapes' 19 classes
    and palette.

    Args:
        subset (str): 'train' (no labels), 'val' or 'test' (labels on the server).
            Default 'val'.
        conditions (str | Sequence[str]): 'night' (the adaptation target), or also
            'day' / 'twilight' (train only), or 'all'. Default 'night'.
        img_dir (str): the image root, relative to ``data_root``. Default 'rgb_anon'.
        ann_dir (str | None): the label root; default 'gt' for val, None otherwise.
        invalid_mask_suffix (str | None): masks of invalid pixels to exclude from
            evaluation, e.g. '_gt_invIds.png'. Default None: every labelled pixel
            counts, as mmseg's ``DarkZurichDataset`` evaluates (and the works that
            report Dark Zurich val mIoU).
        **kwargs: the other arguments of :class:`UVPTCityscapesDataset`
            (``pipeline``, ``data_root``, ``test_mode``, ...). The suffixes are
            mmseg's ``DarkZurichDataset``'s.
    """

    CITYSCAPES_METRIC = False
    SUBMISSION_SERVER = 'dark_zurich'
    MISSING_LABEL_HINT = ("Dark Zurich's val labels come in Dark_Zurich_val_anon.zip "
                          '(gt/val/night/...).')

    def __init__(self, subset='val', conditions='night', img_dir='rgb_anon',
                 ann_dir=_DEFAULT, invalid_mask_suffix=None, **kwargs):
        name = type(self).__name__
        if subset not in DARK_ZURICH_SUBSETS:
            raise ValueError(f'{name}: subset={subset!r}; choose one of '
                             f'{list(DARK_ZURICH_SUBSETS)}')
        self.subset = subset
        self.conditions = resolve_choices(conditions, DARK_ZURICH_CONDITIONS,
                                          'conditions', name)
        # mmseg's DarkZurichDataset fixes seg_map_suffix; a pseudo-label variant
        # names its own, used for the listing and set once mmseg's init is done
        label_suffix = kwargs.pop('seg_map_suffix', None)
        if 'img_suffix' in kwargs:
            raise ValueError(f"{name}: img_suffix is DarkZurichDataset's "
                             "('_rgb_anon.png')")
        self._label_suffix = label_suffix
        if ann_dir is _DEFAULT:
            ann_dir = 'gt' if subset in DARK_ZURICH_LABELLED_SUBSETS else None
        elif ann_dir is not None and subset not in DARK_ZURICH_LABELLED_SUBSETS \
                and getattr(self, 'pseudo_label_dir', None) is None:
            raise ValueError(f'{name}: Dark Zurich has no public {subset} labels; '
                             'use ann_dir=None')
        self.image_folders = [f'{subset}/{c}' for c in self.conditions]
        self.invalid_mask_suffix = invalid_mask_suffix
        super().__init__(img_dir=img_dir, ann_dir=ann_dir, **kwargs)
        if label_suffix is not None:
            self.seg_map_suffix = label_suffix

    def scan_images(self, img_dir, img_suffix, ann_dir, seg_map_suffix, split):
        return super().scan_images(img_dir, img_suffix, ann_dir,
                                   self._label_suffix or seg_map_suffix, split)

    def submission_warnings(self):
        if self.subset != 'test':
            return [f'the server scores the test subset; this is {self.subset}']
        return []


@DATASETS.register_module()
class PseudoLabelDarkZurichDataset(PseudoLabelMixin, UVPTDarkZurichDataset):
    """Dark Zurich images (usually ``subset='train'``, night) trained on
    pseudo-labels (:class:`PseudoLabelMixin`; arguments of
    :class:`UVPTDarkZurichDataset`), mirrored as
    ``<pseudo_label_dir>/train/night/<sequence>/<name>_pseudoTrainIds.png``."""

    PSEUDO_LABEL_FIXED = dict(invalid_mask_suffix=None)
