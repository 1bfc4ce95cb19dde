"""What every command does around its work: output locations checked before
any work, an earlier run's leftovers, the seed and run.json, Ctrl-C,
warnings after the progress bar (click CliRunner on small files)."""

import hashlib
import json
import os

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs

from kmeanslab import KMeans

COMMANDS = {
    "fit": ["fit", "{data}", "--k", "3", "--refine", "none"],
    "choose-k": ["choose-k", "{data}", "--k", "2..4", "--criteria", "silhouette"],
    "demo": ["demo"],
}


@pytest.fixture(scope="module")
def blobs_csv(tmp_path_factory):
    X, _ = make_blobs(n_samples=120, centers=3, cluster_std=0.5, random_state=5)
    path = tmp_path_factory.mktemp("data") / "blobs.csv"
    pd.DataFrame(X, columns=["x", "y"]).to_csv(path, index=False)
    return path


def _args(command, data, *more):
    return [arg.format(data=data) for arg in COMMANDS[command]] + [str(m) for m in more]


@pytest.fixture
def no_work(monkeypatch):
    """Make any fit or demo an error that is not a one-line usage error."""
    def refuse(*args, **kwargs):
        raise AssertionError("the command started its work")

    monkeypatch.setattr(KMeans, "fit", refuse)
    monkeypatch.setattr("kmeanslab.selection.choose_k", refuse)
    monkeypatch.setattr("kmeanslab.demo.run_demo", refuse)


