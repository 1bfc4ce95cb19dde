"""Tests for the in-memory backend (``kmeanslab.backends._cpu``): its kernels
against the plain NumPy reference (``tests/reference.py``) and the protocol
methods the driver and the seeding use."""

import numpy as np
import pytest
from sklearn.utils import check_random_state

from kmeanslab.backends import DataSummary, get_backend
from kmeanslab.backends._cpu import CPUBackend

DTYPES = [pytest.param(np.float64, id="float64"),
          pytest.param(np.float32, id="float32")]
WEIGHTS = [pytest.param(False, id="unweighted"), pytest.param(True, id="weighted")]
N_FEATURES = [pytest.param(2, id="d2-direct"), pytest.param(20, id="d20-blas")]


class TestKernels:
    """Backend kernels against the NumPy reference, on data spanning several
    row blocks (n_samples > 2048)."""

    N = 5000

    def _data(self, seed, n_features, dtype, weighted):
        rng = np.random.RandomState(seed)
        X = np.ascontiguousarray(rng.normal(size=(self.N, n_features)), dtype=dtype)
        sw = (rng.uniform(0.1, 3.0, self.N) if weighted
              else np.ones(self.N)).astype(dtype)
        centers = np.ascontiguousarray(X[rng.choice(self.N, 6, replace=False)])
        return X, sw, centers

    @staticmethod
    def _tol(dtype):
        return dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-3)

    @staticmethod
    def _assert_nearest(reference, X, centers, labels, dtype):
        """float64: exactly the reference's argmin. float32: a nearest centre
        up to float32 rounding of the distances (near-ties may go either way)."""
        ref_labels, ref_sq = reference.assign(X, centers)
        if dtype == np.float64:
            np.testing.assert_array_equal(labels, ref_labels)
            return
        d = reference.sq_dists(X, centers)
        got = d[np.arange(len(X)), labels]
        np.testing.assert_array_less(got - ref_sq, 1e-5 * (1.0 + ref_sq))
        assert np.count_nonzero(labels != ref_labels) <= len(X) // 1000

    @pytest.mark.parametrize("dtype", DTYPES)
    @pytest.mark.parametrize("n_features", N_FEATURES)
    def test_assign_and_inertia(self, reference, random_seed, dtype, n_features):
        X, sw, centers = self._data(random_seed, n_features, dtype, True)
        backend = get_backend(X, sw)
        labels, sq = backend.assign(centers)
        self._assert_nearest(reference, X, centers, labels, dtype)
        d = reference.sq_dists(X, centers)
        np.testing.assert_allclose(sq, d[np.arange(len(X)), labels], **self._tol(dtype))
        assert backend.inertia(centers, labels) == pytest.approx(
            reference.wcss(X, centers, labels, sw), rel=self._tol(dtype)["rtol"])
        np.testing.assert_allclose(backend.sq_dists_to_centers(centers),
                                   reference.sq_dists(X, centers), **self._tol(dtype))

    @pytest.mark.parametrize("dtype", DTYPES)
    @pytest.mark.parametrize("weighted", WEIGHTS)
    @pytest.mark.parametrize("n_features", N_FEATURES)
    @pytest.mark.parametrize("algorithm", ["lloyd", "hamerly"])
    def test_step_statistics(self, reference, random_seed, dtype, weighted,
                             n_features, algorithm):
        """Two assignment steps: labels, per-cluster sums, weights, counts,
        changed labels and the step's inertia."""
        X, sw, centers = self._data(random_seed, n_features, dtype, weighted)
        backend = get_backend(X, sw)
        state = backend.start_run(algorithm, centers.shape[0])
        tol = self._tol(dtype)
        previous = np.full(self.N, -1)
        shift = None
        for _ in range(2):
            step = state.step(centers, shift)
            labels = np.array(state.labels)
            self._assert_nearest(reference, X, centers, labels, dtype)
            sums, weights, counts = reference.cluster_stats(X, labels, 6, sw)
            np.testing.assert_allclose(step.sums, sums, rtol=tol["rtol"],
                                       atol=tol["atol"] * 50)
            np.testing.assert_allclose(step.weights, weights, rtol=tol["rtol"])
            np.testing.assert_array_equal(step.counts, counts)
            assert step.n_changed == np.count_nonzero(labels != previous)
            assert step.inertia == pytest.approx(
                reference.wcss(X, centers, labels, sw), rel=max(tol["rtol"], 1e-10))
            new_centers = (sums / weights[:, None]).astype(dtype)
            shift = np.sqrt(((new_centers - centers).astype(np.float64) ** 2).sum(axis=1))
            centers, previous = np.ascontiguousarray(new_centers), labels

    @pytest.mark.parametrize("dtype", DTYPES)
    def test_candidate_sq_dists(self, reference, random_seed, dtype):
        X, sw, centers = self._data(random_seed, 3, dtype, True)
        backend = get_backend(X, sw)
        closest = reference.sq_dists(X, centers[:1])[:, 0].astype(dtype)
        out, pot = backend.candidate_sq_dists(centers[1:], closest)
        ref_out, ref_pot = reference.candidate_sq_dists(X, centers[1:], closest, sw)
        np.testing.assert_allclose(out, ref_out, **self._tol(dtype))
        np.testing.assert_allclose(pot, ref_pot, rtol=self._tol(dtype)["rtol"])




