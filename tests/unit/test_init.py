"""Tests for the seeding (``kmeanslab.init``): k-means++ against
scikit-learn, "random" through the backend's weighted sampling, k-means||
(Bahmani et al. 2012: a few oversampling rounds, candidates weighted by the
sample weight they attract, reduced to n_clusters by weighted k-means++ and
Lloyd; it should seed every blob of well-separated data, weights must steer
it, and it depends only on the inputs and ``random_state``, not on the
thread count), and ``init_centers`` for names, arrays and callables."""

import numba
import numpy as np
import pytest
from sklearn.cluster import kmeans_plusplus as sk_kmeans_plusplus
from sklearn.datasets import make_blobs
from sklearn.utils import check_random_state

import kmeanslab
from kmeanslab import KMeans, kmeans, kmeans_plusplus
from kmeanslab._kernels.common import block_starts
from kmeanslab.backends import get_backend
from kmeanslab.init import init_centers, parallel_init, random_init
from kmeanslab.metrics import centroid_index

DTYPES = [pytest.param(np.float64, id="float64"),
          pytest.param(np.float32, id="float32")]
WEIGHTS = [pytest.param(False, id="unweighted"), pytest.param(True, id="weighted")]


# --- k-means++ -------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", WEIGHTS)
def test_kmeans_plusplus_matches_sklearn(random_seed, dtype, weighted):
    X, _ = make_blobs(n_samples=500, centers=6, n_features=3,
                      random_state=random_seed)
    X = X.astype(dtype)
    sw = (np.random.RandomState(random_seed).uniform(0.2, 3.0, X.shape[0])
          if weighted else None)
    centers, indices = kmeans_plusplus(X, 6, sample_weight=sw,
                                       random_state=random_seed)
    sk_centers, sk_indices = sk_kmeans_plusplus(X, 6, sample_weight=sw,
                                                random_state=random_seed)
    np.testing.assert_array_equal(indices, sk_indices)
    np.testing.assert_array_equal(centers, sk_centers)
    assert centers.dtype == dtype


# --- random ----------------------------------------------------------------------

def test_random_init_draws_distinct_weighted_samples(random_seed):
    """scikit-learn's "random" init stream; zero-weight samples are never
    drawn."""
    rng = np.random.RandomState(random_seed)
    X = rng.normal(size=(100, 3))
    sw = rng.uniform(0.5, 2.0, 100)
    sw[:50] = 0.0
    centers, indices = random_init(get_backend(X, sw), 5,
                                   check_random_state(random_seed))
    expected = np.random.RandomState(random_seed).choice(
        100, size=5, replace=False, p=sw / sw.sum())
    np.testing.assert_array_equal(indices, expected)
    np.testing.assert_array_equal(centers, X[indices])


# --- k-means|| ---------------------------------------------------------------------

N_BLOBS = 20
BLOB_ROWS = 100
# Rows per blob for the thread test: 6000 rows make several row blocks, so
# threads have work to split.
THREAD_BLOB_ROWS = 300
SPACING = 100.0  # blob centres this far apart, each blob of standard deviation 1

needs_two_threads = pytest.mark.skipif(
    numba.config.NUMBA_NUM_THREADS < 2,
    reason="numba has a single thread here; nothing to compare")


