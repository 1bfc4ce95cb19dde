"""Reading a data file into the float matrix k-means needs.

:func:`load_table` turns a CSV file (delimiter and header row sniffed), a
Parquet file, a directory of Parquet files or of CSV files, or a ``.npy``
array into a C-contiguous float matrix (a ``.npz`` sparse matrix written by
``scipy.sparse.save_npz`` into a CSR matrix) with its column names, and says how
it read the file (:class:`LoadedTable`: whether a header row was read,
which index column was skipped, which files). :func:`read_table` is the
same as a ``(X, column_names)`` pair. Both refuse anything they cannot use
with a one-line :class:`DataFileError` that names the file and the problem
(the line of a ragged row, the column holding text or NaN).
:func:`default_column_names` gives the names used when a source has none;
:func:`files_checksum` the SHA-256 digest of the files read.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import math
import os
import re
import struct
import tokenize
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["DataFileError", "LoadedTable", "default_column_names",
           "files_checksum", "load_table", "read_table"]

# File name endings read by read_table.
_CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".dat")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_NPY_SUFFIXES = (".npy",)
_NPZ_SUFFIXES = (".npz",)
_ZIP_MAGIC = b"PK\x03\x04"
_NPY_MAGIC = b"\x93NUMPY"
# Files of a directory that are not data: hidden files and the markers and
# metadata that Spark, Dask and pyarrow write beside the parts ("_SUCCESS",
# "_metadata"); pyarrow's own default.
_IGNORED_PREFIXES = (".", "_")

# Delimiters tried by the CSV sniffer, in order of preference on ties; None
# stands for runs of whitespace.
_DELIMITERS = (",", "\t", ";", None)
# The sniffer looks at the first lines of this much text: enough for tens of
# rows of a wide table, small enough to stay instant.
_SNIFF_BYTES = 64 * 1024
_SNIFF_LINES = 50
# Names pandas gives, or writes, for a DataFrame's unnamed index column.
_INDEX_NAMES = ("", "Unnamed: 0")
# The chunk of a file hashed at a time by files_checksum.
_HASH_BLOCK = 1 << 20

_INT = re.compile(r"^[+-]?\d+$")
# "1,23": a number written with a decimal comma (the fields are then
# separated by semicolons or tabs).
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+$")


class DataFileError(ValueError):
    """A data file that cannot be read as a numeric table.

    The message is one line: the file, then what is wrong with it.
    """


@dataclass(frozen=True, eq=False)
class LoadedTable:
    """A data file read by :func:`load_table`, and how it was read.

    Attributes
    ----------
    X : ndarray or scipy.sparse.csr_matrix of shape (n_samples, n_features)
        C-contiguous float64, or float32 when the source holds only float32
        columns (Parquet) or is a float32 array (``.npy``); a CSR matrix
        (float32 or float64, canonical) for a ``.npz`` sparse matrix.
    column_names : list of str
        Names of the columns of X.
    path : pathlib.Path
        The file or directory given.
    format : {"csv", "parquet", "npy", "npz"}
        How it was read ("csv" for every delimited text file).
    files : tuple of pathlib.Path
        The files read, in the order their rows appear in X (one, or the
        data files of a directory).
    header : bool or None
        Text files: whether the first non-blank line was read as the
        column names (detected, or as told by ``header``). None for Parquet
        and ``.npy``, whose names are part of the format.
    index_column : str or None
        The name (often empty) of the column that was skipped as the row
        index written by ``pandas.DataFrame.to_csv`` (an unnamed first
        column holding 0, 1, ..., n_samples - 1; for Parquet, pandas'
        ``__index_level_0__``); None when no column was skipped.
    """

    X: np.ndarray
    column_names: list
    path: Path
    format: str
    files: tuple
    header: bool | None = None
    index_column: str | None = None

    @property
    def shape(self):
        """``X.shape``."""
        return self.X.shape


def _error(path, message):
    return DataFileError(f"{path}: {message}")


def _first_line(exc):
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def read_table(path, *, columns=None, header=None, keep_index=False):
    """Read a numeric table from a CSV, Parquet or ``.npy`` file.

    Parameters
    ----------
    path : str or path-like
        A ``.csv``, ``.tsv``, ``.txt`` or ``.dat`` text file, a ``.parquet``
        or ``.pq`` file, a directory of Parquet files or of text files
        (read as one table, files in name order), a ``.npy`` file
        holding a 1-D or 2-D numeric array (1-D is one column), or a
        ``.npz`` file holding a sparse matrix written by
        ``scipy.sparse.save_npz`` (read as CSR, and kept sparse).
    columns : str or sequence of str or int, default=None
        Columns to keep, in the order given: names, or 0-based positions,
        or a comma-separated string of either (``"a,b"``, ``"0,2"``). A
        token equal to a column name is that column; otherwise an integer
        is a position (counted without a skipped index column). None keeps
        every column.
    header : bool or None, default=None
        Text files: True reads the first non-blank line as the column
        names, False as data; None detects it (see Notes). Ignored for
        Parquet and ``.npy``.
    keep_index : bool, default=False
        Keep an index column written by ``pandas.DataFrame.to_csv`` (an
        unnamed first column holding 0, 1, ..., n_samples - 1) as a
        feature instead of skipping it.

    Returns
    -------
    X : ndarray or scipy.sparse.csr_matrix of shape (n_samples, n_features)
        C-contiguous float64, or float32 when the source holds only float32
        columns (Parquet) or is a float32 array (``.npy``); CSR for a
        ``.npz`` sparse matrix.
    column_names : list of str
        Names of the columns of X. Text files without a header row,
        ``.npy`` and ``.npz`` files get ``x0``, ``x1``, ... (numbered by
        position in the file).

    Raises
    ------
    DataFileError
        A one-line message naming the file and the problem: missing or
        unreadable file, unsupported or unreadable format, empty file or no
        data rows, a ragged row (with its line), a non-numeric column (with
        its name and the first bad value, and a hint for decimal commas),
        NaN, missing or infinite values (with the column and, for text
        files, the line), files of a directory with different columns, or
        an unknown column in ``columns``.
    ImportError
        For Parquet when pyarrow is not installed.

    See Also
    --------
    load_table : the same, with how the file was read.

    Notes
    -----
    Text files: the delimiter is sniffed from the first lines among comma,
    tab, semicolon and runs of whitespace (the one splitting the most lines
    into the same number of fields, more than one; a single column
    otherwise). Whether the first non-blank line is a header is decided as
    :class:`csv.Sniffer` does, by comparing its fields with the columns
    below them: a field of text above numbers, an integer such as ``2019``
    above decimals far from it (farther than their range is wide), or a
    run of consecutive integers (``0,1,2``: the names pandas gives unnamed
    columns) over data that has none counts for a header; a field of the
    same kind as its column counts against. In a one-line file, a field
    that is not a number makes it a header. ``header=True``/``False``
    overrides this. Blank lines are skipped. Values are parsed by pandas; "nan", "NA" and
    empty fields are missing values and are refused. Decimal commas
    (``1,23;4,56``) are refused with a hint to convert them. Parquet:
    decimal columns are read as floats; every file of a directory must
    have the same columns.

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
    table = load_table(path, columns=columns, header=header, keep_index=keep_index)
    return table.X, table.column_names


