"""Hinted passes (``kmeanslab.backends.Hint``, ``kmeanslab._kernels.warm``):
a run or a removal-utility pass handed an earlier run's labels must give
exactly what it gives without them, whatever the hint.

Checked on data with duplicated rows and exact ties between centres, in
float32 and float64, with and without sample weights: the two nearest
centres of every row (labels, squared distances, second-nearest squared
distances) against ``assign_two``; Hamerly runs from the same centres with
and without a hint (labels, centres, inertia, n_iter and the trace's
per-iteration changes and inertias); breathing k-means with and without
hints; and the backends and cases where hints are ignored.
"""

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from kmeanslab import KMeans
from kmeanslab._engine import run_single
from kmeanslab.backends import _cpu
from kmeanslab.backends._cpu import CPUBackend, _two_nearest_hinted
from kmeanslab.backends._protocol import Hint

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning")

DTYPES = [pytest.param(np.float64, id="float64"),
          pytest.param(np.float32, id="float32")]
WEIGHTS = [pytest.param(False, id="unweighted"), pytest.param(True, id="weighted")]


def _tied_data(seed, dtype, n_features=2):
    """Blobs on a coarse grid (many exact ties) with duplicated rows, and
    centres that include copies of rows and a duplicated centre."""
    rng = np.random.default_rng(seed)
    X, _ = make_blobs(n_samples=3000, centers=12, n_features=n_features,
                      cluster_std=1.5, random_state=seed)
    X = np.round(X * 2) / 2  # half-integer grid: equal distances are common
    X = np.concatenate([X, X[:300]])  # duplicated rows
    centers = X[rng.choice(len(X), 20, replace=False)].copy()
    centers[5] = centers[4]  # two identical centres: ties on every row near
    centers[7] = np.round(centers[7])
    return X.astype(dtype), centers.astype(dtype)


def _backend(X, weighted, seed):
    rng = np.random.default_rng(seed + 1)
    w = (rng.uniform(0.0, 3.0, size=len(X)) if weighted
         else np.ones(len(X))).astype(X.dtype)
    if weighted:
        w[::17] = 0.0  # rows of zero weight
    return CPUBackend(np.ascontiguousarray(X), w)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("hint_kind", ["labels", "random", "constant"])
