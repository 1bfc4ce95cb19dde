"""Tests for kmeanslab.io._read: reading tables and refusing bad files."""

import numpy as np
import pandas as pd
import pytest

from kmeanslab.io import DataFileError, read_table

EXPECTED = np.array([[1.0, 2.5, -3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.5]])


def _text_table(delimiter, header):
    rows = [delimiter.join(f"{v:g}" for v in row) for row in EXPECTED]
    if header:
        rows.insert(0, delimiter.join(["a", "b", "c"]))
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize("header", [True, False], ids=["header", "no-header"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "  "],
                         ids=["comma", "semicolon", "tab", "spaces"])
def test_read_text_sniffs_delimiter_and_header(tmp_path, delimiter, header):
    path = tmp_path / "data.csv"
    path.write_text(_text_table(delimiter, header))
    X, names = read_table(path)
    assert X.dtype == np.float64 and X.flags.c_contiguous
    np.testing.assert_array_equal(X, EXPECTED)
    assert names == (["a", "b", "c"] if header else ["x0", "x1", "x2"])


def test_read_text_skips_blank_lines_and_keeps_line_numbers(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("\na,b\n1,2\n\n3,x\n")
    X, _ = read_table(path, columns="a")
    np.testing.assert_array_equal(X, [[1.0], [3.0]])
    with pytest.raises(DataFileError, match=r"column 'b' .*'x' on line 5"):
        read_table(path)


def test_read_single_column_text(tmp_path):
    path = tmp_path / "one.txt"
    path.write_text("1.5\n2\n3\n")
    X, names = read_table(path)
    np.testing.assert_array_equal(X, [[1.5], [2.0], [3.0]])
    assert names == ["x0"]


def test_read_parquet_file_and_directory(tmp_path):
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [3, 4], "name": ["p", "q"]})
    frame.to_parquet(tmp_path / "t.parquet")
    X, names = read_table(tmp_path / "t.parquet", columns=["a", "b"])
    np.testing.assert_array_equal(X, [[1.0, 3.0], [2.0, 4.0]])
    assert names == ["a", "b"]
    parts = tmp_path / "parts"
    parts.mkdir()
    frame.iloc[:1].to_parquet(parts / "part-0.parquet")
    frame.iloc[1:].to_parquet(parts / "part-1.parquet")
    X, _ = read_table(parts, columns="a,b")
    np.testing.assert_array_equal(X, [[1.0, 3.0], [2.0, 4.0]])


@pytest.mark.parametrize("source", ["parquet", "npy"])
def test_float32_is_kept(tmp_path, source):
    values = np.arange(6, dtype=np.float32).reshape(3, 2)
    if source == "parquet":
        path = tmp_path / "t.parquet"
        pd.DataFrame(values, columns=["a", "b"]).to_parquet(path)
    else:
        path = tmp_path / "t.npy"
        np.save(path, values)
    X, _ = read_table(path)
    assert X.dtype == np.float32
    np.testing.assert_array_equal(X, values)


def test_read_npy_integer_and_1d(tmp_path):
    np.save(tmp_path / "ints.npy", np.arange(4).reshape(2, 2))
    X, names = read_table(tmp_path / "ints.npy")
    assert X.dtype == np.float64 and names == ["x0", "x1"]
    np.save(tmp_path / "flat.npy", np.array([1.0, 2.0, 3.0]))
    X, names = read_table(tmp_path / "flat.npy")
    assert X.shape == (3, 1) and names == ["x0"]


@pytest.mark.parametrize("columns, expected, names", [
    ("c,a", [[-3.0, 1.0], [6.0, 4.0], [9.5, 7.0]], ["c", "a"]),
    ("2, 0", [[-3.0, 1.0], [6.0, 4.0], [9.5, 7.0]], ["c", "a"]),
    (["b", 0], [[2.5, 1.0], [5.0, 4.0], [8.0, 7.0]], ["b", "a"]),
], ids=["names", "positions", "mixed-list"])
def test_columns_select_by_name_or_position(tmp_path, columns, expected, names):
    path = tmp_path / "data.csv"
    path.write_text(_text_table(",", header=True))
    X, got_names = read_table(path, columns=columns)
    np.testing.assert_array_equal(X, expected)
    assert got_names == names