def load_table(path, *, columns=None, header=None, keep_index=False):
    """Read a numeric table as :func:`read_table` does, and say how.

    Parameters
    ----------
    path, columns, header, keep_index
        As for :func:`read_table`.

    Returns
    -------
    LoadedTable
        X, its column names, the files read, whether a header row was read
        and which index column was skipped.

    Raises
    ------
    DataFileError, ImportError
        As for :func:`read_table`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pandas as pd
    >>> from kmeanslab.io import load_table
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp) / "frame.csv"
    ...     pd.DataFrame({"2019": [1.5, 2.5], "2020": [3.5, 4.5]}).to_csv(path)
    ...     table = load_table(path)
    >>> table.column_names, table.header, table.index_column
    (['2019', '2020'], True, '')
    >>> table.X.tolist()
    [[1.5, 3.5], [2.5, 4.5]]
    """
    path = Path(path)
    if header not in (None, True, False):
        raise TypeError(f"header must be True, False or None (detect), got {header!r}")
    if not path.exists():
        raise _error(path, "no such file or directory")
    if not os.access(path, os.R_OK | (os.X_OK if path.is_dir() else 0)):
        raise _error(path, "permission denied (cannot read it)")
    options = dict(columns=columns, header=header, keep_index=keep_index)
    try:
        if path.is_dir():
            return _read_directory(path, options)
        suffix = path.suffix.lower()
        if suffix in _CSV_SUFFIXES:
            return _read_text(path, options)
        if suffix in _PARQUET_SUFFIXES:
            return _read_parquet(path, options)
        if suffix in _NPY_SUFFIXES:
            return _read_npy(path, options)
        if suffix in _NPZ_SUFFIXES:
            return _read_npz(path, options)
    except PermissionError:
        raise _error(path, "permission denied (cannot read it)") from None
    except IsADirectoryError:
        raise _error(path, "is a directory, not a file") from None
    raise _error(path, f"unsupported file type {path.suffix or '(no suffix)'!r}; "
                       f"expected {_SUPPORTED}")


