"""When to start correcting a class: the early-learning trigger (DESIGN §3.5).

A cubic polynomial is fitted to the class's training-IoU history (iteration, IoU);
once its slope at the latest point has fallen to (1 - trigger) of its slope at the
first point, the class has learnt its clean part and correction starts (after ADELE).
"""
import math

import numpy as np

MIN_POINTS = 5  # a cubic has 4 coefficients; one more so the fit is not an interpolation


def slope_drop(iters, ious, degree=3):
    """Relative drop of the fitted slope, 1 - |f'(t_now)| / |f'(t_start)|.

    Args:
        iters (Sequence[float]): iterations of the history points (increasing).
        ious (Sequence[float]): IoU at those iterations.
        degree (int): polynomial degree of the fit.

    Returns:
        float: the drop, or NaN when there are too few points to fit or the start
        slope is zero.
    """
    t = np.asarray(iters, dtype=np.float64)
    y = np.asarray(ious, dtype=np.float64)
    if len(t) <= degree or np.ptp(t) == 0:
        return math.nan
    # Polynomial.fit maps t onto [-1, 1] first, so large iteration numbers stay well
    # conditioned
    slope = np.polynomial.Polynomial.fit(t, y, degree).deriv()
    start, now = abs(slope(t[0])), abs(slope(t[-1]))
    if start <= np.finfo(np.float64).eps * max(1.0, np.abs(y).max()):
        return math.nan
    return 1.0 - now / start


def should_trigger(iters, ious, trigger=0.95, min_points=MIN_POINTS):
    """Whether the slope of the IoU history has dropped by at least ``trigger``."""
    if len(iters) < max(min_points, 4):
        return False
    drop = slope_drop(iters, ious)
    return not math.isnan(drop) and drop >= trigger
