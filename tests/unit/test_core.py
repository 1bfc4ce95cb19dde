"""Tests for ``kmeanslab.kmeans``, its result, the seeding and the kernels.

The kernels are checked against the plain NumPy reference in
``tests/reference.py`` (the ``reference`` fixture).
"""

import warnings

import numpy as np
import pytest
from sklearn.cluster import kmeans_plusplus as sk_kmeans_plusplus
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning

from kmeanslab import KMeans, KMeansResult, kmeans, kmeans_plusplus
from kmeanslab.backends import get_backend
from kmeanslab.core import resolve_algorithm

ALGORITHMS = ["lloyd", "hamerly", "elkan", "auto"]
DTYPES = [pytest.param(np.float64, id="float64"),
          pytest.param(np.float32, id="float32")]
WEIGHTS = [pytest.param(False, id="unweighted"), pytest.param(True, id="weighted")]
N_FEATURES = [pytest.param(2, id="d2-direct"), pytest.param(20, id="d20-blas")]


def _assert_consistent(reference, X, result, sample_weight=None, rtol=1e-9):
    """inertia equals the WCSS of labels to centres, and every sample sits
    with a nearest centre (ties and rounding allowed)."""
    d = reference.sq_dists(X, result.centers)
    assigned = d[np.arange(len(X)), result.labels]
    scale = 1.0 + d.max()
    np.testing.assert_array_less(assigned - d.min(axis=1), 1e-9 * scale + 1e-300)
    expected = reference.wcss(X, result.centers, result.labels, sample_weight)
    assert result.inertia == pytest.approx(expected, rel=rtol, abs=1e-12 * scale)


# --- Hand-computed and seed cases --------------------------------------------