_FILE_SUFFIXES = _CSV_SUFFIXES + _PARQUET_SUFFIXES + _NPY_SUFFIXES + _NPZ_SUFFIXES
_SUPPORTED = (f"one of {', '.join(_FILE_SUFFIXES)}, "
              f"or a directory of Parquet files or of "
              f"{'/'.join(s[1:] for s in _CSV_SUFFIXES)} files")


def files_checksum(files):
    """SHA-256 digest of files, read in the order given.

    Parameters
    ----------
    files : sequence of path-like
        For a directory's table, its data files (``LoadedTable.files``);
        each file's name (not its directory) is hashed before its bytes, so
        renaming or reordering the parts changes the digest.

    Returns
    -------
    str
        ``"sha256:"`` and 64 hexadecimal digits.
    """
    digest = hashlib.sha256()
    files = [Path(f) for f in files]
    for file in files:
        if len(files) > 1:
            digest.update(file.name.encode("utf-8") + b"\0")
        with open(file, "rb") as stream:
            for block in iter(lambda: stream.read(_HASH_BLOCK), b""):
                digest.update(block)
    return "sha256:" + digest.hexdigest()


def _read_directory(path, options):
    """A directory of Parquet files (one dataset) or of text files (read one
    by one with the same options, stacked)."""
    files = sorted(p for p in path.iterdir()
                   if p.is_file() and not p.name.startswith(_IGNORED_PREFIXES))
    text = [p for p in files if p.suffix.lower() in _CSV_SUFFIXES]
    parquet = [p for p in files if p.suffix.lower() in _PARQUET_SUFFIXES]
    if text and parquet:
        raise _error(path, f"directory mixes Parquet files ({parquet[0].name}, ...) "
                           f"and text files ({text[0].name}, ...); expected one "
                           f"kind")
    if text:
        others = [p for p in files if p not in text]
        if others:
            raise _error(path, f"directory of text files also holds "
                               f"{others[0].name!r}; expected only "
                               f"{'/'.join(_CSV_SUFFIXES)} files")
        return _read_text_files(path, text, options)
    if not files:
        raise _error(path, f"directory holds no data files; expected {_SUPPORTED}")
    return _read_parquet(path, options)


