"""When to start correcting a class: the early-learning trigger (docs/method.md §5).

As in the reference release: a cubic is fitted with ``numpy.polyfit`` to the class's
training-IoU records since its last start, at x = 1..n (one unit per record), and the
class starts when the relative change of the fitted slope between the first and the
last record, | |f'(n)| - |f'(1)| | / |f'(1)|, lies strictly between ``trigger``
(0.95) and 1. The test is two-sided: it fires when the slope has fallen to under 5%
of its start value (the early-learning end, after ADELE) and also when it has grown
to between 1.95 and 2 times it. Windows of fewer than 4 records are fitted too (the
release does; ``polyfit`` then returns its minimum-norm solution).
"""
import math
import warnings

import numpy as np

MIN_POINTS = 1  # the release fits any non-empty window
_EPS_X = 1e-6  # the release evaluates the slope at x + 1e-6


def slope_change(ious):
    """| |f'(n)| - |f'(1)| | / |f'(1)| of the cubic fitted to ``ious`` at x = 1..n.

    Args:
        ious (Sequence[float]): IoU records of one class, oldest first.

    Returns:
        float: the relative change; NaN for an empty window, a window holding a NaN
        record (a queue without pixels of the class) or a zero start slope.
    """
    y = np.asarray(ious, dtype=np.float64)
    if y.size == 0 or not np.isfinite(y).all():
        return math.nan
    x = np.arange(1, y.size + 1, dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', np.exceptions.RankWarning)
        a, b, c, _ = np.polyfit(x, y, 3)

    def slope(v):
        v = v + _EPS_X
        return 3 * a * v**2 + 2 * b * v + c

    start = abs(slope(1.0))
    if start == 0:
        return math.nan
    return abs(abs(slope(float(y.size))) - start) / start


def should_trigger(ious, trigger=0.95, min_points=MIN_POINTS):
    """Whether ``trigger < slope_change(ious) < 1`` (NaN never triggers)."""
    if len(ious) < max(min_points, 1):
        return False
    change = slope_change(ious)
    return bool(trigger < change < 1.0)
