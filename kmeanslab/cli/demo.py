"""``kmeanslab demo``: reproduce the k-means walkthrough into a directory."""

from __future__ import annotations

import click

from .options import (CommandError, force_option, lang_option, out_option,
                      quiet_option)


@click.command()
@out_option(default="kmeanslab-demo")
@lang_option
@force_option
@quiet_option
def demo(out_dir, lang, force, quiet):
    """Reproduce the k-means walkthrough: data and initial centroids,
    convergence under iteration caps (figure, GIF and a table of changed
    assignments), cluster overlap, and choosing k by elbow and silhouette.

    Writes 01_initial.png, 02_convergence.png, 03_overlap.png,
    04_choose_k.png, convergence.gif and assignments.csv into DIR and prints
    the numbers behind them.
    """
    from ..demo import run_demo

    try:
        result = run_demo(out_dir, lang=lang, force=force, progress=not quiet)
    except FileExistsError as exc:
        raise CommandError(str(exc)) from None
    except ImportError as exc:
        # Only a missing optional extra is a user error; anything else is a bug.
        if "pip install kmeanslab[" not in str(exc):
            raise
        raise CommandError(str(exc)) from None
    lines = ([str(path) for path in result.paths] if quiet
             else result.report_lines())
    for line in lines:
        click.echo(line)
