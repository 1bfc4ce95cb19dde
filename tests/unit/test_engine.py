"""Tests for the engine loop (``kmeanslab._engine.run_single``): hand-computed
runs, agreement with the plain NumPy reference (``tests/reference.py``),
stopping rules, ties and empty-cluster relocation."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning

from kmeanslab import KMeans, kmeans
from kmeanslab._engine import run_single
from kmeanslab.backends import get_backend

ALGORITHMS = ["lloyd", "hamerly", "elkan", "auto"]
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


# --- Stopping rules -------------------------------------------------------------

@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly"])
@pytest.mark.parametrize("tol, max_iter, stopped", [
    (0.0, 300, "strict"), (1e3, 300, "tol"), (0.0, 1, "max_iter")])
def test_run_single_stopping_rules(tiny_case, algorithm, tol, max_iter, stopped):
    """The tiny case converges strictly at iteration 3; a huge absolute tol
    stops after the first update and max_iter=1 after one iteration. Labels
    always match the returned centres."""
    X, init = tiny_case
    backend = get_backend(X, np.ones(len(X)))
    labels, centers, inertia, trace = run_single(
        backend, init, algorithm=algorithm, max_iter=max_iter, tol=tol)
    assert trace.stopped == stopped
    assert trace.n_iter == {"strict": 3, "tol": 1, "max_iter": 1}[stopped]
    d = ((X[:, None, :] - centers[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(labels, d.argmin(axis=1))
    assert inertia == pytest.approx(d.min(axis=1).sum(), rel=1e-14)


# --- Empty clusters and duplicated points ---------------------------------------

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


# --- The label rule at exact ties (every algorithm, every kernel) ---------------

def _tie_heavy(seed, n_features, dtype):
    """Small integers in a symmetric layout with duplicated points: many rows
    sit exactly halfway between two centres during a run (one tenth of the
    values makes the halves inexact in binary). More distinct points than
    the tests' clusters: where centres must share points, which of two
    centres a few ulps apart is nearer is up to the rounding of their
    sums."""
    rng = np.random.default_rng(seed)
    high = 4 if n_features > 1 else 13
    base = rng.integers(-high + 1, high, size=(40, n_features)).astype(np.float64)
    X = np.concatenate([base, -base, base[:20]])
    X = X[rng.permutation(len(X))]
    if seed % 2:
        X = X * 0.1
    return np.ascontiguousarray(X, dtype=dtype)


def _rule_labels(X, centers):
    """The label rule by NumPy: F (float64 direct differences, eight lanes of
    features f % 8 added left to right), the lowest index on ties."""
    diff = X.astype(np.float64)[:, None, :] - centers.astype(np.float64)[None]
    sq = diff * diff
    lanes = np.zeros(sq.shape[:2] + (8,))
    for f in range(X.shape[1]):
        lanes[:, :, f % 8] += sq[:, :, f]
    total = lanes[:, :, 0].copy()
    for lane in range(1, 8):
        total += lanes[:, :, lane]
    return total.argmin(axis=1), total


@pytest.mark.parametrize("n_features", [1, 3, 9, 20])
def test_exact_distance_is_the_rule(random_seed, n_features):
    """The kernels' F equals the rule's eight-lane sum to the bit, and the
    labels of assign_dense (predict) are its argmin, lowest index first."""
    from kmeanslab._kernels import common

    X = _tie_heavy(random_seed, n_features, np.float64)
    centers = np.ascontiguousarray(X[::7][:9] + 0.05)
    labels = np.empty(len(X), dtype=np.int32)
    sq = np.empty(len(X))
    common.assign_dense(X, centers, common.block_starts(len(X)), labels, sq)
    expected, total = _rule_labels(X, centers)
    np.testing.assert_array_equal(labels, expected)
    np.testing.assert_array_equal(sq, total[np.arange(len(X)), expected])


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("n_features", [1, 3, 9, 20])
@pytest.mark.parametrize("algorithm", ["hamerly", "yinyang"])
def test_bounded_steps_label_as_lloyd_at_ties(random_seed, dtype, n_features,
                                              algorithm):
    """Fed Lloyd's centres step by step (with the drifts the engine gives),
    the bounded kernels give every row Lloyd's label at every step: a bound
    test never keeps an old label at an exact tie (or within rounding of
    one), and the full scan takes the lowest index."""
    for seed in range(random_seed, random_seed + 4):
        X = _tie_heavy(seed, n_features, dtype)
        backend = get_backend(X, np.ones(len(X), dtype=dtype))
        k = 12
        init = X[np.random.default_rng(seed).choice(len(X), k, replace=False)]
        _, _, _, trace = run_single(backend, init, algorithm="lloyd",
                                    max_iter=50, tol=0.0)
        sequence = [trace.init_centers] + [it.centers for it in trace.iterations]
        lloyd = backend.start_run("lloyd", k)
        bounded = backend.start_run(algorithm, k)
        previous = None
        for centers in sequence:
            centers = np.ascontiguousarray(centers, dtype=dtype)
            shift = None
            if previous is not None:
                moved = np.subtract(centers, previous, dtype=np.float64)
                shift = np.sqrt((moved * moved).sum(axis=1)).astype(dtype)
            lloyd.step(centers, shift)
            bounded.step(centers, shift)
            np.testing.assert_array_equal(np.asarray(bounded.labels),
                                          np.asarray(lloyd.labels))
            np.testing.assert_array_equal(np.asarray(lloyd.labels),
                                          _rule_labels(X, centers)[0])
            previous = centers


@pytest.mark.parametrize("n_features", [1, 2, 9, 20])
def test_bounded_fits_equal_lloyd_on_ties(random_seed, n_features):
    """Whole fits on tie-heavy data: the same labels and iterations from the
    same start, centres equal to rounding (see the README on what holds to
    the bit), and predict gives the fit's labels."""
    for seed in range(random_seed, random_seed + 6):
        X = _tie_heavy(seed, n_features, np.float64)
        fits = {alg: KMeans(10, random_state=seed, n_init=2, algorithm=alg,
                            tol=0.0).fit(X)
                for alg in ("lloyd", "hamerly", "yinyang")}
        lloyd = fits["lloyd"]
        np.testing.assert_array_equal(lloyd.predict(X), lloyd.labels_)
        for alg in ("hamerly", "yinyang"):
            fit = fits[alg]
            np.testing.assert_array_equal(fit.labels_, lloyd.labels_)
            assert fit.n_iter_ == lloyd.n_iter_
            np.testing.assert_allclose(fit.cluster_centers_,
                                       lloyd.cluster_centers_, rtol=0, atol=1e-12)
            assert fit.inertia_ == pytest.approx(lloyd.inertia_, rel=1e-12)
