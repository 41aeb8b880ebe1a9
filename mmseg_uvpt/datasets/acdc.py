"""ACDC (Adverse Conditions Dataset with Correspondences): fog, night, rain and snow,
in its own layout (no flattening needed)::

    <data_root>/rgb_anon/<condition>/{train,val,test}/<sequence>/<name>_rgb_anon.png
    <data_root>/gt/<condition>/{train,val}/<sequence>/<name>_gt_labelTrainIds.png
                                                      <name>_gt_invIds.png

with ``<condition>`` one of fog, night, rain, snow.

1920x1080 images; about 400 train and 100 val images per condition with labels (train
ids) and invalid masks (1 = invalid); 500 test images per condition whose labels stay
on the server (``test.py --format-only`` writes the submission, see
:mod:`.submission`). The ``*_ref`` folders (normal-condition images of the same
places) are not read.
"""
from mmseg.datasets.builder import DATASETS

from .adverse_conditions import (ConditionFoldersMixin, InvalidMaskMixin,
                                 resolve_choices)
from .cityscapes import UVPTCityscapesDataset
from .pseudo_label import PseudoLabelMixin
from .submission import SubmissionMixin

ACDC_CONDITIONS = ('fog', 'night', 'rain', 'snow')
ACDC_SUBSETS = ('train', 'val', 'test')
ACDC_LABELLED_SUBSETS = ('train', 'val')
_DEFAULT = object()


@DATASETS.register_module()
class ACDCDataset(InvalidMaskMixin, ConditionFoldersMixin, SubmissionMixin,
                  UVPTCityscapesDataset):
    """ACDC, one condition, several or all four, one subset; Cityscapes' 19 classes
    and palette.

    Evaluation excludes the pixels the invalid masks mark (as the benchmark does);
    ``invalid_mask_suffix=None`` evaluates them too (with their labels). With the
    ``mIoU`` metric the mean is unrounded (see :class:`UVPTCityscapesDataset`);
    mmseg's ``cityscapes`` metric does not apply.

    Args:
        subset (str): 'train', 'val' or 'test' (the folder under each condition; not
            mmseg's ``split``, a list file, which ACDC does not use). Default 'val'.
        conditions (str | Sequence[str]): 'fog', 'night', 'rain', 'snow', a list of
            them, or 'all'. Default 'all'.
        img_dir (str): the image root, relative to ``data_root``. Default 'rgb_anon'.
        ann_dir (str | None): the label root; default 'gt' for train and val, None
            for test (no public labels). None: images only (e.g. the unlabelled
            target train split).
        invalid_mask_suffix (str | None): Default '_gt_invIds.png'.
        **kwargs: the other arguments of :class:`UVPTCityscapesDataset`
            (``pipeline``, ``data_root``, ``test_mode``, ``eval_subsets``, ...).
    """

    CITYSCAPES_METRIC = False
    SUBMISSION_SERVER = 'acdc'
    MISSING_LABEL_HINT = ("ACDC's labels come in gt_trainval.zip (gt/<condition>/"
                          "<subset>/...); give ann_dir=None to use the images alone.")

    def __init__(self, subset='val', conditions='all', img_dir='rgb_anon',
                 ann_dir=_DEFAULT, img_suffix='_rgb_anon.png',
                 seg_map_suffix='_gt_labelTrainIds.png',
                 invalid_mask_suffix='_gt_invIds.png', **kwargs):
        name = type(self).__name__
        if subset not in ACDC_SUBSETS:
            raise ValueError(f'{name}: subset={subset!r}; choose one of '
                             f'{list(ACDC_SUBSETS)}')
        self.subset = subset
        self.conditions = resolve_choices(conditions, ACDC_CONDITIONS, 'conditions',
                                          name)
        if ann_dir is _DEFAULT:
            ann_dir = 'gt' if self.subset in ACDC_LABELLED_SUBSETS else None
        elif ann_dir is not None and self.subset not in ACDC_LABELLED_SUBSETS \
                and getattr(self, 'pseudo_label_dir', None) is None:
            raise ValueError(f"{name}: ACDC's {self.subset} labels are not public; "
                             'use ann_dir=None (format the predictions for the '
                             'server with test.py --format-only)')
        self.image_folders = [f'{c}/{self.subset}' for c in self.conditions]
        self.invalid_mask_suffix = invalid_mask_suffix
        super().__init__(img_dir=img_dir, ann_dir=ann_dir, img_suffix=img_suffix,
                         seg_map_suffix=seg_map_suffix, **kwargs)

    def submission_warnings(self):
        warnings = []
        if self.subset != 'test':
            warnings.append(f'the server scores the test subset; this is '
                            f'{self.subset}')
        if self.conditions != ACDC_CONDITIONS:
            warnings.append('the server expects the test images of all four '
                            f'conditions; this has {", ".join(self.conditions)}')
        return warnings


@DATASETS.register_module()
class PseudoLabelACDCDataset(PseudoLabelMixin, ACDCDataset):
    """ACDC images (usually ``subset='train'``) trained on pseudo-labels
    (:class:`PseudoLabelMixin`; arguments of :class:`ACDCDataset`), mirrored as
    ``<pseudo_label_dir>/<condition>/<subset>/<sequence>/<name>_pseudoTrainIds.png``."""

    PSEUDO_LABEL_FIXED = dict(invalid_mask_suffix=None)
