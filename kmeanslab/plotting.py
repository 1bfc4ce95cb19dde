"""Figures for k-means: data and seeds, assignments, convergence, choosing k.

This is the only kmeanslab module that imports matplotlib, and it does so
inside the functions, so ``import kmeanslab`` stays free of it. Every
function draws into the Axes (or Figure) it is given, or creates one with
pyplot when given none, and returns it; none calls ``show()`` or changes the
backend or global rcParams.

All visible text comes from one translation table, ``_MESSAGES``: pass
``lang="ja"`` for Japanese labels, drawn with the IPAexGothic font of the
optional ``matplotlib-fontja`` package (``pip install kmeanslab[ja]``).
"""

from __future__ import annotations

import contextlib
import functools
import numbers
from pathlib import Path

import numpy as np

__all__ = [
    "LANGUAGES",
    "animate_convergence",
    "check_lang",
    "plot_clusters",
    "plot_convergence",
    "plot_initial_configuration",
    "plot_k_selection",
    "plot_overlap_effect",
    "plot_trace",
]

_MESSAGES = {
    "en": {
        "samples": "samples",
        "initial_centroids": "initial centroids",
        "initial_title": "Initial dataset and centroid seeds",
        "centroids": "centroids",
        "clusters_title": "Cluster assignments",
        "max_iter_title": "max_iter = {max_iter}",
        "wcss_value": "WCSS = {inertia:,.1f}",
        "convergence_title": "Convergence behaviour versus iteration cap",
        "overlap_panel": "cluster_std = {std}",
        "overlap_title": "Effect of cluster overlap on assignments",
        "elbow_title": "Elbow method (WCSS)",
        "k_label": "cluster count k",
        "wcss": "WCSS",
        "silhouette_title": "Silhouette score",
        "score": "score",
        "best_k": "best k = {k}",
        "trace_title": "Convergence trace",
        "iteration": "iteration",
        "inertia": "inertia (WCSS)",
        "n_changed": "changed assignments",
        "frame_title": "iteration {iteration}/{n_iter}: WCSS = {inertia:,.1f}",
    },
    "ja": {
        "samples": "サンプル",
        "initial_centroids": "初期重心",
        "initial_title": "データセットと初期重心",
        "centroids": "重心",
        "clusters_title": "クラスタの割り当て",
        "max_iter_title": "max_iter = {max_iter}",
        "wcss_value": "WCSS = {inertia:,.1f}",
        "convergence_title": "反復回数の上限による収束の違い",
        "overlap_panel": "cluster_std = {std}",
        "overlap_title": "クラスタの重なりが割り当てに与える影響",
        "elbow_title": "エルボー法 (WCSS)",
        "k_label": "クラスタ数 k",
        "wcss": "WCSS",
        "silhouette_title": "シルエットスコア",
        "score": "スコア",
        "best_k": "最良の k = {k}",
        "trace_title": "収束の推移",
        "iteration": "反復回数",
        "inertia": "クラスタ内平方和 (WCSS)",
        "n_changed": "割り当てが変わったサンプル数",
        "frame_title": "反復 {iteration}/{n_iter}: WCSS = {inertia:,.1f}",
    },
}

LANGUAGES = tuple(_MESSAGES)

# Text shared by every docstring that takes ``lang`` (substituted by _shared_doc).
_LANG_DOC = """lang : {"en", "ja"}, default="en"
        Language of titles, axis labels and legends. "ja" needs the
        optional matplotlib-fontja package (``pip install kmeanslab[ja]``);
        its font is applied to this figure only, never to global rcParams."""

_SAMPLE_COLOR = "#4b5563"
_SEED_COLOR = "#ef4444"
_CENTER_COLOR = "#dc2626"
_LINE_COLORS = ("#2563eb", "#ea580c")

# Default figure sizes in inches, from the walkthrough.
_FIGSIZES = {
    "initial": (7.5, 7.5),
    "clusters": (7.5, 7.5),
    "panels": (10.0, 10.0),
    "k_selection": (12.0, 4.0),
    "trace": (7.0, 4.0),
    "animation": (6.0, 6.0),
}