def _grid_blobs(n_blobs, rows, seed, dtype=np.float64):
    """(X, centres): n_blobs tight Gaussian blobs on a grid 100 apart, rows
    samples each, blob b in X[b * rows:(b + 1) * rows]."""
    rng = np.random.default_rng(seed)
    centres = np.array([(i, j) for i in range(5) for j in range(-(-n_blobs // 5))],
                       dtype=np.float64)[:n_blobs] * SPACING
    X = np.concatenate([c + rng.normal(size=(rows, 2)) for c in centres])
    return X.astype(dtype), centres


def _seed(X, n_clusters, random_state, sample_weight=None, n_threads=1):
    """parallel_init on the CPU backend of X (one thread unless told: the
    results do not depend on it and a busy machine makes threads slow)."""
    sw = (np.ones(X.shape[0], dtype=X.dtype) if sample_weight is None
          else np.asarray(sample_weight, dtype=X.dtype))
    backend = get_backend(np.ascontiguousarray(X), sw)
    with kmeanslab.thread_limit(n_threads):
        centers, indices = parallel_init(backend, n_clusters,
                                         check_random_state(random_state))
    assert indices is None
    assert centers.shape == (n_clusters, X.shape[1])
    return centers


@pytest.fixture
def grid_blobs(random_seed):
    return _grid_blobs(N_BLOBS, BLOB_ROWS, random_seed)


def test_seeds_every_blob(grid_blobs):
    X, truth = grid_blobs
    hits = sum(centroid_index(_seed(X, N_BLOBS, s), truth) == 0
               for s in range(20))
    assert hits >= 18


def test_zero_weight_blobs_get_no_seed(random_seed):
    # 25 blobs, the last 5 of weight 0, 20 seeds: each must land in one of
    # the 20 weighted blobs, one per blob.
    X, truth = _grid_blobs(25, 120, random_seed)
    sample_weight = np.ones(len(X))
    sample_weight[20 * 120:] = 0.0
    for s in range(5):
        centers = _seed(X, 20, s, sample_weight)
        nearest = ((centers[:, None, :] - truth[None]) ** 2).sum(-1).argmin(1)
        assert nearest.max() < 20
        assert centroid_index(centers, truth[:20]) == 0


def test_heavy_point_dominates(random_seed):
    # One point with weight 1e9 far from 500 points of weight 1: the single
    # seed is the weighted mean of the candidates, within 500 / 1e9 of the
    # way to the others.
    rng = np.random.default_rng(random_seed)
    heavy = np.array([50.0, 50.0])
    X = np.vstack([rng.normal(size=(500, 2)), heavy])
    sample_weight = np.ones(len(X))
    sample_weight[-1] = 1e9
    for s in range(3):
        np.testing.assert_allclose(_seed(X, 1, s, sample_weight)[0], heavy,
                                   atol=1e-3)
        assert np.any(np.all(_seed(X, 3, s, sample_weight) == heavy, axis=1))


def test_reproducible_with_same_random_state(grid_blobs):
    X, _ = grid_blobs
    np.testing.assert_array_equal(_seed(X, N_BLOBS, 11), _seed(X, N_BLOBS, 11))
    a = kmeans(X, N_BLOBS, init="k-means||", random_state=11, max_iter=3,
               n_threads=1)
    b = kmeans(X, N_BLOBS, init="k-means||", random_state=11, max_iter=3,
               n_threads=1)
    np.testing.assert_array_equal(a.trace.runs[0].init_centers,
                                  b.trace.runs[0].init_centers)
    np.testing.assert_array_equal(a.centers, b.centers)


def test_different_random_states_differ(grid_blobs):
    X, _ = grid_blobs
    assert not np.array_equal(_seed(X, N_BLOBS, 1), _seed(X, N_BLOBS, 2))


@needs_two_threads
def test_identical_with_1_and_2_threads(random_seed):
    X, _ = _grid_blobs(N_BLOBS, THREAD_BLOB_ROWS, random_seed)
    assert len(block_starts(X.shape[0])) - 1 >= 2
    one = _seed(X, N_BLOBS, 5, n_threads=1)
    two = _seed(X, N_BLOBS, 5, n_threads=2)
    np.testing.assert_array_equal(one, two)
    fits = [KMeans(N_BLOBS, init="k-means||", random_state=5, max_iter=5,
                   n_threads=n).fit(X) for n in (1, 2)]
    np.testing.assert_array_equal(fits[0].trace_.runs[0].init_centers,
                                  fits[1].trace_.runs[0].init_centers)
    np.testing.assert_array_equal(fits[0].cluster_centers_,
                                  fits[1].cluster_centers_)


def test_float32(random_seed):
    X, truth = _grid_blobs(N_BLOBS, BLOB_ROWS, random_seed, dtype=np.float32)
    centers = _seed(X, N_BLOBS, 0)
    assert centers.dtype == np.float32
    assert centroid_index(centers, truth) == 0
    result = kmeans(X, N_BLOBS, init="k-means||", random_state=0, n_threads=1)
    assert result.trace.runs[0].init_centers.dtype == np.float32
    assert result.centers.dtype == np.float32
    assert centroid_index(result.centers, truth) == 0


def test_more_clusters_than_distinct_points():
    # Four distinct points, n_clusters=6: too few distinct candidates, the
    # seeding tops up with samples and still returns n_clusters centres.
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [5.0, 5.0]]), 3,
                  axis=0)
    centers = _seed(X, 6, 0)
    assert {tuple(c) for c in centers} == {tuple(x) for x in X}


