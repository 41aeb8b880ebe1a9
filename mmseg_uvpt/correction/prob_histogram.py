"""Per-class confidence thresholds from quantised probability histograms
(docs/method.md §5).

tau_c is the q-quantile (the release's sorted-index rule) of the max-probability over
all pixels predicted as c in every image's latest stored prediction. Probabilities are stored as uint8 (0..255),
so one [C, 256] histogram summed over images holds everything the quantile needs:
when an image's prediction is replaced, its old histogram is subtracted and the new
one added, and the quantile is a cumulative search, never a re-read of the store.
Thresholds are kept in bin units (0..255, float) so comparing a stored uint8
probability with one never suffers float round-off.
"""
import numpy as np

NUM_BINS = 256


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
    """Per-class threshold of the release: the sorted value at index round(q * n).

    The release sorts the max-probabilities of every pixel predicted as c (clamped to
    [0.001, 0.999] by its mixture) and takes ``x[round(q * n)]`` (numpy's
    round-half-to-even; the last value when that index is n), and 0 for a class no
    pixel is predicted as. Quantisation to 256 bins is monotone, so on the
    histogram of quantised values the same index gives exactly the quantised
    release threshold, within half a bin (0.5/255) of it; the clamp to 0.999 changes
    no bin (0.999 and 1.0 both round to 255) and max-probabilities never fall below
    1/C > 0.001.

    Args:
        hist (ndarray): int [C, 256] counts.
        q (float): quantile in [0, 1].

    Returns:
        ndarray: float64 [C] in bin units; 0 for classes with no pixels.
    """
    if not 0.0 <= q <= 1.0:
        raise ValueError(f'quantile must be in [0, 1], got {q}')
    hist = np.asarray(hist, dtype=np.int64)
    out = np.zeros(hist.shape[0])
    for c, counts in enumerate(hist):
        total = int(counts.sum())
        if total == 0:
            continue
        index = min(int(np.round(total * q)), total - 1)
        # the index-th smallest value (0-based) lies in the first bin whose cumsum
        # exceeds index
        out[c] = float(np.searchsorted(np.cumsum(counts), index, side='right'))
    return out
