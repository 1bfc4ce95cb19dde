"""How ``kmeanslab fit`` and ``choose-k`` read DATA: header rows that look
like numbers, pandas' index column, folders of files, decimals and decimal
commas, unreadable files (click CliRunner on small files in tmp_path)."""

import decimal

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs


@pytest.fixture(scope="module")
def values():
    """90 points in 3 blobs, as decimals (a header of integers differs)."""
    X, _ = make_blobs(n_samples=90, centers=3, cluster_std=0.5, random_state=4)
    return X


def _fit(invoke, path, out, *args):
    return invoke("fit", path, "--k", 3, "--random-state", 0, "--refine", "none",
                  "--out", out, *args)


def test_numeric_header_is_not_a_sample(tmp_path, values, invoke, data_file):
    path = data_file("years.csv", pd.DataFrame(values, columns=["2019", "2020"]))
    out = tmp_path / "out"
    result = _fit(invoke, path, out)
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out / "labels.csv")) == 90
    assert list(pd.read_csv(out / "centers.csv").columns) == ["cluster", "size",
                                                              "2019", "2020"]
    assert "90 samples x 2 features (2019, 2020)" in result.stdout
    assert "header row: 2019, 2020 (--no-header reads it as data)" in result.stdout


def test_header_options_override_the_detection(tmp_path, invoke, data_file):
    rows = "\n".join(f"{a},{b}" for a, b in [(5, 6), (7, 8), (1, 1), (9, 9), (2, 3)])
    path = data_file("ints.csv", "2019,2020\n" + rows + "\n")
    detected = _fit(invoke, path, tmp_path / "a", "--k", 2)
    assert detected.exit_code == 0, detected.output
    assert len(pd.read_csv(tmp_path / "a" / "labels.csv")) == 6  # integers all through
    told = _fit(invoke, path, tmp_path / "b", "--k", 2, "--header")
    assert told.exit_code == 0, told.output
    assert len(pd.read_csv(tmp_path / "b" / "labels.csv")) == 5
    assert "(2019, 2020)" in told.stdout


def test_pandas_index_column_is_skipped_and_said(tmp_path, values, invoke, data_file):
    path = tmp_path / "frame.csv"
    pd.DataFrame(values, columns=["a", "b"]).to_csv(path)  # with its index
    out = tmp_path / "out"
    result = _fit(invoke, path, out)
    assert result.exit_code == 0, result.output
    assert list(pd.read_csv(out / "centers.csv").columns) == ["cluster", "size",
                                                              "a", "b"]
    assert ("first column skipped: it holds the row numbers 0..89 (an index "
            "written by pandas; --keep-index keeps it)") in result.stdout
    kept = _fit(invoke, path, tmp_path / "kept", "--keep-index")
    assert kept.exit_code == 0, kept.output
    assert list(pd.read_csv(tmp_path / "kept" / "centers.csv").columns) == [
        "cluster", "size", "x0", "a", "b"]


def test_choose_k_reads_the_same_way(tmp_path, values, invoke):
    path = tmp_path / "frame.csv"
    pd.DataFrame(values, columns=["2019", "2020"]).to_csv(path)
    result = invoke("choose-k", path, "--k", "2..4", "--criteria", "silhouette",
                    "--random-state", 0, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "90 samples x 2 features (2019, 2020)" in result.stdout
    assert "first column skipped" in result.stdout


def test_folder_of_csv_files(tmp_path, values, invoke):
    folder = tmp_path / "parts"
    folder.mkdir()
    for i, part in enumerate(np.array_split(values, 3)):
        pd.DataFrame(part, columns=["a", "b"]).to_csv(folder / f"part{i}.csv",
                                                     index=False)
    out = tmp_path / "out"
    result = _fit(invoke, folder, out)
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out / "labels.csv")) == 90
    assert "3 files" in result.stdout


@pytest.mark.parametrize("case, fragment", [
    ("parquet-schemas", "the Parquet files' schemas differ: p0.parquet has columns "
                        "(a, b), p1.parquet has (a, c)"),
    ("mixed", "directory mixes Parquet files"),
    ("decimal-comma", "it looks like a decimal comma"),
    ("unreadable", "permission denied (cannot read it)"),
])
def test_unusable_input_is_a_one_line_error(tmp_path, values, invoke, case, fragment,
                                            assert_one_line_error, monkeypatch):
    path = tmp_path / "data"
    if case in ("parquet-schemas", "mixed"):
        path.mkdir()
        pd.DataFrame(values, columns=["a", "b"]).to_parquet(path / "p0.parquet")
        if case == "mixed":
            pd.DataFrame(values, columns=["a", "b"]).to_csv(path / "p1.csv")
        else:
            pd.DataFrame(values, columns=["a", "c"]).to_parquet(path / "p1.parquet")
    elif case == "decimal-comma":
        path = tmp_path / "comma.csv"
        path.write_text("a;b\n" + "\n".join(f"{x:.3f};{y:.3f}".replace(".", ",")
                                            for x, y in values) + "\n")
    else:
        path = tmp_path / "locked.csv"
        pd.DataFrame(values, columns=["a", "b"]).to_csv(path, index=False)
        import os

        # Root reads any file: deny the access check for this one instead.
        real = os.access
        monkeypatch.setattr(os, "access", lambda target, mode, **kwargs: (
            False if os.fspath(target) == str(path) else real(target, mode, **kwargs)))
    for command in ("fit", "choose-k"):
        result = invoke(command, path, "--out", tmp_path / "out")
        assert_one_line_error(result, str(path), fragment)
        assert not (tmp_path / "out").exists()


def test_decimal_parquet_columns_are_numbers(tmp_path, values, invoke):
    path = tmp_path / "money.parquet"
    frame = pd.DataFrame({name: [decimal.Decimal(f"{v:.4f}") for v in values[:, j]]
                          for j, name in enumerate(["a", "b"])})
    frame.to_parquet(path)
    out = tmp_path / "out"
    result = _fit(invoke, path, out)
    assert result.exit_code == 0, result.output
    centers = pd.read_csv(out / "centers.csv")
    assert list(centers.columns) == ["cluster", "size", "a", "b"]