@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_tiny_hand_computed(tiny_case, algorithm):
    """x = 0, 1, 3, 9, 12 (second feature constant), init at 0 and 1.

    it 1: labels [0 1 1 1 1] -> centres 0, 25/4   (nearest WCSS 50.625)
    it 2: labels [0 0 0 1 1] -> centres 4/3, 21/2 (WCSS 55/6)
    it 3: no label changes -> strict convergence, n_iter = 3.
    """
    X, init = tiny_case
    result = kmeans(X, 2, init=init, algorithm=algorithm)
    assert result.labels.tolist() == [0, 0, 0, 1, 1]
    assert result.n_iter == 3
    np.testing.assert_allclose(result.centers, [[4 / 3, 1.0], [10.5, 1.0]],
                               rtol=1e-15, atol=1e-15)
    assert result.inertia == pytest.approx(55 / 6, rel=1e-14)
    trace = result.trace
    assert trace.best.stopped == "strict"
    assert trace.n_changed.tolist() == [5, 2, 0]
    np.testing.assert_allclose(trace.inertia, [50.625, 55 / 6, 55 / 6], rtol=1e-14)
    np.testing.assert_allclose(trace.centers_at(1), [[0.0, 1.0], [6.25, 1.0]],
                               rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("max_iter, expected", [(1, 20111.198), (2, 10854.941),
                                                (3, 8260.499), (10, 7836.466)])
def test_seed_fixed_centroid_inertia(seed_blobs, algorithm, max_iter, expected):
    X, init = seed_blobs
    km = KMeans(4, init=init, n_init=1, max_iter=max_iter,
                algorithm=algorithm).fit(X)
    assert km.inertia_ == pytest.approx(expected, abs=1e-3)


# --- Agreement with the NumPy reference --------------------------------------

@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly"])
@pytest.mark.parametrize("weighted", WEIGHTS)
@pytest.mark.parametrize("n_features", N_FEATURES)
def test_matches_reference_lloyd(reference, random_seed, algorithm, weighted,
                                 n_features):
    rng = np.random.RandomState(random_seed)
    X, _ = make_blobs(n_samples=400, centers=5, n_features=n_features,
                      cluster_std=2.0, random_state=random_seed)
    sw = rng.uniform(0.5, 2.0, X.shape[0]) if weighted else None
    init = X[rng.choice(X.shape[0], 5, replace=False)]
    result = kmeans(X, 5, init=init, sample_weight=sw, algorithm=algorithm)
    ref = reference.lloyd(X, init, sample_weight=sw)
    np.testing.assert_array_equal(result.labels, ref["labels"])
    assert result.n_iter == ref["n_iter"]
    np.testing.assert_allclose(result.centers, ref["centers"], rtol=1e-10, atol=1e-10)
    assert result.inertia == pytest.approx(ref["inertia"], rel=1e-10)
    np.testing.assert_allclose(result.trace.inertia,
                               [h["inertia"] for h in ref["history"]], rtol=1e-9)


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly"])
def test_hamerly_matches_lloyd_at_exact_tie(algorithm):
    """x = 1 is equidistant from the centres 2 and 0 after iteration 1; the
    nearest-centre rule gives it the lowest index (0), whatever the algorithm.
    """
    X = np.array([[2.0], [1.0], [-1.0]])
    init = np.array([[2.0], [1.0]])
    result = kmeans(X, 2, init=init, algorithm=algorithm, copy_x=False)
    assert result.labels.tolist() == [0, 0, 1]
    np.testing.assert_array_equal(result.centers, [[1.5], [-1.0]])
    assert result.n_iter == 3


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


# --- Seeding -----------------------------------------------------------------

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


# --- Result object, dtypes, algorithm choice ---------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_dtype_is_kept(blobs, dtype, algorithm):
    X, init = blobs
    result = kmeans(X.astype(dtype), 3, init=init, algorithm=algorithm)
    assert isinstance(result, KMeansResult)
    assert result.centers.dtype == dtype
    assert result.trace.centers.dtype == dtype
    km = KMeans(3, random_state=0, algorithm=algorithm).fit(X.astype(dtype))
    assert km.cluster_centers_.dtype == dtype
    assert km.transform(X.astype(dtype)).dtype == dtype


def test_integer_input_becomes_float64():
    X = np.array([[0, 0], [0, 1], [10, 10], [10, 11]])
    result = kmeans(X, 2, init=np.array([[0, 0], [10, 10]]))
    assert result.centers.dtype == np.float64
    np.testing.assert_allclose(result.centers, [[0, 0.5], [10, 10.5]])


@pytest.mark.parametrize("algorithm, n_samples, n_clusters, expected", [
    ("lloyd", 1000, 5, "lloyd"),
    ("hamerly", 10, 5, "hamerly"),
    ("elkan", 1000, 5, "hamerly"),
    ("auto", 1000, 5, "hamerly"),
    ("auto", 100, 5, "lloyd"),
    ("auto", 1000, 1, "lloyd"),
], ids=["lloyd", "hamerly", "elkan", "auto-large", "auto-small", "auto-k1"])
def test_resolve_algorithm(algorithm, n_samples, n_clusters, expected):
    assert resolve_algorithm(algorithm, n_samples, 2, n_clusters) == expected


def test_algorithm_is_reported(seed_blobs):
    X, init = seed_blobs
    assert kmeans(X, 4, init=init, algorithm="elkan").algorithm == "hamerly"
    assert KMeans(4, init=init, algorithm="auto").fit(X).algorithm_ == "hamerly"
    assert KMeans(4, init=init, algorithm="auto").fit(X[:100]).algorithm_ == "lloyd"


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly"])
def test_copy_x_false_gives_the_same_clustering_and_keeps_X(blobs, algorithm):
    X, init = blobs
    X_before = X.copy()
    a = kmeans(X, 3, init=init, algorithm=algorithm, copy_x=True)
    b = kmeans(X, 3, init=init, algorithm=algorithm, copy_x=False)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert a.n_iter == b.n_iter
    np.testing.assert_allclose(a.centers, b.centers, rtol=1e-12, atol=1e-12)
    assert a.inertia == pytest.approx(b.inertia, rel=1e-12)


def test_array_init_with_n_init_warns_and_runs_once(blobs):
    X, init = blobs
    with pytest.warns(RuntimeWarning, match="n_init"):
        result = kmeans(X, 3, init=init, n_init=5)
    assert len(result.trace.runs) == 1


def test_callable_init(blobs):
    X, init = blobs

    def my_init(X_, n_clusters, random_state):
        assert X_.shape == X.shape
        return init

    a = kmeans(X, 3, init=my_init)
    b = kmeans(X, 3, init=init)
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.centers, b.centers)


def test_best_of_n_init_is_kept(random_seed):
    X, _ = make_blobs(n_samples=600, centers=10, cluster_std=3.0,
                      random_state=random_seed)
    result = kmeans(X, 10, n_init=5, init="random", random_state=random_seed)
    inertias = [run.inertia for run in result.trace.runs]
    assert result.inertia == pytest.approx(min(inertias), rel=1e-9)
    assert result.trace.best.inertia == pytest.approx(result.inertia, rel=1e-12)


