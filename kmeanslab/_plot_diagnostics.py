"""Figures of :mod:`kmeanslab.diagnostics`: the silhouette plot.

Kept apart from ``kmeanslab/plotting.py`` for now (to be merged into it);
like that module it imports matplotlib only inside the function, draws into
the Axes it is given, never calls ``show()`` and leaves the backend and
rcParams alone. Fonts and colours come from :mod:`kmeanslab.plotting`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["plot_silhouette"]

_MESSAGES = {
    "en": {
        "title": "Silhouette plot of {n_clusters} clusters ({n_samples:,} samples)",
        "x_label": "silhouette coefficient",
        "y_label": "cluster",
        "mean": "mean = {mean:.3f}",
    },
    "ja": {
        "title": "{n_clusters} クラスタのシルエット図 ({n_samples:,} サンプル)",
        "x_label": "シルエット係数",
        "y_label": "クラスタ",
        "mean": "平均 = {mean:.3f}",
    },
}

_MEAN_COLOR = "#dc2626"
# Most points drawn per cluster band: sorted values are resampled at this
# many quantiles, so a band of 100,000 points looks the same and draws in
# milliseconds.
_MAX_BAND_POINTS = 1000
# Gap between bands, as a fraction of the number of samples (yellowbrick
# uses 10 rows for its typical few hundred points).
_GAP_FRACTION = 0.02


def plot_silhouette(X, labels, ax=None, silhouette_values=None, lang="en"):
    """Silhouette coefficients of every point, sorted within each cluster.

    One filled horizontal band per cluster (its height the cluster's size,
    its profile the cluster's silhouettes sorted upwards), the
    cluster's label as the tick beside it and a dashed line at the mean, as
    yellowbrick's ``SilhouetteVisualizer`` draws it. Bands reaching further
    right mean better separated clusters; values below 0 are points closer
    to another cluster than to their own.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The clustered data; not read when ``silhouette_values`` is given.
    labels : array-like of shape (n_samples,)
        Cluster of each sample (at least 2 distinct labels).
    ax : matplotlib Axes, default=None
        Axes to draw into; a new figure when None.
    silhouette_values : array-like of shape (n_samples,), default=None
        Precomputed silhouette of every sample; computed with
        :func:`kmeanslab.metrics.silhouette_samples` (exact,
        O(n_samples^2)) when None.
    lang : {"en", "ja"}, default="en"
        Language of the title and axis labels; "ja" needs
        ``pip install kmeanslab[ja]``.

    Returns
    -------
    ax : matplotlib Axes

    Raises
    ------
    ValueError
        If labels or silhouette_values do not match the number of samples,
        or there are fewer than 2 clusters.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from kmeanslab._plot_diagnostics import plot_silhouette
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0], [12.0]])
    >>> ax = plot_silhouette(X, [0, 0, 1, 1, 1], ax=Figure().subplots())
    >>> len(ax.collections), ax.get_title()
    (2, 'Silhouette plot of 2 clusters (5 samples)')
    """
    from . import plotting

    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {labels.shape}")
    if silhouette_values is None:
        from .metrics import silhouette_samples

        silhouette_values = silhouette_samples(X, labels)
    values = np.asarray(silhouette_values, dtype=np.float64)
    if values.shape != labels.shape:
        raise ValueError(f"silhouette_values must have shape {labels.shape} to match "
                         f"labels, got shape {values.shape}")
    clusters, codes = np.unique(labels, return_inverse=True)
    if clusters.size < 2:
        raise ValueError(f"the silhouette needs at least 2 clusters, got "
                         f"{clusters.size}")
    n_samples = labels.shape[0]
    messages = _MESSAGES[plotting.check_lang(lang)]
    colors = plotting._label_colors(np.arange(clusters.size), clusters.size)
    gap = max(1.0, _GAP_FRACTION * n_samples)
    with plotting._text_style(lang) as text:
        ax = plotting._get_ax(ax, "clusters")
        y_lower = gap
        band_middles = []
        for code, cluster in enumerate(clusters):
            band = np.sort(values[codes == code])
            size = band.shape[0]
            n_points = min(size, _MAX_BAND_POINTS)
            quantiles = np.linspace(0.0, 1.0, n_points)
            profile = np.interp(quantiles, np.linspace(0.0, 1.0, size), band)
            y = y_lower + quantiles * size
            ax.fill_betweenx(y, 0.0, profile, facecolor=colors[code],
                             edgecolor=colors[code], alpha=0.7)
            band_middles.append(y_lower + 0.5 * size)
            y_lower += size + gap
        mean = float(values.mean())
        ax.axvline(mean, color=_MEAN_COLOR, linestyle="--",
                   label=messages["mean"].format(mean=mean))
        ax.set_xlim(min(-0.1, float(values.min()) - 0.05), 1.0)
        ax.set_ylim(0.0, y_lower)
        # The cluster labels, as tick labels beside the middle of each band.
        ax.set_yticks(band_middles, [str(cluster) for cluster in clusters])
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel(messages["x_label"])
        ax.set_ylabel(messages["y_label"])
        ax.set_title(messages["title"].format(n_clusters=clusters.size,
                                              n_samples=n_samples))
        ax.legend(loc="lower right")
        ax.grid(alpha=0.2, axis="x")
        text.apply_font(ax)
    return ax