def _read_text_files(path, files, options):
    parts = [_read_text(file, options) for file in files]
    first = parts[0]
    for file, part in zip(files[1:], parts[1:]):
        if part.column_names != first.column_names:
            raise _error(path, f"the files have different columns: {files[0].name} "
                               f"has {_shown(first.column_names)}, {file.name} has "
                               f"{_shown(part.column_names)}")
    X = np.concatenate([part.X for part in parts])
    return LoadedTable(X=np.ascontiguousarray(X), column_names=first.column_names,
                       path=path, format="csv", files=tuple(files),
                       header=first.header, index_column=first.index_column)


def _shown(names, limit=10):
    """``(a, b, c, ...)``: at most ``limit`` names."""
    return "(" + ", ".join(names[:limit]) + (", ..." if len(names) > limit else "") + ")"


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
    # A finite sum proves every value finite without a boolean temporary;
    # huge finite values may overflow it (then each column is looked at),
    # which is no reason for a RuntimeWarning.
    with np.errstate(over="ignore", invalid="ignore"):
        total = X.sum(dtype=np.float64)
    if not np.isfinite(total):
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

def _read_npy(path, options):
    with open(path, "rb") as stream:
        if stream.read(len(_NPY_MAGIC)) != _NPY_MAGIC:
            raise _error(path, "is not a .npy file (no NumPy header)")
        stream.seek(0)
        _check_npy_header(path, stream, os.fstat(stream.fileno()).st_size)
    try:
        with _quiet_header_parser():
            array = np.load(path, allow_pickle=False)
    except MemoryError as exc:
        raise _too_large(path, exc) from None
    except (OSError, EOFError) + _HEADER_ERRORS as exc:
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
    positions = _select(path, names, options["columns"])
    if array.dtype.kind != "f" or array.dtype.itemsize > 8:
        array = array.astype(np.float64)
    elif array.dtype.itemsize < 4:
        array = array.astype(np.float32)
    selected = [names[j] for j in positions]
    X = _finite_matrix(path, [array[:, j] for j in positions], selected)
    return LoadedTable(X=X, column_names=selected, path=path, format="npy",
                       files=(path,))


# --- .npz (scipy.sparse.save_npz) -------------------------------------------

def _read_npz(path, options):
    """A sparse matrix written by ``scipy.sparse.save_npz``, as canonical CSR
    (read with ``allow_pickle=False``: no code in the file can run)."""
    with open(path, "rb") as stream:
        if stream.read(len(_ZIP_MAGIC)) != _ZIP_MAGIC:
            raise _error(path, "is not a .npz file (not a zip archive)")
    try:
        X = _load_sparse(path)
    except DataFileError:
        raise
    except MemoryError as exc:
        raise _too_large(path, exc) from None
    except _ARCHIVE_ERRORS as exc:
        raise _error(path, f"is a damaged or truncated .npz file "
                           f"({_first_line(exc)})") from None
    except _CONTENT_ERRORS as exc:
        raise _error(path, f"not a sparse matrix written by scipy.sparse.save_npz "
                           f"({_first_line(exc)})") from None
    bad = np.flatnonzero(~np.isfinite(X.data))
    if bad.size:
        row = int(np.searchsorted(X.indptr, bad[0], side="right") - 1)
        raise _error(path, f"has NaN or infinite value(s) (the first in row {row}, "
                           f"column {int(X.indices[bad[0]])}); remove or impute "
                           f"them first")
    names = default_column_names(X.shape[1])
    positions = _select(path, names, options["columns"])
    if list(positions) != list(range(X.shape[1])):
        X = X[:, positions]
    return LoadedTable(X=X, column_names=[names[j] for j in positions], path=path,
                       format="npz", files=(path,))


# What a damaged or truncated zip archive raises while it is listed or a
# member is decompressed (zipfile, zlib, lzma, bz2, the .npy header parser).
_ARCHIVE_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError,
                   struct.error)
try:
    import lzma
except ImportError:  # a Python built without lzma cannot read such members
    pass