def _shared_doc(func):
    if func.__doc__:  # None under python -OO
        func.__doc__ = func.__doc__.replace("%(lang)s", _LANG_DOC)
    return func


# --------------------------------------------------------------------------
# Text and fonts
# --------------------------------------------------------------------------

def check_lang(lang):
    """Validate ``lang`` and load what it needs, before any drawing.

    Raises
    ------
    ValueError
        If ``lang`` is not one of ``LANGUAGES``.
    ImportError
        If ``lang="ja"`` and matplotlib-fontja is not installed; the message
        names ``pip install kmeanslab[ja]``.
    """
    if lang not in _MESSAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}, got {lang!r}")
    if lang == "ja":
        _ja_font_family()
    return lang


def _ja_font_family():
    """Name of the Japanese font, registered with matplotlib's font manager."""
    import matplotlib

    try:
        # Importing matplotlib_fontja runs its japanize(), which sets
        # rcParams["font.family"] globally; rc_context undoes that.
        with matplotlib.rc_context():
            import matplotlib_fontja
    except ImportError as exc:
        raise ImportError(
            "lang='ja' needs the matplotlib-fontja package for its Japanese "
            "font: pip install kmeanslab[ja]") from exc
    return _register_font(matplotlib_fontja.get_font_ttf_path())


@functools.lru_cache(maxsize=None)
def _register_font(path):
    from matplotlib import font_manager

    # addfont appends to the font list on every call; the cache makes it once.
    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


class _Text:
    """Translated strings and the font family for one language."""

    def __init__(self, lang, font_family):
        self.messages = _MESSAGES[lang]
        self.font_family = font_family

    def __call__(self, key, **fields):
        return self.messages[key].format(**fields)

    def apply_font(self, *axes):
        """Give the axes' text this language's font.

        The rc_context alone is not enough: a title or axis label belongs to
        the Axes, which may have been made before the context began, and tick
        labels are only made at draw time, after it ends.
        """
        if self.font_family is None:
            return
        for ax in axes:
            texts = [ax.title, ax.xaxis.label, ax.yaxis.label,
                     ax.xaxis.get_offset_text(), ax.yaxis.get_offset_text()]
            legend = ax.get_legend()
            if legend is not None:
                texts.extend(legend.get_texts())
            for text in texts:
                text.set_fontfamily(self.font_family)
            ax.tick_params(labelfontfamily=self.font_family)


@contextlib.contextmanager
def _text_style(lang):
    """Context for drawing text in ``lang``; yields a :class:`_Text`.

    Text made inside keeps its font after the context ends, so figures can be
    saved later; global rcParams are restored on exit.
    """
    import matplotlib

    check_lang(lang)
    family = None
    rc = {}
    if lang == "ja":
        # The generic family stays as a fallback for glyphs IPAexGothic lacks.
        family = [_ja_font_family(), "sans-serif"]
        rc["font.family"] = family
    with matplotlib.rc_context(rc):
        yield _Text(lang, family)


# --------------------------------------------------------------------------
# Figures, colours and inputs
# --------------------------------------------------------------------------

def _new_figure(kind):
    """A Figure outside pyplot (no GUI, nothing to close), for writing files."""
    from matplotlib.figure import Figure

    return Figure(figsize=_FIGSIZES[kind], layout="constrained")


def _get_ax(ax, kind):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=_FIGSIZES[kind], layout="constrained")
    return ax


def _panels(fig, n_panels, kind, **subplot_kw):
    """Up to two columns of panels; unused cells of the grid are hidden."""
    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=_FIGSIZES[kind], layout="constrained")
    ncols = min(n_panels, 2)
    nrows = -(-n_panels // ncols)
    axes = fig.subplots(nrows, ncols, squeeze=False, **subplot_kw).ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return fig, axes[:n_panels]


def _label_colors(labels, n_clusters):
    """RGBA colour per sample, fixed per cluster index (tab10, else tab20)."""
    import matplotlib

    cmap = matplotlib.colormaps["tab10" if n_clusters <= 10 else "tab20"]
    return cmap(np.asarray(labels, dtype=np.intp) % cmap.N)


def _check_points(X, name="X"):
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] < 2:
        raise ValueError(
            f"{name} must have shape (n_samples, n_features) with "
            f"n_features >= 2 (the first two are plotted), got shape {X.shape}")
    return X


