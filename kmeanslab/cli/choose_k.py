"""``kmeanslab choose-k``: compare k-means fits over a range of k."""

from __future__ import annotations

import re

import click

from .._options import CRITERIA, CRITERION_ALIASES, SILHOUETTE_METHODS
from ._outputs import (RUN_RECORD, check_output_paths, data_lines, draw_seed,
                       echo_removed, new_folders, remove_stale, run_record,
                       seed_line)
from .options import (CommandError, columns_option, data_argument, echo_warnings,
                      force_option, header_option, keep_index_option, load_data,
                      out_option, quiet_option, random_state_option,
                      report_option, report_writer, standardize_note,
                      standardize_option, standardize_record,
                      table_format_option, user_errors)

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
@header_option
@keep_index_option
@standardize_option
@out_option(default="kmeanslab-choose-k")
@table_format_option
@report_option
@force_option
@quiet_option
@click.pass_context
def choose_k(ctx, data, k_text, criteria_text, silhouette, random_state, columns,
             header, keep_index, standardize, out_dir, table_format, report_path,
             force, quiet):
    """Fit k-means on DATA for every k in a range and recommend one. DATA is
    a .csv/.tsv/.txt/.dat file (delimiter and header row detected), a
    .parquet/.pq file, a directory of Parquet files or of text files with
    the same columns, a .npy array (1-D or 2-D), or a .npz sparse matrix
    written by scipy.sparse.save_npz.

    Each criterion (the inertia's elbow, which needs at least 4 ks,
    silhouette, Calinski-Harabasz, Davies-Bouldin, gap statistic,
    subsample stability) picks a k and a majority vote recommends one.
    Prints the table, the picks and the reasons, and writes into DIR
    k_selection.csv (or .parquet: one row per k with every score, the
    criteria that pick it and whether it is recommended), k_selection.png
    and run.json (the parameters, the seed, the kmeanslab version and the
    input's name, shape and checksum). ks the data cannot support are
    skipped with a warning, or refused when they are most of the range.
    Every output location is checked before any work; no output may be
    DATA, one of its files or inside its directory, even with --force. The
    files appear together once all are written: a run that fails writes
    none.
    """
    ks = parse_k_range(k_text)
    criteria = parse_criteria(criteria_text)
    table_path = out_dir / f"k_selection.{table_format}"
    figure_path = out_dir / "k_selection.png"
    other_format = [out_dir / f"k_selection.{suffix}" for suffix in ("csv", "parquet")
                    if suffix != table_format]
    stale = check_output_paths([table_path, figure_path, out_dir / RUN_RECORD],
                               force=force, stale=other_format, out_dir=out_dir,
                               report=report_path, data=data)
    write_report = report_writer() if report_path else None
    table, X_model, scaler = load_data(data, columns, standardize, header, keep_index)
    _check_supported_ks(k_text, ks, criteria, X_model)
    seed = draw_seed(random_state)

    from ..io import publish_together, write_bytes
    from ..selection import choose_k as run_choose_k

    # One block for every warning (the sweep's and the figure's): shown in
    # the command line's wording after the progress bar.
    with echo_warnings():
        with user_errors():
            selection = run_choose_k(X_model, ks, criteria=criteria,
                                     silhouette=silhouette, random_state=seed,
                                     progress=not quiet)
        # FileExistsError only: a file that appeared since the check. Every
        # file is published when the block ends, run.json last; a failure
        # in any step leaves none of them.
        with (new_folders(out_dir, report_path),
              user_errors(FileExistsError, only=True), publish_together()):
            written = [_write_table(selection, table_path, force),
                       _write_figure(selection, figure_path, force)]
            if write_report is not None:
                write_report(report_path, X=X_model, selection=selection,
                             title=f"kmeanslab choose-k: {data.name}", force=force,
                             feature_names=table.column_names, scaler=scaler)
                written.append(report_path)
            written.append(write_bytes(
                out_dir / RUN_RECORD,
                run_record(ctx, seed=seed, table=table,
                           extra={"standardization": standardize_record(scaler),
                                  "picks": selection.picks,
                                  "recommended_k": selection.recommended_k}),
                force=force))
    removed = remove_stale(stale)
    if quiet:
        lines = [str(path) for path in written]
    else:
        lines = data_lines(data, table, standardize_note(scaler), header) + [
            seed_line(seed, random_state is None), selection.summary(),
            "Files written:"]
        lines += [f"  {path}" for path in written]
    for line in lines:
        click.echo(line)
    echo_removed(removed, quiet)


# A range is refused up front when more than this share of its ks cannot be
# scored (beyond n_samples - 1 or the number of distinct points): a typo
# such as 2..1000 for 2..100, not a range that runs a little past the data.
_MAX_UNSUPPORTED_SHARE = 0.5


def _check_supported_ks(k_text, ks, criteria, X):
    """Refuse a k range mostly beyond what X supports, saying why."""
    from ..selection._common import n_distinct_rows
    from ..selection._sweep import k_bounds_reason

    n_samples = X.shape[0]
    n_distinct = n_distinct_rows(X)
    if n_distinct < n_samples - 1:
        largest, reason = n_distinct, (f"X has only {n_distinct:,} distinct points, "
                                       f"and a k above that finds empty clusters")
    else:
        largest, reason = n_samples - 1, k_bounds_reason(criteria, n_samples)
    unsupported = sum(1 for k in ks if k > largest)
    if unsupported > _MAX_UNSUPPORTED_SHARE * len(ks) and largest >= 2:
        raise CommandError(f"--k {k_text}: {unsupported} of its {len(ks)} ks are "
                           f"above {largest}, the largest k this data supports "
                           f"({reason}); give a range within 2..{largest}")


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
