"""The details scikit-learn's own k-means tests check
(``test_sklearn_kmeans_suite.py``), each tested here directly: the verbose
output, the error wording, the warning for a bounded algorithm with one
cluster, ``_n_init``, and bounded runs giving Lloyd's centres to the bit."""

import re

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from kmeanslab import KMeans, kmeans
from kmeanslab._driver import centring_shift


@pytest.mark.parametrize("tol, ending", [(0.0, r"strict convergence"),
                                         (1e-2, r"center shift .* within tolerance")])
def test_verbose_prints_sklearns_progress_lines(capsys, tol, ending):
    X = np.random.RandomState(0).normal(size=(500, 4))
    KMeans(3, init="random", n_init=1, random_state=0, tol=tol, verbose=1).fit(X)
    out = capsys.readouterr().out
    assert out.startswith("Initialization complete\n")
    assert re.search(r"Iteration 0, inertia [0-9.e+]+\.", out)
    assert re.search(ending, out)
    KMeans(3, init="random", n_init=1, random_state=0, tol=tol).fit(X)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("params, match", [
    (dict(n_clusters=11), r"n_clusters=11 is larger than n_samples=10: "
                          r"n_samples should be >= n_clusters"),
    (dict(n_clusters=3, init=np.zeros((2, 2))),
     r"The shape of the initial centers \(2, 2\) does not match the number of "
     r"clusters 3: init must have shape"),
    (dict(n_clusters=2, init=np.zeros((2, 3))),
     r"The shape of the initial centers \(2, 3\) does not match the number of "
     r"features of the data 2: init must have shape"),
    (dict(n_clusters=3, init=lambda X, k, random_state: X[:2]),
     r"does not match the number of clusters 3: the init callable returned "
     r"shape \(2, 2\)"),
], ids=["n_clusters", "init-clusters", "init-features", "callable"])
def test_error_wording(params, match):
    X = np.arange(20.0).reshape(10, 2)
    with pytest.raises(ValueError, match=match):
        KMeans(n_init=1, **params).fit(X)


@pytest.mark.parametrize("algorithm", ["elkan", "hamerly", "yinyang"])
def test_bounded_algorithm_with_one_cluster_warns_and_runs_lloyd(algorithm):
    X = np.arange(20.0).reshape(10, 2)
    with pytest.warns(RuntimeWarning, match=f"algorithm='{algorithm}' doesn't "
                      "make sense for a single cluster. Using 'lloyd' instead."):
        km = KMeans(1, algorithm=algorithm).fit(X)
    assert km.algorithm_ == "lloyd"


@pytest.mark.parametrize("init, expected", [
    ("k-means++", 1), ("random", 10), ("k-means||", 1),
    (lambda X, k, random_state: X[:k], 10), (np.zeros((2, 2)), 1),
], ids=["k-means++", "random", "k-means||", "callable", "array"])
def test_n_init_auto(init, expected):
    X = np.random.RandomState(0).normal(size=(30, 2))
    km = KMeans(2, init=init, n_init="auto", random_state=0).fit(X)
    assert km._n_init == expected == len(km.trace_.runs)


@pytest.mark.parametrize("tol", [0.0, 1e-2])
@pytest.mark.parametrize("algorithm", ["hamerly", "yinyang"])
def test_bounded_centres_are_lloyds(random_seed, algorithm, tol):
    """Clipped data (many features constant at 0 in a cluster): a bounded
    run gives Lloyd's centres exactly, zeros included."""
    X, _ = make_blobs(n_samples=600, centers=5, n_features=3,
                      random_state=random_seed)
    X[X < 0] = 0
    lloyd = KMeans(5, random_state=random_seed, n_init=1, tol=tol,
                   algorithm="lloyd").fit(X)
    bounded = KMeans(5, random_state=random_seed, n_init=1, tol=tol,
                     algorithm=algorithm).fit(X)
    np.testing.assert_array_equal(bounded.labels_, lloyd.labels_)
    assert bounded.n_iter_ == lloyd.n_iter_
    np.testing.assert_allclose(bounded.cluster_centers_, lloyd.cluster_centers_,
                               rtol=1e-12, atol=0)
    if lloyd.trace_.runs[0].stopped == "strict":
        np.testing.assert_array_equal(bounded.cluster_centers_,
                                      lloyd.cluster_centers_)


def test_constant_zero_feature_gives_exact_zero_centres():
    rng = np.random.RandomState(0)
    X = np.column_stack([rng.normal(size=1000), np.zeros(1000)])
    X[500:, 1] = rng.uniform(1.0, 2.0, 500)
    X[:500, 0] += 20.0
    km = KMeans(2, init=X[[0, 999]], algorithm="lloyd").fit(X)
    zero_cluster = km.labels_[0]
    assert km.cluster_centers_[zero_cluster, 1] == 0.0


def test_centring_shift_is_short_and_close():
    mean = np.array([0.1, -3.7e5, 1e-30, 0.0])
    shift = centring_shift(mean, np.float64, 1000)
    np.testing.assert_allclose(shift, mean, rtol=2.0 ** -40)
    # 53 - 10 bits: any 1000 copies add up exactly.
    for value in shift:
        assert float(np.sum(np.full(1000, value))) == 1000 * float(value)
    f32 = centring_shift(mean, np.float32, 1000)
    assert f32.dtype == np.float32
    np.testing.assert_array_equal(f32, mean.astype(np.float32))


def test_sparse_results_equal_dense_from_the_same_start():
    sp = pytest.importorskip("scipy.sparse")
    X, _ = make_blobs(n_samples=300, centers=3, random_state=0)
    X[X < 0] = 0
    init = X[:3].copy()
    dense = kmeans(X, 3, init=init, copy_x=False)
    sparse = kmeans(sp.csr_matrix(X), 3, init=init)
    np.testing.assert_array_equal(sparse.labels, dense.labels)
    np.testing.assert_allclose(sparse.centers, dense.centers, rtol=1e-12)
