"""Tests for ``kmeanslab choose-k`` (click CliRunner on small files in tmp_path)."""

import functools
import importlib.util

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs

from kmeanslab import selection
from kmeanslab.cli import choose_k as choose_k_module
from kmeanslab.cli.options import CommandError

# Fast criteria: every k is fitted once and scored without extra fits.
FAST = "inertia,silhouette,calinski-harabasz,davies_bouldin"


@pytest.fixture(scope="module")
def blob_csv(tmp_path_factory):
    """120 points in 3 well separated blobs, with a text column."""
    X, y = make_blobs(n_samples=120, centers=[[-5.0, 0.0], [0.0, 5.0], [5.0, 0.0]],
                      cluster_std=0.5, random_state=7)
    frame = pd.DataFrame({"label": [f"b{v}" for v in y],
                          "x": X[:, 0], "y": 10.0 * X[:, 1]})
    path = tmp_path_factory.mktemp("data") / "blobs.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def run(invoke):
    """``kmeanslab choose-k ARGS...``; see ``invoke`` in conftest.py."""
    return functools.partial(invoke, "choose-k")


def test_constants_match_the_library():
    assert choose_k_module.CRITERIA == selection.CRITERIA
    assert choose_k_module.SILHOUETTE_METHODS == selection.SILHOUETTE_METHODS
    assert choose_k_module.CRITERION_ALIASES == selection.CRITERION_ALIASES


@pytest.mark.parametrize("text, names", [
    ("elbow,silhouette", ("inertia", "silhouette")),
    ("inertia, calinski-harabasz", ("inertia", "calinski_harabasz")),
    ("all", selection.CRITERIA)], ids=["elbow", "inertia", "all"])
def test_parse_criteria(text, names):
    assert choose_k_module.parse_criteria(text) == names


@pytest.mark.parametrize("text, ks", [
    ("2..5", [2, 3, 4, 5]), (" 3 .. 3 ", [3]), ("2,4,8", [2, 4, 8]), ("6", [6])])
def test_parse_k_range(text, ks):
    assert choose_k_module.parse_k_range(text) == ks


@pytest.mark.parametrize("text", ["5..2", "a..b", "2..", "2-5", "", "2,,4"])
def test_parse_k_range_refuses(text):
    with pytest.raises(CommandError, match="--k"):
        choose_k_module.parse_k_range(text)


def test_choose_k_prints_the_recommendation_and_writes_files(tmp_path, blob_csv, run):
    out = tmp_path / "out"
    result = run(blob_csv, "--k", "2..5", "--criteria", FAST, "--columns", "x,y",
                 "--standardize", "--random-state", 0, "--out", out)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "120 samples x 2 features (x, y), standardized" in lines[0]
    assert "recommended k: 3" in lines
    assert any(line.startswith("picks: inertia: 3, silhouette: 3") for line in lines)
    table = pd.read_csv(out / "k_selection.csv")
    assert table["k"].tolist() == [2, 3, 4, 5]
    assert {"inertia", "silhouette", "calinski_harabasz",
            "davies_bouldin"} <= set(table.columns)
    assert (out / "k_selection.png").stat().st_size > 0
    assert lines[-3:] == [f"  {out / 'k_selection.csv'}",
                          f"  {out / 'k_selection.png'}", f"  {out / 'run.json'}"]
    assert "choose_k" in result.stderr  # the progress bar


def test_quiet_parquet_and_no_overwrite_without_force(tmp_path, blob_csv, run,
                                                      assert_one_line_error):
    out = tmp_path / "out"
    args = [blob_csv, "--k", "2,3,4", "--criteria", "silhouette", "--columns",
            "1,2", "--out", out, "--format", "parquet", "--random-state", 0]
    result = run(*args, "--quiet")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [str(out / "k_selection.parquet"),
                                          str(out / "k_selection.png"),
                                          str(out / "run.json")]
    assert result.stderr == ""
    assert pd.read_parquet(out / "k_selection.parquet")["k"].tolist() == [2, 3, 4]
    before = (out / "k_selection.png").read_bytes()
    assert_one_line_error(run(*args), "k_selection.parquet", "--force")
    assert (out / "k_selection.png").read_bytes() == before
    assert run(*args, "--force", "--quiet").exit_code == 0


