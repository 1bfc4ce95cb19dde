"""What every kmeanslab figure shares: text, fonts, figures, colours, checks.

All visible text of the translated figures comes from one table,
:data:`MESSAGES`; :func:`text_style` gives a drawing function the strings of
one language and, for "ja", the IPAexGothic font of the optional
``matplotlib-fontja`` package, applied to that figure only. The figure
helpers (:func:`new_figure`, :func:`get_ax`, :func:`panels`) make Figures and
Axes of the walkthrough's sizes, the colour helpers give every cluster index
the same colour in every figure, and the ``check_*`` functions validate the
arrays a figure is given.

matplotlib is imported inside the functions only, so importing this module
loads numpy alone.
"""

from __future__ import annotations

import contextlib
import functools

import numpy as np

from .. import _options

__all__ = [
    "CENTER_COLOR",
    "FIGSIZES",
    "LANGUAGES",
    "LINE_COLORS",
    "MESSAGES",
    "SAMPLE_COLOR",
    "SEED_COLOR",
    "check_labels",
    "check_lang",
    "check_points",
    "check_traced_labels",
    "get_ax",
    "label_colors",
    "new_figure",
    "panels",
    "scatter_assignments",
    "scatter_centers",
    "shared_doc",
    "text_style",
]

MESSAGES = {
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
        "breathing_kept": "breathing cycle, kept ({k} centres)",
        "breathing_rejected": "breathing cycle, not kept",
        "iteration_then_cycle": "iteration, then breathing cycle",
        "silhouette_plot_title":
            "Silhouette plot of {n_clusters} clusters ({n_samples:,} samples)",
        "silhouette_coefficient": "silhouette coefficient",
        "cluster": "cluster",
        "silhouette_mean": "mean = {mean:.3f}",
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
        "breathing_kept": "採用した呼吸サイクル (重心 {k} 個)",
        "breathing_rejected": "採用しなかった呼吸サイクル",
        "iteration_then_cycle": "反復回数、続いて呼吸サイクル",
        "silhouette_plot_title":
            "{n_clusters} クラスタのシルエット図 ({n_samples:,} サンプル)",
        "silhouette_coefficient": "シルエット係数",
        "cluster": "クラスタ",
        "silhouette_mean": "平均 = {mean:.3f}",
    },
}

# Every language of the option list has its messages (tests/unit/test_options.py).
LANGUAGES = _options.LANGUAGES

# Text shared by every docstring that takes ``lang`` (substituted by shared_doc).
_LANG_DOC = """lang : {"en", "ja"}, default="en"
        Language of titles, axis labels and legends. "ja" needs the
        optional matplotlib-fontja package (``pip install kmeanslab[ja]``);
        its font is applied to this figure only, never to global rcParams."""

SAMPLE_COLOR = "#4b5563"
SEED_COLOR = "#ef4444"
CENTER_COLOR = "#dc2626"
LINE_COLORS = ("#2563eb", "#ea580c", "#16a34a")

# Default figure sizes in inches, from the walkthrough.
FIGSIZES = {
    "initial": (7.5, 7.5),
    "clusters": (7.5, 7.5),
    "panels": (10.0, 10.0),
    "k_selection": (12.0, 4.0),
    "trace": (7.0, 4.0),
    "animation": (6.0, 6.0),
}


def shared_doc(func):
    """Put the shared description of ``lang`` where ``func``'s docstring
    says ``%(lang)s``; returns ``func``."""
    if func.__doc__:  # None under python -OO
        func.__doc__ = func.__doc__.replace("%(lang)s", _LANG_DOC)
    return func


# --------------------------------------------------------------------------
# Text and fonts
# --------------------------------------------------------------------------

