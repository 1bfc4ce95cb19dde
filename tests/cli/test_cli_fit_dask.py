"""kmeanslab fit on a Dask cluster: --workers and --scheduler."""

import functools

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs


pytest.importorskip("distributed")


@pytest.fixture
def run(invoke):
    """``kmeanslab fit ARGS...``; see ``invoke`` in conftest.py."""
    return functools.partial(invoke, "fit")


def test_workers_fit_matches_the_in_memory_fit(tmp_path, run, data_file):
    X, _ = make_blobs(n_samples=3000, centers=4, random_state=0)
    path = data_file("blobs.npy", X)
    out = tmp_path / "out"
    result = run(path, "--k", 4, "--workers", 2, "--random-state", 0,
                 "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    labels = pd.read_csv(out / "labels.csv")["label"].to_numpy()
    centers = pd.read_csv(out / "centers.csv")[["x0", "x1"]].to_numpy()
    # Every point labelled with its nearest written centre.
    nearest = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    np.testing.assert_array_equal(nearest, labels)
    assert (out / "moves.csv").exists()  # breathing by default, as in memory


def test_unreachable_scheduler_is_a_one_line_error(tmp_path, run, data_file):
    X, _ = make_blobs(n_samples=100, centers=2, random_state=0)
    path = data_file("blobs.npy", X)
    result = run(path, "--k", 2, "--scheduler", "tcp://127.0.0.1:1",
                 "--out", tmp_path / "out", "--quiet")
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "127.0.0.1:1" in lines[0], result.output


def test_scheduler_and_workers_together_are_refused(tmp_path, run, data_file):
    path = data_file("blobs.npy", np.zeros((10, 2)))
    result = run(path, "--k", 2, "--scheduler", "tcp://127.0.0.1:1",
                 "--workers", 2, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "--scheduler or --workers" in result.output


def test_workers_summary_names_the_seeding_that_ran(tmp_path, run, data_file):
    X, _ = make_blobs(n_samples=600, centers=3, random_state=0)
    path = data_file("blobs.npy", X)
    out = tmp_path / "out"
    result = run(path, "--k", 3, "--workers", 1, "--random-state", 0, "--out", out)
    assert result.exit_code == 0, result.output
    assert ("k-means: k=3, init=k-means|| (asked k-means++; it runs as k-means|| "
            "on Dask)") in result.stdout
    import json

    assert json.loads((out / "run.json").read_text())["init_ran"] == "k-means||"
