"""Results do not depend on the number of numba threads, nor on anything but
the inputs and ``random_state``."""

import numba
import numpy as np
import pytest
from sklearn.datasets import make_blobs

import kmeanslab
from kmeanslab import KMeans, kmeans, kmeans_plusplus
from kmeanslab._kernels.common import block_starts

N_SAMPLES = 24_000  # several row blocks

needs_two_threads = pytest.mark.skipif(
    numba.config.NUMBA_NUM_THREADS < 2,
    reason="numba has a single thread here; nothing to compare")


@pytest.fixture(scope="module")
def big_data():
    """{n_features: float64 data}, shared by the tests of this module."""
    out = {}
    for n_features in (3, 20):
        X, _ = make_blobs(n_samples=N_SAMPLES, centers=12, n_features=n_features,
                          cluster_std=4.0, random_state=1234)
        out[n_features] = X
    return out


def test_data_spans_several_blocks():
    assert len(block_starts(N_SAMPLES)) - 1 >= 4


def _fit(X, n_threads, **kwargs):
    with kmeanslab.thread_limit(n_threads):
        assert numba.get_num_threads() == n_threads
        return kmeans(X, **kwargs)


def _assert_identical(a, b):
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.centers, b.centers)
    assert a.inertia == b.inertia
    assert a.n_iter == b.n_iter
    assert len(a.trace.runs) == len(b.trace.runs)
    for ra, rb in zip(a.trace.runs, b.trace.runs):
        np.testing.assert_array_equal(ra.init_centers, rb.init_centers)
        assert ra.inertia == rb.inertia and ra.n_iter == rb.n_iter
        for ia, ib in zip(ra.iterations, rb.iterations):
            np.testing.assert_array_equal(ia.centers, ib.centers)
            assert ia.inertia == ib.inertia
            assert ia.center_shift == ib.center_shift
            assert ia.n_changed == ib.n_changed
            assert ia.relocated == ib.relocated
            if ia.labels is not None or ib.labels is not None:
                np.testing.assert_array_equal(ia.labels, ib.labels)


@needs_two_threads
@pytest.mark.parametrize("dtype", [pytest.param(np.float64, id="float64"),
                                   pytest.param(np.float32, id="float32")])
@pytest.mark.parametrize("n_features", [pytest.param(3, id="d3"),
                                        pytest.param(20, id="d20-blas")])
@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly", "yinyang"])
def test_bitwise_identical_with_1_and_2_threads(big_data, algorithm, n_features,
                                                dtype):
    X = big_data[n_features].astype(dtype)
    kwargs = dict(n_clusters=12, algorithm=algorithm, random_state=7, n_init=2,
                  max_iter=40, tol=0.0, record_labels=True)
    one = _fit(X, 1, **kwargs)
    two = _fit(X, 2, **kwargs)
    _assert_identical(one, two)


@needs_two_threads
def test_empty_cluster_relocation_is_thread_independent(big_data):
    X = big_data[3]
    init = np.vstack([X[:11], np.full((1, 3), 1e4)])
    one = _fit(X, 1, n_clusters=12, init=init, algorithm="hamerly")
    two = _fit(X, 2, n_clusters=12, init=init, algorithm="hamerly")
    assert one.trace[0].relocated == (11,)
    _assert_identical(one, two)


@needs_two_threads
@pytest.mark.parametrize("n_features", [3, 20], ids=["d3", "d20"])
def test_seeding_is_thread_independent(big_data, n_features):
    X = big_data[n_features]
    results = []
    for n_threads in (1, 2):
        with kmeanslab.thread_limit(n_threads):
            results.append(kmeans_plusplus(X, 12, random_state=5))
    np.testing.assert_array_equal(results[0][1], results[1][1])
    np.testing.assert_array_equal(results[0][0], results[1][0])


@needs_two_threads
def test_n_threads_parameter(big_data):
    X = big_data[3]
    a = KMeans(12, random_state=3, n_threads=1).fit(X)
    b = KMeans(12, random_state=3, n_threads=2).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert a.inertia_ == b.inertia_


def test_thread_limit_restores_the_previous_count():
    before = numba.get_num_threads()
    with kmeanslab.thread_limit(1):
        assert numba.get_num_threads() == 1
    assert numba.get_num_threads() == before
    with pytest.raises(RuntimeError):
        with kmeanslab.thread_limit(1):
            raise RuntimeError("inside")
    assert numba.get_num_threads() == before
    with kmeanslab.thread_limit(None):
        assert numba.get_num_threads() == before


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly", "yinyang"])
def test_same_random_state_same_result(random_seed, algorithm):
    X, _ = make_blobs(n_samples=500, centers=5, random_state=random_seed)
    a = kmeans(X, 5, random_state=random_seed, n_init=3, algorithm=algorithm)
    b = kmeans(X, 5, random_state=np.random.RandomState(random_seed), n_init=3,
               algorithm=algorithm)
    _assert_identical(a, b)


def test_global_rng_is_not_used(random_seed):
    X, _ = make_blobs(n_samples=200, centers=4, random_state=random_seed)
    state = np.random.get_state()
    kmeans(X, 4, random_state=random_seed)
    after = np.random.get_state()
    assert state[0] == after[0] and np.array_equal(state[1], after[1])
    assert state[2:] == after[2:]
