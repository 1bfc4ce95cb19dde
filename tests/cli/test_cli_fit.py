"""Tests for ``kmeanslab fit`` (click CliRunner on small files in tmp_path)."""

import functools
import importlib.util

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs

from kmeanslab.cli import fit as fit_module

TABLES = ["labels.csv", "centers.csv", "trace.csv", "moves.csv"]  # breathing by default
FIGURES = ["clusters.png", "trace.png", "silhouette.png"]
RECORD = ["run.json"]
DIAGNOSTIC_COLUMNS = ["label", "distance", "second_distance", "margin",
                      "relative_margin", "membership", "ambiguous"]


@pytest.fixture(scope="module")
def blob_frame():
    """150 points in 3 blobs; y in other units than x, plus a text column."""
    X, y = make_blobs(n_samples=150, centers=3, cluster_std=0.6, random_state=3)
    frame = pd.DataFrame({"x": X[:, 0], "y": 100.0 * X[:, 1]})
    frame["kind"] = [f"blob{label}" for label in y]
    return frame


@pytest.fixture
def blob_csv(data_file, blob_frame):
    return data_file("blobs.csv", blob_frame)


@pytest.fixture
def run(invoke):
    """``kmeanslab fit ARGS...``; see ``invoke`` in conftest.py."""
    return functools.partial(invoke, "fit")


def test_init_names_match_the_library():
    from kmeanslab._validation import INIT_NAMES

    assert fit_module.INIT_NAMES == INIT_NAMES


def test_fit_writes_tables_and_figures(tmp_path, blob_csv, blob_frame, run):
    out = tmp_path / "out"
    result = run(blob_csv, "--k", 3, "--columns", "x,y", "--random-state", 0,
                 "--out", out)
    assert result.exit_code == 0, result.output
    for name in TABLES + FIGURES + RECORD:
        assert (out / name).stat().st_size > 0
        assert f"  {out / name}" in result.stdout.splitlines()
    labels = pd.read_csv(out / "labels.csv")
    assert list(labels.columns) == DIAGNOSTIC_COLUMNS and len(labels) == 150
    centers = pd.read_csv(out / "centers.csv")
    assert list(centers.columns) == ["cluster", "size", "x", "y"]
    assert centers["size"].sum() == 150
    trace = pd.read_csv(out / "trace.csv")
    assert {"iteration", "inertia", "n_changed"} <= set(trace.columns)
    stdout = result.stdout
    assert "Data: " in stdout and "150 samples x 2 features (x, y)" in stdout
    assert "k-means: k=3" in stdout and "n_iter=" in stdout
    assert "Mean silhouette: " in stdout
    assert "kmeanslab fit" in result.stderr  # the progress bar


