"""kmeanslab.metrics.centroid_index on hand-made sets of centres.

CI (Fränti, Rezaei & Zhao 2014): map every centre of one set to its nearest
centre of the other; centres nothing maps to are orphans; CI is the larger
orphan count of the two directions.
"""

import numpy as np
import pytest

from kmeanslab.metrics import centroid_index

# Six true centres, far apart compared with the small offsets used below.
TRUTH = np.array([[0.0, 0.0], [10.0, 0.0], [20.0, 0.0],
                  [0.0, 10.0], [10.0, 10.0], [20.0, 10.0]])


def _moved(centers, moves):
    """Copy of centers where, for each (i, j) in moves, centre i sits just
    beside centre j: true cluster i has no centre and cluster j has two."""
    out = centers.copy()
    for i, j in moves:
        out[i] = centers[j] + [0.3, 0.2]
    return out


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_identical_sets(dtype):
    assert centroid_index(TRUTH.astype(dtype), TRUTH.astype(dtype)) == 0


def test_permuted_and_jittered_rows():
    rng = np.random.default_rng(0)
    found = TRUTH[rng.permutation(len(TRUTH))] + rng.uniform(-1, 1, TRUTH.shape)
    assert centroid_index(TRUTH, found) == 0
    assert centroid_index(found, TRUTH) == 0


@pytest.mark.parametrize("moves, expected", [
    pytest.param([(2, 1)], 1, id="one-moved"),
    pytest.param([(2, 1), (3, 4)], 2, id="two-moved"),
    pytest.param([(2, 1), (5, 1)], 2, id="two-moved-onto-one"),
])
def test_moved_centres_are_counted(moves, expected):
    found = _moved(TRUTH, moves)
    assert centroid_index(TRUTH, found) == expected
    assert centroid_index(found, TRUTH) == expected


def test_returns_python_int():
    assert type(centroid_index(TRUTH, _moved(TRUTH, [(0, 1)]))) is int


def test_superset_counts_its_extra_centres():
    # b covers every cluster of a and has two extra centres beside a's first
    # two: mapping a -> b leaves those two centres of b orphaned, while b -> a
    # hits every centre of a. CI takes the larger count, in either order.
    b = np.vstack([TRUTH, TRUTH[:2] + [0.3, 0.2]])
    assert centroid_index(TRUTH, b) == 2
    assert centroid_index(b, TRUTH) == 2


def test_different_sizes_orphans_in_each_direction():
    a = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 30.0]])
    # b: nothing near a's third centre and three centres around its second.
    b = np.array([[0.0, 0.0], [10.0, 0.0], [10.5, 0.0], [11.0, 0.0]])
    # a -> b hits b[0] and b[1] (also a[2]'s nearest): 2 orphans in b;
    # b -> a hits a[0], a[1]: 1 orphan in a. The larger count is the index.
    assert centroid_index(a, b) == 2
    assert centroid_index(b, a) == 2
    # With b's extra centres gone only a's unmatched centre remains.
    assert centroid_index(a, b[:2]) == 1


def test_single_centre_against_many():
    one = np.array([[5.0, 5.0]])
    assert centroid_index(one, TRUTH) == len(TRUTH) - 1
    assert centroid_index(TRUTH, one) == len(TRUTH) - 1


def test_mismatched_n_features_raises():
    with pytest.raises(ValueError, match="centers_a"):
        centroid_index(TRUTH, np.hstack([TRUTH, TRUTH[:, :1]]))


@pytest.mark.parametrize("which", ["centers_a", "centers_b"])
def test_nan_raises(which):
    bad = TRUTH.copy()
    bad[1, 0] = np.nan
    args = (bad, TRUTH) if which == "centers_a" else (TRUTH, bad)
    with pytest.raises(ValueError, match=f"{which} contains NaN"):
        centroid_index(*args)