# --- Empty clusters, degenerate data, extreme magnitudes ---------------------

@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly"])
@pytest.mark.parametrize("n_features", N_FEATURES)
def test_empty_cluster_is_relocated(reference, random_seed, algorithm, n_features):
    """A centre far from all data gets no samples in iteration 1: it is moved
    onto the sample farthest from its centre, and recorded in the trace."""
    from sklearn.cluster import KMeans as SKKMeans

    X, _ = make_blobs(n_samples=300, centers=3, n_features=n_features,
                      random_state=random_seed)
    init = np.vstack([X[:2], np.full((1, n_features), 1000.0)])
    result = kmeans(X, 3, init=init, algorithm=algorithm)
    assert result.trace[0].relocated == (2,)
    assert result.trace.to_pandas()["n_relocated"].iloc[0] == 1
    assert np.abs(result.trace.centers_at(1)[2]).max() < 1000.0
    _assert_consistent(reference, X, result)
    assert len(np.unique(result.labels)) == 3
    sk = SKKMeans(3, init=init, n_init=1).fit(X)
    np.testing.assert_array_equal(result.labels, sk.labels_)
    assert result.inertia == pytest.approx(sk.inertia_, rel=1e-9)


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly"])
@pytest.mark.parametrize("init", ["k-means++", "random", "array"])
def test_fewer_distinct_points_than_clusters(reference, random_seed, algorithm, init):
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]]), 4, axis=0)
    if init == "array":
        init = np.zeros((5, 2))
    with pytest.warns(ConvergenceWarning, match="distinct clusters"):
        result = kmeans(X, 5, init=init, algorithm=algorithm,
                        random_state=random_seed)
    assert result.labels.shape == (12,)
    assert np.isfinite(result.centers).all()
    assert result.n_iter <= 300
    _assert_consistent(reference, X, result)


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly"])
@pytest.mark.parametrize("init", ["array", "k-means++"])
@pytest.mark.parametrize("copy_x", [True, False], ids=["copy", "nocopy"])
@pytest.mark.parametrize("scale", [1e150, 1e-150], ids=["1e150", "1e-150"])
def test_extreme_magnitudes(blobs, random_seed, algorithm, init, copy_x, scale):
    X, init_array = blobs
    kw = dict(algorithm=algorithm, copy_x=copy_x, random_state=random_seed)
    if init == "array":
        base = kmeans(X, 3, init=init_array, **kw)
        scaled = kmeans(X * scale, 3, init=init_array * scale, **kw)
    else:
        base = kmeans(X, 3, init=init, **kw)
        scaled = kmeans(X * scale, 3, init=init, **kw)
    assert np.isfinite(scaled.centers).all() and np.isfinite(scaled.inertia)
    np.testing.assert_array_equal(scaled.labels, base.labels)
    assert scaled.n_iter == base.n_iter
    np.testing.assert_allclose(scaled.centers / scale, base.centers, rtol=1e-9,
                               atol=1e-9)
    assert scaled.inertia / scale**2 == pytest.approx(base.inertia, rel=1e-9)
    assert np.all(np.isfinite(scaled.trace.inertia))


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly"])
def test_tiny_magnitudes_do_not_crash(blobs, algorithm):
    """|X| ~ 1e-160 (below 2**-512): the result is still the unscaled
    clustering, scaled; the inertia may underflow but must not overflow."""
    X, init = blobs
    scale = 1e-160
    base = kmeans(X, 3, init=init, algorithm=algorithm)
    scaled = kmeans(X * scale, 3, init=init * scale, algorithm=algorithm)
    np.testing.assert_array_equal(scaled.labels, base.labels)
    np.testing.assert_allclose(scaled.centers / scale, base.centers, rtol=1e-9,
                               atol=1e-9)
    assert np.isfinite(scaled.inertia) and scaled.inertia >= 0


def test_single_cluster(blobs):
    X, _ = blobs
    result = kmeans(X, 1, random_state=0)
    np.testing.assert_allclose(result.centers, X.mean(axis=0, keepdims=True),
                               rtol=1e-12, atol=1e-12)
    assert result.inertia == pytest.approx(((X - X.mean(axis=0)) ** 2).sum(), rel=1e-12)
    assert result.algorithm == "lloyd"


def test_no_warning_on_regular_data(blobs):
    X, init = blobs
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("error", RuntimeWarning)
        kmeans(X, 3, init=init)
