"""Figures for choosing k: the walkthrough's elbow and silhouette pair, and
one panel per criterion of a :class:`~kmeanslab.selection.KSelection`."""

from __future__ import annotations

import numpy as np

from ._style import CENTER_COLOR, LINE_COLORS, panels, shared_doc, text_style

__all__ = ["plot_k_selection", "plot_selection", "selection_figsize"]

# Panel title, y label, and the columns of the value and its error bar
# (English only: plot_selection takes no ``lang``).
_SELECTION_PANELS = {
    "inertia": ("Inertia (elbow)", "inertia (WCSS)", "inertia", None),
    "silhouette": ("Silhouette", "mean silhouette", "silhouette", None),
    "calinski_harabasz": ("Calinski-Harabasz (higher is better)", "index",
                          "calinski_harabasz", None),
    "davies_bouldin": ("Davies-Bouldin (lower is better)", "index",
                       "davies_bouldin", None),
    "gap": ("Gap statistic (1-SE rule)", "Gap(k)", "gap", "gap_se"),
    "stability": ("Stability (subsample ARI)", "mean ARI", "stability",
                  "stability_std"),
}
_RECOMMENDED_COLOR = "#fde68a"
_PANEL_SIZE = (4.0, 3.2)  # inches per panel of plot_selection
_MAX_COLUMNS = 3


@shared_doc
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

    See Also
    --------
    kmeanslab.selection.choose_k : computes all three (its ``ks`` and the
        ``inertia`` and ``silhouette`` columns of its ``table``).
    plot_selection : every criterion of a choose_k result.

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
    with text_style(lang) as text:
        fig, (elbow_ax, silhouette_ax) = panels(fig, 2, "k_selection")
        elbow_ax.plot(ks, inertias, marker="o", color=LINE_COLORS[0])
        elbow_ax.set_title(text("elbow_title"))
        elbow_ax.set_ylabel(text("wcss"))
        silhouette_ax.plot(ks, silhouettes, marker="o", color=LINE_COLORS[1])
        silhouette_ax.plot(ks[best], silhouettes[best], marker="*",
                           markersize=16, linestyle="none",
                           color=CENTER_COLOR,
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


def selection_figsize(n_panels):
    """Size in inches of :func:`plot_selection`'s figure of ``n_panels``.

    Parameters
    ----------
    n_panels : int
        Number of criteria (one panel each, at most three per row).

    Returns
    -------
    (width, height) : tuple of float

    Examples
    --------
    >>> from kmeanslab.plotting import selection_figsize
    >>> selection_figsize(4)
    (12.0, 6.4)
    """
    nrows, ncols = _grid(n_panels)
    return (_PANEL_SIZE[0] * ncols, _PANEL_SIZE[1] * nrows)


def _grid(n_panels):
    ncols = min(n_panels, _MAX_COLUMNS)
    return -(-n_panels // ncols), ncols


def plot_selection(selection, fig=None):
    """One panel per criterion of a :class:`~kmeanslab.selection.KSelection`.

    Each panel shows the criterion against k (with error bars for the gap's
    standard error, the stability's standard deviation and the sampled
    silhouette's confidence interval), marks the criterion's pick with a
    star, and shades the recommended k. This is what ``KSelection.plot``
    draws.

    Parameters
    ----------
    selection : KSelection
        The result of :func:`kmeanslab.selection.choose_k`.
    fig : matplotlib Figure, default=None
        Empty figure to draw into; a new pyplot figure of
        :func:`selection_figsize` when None.

    Returns
    -------
    fig : matplotlib Figure
        With exactly one Axes per criterion, in the order of
        ``selection.criteria``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from sklearn.datasets import make_blobs
    >>> from kmeanslab.selection import choose_k
    >>> X, _ = make_blobs(200, centers=3, random_state=0)
    >>> sel = choose_k(X, range(2, 6), criteria=("inertia", "silhouette"),
    ...                random_state=0, progress=False)
    >>> len(sel.plot(fig=Figure()).axes)
    2
    """
    n_panels = len(selection.criteria)
    nrows, ncols = _grid(n_panels)
    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=selection_figsize(n_panels),
                         layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n_panels:]:
        ax.remove()
    rows = [row for row in selection.table if row["skipped"] is None]
    ks = np.array([row["k"] for row in rows])
    for ax, name in zip(axes, selection.criteria):
        _draw_criterion(ax, name, selection, rows, ks)
    if selection.recommended_k is not None:
        fig.suptitle(f"recommended k = {selection.recommended_k}")
    return fig


def _draw_criterion(ax, name, selection, rows, ks):
    title, ylabel, column, error_column = _SELECTION_PANELS[name]
    values = np.array([row[column] for row in rows], dtype=float)
    if name == "silhouette" and selection.silhouette == "sampled":
        low = np.array([row["silhouette_low"] for row in rows], dtype=float)
        high = np.array([row["silhouette_high"] for row in rows], dtype=float)
        yerr = np.vstack([values - low, high - values])
        title = "Silhouette (sampled, with confidence interval)"
    elif name == "silhouette" and selection.silhouette == "simplified":
        yerr = None
        title = "Simplified silhouette"
    elif error_column is not None:
        yerr = np.array([row[error_column] for row in rows], dtype=float)
    else:
        yerr = None
    recommended = selection.recommended_k
    if recommended is not None:
        ax.axvspan(recommended - 0.4, recommended + 0.4, color=_RECOMMENDED_COLOR,
                   alpha=0.6, label=f"recommended k = {recommended}", zorder=0)
    ax.errorbar(ks, values, yerr=yerr, marker="o", color=LINE_COLORS[0],
                capsize=3)
    pick = selection.picks.get(name)
    if pick is not None and pick in ks:
        ax.plot(pick, values[int(np.flatnonzero(ks == pick)[0])], marker="*",
                markersize=16, linestyle="none", color=CENTER_COLOR,
                label=f"pick: k = {pick}")
    ax.set_title(title)
    ax.set_xlabel("number of clusters k")
    ax.set_ylabel(ylabel)
    if ks.size:
        ax.set_xticks(ks)
    ax.grid(alpha=0.2)
    if ax.get_legend_handles_labels()[0]:
        # No pick and no recommendation: no legend rather than an empty box.
        ax.legend(loc="best", fontsize="small")
