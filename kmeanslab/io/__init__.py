"""Reading data files and writing result files.

Modules
-------
_read
    :func:`read_table`: a CSV (delimiter and header sniffed, a pandas index
    column skipped), Parquet (file or folder), a folder of CSV files or a
    ``.npy`` file as a float matrix, with one-line :class:`DataFileError`
    messages for what cannot be used; :func:`load_table` also says how the
    file was read (:class:`LoadedTable`); :func:`files_checksum` hashes the
    files read.
_write
    :func:`atomic_write`, :func:`write_bytes`, :func:`write_table`: write
    through a temporary file, never leave a partial file, never replace an
    existing one without ``force``; :func:`publish_together` publishes a
    run's files together or not at all; :func:`check_outputs` refuses a
    set of paths up front.
_chunks
    :func:`open_chunked`: a ``.npy`` file or Parquet data as a lazy,
    row-chunked dask array for out-of-core fits (needs the ``dask`` extra
    when called, not when imported).
"""

from ._chunks import DEFAULT_CHUNK_BYTES, open_chunked
from ._read import DataFileError, LoadedTable, files_checksum, load_table, read_table
from ._write import (TABLE_SUFFIXES, atomic_write, check_outputs, publish_together,
                     write_bytes, write_table)

__all__ = [
    "DEFAULT_CHUNK_BYTES",
    "DataFileError",
    "LoadedTable",
    "TABLE_SUFFIXES",
    "atomic_write",
    "check_outputs",
    "files_checksum",
    "load_table",
    "open_chunked",
    "publish_together",
    "read_table",
    "write_bytes",
    "write_table",
]
