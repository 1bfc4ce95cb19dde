"""``kmeanslab demo``: reproduce the k-means walkthrough into a directory."""

from __future__ import annotations

import click

from .options import (CommandError, force_option, lang_option, out_option,
                      quiet_option, report_option, report_writer)


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
    the numbers behind them.
    """
    from ..demo import run_demo, write_demo_report

    if report_path is not None:
        # A missing report module is an error here, before any work.
        report_writer()
        if report_path.exists() and not force:
            raise CommandError(f"{report_path} already exists; pass --force to "
                               f"overwrite it")
    try:
        result = run_demo(out_dir, lang=lang, force=force, progress=not quiet)
    except FileExistsError as exc:
        raise CommandError(str(exc)) from None
    except ImportError as exc:
        # Only a missing optional extra is a user error; anything else is a bug.
        if "pip install kmeanslab[" not in str(exc):
            raise
        raise CommandError(str(exc)) from None
    paths = list(result.paths)
    if report_path is not None:
        # The demo's own fits (the traced run and the sweep over k): the
        # report draws them, nothing is fitted twice.
        try:
            write_demo_report(result, report_path, force=force)
        except FileExistsError as exc:
            raise CommandError(str(exc)) from None
        paths.append(report_path)
    lines = ([str(path) for path in paths] if quiet
             else result.report_lines() + ([f"  {report_path}"] if report_path else []))
    for line in lines:
        click.echo(line)