# --- Working space, sampling, labels ------------------------------------------------

def _backend(X, sample_weight=None):
    X = np.asarray(X)
    sw = (np.ones(len(X), dtype=X.dtype) if sample_weight is None
          else np.asarray(sample_weight, dtype=X.dtype))
    return CPUBackend(X, sw)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("order", ["C", "F"])
def test_summary(random_seed, dtype, order):
    """Mean, mean variance and largest |x| of the features, for any memory
    layout, over several row blocks."""
    rng = np.random.RandomState(random_seed)
    X = np.asarray(rng.normal(3.0, 2.0, size=(5000, 3)), dtype=dtype, order=order)
    summary = _backend(X).summary()
    assert isinstance(summary, DataSummary)
    X64 = X.astype(np.float64)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(summary.mean, X64.mean(axis=0), rtol=tol)
    assert summary.variance_mean == pytest.approx(np.var(X64, axis=0).mean(), rel=tol)
    assert summary.amax == np.abs(X64).max()


def test_transformed():
    X = np.asfortranarray(np.arange(12.0).reshape(4, 3))
    backend = _backend(X)
    same = _backend(np.ascontiguousarray(X))
    assert same.transformed(None, 1.0) is same
    copy = backend.transformed(None, 1.0)  # F-ordered: a C-contiguous copy
    assert copy is not backend and copy.X.flags.c_contiguous
    np.testing.assert_array_equal(copy.X, X)
    shift = X.mean(axis=0)
    moved = backend.transformed(shift, 0.25)
    np.testing.assert_array_equal(moved.X, (X - shift) * 0.25)
    assert moved.sample_weight is backend.sample_weight


def test_weighted_sample_is_sklearns_random_init_stream(random_seed):
    """The same draw as scikit-learn's "random" init: choice without
    replacement with probabilities proportional to weight."""
    rng = np.random.RandomState(random_seed)
    X = rng.normal(size=(200, 2))
    sw = rng.uniform(0.0, 2.0, 200)
    sw[::5] = 0.0
    got = _backend(X, sw).weighted_sample(7, check_random_state(random_seed))
    expected = np.random.RandomState(random_seed).choice(
        200, size=7, replace=False, p=sw / sw.sum())
    np.testing.assert_array_equal(got, expected)
    assert (sw[got] > 0).all()


def test_kmeans_parallel_candidates():
    """Two far-apart groups: the candidates cover both, their weights add up
    to the total weight, and top_up draws distinct positive-weight samples."""
    X = np.concatenate([np.zeros((50, 2)), np.full((50, 2), 100.0)])
    X += np.random.RandomState(0).normal(scale=0.1, size=X.shape)
    sw = np.ones(100)
    sw[:10] = 0.0
    backend = _backend(X, sw)
    cands, weights, top_up = backend.kmeans_parallel_candidates(
        2, check_random_state(0), oversampling=2.0, n_rounds=3)
    assert cands.shape[1] == 2 and cands.shape[0] == weights.shape[0]
    assert weights.sum() == pytest.approx(sw.sum())
    assert (cands[:, 0] < 50).any() and (cands[:, 0] > 50).any()
    extra = top_up(5)
    assert len(np.unique(extra)) == 5 and (sw[extra] > 0).all()


def test_labels_questions():
    backend = _backend(np.zeros((6, 1)))
    a = np.array([0, 0, 1, 1, 2, 2], dtype=np.int32)
    b = np.array([2, 2, 0, 0, 1, 1], dtype=np.int32)  # a renamed
    c = np.array([0, 0, 0, 1, 1, 1], dtype=np.int32)  # another partition
    assert backend.count_distinct(a, b, 3) == (3, 3, 3)
    n_pairs, n_a, n_c = backend.count_distinct(a, c, 3)
    assert n_pairs > n_a
    np.testing.assert_array_equal(backend.label_counts(c, 3), [3, 3, 0])
    assert backend.user_labels(a) is a


def test_positive_weights():
    backend = _backend(np.arange(8.0).reshape(4, 2), [0.0, 1.0, 0.0, 2.0])
    assert backend.n_positive == 2
    np.testing.assert_array_equal(backend.positive, [False, True, False, True])
    assert _backend(np.zeros((3, 2))).positive is None


def test_thread_context_restores_the_thread_count():
    import numba

    before = numba.get_num_threads()
    big = _backend(np.zeros((5000, 2)))
    assert big.n_blocks > 1
    with big.thread_context(1):
        assert numba.get_num_threads() == 1
    with _backend(np.zeros((10, 2))).thread_context(None):
        assert numba.get_num_threads() == 1  # one block: one thread
    assert numba.get_num_threads() == before


def test_unknown_algorithm_is_refused():
    with pytest.raises(NotImplementedError, match="the cpu backend does not support"):
        _backend(np.zeros((4, 2))).start_run("elkan", 2)
