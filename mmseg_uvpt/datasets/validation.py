"""Input validation for the dataset classes and the scripts.

Three levels:

* cheap checks run by every dataset at construction (:class:`CheckedDatasetMixin`):
  the folders exist, there are images, every image has its label file;
* :func:`check_dataset_inputs`, which the stages call before long work: every
  image and label is opened for its header (size, and a PNG is whole, see
  :func:`.image_io.read_image_size`) and the first few samples are decoded in full
  by :func:`check_sample_files` (readable image, label of the same size, label
  values in ``0..C-1`` or the ignore index; :func:`check_dataset_files` does that
  for a whole dataset);
* at run time (:class:`.named_loading.NamedFileLoadingMixin`), a sample that fails
  to load names its unreadable file.

Every failure is a single :class:`DataFileError` (a ``ValueError``) naming the path,
a :class:`MissingDataFileError` (also a ``FileNotFoundError``) for a missing one.
"""
import os.path as osp

import mmcv
import numpy as np
from mmcv.utils import print_log

from mmseg.utils import get_root_logger
from ..utils.data_errors import DataFileError, MissingDataFileError
from .conversion import STATS_FILENAME, load_problem_images
from .image_io import read_image, read_image_size, read_label_array
from .named_loading import NamedFileLoadingMixin, sample_paths

#: samples whose files :func:`check_dataset_inputs` decodes in full
DEFAULT_FULL_CHECKS = 8


def check_data_dirs(name, img_dir, ann_dir=None, hint=''):
    """Raise MissingDataFileError when the image or label folder is missing."""
    if not osp.isdir(img_dir):
        raise MissingDataFileError(
            f'{name}: image folder not found: {img_dir}. See data/README.md.')
    if ann_dir is not None and not osp.isdir(ann_dir):
        raise MissingDataFileError(
            f'{name}: label folder not found: {ann_dir}. {hint}'.rstrip())


