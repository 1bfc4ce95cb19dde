"""Figures of where the samples go: the data and its seeds, the clusters,
and the walkthrough's overlap panels."""

from __future__ import annotations

import numpy as np

from ._style import (SAMPLE_COLOR, SEED_COLOR, check_labels, check_lang,
                     check_points, get_ax, label_colors, panels, scatter_assignments,
                     scatter_centers, shared_doc, text_style)

__all__ = ["plot_clusters", "plot_initial_configuration", "plot_overlap_effect"]


@shared_doc
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
    X = check_points(X)
    centers = check_points(centers, "centers")
    with text_style(lang) as text:
        ax = get_ax(ax, "initial")
        if labels is None:
            ax.scatter(X[:, 0], X[:, 1], c=SAMPLE_COLOR, marker="x",
                       label=text("samples"))
        else:
            labels = check_labels(labels, len(X))
            ax.scatter(X[:, 0], X[:, 1], marker="x", label=text("samples"),
                       c=label_colors(labels, int(labels.max(initial=0)) + 1))
        ax.scatter(centers[:, 0], centers[:, 1], c=SEED_COLOR, marker="o",
                   s=80, label=text("initial_centroids"))
        ax.set_title(text("initial_title"))
        ax.legend(loc="best")
        ax.grid(alpha=0.2)
        text.apply_font(ax)
    return ax


@shared_doc
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
    X = check_points(X)
    labels = check_labels(labels, len(X))
    n_clusters = int(labels.max(initial=0)) + 1
    with text_style(lang) as text:
        ax = get_ax(ax, "clusters")
        scatter_assignments(ax, X, labels, n_clusters)
        if centers is not None:
            scatter_centers(ax, check_points(centers, "centers"),
                            text("centroids"))
            ax.legend(loc="best")
        ax.set_title(text("clusters_title") if title is None else title)
        ax.grid(alpha=0.2)
        text.apply_font(ax)
    return ax


@shared_doc
def plot_overlap_effect(stds=(1.0, 2.0, 3.0, 4.5), random_state=117117,
                        fig=None, *, lang="en", runs=None):
    """Two-cluster k-means on blobs of growing spread (walkthrough step 3).

    Draws one panel per run of
    :func:`kmeanslab.diagnostics.overlap_experiment`: three blobs of
    ``make_blobs(n_samples=1000, random_state=random_state, cluster_std=std)``
    coloured by the labels of ``KMeans(n_clusters=2,
    random_state=random_state)``. Pass ``runs`` to draw an experiment
    already computed; otherwise this function runs it.

    Parameters
    ----------
    stds : sequence of float, default=(1.0, 2.0, 3.0, 4.5)
        One panel per blob standard deviation, two per row; not used when
        ``runs`` is given.
    random_state : int, default=117117
        Seed for both the data and the clustering; not used when ``runs``
        is given.
    fig : matplotlib Figure, default=None
        Empty figure to draw into; a new one when None.
    %(lang)s
    runs : sequence of OverlapRun, default=None
        The result of :func:`kmeanslab.diagnostics.overlap_experiment`.

    Returns
    -------
    fig : matplotlib Figure

    Raises
    ------
    ValueError
        If ``stds`` (or ``runs``) is empty or a standard deviation is not
        positive.

    See Also
    --------
    kmeanslab.diagnostics.overlap_table : the same runs as numbers.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from kmeanslab.diagnostics import overlap_experiment
    >>> from kmeanslab.plotting import plot_overlap_effect
    >>> runs = overlap_experiment(stds=(1.0, 4.5))
    >>> fig = plot_overlap_effect(runs=runs, fig=Figure())
    >>> [ax.get_title() for ax in fig.axes]
    ['cluster_std = 1.0', 'cluster_std = 4.5']
    """
    check_lang(lang)
    if runs is None:
        from ..diagnostics import overlap_experiment

        runs = overlap_experiment(stds, random_state)
    runs = tuple(runs)
    if not runs:
        raise ValueError("runs must hold at least one run of overlap_experiment")
    with text_style(lang) as text:
        fig, axes = panels(fig, len(runs), "panels", sharex=True, sharey=True)
        for ax, run in zip(axes, runs):
            scatter_assignments(ax, np.asarray(run.X), run.labels,
                                len(run.centers))
            ax.set_title(text("overlap_panel", std=run.cluster_std))
            ax.grid(alpha=0.2)
        text.apply_font(*axes)
        fig.suptitle(text("overlap_title"))
    return fig
