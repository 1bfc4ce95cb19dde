"""Old path of :func:`kmeanslab.io.open_chunked`, kept so that
``from kmeanslab.io_chunks import open_chunked`` keeps working.

The code lives in :mod:`kmeanslab.io` (``kmeanslab/io/_chunks.py``); import
it from there in new code.
"""

from .io._chunks import DEFAULT_CHUNK_BYTES, open_chunked

__all__ = ["open_chunked", "DEFAULT_CHUNK_BYTES"]
