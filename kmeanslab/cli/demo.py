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
    from ..demo import run_demo

    write_report = report_writer() if report_path else None
    if report_path is not None and report_path.exists() and not force:
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
    if write_report is not None:
        _write_demo_report(write_report, report_path, force)
        paths.append(report_path)
    lines = ([str(path) for path in paths] if quiet
             else result.report_lines() + ([f"  {report_path}"] if report_path else []))
    for line in lines:
        click.echo(line)


def _write_demo_report(write_report, path, force):
    """The walkthrough as one HTML page: the traced fit from the seed's
    centroids (convergence replay), choosing k over 2..10 and the
    silhouette of the k=4 solution."""
    from ..datasets import choose_initial_centroids, make_demo_data
    from ..estimator import KMeans
    from ..metrics import silhouette_samples
    from ..selection import choose_k

    X, _ = make_demo_data()
    init = choose_initial_centroids(X, 4)
    model = KMeans(4, init=init, max_iter=10, record_labels=True).fit(X)
    selection = choose_k(X, range(2, 11), criteria=("inertia", "silhouette"),
                         random_state=117117, progress=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        write_report(path, X=X, labels=model.labels_,
                     centers=model.cluster_centers_, trace=model.trace_,
                     selection=selection,
                     silhouette_values=silhouette_samples(X, model.labels_),
                     title="kmeanslab demo: the k-means walkthrough", force=force)
    except FileExistsError as exc:
        raise CommandError(str(exc)) from None
