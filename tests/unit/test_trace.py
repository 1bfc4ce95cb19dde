"""Tests for the convergence trace (``KMeans.trace_``, ``ConvergenceTrace``)."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from kmeanslab import ConvergenceTrace, KMeans, kmeans

ALGORITHMS = ["lloyd", "hamerly"]
N_FEATURES = [pytest.param(2, id="d2"), pytest.param(20, id="d20")]


def _separated(seed, n_features):
    """Three unit-variance blobs 1e4 apart: the clusters' offsets dwarf their
    spread, which an inertia computed by expanding ||x - c||^2 cannot
    resolve to 1e-9."""
    rng = np.random.RandomState(seed)
    offsets = np.zeros((3, n_features))
    offsets[0, 0], offsets[1, 0], offsets[2, 1] = -1e4, 1e4, 1e4
    X = np.vstack([rng.normal(size=(150, n_features)) + o for o in offsets])
    init = X[[0, 1, 150]].copy()  # two centres in the first blob
    return X, init


def _blobs(seed, n_features):
    X, _ = make_blobs(n_samples=400, centers=4, n_features=n_features,
                      cluster_std=2.5, random_state=seed)
    return X, X[:4].copy()


DATA = {"blobs": _blobs, "separated": _separated}


@pytest.mark.parametrize("copy_x", [True, False], ids=["copy", "nocopy"])
@pytest.mark.parametrize("n_features", N_FEATURES)
@pytest.mark.parametrize("data", ["blobs", "separated"])
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_trace_matches_truncated_fits(random_seed, algorithm, data, n_features, copy_x):
    """Iteration i of the trace is the fit with max_iter=i from the same init:
    same centres (exactly), same inertia, and labels_at(i) is its predict."""
    X, init = DATA[data](random_seed, n_features)
    full = KMeans(len(init), init=init, algorithm=algorithm, copy_x=copy_x,
                  record_labels=True).fit(X)
    trace = full.trace_
    assert len(trace) == full.n_iter_ >= 2
    for i in range(1, full.n_iter_ + 1):
        part = KMeans(len(init), init=init, algorithm=algorithm, copy_x=copy_x,
                      max_iter=i).fit(X)
        np.testing.assert_array_equal(trace.centers_at(i), part.cluster_centers_,
                                      err_msg=f"iteration {i}")
        assert trace[i - 1].inertia == pytest.approx(part.inertia_, rel=1e-9), (
            f"iteration {i}")
        np.testing.assert_array_equal(trace.labels_at(i), part.predict(X),
                                      err_msg=f"iteration {i}")
        np.testing.assert_array_equal(trace.labels_at(i), part.labels_)
    np.testing.assert_array_equal(trace.centers[-1], full.cluster_centers_)
    assert trace.inertia[-1] == pytest.approx(full.inertia_, rel=1e-12)
    np.testing.assert_array_equal(trace.labels[-1], full.labels_)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_trace_float32(random_seed, algorithm):
    X, init = _blobs(random_seed, 2)
    X, init = X.astype(np.float32), init.astype(np.float32)
    full = KMeans(4, init=init, algorithm=algorithm).fit(X)
    for i in range(1, full.n_iter_ + 1):
        part = KMeans(4, init=init, algorithm=algorithm, max_iter=i).fit(X)
        np.testing.assert_array_equal(full.trace_.centers_at(i), part.cluster_centers_)
        assert full.trace_[i - 1].inertia == pytest.approx(part.inertia_, rel=1e-5)
    assert full.trace_.centers.dtype == np.float32


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_trace_columns_and_frame(blobs, algorithm):
    X, init = blobs
    km = KMeans(3, init=init, algorithm=algorithm).fit(X)
    trace = km.trace_
    assert isinstance(trace, ConvergenceTrace)
    n = km.n_iter_
    assert trace.inertia.shape == (n,)
    assert trace.centers.shape == (n, 3, 2)
    assert trace.n_changed[0] == X.shape[0]
    assert np.all(trace.center_shift >= 0)
    assert np.all(np.diff(trace.elapsed) >= 0)
    assert [r.iteration for r in trace.iterations] == list(range(1, n + 1))
    assert trace.best.stopped in {"strict", "tol", "max_iter"}
    if trace.best.stopped == "strict":
        assert trace.n_changed[-1] == 0
    df = trace.to_pandas()
    assert len(df) == n
    assert {"run", "iteration", "inertia", "center_shift", "n_changed",
            "n_relocated", "relocated", "elapsed"} <= set(df.columns)
    np.testing.assert_array_equal(df["iteration"], np.arange(1, n + 1))
    np.testing.assert_array_equal(df["inertia"], trace.inertia)
    np.testing.assert_array_equal(df["n_changed"], trace.n_changed)


def test_stopped_reasons(blobs):
    X, init = blobs
    assert kmeans(X, 3, init=init, max_iter=1).trace.best.stopped == "max_iter"
    assert kmeans(X, 3, init=init, tol=0.0).trace.best.stopped == "strict"
    loose = kmeans(X, 3, init=init, tol=1e9).trace
    assert loose.best.stopped == "tol" and len(loose) == 1


def test_tol_is_relative_to_feature_variance(blobs):
    X, init = blobs
    result = kmeans(X, 3, init=init, tol=1e-2)
    if result.trace.best.stopped == "tol":
        assert result.trace.center_shift[-1] <= 1e-2 * np.var(X, axis=0).mean()
    for shift in result.trace.center_shift[:-1]:
        assert shift > 1e-2 * np.var(X, axis=0).mean()


def test_labels_need_record_labels(blobs):
    X, init = blobs
    km = KMeans(3, init=init).fit(X)
    with pytest.raises(ValueError, match="record_labels"):
        km.trace_.labels_at(1)
    with pytest.raises(ValueError, match="record_labels"):
        km.trace_.labels
    assert km.trace_[0].labels is None


def test_out_of_range_iteration(blobs):
    X, init = blobs
    km = KMeans(3, init=init, record_labels=True).fit(X)
    for bad in (0, km.n_iter_ + 1):
        with pytest.raises(ValueError, match="iteration"):
            km.trace_.centers_at(bad)
        with pytest.raises(ValueError, match="iteration"):
            km.trace_.labels_at(bad)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_relocation_is_recorded(blobs, algorithm):
    X, init = blobs
    init = init.copy()
    init[1] = [1e3, -1e3]
    km = KMeans(3, init=init, algorithm=algorithm).fit(X)
    assert km.trace_[0].relocated == (1,)
    assert all(r.relocated == () for r in km.trace_.iterations[1:])
    df = km.trace_.to_pandas()
    assert df["n_relocated"].tolist() == [1] + [0] * (len(df) - 1)
    assert df["relocated"].iloc[0] == [1]


@pytest.mark.parametrize("init", ["k-means++", "random"])
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_every_restart_is_recorded(random_seed, algorithm, init):
    X, _ = make_blobs(n_samples=300, centers=6, cluster_std=3.0,
                      random_state=random_seed)
    km = KMeans(6, init=init, n_init=4, random_state=random_seed,
                algorithm=algorithm).fit(X)
    trace = km.trace_
    assert len(trace.runs) == 4
    runs = trace.runs_to_pandas()
    assert len(runs) == 4
    assert runs["run"].tolist() == [0, 1, 2, 3]
    assert runs["best"].sum() == 1
    assert runs.loc[runs["best"], "run"].item() == trace.best_run
    assert runs["n_iter"].tolist() == [len(r.iterations) for r in trace.runs]
    assert km.inertia_ == pytest.approx(runs.loc[runs["best"], "inertia"].item(),
                                        rel=1e-12)
    assert km.inertia_ <= runs["inertia"].min() * (1 + 1e-9)
    assert km.n_iter_ == runs.loc[runs["best"], "n_iter"].item()
    every = trace.to_pandas(all_runs=True)
    assert len(every) == runs["n_iter"].sum()
    assert sorted(set(every["run"])) == [0, 1, 2, 3]
    assert len(trace.to_pandas()) == km.n_iter_
    # Distinct seeds for the restarts, and each run replays from its init.
    starts = [r.init_centers for r in trace.runs]
    assert not all(np.array_equal(starts[0], s) for s in starts[1:])
    for run in trace.runs:
        replay = KMeans(6, init=run.init_centers, n_init=1,
                        algorithm=algorithm).fit(X)
        assert replay.inertia_ == pytest.approx(run.inertia, rel=1e-9)
        assert replay.n_iter_ == run.n_iter