def _check_labels(labels, n_samples, name="labels"):
    labels = np.asarray(labels)
    if labels.shape != (n_samples,):
        raise ValueError(
            f"{name} must have shape ({n_samples},) to match X, got shape "
            f"{labels.shape}")
    return labels.astype(np.intp)


def _check_traced_labels(trace, n_samples):
    first = trace.iterations[0]
    if first.labels is None:
        raise ValueError(
            "trace has no per-iteration labels; fit with record_labels=True")
    _check_labels(first.labels, n_samples, name="the trace's labels")


def _scatter_assignments(ax, X, labels, n_clusters):
    return ax.scatter(X[:, 0], X[:, 1], c=_label_colors(labels, n_clusters),
                      s=10)


def _scatter_centers(ax, centers, label):
    centers = np.asarray(centers)
    return ax.scatter(centers[:, 0], centers[:, 1], c=_CENTER_COLOR,
                      marker="o", s=80, edgecolors="black", linewidths=1.2,
                      label=label)


# --------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------

@_shared_doc
def plot_initial_configuration(X, centers, ax=None, labels=None, *, lang="en"):
    """The data set with the initial centres highlighted (walkthrough step 1).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Samples; the first two features are plotted.
    centers : array-like of shape (n_clusters, n_features)
        Initial centres, drawn as large red dots.
    ax : matplotlib Axes, default=None
        Axes to draw into; a new figure when None.
    labels : array-like of shape (n_samples,), default=None
        Colour the samples by these labels (for example the true blobs);
        grey crosses when None.
    %(lang)s

    Returns
    -------
    ax : matplotlib Axes

    Raises
    ------
    ValueError
        If X or centers has fewer than two features, ``labels`` does not
        match X, or ``lang`` is unknown.

    See Also
    --------
    kmeanslab.datasets.choose_initial_centroids : the walkthrough's centres.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from kmeanslab.datasets import make_demo_data, choose_initial_centroids
    >>> from kmeanslab.plotting import plot_initial_configuration
    >>> X, _ = make_demo_data()
    >>> centers = choose_initial_centroids(X, 4)
    >>> ax = plot_initial_configuration(X, centers, ax=Figure().subplots())
    >>> ax.get_title()
    'Initial dataset and centroid seeds'
    """
    X = _check_points(X)
    centers = _check_points(centers, "centers")
    with _text_style(lang) as text:
        ax = _get_ax(ax, "initial")
        if labels is None:
            ax.scatter(X[:, 0], X[:, 1], c=_SAMPLE_COLOR, marker="x",
                       label=text("samples"))
        else:
            labels = _check_labels(labels, len(X))
            ax.scatter(X[:, 0], X[:, 1], marker="x", label=text("samples"),
                       c=_label_colors(labels, int(labels.max(initial=0)) + 1))
        ax.scatter(centers[:, 0], centers[:, 1], c=_SEED_COLOR, marker="o",
                   s=80, label=text("initial_centroids"))
        ax.set_title(text("initial_title"))
        ax.legend(loc="best")
        ax.grid(alpha=0.2)
        text.apply_font(ax)
    return ax