else:
    _ARCHIVE_ERRORS += (lzma.LZMAError,)
# What numpy and scipy's sparse constructors raise on an archive that is a
# readable zip but not what save_npz writes (members missing or of the wrong
# type or shape, an unknown or unsupported sparse format, an encrypted
# member, inconsistent index arrays).
_CONTENT_ERRORS = (ValueError, KeyError, IndexError, TypeError, AttributeError,
                   NotImplementedError, RuntimeError, OverflowError)
# What NumPy's .npy header parser raises on a damaged header (a Python
# literal read with ast/tokenize: a flipped bit can make it any syntax
# error, or nest it deeply); RecursionError is a RuntimeError.
_HEADER_ERRORS = (ValueError, SyntaxError, tokenize.TokenError, RecursionError,
                  TypeError, KeyError)
_CONTENT_ERRORS += _HEADER_ERRORS


@contextlib.contextmanager
def _quiet_header_parser():
    """A block in which the .npy header parser's SyntaxWarnings (a damaged
    header read as a Python literal) are not shown: such a header is
    refused with a DataFileError, or read, and the warning says nothing
    more."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        yield


def _too_large(path, exc):
    return _error(path, f"is too large to read into memory ({_first_line(exc)})")


def _check_npy_header(path, stream, size, member=None):
    """Refuse, before any data is read, a ``.npy`` stream of ``size`` bytes
    whose header cannot be read, holds Python objects (only pickle reads
    them) or announces more data than the stream holds (a truncated file, or
    a header that would make NumPy allocate far more than the file)."""
    where = "" if member is None else f"member {member!r} "
    readers = {(1, 0): np.lib.format.read_array_header_1_0,
               (2, 0): np.lib.format.read_array_header_2_0}
    try:
        version = np.lib.format.read_magic(stream)
        if version not in readers:
            return  # np.load judges other versions itself
        with _quiet_header_parser():
            shape, _, dtype = readers[version](stream)
    except (EOFError, OSError, struct.error) + _HEADER_ERRORS as exc:
        raise _error(path, f"{where}has no readable .npy header "
                           f"({_first_line(exc)})") from None
    if dtype.hasobject:
        raise _error(path, f"{where}holds Python objects (dtype {dtype}), which "
                           f"only pickle can read; save a numeric array")
    if any(n < 0 for n in shape):
        raise _error(path, f"{where}has a header with a negative dimension "
                           f"(shape {shape})")
    n_bytes = math.prod(shape) * dtype.itemsize
    left = size - stream.tell()
    if n_bytes > left:
        raise _error(path, f"{where}is truncated: its header gives shape {shape} "
                           f"({n_bytes:,} bytes of data) but {max(left, 0):,} "
                           f"bytes follow")


def _load_sparse(path):
    """The matrix of a ``save_npz`` file as canonical CSR, float32 or
    float64, after checking every member's header."""
    import scipy.sparse as sp

    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        names = [info.filename for info in members]
        if "format.npy" not in names:
            arrays = [name.removesuffix(".npy") for name in names]
            raise _error(path, f"not a sparse matrix written by scipy.sparse."
                               f"save_npz (it holds {_shown(arrays) if arrays else 'nothing'}"
                               f", no 'format'; save a dense array with "
                               f"numpy.save as .npy)")
        for info in members:
            with archive.open(info) as stream:
                _check_npy_header(path, stream, info.file_size, member=info.filename)
    matrix = sp.load_npz(path)
    if matrix.ndim != 2:
        raise _error(path, f"must hold a 2-D sparse matrix, got shape {matrix.shape}")
    if matrix.dtype.kind not in "biuf":
        raise _error(path, f"holds non-numeric data (dtype {matrix.dtype})")
    if matrix.shape[0] == 0:
        raise _error(path, "has no rows")
    if matrix.shape[1] == 0:
        raise _error(path, "has no columns")
    X = sp.csr_matrix(matrix)
    if X.dtype.kind != "f" or X.dtype.itemsize > 8:
        X = X.astype(np.float64)
    elif X.dtype.itemsize < 4:
        X = X.astype(np.float32)
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    return X


