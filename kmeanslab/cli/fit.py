"""``kmeanslab fit``: cluster a data file; write labels, centres, trace, figures."""

from __future__ import annotations

import click

from .._options import INIT_NAMES, REFINE_METHODS
from .._params import cli_help
from ._messages import cli_message
from ._outputs import (RUN_RECORD, check_output_paths, data_lines, draw_seed,
                       echo_removed, new_folders, remove_stale, run_record,
                       seed_line)
from .options import (FLOAT, INT, CommandError, Number, columns_option,
                      data_argument, echo_warnings, force_option, header_option,
                      keep_index_option, lang_option, load_data, out_option,
                      quiet_option, random_state_option, report_option,
                      report_writer, standardize_note, standardize_option,
                      standardize_record, table_format_option, user_errors)

# Above this many samples the exact silhouette (O(n_samples^2)) would take
# minutes, so the silhouette plot is left out.
SILHOUETTE_MAX_SAMPLES = 200_000
# Points drawn in the cluster scatter: more only hide each other and slow
# down drawing; a fixed random subset keeps the picture and its size.
_SCATTER_MAX_POINTS = 50_000
_DPI = 100
_AMBIGUITY = 0.1
# More clusters than this and the summary gives the sizes' range, not each.
_MAX_LISTED_SIZES = 12


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

    def init_ran(self, init):
        """The seeding the Dask fit runs for ``init`` (k-means++ runs as
        k-means||)."""
        from ..backends.dask import DaskBackend

        return DaskBackend.init_aliases.get(init, init) if isinstance(init, str) else init

    def fit(self, model, X):
        """Fit on X, a dask array read in chunks on the workers
        (``_dask_outputs.load_dask_data``); the labels stay there."""
        model.fit(X)

    def __exit__(self, *exc):
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


@click.command()
@data_argument
@click.option("--k", "-k", "n_clusters", type=INT, default=8, show_default=True,
              help=cli_help("n_clusters"))
@click.option("--init", type=click.Choice(INIT_NAMES), default="k-means++",
              show_default=True,
              help=cli_help("init", "On a Dask cluster k-means++ runs as "
                                    "k-means||; the summary says which ran."))
@click.option("--n-init", default="auto", show_default=True, metavar="N|auto",
              help=cli_help("n_init"))
@click.option("--max-iter", type=INT, default=300, show_default=True,
              help=cli_help("max_iter", "With --refine breathing it caps each "
                                        "k-means run of the search."))
@click.option("--tol", type=FLOAT, default=1e-4, show_default=True,
              help=cli_help("tol"))
@random_state_option
@click.option("--refine", type=click.Choice(REFINE_METHODS + ("none",)),
              default="breathing", show_default=True,
              callback=lambda ctx, param, value: None if value == "none" else value,
              help=cli_help("refine", "It also writes the moves table."))
@columns_option
@header_option
@keep_index_option
@standardize_option
@out_option(default="kmeanslab-fit")
@table_format_option
@report_option
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Fit on the Dask cluster whose scheduler is at ADDRESS "
                   "(tcp://HOST:PORT), with k-means|| seeding.")
@click.option("--workers", type=Number(int, 1), default=None, metavar="N",
              help="Fit on a local Dask cluster of N worker processes started "
                   "for the run (see --scheduler).")