@_shared_doc
def plot_clusters(X, labels, centers=None, ax=None, title=None, *, lang="en"):
    """Samples coloured by cluster, optionally with the centres.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Samples; the first two features are plotted.
    labels : array-like of shape (n_samples,)
        Cluster index of each sample.
    centers : array-like of shape (n_clusters, n_features), default=None
        Centres to draw as large red dots.
    ax : matplotlib Axes, default=None
        Axes to draw into; a new figure when None.
    title : str, default=None
        Axes title; a translated "Cluster assignments" when None, none when
        "".
    %(lang)s

    Returns
    -------
    ax : matplotlib Axes

    Raises
    ------
    ValueError
        If ``labels`` does not match X, or X or centers has fewer than two
        features.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from kmeanslab.plotting import plot_clusters
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [5.0, 5.0], [5.0, 6.0]])
    >>> ax = plot_clusters(X, [0, 0, 1, 1], centers=[[0, 0.5], [5, 5.5]],
    ...                    ax=Figure().subplots())
    >>> ax.collections[1].get_offsets().tolist()
    [[0.0, 0.5], [5.0, 5.5]]
    """
    X = _check_points(X)
    labels = _check_labels(labels, len(X))
    n_clusters = int(labels.max(initial=0)) + 1
    with _text_style(lang) as text:
        ax = _get_ax(ax, "clusters")
        _scatter_assignments(ax, X, labels, n_clusters)
        if centers is not None:
            _scatter_centers(ax, _check_points(centers, "centers"),
                             text("centroids"))
            ax.legend(loc="best")
        ax.set_title(text("clusters_title") if title is None else title)
        ax.grid(alpha=0.2)
        text.apply_font(ax)
    return ax


@_shared_doc
def plot_convergence(X, trace, max_iters=(1, 2, 3, 10), fig=None, *,
                     lang="en"):
    """Assignments and centres after each iteration cap, from one traced fit.

    Panel ``m`` shows what a separate fit with ``max_iter=m`` from the same
    start gives: the trace's centres and labels after iteration
    ``min(m, n_iter)`` (a run that converged earlier stops there).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data the trace was fitted on.
    trace : ConvergenceTrace
        ``trace_`` of a fit with ``record_labels=True`` (``max_iter`` at least
        ``max(max_iters)`` for the panels to match separate fits).
    max_iters : sequence of int, default=(1, 2, 3, 10)
        One panel per cap, two per row.
    fig : matplotlib Figure, default=None
        Empty figure to draw into; a new one when None.
    %(lang)s

    Returns
    -------
    fig : matplotlib Figure

    Raises
    ------
    ValueError
        If ``max_iters`` is empty or holds a value below 1, or the trace has
        no labels or labels of another length than X.

    See Also
    --------
    animate_convergence : the same iterations as an animated GIF.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from kmeanslab import KMeans
    >>> from kmeanslab.datasets import make_demo_data, choose_initial_centroids
    >>> from kmeanslab.plotting import plot_convergence
    >>> X, _ = make_demo_data()
    >>> init = choose_initial_centroids(X, 4)
    >>> model = KMeans(4, init=init, n_init=1, max_iter=10,
    ...                record_labels=True).fit(X)
    >>> fig = plot_convergence(X, model.trace_, fig=Figure())
    >>> [ax.get_title().splitlines()[0] for ax in fig.axes]
    ['max_iter = 1', 'max_iter = 2', 'max_iter = 3', 'max_iter = 10']
    """
    X = _check_points(X)
    max_iters = tuple(max_iters)
    if not max_iters or any(
            isinstance(m, bool) or not isinstance(m, numbers.Integral) or m < 1
            for m in max_iters):
        raise ValueError(
            f"max_iters must be a non-empty sequence of integers >= 1, got "
            f"{max_iters!r}")
    _check_traced_labels(trace, len(X))
    n_iter = len(trace)
    with _text_style(lang) as text:
        fig, axes = _panels(fig, len(max_iters), "panels", sharex=True,
                            sharey=True)
        for ax, max_iter in zip(axes, max_iters):
            record = trace.iterations[min(max_iter, n_iter) - 1]
            _scatter_assignments(ax, X, record.labels, len(record.centers))
            _scatter_centers(ax, record.centers, text("centroids"))
            ax.set_title(text("max_iter_title", max_iter=max_iter) + "\n"
                         + text("wcss_value", inertia=record.inertia))
            ax.legend(loc="best")
            ax.grid(alpha=0.2)
        text.apply_font(*axes)
        fig.suptitle(text("convergence_title"))
    return fig