def check_lang(lang):
    """Validate ``lang`` and load what it needs, before any drawing.

    Parameters
    ----------
    lang : str
        One of ``LANGUAGES``.

    Returns
    -------
    lang : str
        ``lang`` unchanged.

    Raises
    ------
    ValueError
        If ``lang`` is not one of ``LANGUAGES``.
    ImportError
        If ``lang="ja"`` and matplotlib-fontja is not installed; the message
        names ``pip install kmeanslab[ja]``.

    Examples
    --------
    >>> from kmeanslab.plotting import check_lang
    >>> check_lang("en")
    'en'
    """
    if lang not in MESSAGES:
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
        self.messages = MESSAGES[lang]
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
def text_style(lang):
    """Context for drawing text in ``lang``.

    Text made inside keeps its font after the context ends, so figures can be
    saved later; global rcParams are restored on exit.

    Parameters
    ----------
    lang : {"en", "ja"}

    Yields
    ------
    text : callable
        ``text(key, **fields)`` is the translated, formatted string of
        :data:`MESSAGES`; ``text.apply_font(*axes)`` gives those axes' text
        the language's font.

    Raises
    ------
    ValueError, ImportError
        As :func:`check_lang`.
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
# Figures and colours
# --------------------------------------------------------------------------

def new_figure(kind=None, *, figsize=None):
    """A Figure outside pyplot (no GUI, nothing to close), for writing files.

    Parameters
    ----------
    kind : str, default=None
        A key of :data:`FIGSIZES`: the size of that walkthrough figure.
    figsize : (float, float), default=None
        Width and height in inches, when ``kind`` is None.

    Returns
    -------
    matplotlib.figure.Figure
        With the constrained layout.
    """
    from matplotlib.figure import Figure

    return Figure(figsize=FIGSIZES[kind] if kind is not None else figsize,
                  layout="constrained")


def get_ax(ax, kind):
    """``ax``, or the Axes of a new pyplot figure of ``FIGSIZES[kind]``."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=FIGSIZES[kind], layout="constrained")
    return ax


def panels(fig, n_panels, kind, **subplot_kw):
    """Up to two columns of panels; unused cells of the grid are hidden.

    Parameters
    ----------
    fig : matplotlib Figure or None
        Empty figure to draw into; a new pyplot figure of ``FIGSIZES[kind]``
        when None.
    n_panels : int
    kind : str
        A key of :data:`FIGSIZES`.
    **subplot_kw
        Passed to ``fig.subplots`` (``sharex``, ``sharey``).

    Returns
    -------
    fig : matplotlib Figure
    axes : ndarray of Axes of shape (n_panels,)
    """
    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=FIGSIZES[kind], layout="constrained")
    ncols = min(n_panels, 2)
    nrows = -(-n_panels // ncols)
    axes = fig.subplots(nrows, ncols, squeeze=False, **subplot_kw).ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return fig, axes[:n_panels]


def label_colors(labels, n_clusters):
    """RGBA colour per sample, fixed per cluster index (tab10, else tab20).

    Parameters
    ----------
    labels : array-like of int of shape (n_samples,)
    n_clusters : int
        Picks the colour map: tab10 up to 10 clusters, tab20 above.

    Returns
    -------
    ndarray of shape (n_samples, 4)
    """
    import matplotlib

    cmap = matplotlib.colormaps["tab10" if n_clusters <= 10 else "tab20"]
    return cmap(np.asarray(labels, dtype=np.intp) % cmap.N)


def scatter_assignments(ax, X, labels, n_clusters):
    """The samples' first two features, coloured by label."""
    return ax.scatter(X[:, 0], X[:, 1], c=label_colors(labels, n_clusters),
                      s=10)


def scatter_centers(ax, centers, label):
    """Centres as large red dots with a black edge, labelled for the legend."""
    centers = np.asarray(centers)
    return ax.scatter(centers[:, 0], centers[:, 1], c=CENTER_COLOR,
                      marker="o", s=80, edgecolors="black", linewidths=1.2,
                      label=label)


# --------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------

def check_points(X, name="X"):
    """``X`` as a float array of shape (n_samples, n_features >= 2).

    Raises
    ------
    ValueError
        If ``X`` is not 2-D with at least two features.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] < 2:
        raise ValueError(
            f"{name} must have shape (n_samples, n_features) with "
            f"n_features >= 2 (the first two are plotted), got shape {X.shape}")
    return X


def check_labels(labels, n_samples, name="labels"):
    """``labels`` as an intp array of shape (n_samples,).

    Raises
    ------
    ValueError
        If ``labels`` does not have shape (n_samples,).
    """
    labels = np.asarray(labels)
    if labels.shape != (n_samples,):
        raise ValueError(
            f"{name} must have shape ({n_samples},) to match X, got shape "
            f"{labels.shape}")
    return labels.astype(np.intp)


def check_traced_labels(trace, n_samples):
    """Check that ``trace`` recorded labels of ``n_samples`` samples.

    Raises
    ------
    ValueError
        If the trace has no per-iteration labels or labels of another length.
    """
    first = trace.iterations[0]
    if first.labels is None:
        raise ValueError(
            "trace has no per-iteration labels; fit with record_labels=True")
    check_labels(first.labels, n_samples, name="the trace's labels")