@lang_option
@force_option
@quiet_option
@click.pass_context
def fit(ctx, data, n_clusters, init, n_init, max_iter, tol, random_state, refine,
        columns, header, keep_index, standardize, out_dir, table_format,
        report_path, scheduler, workers, lang, force, quiet):
    """Cluster the table in DATA with k-means: a .csv/.tsv/.txt/.dat file
    (delimiter and header row detected), a .parquet/.pq file, a directory
    of Parquet files or of text files with the same columns, a .npy array
    (1-D or 2-D), or a .npz sparse matrix written by scipy.sparse.save_npz
    (clustered sparse).

    Writes into DIR: labels (one row per point: label, distance to the
    nearest and second-nearest centre, margin, relative margin, soft
    membership, ambiguous flag, all measured in the clustering's units;
    with --k 1 there is no second centre and second_distance and margin
    are empty), centers (cluster, size and the centre in the data's
    original units, even with --standardize, under the data's column
    names), trace (one row per iteration of every k-means run, with its
    phase: the first run, then each breathe-in and breathe-out), the
    figures clusters.png (first two features, or first two principal
    components when there are more), trace.png and silhouette.png (up to
    200,000 samples), and run.json (the parameters, the seed, the
    kmeanslab version and the input's name, shape and checksum: what it
    takes to repeat the run exactly).

    Every output location is checked before any work; no output may be
    DATA, one of its files or inside its directory, even with --force. The
    files appear together once all are written: a run that fails writes
    none. Prints a short summary, with the seed drawn when --random-state
    is not given.
    """
    import time

    from tqdm import tqdm

    from .. import plotting
    from ..io import publish_together, write_bytes

    if scheduler is not None and workers is not None:
        raise CommandError("give either --scheduler or --workers, not both")
    on_dask = scheduler is not None or workers is not None
    if on_dask and report_path:
        raise CommandError("--report needs the data in memory; it is not "
                           "available with --scheduler or --workers")
    planned, stale = _output_paths(out_dir, table_format, refine)
    stale = check_output_paths(planned, force=force, stale=stale, out_dir=out_dir,
                               report=report_path, data=data)
    _check_lang(plotting, lang)
    n_init = n_init if n_init == "auto" else _parse_n_init(n_init)
    write_report = report_writer() if report_path else None
    # On Dask the client stays up to the end of the command (the data is
    # read, and the labels table written, by the workers).
    cluster = ctx.with_resource(_DaskRun(scheduler, workers)) if on_dask else None
    if cluster is None:
        table, X_model, scaler = load_data(data, columns, standardize, header,
                                           keep_index)
        outputs = _FitOutputs
    else:
        from ._dask_outputs import DaskFitOutputs, load_dask_data

        table, X_model, scaler = load_dask_data(data, columns, standardize,
                                                header, keep_index)
        outputs = DaskFitOutputs
    X = table.X
    _check_fit_params(n_clusters, init, n_init, max_iter, tol, X.shape[0])
    seed = draw_seed(random_state)

    from ..estimator import KMeans

    n_steps = 4 + (write_report is not None)
    # Warnings are shown when echo_warnings ends: after the bar's last line.
    with echo_warnings(), tqdm(total=n_steps, desc="kmeanslab fit", unit="step",
                               disable=quiet, bar_format=_BAR_FORMAT) as bar:
        bar.set_postfix_str("fit")
        start = time.perf_counter()
        with user_errors():
            # Per-iteration labels only for the report's convergence replay.
            model = KMeans(n_clusters, init=init, n_init=n_init,
                           max_iter=max_iter, tol=tol, random_state=seed,
                           refine=refine,
                           record_labels=write_report is not None)
            if cluster is None:
                model.fit(X_model)
            else:
                cluster.fit(model, X_model)
        seconds = time.perf_counter() - start
        bar.update()
        run = outputs(table, X_model, scaler, model, lang,
                      init_ran=cluster.init_ran(init) if cluster else init)
        bar.set_postfix_str("diagnostics")
        step = bar.n
        run.compute(_step_progress(bar, "silhouette"))
        bar.n = step  # the silhouette's progress moved it inside this step
        bar.update()
        # FileExistsError only: a file that appeared since the check. Every
        # file is published when the block ends, run.json last; a failure
        # in any step (a figure, the report) leaves none of them.
        with (new_folders(out_dir, report_path),
              user_errors(FileExistsError, only=True), publish_together()):
            bar.set_postfix_str("tables")
            written = run.write_tables(out_dir, table_format, force)
            bar.update()
            bar.set_postfix_str("figures")
            written += run.write_figures(out_dir, force)
            bar.update()
            if write_report is not None:
                bar.set_postfix_str("report")
                # The data as clustered (standardized with --standardize), so
                # that the trace's centres and the silhouettes match it.
                write_report(report_path, X=X_model, labels=model.labels_,
                             centers=model.cluster_centers_, trace=model.trace_,
                             silhouette_values=run.silhouette_values,
                             title=f"kmeanslab fit: {data.name}", force=force,
                             feature_names=table.column_names, scaler=scaler)
                written.append(report_path)
                bar.update()
            written.append(write_bytes(
                out_dir / RUN_RECORD,
                run_record(ctx, seed=seed, table=table,
                           extra={"standardization": standardize_record(scaler),
                                  "init_ran": run.init_ran,
                                  "n_iter": int(model.n_iter_),
                                  "inertia": float(model.inertia_)}),
                force=force))
    note = standardize_note(scaler)
    # Leftovers of an earlier run: other names, or outputs this run skipped.
    removed = remove_stale(stale + [path for path in planned
                                    if path not in written and path.exists()])
    lines = ([str(path) for path in written] if quiet
             else run.summary_lines(data, data_lines(data, table, note, header),
                                    note, seconds, written, seed,
                                    random_state is None))
    for line in lines:
        click.echo(line)
    echo_removed(removed, quiet)


# The progress bar without a rate: steps take from milliseconds to minutes.
_BAR_FORMAT = ("{desc}: {percentage:3.0f}%|{bar}| {n:.3g}/{total_fmt} "
               "[{elapsed}<{remaining}{postfix}]")