@_shared_doc
def plot_overlap_effect(stds=(1.0, 2.0, 3.0, 4.5), random_state=117117,
                        fig=None, *, lang="en"):
    """Two-cluster k-means on blobs of growing spread (walkthrough step 3).

    Each panel clusters ``make_blobs(n_samples=1000, random_state=random_state,
    cluster_std=std)`` (three blobs) with
    ``KMeans(n_clusters=2, random_state=random_state)``.

    Parameters
    ----------
    stds : sequence of float, default=(1.0, 2.0, 3.0, 4.5)
        One panel per blob standard deviation, two per row.
    random_state : int, default=117117
        Seed for both the data and the clustering.
    fig : matplotlib Figure, default=None
        Empty figure to draw into; a new one when None.
    %(lang)s

    Returns
    -------
    fig : matplotlib Figure

    Raises
    ------
    ValueError
        If ``stds`` is empty.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from kmeanslab.plotting import plot_overlap_effect
    >>> fig = plot_overlap_effect(stds=(1.0, 4.5), fig=Figure())
    >>> [ax.get_title() for ax in fig.axes]
    ['cluster_std = 1.0', 'cluster_std = 4.5']
    """
    from sklearn.datasets import make_blobs

    from .estimator import KMeans

    stds = tuple(float(std) for std in stds)
    if not stds:
        raise ValueError("stds must hold at least one standard deviation")
    with _text_style(lang) as text:
        fig, axes = _panels(fig, len(stds), "panels", sharex=True, sharey=True)
        for ax, std in zip(axes, stds):
            X, _ = make_blobs(n_samples=1000, random_state=random_state,
                              cluster_std=std)
            labels = KMeans(n_clusters=2,
                            random_state=random_state).fit_predict(X)
            _scatter_assignments(ax, X, labels, 2)
            ax.set_title(text("overlap_panel", std=std))
            ax.grid(alpha=0.2)
        text.apply_font(*axes)
        fig.suptitle(text("overlap_title"))
    return fig


@_shared_doc
def plot_k_selection(ks, inertias, silhouettes, fig=None, *, lang="en"):
    """Elbow curve and silhouette scores side by side (walkthrough step 4).

    Parameters
    ----------
    ks : sequence of int
        Cluster counts tried.
    inertias : sequence of float
        Inertia (WCSS) of the fit for each k.
    silhouettes : sequence of float
        Silhouette score of the fit for each k; its maximum is marked.
    fig : matplotlib Figure, default=None
        Empty figure to draw into; a new one when None.
    %(lang)s

    Returns
    -------
    fig : matplotlib Figure

    Raises
    ------
    ValueError
        If the three sequences are empty or differ in length.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from kmeanslab.plotting import plot_k_selection
    >>> fig = plot_k_selection([2, 3, 4], [90.0, 40.0, 35.0], [0.4, 0.6, 0.5],
    ...                        fig=Figure())
    >>> fig.axes[1].get_legend().get_texts()[0].get_text()
    'best k = 3'
    """
    ks = np.asarray(ks)
    inertias = np.asarray(inertias, dtype=float)
    silhouettes = np.asarray(silhouettes, dtype=float)
    if not len(ks) or not (ks.shape == inertias.shape == silhouettes.shape):
        raise ValueError(
            f"ks, inertias and silhouettes must be non-empty with one value "
            f"per k, got lengths {len(ks)}, {len(inertias)}, "
            f"{len(silhouettes)}")
    best = int(np.argmax(silhouettes))
    with _text_style(lang) as text:
        fig, (elbow_ax, silhouette_ax) = _panels(fig, 2, "k_selection")
        elbow_ax.plot(ks, inertias, marker="o", color=_LINE_COLORS[0])
        elbow_ax.set_title(text("elbow_title"))
        elbow_ax.set_ylabel(text("wcss"))
        silhouette_ax.plot(ks, silhouettes, marker="o", color=_LINE_COLORS[1])
        silhouette_ax.plot(ks[best], silhouettes[best], marker="*",
                           markersize=16, linestyle="none",
                           color=_CENTER_COLOR,
                           label=text("best_k", k=ks[best]))
        silhouette_ax.set_title(text("silhouette_title"))
        silhouette_ax.set_ylabel(text("score"))
        silhouette_ax.legend(loc="best")
        for ax in (elbow_ax, silhouette_ax):
            ax.set_xlabel(text("k_label"))
            ax.set_xticks(ks)
            ax.grid(alpha=0.2)
        text.apply_font(elbow_ax, silhouette_ax)
    return fig


