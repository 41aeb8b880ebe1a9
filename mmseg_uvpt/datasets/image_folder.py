"""One's own images as a target: any folder tree of .png/.jpg/.jpeg images.

Every image under ``img_dir`` (recursively, following links, sorted by path; the
extension in any case) is a sample; its file name relative to ``img_dir`` names its
label, pseudo-label and correction-store files, so the trees mirror each other::

    <img_dir>/day1/cam0/0001.jpg
    <ann_dir>/day1/cam0/0001.png                       (optional, seg_map_suffix '.png')
    <pseudo_label_dir>/day1/cam0/0001_pseudoTrainIds.png

Labels, for a labelled val folder, are single-channel PNGs of Cityscapes train ids
(``label_format='trainIds'``, 255 = ignore) or of Cityscapes label ids
(``'cityscapes_ids'``, converted to train ids on load with the table of
:mod:`.label_ids`, as the Cityscapes converter does).
"""
import os
import os.path as osp

import numpy as np
from mmseg.datasets.builder import DATASETS

from ..utils.atomic_write import write_png_atomic
from ..utils.data_errors import DataFileError, MissingDataFileError
from .cityscapes import UVPTCityscapesDataset
from .label_ids import cityscapes_id_to_train_id
from .pseudo_label import PseudoLabelMixin, label_filename

IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg')
LABEL_FORMATS = ('trainIds', 'cityscapes_ids')


def list_image_files(folder, extensions=IMAGE_EXTENSIONS, what='ImageFolderDataset'):
    """Paths of the images under ``folder`` relative to it, recursive, sorted.

    Raises:
        MissingDataFileError: ``folder`` is not a folder, or holds no image.
        DataFileError: a folder of the tree cannot be listed, or two images differ
            only in their extension (their labels would be one file).
    """
    if not osp.isdir(folder):
        raise MissingDataFileError(f'{what}: image folder not found: {folder}')

    def refuse(err):
        raise DataFileError(f'{what}: cannot read folder {err.filename}: '
                            f'{err.strerror or err}') from err

    found = []
    for root, dirs, files in os.walk(folder, onerror=refuse, followlinks=True):
        dirs.sort()
        found += [osp.relpath(osp.join(root, f), folder) for f in files
                  if f.lower().endswith(extensions) and not f.startswith('.')]
    if not found:
        raise MissingDataFileError(
            f'{what}: no images ({", ".join(extensions)}) under {folder}')
    found.sort()
    stems = {}
    for rel in found:
        stem = osp.splitext(rel)[0]
        if stem in stems:
            raise DataFileError(
                f'{what}: {osp.join(folder, stems[stem])} and {osp.join(folder, rel)} '
                'differ only in their extension; their labels would be one file, '
                'rename or remove one')
        stems[stem] = rel
    return found


@DATASETS.register_module()
class ImageFolderDataset(UVPTCityscapesDataset):
    """A folder tree of one's own images, optionally with labels; Cityscapes' 19
    classes and palette.

    Args:
        img_dir (str): the image folder (relative to ``data_root`` if given).
        ann_dir (str | None): the label folder, mirroring ``img_dir``; None (the
            default) for unlabelled images.
        label_format (str): 'trainIds' (Cityscapes train ids, 255 ignore) or
            'cityscapes_ids' (Cityscapes label ids, converted on load).
        seg_map_suffix (str): replaces the image's extension to name its label.
            Default '.png'.
        img_suffix (Sequence[str]): the image extensions, in any case. Default
            ('.png', '.jpg', '.jpeg').
        **kwargs: the other arguments of :class:`UVPTCityscapesDataset`
            (``pipeline``, ``data_root``, ``test_mode``, ``eval_subsets``, ...).
    """

    CITYSCAPES_METRIC = False
    MISSING_LABEL_HINT = ('Labels mirror the image tree, each named as its image '
                          'with seg_map_suffix in place of the extension.')

    def __init__(self, img_dir, ann_dir=None, label_format='trainIds',
                 seg_map_suffix='.png', img_suffix=IMAGE_EXTENSIONS, **kwargs):
        if label_format not in LABEL_FORMATS:
            raise ValueError(f'{type(self).__name__}: label_format={label_format!r}; '
                             f'choose one of {list(LABEL_FORMATS)}')
        self.label_format = label_format
        self._id_to_train_id = cityscapes_id_to_train_id() \
            if label_format == 'cityscapes_ids' else None
        img_suffix = (img_suffix, ) if isinstance(img_suffix, str) else \
            tuple(s.lower() for s in img_suffix)
        super().__init__(img_dir=img_dir, ann_dir=ann_dir, img_suffix=img_suffix,
                         seg_map_suffix=seg_map_suffix, **kwargs)

    @property
    def label_map_on_load(self):
        """Label id -> train id applied on load (None for train-id labels)."""
        return None if self.ann_dir is None else self._id_to_train_id

    def scan_images(self, img_dir, img_suffix, ann_dir, seg_map_suffix, split):
        if split is not None:
            raise ValueError(f'{type(self).__name__} lists every image under '
                             f'img_dir; it takes no split file (split={split!r})')
        img_infos = []
        for rel in list_image_files(img_dir, img_suffix, type(self).__name__):
            info = dict(filename=rel)
            if ann_dir is not None:
                seg_map = label_filename(rel, img_suffix, seg_map_suffix)
                if osp.normpath(osp.join(ann_dir, seg_map)) == \
                        osp.normpath(osp.join(img_dir, rel)):
                    raise DataFileError(
                        f'{type(self).__name__}: the label of {rel} would be the '
                        f'image itself; set another ann_dir or seg_map_suffix')
                info['ann'] = dict(seg_map=seg_map)
            img_infos.append(info)
        return img_infos

    def format_results(self, results, imgfile_prefix, indices=None, **kwargs):
        """Write each prediction as a uint8 PNG of train ids mirroring the image tree
        (``<imgfile_prefix>/day1/cam0/0001.png``); returns the paths."""
        if indices is None:
            indices = list(range(len(self)))
        paths = []
        for pred, index in zip(results, indices):
            if isinstance(pred, str):
                pred = np.load(pred)
            path = osp.join(imgfile_prefix, label_filename(
                self.img_infos[index]['filename'], self.img_suffix, '.png'))
            write_png_atomic(path, np.asarray(pred).astype(np.uint8))
            paths.append(path)
        return paths

    def pre_pipeline(self, results):
        super().pre_pipeline(results)
        label_map = self.label_map_on_load
        if label_map is not None:
            results['label_map'] = label_map


@DATASETS.register_module()
class PseudoLabelImageFolderDataset(PseudoLabelMixin, ImageFolderDataset):
    """A folder of one's own images trained on pseudo-labels
    (:class:`PseudoLabelMixin`; arguments of :class:`ImageFolderDataset`), mirrored
    as ``<pseudo_label_dir>/<sub/folders>/<name>_pseudoTrainIds.png``."""

    PSEUDO_LABEL_FIXED = dict(label_format='trainIds')
