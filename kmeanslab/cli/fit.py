"""``kmeanslab fit``: cluster a data file; write labels, centres, trace, figures."""

from __future__ import annotations

import click

from .._options import INIT_NAMES, REFINE_METHODS
from .._params import cli_help
from .options import (FLOAT, INT, CommandError, Number, columns_option,
                      data_argument, echo_warnings, force_option, lang_option,
                      load_data, out_option, quiet_option, random_state_option,
                      report_option, report_writer, standardize_option,
                      table_format_option, user_errors)

# Above this many samples the exact silhouette (O(n_samples^2)) would take
# minutes, so the silhouette plot is left out.
SILHOUETTE_MAX_SAMPLES = 200_000
# Points drawn in the cluster scatter: more only hide each other and slow
# down drawing; a fixed random subset keeps the picture and its size.
_SCATTER_MAX_POINTS = 50_000
_DPI = 100
_AMBIGUITY = 0.1


def _output_names(table_format, refine):
    tables = ["labels", "centers", "trace"] + (["moves"] if refine else [])
    figures = ["clusters", "trace", "silhouette"]
    return ([f"{name}.{table_format}" for name in tables]
            + [f"{name}.png" for name in figures])


class _DaskRun:
    """A Dask client for the fit: an existing scheduler or a LocalCluster
    started (and closed) for the run."""

    def __init__(self, scheduler, workers):
        self.scheduler, self.workers = scheduler, workers
        self.client = self.cluster = None

    def __enter__(self):
        try:
            from ..backends.dask import connect
        except ImportError:
            raise CommandError("--scheduler/--workers need the dask extra: "
                               "pip install kmeanslab[dask]") from None
        if self.scheduler:
            try:
                self.client = connect(self.scheduler, timeout=10)
            except ConnectionError as exc:
                raise CommandError(str(exc)) from None
        else:
            from distributed import Client, LocalCluster

            self.cluster = LocalCluster(n_workers=self.workers,
                                        threads_per_worker=1, processes=True,
                                        dashboard_address=None)
            self.client = Client(self.cluster)
        return self

    def fit(self, model, X):
        import dask.array as da
        import numpy as np

        rows = max(1, -(-X.shape[0] // (4 * len(self.client.nthreads()))))
        model.fit(da.from_array(X, chunks=(rows, X.shape[1])))
        # The outputs below are computed in memory: bring the labels back.
        model.labels_ = np.asarray(model.labels_.compute()
                                   if hasattr(model.labels_, "compute")
                                   else model.labels_)

    def __exit__(self, *exc):
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


@click.command()
@data_argument
@click.option("--k", "-k", "n_clusters", type=INT, default=8, show_default=True,
              help=cli_help("n_clusters"))
@click.option("--init", type=click.Choice(INIT_NAMES), default="k-means++",
              show_default=True, help=cli_help("init"))
@click.option("--n-init", default="auto", show_default=True, metavar="N|auto",
              help=cli_help("n_init"))
@click.option("--max-iter", type=INT, default=300, show_default=True,
              help=cli_help("max_iter"))
@click.option("--tol", type=FLOAT, default=1e-4, show_default=True,
              help=cli_help("tol"))
@random_state_option
@click.option("--refine", type=click.Choice(REFINE_METHODS + ("none",)),
              default="breathing", show_default=True,
              callback=lambda ctx, param, value: None if value == "none" else value,
              help=cli_help("refine", "It also writes the moves table."))
@columns_option
@standardize_option
@out_option(default="kmeanslab-fit")
@table_format_option
@report_option
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Fit on the Dask cluster whose scheduler is at ADDRESS "
                   "(tcp://HOST:PORT); plain k-means with k-means|| seeding "
                   "(--refine does not apply).")
@click.option("--workers", type=Number(int, 1), default=None, metavar="N",
              help="Fit on a local Dask cluster of N worker processes started "
                   "for the run (see --scheduler).")
@lang_option
@force_option
@quiet_option
def fit(data, n_clusters, init, n_init, max_iter, tol, random_state, refine,
        columns, standardize, out_dir, table_format, report_path, scheduler,
        workers, lang, force, quiet):
    """Cluster the table in DATA (.csv/.tsv/.txt, .parquet or a directory
    of them, .npy) with k-means.

    Writes into DIR: labels (one row per point: label, distance to the
    nearest and second-nearest centre, margin, relative margin, soft
    membership, ambiguous flag, all measured in the clustering's units),
    centers (cluster, size and the centre in the data's original units,
    even with --standardize), trace (one row per iteration), and the figures
    clusters.png (first two features, or first two principal components
    when there are more), trace.png and silhouette.png (up to 200,000
    samples). Prints a short summary.
    """
    import time

    from tqdm import tqdm

    from .. import plotting
    from ..io import check_outputs

    out_paths = [out_dir / name for name in _output_names(table_format, refine)]
    with user_errors():
        check_outputs(out_paths + ([report_path] if report_path else []),
                      force=force)
    _check_lang(plotting, lang)
    n_init = n_init if n_init == "auto" else _parse_n_init(n_init)
    write_report = report_writer() if report_path else None
    X, X_model, names, scaler = load_data(data, columns, standardize)
    _check_fit_params(n_clusters, init, n_init, max_iter, tol, X.shape[0])
    if scheduler is not None and workers is not None:
        raise CommandError("give either --scheduler or --workers, not both")
    cluster = _DaskRun(scheduler, workers) if (scheduler or workers) else None
    if cluster is not None:
        refine = None

    from ..estimator import KMeans

    n_steps = 4 + (write_report is not None)
    with tqdm(total=n_steps, desc="kmeanslab fit", unit="step",
              disable=quiet) as bar, echo_warnings():
        bar.set_postfix_str("fit")
        start = time.perf_counter()
        with user_errors():
            # Per-iteration labels only for the report's convergence replay.
            model = KMeans(n_clusters, init=init, n_init=n_init,
                           max_iter=max_iter, tol=tol, random_state=random_state,
                           refine=refine,
                           record_labels=write_report is not None)
            if cluster is None:
                model.fit(X_model)
            else:
                with cluster:
                    cluster.fit(model, X_model)
        seconds = time.perf_counter() - start
        bar.update()
        run = _FitOutputs(X, X_model, names, scaler, model, lang)
        bar.set_postfix_str("diagnostics")
        run.compute()
        bar.update()
        out_dir.mkdir(parents=True, exist_ok=True)
        # FileExistsError only: a file that appeared since check_outputs.
        with user_errors(FileExistsError, only=True):
            bar.set_postfix_str("tables")
            written = run.write_tables(out_paths, table_format, force)
            bar.update()
            bar.set_postfix_str("figures")
            written += run.write_figures(out_dir, force)
            bar.update()
            if write_report is not None:
                bar.set_postfix_str("report")
                # The data as clustered (standardized with --standardize), so
                # that the trace's centres and the silhouettes match it.
                report_path.parent.mkdir(parents=True, exist_ok=True)
                write_report(report_path, X=X_model, labels=model.labels_,
                             centers=model.cluster_centers_, trace=model.trace_,
                             silhouette_values=run.silhouette_values,
                             title=f"kmeanslab fit: {data.name}", force=force)
                written.append(report_path)
                bar.update()
    lines = ([str(path) for path in written] if quiet
             else run.summary_lines(data, standardize, seconds, written))
    for line in lines:
        click.echo(line)


def _check_lang(plotting, lang):
    try:
        plotting.check_lang(lang)
    except ImportError as exc:
        # Only a missing optional extra is a user error; anything else is a bug.
        if "pip install kmeanslab[" not in str(exc):
            raise
        raise CommandError(str(exc)) from None


def _parse_n_init(text):
    try:
        return int(text)
    except ValueError:
        raise CommandError(f"--n-init must be a positive integer or 'auto', got "
                           f"{text!r}") from None


def _check_fit_params(n_clusters, init, n_init, max_iter, tol, n_samples):
    from .. import _validation as v

    for option, check in (("--k", lambda: v.check_n_clusters(n_clusters, n_samples)),
                          ("--n-init", lambda: v.check_n_init(n_init, init)),
                          ("--max-iter", lambda: v.check_max_iter(max_iter)),
                          ("--tol", lambda: v.check_tol(tol))):
        try:
            check()
        except (TypeError, ValueError) as exc:
            raise CommandError(f"{option}: {exc}") from None


class _FitOutputs:
    """What ``kmeanslab fit`` derives from a fitted model, and writes."""

    def __init__(self, X, X_model, names, scaler, model, lang):
        self.X = X
        self.X_model = X_model
        self.names = names
        self.scaler = scaler
        self.model = model
        self.lang = lang
        self.silhouette_values = None
        self.silhouette_skipped = None

    def compute(self):
        import numpy as np

        from ..diagnostics import cluster_sizes, point_diagnostics
        from ..metrics import silhouette_samples

        model = self.model
        centers = model.cluster_centers_
        self.centers = (centers if self.scaler is None
                        else self.scaler.inverse_transform(centers))
        self.sizes = cluster_sizes(model.labels_, model.n_clusters)
        self.diagnostics = point_diagnostics(self.X_model, centers,
                                             ambiguity=_AMBIGUITY)
        # The fit's labels; the diagnostics' own nearest centre differs from
        # them at most on exact ties.
        self.diagnostics["label"] = model.labels_
        n_samples = self.X.shape[0]
        n_labels = int(np.count_nonzero(self.sizes))
        if n_samples > SILHOUETTE_MAX_SAMPLES:
            self.silhouette_skipped = (f"more than {SILHOUETTE_MAX_SAMPLES:,} "
                                       f"samples")
        elif not 2 <= n_labels <= n_samples - 1:
            self.silhouette_skipped = (f"needs 2 to n_samples - 1 clusters, "
                                       f"got {n_labels}")
        else:
            self.silhouette_values = silhouette_samples(self.X_model, model.labels_)

    def write_tables(self, paths, table_format, force):
        import pandas as pd

        from ..io import write_table

        centers = pd.DataFrame(self.centers, columns=self.names)
        centers.insert(0, "size", self.sizes)
        centers.insert(0, "cluster", range(len(self.sizes)))
        tables = [self.diagnostics, centers, self.model.trace_.to_pandas()]
        if self.model.refine:
            tables.append(self.model.trace_.moves_to_pandas())
        if table_format == "parquet":
            # Parquet wants one type per column: lists of ints, not objects.
            tables[2]["relocated"] = tables[2]["relocated"].map(
                lambda clusters: [int(c) for c in clusters])
        return [write_table(path, table, force=force)
                for path, table in zip(paths, tables)]

    def write_figures(self, out_dir, force):
        from ..io import atomic_write
        from ..plotting import plot_silhouette, plot_trace
        from ..plotting._style import new_figure

        figures = [("clusters.png", "clusters", self._draw_clusters),
                   ("trace.png", "trace", lambda ax: plot_trace(
                       self.model.trace_, ax=ax, lang=self.lang))]
        if self.silhouette_values is not None:
            figures.append(("silhouette.png", "clusters", lambda ax: plot_silhouette(
                self.X_model, self.model.labels_, ax=ax,
                silhouette_values=self.silhouette_values, lang=self.lang)))
        written = []
        for name, kind, draw in figures:
            fig = new_figure(kind)
            draw(fig.subplots())
            written.append(atomic_write(
                out_dir / name,
                lambda tmp: fig.savefig(tmp, format="png", dpi=_DPI),
                force=force))
        return written

    def _draw_clusters(self, ax):
        import numpy as np

        from .. import plotting

        labels = self.model.labels_
        n_samples, n_features = self.X.shape
        if n_features == 2:
            points, centers = self.X, self.centers
            x_label, y_label = self.names
        elif n_features == 1:
            # One feature: one row of points per cluster.
            points = np.column_stack([self.X[:, 0], labels])
            centers = np.column_stack([self.centers[:, 0],
                                       np.arange(len(self.centers))])
            x_label, y_label = self.names[0], "cluster"
        else:
            from ..diagnostics import principal_plane

            plane = principal_plane(self.X_model)
            points = plane.transform(self.X_model)
            centers = plane.transform(self.model.cluster_centers_)
            x_label, y_label = (f"PC{i + 1} ({share:.1%} of the variance)"
                                for i, share in enumerate(plane.explained_variance_ratio))
        if n_samples > _SCATTER_MAX_POINTS:
            keep = np.sort(np.random.default_rng(0).choice(
                n_samples, _SCATTER_MAX_POINTS, replace=False))
            points, labels = points[keep], labels[keep]
        plotting.plot_clusters(points, labels, centers=centers, ax=ax,
                               lang=self.lang)
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        if n_features == 1:
            from matplotlib.ticker import MaxNLocator

            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        return ax

    def summary_lines(self, data, standardize, seconds, written):
        model = self.model
        n_samples, n_features = self.X.shape
        shown = ", ".join(self.names[:8]) + (", ..." if n_features > 8 else "")
        units = " (standardized units)" if standardize else ""
        n_ambiguous = int(self.diagnostics["ambiguous"].sum())
        lines = [
            f"Data: {data}: {n_samples:,} samples x {n_features} features "
            f"({shown}){', standardized' if standardize else ''}",
            f"k-means: k={model.n_clusters}, init={model.init}, "
            f"n_init={model.n_init}"
            + (f", refine={model.refine}" if model.refine else ""),
            f"inertia={model.inertia_:,.6g}{units}, n_iter={model.n_iter_}, "
            f"fit time {seconds:.3g} s",
            "Cluster sizes: " + ", ".join(f"{size:,}" for size in self.sizes),
            f"Ambiguous points (relative margin < {_AMBIGUITY}): "
            f"{n_ambiguous:,} ({n_ambiguous / n_samples:.1%})",
        ]
        if self.silhouette_values is not None:
            lines.append(f"Mean silhouette: {self.silhouette_values.mean():.3f}")
        else:
            lines.append(f"Silhouette plot skipped: {self.silhouette_skipped}")
        lines.append("Files written:")
        lines += [f"  {path}" for path in written]
        return lines