def test_two_nearest_from_hint_equal_full_pass(monkeypatch, random_seed, dtype,
                                              hint_kind):
    # Poor hints make long candidate lists, where the full pass is chosen
    # for speed: force the lists to check them too.
    monkeypatch.setattr(_cpu, "HINT_MAX_FRACTION", np.inf)
    X, centers = _tied_data(random_seed, dtype)
    b = _backend(X, False, random_seed)
    rng = np.random.default_rng(random_seed)
    hints = {"labels": b.assign(centers)[0],
             "random": rng.integers(0, len(centers), len(X)).astype(np.int32),
             "constant": np.zeros(len(X), dtype=np.int32)}[hint_kind]
    expected = b.assign_two(centers)
    where, *grouped = _two_nearest_hinted(b, centers, Hint(hints))
    got = [values[where] for values in grouped]
    for e, g in zip(expected[1:], got[1:]):
        assert e.dtype == g.dtype
        np.testing.assert_array_equal(e, g)
    np.testing.assert_array_equal(expected[0], got[0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", WEIGHTS)
def test_removal_utilities_from_hint_equal_full_pass(random_seed, dtype, weighted):
    X, centers = _tied_data(random_seed, dtype)
    b = _backend(X, weighted, random_seed)
    labels = b.assign(centers)[0]
    # The relabelled form: hints given through a permutation of the centres.
    perm = np.random.default_rng(random_seed).permutation(len(centers))
    inverse = np.argsort(perm)
    expected = b.removal_utilities(centers)
    np.testing.assert_array_equal(b.removal_utilities(centers, Hint(labels)),
                                  expected)
    np.testing.assert_array_equal(
        b.removal_utilities(centers, Hint(inverse[labels].astype(np.int32),
                                          relabel=perm)),
        expected)


def _run(backend, centers, hint, max_iter=50):
    return run_single(backend, centers, algorithm="hamerly", max_iter=max_iter,
                      tol=0.0, hint=hint)


def _assert_same_run(a, b):
    (la, ca, ia, ta), (lb, cb, ib, tb) = a, b
    np.testing.assert_array_equal(la, lb)
    np.testing.assert_array_equal(ca, cb)
    assert ia == ib
    assert ta.n_iter == tb.n_iter and ta.stopped == tb.stopped
    assert ([(r.n_changed, r.inertia, r.relocated) for r in ta.iterations]
            == [(r.n_changed, r.inertia, r.relocated) for r in tb.iterations])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", WEIGHTS)
@pytest.mark.parametrize("hint_kind", ["previous run", "random", "grown", "shrunk"])
def test_hamerly_run_from_hint_equals_cold_run(random_seed, dtype, weighted,
                                               hint_kind):
    X, centers = _tied_data(random_seed, dtype)
    b = _backend(X, weighted, random_seed)
    rng = np.random.default_rng(random_seed)
    labels, converged, _, _ = _run(b, centers, None)
    k = len(centers)
    if hint_kind == "previous run":
        start, hint = converged, Hint(labels)
    elif hint_kind == "random":
        start = converged
        hint = Hint(rng.integers(0, k, len(X)).astype(np.int32))
    elif hint_kind == "grown":  # breathing in: new centres appended
        new = converged[:3] + rng.normal(scale=0.3, size=(3, X.shape[1]))
        start, hint = np.concatenate([converged, new.astype(dtype)]), Hint(labels)
    else:  # breathing out: centres 2 and 9 removed, their rows hinted to 0
        keep = np.setdiff1d(np.arange(k), [2, 9])
        relabel = np.cumsum(np.isin(np.arange(k), keep)) - 1
        relabel[[2, 9]] = 0
        start, hint = converged[keep], Hint(labels, relabel=relabel)
    _assert_same_run(_run(b, start, hint), _run(b, start, None))
    # Stopped early (max_iter) too: the final assignment is a bounded step.
    _assert_same_run(_run(b, start, hint, max_iter=2), _run(b, start, None, max_iter=2))


def test_hinted_start_is_used(monkeypatch):
    """On separated blobs, a hinted start decides most rows from one
    distance (the full two-nearest pass is not needed for them)."""
    grid = np.array([[0, 0], [0, 10], [10, 0], [10, 10], [20, 0], [20, 10]])
    X, _ = make_blobs(n_samples=5000, centers=grid, cluster_std=1.0,
                      random_state=0)
    b = CPUBackend(np.ascontiguousarray(X), np.ones(len(X)))
    labels, centers, _, _ = _run(b, X[:6].copy(), None)
    scanned = []
    full_pass = _cpu.warm.two_nearest_tiled

    def counting(*args):
        scanned.append(args[2])
        return full_pass(*args)

    monkeypatch.setattr(_cpu.warm, "hamerly_start_hinted",
                        _cpu.warm.hamerly_start_hinted.py_func)
    monkeypatch.setattr(_cpu.warm, "two_nearest_tiled", counting)
    state = b.start_run("hamerly", 6, hint=Hint(labels))
    step = state.step(centers)
    np.testing.assert_array_equal(state.labels, labels)
    assert step.n_changed == len(X)
    assert sum(scanned) < len(X) // 100


@pytest.mark.parametrize("dtype", DTYPES)
def test_hints_ignored_where_they_cannot_help(random_seed, dtype):
    """Many features (the BLAS path), hints out of range or of the wrong
    length: the run is the cold run."""
    X, centers = _tied_data(random_seed, dtype, n_features=20)
    b = _backend(X, False, random_seed)
    labels = b.assign(centers)[0]
    _assert_same_run(_run(b, centers, Hint(labels)), _run(b, centers, None))
    X2, centers2 = _tied_data(random_seed, dtype)
    b2 = _backend(X2, False, random_seed)
    for bad in (np.full(len(X2), len(centers2), dtype=np.int32),
                np.full(len(X2), -1, dtype=np.int32),
                np.zeros(5, dtype=np.int32)):
        assert _cpu._hint_array(b2, Hint(bad), centers2) is None
        _assert_same_run(_run(b2, centers2, Hint(bad)), _run(b2, centers2, None))


def test_utilities_without_lists_past_the_cap(monkeypatch, random_seed):
    """More centres than the candidate lists take: the full pass."""
    X, centers = _tied_data(random_seed, np.float64)
    b = _backend(X, True, random_seed)
    labels = b.assign(centers)[0]
    monkeypatch.setattr(_cpu, "HINT_MAX_LISTED", len(centers) - 1)
    assert _two_nearest_hinted(b, centers, Hint(labels)) is None
    np.testing.assert_array_equal(b.removal_utilities(centers, Hint(labels)),
                                  b.removal_utilities(centers))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", WEIGHTS)
def test_breathing_same_with_and_without_hints(monkeypatch, random_seed, dtype,
                                               weighted):
    X, _ = make_blobs(n_samples=4000, centers=25, cluster_std=1.2,
                      random_state=random_seed)
    X = np.concatenate([X, X[:400]]).astype(dtype)
    w = (np.random.default_rng(random_seed).uniform(0.5, 2.0, len(X))
         if weighted else None)

    def fit():
        return KMeans(20, random_state=random_seed, refine="breathing",
                      n_threads=1).fit(X, sample_weight=w)

    warm = fit()
    monkeypatch.setattr(_cpu, "_hint_array", lambda *args: None)
    cold = fit()
    np.testing.assert_array_equal(warm.labels_, cold.labels_)
    np.testing.assert_array_equal(warm.cluster_centers_, cold.cluster_centers_)
    assert warm.inertia_ == cold.inertia_ and warm.n_iter_ == cold.n_iter_
    moves = lambda m: [(mv.kind, mv.inertia, mv.n_iter, mv.accepted)  # noqa: E731
                       for mv in m.trace_.moves[0]]
    assert moves(warm) == moves(cold)
    changes = lambda m: [(it.phase, it.n_changed, it.inertia)  # noqa: E731
                         for r in m.trace_.runs for it in r.iterations]
    assert changes(warm) == changes(cold)


def test_sparse_backend_accepts_and_ignores_hints():
    sp = pytest.importorskip("scipy.sparse")
    from kmeanslab.backends._sparse import SparseBackend

    X, _ = make_blobs(n_samples=500, centers=4, random_state=0)
    dense = CPUBackend(np.ascontiguousarray(X), np.ones(len(X)))
    b = SparseBackend(sp.csr_matrix(X), np.ones(len(X)))
    centers = X[:4].copy()
    labels = dense.assign(centers)[0]
    np.testing.assert_allclose(b.removal_utilities(centers, Hint(labels)),
                               b.removal_utilities(centers))
    for algorithm in b.algorithms:
        with_hint = run_single(b, centers, algorithm=algorithm, max_iter=20,
                               tol=0.0, hint=Hint(labels))
        without = run_single(b, centers, algorithm=algorithm, max_iter=20,
                             tol=0.0)
        np.testing.assert_array_equal(with_hint[0], without[0])
        np.testing.assert_array_equal(with_hint[1], without[1])
