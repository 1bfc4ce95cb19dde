"""Figures of one traced fit over its iterations: panels per iteration cap,
the inertia trace, and the animated GIF."""

from __future__ import annotations

import numbers
from pathlib import Path

from ._style import (LINE_COLORS, check_points, check_traced_labels, get_ax,
                     label_colors, new_figure, panels, scatter_assignments,
                     scatter_centers, shared_doc, text_style)

__all__ = ["animate_convergence", "plot_convergence", "plot_trace"]


@shared_doc
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
    X = check_points(X)
    max_iters = tuple(max_iters)
    if not max_iters or any(
            isinstance(m, bool) or not isinstance(m, numbers.Integral) or m < 1
            for m in max_iters):
        raise ValueError(
            f"max_iters must be a non-empty sequence of integers >= 1, got "
            f"{max_iters!r}")
    check_traced_labels(trace, len(X))
    n_iter = len(trace)
    with text_style(lang) as text:
        fig, axes = panels(fig, len(max_iters), "panels", sharex=True,
                           sharey=True)
        for ax, max_iter in zip(axes, max_iters):
            record = trace.iterations[min(max_iter, n_iter) - 1]
            scatter_assignments(ax, X, record.labels, len(record.centers))
            scatter_centers(ax, record.centers, text("centroids"))
            ax.set_title(text("max_iter_title", max_iter=max_iter) + "\n"
                         + text("wcss_value", inertia=record.inertia))
            ax.legend(loc="best")
            ax.grid(alpha=0.2)
        text.apply_font(*axes)
        fig.suptitle(text("convergence_title"))
    return fig


@shared_doc
def plot_trace(trace, ax=None, *, lang="en"):
    """Inertia per iteration, with the changed assignments on a twin axis.

    This is what ``ConvergenceTrace.plot`` draws. For a breathing fit the
    k-means run from the seeding is drawn per iteration and then each
    breathing cycle as one point: the inertia of its breathe-out run
    (with k centres again), filled when the cycle was kept, hollow when
    the search went back to the centres before it.

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
    >>> from kmeanslab.plotting import plot_trace
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [5.0, 5.0], [5.0, 6.0]])
    >>> model = KMeans(2, init=X[:2], n_init=1).fit(X)
    >>> ax = plot_trace(model.trace_, ax=Figure().subplots())
    >>> ax.lines[0].get_ydata().tolist() == model.trace_.inertia.tolist()
    True
    """
    from matplotlib.ticker import MaxNLocator

    iterations = [record.iteration for record in trace.iterations]
    cycles = [phase for phase in trace.phases if phase.kind == "breathe out"]
    with text_style(lang) as text:
        ax = get_ax(ax, "trace")
        (inertia_line,) = ax.plot(iterations, trace.inertia, marker="o",
                                  color=LINE_COLORS[0], label=text("inertia"))
        handles = [inertia_line]
        if cycles:
            handles += _draw_cycles(ax, cycles, len(iterations), text)
        ax.set_xlabel(text("iteration_then_cycle" if cycles else "iteration"))
        ax.set_ylabel(text("inertia"))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        changed_ax = ax.twinx()
        (changed_line,) = changed_ax.plot(
            iterations, trace.n_changed, marker="s", linestyle="--",
            color=LINE_COLORS[1], label=text("n_changed"))
        changed_ax.set_ylabel(text("n_changed"))
        changed_ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(handles=handles + [changed_line], loc="upper right")
        ax.set_title(text("trace_title"))
        ax.grid(alpha=0.2)
        text.apply_font(ax, changed_ax)
    return ax


def _draw_cycles(ax, cycles, n_iter, text):
    """One point per breathing cycle after the ``n_iter`` iterations of the
    first run; returns the legend handles."""
    positions = [n_iter + i for i in range(1, len(cycles) + 1)]
    inertia = [phase.inertia for phase in cycles]
    kept = [bool(phase.accepted) for phase in cycles]
    ax.axvline(n_iter + 0.5, color="0.6", linestyle=":", linewidth=1)
    ax.plot(positions, inertia, color=LINE_COLORS[2], linewidth=1, alpha=0.6)
    handles = []
    for accepted, label in ((True, text("breathing_kept",
                                        k=cycles[0].n_clusters)),
                            (False, text("breathing_rejected"))):
        chosen = [i for i, k in enumerate(kept) if k == accepted]
        if chosen:
            (points,) = ax.plot(
                [positions[i] for i in chosen], [inertia[i] for i in chosen],
                marker="D", linestyle="none", color=LINE_COLORS[2],
                markerfacecolor=LINE_COLORS[2] if accepted else "white",
                label=label)
            handles.append(points)
    return handles


@shared_doc
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

    X = check_points(X)
    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise ValueError(f"path must end in '.gif', got {str(path)!r}")
    if not isinstance(fps, numbers.Real) or not fps > 0:
        raise ValueError(f"fps must be a positive number, got {fps!r}")
    check_traced_labels(trace, len(X))
    records = trace.iterations
    n_clusters = len(records[0].centers)
    with text_style(lang) as text:
        fig = new_figure("animation")
        ax = fig.subplots()
        points = scatter_assignments(ax, X, records[0].labels, n_clusters)
        centers = scatter_centers(ax, records[0].centers, text("centroids"))
        title = ax.set_title("")
        ax.legend(loc="upper right")
        ax.grid(alpha=0.2)
        text.apply_font(ax)
        writer = PillowWriter(fps=fps)
        with writer.saving(fig, path, dpi):
            for record in records:
                points.set_facecolors(label_colors(record.labels, n_clusters))
                centers.set_offsets(record.centers[:, :2])
                title.set_text(text("frame_title", iteration=record.iteration,
                                    n_iter=len(records),
                                    inertia=record.inertia))
                writer.grab_frame()
    return path
