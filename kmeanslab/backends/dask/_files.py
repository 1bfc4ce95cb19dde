"""Data files larger than memory: a table read as a row-chunked dask array on
the workers (:func:`open_table`), per-point results computed block by block
(:func:`point_tables`) and written a block at a time
(:func:`write_point_tables`), and a bounded sample of rows for figures
(:func:`sample_rows`).

Only metadata is read in the client (a text file's first lines, a Parquet
schema, a ``.npy`` header); the rows are read by the tasks that use them:
CSV and other delimited text through ``dask.dataframe.read_csv``, Parquet
and ``.npy`` through :func:`kmeanslab.io.open_chunked` (row groups, row
ranges).
"""

from __future__ import annotations

from pathlib import Path

import dask
import numpy as np

from ._graph import call

__all__ = ["TEXT_BLOCK_BYTES", "open_table", "point_tables", "sample_rows",
           "write_point_tables"]

# Bytes of text per block when reading CSV: the parsed float64 block is
# about as large (a number takes 8 to 20 characters), the size
# kmeanslab.io.open_chunked aims at for binary files.
TEXT_BLOCK_BYTES = 16 * 2**20


def open_table(path, *, columns=None, header=None, keep_index=False,
               chunk_rows=None):
    """A data file (or folder) as a :class:`kmeanslab.io.LoadedTable` whose
    ``X`` is a lazy row-chunked dask array.

    Parameters
    ----------
    path : path-like
        A delimited text file (.csv, .tsv, .txt, .dat: delimiter and header
        row detected from its first lines as :func:`kmeanslab.io.load_table`
        does), a folder of such files with the same columns, a .parquet
        file or folder of Parquet files, or a .npy array.
    columns, header
        As for :func:`kmeanslab.io.load_table`.
    keep_index : bool, default=False
        Text files: keep a first column with an empty name (the index
        ``pandas.DataFrame.to_csv`` writes), which is otherwise skipped
        without reading it first. Parquet: keep ``__index_level_0__``.
    chunk_rows : int, default=None
        Rows per block for Parquet and .npy (see
        :func:`kmeanslab.io.open_chunked`); text is read in blocks of
        ``TEXT_BLOCK_BYTES``.

    Returns
    -------
    LoadedTable

    Raises
    ------
    DataFileError
        As :func:`kmeanslab.io.load_table`, for what the metadata shows
        (missing file, unknown column, unsupported type); values that are not
        numbers fail when the block holding them is read.
    """
    from ...io import DataFileError, LoadedTable
    from ...io import _read

    path = Path(path)
    if not path.exists():
        raise _read._error(path, "does not exist")
    files = ([path] if path.is_file()
             else sorted(p for p in path.iterdir() if p.is_file()
                         and p.suffix.lower() in _read._CSV_SUFFIXES
                         + _read._PARQUET_SUFFIXES))
    suffixes = {f.suffix.lower() for f in files}
    if files and suffixes <= set(_read._CSV_SUFFIXES):
        return _open_text(path, files, columns, header, keep_index)
    if files and (suffixes <= set(_read._PARQUET_SUFFIXES)
                  or suffixes <= set(_read._NPY_SUFFIXES)):
        return _open_binary(path, files, columns, keep_index, chunk_rows,
                            LoadedTable)
    raise DataFileError(f"{path}: cannot be read in chunks on Dask (a "
                        f"delimited text file, Parquet or .npy, or a folder of "
                        f"text or Parquet files)")


def _open_text(path, files, columns, header, keep_index):
    import dask.dataframe as dd

    from ...io import LoadedTable
    from ...io import _read

    delimiter, has_header, first, _ = _read._sniff(files[0], header)
    names = (list(first) if has_header
             else _read.default_column_names(len(first)))
    index_column = None
    if has_header and names[0] == "" and not keep_index and len(names) > 1:
        index_column = names[0]
    frame = dd.read_csv([str(f) for f in files], sep=delimiter,
                        header=0 if has_header else None, names=names,
                        skipinitialspace=True, blocksize=TEXT_BLOCK_BYTES,
                        dtype=np.float64, encoding="utf-8-sig")
    kept = names[1:] if index_column is not None else names
    positions = _read._select(path, kept, columns)
    chosen = [kept[p] for p in positions]
    X = frame[chosen].to_dask_array(lengths=True)
    return LoadedTable(X=X, column_names=chosen, path=path, format="csv",
                       files=tuple(files), header=has_header,
                       index_column=index_column)