def test_standardize_reports_centres_in_original_units(tmp_path, blob_csv, blob_frame,
                                                       run):
    out = tmp_path / "out"
    result = run(blob_csv, "--k", 3, "--columns", "0,1", "--standardize",
                 "--random-state", 0, "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    labels = pd.read_csv(out / "labels.csv")["label"]
    centers = pd.read_csv(out / "centers.csv").set_index("cluster")
    # A k-means centre is its cluster's mean, in whatever units X has.
    means = blob_frame[["x", "y"]].groupby(labels.to_numpy()).mean()
    np.testing.assert_allclose(centers[["x", "y"]], means, rtol=1e-9, atol=1e-9)
    # The distances are measured in standardized units.
    assert labels.size == 150
    assert pd.read_csv(out / "labels.csv")["distance"].max() < 10


@pytest.mark.parametrize("source", ["csv-no-header", "parquet", "npy"])
def test_input_formats(tmp_path, blob_frame, source, run, data_file):
    values = blob_frame[["x", "y"]].to_numpy()
    if source == "csv-no-header":
        path = data_file("blobs.csv", values)
    elif source == "parquet":
        path = data_file("blobs.parquet", blob_frame)
    else:
        path = data_file("blobs.npy", values)
    out = tmp_path / "out"
    args = ["--columns", "x,y"] if source == "parquet" else []
    result = run(path, "--k", 3, "--random-state", 0, "--out", out,
                 "--format", "parquet", "--quiet", *args)
    assert result.exit_code == 0, result.output
    centers = pd.read_parquet(out / "centers.parquet")
    names = ["x", "y"] if source == "parquet" else ["x0", "x1"]
    assert list(centers.columns) == ["cluster", "size", *names]
    assert len(pd.read_parquet(out / "labels.parquet")) == 150


def test_quiet_prints_only_the_files(tmp_path, blob_csv, run):
    out = tmp_path / "out"
    result = run(blob_csv, "--k", 2, "--columns", "x,y", "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [str(out / n) for n in TABLES + FIGURES + RECORD]
    assert result.stderr == ""


def test_no_overwrite_without_force(tmp_path, blob_csv, run, assert_one_line_error):
    out = tmp_path / "out"
    assert run(blob_csv, "--k", 3, "--columns", "x,y", "--out", out,
               "-q").exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = run(blob_csv, "--k", 3, "--columns", "x,y", "--out", out)
    assert_one_line_error(result, "labels.csv", "--force")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    (out / "labels.csv").write_text("stale")
    result = run(blob_csv, "--k", 3, "--columns", "x,y", "--out", out, "--force",
                 "-q")
    assert result.exit_code == 0, result.output
    assert (out / "labels.csv").read_text().startswith("label,distance")


@pytest.mark.parametrize("name, content, fragment", [
    ("absent.csv", None, "no such file"),
    ("text.csv", "x,label\n1,a\n2,b\n3,c\n", "column 'label' is not numeric"),
    ("ragged.csv", "1,2\n3,4\n5,6,7\n", "line 3 has 3 field"),
    ("empty.csv", "", "is empty"),
], ids=["missing", "text-column", "ragged", "empty"])
def test_bad_data_is_a_one_line_error(tmp_path, name, content, fragment, run,
                                      assert_one_line_error, data_file):
    path = data_file(name, content)
    out = tmp_path / "out"
    result = run(path, "--k", 2, "--out", out)
    assert_one_line_error(result, str(path), fragment)
    assert not out.exists()


@pytest.mark.parametrize("args, fragment", [
    (["--k", "0"], "--k must be >= 1, got 0"),
    (["--k", "many"], "--k must be an integer, got 'many'"),
    (["--random-state", "-1"], "--random-state must be an integer in [0, "),
    (["--k", "500"], "--k 500 is larger than the number of samples (150)"),
    (["--n-init", "many"], "--n-init must be a positive integer or 'auto'"),
    (["--tol", "-1"], "--tol must be a finite number >= 0"),
    (["--columns", "x,nope"], "no column 'nope'"),
], ids=["k-zero", "k-not-int", "seed", "k-too-large", "n-init", "tol",
        "unknown-column"])
def test_bad_options_are_one_line_errors(tmp_path, blob_csv, args, fragment, run,
                                         assert_one_line_error):
    result = run(blob_csv, "--columns", "x,y", *args, "--out", tmp_path / "out")
    assert_one_line_error(result, fragment)


def test_more_features_plot_principal_components_and_refine(tmp_path, run, data_file):
    X, _ = make_blobs(n_samples=120, centers=3, n_features=4, random_state=0)
    path = data_file("four.npy", X)
    out = tmp_path / "out"
    result = run(path, "--k", 3, "--refine", "breathing", "--random-state", 1,
                 "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    assert (out / "moves.csv").exists() and (out / "clusters.png").exists()


def test_refine_none_is_plain_kmeans(tmp_path, blob_csv, run):
    out = tmp_path / "out"
    result = run(blob_csv, "--k", 2, "--columns", "x,y", "--refine", "none",
                 "--random-state", 0, "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    assert not (out / "moves.csv").exists()
    assert (out / "trace.csv").exists()


def test_large_data_skips_the_silhouette(tmp_path, blob_csv, monkeypatch, run):
    monkeypatch.setattr(fit_module, "SILHOUETTE_MAX_SAMPLES", 100)
    out = tmp_path / "out"
    result = run(blob_csv, "--k", 3, "--columns", "x,y", "--out", out)
    assert result.exit_code == 0, result.output
    assert ("Silhouette plot skipped: 150 samples, more than the 100 its exact "
            "O(n^2) computation is run for") in result.stdout
    assert not (out / "silhouette.png").exists()


@pytest.mark.skipif(importlib.util.find_spec("kmeanslab.report") is None,
                    reason="kmeanslab.report (write_report) is not written yet")
def test_report(tmp_path, blob_csv, run, assert_one_line_error):
    out = tmp_path / "out"
    report = tmp_path / "reports" / "fit.html"
    result = run(blob_csv, "--k", 3, "--columns", "x,y", "--out", out,
                 "--report", report, "--quiet")
    assert result.exit_code == 0, result.output
    assert str(report) in result.stdout.splitlines()
    assert report.read_text().lstrip().lower().startswith("<!doctype html")
    again = run(blob_csv, "--k", 3, "--columns", "x,y", "--out", tmp_path / "o2",
                "--report", report)
    assert_one_line_error(again, "fit.html", "--force")
    assert not (tmp_path / "o2").exists()


def test_one_cluster_leaves_the_runner_up_columns_empty(tmp_path, blob_csv, run):
    out = tmp_path / "out"
    result = run(blob_csv, "--k", 1, "--columns", "x,y", "--out", out)
    assert result.exit_code == 0, result.output
    text = (out / "labels.csv").read_text()
    assert "inf" not in text
    labels = pd.read_csv(out / "labels.csv")
    assert labels["second_distance"].isna().all() and labels["margin"].isna().all()
    assert text.splitlines()[1].split(",")[2:4] == ["", ""]
    assert ("Silhouette plot skipped: the silhouette compares clusters and this "
            "fit has 1") in result.stdout


def test_many_cluster_sizes_are_summarised(tmp_path, blob_csv, run):
    out = tmp_path / "out"
    result = run(blob_csv, "--k", 40, "--columns", "x,y", "--refine", "none",
                 "--out", out)
    assert result.exit_code == 0, result.output
    sizes = next(line for line in result.stdout.splitlines()
                 if line.startswith("Cluster sizes: "))
    assert sizes.startswith("Cluster sizes: smallest ")
    assert sizes.endswith("(each of the 40 in the centers table)")


def test_report_uses_the_column_names_and_says_standardised(tmp_path, blob_csv, run):
    report = tmp_path / "fit.html"
    result = run(blob_csv, "--k", 3, "--columns", "x,y", "--standardize",
                 "--out", tmp_path / "out", "--report", report, "-q")
    assert result.exit_code == 0, result.output
    page = report.read_text(encoding="utf-8")
    assert "<th>x</th><th>y</th>" in page and "<th>x0</th>" not in page
    assert "The data was standardised before clustering" in page
    centers = pd.read_csv(tmp_path / "out" / "centers.csv")
    from kmeanslab.report._html import fmt

    assert f"<td>{fmt(centers.loc[0, 'y'])}</td>" in page  # the table's units


def test_silhouette_shows_progress_inside_its_step(tmp_path, blob_csv, run, monkeypatch):
    from kmeanslab import metrics

    real = metrics.silhouette_samples

    def in_parts(X, labels, progress=None, **kwargs):
        scores = real(X, labels, **kwargs)
        for done in range(1, 5):
            progress(done, 4)
        return scores

    monkeypatch.setattr(metrics, "silhouette_samples", in_parts)
    result = run(blob_csv, "--k", 3, "--columns", "x,y", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    frames = result.stderr.replace("\r", "\n").splitlines()
    shown = [line for line in frames if "silhouette " in line]
    assert any("silhouette 25%" in line for line in shown)
    assert any("silhouette 100%" in line for line in shown)
    assert "4/4" in frames[-1] or "4/4" in frames[-2]


def test_trace_table_has_the_breathing_phases(tmp_path, blob_csv, run):
    out = tmp_path / "out"
    result = run(blob_csv, "--k", 3, "--columns", "x,y", "--random-state", 0,
                 "--out", out, "-q")
    assert result.exit_code == 0, result.output
    trace = pd.read_csv(out / "trace.csv")
    assert {"phase", "kind", "cycle", "n_clusters"} <= set(trace.columns)
    assert trace.loc[trace["phase"] == 0, "kind"].eq("k-means").all()
    assert trace.groupby("phase")["iteration"].min().eq(1).all()
    assert trace["elapsed"].is_monotonic_increasing


def test_help_describes_what_fit_does(invoke):
    text = invoke("fit", "--help").stdout
    for fragment in ("--header / --no-header", "--keep-index", "run.json",
                     "directory of Parquet files or of text files",
                     "second_distance and margin are empty",
                     "remove the files with this command's output names"):
        assert fragment in " ".join(text.split()), fragment