@_shared_doc
def plot_trace(trace, ax=None, *, lang="en"):
    """Inertia per iteration, with the changed assignments on a twin axis.

    This is what ``ConvergenceTrace.plot`` draws.

    Parameters
    ----------
    trace : ConvergenceTrace
        The trace of a fit (its best run is plotted).
    ax : matplotlib Axes, default=None
        Axes for the inertia; a new figure when None. The changed
        assignments go on ``ax.twinx()``.
    %(lang)s

    Returns
    -------
    ax : matplotlib Axes
        The inertia axes.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from kmeanslab import KMeans
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [5.0, 5.0], [5.0, 6.0]])
    >>> model = KMeans(2, init=X[:2], n_init=1).fit(X)
    >>> ax = plot_trace(model.trace_, ax=Figure().subplots())
    >>> ax.lines[0].get_ydata().tolist() == model.trace_.inertia.tolist()
    True
    """
    from matplotlib.ticker import MaxNLocator

    iterations = [record.iteration for record in trace.iterations]
    with _text_style(lang) as text:
        ax = _get_ax(ax, "trace")
        (inertia_line,) = ax.plot(iterations, trace.inertia, marker="o",
                                  color=_LINE_COLORS[0], label=text("inertia"))
        ax.set_xlabel(text("iteration"))
        ax.set_ylabel(text("inertia"))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        changed_ax = ax.twinx()
        (changed_line,) = changed_ax.plot(
            iterations, trace.n_changed, marker="s", linestyle="--",
            color=_LINE_COLORS[1], label=text("n_changed"))
        changed_ax.set_ylabel(text("n_changed"))
        changed_ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(handles=[inertia_line, changed_line], loc="upper right")
        ax.set_title(text("trace_title"))
        ax.grid(alpha=0.2)
        text.apply_font(ax, changed_ax)
    return ax


@_shared_doc
def animate_convergence(X, trace, path, fps=2, *, lang="en", dpi=80):
    """Write an animated GIF with one frame per iteration of a traced fit.

    Each frame shows the assignments and centres after that iteration.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data the trace was fitted on.
    trace : ConvergenceTrace
        ``trace_`` of a fit with ``record_labels=True``.
    path : str or path-like
        Output file; must end in ".gif". Overwritten if it exists.
    fps : float, default=2
        Frames per second.
    %(lang)s
    dpi : float, default=80
        Resolution; a frame is ``6 * dpi`` pixels square.

    Returns
    -------
    path : pathlib.Path
        The file written.

    Raises
    ------
    ValueError
        If ``path`` does not end in ".gif", ``fps`` is not positive, or the
        trace has no labels or labels of another length than X.

    See Also
    --------
    plot_convergence : selected iterations side by side.
    """
    from matplotlib.animation import PillowWriter

    X = _check_points(X)
    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise ValueError(f"path must end in '.gif', got {str(path)!r}")
    if not isinstance(fps, numbers.Real) or not fps > 0:
        raise ValueError(f"fps must be a positive number, got {fps!r}")
    _check_traced_labels(trace, len(X))
    records = trace.iterations
    n_clusters = len(records[0].centers)
    with _text_style(lang) as text:
        fig = _new_figure("animation")
        ax = fig.subplots()
        points = _scatter_assignments(ax, X, records[0].labels, n_clusters)
        centers = _scatter_centers(ax, records[0].centers, text("centroids"))
        title = ax.set_title("")
        ax.legend(loc="upper right")
        ax.grid(alpha=0.2)
        text.apply_font(ax)
        writer = PillowWriter(fps=fps)
        with writer.saving(fig, path, dpi):
            for record in records:
                points.set_facecolors(_label_colors(record.labels, n_clusters))
                centers.set_offsets(record.centers[:, :2])
                title.set_text(text("frame_title", iteration=record.iteration,
                                    n_iter=len(records),
                                    inertia=record.inertia))
                writer.grab_frame()
    return path
