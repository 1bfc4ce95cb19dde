"""Tests for kmeanslab.selection.gap_statistic: its formulas, the
one-standard-error pick and the reference sampler."""

import numpy as np
import pytest

from kmeanslab import kmeans
from kmeanslab.selection import gap_statistic
from kmeanslab.selection._gap import ReferenceSampler, one_se_pick

# Results do not depend on the thread count; on small data one thread avoids
# the parallel kernels' start-up cost (large on a busy machine), so the tests
# that make hundreds of small fits use it.
SMALL_DATA_THREADS = 1


@pytest.mark.parametrize("reference", ["uniform", "pca"])
def test_gap_picks_true_k_on_separated_blobs(four_blobs, reference):
    # Best of 10 starts: with one k-means++ start the k=2 fit of this data
    # lands in a local optimum (inertia 2767 instead of 2205), which lowers
    # Gap(2) below Gap(1) - s_1 and makes the 1-SE rule stop at k=1.
    result = gap_statistic(four_blobs, range(1, 7), n_refs=10, reference=reference,
                           random_state=0, n_init=10, n_threads=SMALL_DATA_THREADS)
    assert result.best_k == 4
    assert result.ks == tuple(range(1, 7))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gap_picks_one_on_uniform_noise(seed):
    # k = 1 is allowed by gap_statistic (not by choose_k, whose silhouette
    # needs k >= 2): it is how the gap says "no cluster structure".
    X = np.random.default_rng(seed).uniform(size=(400, 2))
    result = gap_statistic(X, range(1, 7), n_refs=10, random_state=seed,
                           n_threads=SMALL_DATA_THREADS)
    assert result.best_k == 1


def test_gap_formulas(four_blobs):
    result = gap_statistic(four_blobs, [2, 3, 4], n_refs=4, random_state=5)
    log_wk = [np.log(kmeans(four_blobs, k, random_state=5).inertia) for k in (2, 3, 4)]
    np.testing.assert_allclose(result.log_wk, log_wk, rtol=1e-12)
    assert result.ref_log_wk.shape == (3, 4)
    np.testing.assert_allclose(result.gap, result.ref_log_wk.mean(axis=1) - result.log_wk)
    np.testing.assert_allclose(result.gap_se,
                               result.ref_log_wk.std(axis=1) * np.sqrt(1 + 1 / 4))


def test_one_standard_error_rule():
    ks = (1, 2, 3, 4)
    se = np.full(4, 0.1)
    # Gap(2) = 0.5 >= Gap(3) - s_3 = 0.45: k = 2 although Gap(3) is larger.
    assert one_se_pick(ks, np.array([0.1, 0.5, 0.55, 0.5]), se) == (2, "rule")
    # Rising throughout: the largest k, flagged as the edge of the range.
    assert one_se_pick(ks, np.array([0.1, 0.5, 0.8, 1.2]), se) == (4, "largest")
    # NaN gaps (W_k = 0) are passed over.
    assert one_se_pick(ks, np.array([0.1, np.nan, 0.05, 0.5]), se) == (1, "rule")
    assert one_se_pick(ks, np.array([np.nan, 0.3, np.nan, np.nan]), se) == (2, "only")
    assert one_se_pick(ks, np.full(4, np.nan), se) == (None, None)


@pytest.mark.parametrize("reference", ["uniform", "pca"])
def test_reference_sets_fill_the_bounding_box(reference):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2)) @ np.array([[3.0, 1.0], [0.0, 0.2]])
    sampler = ReferenceSampler(X, reference)
    Z = sampler.draw(np.random.default_rng(1))
    assert Z.shape == X.shape and Z.dtype == X.dtype
    if reference == "uniform":
        assert (Z.min(axis=0) >= X.min(axis=0)).all()
        assert (Z.max(axis=0) <= X.max(axis=0)).all()
    else:
        rotated = (Z - sampler.mean) @ sampler.axes.T
        assert (rotated.min(axis=0) >= sampler.low - 1e-9).all()
        assert (rotated.max(axis=0) <= sampler.high + 1e-9).all()


def test_gap_rejects_k_above_distinct_rows():
    X = np.repeat(np.eye(3), 5, axis=0)
    with pytest.raises(ValueError, match="only 3 distinct rows"):
        gap_statistic(X, [1, 2, 4], n_refs=2)
    with pytest.raises(ValueError, match="reference"):
        gap_statistic(X, [1, 2], reference="gaussian")