def _step_progress(bar, name):
    """A ``progress(done, total)`` callback moving ``bar`` through the step
    it is at (up to, not past, its end), with the share done in the
    postfix."""
    start = bar.n

    def progress(done, total):
        bar.n = start + 0.99 * done / total
        bar.set_postfix_str(f"{name} {done / total:.0%}", refresh=False)
        bar.refresh()

    return progress


def _output_paths(out_dir, table_format, refine):
    """(paths this run may write, paths of the command's outputs it will
    not write: the other table format, the moves table without refine)."""
    from ..io import TABLE_SUFFIXES

    tables = _TABLES + (("moves",) if refine else ())
    planned = ([out_dir / f"{name}.{table_format}" for name in tables]
               + [out_dir / f"{name}.png" for name in _FIGURES]
               + [out_dir / RUN_RECORD])
    every = [out_dir / f"{name}{suffix}" for name in _TABLES + ("moves",)
             for suffix in TABLE_SUFFIXES]
    return planned, [path for path in every if path not in planned]


_TABLES = ("labels", "centers", "trace")
_FIGURES = ("clusters", "trace", "silhouette")


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

    for check in (lambda: v.check_n_clusters(n_clusters, n_samples),
                  lambda: v.check_n_init(n_init, init),
                  lambda: v.check_max_iter(max_iter),
                  lambda: v.check_tol(tol)):
        try:
            check()
        except (TypeError, ValueError) as exc:
            raise CommandError(cli_message(str(exc))) from None


# matplotlib lays out axes up to about this magnitude; beyond it (near the
# largest float) its margins and tick arithmetic overflow.
_MAX_PLOTTED = 1e300


def _shift(*arrays):
    """The power of two ``e`` that brings the largest magnitude of the
    arrays (dense or sparse) into [0.5, 1) when multiplied by ``2**e``; 0
    when they are all zero."""
    import numpy as np

    peak = max(float(abs(a).max()) if a.shape[0] else 0.0 for a in arrays)
    return -int(np.frexp(peak)[1])


def _ldexp(X, shift):
    """``X * 2**shift``, exactly (but for values pushed below the smallest
    float), dense or sparse (kept sparse)."""
    import numpy as np

    if hasattr(X, "tocsr"):
        X = X.tocsr(copy=True)
        X.data = np.ldexp(X.data, shift)
        return X
    return np.ldexp(np.asarray(X, dtype=np.float64), shift)


def _is_one_point(X):
    """Whether every row of X (dense or sparse) is the same point."""
    import numpy as np

    if X.shape[0] < 2:
        return True
    if hasattr(X, "tocsr"):
        low, high = X.min(axis=0).toarray(), X.max(axis=0).toarray()
    else:
        low, high = X.min(axis=0), X.max(axis=0)
    return bool(np.array_equal(low, high))


def _display_scale(coords, shift):
    """``(factor, unit)``: ``coords * factor`` are ``coords * 2**-shift``
    (the data's units) when matplotlib can draw those, else the same in
    units of a power of ten that ``unit`` names (" (x 1e+300)")."""
    import numpy as np

    peak = float(np.abs(coords).max()) if coords.size else 0.0
    if peak == 0.0:
        return 1.0, ""
    log10_peak = np.log10(peak) - shift * np.log10(2.0)
    if log10_peak < np.log10(_MAX_PLOTTED):
        return float(np.ldexp(1.0, -shift)), ""
    power = int(np.floor(log10_peak))
    return float(2.0 ** (-shift - power * np.log2(10.0))), f" (\u00d7 1e{power:+d})"