def test_columns_leave_out_a_text_column(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("x,label,y\n1,a,2\n3,b,4\n")
    X, names = read_table(path, columns="x,y")
    np.testing.assert_array_equal(X, [[1.0, 2.0], [3.0, 4.0]])
    assert names == ["x", "y"]


def _write(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


BAD_FILES = {
    "missing": (None, "no such file"),
    "unsupported": (("data.json", "{}"), "unsupported file type '.json'"),
    "empty": (("data.csv", ""), "is empty"),
    "blank-lines": (("data.csv", "\n\n"), "is empty"),
    "header-only": (("data.csv", "a,b\n"), "header line but no data rows"),
    "ragged-long": (("data.csv", "a,b\n1,2\n3,4,5\n"), "line 3 has 3 field"),
    "ragged-short": (("data.csv", "1,2,3\n4,5\n6,7,8\n"), "line 2 has 2 field"),
    "text-column": (("data.csv", "x,label\n1,a\n2,b\n"),
                    "column 'label' is not numeric"),
    "nan": (("data.csv", "a,b\n1,2\n3,nan\n"), "column 'b' has 1 missing or NaN"),
    "empty-field": (("data.csv", "a,b\n1,\n3,4\n"), "column 'b' has 1 missing"),
    "empty-field-first-row": (("data.csv", "1,,3\n4,5,6\n"),
                              "column 'x1' has 1 missing or NaN value(s) (the "
                              "first on line 1)"),
    "inf": (("data.csv", "a,b\n1,inf\n3,4\n"), "column 'b' has 1 infinite"),
    "binary": (("data.csv", bytes(range(256))), "not UTF-8 text"),
    "npy-garbage": (("data.npy", b"not numpy"), "not a .npy file"),
    "npy-text": (("data.npy", None), "non-numeric data"),
    "npy-3d": (("data.npy", None), "1-D or 2-D"),
    "parquet-garbage": (("data.parquet", b"not parquet"), "not a readable Parquet"),
    "parquet-text": (("data.parquet", None), "column 's' is not numeric"),
    "parquet-null": (("data.parquet", None), "column 'a' has 1 missing (null)"),
}


@pytest.mark.parametrize("case", list(BAD_FILES), ids=list(BAD_FILES))
def test_bad_files_raise_one_line_errors_naming_the_file(tmp_path, case):
    spec, fragment = BAD_FILES[case]
    if spec is None:
        path = tmp_path / "absent.csv"
    elif spec[1] is not None:
        path = _write(tmp_path, *spec)
    else:
        path = tmp_path / spec[0]
        if case == "npy-text":
            np.save(path, np.array(["a", "b"]))
        elif case == "npy-3d":
            np.save(path, np.zeros((2, 2, 2)))
        elif case == "parquet-text":
            pd.DataFrame({"a": [1.0], "s": ["x"]}).to_parquet(path)
        else:
            pd.DataFrame({"a": [1.0, None]}).to_parquet(path)
    with pytest.raises(DataFileError) as info:
        read_table(path)
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert message.startswith(f"{path}: ")
    assert fragment in message
    assert "\n" not in message


@pytest.mark.parametrize("columns, fragment", [
    ("z", "no column 'z'"),
    ("7", "no column '7'"),
    ("a,a", "selects a column twice"),
], ids=["unknown-name", "position-out-of-range", "repeated"])
def test_bad_column_selection(tmp_path, columns, fragment):
    path = _write(tmp_path, "data.csv", "a,b\n1,2\n")
    with pytest.raises(DataFileError, match=fragment):
        read_table(path, columns=columns)