def check_img_infos(name, img_infos, img_dir, img_suffix, ann_dir=None,
                    hint=''):
    """Raise MissingDataFileError when no image was found or labels are missing.

    Args:
        name (str): dataset name used in the messages.
        img_infos (list[dict]): mmseg image infos (``filename``, ``ann.seg_map``).
        img_dir (str): image folder the file names are relative to.
        img_suffix (str): image suffix, for the "no images" message.
        ann_dir (str | None): label folder; None skips the label check.
        hint (str): what to do about missing labels (e.g. run a converter).
    """
    if not img_infos:
        raise MissingDataFileError(
            f'{name}: no images matching *{img_suffix} under {img_dir}')
    if ann_dir is None:
        return
    missing = [
        osp.join(ann_dir, info['ann']['seg_map']) for info in img_infos
        if not osp.isfile(osp.join(ann_dir, info['ann']['seg_map']))
    ]
    if missing:
        raise MissingDataFileError(
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
    """Raise DataFileError when ``label`` has values outside 0..C-1 and ignore."""
    values = np.unique(label)
    bad = values[(values >= num_classes) & (values != ignore_index)]
    if bad.size:
        raise DataFileError(
            f'label file {path} has values {bad.tolist()[:10]} outside the '
            f'class set 0..{num_classes - 1} (+{ignore_index} = ignore); was '
            'it converted to train ids?')


def _check_same_size(img_path, img_wh, label_path, label_wh, what='label'):
    if tuple(label_wh) != tuple(img_wh):
        raise DataFileError(
            f'{what} {label_path} is {label_wh[0]}x{label_wh[1]} but '
            f'image {img_path} is {img_wh[0]}x{img_wh[1]} (WxH)')


def map_label_ids(label, label_map):
    """``label`` with the ids of ``label_map`` ({old id: new id}) replaced, as mmseg's
    ``LoadAnnotations`` does on load; other values are kept."""
    if not label_map:
        return label
    lut = np.arange(256, dtype=np.int64)
    for old, new in label_map.items():
        if 0 <= old < 256:
            lut[old] = new
    return lut[label] if label.dtype == np.uint8 else label


def check_sample_files(img_path, label_path=None, num_classes=19,
                       ignore_index=255, label_map=None, extra_files=()):
    """Decode one image (and label) and check readability, size and values.

    Args:
        label_map (dict | None): ids the dataset replaces on load ({old: new}),
            applied before the value check (e.g. Cityscapes ids -> train ids).
        extra_files (Sequence[tuple[str, str]]): further per-pixel files of the
            sample as ``(path, what)`` (e.g. an invalid mask), each decoded and
            checked for the image's size.
    """
    img = read_image(img_path)
    img_wh = img.shape[1::-1]
    if label_path is not None:
        label = read_label_array(label_path)
        _check_same_size(img_path, img_wh, label_path, label.shape[::-1])
        check_label_values(label_path, map_label_ids(label, label_map), num_classes,
                           ignore_index)
    for path, what in extra_files:
        _check_same_size(img_path, img_wh, path,
                         read_label_array(path, what).shape[::-1], what)


def check_sample_readable(img_path, label_path=None, extra_files=()):
    """Open one image (and label, and ``extra_files``) for its header: all readable
    and whole, and of one size. A fraction of a millisecond a file
    (tools/benchmark_input_checks.py)."""
    img_wh = read_image_size(img_path)
    if label_path is not None:
        _check_same_size(img_path, img_wh, label_path,
                         read_image_size(label_path, 'label file'))
    for path, what in extra_files:
        _check_same_size(img_path, img_wh, path, read_image_size(path, what), what)


def extra_sample_files(dataset, index):
    """``(path, what)`` of the per-pixel files of sample ``index`` beyond its image
    and label (a dataset lists them in ``extra_label_files(index)``, e.g. ACDC's
    invalid masks); empty for most datasets."""
    method = getattr(dataset, 'extra_label_files', None)
    return list(method(index)) if method is not None else []


def dataset_label_map(dataset):
    """The ids a dataset replaces in its labels on load (``{old: new}``) or None:
    its ``label_map_on_load`` (e.g. Cityscapes ids read by the folder dataset)."""
    return getattr(dataset, 'label_map_on_load', None)


def leaf_datasets(dataset):
    """The datasets inside mmseg's wrappers (``ConcatDataset``, ``RepeatDataset``)."""
    if hasattr(dataset, 'datasets'):
        return [leaf for sub in dataset.datasets for leaf in leaf_datasets(sub)]
    if hasattr(dataset, 'dataset'):
        return leaf_datasets(dataset.dataset)
    return [dataset]


def check_dataset_files(dataset, max_files=None):
    """Decode the files of an mmseg dataset and check every sample.

    Args:
        dataset (CustomDataset): a built dataset (labels checked when it has
            an ``ann_dir``).
        max_files (int | None): check only the first ``max_files`` samples.

    Raises:
        DataFileError: unreadable image/label, size mismatch or bad label values,
            naming the file.
    """
    indices = range(len(dataset.img_infos))[:max_files]
    num_classes = len(dataset.CLASSES)
    for index in mmcv.track_iter_progress(indices) if len(indices) > 100 else indices:
        check_sample_files(*sample_paths(dataset, index), num_classes,
                           dataset.ignore_index, dataset_label_map(dataset),
                           extra_sample_files(dataset, index))


def check_dataset_inputs(dataset, full_checks=DEFAULT_FULL_CHECKS, indices=None):
    """Check every file a run will read, before the run: the first ``full_checks``
    samples decoded in full (:func:`check_sample_files`), the others cheaply
    (:func:`check_sample_readable`).

    Args:
        dataset (Dataset): a built mmseg dataset, or a wrapper of several.
        full_checks (int): samples of each dataset decoded in full.
        indices (Sequence[int] | None): the samples the run will read (of a
            dataset that is no wrapper); None for all.

    Returns:
        int: the number of samples checked.

    Raises:
        DataFileError: the first file that is unreadable, truncated, or does not
            fit its sample, naming it.
    """
    count = 0
    for leaf in leaf_datasets(dataset):
        wanted = range(len(leaf.img_infos)) if indices is None else indices
        for position, index in enumerate(wanted):
            paths = sample_paths(leaf, index)
            extra = extra_sample_files(leaf, index)
            if position < full_checks:
                check_sample_files(*paths, len(leaf.CLASSES), leaf.ignore_index,
                                   dataset_label_map(leaf), extra)
            else:
                check_sample_readable(*paths, extra)
        count += len(wanted)
    return count


class CheckedDatasetMixin(NamedFileLoadingMixin):
    """Adds the cheap construction-time checks to an mmseg dataset class, and makes
    a sample that fails to load name its unreadable file
    (:class:`.named_loading.NamedFileLoadingMixin`).

    Put it before the mmseg base class. ``MISSING_LABEL_HINT`` tells the user what
    to do when labels are missing (usually: run the converter).
    """

    MISSING_LABEL_HINT = ''

    def load_annotations(self, img_dir, img_suffix, ann_dir, seg_map_suffix,
                         split):
        name = type(self).__name__
        check_data_dirs(name, img_dir, ann_dir, self.MISSING_LABEL_HINT)
        img_infos = self.scan_images(img_dir, img_suffix, ann_dir, seg_map_suffix,
                                     split)
        img_infos = drop_reported_images(name, img_infos, img_dir,
                                         self.data_root)
        check_img_infos(name, img_infos, img_dir, img_suffix, ann_dir,
                        self.MISSING_LABEL_HINT)
        return img_infos

    def scan_images(self, img_dir, img_suffix, ann_dir, seg_map_suffix, split):
        """The image infos before the checks: mmseg's listing (every
        ``*img_suffix`` under ``img_dir``, or the ``split`` file); a dataset with
        another layout overrides this (e.g. ACDC's condition folders)."""
        return super().load_annotations(img_dir, img_suffix, ann_dir,
                                        seg_map_suffix, split)
