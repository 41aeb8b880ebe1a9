"""Load the corrected label from the label store when there is one."""
import os.path as osp

import mmcv
import numpy as np
from mmseg.datasets.builder import PIPELINES
from mmseg.datasets.pipelines import LoadAnnotations


def store_key(filename):
    """Relative label-store path (without suffix) of an ``img_info['filename']``."""
    key = osp.normpath(osp.splitext(filename)[0])
    if osp.isabs(key) or key.startswith('..'):
        raise ValueError(f'image filename {filename!r} must be relative to the image '
                         'folder to name a file in the label store')
    return key


def label_file_in_store(labels_dir, filename):
    """Path of an image's corrected label in the store's label folder."""
    return osp.join(labels_dir, store_key(filename) + '.png')


@PIPELINES.register_module()
class LoadCorrectedAnnotations(LoadAnnotations):
    """mmseg's ``LoadAnnotations`` that prefers the corrected label of the image.

    The corrected label ``<store_dir>/<img_info filename with .png>`` is written by
    ``AdaptiveCorrectionHook`` at the resized training resolution, already in
    train ids: it is loaded as is (no ``reduce_zero_label`` / ``label_map``), and
    mmseg's ``Resize`` then brings it to the same size as the image. Without a
    stored label (or with ``store_dir=None``) this is plain ``LoadAnnotations``.
    Records ``results['label_path']``, the file that was read.

    Args:
        store_dir (str, optional): the store's label folder,
            ``<work_dir>/correction/labels``; filled in by
            ``mmseg_uvpt.correction.configure_correction``.
        **kwargs: ``LoadAnnotations`` arguments (``reduce_zero_label``,
            ``file_client_args``, ``imdecode_backend``).
    """

    def __init__(self, store_dir=None, **kwargs):
        super().__init__(**kwargs)
        self.store_dir = store_dir

    def __call__(self, results):
        stored = None
        if self.store_dir is not None:
            stored = label_file_in_store(self.store_dir, results['img_info']['filename'])
        if stored is None or not osp.isfile(stored):
            results = super().__call__(results)
            seg_map = results['ann_info']['seg_map']
            prefix = results.get('seg_prefix')
            results['label_path'] = osp.join(prefix, seg_map) if prefix else seg_map
            return results
        if self.file_client is None:
            self.file_client = mmcv.FileClient(**self.file_client_args)
        label = mmcv.imfrombytes(self.file_client.get(stored),
                                 flag='unchanged',
                                 backend=self.imdecode_backend)
        results['gt_semantic_seg'] = label.squeeze().astype(np.uint8)
        results['seg_fields'].append('gt_semantic_seg')
        results['label_path'] = stored
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(store_dir={self.store_dir!r}, '
                f'reduce_zero_label={self.reduce_zero_label})')