# --- Parquet ------------------------------------------------------------------

# The column pandas.DataFrame.to_parquet writes for an index other than a
# RangeIndex (a RangeIndex is kept in the metadata only).
_PARQUET_INDEX = "__index_level_0__"


def _read_parquet(path, options):
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
    if path.is_dir():
        if not dataset.files:
            raise _error(path, "directory holds no Parquet files")
        _check_same_schema(path, dataset, pa)
    index_column = None
    if _PARQUET_INDEX in names and not options["keep_index"]:
        names.remove(_PARQUET_INDEX)
        index_column = _PARQUET_INDEX
    if not names:
        raise _error(path, "has no columns")
    positions = _select(path, names, options["columns"])
    selected = [names[j] for j in positions]
    for name in selected:
        field = dataset.schema.field(name)
        if not (pa.types.is_integer(field.type) or pa.types.is_floating(field.type)
                or pa.types.is_boolean(field.type) or pa.types.is_decimal(field.type)):
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
        if pa.types.is_decimal(column.type):
            # Decimals are exact numbers: as floats they round like any
            # other float column.
            column = column.cast(pa.float64())
        values = column.to_numpy()
        if values.dtype not in (np.float32, np.float64):
            values = values.astype(np.float64)
        arrays.append(values)
    files = tuple(Path(f) for f in dataset.files) if path.is_dir() else (path,)
    return LoadedTable(X=_finite_matrix(path, arrays, selected), column_names=selected,
                       path=path, format="parquet", files=files,
                       index_column=index_column)


def _check_same_schema(path, dataset, pa):
    """Refuse a directory whose files have different columns or types (a
    dataset would read the missing columns as nulls)."""
    fragments = list(dataset.get_fragments())
    try:
        schemas = [fragment.physical_schema for fragment in fragments]
    except (pa.ArrowException, OSError) as exc:
        raise _error(path, f"not a readable Parquet file ({_first_line(exc)})") from None
    first = schemas[0]
    first_name = Path(fragments[0].path).name
    for fragment, schema in zip(fragments[1:], schemas[1:]):
        name = Path(fragment.path).name
        if set(schema.names) != set(first.names):
            raise _error(path, f"the Parquet files' schemas differ: {first_name} has "
                               f"columns {_shown(first.names)}, {name} has "
                               f"{_shown(schema.names)}; give a directory of files "
                               f"with the same columns")
        for field in schema:
            other = first.field(field.name)
            if field.type != other.type:
                raise _error(path, f"the Parquet files' schemas differ: column "
                                   f"{field.name!r} is {other.type} in {first_name} "
                                   f"and {field.type} in {name}")


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


def _kind(field):
    """"int", "float", "comma" (a decimal-comma number), "text", or None
    for an empty field."""
    if not field:
        return None
    if _INT.match(field):
        return "int"
    if _is_number(field):
        return "float"
    return "comma" if _DECIMAL_COMMA.match(field) else "text"


def _consecutive(fields):
    """Whether ``fields`` are consecutive integers: 0,1,2 (pandas' names for
    unnamed columns) or 2019,2020,2021."""
    if len(fields) < 2 or not all(_INT.match(f) for f in fields):
        return False
    values = [int(f) for f in fields]
    run = values == list(range(values[0], values[0] + len(values)))
    return run and (values[0] == 0 or len(values) >= 3)