@pytest.mark.parametrize("where", ["out-under-file", "out-is-file", "report"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_output_under_a_file_is_refused_before_any_work(tmp_path, blobs_csv, invoke,
                                                        assert_one_line_error,
                                                        command, where, no_work):
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    out = {"out-under-file": blocker / "out", "out-is-file": blocker}.get(
        where, tmp_path / "out")
    report = blocker / "r.html" if where == "report" else tmp_path / "r.html"
    result = invoke(*_args(command, blobs_csv, "--out", out, "--report", report))
    assert_one_line_error(result, f"{blocker} is a file, not a directory")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


def test_report_path_that_is_a_folder_is_refused(tmp_path, blobs_csv, invoke,
                                                 assert_one_line_error, no_work):
    result = invoke("fit", blobs_csv, "--out", tmp_path / "out", "--report", tmp_path)
    assert_one_line_error(result, f"{tmp_path} is a directory")


@pytest.mark.parametrize("command", list(COMMANDS))
def test_read_only_folder_is_refused_in_one_line(tmp_path, blobs_csv, invoke,
                                                 assert_one_line_error, monkeypatch,
                                                 command, no_work):
    read_only = tmp_path / "ro"
    read_only.mkdir()
    real = os.access
    # Root writes anywhere: deny the access check for this folder instead.
    monkeypatch.setattr(os, "access", lambda path, mode, **kwargs: (
        False if os.fspath(path) == str(read_only) else real(path, mode, **kwargs)))
    result = invoke(*_args(command, blobs_csv, "--out", read_only))
    assert_one_line_error(result, f"cannot write into {read_only}: permission denied")


def test_force_removes_what_an_earlier_run_left_and_nothing_else(tmp_path, blobs_csv,
                                                                 invoke,
                                                                 assert_one_line_error):
    out = tmp_path / "out"
    first = invoke("fit", blobs_csv, "--k", 3, "--out", out, "-q")  # breathing
    assert first.exit_code == 0, first.output
    (out / "notes.txt").write_text("mine")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    args = ["fit", blobs_csv, "--k", 3, "--refine", "none", "--format", "parquet",
            "--out", out]
    refused = invoke(*args)
    assert_one_line_error(refused, "already exist", "--force")
    assert "force=True" not in refused.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    result = invoke(*args, "--force")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "centers.parquet", "clusters.png", "labels.parquet", "notes.txt", "run.json",
        "silhouette.png", "trace.parquet", "trace.png"]
    removed = next(line for line in result.stdout.splitlines()
                   if line.startswith("Removed from an earlier run: "))
    for name in ("labels.csv", "centers.csv", "trace.csv", "moves.csv"):
        assert str(out / name) in removed


def test_leftovers_alone_are_refused_without_force(tmp_path, blobs_csv, invoke,
                                                   assert_one_line_error):
    out = tmp_path / "out"
    assert invoke("choose-k", blobs_csv, "--k", "2..3", "--out", out,
                  "-q").exit_code == 0
    for name in ("k_selection.png", "run.json"):
        (out / name).unlink()
    result = invoke("choose-k", blobs_csv, "--k", "2..3", "--format", "parquet",
                    "--out", out)
    assert_one_line_error(result, f"{out} holds k_selection.csv from an earlier run",
                          "pass --force to remove it")
    assert sorted(p.name for p in out.iterdir()) == ["k_selection.csv"]


def test_seed_is_printed_and_run_json_repeats_the_run(tmp_path, blobs_csv, invoke):
    out = tmp_path / "out"
    result = invoke("fit", blobs_csv, "--k", 3, "--out", out)
    assert result.exit_code == 0, result.output
    seed_line = next(line for line in result.stdout.splitlines()
                     if line.startswith("Seed: "))
    seed = int(seed_line.split()[1])
    assert f"--random-state {seed} repeats it" in seed_line
    record = json.loads((out / "run.json").read_text())
    assert record["seed"] == seed and record["command"].endswith("fit")
    assert record["parameters"]["n_clusters"] == 3
    import kmeanslab

    assert record["kmeanslab_version"] == kmeanslab.__version__
    digest = hashlib.sha256(blobs_csv.read_bytes()).hexdigest()
    assert record["input"] == {
        "path": str(blobs_csv), "name": "blobs.csv", "format": "csv",
        "files": [str(blobs_csv)], "shape": [120, 2], "columns": ["x", "y"],
        "header": True, "index_column_skipped": None,
        "checksum": f"sha256:{digest}"}
    assert record["repeat"].endswith(f"--random-state {seed}")
    again = invoke("fit", blobs_csv, "--k", 3, "--out", tmp_path / "again",
                   "--random-state", seed)
    assert again.exit_code == 0, again.output
    for name in ("labels.csv", "centers.csv"):
        assert (out / name).read_bytes() == (tmp_path / "again" / name).read_bytes()
    assert f"Seed: {seed} (--random-state)" in again.stdout


def test_choose_k_prints_and_records_its_seed(tmp_path, blobs_csv, invoke):
    out = tmp_path / "out"
    result = invoke("choose-k", blobs_csv, "--k", "2..4", "--criteria",
                    "silhouette,stability", "--out", out)
    assert result.exit_code == 0, result.output
    seed = json.loads((out / "run.json").read_text())["seed"]
    assert f"Seed: {seed} (drawn for this run" in result.stdout
    again = invoke("choose-k", blobs_csv, "--k", "2..4", "--criteria",
                   "silhouette,stability", "--out", tmp_path / "again",
                   "--random-state", seed)
    assert (pd.read_csv(out / "k_selection.csv").drop(columns="fit_seconds").equals(
        pd.read_csv(tmp_path / "again" / "k_selection.csv").drop(
            columns="fit_seconds")))


@pytest.mark.parametrize("command", ["fit", "choose-k"])
def test_ctrl_c_ends_with_130(tmp_path, blobs_csv, invoke, monkeypatch, command):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(KMeans, "fit", interrupted)
    monkeypatch.setattr("kmeanslab.selection.choose_k", interrupted)
    result = invoke(*_args(command, blobs_csv, "--out", tmp_path / "out", "-q"))
    assert result.exit_code == 130
    assert result.stderr.strip().splitlines()[-1] == "Interrupted."
    assert "Traceback" not in result.output and "Aborted" not in result.output
    assert not (tmp_path / "out").exists()


def test_warnings_come_after_the_progress_bar(tmp_path, invoke, data_file):
    # Three distinct points and k=5: the fit warns about empty clusters.
    path = data_file("few.npy", np.repeat(np.eye(3), 10, axis=0))
    result = invoke("fit", path, "--k", 5, "--refine", "none", "--out",
                    tmp_path / "out")
    assert result.exit_code == 0, result.output
    lines = result.stderr.replace("\r", "\n").strip().splitlines()
    warning = [i for i, line in enumerate(lines) if "Warning:" in line]
    assert warning and lines[warning[0]].startswith("Warning: Number of distinct "
                                                    "clusters (3)")
    assert all("kmeanslab fit" not in line for line in lines[warning[0]:])
