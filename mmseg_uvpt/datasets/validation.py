"""Input validation for the dataset classes and the scripts.

Two levels:

* cheap checks run by every dataset at construction (:class:`CheckedDatasetMixin`):
  the folders exist, there are images, every image has its label file;
* :func:`check_dataset_files`, which opens the files (readable image, label of
  the same size, label values in ``0..C-1`` or the ignore index). Scripts call it
  explicitly before long work, optionally on the first ``max_files`` samples only.

Every failure is a single ``FileNotFoundError`` or ``ValueError`` naming the path.
"""
import os.path as osp

import mmcv
import numpy as np
from mmcv.utils import print_log

from mmseg.utils import get_root_logger
from .conversion import STATS_FILENAME, load_problem_images
from .file_io import read_label_array


def check_data_dirs(name, img_dir, ann_dir=None, hint=''):
    """Raise FileNotFoundError when the image or label folder is missing."""
    if not osp.isdir(img_dir):
        raise FileNotFoundError(
            f'{name}: image folder not found: {img_dir}. See data/README.md.')
    if ann_dir is not None and not osp.isdir(ann_dir):
        raise FileNotFoundError(
            f'{name}: label folder not found: {ann_dir}. {hint}'.rstrip())


def check_img_infos(name, img_infos, img_dir, img_suffix, ann_dir=None,
                    hint=''):
    """Raise FileNotFoundError when no image was found or labels are missing.

    Args:
        name (str): dataset name used in the messages.
        img_infos (list[dict]): mmseg image infos (``filename``, ``ann.seg_map``).
        img_dir (str): image folder the file names are relative to.
        img_suffix (str): image suffix, for the "no images" message.
        ann_dir (str | None): label folder; None skips the label check.
        hint (str): what to do about missing labels (e.g. run a converter).
    """
    if not img_infos:
        raise FileNotFoundError(
            f'{name}: no images matching *{img_suffix} under {img_dir}')
    if ann_dir is None:
        return
    missing = [
        osp.join(ann_dir, info['ann']['seg_map']) for info in img_infos
        if not osp.isfile(osp.join(ann_dir, info['ann']['seg_map']))
    ]
    if missing:
        raise FileNotFoundError(
            f'{name}: {len(missing)} of {len(img_infos)} images have no label '
            f'file in {ann_dir}; first missing: {missing[0]}. {hint}'.rstrip())


def drop_reported_images(name, img_infos, img_dir, data_root):
    """Remove the images that the converter listed as problems (unreadable,
    size mismatch) in ``data_root/sample_class_stats.json``."""
    if data_root is None:
        return img_infos
    bad = load_problem_images(data_root)
    if not bad:
        return img_infos
    kept = [
        info for info in img_infos
        if osp.normpath(osp.join(img_dir, info['filename'])) not in bad
    ]
    if len(kept) < len(img_infos):
        print_log(
            f'{name}: skipping {len(img_infos) - len(kept)} image(s) reported '
            f'as problems in {osp.join(data_root, STATS_FILENAME)}',
            logger=get_root_logger())
    return kept


def check_label_values(path, label, num_classes, ignore_index=255):
    """Raise ValueError when ``label`` has values outside 0..C-1 and ignore."""
    values = np.unique(label)
    bad = values[(values >= num_classes) & (values != ignore_index)]
    if bad.size:
        raise ValueError(
            f'label file {path} has values {bad.tolist()[:10]} outside the '
            f'class set 0..{num_classes - 1} (+{ignore_index} = ignore); was '
            'it converted to train ids?')


def check_sample_files(img_path, label_path=None, num_classes=19,
                       ignore_index=255):
    """Open one image (and label) and check readability, size and values."""
    try:
        img = mmcv.imread(img_path)
    except Exception as err:  # mmcv/cv2 raise several types
        raise ValueError(f'cannot read image {img_path}: {err}') from err
    if img is None:
        raise ValueError(f'cannot read image {img_path}')
    if label_path is None:
        return
    label = read_label_array(label_path)
    if label.shape != img.shape[:2]:
        raise ValueError(
            f'label {label_path} is {label.shape[1]}x{label.shape[0]} but '
            f'image {img_path} is {img.shape[1]}x{img.shape[0]} (WxH)')
    check_label_values(label_path, label, num_classes, ignore_index)


def check_dataset_files(dataset, max_files=None):
    """Open the files of an mmseg dataset and check every sample.

    Args:
        dataset (CustomDataset): a built dataset (labels checked when it has
            an ``ann_dir``).
        max_files (int | None): check only the first ``max_files`` samples.

    Raises:
        ValueError: unreadable image/label, size mismatch or bad label values,
            naming the file.
    """
    infos = dataset.img_infos[:max_files]
    num_classes = len(dataset.CLASSES)
    for info in mmcv.track_iter_progress(infos) if len(infos) > 100 else infos:
        label = None
        if dataset.ann_dir is not None and 'ann' in info:
            label = osp.join(dataset.ann_dir, info['ann']['seg_map'])
        check_sample_files(
            osp.join(dataset.img_dir, info['filename']), label, num_classes,
            dataset.ignore_index)


class CheckedDatasetMixin:
    """Adds the cheap construction-time checks to an mmseg dataset class.

    Put it before the mmseg base class. ``MISSING_LABEL_HINT`` tells the user what
    to do when labels are missing (usually: run the converter).
    """

    MISSING_LABEL_HINT = ''

    def load_annotations(self, img_dir, img_suffix, ann_dir, seg_map_suffix,
                         split):
        name = type(self).__name__
        check_data_dirs(name, img_dir, ann_dir, self.MISSING_LABEL_HINT)
        img_infos = super().load_annotations(img_dir, img_suffix, ann_dir,
                                             seg_map_suffix, split)
        img_infos = drop_reported_images(name, img_infos, img_dir,
                                         self.data_root)
        check_img_infos(name, img_infos, img_dir, img_suffix, ann_dir,
                        self.MISSING_LABEL_HINT)
        return img_infos
