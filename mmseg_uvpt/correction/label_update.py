"""The correction of one label with its image's previous prediction (docs/method.md
§5): pure numpy, run by the data-loader worker and, when a worker read ahead of a
check, by the hook."""
import numpy as np


def correct_label(label, pred, prob_bin, active, threshold_bins):
    """Set label pixels to the prediction where it is confident on an active class.

    Args:
        label (ndarray): uint8 [H, W] current label.
        pred (ndarray): uint8 [H, W] previous prediction; ``NO_PREDICTION`` = none.
        prob_bin (ndarray): uint8 [H, W] its quantised max-probability.
        active (ndarray): bool [C], classes being corrected.
        threshold_bins (ndarray): float [C], tau_c in bin units.

    Returns:
        tuple[ndarray, int]: the new label (a copy) and how many pixels changed.
    """
    active = np.asarray(active, dtype=bool)
    threshold_bins = np.asarray(threshold_bins, dtype=np.float64)
    pred = np.asarray(pred)
    # per-value lookup tables instead of per-pixel fancy indexing: values >= C
    # (no prediction) are never taken
    take_class = np.zeros(256, dtype=bool)
    take_class[:len(active)] = active
    min_bin = np.full(256, 256.0)
    min_bin[:len(active)] = threshold_bins
    take = take_class[pred] & (prob_bin >= min_bin[pred])
    new = np.array(label, dtype=np.uint8, copy=True)
    changed = int(np.count_nonzero(take & (new != pred)))
    new[take] = pred[take]
    return new, changed


def correct_with_prediction(label, prediction, active, threshold_bins):
    """The release's update of an image's label with its previous visit's prediction.

    Only the previous crop is touched, and only when the label there holds at least
    one active class; there, pixels predicted as an active class c with a quantised
    probability >= tau_c take that class.

    Args:
        label (ndarray): uint8 [H, W] label at the prediction's full resolution.
        prediction (Prediction): the previous visit's prediction.
        active (ndarray): bool [C].
        threshold_bins (ndarray): float [C].

    Returns:
        tuple[ndarray, int]: the label (the same object when nothing changed) and
        the number of changed pixels.
    """
    if tuple(label.shape) != tuple(prediction.full_shape):
        raise ValueError(f'label of shape {label.shape} and a prediction for an image '
                         f'of shape {tuple(prediction.full_shape)}')
    y1, y2, x1, x2 = prediction.box
    region = label[y1:y2, x1:x2]
    present = np.bincount(region.ravel(), minlength=256) > 0
    if not (present[:len(active)] & np.asarray(active, dtype=bool)).any():
        return label, 0
    new_region, changed = correct_label(region, prediction.pred, prediction.prob,
                                        active, threshold_bins)
    if not changed:
        return label, 0
    new = label.copy()
    new[y1:y2, x1:x2] = new_region
    return new, changed
