"""Figures of :mod:`kmeanslab.diagnostics` and the cluster quality metrics:
the silhouette plot."""

from __future__ import annotations

import numpy as np

from ._style import (CENTER_COLOR, check_lang, get_ax, label_colors,
                     shared_doc, text_style)

__all__ = ["plot_silhouette"]

# Most points drawn per cluster band: sorted values are resampled at this
# many quantiles, so a band of 100,000 points looks the same and draws in
# milliseconds.
_MAX_BAND_POINTS = 1000
# Gap between bands, as a fraction of the number of samples (yellowbrick
# uses 10 rows for its typical few hundred points).
_GAP_FRACTION = 0.02


@shared_doc
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
    %(lang)s

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
    >>> from kmeanslab.plotting import plot_silhouette
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0], [12.0]])
    >>> ax = plot_silhouette(X, [0, 0, 1, 1, 1], ax=Figure().subplots())
    >>> len(ax.collections), ax.get_title()
    (2, 'Silhouette plot of 2 clusters (5 samples)')
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {labels.shape}")
    if silhouette_values is None:
        from ..metrics import silhouette_samples

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
    check_lang(lang)
    colors = label_colors(np.arange(clusters.size), clusters.size)
    gap = max(1.0, _GAP_FRACTION * n_samples)
    with text_style(lang) as text:
        ax = get_ax(ax, "clusters")
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
        ax.axvline(mean, color=CENTER_COLOR, linestyle="--",
                   label=text("silhouette_mean", mean=mean))
        ax.set_xlim(min(-0.1, float(values.min()) - 0.05), 1.0)
        ax.set_ylim(0.0, y_lower)
        # The cluster labels, as tick labels beside the middle of each band.
        ax.set_yticks(band_middles, [str(cluster) for cluster in clusters])
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel(text("silhouette_coefficient"))
        ax.set_ylabel(text("cluster"))
        ax.set_title(text("silhouette_plot_title", n_clusters=clusters.size,
                          n_samples=n_samples))
        ax.legend(loc="lower right")
        ax.grid(alpha=0.2, axis="x")
        text.apply_font(ax)
    return ax
