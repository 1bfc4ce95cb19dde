"""The figure of :meth:`kmeanslab.selection.KSelection.plot`.

Kept apart from ``kmeanslab/plotting.py`` for now (to be merged into it);
like that module it imports matplotlib only inside the function, never calls
``show()`` and leaves the backend and rcParams alone.
"""

from __future__ import annotations

import numpy as np

__all__ = ["plot_selection"]

# Panel title, y label, and the columns of the value and its error bar.
_PANELS = {
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
_LINE_COLOR = "#2563eb"
_PICK_COLOR = "#dc2626"
_RECOMMENDED_COLOR = "#fde68a"
_PANEL_SIZE = (4.0, 3.2)  # inches per panel
_MAX_COLUMNS = 3


def plot_selection(selection, fig=None):
    """One panel per criterion of a :class:`~kmeanslab.selection.KSelection`.

    Each panel shows the criterion against k (with error bars for the gap's
    standard error, the stability's standard deviation and the sampled
    silhouette's confidence interval), marks the criterion's pick with a
    star, and shades the recommended k.

    Parameters
    ----------
    selection : KSelection
        The result of :func:`kmeanslab.selection.choose_k`.
    fig : matplotlib Figure, default=None
        Empty figure to draw into; a new pyplot figure when None.

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
    ncols = min(n_panels, _MAX_COLUMNS)
    nrows = -(-n_panels // ncols)
    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(_PANEL_SIZE[0] * ncols, _PANEL_SIZE[1] * nrows),
                         layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n_panels:]:
        ax.remove()
    rows = [row for row in selection.table if row["skipped"] is None]
    ks = np.array([row["k"] for row in rows])
    for ax, name in zip(axes, selection.criteria):
        _draw_panel(ax, name, selection, rows, ks)
    if selection.recommended_k is not None:
        fig.suptitle(f"recommended k = {selection.recommended_k}")
    return fig


def _draw_panel(ax, name, selection, rows, ks):
    title, ylabel, column, error_column = _PANELS[name]
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
    ax.errorbar(ks, values, yerr=yerr, marker="o", color=_LINE_COLOR, capsize=3)
    pick = selection.picks.get(name)
    if pick is not None and pick in ks:
        ax.plot(pick, values[int(np.flatnonzero(ks == pick)[0])], marker="*",
                markersize=16, linestyle="none", color=_PICK_COLOR,
                label=f"pick: k = {pick}")
    ax.set_title(title)
    ax.set_xlabel("number of clusters k")
    ax.set_ylabel(ylabel)
    if ks.size:
        ax.set_xticks(ks)
    ax.grid(alpha=0.2)
    ax.legend(loc="best", fontsize="small")
