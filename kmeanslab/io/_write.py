"""Writing files atomically, without replacing what exists.

:func:`atomic_write`, :func:`write_bytes` and :func:`write_table` write a
temporary file next to the target and move it into place, so an interrupted
or failing writer never leaves a truncated file; they refuse to replace an
existing file unless ``force`` is given, even one that appears while they
write. Inside a :func:`publish_together` block they only prepare their
files, and the block moves all of them into place when it ends without an
error (none of them when it fails), so that a run's outputs appear
together or not at all. :func:`check_outputs` makes the same refusal for
a whole set of paths before any work starts, and also refuses folders
that cannot be written and an earlier run's outputs that this run would
not replace; :func:`exists_error` is the error all of them (and the demo
and report writers) raise for an existing file.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import secrets
from pathlib import Path

import numpy as np

from ._read import default_column_names

__all__ = [
    "TABLE_SUFFIXES",
    "atomic_write",
    "check_outputs",
    "exists_error",
    "publish_together",
    "write_bytes",
    "write_table",
]

# Endings write_table can write.
TABLE_SUFFIXES = (".csv", ".parquet")


def exists_error(path):
    """The error raised when ``path`` exists and ``force`` was not given.

    Parameters
    ----------
    path : str or path-like
        The file that would be replaced.

    Returns
    -------
    FileExistsError
        With a one-line message naming the file and ``--force``.
    """
    # Not FileExistsError(errno, message, path): str() would then read
    # "[Errno 17] ...", which the CLI prints as its one-line error.
    return FileExistsError(f"{path} already exists; pass force=True (--force on "
                           f"the command line) to overwrite it")


def check_outputs(paths, *, force=False, stale=()):
    """Refuse, before any work, a set of outputs that cannot be written.

    Parameters
    ----------
    paths : iterable of str or path-like
        Every file a command is going to write.
    force : bool, default=False
        Allow replacing existing files (directories are never replaced) and
        removing the ``stale`` ones.
    stale : iterable of str or path-like, default=()
        Files the command writes on other runs but not on this one (the
        tables in another format, an optional figure): left beside the new
        outputs they would pass for part of this run.

    Returns
    -------
    list of pathlib.Path
        The ``stale`` files that exist (only with ``force``: the caller
        removes them once the new outputs are written).

    Raises
    ------
    FileExistsError
        If ``force`` is False and one of the paths or stale files exists
        (the message names it, and how many others exist too), or a path is
        a directory.
    NotADirectoryError
        If a path's directory, or the closest of its parents that exists,
        is a file.
    PermissionError
        If that directory cannot be written (checked with :func:`os.access`,
        so it is not checked for a process that may write anywhere).
    """
    paths = [Path(p) for p in paths]
    directories = [p for p in paths if p.is_dir()]
    if directories:
        raise FileExistsError(f"{directories[0]} is a directory; cannot write a "
                              f"file there")
    for directory in dict.fromkeys(p.parent for p in paths):
        _check_writable(directory)
    stale = [Path(p) for p in stale if Path(p).is_file()]
    if force:
        return stale
    existing = [p for p in paths if p.exists()]
    if existing:
        more = len(existing) - 1
        error = exists_error(existing[0])
        if more:
            error = FileExistsError(f"{existing[0]} (and {more} other output "
                                    f"file(s)) already exist; pass force=True "
                                    f"(--force on the command line) to overwrite")
        raise error
    if stale:
        names = ", ".join(p.name for p in stale)
        raise FileExistsError(f"{stale[0].parent} holds {names} from an earlier "
                              f"run, which this run would not replace; pass "
                              f"force=True (--force on the command line) to "
                              f"remove {'it' if len(stale) == 1 else 'them'}")
    return []


def _check_writable(directory):
    """Raise unless files can be created in ``directory`` (made if missing)."""
    existing = directory
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise NotADirectoryError(f"cannot write into {directory}: {existing} is a "
                                 f"file, not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        where = "" if existing == directory else f" ({existing} cannot be written)"
        raise PermissionError(f"cannot write into {directory}: permission "
                              f"denied{where}")


def atomic_write(path, write, *, force=False):
    """Write a file through a temporary file in the same directory.

    ``write(tmp)`` is called with a path next to ``path`` (same directory,
    so the final move stays on one file system; same suffix, since writers
    such as matplotlib pick the format from it). When it returns, the file
    is flushed to disk and moved into place (inside a
    :func:`publish_together` block: when the block ends); when it raises,
    the temporary file is removed and ``path`` is untouched.

    Parameters
    ----------
    path : str or path-like
        The file to write. Its directory must exist.
    write : callable
        ``write(tmp_path)`` writes the whole file to ``tmp_path``.
    force : bool, default=False
        Replace ``path`` if it exists. Without it the move refuses to replace
        a file, even one that appeared while ``write`` ran.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    FileExistsError
        If ``force`` is False and ``path`` exists (the message names the file
        and ``--force``).
    """
    path = Path(path)
    if not force and path.exists():
        raise exists_error(path)
    batch = _BATCH.get()
    if batch is not None:
        batch.check_new(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp{path.suffix}")
    # Created here so no other writer can take the name; write() replaces it.
    tmp.open("xb").close()
    try:
        write(tmp)
        with open(tmp, "rb+") as stream:
            os.fsync(stream.fileno())
        if batch is not None:
            # Moved into place with the rest of the batch, when it ends.
            batch.add(tmp, path, force)
            tmp = None
        else:
            _publish(tmp, path, force)
    finally:
        if tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    return path


def _publish(tmp, path, force):
    if force:
        os.replace(tmp, path)
    else:
        _publish_no_clobber(tmp, path)


# The publish_together block the current thread (or task) is in, if any.
_BATCH = contextvars.ContextVar("kmeanslab_io_batch", default=None)


class _Batch:
    """Files written in full to temporary files, waiting to be moved into
    place together."""

    def __init__(self):
        self.entries = []  # (temporary file, target, force), in write order

    def check_new(self, path):
        # Two writes to one path would silently keep only the second.
        if any(_same_target(path, target) for _, target, _ in self.entries):
            raise ValueError(f"{path} is written twice by one run; give each "
                             f"output its own path")

    def add(self, tmp, path, force):
        self.entries.append((tmp, path, force))

    def discard(self):
        for tmp, _, _ in self.entries:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        self.entries = []

    def publish(self):
        """Move every file into place, in the order written; if one cannot
        be (a file that appeared meanwhile, without force), take back the
        new files already moved and drop the rest."""
        for _, path, force in self.entries:
            if not force and path.exists():
                self.discard()
                raise exists_error(path)
        published = []
        try:
            while self.entries:
                tmp, path, force = self.entries[0]
                _publish(tmp, path, force)
                self.entries.pop(0)
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()  # the hard link's other name, if linked
                if not force:
                    published.append(path)
        except BaseException:
            # Only files that did not exist before are taken back: a
            # replaced file cannot be restored.
            for path in published:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
            self.discard()
            raise


def _same_target(a, b):
    return os.path.abspath(a) == os.path.abspath(b)


@contextlib.contextmanager
def publish_together():
    """Publish every file written in the block together, when it ends.

    Inside the block :func:`atomic_write`, :func:`write_bytes` and
    :func:`write_table` (and the writers built on them) write each file in
    full to a temporary file next to its target and return; the targets
    appear only when the block ends without an exception, in the order
    written. When the block raises, the temporary files are removed and no
    target is created or replaced, so a failure in a run's last step
    cannot leave some of its outputs without the others.

    Yields
    ------
    None

    Raises
    ------
    FileExistsError
        When the block ends, if a target written without ``force`` has
        appeared since (nothing is published then).
    ValueError
        From a write in the block to a path already written in it.

    Notes
    -----
    The block covers the writes of the thread (or asyncio task) that
    entered it. Publishing is a series of renames: should one fail
    halfway (a full disk, a file that appears in that instant), the new
    files already moved are removed again; files it replaced (``force``)
    stay replaced.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from kmeanslab.io import publish_together, write_bytes
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     folder = pathlib.Path(tmp)
    ...     with publish_together():
    ...         _ = write_bytes(folder / "a.txt", b"a")
    ...         print(sorted(p.name for p in folder.iterdir() if p.name[0] != "."))
    ...     print(sorted(p.name for p in folder.iterdir()))
    []
    ['a.txt']
    """
    batch = _Batch()
    token = _BATCH.set(batch)
    try:
        yield
    except BaseException:
        _BATCH.reset(token)
        batch.discard()
        raise
    _BATCH.reset(token)
    batch.publish()


def _publish_no_clobber(tmp, path):
    try:
        # A hard link fails when the target exists, so a file created by
        # someone else while we were writing is never replaced.
        os.link(tmp, path)
    except FileExistsError:
        raise exists_error(path) from None
    except OSError:
        # File systems without hard links: check, then replace.
        if path.exists():
            raise exists_error(path) from None
        os.replace(tmp, path)


def write_bytes(path, data, *, force=False):
    """Write ``data`` (bytes) to ``path`` atomically; see :func:`atomic_write`.

    Returns
    -------
    pathlib.Path
    """
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(data), force=force)


def write_table(path, frame_or_array, *, force=False):
    """Write a table to ``.csv`` or ``.parquet`` atomically.

    Parameters
    ----------
    path : str or path-like
        Output file; its suffix (".csv" or ".parquet") picks the format.
    frame_or_array : pandas.DataFrame or array-like of shape (n_rows, n_columns)
        The table; an array gets columns ``x0``, ``x1``, .... The index of
        a DataFrame is not written (reset it first to keep it).
    force : bool, default=False
        Replace ``path`` if it exists.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ValueError
        If the suffix is not ".csv" or ".parquet".
    FileExistsError
        If ``force`` is False and ``path`` exists.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from kmeanslab.io import read_table, write_table
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = write_table(pathlib.Path(tmp) / "t.csv", np.eye(2))
    ...     print(path.read_text())
    x0,x1
    1.0,0.0
    0.0,1.0
    <BLANKLINE>
    """
    import pandas as pd

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise ValueError(f"path must end in one of {TABLE_SUFFIXES}, got {str(path)!r}")
    if isinstance(frame_or_array, pd.DataFrame):
        frame = frame_or_array
    else:
        array = np.asarray(frame_or_array)
        if array.ndim == 1:
            array = array.reshape(-1, 1)
        if array.ndim != 2:
            raise ValueError(f"frame_or_array must be a DataFrame or a 2-D array, "
                             f"got shape {array.shape}")
        frame = pd.DataFrame(array, columns=default_column_names(array.shape[1]))
    if suffix == ".csv":
        def write(tmp):
            frame.to_csv(tmp, index=False)
    else:
        def write(tmp):
            frame.to_parquet(tmp, index=False, engine="pyarrow")
    return atomic_write(path, write, force=force)
