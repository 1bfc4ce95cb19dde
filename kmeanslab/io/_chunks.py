"""Reading data larger than memory as a row-chunked dask array.

``open_chunked`` reads a directory of Parquet files (or one Parquet file) or
one ``.npy`` file lazily, a block of rows per task, so a k-means fit on the
result (``kmeanslab.core.fit_dask``, or ``kmeans``/``KMeans`` on a
dask array) holds only a few blocks in memory at a time: without a
``distributed.Client`` the blocks are read from the file again on every pass
and dropped after use. Peak memory is then about (scheduler threads + 2)
blocks plus the labels (4 bytes a row); fewer threads
(``dask.config.set(scheduler="threads", num_workers=2)`` or
``scheduler="synchronous"``) lower it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .._validation import check_int

__all__ = ["open_chunked", "DEFAULT_CHUNK_BYTES"]

# Bytes of data per block when chunk_rows is not given: large enough that a
# block's Lloyd pass (milliseconds) outweighs the scheduling of its task
# (about a millisecond on a local cluster), small enough that a few blocks
# per thread stay far below a worker's memory.
DEFAULT_CHUNK_BYTES = 16 * 2**20


def open_chunked(path, *, columns=None, chunk_rows=None):
    """A lazy 2-D dask array over the rows of a ``.npy`` file or of Parquet.

    Parameters
    ----------
    path : str or path-like
        A ``.npy`` file (2-D, any numeric dtype, C or Fortran order), a
        ``.parquet`` file, or a directory of ``*.parquet`` files (read in
        sorted name order).
    columns : sequence of int (``.npy``) or of str (Parquet), default=None
        Columns to read; None reads all.
    chunk_rows : int, default=None
        Rows per block; by default as many as fit in ``DEFAULT_CHUNK_BYTES``.
        Parquet blocks follow row groups: consecutive row groups of one file
        are merged while they stay within ``chunk_rows`` (a larger row group
        is one block).

    Returns
    -------
    dask.array.Array of shape (n_samples, n_features)
        float32 when every selected column is float32, else float64; one
        chunk of columns; known row chunk sizes.

    Raises
    ------
    ValueError
        The path is missing or not a supported file, the array is not 2-D,
        a column is unknown, or ``chunk_rows`` is below 1.
    TypeError
        A selected column is not numeric, or ``chunk_rows`` is not an
        integer.

    Notes
    -----
    ``.npy`` blocks are read with plain file reads into fresh buffers rather
    than through a memory map: mapped pages that were read count towards the
    process's resident memory until the map is dropped, and a memmap object
    would be pickled whole when sent to a worker.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from kmeanslab.io import open_chunked
    >>> path = os.path.join(tempfile.mkdtemp(), "x.npy")
    >>> np.save(path, np.arange(12.0).reshape(6, 2))
    >>> X = open_chunked(path, chunk_rows=4)
    >>> X.chunks
    ((4, 2), (2,))
    >>> X[4:].compute().tolist()
    [[8.0, 9.0], [10.0, 11.0]]
    """
    import dask.array as da
    from dask import delayed

    path = Path(os.fspath(path))
    if chunk_rows is not None:
        chunk_rows = check_int(chunk_rows, "chunk_rows")
    if not path.exists():
        raise ValueError(f"path {str(path)!r} does not exist")
    if path.is_dir() or path.suffix == ".parquet":
        reader, pieces, dtype, n_features = _parquet_pieces(path, columns, chunk_rows)
    elif path.suffix == ".npy":
        reader, pieces, dtype, n_features = _npy_pieces(path, columns, chunk_rows)
    else:
        raise ValueError(f"path {str(path)!r} is neither a .npy file, a .parquet "
                         f"file nor a directory of Parquet files")
    if not pieces:
        raise ValueError(f"path {str(path)!r} holds no rows")
    blocks = [da.from_delayed(delayed(reader, pure=True)(*args),
                              shape=(n_rows, n_features), dtype=dtype)
              for n_rows, args in pieces]
    return da.concatenate(blocks, axis=0) if len(blocks) > 1 else blocks[0]


def _default_rows(n_features, itemsize, chunk_rows):
    if chunk_rows is not None:
        return int(chunk_rows)
    return max(1, DEFAULT_CHUNK_BYTES // max(1, n_features * itemsize))


# --- .npy -------------------------------------------------------------------

def _npy_header(path):
    """(shape, fortran_order, dtype, offset of the data) of a .npy file."""
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        return shape, fortran, dtype, f.tell()


def _npy_pieces(path, columns, chunk_rows):
    shape, fortran, file_dtype, offset = _npy_header(path)
    if len(shape) != 2:
        raise ValueError(f"{str(path)!r} holds a {len(shape)}-D array of shape "
                         f"{shape}; open_chunked needs 2-D (n_samples, n_features)")
    if file_dtype.hasobject or file_dtype.kind not in "biuf":
        raise TypeError(f"{str(path)!r} must hold numeric data, got dtype {file_dtype}")
    n, d = shape
    cols = None
    if columns is not None:
        cols = np.asarray(columns, dtype=np.int64)
        if cols.ndim != 1 or cols.size == 0 or cols.min() < -d or cols.max() >= d:
            raise ValueError(f"columns must be column indices in [0, {d}), got "
                             f"{list(columns)!r}")
        cols = np.where(cols < 0, cols + d, cols)
    dtype = (file_dtype if file_dtype in (np.float32, np.float64)
             else np.dtype(np.float64))
    n_out = d if cols is None else cols.size
    rows = _default_rows(d, file_dtype.itemsize, chunk_rows)
    spec = (str(path), offset, n, d, fortran, file_dtype.str, dtype.str,
            None if cols is None else tuple(int(c) for c in cols))
    pieces = [(min(start + rows, n) - start, spec + (start, min(start + rows, n)))
              for start in range(0, n, rows)]
    return _read_npy_rows, pieces, dtype, n_out


def _read_npy_rows(path, offset, n, d, fortran, file_dtype, dtype, cols, start, stop):
    """Rows [start, stop) of a .npy file, read into a new array."""
    file_dtype = np.dtype(file_dtype)
    m = stop - start
    item = file_dtype.itemsize
    with open(path, "rb") as f:
        if not fortran:
            out = np.empty((m, d), dtype=file_dtype)
            f.seek(offset + start * d * item)
            f.readinto(memoryview(out).cast("B"))
        else:
            # Column-major: each column's rows are one contiguous run.
            out = np.empty((m, d), dtype=file_dtype, order="F")
            for j in range(d) if cols is None else sorted(set(cols)):
                f.seek(offset + (j * n + start) * item)
                f.readinto(memoryview(out[:, j]).cast("B"))
    if cols is not None:
        out = out[:, list(cols)]
    return np.ascontiguousarray(out, dtype=np.dtype(dtype))


# --- Parquet ------------------------------------------------------------------

def _parquet_pieces(path, columns, chunk_rows):
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - without the extra
        raise ImportError("reading Parquet needs pyarrow: pip install pyarrow") from exc

    files = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
    if not files:
        raise ValueError(f"directory {str(path)!r} holds no *.parquet files")
    schema = pq.read_schema(files[0])
    names = list(schema.names) if columns is None else list(columns)
    missing = [c for c in names if c not in schema.names]
    if missing:
        raise ValueError(f"columns {missing!r} are not in {str(files[0])!r} "
                         f"(columns: {schema.names})")
    types = [schema.field(c).type for c in names]
    bad = [c for c, t in zip(names, types)
           if not (pa.types.is_integer(t) or pa.types.is_floating(t)
                   or pa.types.is_boolean(t))]
    if bad:
        raise TypeError(f"columns must be numeric; not numeric: {bad!r}")
    all_f32 = all(pa.types.is_float32(t) for t in types)
    dtype = np.dtype(np.float32 if all_f32 else np.float64)
    rows = _default_rows(len(names), dtype.itemsize, chunk_rows)
    pieces = []
    for file in files:
        meta = pq.ParquetFile(file).metadata
        group, n_group = [], 0
        for g in range(meta.num_row_groups + 1):
            n_g = meta.row_group(g).num_rows if g < meta.num_row_groups else None
            if group and (n_g is None or n_group + n_g > rows):
                pieces.append((n_group, (str(file), tuple(group), tuple(names),
                                         dtype.str)))
                group, n_group = [], 0
            if n_g:
                group.append(g)
                n_group += n_g
    return _read_parquet_groups, pieces, dtype, len(names)


def _read_parquet_groups(file, groups, names, dtype):
    """The given row groups of one Parquet file as a 2-D array."""
    import pyarrow.parquet as pq

    table = pq.ParquetFile(file).read_row_groups(list(groups), columns=list(names))
    out = np.empty((table.num_rows, len(names)), dtype=np.dtype(dtype))
    for j, name in enumerate(names):
        # Nulls come back as NaN (numeric columns) or None (object arrays of
        # booleans), which float conversion also turns into NaN; the fit's
        # first pass then rejects them by name.
        out[:, j] = np.asarray(table.column(name).to_numpy(zero_copy_only=False),
                               dtype=np.float64)
    return out
