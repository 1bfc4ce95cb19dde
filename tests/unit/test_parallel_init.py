"""k-means|| seeding (``init="k-means||"``, kmeanslab.init.parallel_init).

Bahmani et al. (2012): a few oversampling rounds, candidates weighted by the
sample weight they attract, reduced to n_clusters by weighted k-means++ and
Lloyd. On well-separated blobs it should seed every blob; weights must steer
it; and like every seeding here it depends only on the inputs and
``random_state``, not on the thread count.
"""

import numba
import numpy as np
import pytest
from sklearn.utils import check_random_state

import kmeanslab
from kmeanslab import KMeans, kmeans
from kmeanslab._kernels.common import block_starts
from kmeanslab.backends import get_backend
from kmeanslab.init import parallel_init
from kmeanslab.metrics import centroid_index

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
