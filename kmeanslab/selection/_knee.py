"""Finding the knee (or elbow) of a curve: :func:`find_knee`, the Kneedle
method, and its result :class:`KneeResult`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np

__all__ = ["KneeResult", "find_knee"]

# Differences of the normalised (unit-range) Kneedle curve closer than this
# count as ties, so that rescaling x or y, which perturbs the normalised
# values by a few ulps, cannot move the knee.
_KNEE_TIE_TOL = 1e-10


@dataclass(frozen=True, eq=False)
class KneeResult:
    """The outcome of :func:`find_knee`.

    Attributes
    ----------
    knee : int, float or None
        x at the knee, as given in ``x``; None when there is no knee.
    knee_y : int, float or None
        y at the knee.
    knee_index : int or None
        Position of the knee in ``x`` and ``y``.
    x_normalized, y_normalized : ndarray of shape (n_points,)
        x and y rescaled to [0, 1], in the order given.
    difference : ndarray of shape (n_points,)
        Kneedle's difference curve (the transformed, normalised y minus the
        transformed, normalised x), in the order given; the knee is one of
        its local maxima.
    curve : str
    direction : str
    S : float
        Sensitivity used.
    """

    knee: object
    knee_y: object
    knee_index: object
    x_normalized: np.ndarray = field(repr=False)
    y_normalized: np.ndarray = field(repr=False)
    difference: np.ndarray = field(repr=False)
    curve: str = "convex"
    direction: str = "decreasing"
    S: float = 1.0


def _check_curve(x, y, curve, direction, S):
    if curve not in ("convex", "concave"):
        raise ValueError(f"curve must be 'convex' or 'concave', got {curve!r}")
    if direction not in ("increasing", "decreasing"):
        raise ValueError(
            f"direction must be 'increasing' or 'decreasing', got {direction!r}")
    if isinstance(S, bool) or not isinstance(S, numbers.Real):
        raise TypeError(f"S must be a non-negative number, got {S!r}")
    if not np.isfinite(S) or S < 0:
        raise ValueError(f"S must be a finite number >= 0, got {S}")
    arrays = []
    for name, values in (("x", x), ("y", y)):
        try:
            arr = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a sequence of numbers") from None
        if arr.ndim != 1:
            raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
        if not np.isfinite(arr).all():
            raise ValueError(f"{name} contains NaN or infinity")
        arrays.append(arr)
    x_arr, y_arr = arrays
    if x_arr.shape != y_arr.shape:
        raise ValueError(f"x and y must have the same length, got {x_arr.shape[0]} "
                         f"and {y_arr.shape[0]}")
    if x_arr.shape[0] < 3:
        raise ValueError(f"find_knee needs at least 3 points, got {x_arr.shape[0]}")
    steps = np.diff(x_arr)
    if not ((steps > 0).all() or (steps < 0).all()):
        raise ValueError("x must be strictly monotone (all increasing or all "
                         "decreasing, no repeated values)")
    return x_arr, y_arr, float(S)


def _unit_range(values):
    span = values.max() - values.min()
    if span == 0:
        return np.zeros_like(values)
    return (values - values.min()) / span


def find_knee(x, y, *, curve="convex", direction="decreasing", S=1.0):
    """Find the knee (or elbow) of a curve with the Kneedle method.

    Parameters
    ----------
    x : array-like of shape (n_points,)
        Strictly monotone positions (for example the ks tried), at least 3.
    y : array-like of shape (n_points,)
        Values at ``x`` (for example the inertia of each k).
    curve : {"convex", "concave"}, default="convex"
        Shape of y as a function of increasing x. An inertia curve is convex.
    direction : {"increasing", "decreasing"}, default="decreasing"
        Whether y rises or falls with increasing x.
    S : float, default=1.0
        Sensitivity: how far (in units of the mean normalised x step) the
        difference curve must fall after a local maximum for that maximum to
        count as the knee. Larger is more conservative; 0 takes the first
        local maximum that is followed by any decrease. Named ``S`` as in the
        paper and in kneed.

    Returns
    -------
    KneeResult
        ``knee`` (an x value, or None when the curve has no knee, as for a
        straight line), ``knee_y``, ``knee_index`` and the normalised curves.

    Raises
    ------
    ValueError
        If x and y differ in length, have fewer than 3 points or non-finite
        values, if x is not strictly monotone, or if ``curve``,
        ``direction`` or ``S`` is invalid.

    See Also
    --------
    choose_k : uses the knee of the inertia curve as its "elbow" pick.

    Notes
    -----
    Satopää, Albrecht, Irwin & Raghavan (2011), "Finding a 'Kneedle' in a
    Haystack". x and y are rescaled to [0, 1]; the curve is reflected so that
    it becomes concave and increasing (convex-decreasing: y -> 1 - y;
    convex-increasing: both flipped; concave-decreasing: x -> 1 - x), and
    the difference curve is the transformed y minus the transformed x. At
    each local maximum of that curve a threshold ``max - S / (n_points - 1)``
    is set; the first maximum after which the difference falls below its
    threshold before another local maximum is reached is the knee. Because
    only the normalised curve is used, the result is unchanged by any
    positive affine rescaling of x or y (differences within 1e-10 of the unit
    range count as ties so that rounding cannot move the knee). Time
    O(n_points).

    Examples
    --------
    >>> from kmeanslab.selection import find_knee
    >>> ks = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    >>> inertia = [100.0, 55.0, 20.0, 16.0, 13.0, 11.0, 9.5, 8.0, 7.0, 6.0]
    >>> find_knee(ks, inertia).knee
    3
    >>> find_knee([0, 1, 2, 3], [3.0, 2.0, 1.0, 0.0]).knee is None
    True
    """
    x_arr, y_arr, S = _check_curve(x, y, curve, direction, S)
    x_norm = _unit_range(x_arr)
    y_norm = _unit_range(y_arr)
    # Transformed x (t) and y (u) such that u(t) is concave and increasing.
    flip_x = (curve == "convex") == (direction == "increasing")
    t = 1.0 - x_norm if flip_x else x_norm
    u = 1.0 - y_norm if curve == "convex" else y_norm
    difference = u - t
    knee_index = _kneedle_scan(difference, np.argsort(t, kind="stable"), S)
    if knee_index is None:
        knee = knee_y = None
    else:
        knee = np.asarray(x)[knee_index].item()
        knee_y = np.asarray(y)[knee_index].item()
    return KneeResult(knee=knee, knee_y=knee_y, knee_index=knee_index,
                      x_normalized=x_norm, y_normalized=y_norm,
                      difference=difference, curve=curve, direction=direction, S=S)


def _kneedle_scan(difference, order, S):
    """Index of the first local maximum of ``difference`` (visited in
    ``order``) after which it drops below that maximum minus S times the mean
    step of the normalised x, before the next local maximum; None if none."""
    d = difference[order]
    n = d.shape[0]
    drop = S / (n - 1)
    is_max = np.zeros(n, dtype=bool)
    # A plateau counts once, at its first point.
    is_max[1:-1] = ((d[1:-1] - d[:-2] > _KNEE_TIE_TOL)
                    & (d[1:-1] - d[2:] >= -_KNEE_TIE_TOL))
    candidate = None
    threshold = 0.0
    for pos in range(n):
        if is_max[pos]:
            candidate, threshold = pos, d[pos] - drop
        elif candidate is not None and d[pos] < threshold - _KNEE_TIE_TOL:
            return int(order[candidate])
    return None
