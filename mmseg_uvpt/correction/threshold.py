"""Per-class confidence thresholds from quantised probability histograms (DESIGN §3.5).

tau_c is the q-quantile of the max-probability over all pixels predicted as c in
every image's latest stored prediction. Probabilities are stored as uint8 (0..255),
so one [C, 256] histogram summed over images holds everything the quantile needs:
when an image's prediction is replaced, its old histogram is subtracted and the new
one added, and the quantile is a cumulative search, never a re-read of the store.
Thresholds are kept in bin units (0..255, float) so comparing a stored uint8
probability with one never suffers float round-off.
"""
import numpy as np

NUM_BINS = 256
NO_PREDICTION = 255  # pred value for pixels without a prediction (outside the crop)


def quantise_prob(prob):
    """Probability in [0, 1] to uint8 bins, round to nearest."""
    return np.clip(np.rint(np.asarray(prob, dtype=np.float64) * (NUM_BINS - 1)), 0,
                   NUM_BINS - 1).astype(np.uint8)


def class_prob_histogram(pred, prob_bin, num_classes):
    """Histogram of quantised probabilities per predicted class.

    Args:
        pred (ndarray): predicted class ids [H, W]; ids outside ``[0, num_classes)``
            (e.g. ``NO_PREDICTION``) are skipped.
        prob_bin (ndarray): uint8 quantised max-probabilities, same shape.
        num_classes (int): number of classes C.

    Returns:
        ndarray: int64 [C, 256].
    """
    pred = np.asarray(pred).astype(np.int64)
    valid = (pred >= 0) & (pred < num_classes)
    index = pred[valid] * NUM_BINS + np.asarray(prob_bin, dtype=np.int64)[valid]
    return np.bincount(index,
                       minlength=num_classes * NUM_BINS).reshape(num_classes, NUM_BINS)


def quantile_bins(hist, q):
    """Per-class q-quantile of the histogrammed values, in bin units.

    Follows numpy's default ('linear') quantile: the virtual index q*(n-1) into the
    sorted values, interpolated between its two neighbours. On values that sit
    exactly on bins this equals ``numpy.quantile``; on raw probabilities it is within
    half a bin of it.

    Args:
        hist (ndarray): int [C, 256] counts.
        q (float): quantile in [0, 1].

    Returns:
        ndarray: float64 [C]; ``inf`` for classes with no pixels, so no pixel ever
        reaches their threshold.
    """
    if not 0.0 <= q <= 1.0:
        raise ValueError(f'quantile must be in [0, 1], got {q}')
    hist = np.asarray(hist, dtype=np.int64)
    out = np.full(hist.shape[0], np.inf)
    for c, counts in enumerate(hist):
        total = counts.sum()
        if total == 0:
            continue
        cum = np.cumsum(counts)
        position = q * (total - 1)
        lower, frac = int(np.floor(position)), position - np.floor(position)
        # the k-th smallest value (0-based) lies in the first bin whose cumsum > k
        low_bin, high_bin = np.searchsorted(cum, [lower, min(lower + 1, total - 1)],
                                            side='right')
        out[c] = low_bin + frac * (high_bin - low_bin)
    return out
