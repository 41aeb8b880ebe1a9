"""Redoing, on the training thread, the correction of a sample whose worker read
ahead.

A data-loader worker corrects a sample's label while loading it, possibly several
steps before the sample is trained on. If a check changed the worker state in
between (the sample carries an old state version), or the image's last visit was
still being written when the worker read its prediction (an old prediction
iteration), the worker's label is not the one training must see. The sample's
correction is then redone here from the store, exactly as an in-time worker would
have done it: wait for the image's prediction of the expected iteration (another
process's writer may still be writing it), read the stored label (or the
dataset's on the image's first correction), correct it with the current active
classes and thresholds, and map the result into the sample's frame (resize, crop,
flip), replacing the sample's label in the batch. The crop never depends on the
correction, so results do not depend on worker timing.
"""
import time

import numpy as np
import torch
from mmseg.datasets.pipelines import LoadAnnotations

from .frames import full_to_sample, resize_label, resized_shape
from .label_update import correct_with_prediction
from .sample_meta import crop_box, flip_of, label_path
from .store_format import INACTIVE


def in_time(info, version, expected):
    """Whether the worker's correction ``info`` (``meta['correction']``) used the
    current state ``version`` and the image's prediction of iteration ``expected``
    (None: the image has none yet)."""
    return info['state'] == version and info['pred_iter'] == expected


class StaleSampleRedo:
    """Redoes the correction of samples that are not :func:`in_time`.

    Args:
        controller (CorrectionController): the active classes and thresholds.
        reduce_zero_label (bool): as the train pipeline's LoadCorrectedAnnotations,
            for reading an original label the first time an image is corrected.
    """

    def __init__(self, controller, reduce_zero_label=False):
        self.controller = controller
        self._load_original = LoadAnnotations(reduce_zero_label=reduce_zero_label)

    def redo(self, batch, index, meta, expected, version, store, writer, wait_timeout):
        """Rewrite sample ``index`` of ``batch['gt_semantic_seg']`` with the label an
        in-time loader would have made.

        Args:
            expected (int | None): iteration of the image's last stored prediction.
            version (int): the current worker-state version.
            store (LabelStore): the label store.
            writer (StoreWriter): this process's writer, flushed first.
            wait_timeout (float): seconds to wait for the expected prediction.

        Returns:
            tuple: the corrected label to store (or None) and the number of changed
            pixels.
        """
        target, new_label, changed = self.corrected_label(meta, expected, version, store,
                                                          writer, wait_timeout)
        # as the pipeline's Resize does to the worker's label: to this visit's
        # resized image, whose frame the crop box is in
        target = resize_label(target, resized_shape(meta))
        gt = batch['gt_semantic_seg'].data[0]
        frame = full_to_sample(target, crop_box(meta), gt.shape[-2:], *flip_of(meta))
        gt[index, 0] = torch.from_numpy(frame.astype(np.int64))
        return new_label, changed

    def corrected_label(self, meta, expected, version, store, writer, wait_timeout):
        """The sample's label as an in-time loader would have made it.

        Returns:
            tuple: the full training label, the corrected label to store (or None)
            and the number of changed pixels.
        """
        filename = meta['ori_filename']
        writer.flush()
        prediction = wait_for_prediction(store, filename, expected, wait_timeout)
        label = store.read_label(filename)
        if label is None:
            shape = prediction.full_shape if prediction else resized_shape(meta)
            label = self.read_original_label(meta, shape)
        if prediction is None or version == INACTIVE:
            return label, None, 0
        label = resize_label(label, prediction.full_shape)
        new, changed = correct_with_prediction(label, prediction,
                                               self.controller.active_mask(),
                                               self.controller.threshold_bins)
        return new, (new if changed else None), changed

    def read_original_label(self, meta, shape):
        """The dataset's label, decoded exactly as mmseg's LoadAnnotations does and
        resized (nearest) to the training resolution as mmseg's Resize does."""
        path = label_path(meta)
        results = self._load_original(dict(ann_info=dict(seg_map=path), seg_fields=[]))
        return resize_label(results['gt_semantic_seg'], shape)


def wait_for_prediction(store, filename, expected, wait_timeout):
    """The stored prediction of ``filename``, once it is the one of iteration
    ``expected`` (another process's writer may still be writing it); polls for up
    to ``wait_timeout`` seconds."""
    deadline = time.monotonic() + wait_timeout
    while True:
        prediction = store.read_prediction(filename)
        found = None if prediction is None else prediction.iteration
        if found == expected:
            return prediction
        if time.monotonic() > deadline:
            raise RuntimeError(
                f'{store.prediction_path(filename)} holds the prediction of '
                f'iteration {found}, expected {expected}: the label store and the '
                'correction state are out of step')
        time.sleep(0.01)