@pytest.mark.parametrize("args, fragment", [
    (["--k", "5..2"], "the range is empty"),
    (["--k", "a..b"], "--k must be a range like 2..10"),
    (["--criteria", "inertia,elbows"], "unknown criterion 'elbows'"),
    (["--k", "1..1"], "has no k in [2, 119]"),
    (["--k", "2,2"], "--k has repeated values"),
], ids=["reversed", "not-numbers", "unknown-criterion", "no-valid-k", "repeated"])
def test_bad_options_are_one_line_errors(tmp_path, blob_csv, args, fragment, run,
                                         assert_one_line_error):
    result = run(blob_csv, "--columns", "x,y", *args, "--out", tmp_path / "out")
    assert_one_line_error(result, fragment)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name, content, fragment", [
    ("absent.csv", None, "no such file"),
    ("ragged.csv", "a,b\n1,2\n3\n", "line 3 has 1 field"),
], ids=["missing", "ragged"])
def test_bad_data_is_a_one_line_error(tmp_path, name, content, fragment, run,
                                      assert_one_line_error, data_file):
    path = data_file(name, content)
    assert_one_line_error(run(path, "--out", tmp_path / "out"), str(path), fragment)


def test_text_column_needs_columns(tmp_path, blob_csv, run, assert_one_line_error):
    result = run(blob_csv, "--out", tmp_path / "out")
    assert_one_line_error(result, "column 'label' is not numeric", "--columns")


def test_ks_beyond_the_data_are_skipped_with_a_warning(tmp_path, run, data_file):
    path = data_file("six.npy", np.array([[0.0], [0.1], [5.0], [5.1], [9.0], [9.2]]))
    result = run(path, "--k", "2..8", "--criteria", "silhouette", "--out",
                 tmp_path / "out", "--quiet")
    assert result.exit_code == 0, result.output
    assert "Warning: --k: skipping 3 k(s), k=6..8" in result.stderr
    assert pd.read_csv(tmp_path / "out" / "k_selection.csv")["k"].max() == 5


@pytest.mark.skipif(importlib.util.find_spec("kmeanslab.report") is None,
                    reason="kmeanslab.report (write_report) is not written yet")
def test_report(tmp_path, blob_csv, run):
    report = tmp_path / "choose_k.html"
    result = run(blob_csv, "--k", "2..4", "--criteria", "inertia,silhouette",
                 "--columns", "x,y", "--out", tmp_path / "out", "--report", report,
                 "--quiet")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-2:] == [str(report),
                                               str(tmp_path / "out" / "run.json")]
    assert report.read_text().lstrip().lower().startswith("<!doctype html")


def test_quiet_elbow_over_three_ks_warns_nothing_and_says_why(tmp_path, blob_csv,
                                                              run):
    out = tmp_path / "out"
    quiet = run(blob_csv, "--k", "2..4", "--criteria", "elbow", "--columns", "x,y",
                "--out", out, "-q")
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stderr == ""  # no raw matplotlib UserWarning
    loud = run(blob_csv, "--k", "2..4", "--criteria", "elbow", "--columns", "x,y",
               "--out", tmp_path / "loud")
    assert ("The elbow needs at least 4 scored ks and only 3 were scored"
            in loud.stdout)


def test_table_file_holds_the_picks_and_the_recommendation(tmp_path, blob_csv, run):
    out = tmp_path / "out"
    result = run(blob_csv, "--k", "2..5", "--criteria", FAST, "--columns", "x,y",
                 "--standardize", "--random-state", 0, "--out", out, "-q")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "k_selection.csv", keep_default_na=False)
    assert table.loc[table["recommended"], "k"].tolist() == [3]
    assert table.set_index("k").loc[3, "picked_by"] == (
        "inertia,silhouette,calinski_harabasz,davies_bouldin")


def test_a_range_far_beyond_the_data_is_refused(tmp_path, blob_csv, run,
                                                assert_one_line_error):
    result = run(blob_csv, "--k", "2..500", "--columns", "x,y", "--out",
                 tmp_path / "out")
    assert_one_line_error(result, "--k 2..500: 381 of its 499 ks are above 119",
                          "give a range within 2..119")
    assert not (tmp_path / "out").exists()


def test_skip_warning_gives_the_reason_for_the_criteria_asked(tmp_path, run,
                                                              data_file):
    path = data_file("six.npy", np.array([[0.0], [0.1], [5.0], [5.1], [9.0], [9.2]]))
    result = run(path, "--k", "2..8", "--criteria", "elbow", "--out",
                 tmp_path / "out", "-q")
    assert result.exit_code == 0, result.output
    assert "silhouette" not in result.stderr
    assert "choose_k compares 2 <= k <= n_samples - 1 = 5" in result.stderr


def test_help_describes_what_choose_k_does(invoke):
    text = " ".join(invoke("choose-k", "--help").stdout.split())
    for fragment in ("--header / --no-header", "--keep-index", "run.json",
                     "needs at least 4 ks", "the criteria that pick it",
                     "is printed and written to run.json", "--out DIR"):
        assert fragment in text, fragment
