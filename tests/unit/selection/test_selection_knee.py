"""Tests for kmeanslab.selection.find_knee (Kneedle), checked against a plain
NumPy reference on curves with a single bend."""

import numpy as np
import pytest

from kmeanslab import kmeans
from kmeanslab.selection import KneeResult, find_knee

# Results do not depend on the thread count; on small data one thread avoids
# the parallel kernels' start-up cost (large on a busy machine).
SMALL_DATA_THREADS = 1


def _reference_knee(x, y, curve, direction):
    """Plain NumPy Kneedle for curves with a single bend: the knee is the
    maximum of the difference curve of the normalised, reflected curve."""
    x_n = (x - x.min()) / (x.max() - x.min())
    y_n = (y - y.min()) / (y.max() - y.min())
    if curve == "convex" and direction == "decreasing":
        d = (1 - y_n) - x_n
    elif curve == "convex":
        d = x_n - y_n
    elif direction == "increasing":
        d = y_n - x_n
    else:
        d = y_n + x_n - 1
    return x[int(np.argmax(d))]


def test_knee_of_inverse_curve():
    # y = 1/x on 1..10: normalised difference 1 - y_n - x_n peaks at x = 3
    # (0.519, against 0.444 at 2 and 0.500 at 4) and falls below
    # 0.519 - 1/9 at x = 6.
    x = np.arange(1, 11)
    result = find_knee(x, 1.0 / x)
    assert isinstance(result, KneeResult)
    assert result.knee == 3 and result.knee_index == 2
    assert result.knee_y == pytest.approx(1 / 3)
    assert result.knee == _reference_knee(x, 1.0 / x, "convex", "decreasing")
    assert result.x_normalized[[0, -1]].tolist() == [0.0, 1.0]
    assert result.y_normalized[[0, -1]].tolist() == [1.0, 0.0]


def _corner_curve(curve, direction):
    """Piecewise-linear curve on x = 0..10 with its corner at x = 3 (convex,
    decreasing); reflections give the other shapes, corner at 3 or 7."""
    x = np.arange(11.0)
    base = np.where(x <= 3, 100.0 - 25.0 * x, 25.0 - (x - 3.0))
    if direction == "increasing" and curve == "convex":
        return x, base[::-1], 7
    if direction == "decreasing" and curve == "concave":
        return x, -base[::-1], 7
    if direction == "increasing":
        return x, -base, 3
    return x, base, 3


SHAPES = [("convex", "decreasing"), ("convex", "increasing"),
          ("concave", "increasing"), ("concave", "decreasing")]


@pytest.mark.parametrize("curve,direction", SHAPES, ids=[f"{c}-{d}" for c, d in SHAPES])
def test_knee_at_corner_of_piecewise_linear(curve, direction):
    x, y, corner = _corner_curve(curve, direction)
    result = find_knee(x, y, curve=curve, direction=direction)
    assert result.knee == corner
    assert result.knee == _reference_knee(x, y, curve, direction)
    # Given with x decreasing, the same point is found.
    assert find_knee(x[::-1], y[::-1], curve=curve, direction=direction).knee == corner


def test_knee_of_four_blob_inertia(four_blobs):
    ks = np.arange(1, 11)
    inertia = [kmeans(four_blobs, k, random_state=0, n_threads=SMALL_DATA_THREADS).inertia
               for k in ks]
    assert find_knee(ks, inertia).knee == 4


@pytest.mark.parametrize("direction", ["increasing", "decreasing"])
@pytest.mark.parametrize("curve", ["convex", "concave"])
def test_no_knee_on_straight_line(curve, direction):
    x = np.linspace(0.0, 7.0, 15)
    y = 3.0 * x + 1.0 if direction == "increasing" else 5.0 - 0.3 * x
    result = find_knee(x, y, curve=curve, direction=direction)
    assert result.knee is None and result.knee_y is None and result.knee_index is None
    assert np.abs(result.difference).max() < 1e-12


def test_no_knee_on_constant_y():
    assert find_knee([1, 2, 3, 4], [2.0, 2.0, 2.0, 2.0]).knee is None


@pytest.mark.parametrize("scale_x,shift_x,scale_y,shift_y", [
    (1.0, 0.0, 1e-6, 0.0), (1e3, -50.0, 1.0, 1e4), (0.1, 7.0, 37.5, -3.0)],
    ids=["tiny-y", "large-shift", "mixed"])
def test_knee_invariant_to_affine_rescaling(scale_x, shift_x, scale_y, shift_y):
    x = np.arange(1, 16, dtype=float)
    y = 1.0 / x + 0.02 * np.sin(x)
    knee = find_knee(x, y)
    moved = find_knee(scale_x * x + shift_x, scale_y * y + shift_y)
    assert moved.knee_index == knee.knee_index is not None
    np.testing.assert_allclose(moved.difference, knee.difference, atol=1e-12)


def test_sensitivity_makes_knee_conservative():
    x = np.arange(1, 11)
    y = 1.0 / x
    assert find_knee(x, y, S=0.0).knee == 3
    assert find_knee(x, y, S=10.0).knee is None


@pytest.mark.parametrize("x,y,kwargs,message", [
    ([1, 2, 3], [1, 2], {}, "same length"),
    ([1, 2], [1, 2], {}, "at least 3"),
    ([1, 2, np.nan], [1, 2, 3], {}, "x contains NaN"),
    ([1, 2, 3], [1, np.inf, 3], {}, "y contains NaN or infinity"),
    ([1, 3, 2], [1, 2, 3], {}, "strictly monotone"),
    ([1, 2, 2], [1, 2, 3], {}, "strictly monotone"),
    ([[1, 2, 3]], [1, 2, 3], {}, "1-D"),
    ([1, 2, 3], [3, 2, 1], {"curve": "wavy"}, "curve"),
    ([1, 2, 3], [3, 2, 1], {"direction": "up"}, "direction"),
    ([1, 2, 3], [3, 2, 1], {"S": -1.0}, "S must be"),
], ids=["lengths", "too-few", "nan-x", "inf-y", "non-monotone", "repeated-x", "2-d",
        "curve", "direction", "negative-S"])
def test_find_knee_rejects_bad_input(x, y, kwargs, message):
    with pytest.raises(ValueError, match=message):
        find_knee(x, y, **kwargs)
