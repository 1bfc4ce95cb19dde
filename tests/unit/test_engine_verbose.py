"""The engine's progress log (``kmeanslab._engine`` at DEBUG): scikit-learn's
verbose lines, the same iterations and inertias, and nothing logged when
DEBUG is off."""

import logging
import re

import numpy as np
import pytest
from sklearn.cluster import KMeans as SKLearnKMeans
from sklearn.datasets import make_blobs

from kmeanslab import kmeans

LINE = re.compile(r"Iteration (\d+), inertia ([0-9.e+-]+)\.")


def _iterations(lines):
    return [(int(m.group(1)), float(m.group(2)))
            for m in map(LINE.fullmatch, lines) if m]


@pytest.mark.parametrize("max_iter", [300, 3], ids=["converges", "capped"])
def test_log_follows_scikit_learn(caplog, capsys, max_iter):
    X, _ = make_blobs(n_samples=500, centers=4, cluster_std=2.0, random_state=1)
    init = X[:4].copy()
    with caplog.at_level(logging.DEBUG, logger="kmeanslab._engine"):
        kmeans(X, 4, init=init, n_init=1, max_iter=max_iter, algorithm="lloyd")
    ours = [record.getMessage() for record in caplog.records]
    SKLearnKMeans(4, init=init, n_init=1, max_iter=max_iter, algorithm="lloyd",
                  verbose=1).fit(X)
    theirs = capsys.readouterr().out.strip().splitlines()
    assert ours[0] == theirs[0] == "Initialization complete"
    mine, sk = _iterations(ours), _iterations(theirs)
    assert [i for i, _ in mine] == [i for i, _ in sk]
    np.testing.assert_allclose([v for _, v in mine], [v for _, v in sk], rtol=1e-9)
    if max_iter == 3:
        assert ours[-1] == "Stopped at max_iter=3 without converging."
    else:
        converged = [line for line in theirs if line.startswith("Converged")]
        assert ours[-1].split(":")[0] == converged[0].split(":")[0]


def test_nothing_is_logged_without_debug(caplog):
    X, _ = make_blobs(n_samples=100, centers=2, random_state=0)
    with caplog.at_level(logging.INFO, logger="kmeanslab._engine"):
        kmeans(X, 2, random_state=0)
    assert not [r for r in caplog.records if r.name == "kmeanslab._engine"]


def test_breathing_runs_say_which_step_they_are(caplog):
    X, _ = make_blobs(n_samples=600, centers=6, random_state=0)
    with caplog.at_level(logging.DEBUG, logger="kmeanslab._engine"):
        result = kmeans(X, 3, random_state=0, refine="breathing")
    starts = [r.getMessage() for r in caplog.records
              if not r.getMessage().startswith(("Iteration", "Converged", "Stopped"))]
    moves = result.trace.moves[0]
    assert starts[0] == "Initialization complete"
    expected = []
    for move in moves[1:]:
        if move.kind == "breathe in":
            expected.append(f"Breathing cycle {move.cycle}: breathe in, "
                            f"{move.n_clusters} centres (m={move.m})")
        else:
            expected.append(f"Breathing cycle {move.cycle}: breathe out, 3 centres")
            expected.append(f"Breathing cycle {move.cycle}: inertia {move.inertia}, "
                            + ("kept." if move.accepted else "not kept"))
    for got, want in zip(starts[1:], expected):
        assert got.startswith(want), (got, want)
    assert len(starts) == 1 + len(expected)
