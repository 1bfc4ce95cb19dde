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


# --- header detection, index columns, directories, decimals ------------------

DECIMALS = np.array([[0.0634, 5.4208], [1.3297, -0.4857], [2.5, 3.75],
                     [-1.125, 0.875]])


@pytest.mark.parametrize("header_line, names", [
    ("2019,2020", ["2019", "2020"]),
    ("0,1", ["0", "1"]),
    ("a,b", ["a", "b"]),
], ids=["years", "pandas-default-names", "text"])
def test_numeric_looking_header_is_read_as_names(tmp_path, header_line, names):
    path = tmp_path / "data.csv"
    path.write_text(header_line + "\n" + "\n".join(
        f"{a},{b}" for a, b in DECIMALS) + "\n")
    X, got = read_table(path)
    np.testing.assert_array_equal(X, DECIMALS)
    assert got == names


@pytest.mark.parametrize("first_row", ["0,0", "1,2"], ids=["origin", "small-ints"])
def test_integer_first_row_among_decimals_is_data(tmp_path, first_row):
    path = tmp_path / "data.csv"
    path.write_text(first_row + "\n" + "\n".join(
        f"{a},{b}" for a, b in DECIMALS) + "\n")
    X, names = read_table(path)
    assert X.shape == (5, 2) and names == ["x0", "x1"]


def test_header_option_overrides_detection(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("2019,2020\n5,6\n7,8\n")
    # Integers under integers: no evidence of a header, so it is data ...
    assert read_table(path)[0].shape == (3, 2)
    # ... unless the caller says otherwise.
    X, names = read_table(path, header=True)
    np.testing.assert_array_equal(X, [[5.0, 6.0], [7.0, 8.0]])
    assert names == ["2019", "2020"]
    X, names = read_table(tmp_path / "data.csv", header=False)
    assert X.shape == (3, 2) and names == ["x0", "x1"]
    with pytest.raises(TypeError, match="header must be"):
        read_table(path, header="yes")


@pytest.mark.parametrize("names", [["a", "b"], None], ids=["named", "unnamed"])
def test_pandas_index_column_is_skipped_and_reported(tmp_path, names):
    from kmeanslab.io import load_table

    path = tmp_path / "frame.csv"
    pd.DataFrame(DECIMALS, columns=names).to_csv(path)
    table = load_table(path)
    np.testing.assert_array_equal(table.X, DECIMALS)
    assert table.column_names == (names or ["0", "1"])
    assert table.index_column == "" and table.header is True
    kept = load_table(path, keep_index=True)
    np.testing.assert_array_equal(kept.X[:, 0], np.arange(4))
    assert kept.index_column is None and kept.X.shape == (4, 3)


def test_a_first_column_that_is_not_0_to_n_is_data(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text(",a\n3,1.5\n4,2.5\n")
    X, names = read_table(path)
    np.testing.assert_array_equal(X, [[3.0, 1.5], [4.0, 2.5]])
    assert names == ["x0", "a"]


def test_decimal_comma_gets_a_hint(tmp_path):
    path = tmp_path / "comma.csv"
    path.write_text("a;b\n1,23;4,56\n7,5;8,25\n")
    with pytest.raises(DataFileError) as info:
        read_table(path)
    message = str(info.value)
    assert "column 'a'" in message and "'1,23' on line 2" in message
    assert "decimal comma" in message and "decimal=','" in message


def test_directory_of_csv_files_is_one_table(tmp_path):
    from kmeanslab.io import load_table

    folder = tmp_path / "parts"
    folder.mkdir()
    pd.DataFrame(DECIMALS[:2], columns=["a", "b"]).to_csv(folder / "p1.csv", index=False)
    pd.DataFrame(DECIMALS[2:], columns=["a", "b"]).to_csv(folder / "p2.csv", index=False)
    (folder / "_SUCCESS").write_text("")
    table = load_table(folder)
    np.testing.assert_array_equal(table.X, DECIMALS)
    assert table.column_names == ["a", "b"] and table.format == "csv"
    assert [p.name for p in table.files] == ["p1.csv", "p2.csv"]
    pd.DataFrame(DECIMALS[2:], columns=["a", "c"]).to_csv(folder / "p3.csv", index=False)
    with pytest.raises(DataFileError, match="different columns: p1.csv has "
                                            r"\(a, b\), p3.csv has \(a, c\)"):
        read_table(folder)


@pytest.mark.parametrize("content, fragment", [
    ({"p.parquet": None, "q.csv": None}, "mixes Parquet files"),
    ({"q.csv": None, "notes.json": "{}"}, "also holds 'notes.json'"),
    ({}, "holds no data files; expected one of .csv"),
], ids=["mixed", "stray-file", "empty"])
def test_directories_that_are_not_one_table(tmp_path, content, fragment):
    folder = tmp_path / "parts"
    folder.mkdir()
    for name, text in content.items():
        if name.endswith(".parquet"):
            pd.DataFrame(DECIMALS, columns=["a", "b"]).to_parquet(folder / name)
        else:
            (folder / name).write_text(text or "a,b\n1.5,2.5\n")
    with pytest.raises(DataFileError, match=fragment):
        read_table(folder)


def test_parquet_directory_with_different_schemas_is_refused(tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    pd.DataFrame(DECIMALS, columns=["a", "b"]).to_parquet(folder / "p1.parquet")
    pd.DataFrame(DECIMALS, columns=["a", "c"]).to_parquet(folder / "p2.parquet")
    with pytest.raises(DataFileError, match="schemas differ: p1.parquet has columns "
                                            r"\(a, b\), p2.parquet has \(a, c\)"):
        read_table(folder, columns="a")


def test_parquet_decimal_columns_are_numbers(tmp_path):
    import decimal

    path = tmp_path / "money.parquet"
    pd.DataFrame({"price": [decimal.Decimal("1.50"), decimal.Decimal("2.25")],
                  "n": [1, 2]}).to_parquet(path)
    X, names = read_table(path)
    np.testing.assert_array_equal(X, [[1.5, 1.0], [2.25, 2.0]])
    assert names == ["price", "n"]


def test_unreadable_file_is_a_one_line_error(tmp_path, monkeypatch):
    from kmeanslab.io import _read

    path = tmp_path / "data.csv"
    path.write_text("a,b\n1,2\n")
    # Root reads every file whatever its mode: deny the access check instead.
    monkeypatch.setattr(_read.os, "access", lambda *args, **kwargs: False)
    with pytest.raises(DataFileError) as info:
        read_table(path)
    assert str(info.value) == f"{path}: permission denied (cannot read it)"


def test_files_checksum_covers_names_and_bytes(tmp_path):
    from kmeanslab.io import files_checksum

    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("x\n1\n")
    b.write_text("x\n2\n")
    one = files_checksum([a])
    assert one.startswith("sha256:") and len(one) == 7 + 64
    assert files_checksum([a, b]) != files_checksum([b, a])
    b.write_text("x\n3\n")
    assert files_checksum([a]) == one