def _header_votes(first, rest):
    """Evidence that ``first`` (a row's fields) is a header over the rows
    ``rest``: +1 per column whose first field differs in kind from the
    fields below it, -1 per column where it is of the same kind."""
    votes = 0
    for j, head in enumerate(first):
        below = [row[j] for row in rest if j < len(row) and row[j]]
        head_kind = _kind(head)
        if not below or head_kind is None:
            continue
        kinds = {_kind(field) for field in below}
        if "text" in kinds:
            # A text column: a header differs in length from values that
            # all have one length (as csv.Sniffer judges it).
            lengths = {len(field) for field in below}
            if kinds == {"text"} and len(lengths) == 1:
                votes += -1 if head_kind == "text" and len(head) in lengths else 1
        elif head_kind in ("text", "comma") and head_kind not in kinds:
            votes += 1
        elif head_kind == "int" and kinds == {"float"}:
            # 2019 above 0.06, 1.33, ...: a name, unless it could be one of
            # the values (a first row of 0 in a column of decimals): it must
            # lie farther from their range than the range is wide.
            values = [float(field) for field in below]
            low, high = min(values), max(values)
            span = high - low
            votes += 1 if not low - span <= float(head) <= high + span else 0
        elif head_kind in kinds:
            votes -= 1
    return votes


def _looks_like_header(first, rest):
    if not rest:
        return any(field and not _is_number(field) for field in first)
    # An empty first field with names after it: pandas' index column.
    named = first[1:] if first and not first[0] else first
    if _consecutive(named) and not any(
            _consecutive(row[len(first) - len(named):]) for row in rest):
        return True
    return _header_votes(first, rest) > 0


def _sniff(path, header):
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
    rows = [[field.strip() for field in _split(line, best)] for line in lines]
    has_header = _looks_like_header(rows[0], rows[1:]) if header is None else header
    return best, has_header, rows[0], first_index


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


def _is_index(column):
    """Whether a parsed column holds exactly 0, 1, ..., n - 1."""
    import pandas as pd

    return (pd.api.types.is_integer_dtype(column.dtype)
            and np.array_equal(column.to_numpy(), np.arange(len(column))))


def _read_text(path, options):
    import pandas as pd

    delimiter, has_header, header, header_index = _sniff(path, options["header"])
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
    index_column = None
    if (has_header and not options["keep_index"] and header[0] in _INDEX_NAMES
            and frame.shape[1] > 1 and _is_index(frame.iloc[:, 0])):
        index_column = header[0]
        frame = frame.iloc[:, 1:]
        names = names[1:]
    positions = _select(path, names, options["columns"])
    line_of_row = _line_of_row(path, has_header)
    arrays = []
    for j in positions:
        column = frame.iloc[:, j]
        if not pd.api.types.is_numeric_dtype(column.dtype):
            numbers = pd.to_numeric(column, errors="coerce")
            bad = np.flatnonzero(numbers.isna().to_numpy() & column.notna().to_numpy())
            if bad.size:
                raise _not_numeric(path, names[j], column.iloc[bad[0]],
                                   line_of_row(bad[0]), delimiter)
            column = numbers
        arrays.append(column.to_numpy(dtype=np.float64))
    selected = [names[j] for j in positions]
    return LoadedTable(X=_finite_matrix(path, arrays, selected, line_of_row),
                       column_names=selected, path=path, format="csv",
                       files=(path,), header=has_header, index_column=index_column)


def _not_numeric(path, name, value, line, delimiter):
    message = f"column {name!r} is not numeric (value {value!r} on line {line})"
    if isinstance(value, str) and _DECIMAL_COMMA.match(value.strip()) and delimiter != ",":
        sep = {None: r"\s+", "\t": "\\t"}.get(delimiter, delimiter)
        return _error(path, f"{message}: it looks like a decimal comma; write the "
                            f"numbers with decimal points (for example "
                            f"pandas.read_csv(path, sep={sep!r}, decimal=',')"
                            f".to_csv(new_path, index=False))")
    return _error(path, f"{message}; select numeric columns with columns= "
                        f"(--columns on the command line)")


def _ragged_error(path, ragged, n_fields):
    number, count = ragged
    return _error(path, f"line {number} has {count} field(s) where the first row "
                        f"has {n_fields} (ragged rows)")
