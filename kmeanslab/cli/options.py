"""Options and errors shared by the ``kmeanslab`` commands.

Each option is defined once here so every command spells it, and documents
it, the same way. Choices come from :mod:`kmeanslab._options` and the help
of the fit parameters from :mod:`kmeanslab._params` (both NumPy-free, so
``--help`` stays fast).
"""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path

import click

from .._options import LANGUAGES, TABLE_FORMATS
from .._params import cli_help
from ._messages import cli_message

__all__ = [
    "CommandError",
    "FLOAT",
    "INT",
    "Number",
    "columns_option",
    "data_argument",
    "echo_warnings",
    "force_option",
    "header_option",
    "keep_index_option",
    "lang_option",
    "load_data",
    "out_option",
    "quiet_option",
    "random_state_option",
    "report_option",
    "report_writer",
    "standardize_note",
    "standardize_option",
    "standardize_record",
    "table_format_option",
    "user_errors",
]


class CommandError(click.ClickException):
    """A user error: one "Error: ..." line on stderr and exit code 2 (the
    code click uses for usage errors), never a traceback."""

    exit_code = 2


def out_option(default):
    """``--out DIR``: the directory output files are written to."""
    # No click checks (file or folder, writable, readable): a folder that
    # cannot be written must give the same one-line error as every other
    # output location (checked by the command before any work).
    return click.option(
        "--out", "out_dir", default=default, show_default=True, metavar="DIR",
        type=click.Path(readable=False, path_type=Path),
        help="Directory for the output files (created if missing).")


force_option = click.option(
    "--force", is_flag=True, default=False,
    help="Overwrite output files that already exist, and remove the files "
         "with this command's output names that this run does not write "
         "(for fit and choose-k: an earlier run's tables in the other "
         "format, moves table or silhouette figure); without it such "
         "leftovers are refused. Other files are never touched.")

quiet_option = click.option(
    "--quiet", "-q", is_flag=True, default=False,
    help="No progress bar and no printed summary; print only the files written.")

lang_option = click.option(
    "--lang", type=click.Choice(LANGUAGES), default="en", show_default=True,
    help="Language of the figures' text; 'ja' needs pip install kmeanslab[ja].")


# Neither exists=True nor click's readable check: a missing or unreadable
# file must give the same one-line error as every other unusable file (from
# kmeanslab.io.load_table), not click's usage block.
data_argument = click.argument("data", type=click.Path(readable=False,
                                                       path_type=Path))

columns_option = click.option(
    "--columns", default=None, metavar="COLS",
    help="Columns to use, comma-separated names or 0-based positions "
         "(e.g. 'x,y' or '0,2'; a skipped index column is not counted); "
         "default: all.")

standardize_option = click.option(
    "--standardize", is_flag=True, default=False,
    help="Scale every column to zero mean and unit variance before "
         "clustering (columns with zero variance are only centred). A "
         "sparse .npz matrix is scaled to unit variance without centring, "
         "which keeps it sparse (scikit-learn's StandardScaler("
         "with_mean=False)); the summary and run.json say so.")

header_option = click.option(
    "--header/--no-header", "header", default=None,
    help="Whether the first line of a text file names the columns; default: "
         "detected by comparing it with the lines below.")

keep_index_option = click.option(
    "--keep-index", is_flag=True, default=False,
    help="Keep an unnamed first column holding 0, 1, ..., n-1 (the index "
         "pandas' to_csv writes) as a feature; by default it is skipped.")

class Number(click.ParamType):
    """An int or float option whose bad values are one-line CommandErrors
    (click's own INT and FLOAT print a usage message around the error)."""

    def __init__(self, kind, minimum=None, maximum=None):
        self.kind = kind
        self.name = kind.__name__
        self.minimum = minimum
        self.maximum = maximum

    def convert(self, value, param, ctx):
        option = param.opts[0] if param is not None and param.opts else "value"
        what = "an integer" if self.kind is int else "a number"
        try:
            number = self.kind(value)
        except (TypeError, ValueError):
            raise CommandError(f"{option} must be {what}, got {value!r}") from None
        if ((self.minimum is not None and number < self.minimum)
                or (self.maximum is not None and number > self.maximum)):
            bounds = (f"in [{self.minimum}, {self.maximum}]"
                      if self.maximum is not None else f">= {self.minimum}")
            raise CommandError(f"{option} must be {what} {bounds}, got {value!r}")
        return number


INT = Number(int)
FLOAT = Number(float)

random_state_option = click.option(
    "--random-state", type=Number(int, 0, 2**32 - 1), default=None,
    help=cli_help("random_state", "The seed used, given or drawn, is printed "
                                  "and written to run.json."))

report_option = click.option(
    "--report", "report_path", default=None, metavar="PATH",
    type=click.Path(readable=False, path_type=Path),
    help="Also write a self-contained HTML report to PATH.")

table_format_option = click.option(
    "--format", "table_format", type=click.Choice(TABLE_FORMATS),
    default="csv", show_default=True, help="Format of the tables written.")