class _FitOutputs:
    """What ``kmeanslab fit`` derives from a fitted model, and writes."""

    def __init__(self, table, X_model, scaler, model, lang, init_ran):
        self.table = table
        self.X = table.X
        self.X_model = X_model
        self.names = table.column_names
        self.scaler = scaler
        self.model = model
        self.lang = lang
        self.init_ran = init_ran
        self.silhouette_values = None
        self.silhouette_skipped = None

    def compute(self, progress=None):
        """Centres in the data's units, sizes, per-point diagnostics and the
        silhouettes (``progress(done, total)`` follows the latter)."""
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
        # With one centre there is no runner-up: empty, not infinite.
        for column in ("second_distance", "margin"):
            values = self.diagnostics[column]
            self.diagnostics[column] = values.where(np.isfinite(values))
        n_samples = self.X.shape[0]
        n_labels = int(np.count_nonzero(self.sizes))
        if n_samples > SILHOUETTE_MAX_SAMPLES:
            self.silhouette_skipped = (f"{n_samples:,} samples, more than the "
                                       f"{SILHOUETTE_MAX_SAMPLES:,} its exact "
                                       f"O(n^2) computation is run for")
        elif n_labels < 2:
            self.silhouette_skipped = (f"the silhouette compares clusters and this "
                                       f"fit has {n_labels}")
        elif n_labels > n_samples - 1:
            self.silhouette_skipped = ("every sample is its own cluster, where "
                                       "the silhouette is undefined")
        else:
            self.silhouette_values = silhouette_samples(
                self.X_model, model.labels_, progress=progress)

    def write_tables(self, out_dir, table_format, force):
        import pandas as pd

        from ..io import write_table

        names = _TABLES + (("moves",) if self.model.refine else ())
        paths = [out_dir / f"{name}.{table_format}" for name in names]
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
        if n_features <= 2:
            # Two features drawn as they are; one as one row of points per
            # cluster. Dense: a sparse matrix of one or two columns is small.
            X = self.X.toarray() if hasattr(self.X, "toarray") else self.X
            shift = _shift(X, self.centers)
            points, centers = _ldexp(X, shift), _ldexp(self.centers, shift)
            names = list(self.names) if n_features == 2 else [self.names[0],
                                                               "cluster"]
        else:
            from ..diagnostics import principal_plane

            # The principal components come from squared values, which
            # overflow from about 1e154 (and underflow below 1e-154): the
            # plane is found, and the points projected, on the data scaled
            # by a power of two (exact), so any finite data projects.
            shift = _shift(self.X_model, self.model.cluster_centers_)
            X_shifted = _ldexp(self.X_model, shift)
            centers = _ldexp(self.model.cluster_centers_, shift)
            if _is_one_point(X_shifted):
                # No direction of variance to find (one sample, or every
                # row the same): the points are drawn at the plane's origin.
                points = np.zeros((n_samples, 2))
                centers = np.zeros((len(centers), 2))
                names = ["PC1 (the data has no variance)", "PC2"]
            else:
                if n_samples <= 2 and hasattr(X_shifted, "toarray"):
                    # Sparse PCA (ARPACK) needs more rows than components.
                    X_shifted = X_shifted.toarray()
                plane = principal_plane(X_shifted)
                points = plane.transform(X_shifted)
                centers = plane.transform(centers)
                names = [f"PC{i + 1} ({share:.1%} of the variance)"
                         for i, share in enumerate(plane.explained_variance_ratio)]
        axes = 1 if n_features == 1 else 2
        points = np.array(points, dtype=np.float64)
        centers = np.array(centers, dtype=np.float64)
        # Back to the data's units, or (beyond what matplotlib's axes can
        # lay out) to a power of ten of them, named on the axes.
        factor, unit = _display_scale(np.vstack([points[:, :axes],
                                                 centers[:, :axes]]), shift)
        points[:, :axes] *= factor
        centers[:, :axes] *= factor
        names[:axes] = [name + unit for name in names[:axes]]
        if n_features == 1:
            points = np.column_stack([points[:, 0], labels])
            centers = np.column_stack([centers[:, 0], np.arange(len(centers))])
        if n_samples > _SCATTER_MAX_POINTS:
            keep = np.sort(np.random.default_rng(0).choice(
                n_samples, _SCATTER_MAX_POINTS, replace=False))
            points, labels = points[keep], labels[keep]
        plotting.plot_clusters(points, labels, centers=centers, ax=ax,
                               lang=self.lang)
        ax.set_xlabel(names[0])
        ax.set_ylabel(names[1])
        if n_features == 1:
            from matplotlib.ticker import MaxNLocator

            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        return ax

    def summary_lines(self, data, data_lines, standardize, seconds, written, seed,
                      seed_drawn):
        model = self.model
        n_samples = self.X.shape[0]
        units = ({"standardized": " (standardized units)"}.get(
            standardize, " (scaled units)") if standardize else "")
        n_ambiguous = self._n_ambiguous()
        init = (self.init_ran if self.init_ran == model.init
                else f"{self.init_ran} (asked {model.init}; it runs as "
                     f"{self.init_ran} on Dask)")
        lines = data_lines + [
            f"k-means: k={model.n_clusters}, init={init}, n_init={model.n_init}"
            + (f", refine={model.refine}" if model.refine else ""),
            seed_line(seed, seed_drawn),
            f"inertia={model.inertia_:,.6g}{units}, n_iter={model.n_iter_}, "
            f"fit time {seconds:.3g} s",
            self._sizes_line(),
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

    def _n_ambiguous(self):
        return int(self.diagnostics["ambiguous"].sum())

    def _sizes_line(self):
        sizes = self.sizes
        if len(sizes) <= _MAX_LISTED_SIZES:
            return "Cluster sizes: " + ", ".join(f"{size:,}" for size in sizes)
        ordered = sorted(int(size) for size in sizes)
        return (f"Cluster sizes: smallest {ordered[0]:,}, median "
                f"{ordered[len(ordered) // 2]:,}, largest {ordered[-1]:,} (each of "
                f"the {len(sizes)} in the centers table)")
