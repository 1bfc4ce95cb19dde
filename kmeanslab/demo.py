"""The k-means walkthrough, reproduced with kmeanslab and written to files.

:func:`run_demo` follows the walkthrough's four steps: the data and its
deterministic initial centres, convergence under iteration caps (from one
traced fit, plus an animation and a table of how assignments change), the
effect of cluster overlap, and choosing k by the elbow and silhouette scores.
The k sweep is one :func:`kmeanslab.selection.choose_k` call, whose result
both the step-4 figure and :func:`write_demo_report` draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .io import atomic_write
from .io._write import exists_error

__all__ = ["DemoResult", "run_demo", "write_demo_report", "DEMO_FILES"]

DEMO_FILES = (
    "01_initial.png",
    "02_convergence.png",
    "03_overlap.png",
    "04_choose_k.png",
    "convergence.gif",
    "assignments.csv",
)

# The walkthrough's settings.
_DATA = dict(n_samples=1000, random_state=117117, cluster_std=1.5, n_centers=8)
_N_CLUSTERS = 4
_THRESHOLD = -8.0
_MAX_ITERS = (1, 2, 3, 10)
_KS = tuple(range(2, 11))
_K_RANDOM_STATE = 117117
_K_CRITERIA = ("inertia", "silhouette")
_CHANGES_COLUMNS = ["iteration", "inertia", "center_shift", "n_changed"]
_DPI = 100


@dataclass(frozen=True, eq=False)
class DemoResult:
    """What :func:`run_demo` computed and wrote.

    Attributes
    ----------
    paths : tuple of pathlib.Path
        Files written, in the order of ``DEMO_FILES``.
    inertia_by_iter : dict of int to float
        Inertia of the fit capped at each ``max_iter`` (1, 2, 3 and 10).
    ks : tuple of int
        Cluster counts compared in step 4 (2 to 10).
    inertias : tuple of float
        Inertia of ``KMeans(k, random_state=117117)`` for each k.
    silhouettes : tuple of float
        Silhouette score of that fit for each k.
    best_k : int
        The k with the highest silhouette score.
    selection : KSelection
        The step-4 sweep, ``choose_k(X, range(2, 11), criteria=("inertia",
        "silhouette"), random_state=117117)``, which ``ks``, ``inertias``,
        ``silhouettes`` and ``best_k`` come from.
    changes : pandas.DataFrame
        One row per iteration of the traced fit: iteration, inertia,
        center_shift, n_changed (also written to ``assignments.csv``).
    n_samples, n_features : int
        Shape of the demo data.
    initial_centers : ndarray of shape (4, 2)
        The deterministic initial centres.
    n_iter : int
        Iterations the traced fit ran before converging.
    X : ndarray of shape (1000, 2)
        The demo data.
    labels : ndarray of shape (1000,)
        Final labels of the traced fit.
    centers : ndarray of shape (4, 2)
        Final centres of the traced fit.
    trace : ConvergenceTrace
        The traced fit's trace, with every iteration's labels.
    """

    paths: tuple[Path, ...]
    inertia_by_iter: dict[int, float]
    ks: tuple[int, ...]
    inertias: tuple[float, ...]
    silhouettes: tuple[float, ...]
    best_k: int
    changes: pandas.DataFrame  # noqa: F821 (pandas is imported lazily)
    n_samples: int
    n_features: int
    initial_centers: np.ndarray
    n_iter: int
    selection: object = None
    X: np.ndarray = None
    labels: np.ndarray = None
    centers: np.ndarray = None
    trace: object = None

    def report_lines(self):
        """The demo's findings as text lines, in the walkthrough's format.

        Returns
        -------
        lines : list of str
        """
        lines = [
            f"Data: {self.n_samples:,} samples x {self.n_features} features "
            f"from make_blobs(centers={_DATA['n_centers']}, "
            f"cluster_std={_DATA['cluster_std']}, "
            f"random_state={_DATA['random_state']})",
            f"Initial centroids: the first {len(self.initial_centers)} points "
            f"with y < {_THRESHOLD}",
        ]
        lines += [f"  ({x:8.3f}, {y:8.3f})"
                  for x, y in self.initial_centers[:, :2]]
        lines.append(f"Inertia by iteration cap (one traced fit, converged "
                     f"after {self.n_iter} iterations):")
        lines += [f"max_iter={max_iter}: inertia={inertia:,.1f}"
                  for max_iter, inertia in self.inertia_by_iter.items()]
        lines.append("How assignments change per iteration:")
        lines += self.changes.to_string(
            index=False, float_format=lambda value: f"{value:,.3f}").splitlines()
        lines.append(f"Silhouette score peaks at k={self.best_k}")
        lines.append("Files written:")
        lines += [f"  {path}" for path in self.paths]
        return lines


def run_demo(out_dir, *, lang="en", force=False, progress=True):
    """Reproduce the k-means walkthrough and write its figures and tables.

    Writes, into ``out_dir``: ``01_initial.png`` (data and initial centres),
    ``02_convergence.png`` (``max_iter`` 1, 2, 3 and 10, all from one traced
    fit), ``03_overlap.png`` (two clusters on overlapping blobs),
    ``04_choose_k.png`` (elbow and silhouette for k = 2..10),
    ``convergence.gif`` (one frame per iteration) and ``assignments.csv``
    (iteration, inertia, center_shift, n_changed).

    Parameters
    ----------
    out_dir : str or path-like
        Output directory, created if missing.
    lang : {"en", "ja"}, default="en"
        Language of the figures' text; "ja" needs ``pip install kmeanslab[ja]``.
    force : bool, default=False
        Overwrite files that already exist.
    progress : bool, default=True
        Show a tqdm progress bar over the steps (on stderr).

    Returns
    -------
    DemoResult
        The numbers behind the figures; ``report_lines()`` formats them.

    Raises
    ------
    FileExistsError
        If ``force`` is False and one of the output files exists; nothing is
        written then.
    ImportError
        If ``lang="ja"`` and matplotlib-fontja is not installed.
    ValueError
        If ``lang`` is unknown.

    Notes
    -----
    Each file is written to a temporary file in ``out_dir`` and moved into
    place, so an interrupted run never leaves a truncated file behind. Without
    ``force`` the move itself refuses to replace a file that appeared while
    the demo ran.

    The silhouette scores are ``kmeanslab.metrics.silhouette_score`` of the
    fits of one :func:`kmeanslab.selection.choose_k` sweep.

    Examples
    --------
    >>> import tempfile
    >>> from kmeanslab.demo import run_demo
    >>> with tempfile.TemporaryDirectory() as out_dir:  # doctest: +SKIP
    ...     result = run_demo(out_dir, progress=False)
    >>> result.best_k  # doctest: +SKIP
    4
    >>> round(result.inertia_by_iter[1], 1)  # doctest: +SKIP
    20111.2
    """
    from tqdm import tqdm

    from .plotting import check_lang

    check_lang(lang)
    out_dir = Path(out_dir)
    targets = [out_dir / name for name in DEMO_FILES]
    if not force:
        for target in targets:
            if target.exists():
                raise exists_error(target)
    out_dir.mkdir(parents=True, exist_ok=True)

    run = _DemoRun(out_dir, lang, force)
    steps = [
        ("data", run.step_data),
        ("convergence", run.step_convergence),
        ("animation", run.step_animation),
        ("assignments", run.step_assignments),
        ("overlap", run.step_overlap),
        ("choose k", run.step_choose_k),
    ]
    with tqdm(total=len(steps), desc="kmeanslab demo", unit="step",
              disable=not progress) as bar:
        for name, step in steps:
            bar.set_postfix_str(name)
            step()
            bar.update()
    return run.result()


class _DemoRun:
    """State shared by the demo's steps; each step writes one file."""

    def __init__(self, out_dir, lang, force):
        self.out_dir = out_dir
        self.lang = lang
        self.force = force
        self.written = {}

    def _save_figure(self, name, fig):
        atomic_write(self.out_dir / name,
                     lambda tmp: fig.savefig(tmp, format="png", dpi=_DPI),
                     force=self.force)
        self.written[name] = self.out_dir / name

    def step_data(self):
        from .datasets import choose_initial_centroids, make_demo_data
        from .plotting import plot_initial_configuration
        from .plotting._style import new_figure

        self.X, _ = make_demo_data(**_DATA)
        self.initial_centers = choose_initial_centroids(
            self.X, _N_CLUSTERS, threshold=_THRESHOLD)
        fig = new_figure("initial")
        plot_initial_configuration(self.X, self.initial_centers,
                                   ax=fig.subplots(), lang=self.lang)
        self._save_figure("01_initial.png", fig)

    def step_convergence(self):
        from .estimator import KMeans
        from .plotting import plot_convergence
        from .plotting._style import new_figure

        # One fit serves every cap: the trace's iteration m is what a fit
        # with max_iter=m gives, and a run converged before m stops there.
        self.model = KMeans(n_clusters=_N_CLUSTERS, init=self.initial_centers,
                            n_init=1, max_iter=max(_MAX_ITERS), random_state=1,
                            record_labels=True).fit(self.X)
        self.trace = self.model.trace_
        n_iter = len(self.trace)
        self.inertia_by_iter = {
            max_iter: float(self.trace.iterations[min(max_iter, n_iter) - 1].inertia)
            for max_iter in _MAX_ITERS}
        fig = plot_convergence(self.X, self.trace, _MAX_ITERS,
                               fig=new_figure("panels"), lang=self.lang)
        self._save_figure("02_convergence.png", fig)

    def step_animation(self):
        from .plotting import animate_convergence

        atomic_write(self.out_dir / "convergence.gif",
                     lambda tmp: animate_convergence(self.X, self.trace, tmp,
                                                     lang=self.lang),
                     force=self.force)
        self.written["convergence.gif"] = self.out_dir / "convergence.gif"

    def step_assignments(self):
        self.changes = self.trace.to_pandas()[_CHANGES_COLUMNS]
        atomic_write(self.out_dir / "assignments.csv",
                     lambda tmp: self.changes.to_csv(tmp, index=False),
                     force=self.force)
        self.written["assignments.csv"] = self.out_dir / "assignments.csv"

    def step_overlap(self):
        from .diagnostics import overlap_experiment
        from .plotting import plot_overlap_effect
        from .plotting._style import new_figure

        fig = plot_overlap_effect(runs=overlap_experiment(),
                                  fig=new_figure("panels"), lang=self.lang)
        self._save_figure("03_overlap.png", fig)

    def step_choose_k(self):
        from .plotting import plot_k_selection
        from .plotting._style import new_figure
        from .selection import choose_k

        # The one sweep over k: its fits are those of KMeans(k,
        # random_state=117117), scored with the exact silhouette.
        self.selection = choose_k(self.X, _KS, criteria=_K_CRITERIA,
                                  random_state=_K_RANDOM_STATE, progress=False)
        rows = {row["k"]: row for row in self.selection.table}
        self.inertias = tuple(float(rows[k]["inertia"]) for k in _KS)
        self.silhouettes = tuple(float(rows[k]["silhouette"]) for k in _KS)
        self.best_k = int(self.selection.picks["silhouette"])
        fig = plot_k_selection(_KS, self.inertias, self.silhouettes,
                               fig=new_figure("k_selection"), lang=self.lang)
        self._save_figure("04_choose_k.png", fig)

    def result(self):
        return DemoResult(
            paths=tuple(self.written[name] for name in DEMO_FILES),
            inertia_by_iter=self.inertia_by_iter,
            ks=_KS,
            inertias=self.inertias,
            silhouettes=self.silhouettes,
            best_k=self.best_k,
            changes=self.changes,
            n_samples=self.X.shape[0],
            n_features=self.X.shape[1],
            initial_centers=self.initial_centers,
            n_iter=len(self.trace),
            selection=self.selection,
            X=self.X,
            labels=self.model.labels_,
            centers=self.model.cluster_centers_,
            trace=self.trace,
        )


def write_demo_report(result, path, *, force=False):
    """The walkthrough as one HTML page, from a :func:`run_demo` result.

    The page replays the traced fit from the walkthrough's initial centres,
    shows the step-4 sweep over k (elbow and silhouette) and the silhouette
    of the k=4 solution; nothing is fitted again.

    Parameters
    ----------
    result : DemoResult
        What :func:`run_demo` returned.
    path : str or path-like
        The HTML file to write; its directory is created if missing.
    force : bool, default=False
        Overwrite ``path`` if it exists.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``force`` is False.

    See Also
    --------
    kmeanslab.report.write_report : the page itself.
    """
    from .metrics import silhouette_samples
    from .report import write_report

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_report(path, X=result.X, labels=result.labels,
                        centers=result.centers, trace=result.trace,
                        selection=result.selection,
                        silhouette_values=silhouette_samples(result.X, result.labels),
                        title="kmeanslab demo: the k-means walkthrough",
                        force=force)
