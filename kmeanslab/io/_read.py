"""Reading a data file into the float matrix k-means needs.

:func:`read_table` turns a CSV file (delimiter and header row sniffed), a
Parquet file or a directory of them, or a ``.npy`` array into a
C-contiguous float matrix with its column names, and refuses anything it
cannot use with a one-line :class:`DataFileError` that names the file and
the problem (the line of a ragged row, the column holding text or NaN).
:func:`default_column_names` gives the names used when a source has none.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

__all__ = ["DataFileError", "default_column_names", "read_table"]

# File name endings read by read_table (a directory is read as Parquet).
_CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".dat")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_NPY_SUFFIXES = (".npy",)
_NPY_MAGIC = b"\x93NUMPY"

# Delimiters tried by the CSV sniffer, in order of preference on ties; None
# stands for runs of whitespace.
_DELIMITERS = (",", "\t", ";", None)
# The sniffer looks at the first lines of this much text: enough for tens of
# rows of a wide table, small enough to stay instant.
_SNIFF_BYTES = 64 * 1024
_SNIFF_LINES = 50


class DataFileError(ValueError):
    """A data file that cannot be read as a numeric table.

    The message is one line: the file, then what is wrong with it.
    """


def _error(path, message):
    return DataFileError(f"{path}: {message}")


def _first_line(exc):
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def read_table(path, *, columns=None):
    """Read a numeric table from a CSV, Parquet or ``.npy`` file.

    Parameters
    ----------
    path : str or path-like
        A ``.csv``, ``.tsv``, ``.txt`` or ``.dat`` text file, a ``.parquet``
        or ``.pq`` file, a directory of Parquet files (read as one table), or
        a ``.npy`` file holding a 1-D or 2-D numeric array (1-D is one
        column).
    columns : str or sequence of str or int, default=None
        Columns to keep, in the order given: names, or 0-based positions,
        or a comma-separated string of either (``"a,b"``, ``"0,2"``). A
        token equal to a column name is that column; otherwise an integer
        is a position. None keeps every column.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        C-contiguous float64, or float32 when the source holds only float32
        columns (Parquet) or is a float32 array (``.npy``).
    column_names : list of str
        Names of the columns of X. Text files without a header row and
        ``.npy`` files get ``x0``, ``x1``, ... (numbered by position in the
        file).

    Raises
    ------
    DataFileError
        A one-line message naming the file and the problem: missing file,
        unsupported or unreadable format, empty file or no data rows, a
        ragged row (with its line), a non-numeric column (with its name and
        the first bad value), NaN, missing or infinite values (with the
        column and, for text files, the line), or an unknown column in
        ``columns``.
    ImportError
        For Parquet when pyarrow is not installed.

    Notes
    -----
    Text files: the delimiter is sniffed from the first lines among comma,
    tab, semicolon and runs of whitespace (the one splitting the most lines
    into the same number of fields, more than one; a single column
    otherwise). The first non-blank line is a header when one of its fields
    is not a number while the same field of the next line is (or, in a
    one-line file, when any field is not a number). Blank lines are
    skipped. Values are parsed by pandas; "nan", "NA" and empty fields are
    missing values and are refused.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from kmeanslab.io import read_table
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp) / "points.csv"
    ...     _ = path.write_text("x,y,label\\n1,2,a\\n3,4,b\\n")
    ...     X, names = read_table(path, columns="x,1")
    >>> X.tolist(), names
    ([[1.0, 2.0], [3.0, 4.0]], ['x', 'y'])
    """
    path = Path(path)
    if not path.exists():
        raise _error(path, "no such file or directory")
    if path.is_dir():
        reader = _read_parquet
    else:
        suffix = path.suffix.lower()
        if suffix in _CSV_SUFFIXES:
            reader = _read_text
        elif suffix in _PARQUET_SUFFIXES:
            reader = _read_parquet
        elif suffix in _NPY_SUFFIXES:
            reader = _read_npy
        else:
            supported = ", ".join(_CSV_SUFFIXES + _PARQUET_SUFFIXES + _NPY_SUFFIXES)
            raise _error(path, f"unsupported file type {path.suffix or '(no suffix)'!r}; "
                               f"expected one of {supported} or a directory of "
                               f"Parquet files")
    try:
        return reader(path, columns)
    except PermissionError:
        raise _error(path, "permission denied") from None
    except IsADirectoryError:
        raise _error(path, "is a directory, not a file") from None


def _parse_columns(columns):
    """Column spec -> list of tokens (str or int), or None."""
    if columns is None:
        return None
    if isinstance(columns, str):
        tokens = [token.strip() for token in columns.split(",")]
    else:
        try:
            tokens = list(columns)
        except TypeError:
            raise TypeError(f"columns must be a string or a sequence of names and "
                            f"positions, got {columns!r}") from None
    if not tokens or any(token == "" for token in tokens):
        raise ValueError(f"columns must list names or 0-based positions separated "
                         f"by commas, got {columns!r}")
    return tokens


def _select(path, names, columns):
    """Positions of the requested columns among ``names``."""
    tokens = _parse_columns(columns)
    if tokens is None:
        return list(range(len(names)))
    positions = []
    for token in tokens:
        if isinstance(token, str) and token in names:
            if names.count(token) > 1:
                raise _error(path, f"column name {token!r} is ambiguous (it appears "
                                   f"{names.count(token)} times); select it by position")
            positions.append(names.index(token))
            continue
        position = _as_position(token)
        if position is None or not 0 <= position < len(names):
            shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
            raise _error(path, f"no column {token!r}: the file has {len(names)} "
                               f"column(s) ({shown}); give names or positions "
                               f"0..{len(names) - 1}")
        positions.append(position)
    if len(set(positions)) != len(positions):
        raise _error(path, f"columns selects a column twice: {columns!r}")
    return positions


def _as_position(token):
    if isinstance(token, (bool, np.bool_)):
        return None
    if isinstance(token, (int, np.integer)):
        return int(token)
    try:
        return int(str(token).strip())
    except ValueError:
        return None


def default_column_names(n_columns):
    """Names of the columns of a table that has none: ``x0``, ``x1``, ...

    Parameters
    ----------
    n_columns : int
        Number of columns.

    Returns
    -------
    list of str
    """
    return [f"x{i}" for i in range(n_columns)]


def _finite_matrix(path, arrays, names, line_of_row=None):
    """Stack 1-D numeric columns into a C-contiguous matrix, refusing NaN/inf."""
    dtype = (np.float32 if all(a.dtype == np.float32 for a in arrays)
             else np.float64)
    X = np.empty((len(arrays[0]), len(arrays)), dtype=dtype)
    for j, values in enumerate(arrays):
        X[:, j] = values
    # A finite sum proves every value finite without a boolean temporary.
    if not np.isfinite(X.sum(dtype=np.float64)):
        for j, name in enumerate(names):
            bad = np.flatnonzero(~np.isfinite(X[:, j]))
            if bad.size:
                n_nan = int(np.isnan(X[bad, j]).sum())
                counts = [f"{n} {what}" for n, what in
                          ((n_nan, "missing or NaN"), (bad.size - n_nan, "infinite"))
                          if n]
                where = (f"line {line_of_row(bad[0])}" if line_of_row is not None
                         else f"row {bad[0]}")
                raise _error(path, f"column {name!r} has {' and '.join(counts)} "
                                   f"value(s) (the first on {where}); remove or "
                                   f"impute them first")
    return X


# --- .npy ---------------------------------------------------------------------

def _read_npy(path, columns):
    with open(path, "rb") as stream:
        if stream.read(len(_NPY_MAGIC)) != _NPY_MAGIC:
            raise _error(path, "is not a .npy file (no NumPy header)")
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise _error(path, f"not a readable .npy array ({_first_line(exc)})") from None
    if not isinstance(array, np.ndarray):
        raise _error(path, "not a .npy array")
    if array.dtype.names is not None:
        raise _error(path, "holds a structured array; save a plain 2-D numeric array")
    if array.dtype.kind not in "biuf":
        raise _error(path, f"holds non-numeric data (dtype {array.dtype})")
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2:
        raise _error(path, f"must hold a 1-D or 2-D array, got shape {array.shape}")
    if array.shape[0] == 0:
        raise _error(path, "has no rows")
    if array.shape[1] == 0:
        raise _error(path, "has no columns")
    names = default_column_names(array.shape[1])
    positions = _select(path, names, columns)
    if array.dtype.kind != "f" or array.dtype.itemsize > 8:
        array = array.astype(np.float64)
    elif array.dtype.itemsize < 4:
        array = array.astype(np.float32)
    return (_finite_matrix(path, [array[:, j] for j in positions],
                           [names[j] for j in positions]),
            [names[j] for j in positions])


# --- Parquet ------------------------------------------------------------------

def _read_parquet(path, columns):
    try:
        import pyarrow as pa
        import pyarrow.dataset as ds
    except ImportError as exc:
        raise ImportError(f"reading {path} needs pyarrow for Parquet: "
                          f"pip install pyarrow") from exc

    try:
        dataset = ds.dataset(path, format="parquet")
        names = list(dataset.schema.names)
    except (pa.ArrowException, OSError) as exc:
        raise _error(path, f"not a readable Parquet file ({_first_line(exc)})") from None
    if path.is_dir() and not dataset.files:
        raise _error(path, "directory holds no Parquet files")
    if not names:
        raise _error(path, "has no columns")
    positions = _select(path, names, columns)
    selected = [names[j] for j in positions]
    for name in selected:
        field = dataset.schema.field(name)
        if not (pa.types.is_integer(field.type) or pa.types.is_floating(field.type)
                or pa.types.is_boolean(field.type)):
            raise _error(path, f"column {name!r} is not numeric (type {field.type}); "
                               f"select numeric columns with columns= (--columns on "
                               f"the command line)")
    try:
        table = dataset.to_table(columns=selected)
    except (pa.ArrowException, OSError) as exc:
        raise _error(path, f"not a readable Parquet file ({_first_line(exc)})") from None
    if table.num_rows == 0:
        raise _error(path, "has no rows")
    arrays = []
    for name in selected:
        column = table.column(name)
        if column.null_count:
            raise _error(path, f"column {name!r} has {column.null_count} missing "
                               f"(null) value(s); remove or impute them first")
        values = column.to_numpy()
        if values.dtype not in (np.float32, np.float64):
            values = values.astype(np.float64)
        arrays.append(values)
    return _finite_matrix(path, arrays, selected), selected


# --- text ---------------------------------------------------------------------

def _split(line, delimiter):
    if delimiter is None:
        return line.split()
    return next(csv.reader([line], delimiter=delimiter, skipinitialspace=True), [])


def _is_number(field):
    try:
        float(field)
    except ValueError:
        return False
    return True


def _sniff(path):
    """(delimiter, has_header, first row's fields, its 0-based line index)
    from the first lines of a file."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as stream:
            sample = stream.read(_SNIFF_BYTES)
            truncated = bool(stream.read(1))
    except UnicodeDecodeError:
        raise _error(path, "is not UTF-8 text (a binary file with a text "
                           "suffix?)") from None
    lines = sample.splitlines()
    if truncated and lines:
        lines = lines[:-1]  # possibly cut in the middle
    first_index = next((i for i, line in enumerate(lines) if line.strip()), None)
    lines = [line for line in lines if line.strip()][:_SNIFF_LINES]
    if not lines:
        raise _error(path, "is empty")
    best, best_agree = ",", 0
    for delimiter in _DELIMITERS:
        counts = [len(_split(line, delimiter)) for line in lines]
        mode = max(set(counts), key=counts.count)
        agree = counts.count(mode)
        if mode > 1 and agree > best_agree:
            best, best_agree = delimiter, agree
    first = [field.strip() for field in _split(lines[0], best)]
    if len(lines) > 1:
        second = [field.strip() for field in _split(lines[1], best)]
        # Empty fields are missing values, not evidence of a header.
        has_header = any(a and not _is_number(a) and _is_number(b)
                         for a, b in zip(first, second))
    else:
        has_header = any(field and not _is_number(field) for field in first)
    return best, has_header, first, first_index


def _data_lines(path, has_header):
    """(line number, line) of every non-blank data line, in file order."""
    with open(path, encoding="utf-8-sig", newline="") as stream:
        seen_header = not has_header
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            if not seen_header:
                seen_header = True
                continue
            yield number, line.rstrip("\r\n")


def _find_ragged(path, delimiter, has_header, n_fields):
    for number, line in _data_lines(path, has_header):
        count = len(_split(line, delimiter))
        if count != n_fields:
            return number, count
    return None


def _line_of_row(path, has_header):
    def line_of_row(row):
        for index, (number, _) in enumerate(_data_lines(path, has_header)):
            if index == row:
                return number
        return "?"
    return line_of_row


def _read_text(path, columns):
    import pandas as pd

    delimiter, has_header, header, header_index = _sniff(path)
    n_fields = len(header)
    try:
        # header=None even with a header line (skipped instead): with
        # header=0 pandas would silently take a longer first data row's
        # extra field as the index.
        frame = pd.read_csv(
            path, sep=r"\s+" if delimiter is None else delimiter,
            header=None, skiprows=[header_index] if has_header else None,
            skipinitialspace=True, skip_blank_lines=True,
            encoding="utf-8-sig", engine="c")
    except pd.errors.EmptyDataError:
        raise _error(path, "has a header line but no data rows" if has_header
                     else "is empty") from None
    except pd.errors.ParserError as exc:
        ragged = _find_ragged(path, delimiter, has_header, n_fields)
        if ragged is not None:
            raise _ragged_error(path, ragged, n_fields) from None
        raise _error(path, f"cannot be parsed as a table ({_first_line(exc)})") from None
    except UnicodeDecodeError:
        raise _error(path, "is not UTF-8 text") from None
    if frame.shape[1] != n_fields or frame.isna().to_numpy().any():
        # Short rows are padded with NaN by pandas: tell them apart from NaN.
        ragged = _find_ragged(path, delimiter, has_header, n_fields)
        if ragged is not None:
            raise _ragged_error(path, ragged, n_fields)
        if frame.shape[1] != n_fields:
            raise _error(path, f"the first row has {n_fields} field(s) but the "
                               f"table parses into {frame.shape[1]} columns "
                               f"(unbalanced quotes?)")
    if frame.shape[0] == 0:
        raise _error(path, "has a header line but no data rows")
    names = ([name or f"x{i}" for i, name in enumerate(header)] if has_header
             else default_column_names(frame.shape[1]))
    positions = _select(path, names, columns)
    line_of_row = _line_of_row(path, has_header)
    arrays = []
    for j in positions:
        column = frame.iloc[:, j]
        if not pd.api.types.is_numeric_dtype(column.dtype):
            numbers = pd.to_numeric(column, errors="coerce")
            bad = np.flatnonzero(numbers.isna().to_numpy() & column.notna().to_numpy())
            if bad.size:
                raise _error(path, f"column {names[j]!r} is not numeric (value "
                                   f"{column.iloc[bad[0]]!r} on line "
                                   f"{line_of_row(bad[0])}); select numeric "
                                   f"columns with columns= (--columns on the "
                                   f"command line)")
            column = numbers
        arrays.append(column.to_numpy(dtype=np.float64))
    selected = [names[j] for j in positions]
    return _finite_matrix(path, arrays, selected, line_of_row), selected


def _ragged_error(path, ragged, n_fields):
    number, count = ragged
    return _error(path, f"line {number} has {count} field(s) where the first row "
                        f"has {n_fields} (ragged rows)")