def _open_binary(path, files, columns, keep_index, chunk_rows, LoadedTable):
    from ...io import _read, open_chunked

    if files[0].suffix.lower() in _read._NPY_SUFFIXES:
        shape = np.load(files[0], mmap_mode="r").shape
        if len(shape) != 2:
            raise _read._error(path, f"must hold a 2-D array, got shape {shape}")
        names = _read.default_column_names(shape[1])
        positions = _read._select(path, names, columns)
        X = open_chunked(path, columns=positions, chunk_rows=chunk_rows)
        return LoadedTable(X=X, column_names=[names[p] for p in positions],
                           path=path, format="npy", files=tuple(files))
    import pyarrow.parquet as pq

    names = list(pq.read_schema(files[0]).names)
    index_column = None
    if "__index_level_0__" in names and not keep_index:
        index_column = "__index_level_0__"
        names.remove(index_column)
    chosen = [names[p] for p in _read._select(path, names, columns)]
    X = open_chunked(path, columns=chosen, chunk_rows=chunk_rows)
    return LoadedTable(X=X, column_names=chosen, path=path, format="parquet",
                       files=tuple(files), index_column=index_column)


def _point_block(x, labels, centers, ambiguity, temperature, offset):
    from ...diagnostics import point_diagnostics

    table = point_diagnostics(np.asarray(x), centers, ambiguity=ambiguity,
                              temperature=temperature)
    # The fit's labels; the diagnostics' own nearest centre differs from
    # them at most on exact ties.
    table["label"] = np.asarray(labels)
    table.index = np.arange(offset, offset + len(table))
    return table


def point_tables(X, centers, labels, *, ambiguity, temperature):
    """Per block of X, a delayed :func:`kmeanslab.diagnostics.point_diagnostics`
    table of its rows (with the fit's ``labels``, a dask array with X's row
    chunks, and the row numbers as index)."""
    centers = np.ascontiguousarray(centers, dtype=X.dtype)
    offsets = np.concatenate([[0], np.cumsum(X.chunks[0])])
    return [call(_point_block, x, lab, centers, ambiguity, temperature, int(off))
            for x, lab, off in zip(X.to_delayed().ravel(),
                                   labels.to_delayed().ravel(), offsets)]


def write_point_tables(path, tables, table_format, *, prepare=None, in_flight=2):
    """Write delayed tables (one per block, in row order) as one table at
    ``path`` (a file object or path), computing at most ``in_flight``
    blocks ahead of the writer: the client holds a few blocks, never all
    the rows.

    CSV is appended block by block; Parquet gets one row group per block.
    ``prepare(frame)``, when given, returns the frame to write (it may also
    tally what it sees).
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    with open(path, "wb") as stream:
        for start in range(0, max(len(tables), 1), in_flight):
            frames = dask.compute(*tables[start:start + in_flight])
            for frame in frames:
                frame = frame.reset_index(drop=True)
                if prepare is not None:
                    frame = prepare(frame)
                if table_format == "csv":
                    stream.write(frame.to_csv(index=False, header=writer is None)
                                 .encode("utf-8"))
                    writer = True
                    continue
                batch = pa.Table.from_pandas(frame, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(stream, batch.schema)
                writer.write_table(batch)
        if table_format == "parquet":
            if writer is None:
                writer = pq.ParquetWriter(stream, pa.Table.from_pandas(
                    pd.DataFrame(), preserve_index=False).schema)
            writer.close()
    return path


def _take_block(x, labels, local):
    return np.asarray(x)[local], np.asarray(labels)[local]


def sample_rows(X, labels, size, seed=0):
    """At most ``size`` rows of X drawn uniformly without replacement (in
    row order) with their labels, read block by block on the workers:
    host (rows, labels)."""
    n = X.shape[0]
    keep = (np.arange(n) if n <= size
            else np.sort(np.random.default_rng(seed).choice(n, size, replace=False)))
    offsets = np.concatenate([[0], np.cumsum(X.chunks[0])])
    block_of = np.searchsorted(offsets, keep, side="right") - 1
    x_blocks = X.to_delayed().ravel()
    label_blocks = labels.to_delayed().ravel()
    parts = dask.compute(*[
        call(_take_block, x_blocks[b], label_blocks[b], keep[block_of == b] - offsets[b])
        for b in np.unique(block_of)])
    return (np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]))
