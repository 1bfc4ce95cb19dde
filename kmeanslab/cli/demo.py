"""``kmeanslab demo``: reproduce the k-means walkthrough into a directory."""

from __future__ import annotations

import click

from ._outputs import check_output_paths, new_folders
from .options import (CommandError, force_option, lang_option, out_option,
                      quiet_option, report_option, report_writer, user_errors)


@click.command()
@out_option(default="kmeanslab-demo")
@lang_option
@report_option
@force_option
@quiet_option
def demo(out_dir, lang, report_path, force, quiet):
    """Reproduce the k-means walkthrough: data and initial centroids,
    convergence under iteration caps (figure, GIF and a table of changed
    assignments), cluster overlap, and choosing k by elbow and silhouette.

    Writes 01_initial.png, 02_convergence.png, 03_overlap.png,
    04_choose_k.png, convergence.gif and assignments.csv into DIR and prints
    the numbers behind them. The data and seeds are fixed: every run gives
    the same numbers. Every output location is checked before any work
    (--report may not be one of the files above). The files appear together
    once all are written: a run that fails writes none.
    """
    from ..demo import DEMO_FILES, run_demo, write_demo_report
    from ..io import publish_together

    if report_path is not None:
        # A missing report module is an error here, before any work.
        report_writer()
    check_output_paths([out_dir / name for name in DEMO_FILES], force=force,
                       out_dir=out_dir, report=report_path)
    # The demo's files and the report are published together when the
    # block ends: a failure in any step leaves none of them.
    with (new_folders(out_dir, report_path),
          user_errors(FileExistsError, only=True), publish_together()):
        try:
            result = run_demo(out_dir, lang=lang, force=force,
                              progress=not quiet)
        except ImportError as exc:
            # Only a missing optional extra is a user error; anything else
            # is a bug.
            if "pip install kmeanslab[" not in str(exc):
                raise
            raise CommandError(str(exc)) from None
        paths = list(result.paths)
        if report_path is not None:
            # The demo's own fits (the traced run and the sweep over k): the
            # report draws them, nothing is fitted twice.
            write_demo_report(result, report_path, force=force)
            paths.append(report_path)
    lines = ([str(path) for path in paths] if quiet
             else result.report_lines() + ([f"  {report_path}"] if report_path else []))
    for line in lines:
        click.echo(line)
