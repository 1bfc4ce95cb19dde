"""Yinyang k-means (group bounds): the same result as Lloyd from the same
start, and groups that partition the centres."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from kmeanslab import KMeans
from kmeanslab._kernels import yinyang


def _fit(X, k, init, algorithm, sample_weight=None, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return KMeans(k, init=init, n_init=1, algorithm=algorithm, **kw).fit(
            X, sample_weight=sample_weight)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("n_features", [1, 2, 5, 20])
@pytest.mark.parametrize("n_clusters", [1, 7, 45])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_equals_lloyd(random_seed, dtype, n_features, n_clusters, weighted):
    rng = np.random.default_rng(random_seed)
    X, _ = make_blobs(1500, n_features=n_features, centers=12, cluster_std=3.0,
                      random_state=random_seed)
    X = X.astype(dtype)
    w = rng.uniform(0.0, 2.0, X.shape[0]) if weighted else None
    init = X[rng.choice(X.shape[0], n_clusters, replace=False)]
    lloyd = _fit(X, n_clusters, init, "lloyd", w, tol=0)
    yy = _fit(X, n_clusters, init, "yinyang", w, tol=0)
    np.testing.assert_array_equal(yy.labels_, lloyd.labels_)
    assert yy.n_iter_ == lloyd.n_iter_
    rtol = 1e-5 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(yy.cluster_centers_, lloyd.cluster_centers_,
                               rtol=rtol, atol=rtol * np.abs(X).max())
    assert yy.inertia_ == pytest.approx(lloyd.inertia_, rel=rtol)
    # The trace's per-iteration inertia comes from the delta statistics.
    for a, b in zip(yy.trace_.runs[0].iterations, lloyd.trace_.runs[0].iterations):
        assert a.n_changed == b.n_changed
        assert a.inertia == pytest.approx(b.inertia, rel=1e-4 if dtype == np.float32 else 1e-9)


def test_equals_lloyd_with_duplicates_and_empty_clusters():
    # Four distinct points, six clusters: empty clusters every step.
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 3.0], [5.0, 5.0]]), 10, axis=0)
    init = X[[0, 1, 2, 10, 11, 12]]
    lloyd = _fit(X, 6, init, "lloyd")
    yy = _fit(X, 6, init, "yinyang")
    np.testing.assert_array_equal(yy.labels_, lloyd.labels_)
    assert yy.n_iter_ == lloyd.n_iter_
    assert yy.inertia_ == lloyd.inertia_ == 0.0


def test_groups_partition_the_centres():
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(57, 3))
    group_of = np.empty(57, dtype=np.int64)
    yinyang.group_centers(centers, 5, 5, group_of)
    assert set(group_of.tolist()) == set(range(5))  # every group non-empty
    # Deterministic.
    again = np.empty(57, dtype=np.int64)
    yinyang.group_centers(centers, 5, 5, again)
    np.testing.assert_array_equal(group_of, again)