def load_data(path, columns, standardize, header=None, keep_index=False):
    """Read DATA for a command: ``(table, X_model, scaler)``.

    ``table`` is the :class:`kmeanslab.io.LoadedTable` read (X, column
    names, files, header row, skipped index column); ``X_model`` is what
    gets clustered (X standardized when asked, else X itself); ``scaler``
    is the fitted sklearn StandardScaler, or None. A sparse X is scaled
    without centring (``with_mean=False``): centring would fill in every
    zero, and scikit-learn refuses it for the same reason. Unreadable data
    is a CommandError.
    """
    from ..io import DataFileError, load_table

    try:
        table = load_table(path, columns=columns, header=header,
                           keep_index=keep_index)
    except DataFileError as exc:
        raise CommandError(cli_message(str(exc))) from None
    except (TypeError, ValueError) as exc:  # a malformed --columns
        raise CommandError(f"--columns: {cli_message(str(exc))}") from None
    except ImportError as exc:
        # Only a missing optional package is a user error; anything else is a bug.
        if "pip install" not in str(exc):
            raise
        raise CommandError(str(exc)) from None
    X = table.X
    if not standardize:
        return table, X, None
    return table, *_standardize(X)


def _standardize(X):
    """``(X_model, scaler)``: X standardized column by column, and the
    fitted StandardScaler in X's units.

    Each column is first multiplied by the power of two that brings its
    largest magnitude into [0.5, 1): exact, and it keeps the squares behind
    the variance from overflowing (values from about 1e154) or underflowing
    (below about 1e-154), so any finite column is standardized. The
    scaler's ``mean_``, ``scale_`` and ``var_`` are then moved back to X's
    units (``var_`` may overflow to inf there; ``inverse_transform`` uses
    the other two).
    """
    import numpy as np
    import scipy.sparse as sp
    from sklearn.preprocessing import StandardScaler

    sparse = sp.issparse(X)
    peak = np.asarray(abs(X).max(axis=0).toarray() if sparse
                      else np.abs(X).max(axis=0), dtype=np.float64).ravel()
    shift = -np.frexp(peak)[1]  # 0 for a column of zeros
    if sparse:
        X_shifted = X.copy()
        X_shifted.data = np.ldexp(X_shifted.data, shift[X_shifted.indices])
    else:
        X_shifted = np.ldexp(X, shift)
    scaler = StandardScaler(with_mean=not sparse).fit(X_shifted)
    X_model = scaler.transform(X_shifted).astype(X.dtype, copy=False)
    with np.errstate(over="ignore"):
        scaler.scale_ = np.ldexp(scaler.scale_, -shift)
        scaler.var_ = np.ldexp(scaler.var_, -2 * shift)
        if scaler.mean_ is not None:
            scaler.mean_ = np.ldexp(scaler.mean_, -shift)
    return X_model, scaler


def standardize_record(scaler):
    """``run.json``'s ``standardization`` entry: None without
    ``--standardize``, else the StandardScaler's ``with_mean`` and
    ``with_std`` and :func:`standardize_note`'s words."""
    if scaler is None:
        return None
    return {"with_mean": bool(getattr(scaler, "with_mean", True)),
            "with_std": bool(getattr(scaler, "with_std", True)),
            "description": standardize_note(scaler)}


def standardize_note(scaler):
    """How ``--standardize`` transformed the data, for the summary and
    ``run.json``: "standardized" (centred and scaled), "scaled to unit
    variance, not centred (sparse)", or None without a scaler."""
    if scaler is None:
        return None
    if getattr(scaler, "with_mean", True):
        return "standardized"
    return "scaled to unit variance, not centred (sparse)"


@contextlib.contextmanager
def echo_warnings():
    """Show the library's warnings as "Warning: ..." lines on stderr, in
    the command line's wording, when the block ends (enter it before a
    progress bar, so they come after the bar's last line).

    User-facing categories only (UserWarning and RuntimeWarning, with their
    subclasses); anything else, such as DeprecationWarnings raised inside
    dependencies, is left out of the command's output.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            seen = set()
            for warning in caught:
                message = str(warning.message).strip().splitlines()
                if (not message or message[0] in seen or not issubclass(
                        warning.category, (UserWarning, RuntimeWarning))):
                    continue
                seen.add(message[0])
                click.echo(f"Warning: {cli_message(message[0])}", err=True)


def report_writer():
    """``kmeanslab.report.write_report``, imported now so that a missing
    report module is a one-line error before any work, not after it."""
    try:
        from ..report import write_report
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__.rpartition('.')[0]}.report":
            raise
        raise CommandError("--report needs the kmeanslab.report module, which "
                           "this installation lacks") from None
    except ImportError as exc:
        # Only a missing optional extra is a user error; anything else is a bug.
        if "pip install kmeanslab[" not in str(exc):
            raise
        raise CommandError(str(exc)) from None
    return write_report


@contextlib.contextmanager
def user_errors(*extra, only=False):
    """Turn the library's input errors inside the block into CommandErrors.

    The library signals bad input with ValueError and TypeError (whose
    messages name the parameter and value) and refuses to overwrite files
    with FileExistsError; ``extra`` adds exception types, or with
    ``only=True`` replaces those three. Use it around calls that validate
    input, not around whole commands, so that a bug still shows its
    traceback. The message names options, not Python parameters (see
    :func:`kmeanslab.cli._messages.cli_message`).
    """
    caught = extra if only else (ValueError, TypeError, FileExistsError, *extra)
    try:
        yield
    except caught as exc:
        lines = str(exc).strip().splitlines()
        raise CommandError(cli_message(lines[0]) if lines
                           else type(exc).__name__) from None