# --- init_centers ---------------------------------------------------------------------

def test_callable_init(blobs):
    X, init = blobs

    def my_init(X_, n_clusters, random_state):
        assert X_.shape == X.shape
        return init

    a = kmeans(X, 3, init=my_init)
    b = kmeans(X, 3, init=init)
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.centers, b.centers)


def test_init_centers_maps_arrays_and_callables_to_the_working_space():
    X = np.arange(12.0).reshape(6, 2)
    backend = get_backend(X, np.ones(6))
    user = np.array([[0.0, 1.0], [4.0, 5.0]])

    def shift(centers):
        return centers - 1.0

    np.testing.assert_array_equal(
        init_centers(backend, user, 2, None, to_working=shift), user - 1.0)
    got = init_centers(backend, lambda X_, k, random_state: X_[:k], 2, None,
                       to_working=shift, X_user=X)
    np.testing.assert_array_equal(got, X[:2] - 1.0)


def test_init_centers_refuses_bad_callable_results():
    X = np.arange(12.0).reshape(6, 2)
    backend = get_backend(X, np.ones(6))
    with pytest.raises(ValueError, match=r"returned shape \(1, 2\)"):
        init_centers(backend, lambda X_, k, random_state: X_[:1], 2, None,
                     X_user=X)
    with pytest.raises(ValueError, match="not available"):
        init_centers(backend, "k-means+", 2, check_random_state(0))


@pytest.mark.parametrize("fmt", ["csr_matrix", "csr_array", "coo_matrix", "lil_array"])
@pytest.mark.parametrize("on", ["dense", "sparse", "dask"])
def test_sparse_init_array_is_refused_in_one_line(fmt, on):
    # Issue 18: a sparse init array was wrapped in a 0-d object array and
    # refused as non-numeric. scikit-learn refuses sparse init as well; the
    # message names init and the way out, whatever X is.
    import scipy.sparse as sp

    X = np.random.default_rng(0).normal(size=(30, 3))
    data = {"dense": lambda: X, "sparse": lambda: sp.csr_matrix(X),
            "dask": lambda: pytest.importorskip("dask.array").from_array(
                X, chunks=(10, 3))}[on]()
    init = getattr(sp, fmt)(X[:2])
    with pytest.raises(TypeError, match=r"init must be a dense array .* pass "
                       r"init\.toarray\(\)") as info:
        KMeans(2, init=init, n_init=1).fit(data)
    assert "\n" not in str(info.value)
    assert type(init).__name__ in str(info.value)


def test_dask_array_of_sparse_blocks_as_init_is_refused():
    import scipy.sparse as sp

    da = pytest.importorskip("dask.array")
    X = np.random.default_rng(0).normal(size=(30, 3))
    init = da.from_array(X[:2], chunks=(1, 3)).map_blocks(sp.csr_matrix)
    with pytest.raises(TypeError, match=r"sparse blocks .* init\.compute\(\)"
                       r"\.toarray\(\)"):
        KMeans(2, init=init, n_init=1).fit(X)


def test_sparse_result_of_an_init_callable_is_densified():
    # A callable's k x d centres may come back sparse (slicing a sparse X):
    # they are densified, and the fit is that of the same centres dense.
    import scipy.sparse as sp

    X = np.random.default_rng(0).normal(size=(30, 3))
    Xs = sp.csr_matrix(X)
    a = KMeans(2, init=lambda X_, k, random_state: X_[:k], n_init=1).fit(Xs)
    b = KMeans(2, init=X[:2], n_init=1).fit(Xs)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
