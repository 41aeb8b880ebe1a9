"""What ACDC and Dark Zurich share: images sorted into condition and subset folders,
and masks of invalid pixels beside the labels.

* :class:`ConditionFoldersMixin` lists the images of the chosen subset (train, val or
  test) and conditions (fog, night, ...) only, e.g. ACDC's
  ``rgb_anon/{fog,night}/val/<sequence>/*_rgb_anon.png``. File names stay relative
  to ``img_dir`` (``fog/val/GOPR0475/GOPR0475_frame_000041_rgb_anon.png``), so labels
  and pseudo-labels mirror the same tree. With several conditions, evaluation also
  reports each condition's mIoU (``mIoU_fog``, ...).
* :class:`InvalidMaskMixin` reads, for every label ``<name><seg_map_suffix>``, the
  mask ``<name><invalid_mask_suffix>`` beside it (ACDC: ``*_gt_invIds.png``, 1 =
  invalid) and excludes the pixels marked invalid from evaluation: the ground truth
  that ``pre_eval``/``evaluate`` compare with holds the ignore index there. Training
  pipelines read labels with their own steps and are not changed.
"""
import os.path as osp

import mmcv

from ..utils.data_errors import DataFileError, MissingDataFileError
from .image_io import read_label_array
from .pseudo_label import label_filename


def resolve_choices(value, known, what, dataset):
    """``value`` ('all', one name or a sequence of names) as a tuple of names of
    ``known``, in ``known``'s order.

    Raises:
        ValueError: an unknown name or an empty choice, naming the known ones.
    """
    if value == 'all':
        return tuple(known)
    names = (value, ) if isinstance(value, str) else tuple(value)
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise ValueError(f'{dataset}: unknown or no {what} {unknown or names}; '
                         f"choose from {list(known)} or 'all'")
    return tuple(n for n in known if n in names)


class ConditionFoldersMixin:
    """Lists the images of ``self.image_folders`` (folders relative to ``img_dir``,
    set by the dataset before ``super().__init__``), each recursively and sorted.

    Put it before the mmseg base class (after :class:`InvalidMaskMixin`). A missing
    folder or one without images fails naming it.
    """

    image_folders = ()

    def image_groups(self):
        """One group per condition when there are several (``fog``: the indices
        of the images under ``fog/<subset>``), for per-condition means."""
        groups = {}
        for index, info in enumerate(self.img_infos):
            groups.setdefault(info['filename'].split('/', 1)[0], []).append(index)
        return groups if len(groups) > 1 else {}

    def scan_images(self, img_dir, img_suffix, ann_dir, seg_map_suffix, split):
        name = type(self).__name__
        if split is not None:
            raise ValueError(f'{name}: choose images with subset= and conditions=, '
                             f'not with a split file (split={split!r})')
        img_infos = []
        for folder in self.image_folders:
            path = osp.join(img_dir, folder)
            if not osp.isdir(path):
                raise MissingDataFileError(
                    f'{name}: image folder not found: {path}. See data/README.md.')
            files = sorted(mmcv.scandir(path, img_suffix, recursive=True))
            if not files:
                raise MissingDataFileError(
                    f'{name}: no images matching *{img_suffix} under {path}')
            for rel in files:
                filename = osp.join(folder, rel)
                info = dict(filename=filename)
                if ann_dir is not None:
                    info['ann'] = dict(seg_map=label_filename(filename, img_suffix,
                                                              seg_map_suffix))
                img_infos.append(info)
        return img_infos


class InvalidMaskMixin:
    """Excludes the pixels an invalid mask marks (value != 0) from evaluation.

    Put it first, before :class:`ConditionFoldersMixin` and the dataset class. The
    dataset sets ``self.invalid_mask_suffix`` (None: no masks) before
    ``super().__init__``; masks are looked for only when there are labels
    (``ann_dir``). Construction fails naming the first missing mask; the input
    checks (``check_dataset_inputs``) decode the masks with the labels and compare
    their size with the image's (``extra_label_files``).
    """

    invalid_mask_suffix = None

    def load_annotations(self, img_dir, img_suffix, ann_dir, seg_map_suffix, split):
        img_infos = super().load_annotations(img_dir, img_suffix, ann_dir,
                                             seg_map_suffix, split)
        if ann_dir is None or not self.invalid_mask_suffix:
            return img_infos
        missing = []
        for info in img_infos:
            mask = label_filename(info['ann']['seg_map'], seg_map_suffix,
                                  self.invalid_mask_suffix)
            info['ann']['invalid_mask'] = mask
            if not osp.isfile(osp.join(ann_dir, mask)):
                missing.append(osp.join(ann_dir, mask))
        if missing:
            raise MissingDataFileError(
                f'{type(self).__name__}: {len(missing)} of {len(img_infos)} labels '
                f'have no invalid mask (*{self.invalid_mask_suffix}) in {ann_dir}; '
                f'first missing: {missing[0]}. Set invalid_mask_suffix=None to '
                'evaluate without them.')
        return img_infos

    def invalid_mask_path(self, index):
        """The invalid mask of sample ``index``, or None."""
        ann = self.img_infos[index].get('ann', {})
        if self.ann_dir is None or 'invalid_mask' not in ann:
            return None
        return osp.join(self.ann_dir, ann['invalid_mask'])

    def extra_label_files(self, index):
        path = self.invalid_mask_path(index)
        return [] if path is None else [(path, 'invalid mask')]

    def get_gt_seg_map_by_idx(self, index):
        """The label with the ignore index where the invalid mask is set."""
        label = super().get_gt_seg_map_by_idx(index)
        path = self.invalid_mask_path(index)
        if path is None:
            return label
        invalid = read_label_array(path, 'invalid mask')
        if invalid.shape != label.shape:
            raise DataFileError(
                f'invalid mask {path} has shape {tuple(invalid.shape)} but its label '
                f'{tuple(label.shape)} (height, width)')
        label = label.copy()
        label[invalid != 0] = self.ignore_index
        return label

    def get_gt_seg_maps(self, efficient_test=None):
        for index in range(len(self)):
            yield self.get_gt_seg_map_by_idx(index)
