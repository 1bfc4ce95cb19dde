"""Tests for the phases of a breathing fit's trace: the first k-means run
per iteration, each breathe-in and breathe-out run with its number of
centres, ``n_iter_`` as scikit-learn means it, and the figure and report
replay drawn phase by phase."""

import numpy as np
import pytest
from matplotlib.figure import Figure
from sklearn.datasets import make_blobs

from kmeanslab import KMeans

K = 4


@pytest.fixture(scope="module")
def data():
    X, _ = make_blobs(n_samples=1500, centers=8, cluster_std=1.5, random_state=2)
    return X, X[:K].copy()


@pytest.fixture(scope="module")
def breathing(data):
    X, init = data
    return KMeans(K, init=init, n_init=1, refine="breathing", max_iter=5,
                  record_labels=True).fit(X)


def test_n_iter_counts_the_returned_k_centre_run(breathing):
    phases = breathing.trace_.phases
    assert len(phases) > 3  # there were breathing cycles
    kept = [p for p in phases if p.index == 0 or p.accepted][-1]
    assert breathing.n_iter_ == kept.n_iter <= 5
    assert all(p.n_iter <= 5 for p in phases)  # max_iter caps every run


def test_phases_have_their_kind_and_number_of_centres(breathing):
    phases = breathing.trace_.phases
    assert phases[0].kind == "k-means" and phases[0].n_clusters == K
    moves = breathing.trace_.moves[0][1:]
    for phase, move in zip(phases[1:], moves):
        assert (phase.kind, phase.cycle, phase.m) == (move.kind, move.cycle, move.m)
        expected = K + phase.m if phase.kind == "breathe in" else K
        assert phase.n_clusters == expected
        assert all(len(r.centers) == expected for r in phase.iterations)
        assert [r.iteration for r in phase.iterations] == list(
            range(1, phase.n_iter + 1))
        assert phase.inertia == move.inertia


def test_centers_at_keeps_its_word(data, breathing):
    X, init = data
    trace = breathing.trace_
    assert len(trace) == trace.phases[0].n_iter
    for i in range(1, len(trace) + 1):
        plain = KMeans(K, init=init, n_init=1, max_iter=i).fit(X)
        assert trace.centers_at(i).shape == (K, X.shape[1])
        np.testing.assert_array_equal(trace.centers_at(i), plain.cluster_centers_)


def test_table_marks_the_phases(breathing):
    frame = breathing.trace_.to_pandas()
    assert {"phase", "kind", "cycle", "n_clusters"} <= set(frame.columns)
    assert len(frame) == sum(p.n_iter for p in breathing.trace_.phases)
    assert frame["elapsed"].is_monotonic_increasing
    first = frame[frame["phase"] == 0]
    assert first["kind"].eq("k-means").all() and first["n_clusters"].eq(K).all()
    assert frame.groupby("phase")["iteration"].min().eq(1).all()


def test_plain_fit_has_one_phase(data):
    X, init = data
    plain = KMeans(K, init=init, n_init=1).fit(X)
    (phase,) = plain.trace_.phases
    assert phase.kind == "k-means" and phase.n_iter == plain.n_iter_ == len(plain.trace_)
    assert plain.trace_.to_pandas()["phase"].eq(0).all()


def test_figure_draws_one_point_per_breathing_cycle(breathing):
    ax = breathing.trace_.plot(ax=Figure().subplots())
    cycles = [p for p in breathing.trace_.phases if p.kind == "breathe out"]
    first = breathing.trace_.phases[0]
    np.testing.assert_array_equal(ax.lines[0].get_xdata(),
                                  np.arange(1, first.n_iter + 1))
    markers = [line for line in ax.lines if line.get_marker() == "D"]
    xs = np.sort(np.concatenate([line.get_xdata() for line in markers]))
    np.testing.assert_array_equal(xs, first.n_iter + np.arange(1, len(cycles) + 1))
    ys = dict(zip(np.concatenate([line.get_xdata() for line in markers]),
                  np.concatenate([line.get_ydata() for line in markers])))
    assert [ys[first.n_iter + i + 1] for i in range(len(cycles))] == [
        p.inertia for p in cycles]
    assert ax.get_xlabel() == "iteration, then breathing cycle"


def test_report_replays_iterations_then_cycles(data, breathing, tmp_path):
    import json
    import re

    from kmeanslab.report import write_report

    X, _ = data
    page = write_report(tmp_path / "r.html", X=X,
                        trace=breathing.trace_).read_text(encoding="utf-8")
    payload = re.search(r'data-role="data">(.*?)</script>', page, re.S).group(1)
    labels = [frame["label"] for frame in json.loads(payload)["frames"]]
    phases = breathing.trace_.phases
    cycles = [p for p in phases if p.kind == "breathe out"]
    assert len(labels) == 1 + phases[0].n_iter + len(cycles)
    assert labels[phases[0].n_iter] == (f"Iteration {phases[0].n_iter} of "
                                        f"{phases[0].n_iter}")
    assert labels[-1].startswith(f"Breathing cycle {len(cycles)} of {len(cycles)}")
