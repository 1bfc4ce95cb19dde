"""What the commands share around their work: the check of every output
location before any work, the removal of an earlier run's leftovers, the
seed of a run and its ``run.json`` record, the summary's lines about the
data and the seed, and short forms of long lists.

Imports nothing heavy at module level: the commands import it for
``--help`` too.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shlex
import sys
from pathlib import Path

import click

__all__ = ["RUN_RECORD", "check_output_paths", "data_lines", "draw_seed",
           "echo_removed", "new_folders", "remove_stale", "run_record",
           "seed_line", "short_list"]

#: The file every command writes to make its run repeatable.
RUN_RECORD = "run.json"
# Lists longer than this are printed as their first and last items.
_MAX_LISTED = 12


def check_output_paths(paths, *, force, stale=(), out_dir=None, report=None,
                       data=None):
    """Check, before any work, that every output can be written.

    Parameters
    ----------
    paths : sequence of pathlib.Path or None
        Every file the run may write into ``out_dir`` (None entries are
        ignored).
    force : bool
        ``--force``: existing outputs may be replaced and stale ones removed.
    stale : sequence of pathlib.Path, default=()
        Files with the names this command writes that this run will not
        produce (another table format, a figure left out).
    out_dir : pathlib.Path, default=None
        ``--out``, named in the errors about ``paths`` and ``stale``.
    report : pathlib.Path, default=None
        ``--report PATH``, when given.
    data : pathlib.Path, default=None
        DATA, the input file or directory, when the command reads one.

    Returns
    -------
    list of pathlib.Path
        The stale files that exist, to remove once the run has written its
        outputs (empty without ``--force``: they are refused instead).

    Raises
    ------
    CommandError
        One line, exit code 2: an output (or a stale file, which ``--force``
        would remove) is DATA or one of its files, lies inside DATA's
        directory, or is ``--report`` as well as a file of ``--out`` (these
        three even with ``--force``); an output exists without ``--force``,
        a stale file exists without ``--force`` (named, with what to do), or
        a folder cannot be created or written.
    """
    from ..io import check_outputs
    from .options import CommandError, user_errors

    paths = [Path(p) for p in paths if p is not None]
    stale = [Path(p) for p in stale]
    named = [("--out", out_dir, p) for p in paths + stale]
    if report is not None:
        named.append(("--report", report, Path(report)))
    if data is not None:
        problem = _input_overlap(named, Path(data), set(stale))
        if problem:
            raise CommandError(problem)
    if report is not None:
        twin = next((p for p in paths + stale if _same_path(p, report)), None)
        if twin is not None:
            raise CommandError(f"--report {report} is also the file {twin.name} "
                               f"of --out {out_dir}; give the report another "
                               f"path")
    # OSError: FileExistsError, NotADirectoryError, PermissionError.
    with user_errors(OSError, only=True):
        return check_outputs(paths + ([Path(report)] if report is not None else []),
                             force=force, stale=stale)


def _same_path(a, b):
    """Whether two paths name one file: the same path once symbolic links
    are followed, or (both existing) the same file, hard links included."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (or cannot be looked at)
        return False


def _input_overlap(named, data, stale):
    """The error for the first output that would replace, remove or add to
    DATA, or None.

    An output may not be DATA itself, any file of DATA (a directory's files,
    as hard links or through symbolic links too), nor lie anywhere inside
    DATA's directory: its files are read as one table (Parquet folders
    recursively), so a new file there would change the input of the next
    run, or make it unreadable.
    """
    if not os.path.exists(data):
        return None  # reading it gives the error
    root = os.path.realpath(data)
    is_dir = os.path.isdir(data)
    files = _file_ids(data) if is_dir else _file_ids_of([data])
    for option, value, path in named:
        real = os.path.realpath(path)
        inside = is_dir and real.startswith(root.rstrip(os.sep) + os.sep)
        same = real == root or _file_id(path) in files
        if not (inside or same):
            continue
        if option == "--report":
            subject, fix = f"--report {value}", "give the report another path"
        else:
            subject, fix = (f"--out {value}: its output {path.name}",
                            "choose another --out")
            if path in stale:
                # Not written by this run, but removed with --force.
                subject += " (which --force would remove)"
        if inside and not same:
            if option == "--out":
                return (f"--out {value} is inside the input directory DATA "
                        f"({data}), whose files are read as data; choose a "
                        f"folder outside it")
            return (f"--report {value} is inside the input directory DATA "
                    f"({data}), whose files are read as data; give the report "
                    f"a path outside it")
        if is_dir and real != root:
            return (f"{subject} is the same file as one in the input directory "
                    f"DATA ({data}); {fix}")
        what = "directory" if is_dir else "file"
        # Another name of it: a hard link, or a path through a symbolic link.
        same_name = os.path.abspath(path) == os.path.abspath(data)
        return (f"{subject} is {'' if same_name else 'the same file as '}the "
                f"input {what} DATA ({data}); {fix}")
    return None


def _file_id(path):
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


def _file_ids_of(paths):
    return {fid for fid in map(_file_id, paths) if fid is not None}


def _file_ids(directory):
    """(device, inode) of every file under ``directory``, at any depth."""
    found = set()
    for folder, _, names in os.walk(directory):
        found |= _file_ids_of(os.path.join(folder, name) for name in names)
    return found


