"""``kmeanslab choose-k``: compare k-means fits over a range of k."""

from __future__ import annotations

import re

import click

from .._options import CRITERIA, CRITERION_ALIASES, SILHOUETTE_METHODS
from .options import (CommandError, columns_option, data_argument, echo_warnings,
                      force_option, load_data, out_option, quiet_option,
                      random_state_option, report_option, report_writer,
                      standardize_option, table_format_option, user_errors)

_RANGE = re.compile(r"^\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*$")
_DPI = 100


def parse_k_range(text):
    """``"2..10"`` (inclusive), ``"2,4,8"`` or ``"5"`` -> list of int.

    Raises
    ------
    CommandError
        For anything else, and for an empty range such as ``"5..2"``.
    """
    match = _RANGE.match(text)
    if match:
        start, stop = int(match.group(1)), int(match.group(2))
        if start > stop:
            raise CommandError(f"--k {text}: the range is empty (its start is "
                               f"larger than its end); write it as {stop}..{start}")
        return list(range(start, stop + 1))
    try:
        return [int(token) for token in text.split(",")]
    except ValueError:
        raise CommandError(f"--k must be a range like 2..10 or a list like 2,4,8, "
                           f"got {text!r}") from None


def parse_criteria(text):
    """``"elbow,silhouette"`` -> tuple of criterion names ("all": every
    criterion; dashes may stand for underscores; "elbow" is "inertia")."""
    if text.strip() == "all":
        return CRITERIA
    names = tuple(name.strip().replace("-", "_") for name in text.split(","))
    names = tuple(CRITERION_ALIASES.get(name, name) for name in names)
    unknown = [name for name in names if name not in CRITERIA]
    if unknown:
        raise CommandError(f"--criteria: unknown criterion {unknown[0]!r}; choose "
                           f"from elbow (or inertia), {', '.join(CRITERIA[1:])} "
                           f"(or 'all')")
    return names


@click.command("choose-k")
@data_argument
@click.option("--k", "-k", "k_text", default="2..10", show_default=True,
              metavar="RANGE",
              help="ks to compare: a range like 2..10 (inclusive) or a list "
                   "like 2,4,8.")
@click.option("--criteria", "criteria_text", default="all", show_default=True,
              metavar="NAMES",
              help="Comma-separated criteria: elbow (or inertia), "
                   + ", ".join(CRITERIA[1:])
                   + "; 'all' for every one (gap and stability fit many extra "
                     "models).")
@click.option("--silhouette", type=click.Choice(SILHOUETTE_METHODS),
              default="exact", show_default=True,
              help="Silhouette method: exact (O(n^2)), sampled (with a "
                   "confidence interval) or simplified (to the centres).")
@random_state_option
@columns_option
@standardize_option
@out_option(default="kmeanslab-choose-k")
@table_format_option
@report_option
@force_option
@quiet_option
def choose_k(data, k_text, criteria_text, silhouette, random_state, columns,
             standardize, out_dir, table_format, report_path, force, quiet):
    """Fit k-means on DATA (.csv/.tsv/.txt, .parquet or a directory of
    them, .npy) for every k in a range and recommend one.

    Each criterion (the inertia's elbow, silhouette, Calinski-Harabasz,
    Davies-Bouldin, gap statistic, subsample stability) picks a k and a
    majority vote recommends one. Prints the table, the picks and the
    reasons, and writes k_selection.csv (or .parquet) and k_selection.png
    into DIR.
    """
    from ..io import check_outputs

    ks = parse_k_range(k_text)
    criteria = parse_criteria(criteria_text)
    table_path = out_dir / f"k_selection.{table_format}"
    figure_path = out_dir / "k_selection.png"
    with user_errors():
        check_outputs([table_path, figure_path]
                      + ([report_path] if report_path else []), force=force)
    write_report = report_writer() if report_path else None
    X, X_model, names, _ = load_data(data, columns, standardize)

    from ..selection import choose_k as run_choose_k

    with echo_warnings(), user_errors():
        selection = run_choose_k(X_model, ks, criteria=criteria,
                                 silhouette=silhouette, random_state=random_state,
                                 progress=not quiet)
    out_dir.mkdir(parents=True, exist_ok=True)
    # FileExistsError only: a file that appeared since check_outputs.
    with user_errors(FileExistsError, only=True):
        written = [_write_table(selection, table_path, force),
                   _write_figure(selection, figure_path, force)]
        if write_report is not None:
            report_path.parent.mkdir(parents=True, exist_ok=True)
            write_report(report_path, X=X_model, selection=selection,
                         title=f"kmeanslab choose-k: {data.name}", force=force)
            written.append(report_path)
    if quiet:
        lines = [str(path) for path in written]
    else:
        n_samples, n_features = X.shape
        shown = ", ".join(names[:8]) + (", ..." if n_features > 8 else "")
        lines = [f"Data: {data}: {n_samples:,} samples x {n_features} features "
                 f"({shown}){', standardized' if standardize else ''}",
                 selection.summary(), "Files written:"]
        lines += [f"  {path}" for path in written]
    for line in lines:
        click.echo(line)


def _write_table(selection, path, force):
    from ..io import write_table

    return write_table(path, selection.to_pandas().reset_index(), force=force)


def _write_figure(selection, path, force):
    from ..io import atomic_write
    from ..plotting import selection_figsize
    from ..plotting._style import new_figure

    # A Figure outside pyplot (no GUI backend, nothing to close), sized as
    # KSelection.plot sizes its own.
    fig = selection.plot(fig=new_figure(
        figsize=selection_figsize(len(selection.criteria))))
    return atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=_DPI),
                        force=force)
