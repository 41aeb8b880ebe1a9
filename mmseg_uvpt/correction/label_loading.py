"""Load a training sample's label, corrected with the image's previous prediction.

This runs in the data-loader worker, so the label correction of a sample costs the
training thread nothing: the worker reads the image's stored label and last stored
prediction, applies the active classes and thresholds of the correction hook's last
check (``worker_state.json``, re-read whenever the hook replaces it) and hands the
result to the pipeline. What it used is recorded in ``results['correction']``; the
hook compares that with its own state before the step and redoes the correction on
the training thread in the rare case the worker read ahead of it (see
``AdaptiveCorrectionHook``).
"""
import os.path as osp

from mmseg.datasets.builder import PIPELINES
from mmseg.datasets.pipelines import LoadAnnotations

from ..datasets.pipelines.crop_with_box import CROP_REFERENCE
from .frames import resize_label
from .label_update import correct_with_prediction
from .store_format import (INACTIVE, PREDS_DIR, WORKER_STATE, WorkerStateReader,
                           label_file_in_store, prediction_file_in_store,
                           read_prediction_file, read_stored_label)


@PIPELINES.register_module()
class LoadCorrectedAnnotations(LoadAnnotations):
    """mmseg's ``LoadAnnotations``, then the image's corrected label when there is one.

    The dataset's label (the pseudo-label) is always loaded as ``LoadAnnotations``
    does. With a store (``store_dir``), the training target becomes the image's
    stored label, corrected on the spot with its previous prediction when classes
    are active (the reference release's same-visit correction), both at the resized
    training resolution; the dataset's label then stays beside it as
    ``gt_crop_reference``, which ``RandomCropWithBox``'s ``cat_max_ratio`` judges,
    as the release's crop does, so that the crop never depends on the correction.
    Records ``results['label_path']`` (the dataset's label file) and
    ``results['correction']``: ``state`` (version of the worker state used),
    ``pred_iter`` (iteration of the prediction used, None without one), ``changed``
    (pixels relabelled now) and ``label`` (the corrected full label when changed).

    Args:
        store_dir (str, optional): the store's label folder,
            ``<work_dir>/correction/labels`` (predictions and the worker state are
            read beside it, in its parent folder); filled in by
            ``mmseg_uvpt.correction.configure_correction``.
        **kwargs: ``LoadAnnotations`` arguments (``reduce_zero_label``,
            ``file_client_args``, ``imdecode_backend``).
    """

    def __init__(self, store_dir=None, **kwargs):
        super().__init__(**kwargs)
        self.store_dir = store_dir
        self._state = None
        if store_dir is not None:
            root = osp.dirname(osp.normpath(store_dir))
            self._preds_dir = osp.join(root, PREDS_DIR)
            self._state = WorkerStateReader(osp.join(root, WORKER_STATE))

    def __call__(self, results):
        results = super().__call__(results)
        seg_map = results['ann_info']['seg_map']
        prefix = results.get('seg_prefix')
        results['label_path'] = osp.join(prefix, seg_map) if prefix else seg_map
        if self.store_dir is None:
            return results
        filename = results['img_info']['filename']
        # the prediction first, then the label: a label write of a visit always
        # lands before that visit's prediction, so a current prediction implies a
        # current label
        prediction = read_prediction_file(prediction_file_in_store(self._preds_dir,
                                                                   filename))
        target = read_stored_label(label_file_in_store(self.store_dir, filename))
        state = self._state.read()
        version = INACTIVE if state is None else state.version
        info = dict(state=version,
                    pred_iter=None if prediction is None else prediction.iteration,
                    changed=0,
                    label=None)
        if prediction is not None and version != INACTIVE:
            # the stored label is at the resolution of the visit that last changed
            # it; under random rescaling that need not be the prediction's
            base = resize_label(target if target is not None else
                                results['gt_semantic_seg'], prediction.full_shape)
            new, changed = correct_with_prediction(base, prediction, state.active,
                                                   state.threshold_bins)
            if changed:
                target = new
                info.update(changed=changed, label=new)
        results['correction'] = info
        if target is not None:
            results[CROP_REFERENCE] = results['gt_semantic_seg']
            results['seg_fields'].append(CROP_REFERENCE)
            results['gt_semantic_seg'] = target
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(store_dir={self.store_dir!r}, '
                f'reduce_zero_label={self.reduce_zero_label})')
