"""A sample whose file fails to load while a run is under way names the file.

The stages check every file before the long work (:mod:`.validation`), but a file can
still be deleted, truncated or overwritten afterwards. mmseg's loading steps then fail
without naming it (``'NoneType' object has no attribute 'shape'`` from
``LoadImageFromFile`` for an image cv2 cannot decode, PIL's ``image file is
truncated`` from ``LoadAnnotations``). Rather than wrapping each loading step of every
pipeline (configs name their own, e.g. ``LoadCorrectedAnnotations``), the dataset
wraps the whole load of a sample: when it fails, the sample's files are decoded once
more, and the first that cannot be read replaces the error with a
:class:`DataFileError` naming it. When every file reads, the failure is not the data's
and the original error goes on unchanged.
"""
import os.path as osp
from contextlib import contextmanager

from ..utils.data_errors import DataFileError
from .image_io import read_image, read_label_array


def sample_paths(dataset, index):
    """``(image path, label path or None)`` of sample ``index`` of an mmseg dataset."""
    info = dataset.img_infos[index]
    label = None
    if dataset.ann_dir is not None and 'ann' in info:
        label = osp.join(dataset.ann_dir, info['ann']['seg_map'])
    return osp.join(dataset.img_dir, info['filename']), label


def unreadable_file_error(img_path=None, label_path=None):
    """The :class:`DataFileError` of the first of the files that cannot be decoded
    as the pipelines decode it, or None when both read."""
    try:
        if img_path is not None:
            read_image(img_path)
        if label_path is not None:
            read_label_array(label_path)
    except DataFileError as err:
        return err
    return None


@contextmanager
def naming_unreadable_files(img_path=None, label_path=None):
    """Turn a failure of the block into a :class:`DataFileError` naming the image or
    label file when one of them cannot be read; other failures pass unchanged."""
    try:
        yield
    except Exception as err:
        problem = unreadable_file_error(img_path, label_path)
        if problem is None:
            raise
        raise problem from err


class NamedFileLoadingMixin:
    """Makes an mmseg dataset name the image or label file a sample fails to load.

    Put it before the mmseg base class. It covers the training and test loads
    (``dataset[i]``) and the ground truth that evaluation reads
    (``get_gt_seg_map_by_idx``); the files are decoded again only after a failure.
    """

    def __getitem__(self, idx):
        img_path, label_path = sample_paths(self, idx)
        # a test sample's pipeline reads no label
        with naming_unreadable_files(img_path, None if self.test_mode else label_path):
            return super().__getitem__(idx)

    def get_gt_seg_map_by_idx(self, index):
        with naming_unreadable_files(label_path=sample_paths(self, index)[1]):
            return super().get_gt_seg_map_by_idx(index)