@contextlib.contextmanager
def new_folders(out_dir, report=None):
    """Create ``out_dir`` (and the folder of ``report``) for the block;
    when the block fails, remove again the folders it created that are
    still empty, so a failed run leaves the file system as it found it."""
    folders = [Path(out_dir)] + ([Path(report).parent] if report is not None else [])
    created = []
    for folder in folders:
        missing = []
        parent = folder
        while not parent.exists() and parent != parent.parent:
            missing.append(parent)
            parent = parent.parent
        folder.mkdir(parents=True, exist_ok=True)
        created += missing
    try:
        yield
    except BaseException:
        for folder in sorted(created, key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):  # not empty, or gone
                folder.rmdir()
        raise


def remove_stale(paths):
    """Remove an earlier run's files (only names the command writes, listed
    by :func:`check_output_paths`); returns the paths removed."""
    removed = []
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            Path(path).unlink()
            removed.append(Path(path))
    return removed


def draw_seed(random_state):
    """The seed of a run: ``--random-state`` when given, else a fresh one
    in [0, 2**32 - 1] (the option's range), so the run can be repeated."""
    return random_state if random_state is not None else secrets.randbelow(2**32)


def seed_line(seed, drawn):
    """The summary's line about the seed: drawn for this run (and how to
    repeat it) or given."""
    if drawn:
        return (f"Seed: {seed} (drawn for this run; --random-state {seed} "
                f"repeats it)")
    return f"Seed: {seed} (--random-state)"


def data_lines(data, table, standardize, header):
    """The summary's lines about DATA: what was read, and how (a header row
    of numbers, a skipped index column), so a surprise is visible.

    Parameters
    ----------
    data : pathlib.Path
        DATA as given.
    table : kmeanslab.io.LoadedTable
    standardize : str or None
        How ``--standardize`` transformed the data
        (:func:`kmeanslab.cli.options.standardize_note`), or None.
    header : bool or None
        ``--header/--no-header`` (None: detected).
    """
    n_samples, n_features = table.shape
    files = f" ({len(table.files)} files)" if len(table.files) > 1 else ""
    lines = [f"Data: {data}{files}: {n_samples:,} samples x {n_features} features "
             f"({short_list(table.column_names, 8)})"
             f"{', ' + standardize if standardize else ''}"]
    if table.header and header is None and any(_is_number(name) for name in
                                               table.column_names):
        lines.append(f"  header row: {short_list(table.column_names, 8)} "
                     f"(--no-header reads it as data)")
    if table.index_column is not None and table.format == "csv":
        named = f"column {table.index_column!r}" if table.index_column else "first column"
        lines.append(f"  {named} skipped: it holds the row numbers "
                     f"0..{n_samples - 1} (an index written by pandas; "
                     f"--keep-index keeps it)")
    elif table.index_column is not None:
        lines.append(f"  column {table.index_column!r} skipped: the index pandas "
                     f"wrote (--keep-index keeps it)")
    return lines


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def run_record(ctx, *, seed, table, extra=None):
    """The bytes of ``run.json``: how to repeat this run exactly.

    Parameters
    ----------
    ctx : click.Context
        The command's context: its name, parameters and arguments.
    seed : int
        The seed used (given or drawn).
    table : kmeanslab.io.LoadedTable or None
        The data read (name, shape, checksum of its files), or None.
    extra : dict, default=None
        More entries (what the run found, e.g. the init that ran).

    Returns
    -------
    bytes
        UTF-8 JSON: ``command``, ``repeat`` (a command line that repeats the
        run, with ``--random-state``), ``parameters`` (every option's value
        after parsing), ``seed``, ``kmeanslab_version`` and ``input`` (path,
        format, files, shape, columns, header, index column, checksum).
    """
    from .. import __version__

    argv = list(ctx.meta.get("kmeanslab.argv", sys.argv[1:]))
    if ctx.params.get("random_state") is None and "random_state" in ctx.params:
        argv += ["--random-state", str(seed)]
    record = {
        "command": ctx.command_path,
        "repeat": shlex.join(["kmeanslab", *argv]),
        "parameters": {name: _jsonable(value) for name, value in ctx.params.items()},
        "seed": seed,
        "kmeanslab_version": __version__,
    }
    if table is not None:
        from ..io import files_checksum

        record["input"] = {
            "path": str(table.path),
            "name": table.path.name,
            "format": table.format,
            "files": [str(f) for f in table.files],
            "shape": list(table.shape),
            "columns": list(table.column_names),
            "header": table.header,
            "index_column_skipped": table.index_column,
            "checksum": files_checksum(table.files),
        }
    record.update(extra or {})
    return (json.dumps(record, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _jsonable(value):
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    return value


def short_list(items, limit=_MAX_LISTED):
    """``items`` joined with commas, or for a long list its first and last
    few with how many were left out.

    Examples
    --------
    >>> short_list([1, 2, 3])
    '1, 2, 3'
    >>> short_list(range(100), limit=4)
    '0, 1, ..., 98, 99 (100 in all)'
    """
    items = [str(item) for item in items]
    if len(items) <= limit:
        return ", ".join(items)
    half = limit // 2
    return (f"{', '.join(items[:half])}, ..., {', '.join(items[-half:])} "
            f"({len(items)} in all)")


def echo_removed(removed, quiet):
    """Say which files of an earlier run were removed (not with ``-q``)."""
    if removed and not quiet:
        click.echo("Removed from an earlier run: "
                   + short_list(str(path) for path in removed))
