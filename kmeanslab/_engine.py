"""One k-means run: the iteration loop shared by every algorithm and backend.

The loop follows scikit-learn's Lloyd loop exactly: assign, update centres
(relocating empty clusters), stop when no label changed ("strict
convergence") or when the summed squared centre shift is within the absolute
tolerance, and after the loop reassign the samples to the final centres so
labels, centres and inertia agree.

Progress goes to the ``kmeanslab._engine`` logger at DEBUG level, in
scikit-learn's words ("Initialization complete", "Iteration i, inertia x.",
"Converged at iteration i: ..."; iterations counted from 0 as there):
``KMeans(verbose=1)`` prints it. When DEBUG is not enabled the loop only
checks that once per run.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

import numpy as np

from .backends._protocol import Hint
from .trace import IterationRecord, RunTrace

logger = logging.getLogger(__name__)

#: A run with a ``handover`` switches to the bounded algorithm after the
#: first step that changes at most this fraction of the labels: by then
#: most rows keep their centre and the bounds let them skip the distance
#: pass (on 200k x 32 blobs, k=64, a default fit runs 1.9x faster with
#: Hamerly than with Lloyd, while its first iterations run 10% slower).
HANDOVER_FRACTION = 0.05


def run_single(backend, centers_init, *, algorithm, max_iter, tol, run=0,
               record_labels=False, start_message="Initialization complete",
               project=None, hint=None, handover=None):
    """Run k-means once from ``centers_init`` on ``backend``.

    Parameters
    ----------
    backend : backend object (see ``kmeanslab.backends``)
    centers_init : ndarray of shape (n_clusters, n_features)
    algorithm : {"lloyd", "hamerly"}
    max_iter : int
    tol : float
        Absolute tolerance on the summed squared centre shift.
    run : int
        Index of this restart, for the trace.
    record_labels : bool
        Keep the labels for every iteration in the trace.
    start_message : str or None, default="Initialization complete"
        Logged (DEBUG) before the first iteration; callers running k-means
        from centres of their own (breathing) say what those are.
    project : callable or None, default=None
        ``project(centers, previous)`` maps float64 centres of shape
        (n_clusters, n_features) to the centres the run uses, applied to
        the initial centres (``previous`` None) and after every update
        (``previous`` the centres the update started from, in the
        backend's type): spherical k-means scales them to unit norm, and
        keeps the previous centre where a mean has no direction. It may
        work in place on the array it is given, which the loop owns.
    hint : Hint or None, default=None
        A guess of every sample's nearest initial centre (an earlier run's
        labels, see :class:`kmeanslab.backends.Hint`), handed to the
        backend's ``start_run``: the first assignment may use it to save
        work; the results are those of the run without it.

    handover : str or None, default=None
        A bounded algorithm to continue with once a step changes at most
        ``HANDOVER_FRACTION`` of the labels: the run starts with
        ``algorithm`` (Lloyd, whose full pass is cheapest while most rows
        are in doubt) and hands its labels over as a hint. Both give
        Lloyd's result; the handover only changes the cost.

    Returns
    -------
    labels : ndarray of shape (n_samples,)
    centers : ndarray of shape (n_clusters, n_features)
    inertia : float
    run_trace : RunTrace
    """
    t_start = time.perf_counter()
    n_clusters = centers_init.shape[0]
    state = (backend.start_run(algorithm, n_clusters) if hint is None
             else backend.start_run(algorithm, n_clusters, hint=hint))
    if project is not None:
        centers_init = project(np.array(centers_init, dtype=np.float64), None)
    centers = np.array(centers_init, dtype=backend.dtype, order="C")
    shift = None
    pending = []  # records whose inertia/labels come from the next assignment
    difference = np.empty(centers.shape, dtype=np.float64)  # reused each step
    records = []
    stopped = "max_iter"
    verbose = logger.isEnabledFor(logging.DEBUG)
    if verbose and start_message:
        logger.debug("%s", start_message)

    handed_over = None  # the labels before the first step of a handed-over run
    for it in range(max_iter):
        if handed_over is None:
            step = state.step(centers, shift)
        else:
            # A fresh run state: its first step starts its bounds afresh and
            # counts the changes against the labels it was handed.
            step = state.step(centers, None)
            step = replace(step, n_changed=int(np.count_nonzero(
                handed_over != np.asarray(state.labels))))
            handed_over = None
        if verbose:
            # The inertia of this assignment to the centres it was made to,
            # in the working units (the data's, up to a power-of-two rescale).
            logger.debug("Iteration %d, inertia %s.", it, step.inertia)
        if pending:
            records.append(_complete(pending.pop(), step.inertia, state.labels,
                                     record_labels))
        new_centers, relocated = _update_centers(backend, state, step, centers,
                                                 project)
        # (new - old)^2 summed per row, squaring in place: the same sums as
        # ((new - old) ** 2).sum(axis=1) with one temporary instead of two.
        np.subtract(new_centers, centers, out=difference, dtype=np.float64)
        difference *= difference
        shift = np.sqrt(difference.sum(axis=1)).astype(backend.dtype)
        shift_tot = float((shift.astype(np.float64) ** 2).sum())
        centers = new_centers
        pending.append(dict(iteration=it + 1, centers=centers.copy(),
                            center_shift=shift_tot, n_changed=step.n_changed,
                            relocated=relocated,
                            elapsed=time.perf_counter() - t_start))
        if it > 0 and step.n_changed == 0 and not relocated:
            stopped = "strict"
            if verbose:
                logger.debug("Converged at iteration %d: strict convergence.", it)
            break
        if shift_tot <= tol:
            stopped = "tol"
            if verbose:
                logger.debug("Converged at iteration %d: center shift %s within "
                            "tolerance %s.", it, shift_tot, tol)
            break
        if (handover is not None and it > 0
                and step.n_changed <= HANDOVER_FRACTION * backend.n_samples):
            handed_over = np.array(state.labels)
            state = backend.start_run(handover, n_clusters,
                                      hint=Hint(handed_over))
            handover = None
    else:
        if verbose:
            logger.debug("Stopped at max_iter=%d without converging.", max_iter)

    if stopped == "strict":
        # Labels are unchanged and the centres are their means: only the
        # inertia needs measuring.
        labels = state.labels
    else:
        # One more assignment step (bounded where the algorithm has bounds:
        # exact, and far cheaper than a full pass).
        state.step(centers, shift)
        labels = state.labels
    inertia = backend.inertia(centers, labels)
    records.append(_complete(pending.pop(), inertia, labels, record_labels))
    run_trace = RunTrace(run=run, init_centers=np.array(centers_init),
                         iterations=tuple(records), inertia=inertia,
                         n_iter=len(records), stopped=stopped,
                         elapsed=time.perf_counter() - t_start)
    return labels, centers, inertia, run_trace


def _complete(pending, inertia, labels, record_labels):
    return IterationRecord(inertia=inertia,
                           labels=np.array(labels) if record_labels else None,
                           **pending)


def _update_centers(backend, state, step, centers_old, project=None):
    """New centres: the weighted means of their samples, with empty clusters
    moved onto samples far from their centres (as scikit-learn does).

    A cluster is empty when it holds no sample of positive weight
    (``step.counts``, which counts only those, is zero). Empty clusters
    (lowest index first) are moved onto the samples farthest from their
    centres, farthest first, taken among the samples of positive weight that
    do not sit on their centre: a centre on a zero-weight sample would weigh
    nothing and be empty again at the next step, and one on a sample already
    at distance 0 would not lower the inertia (with duplicated points, the
    centres would swap between copies forever). Each moved
    sample leaves its old cluster: its weight and row are taken out of that
    cluster's sums and its count drops by one. Emptiness is decided by these
    integer counts, never by a difference of float weights, which can leave
    a rounding residue (0.3 + 0.2 + 0.4 - 0.3 - 0.2 - 0.4 > 0).

    A cluster whose every sample of positive weight moved to empty clusters
    ("drained") takes the weighted mean of the samples it held at this step,
    as if none had moved: a point inside the data, where the next step
    decides again which samples it keeps. When there are more empty
    clusters than samples of positive weight, the clusters beyond that keep
    their centre. ``project``, when given, maps the new centres (float64)
    to the ones returned, given the old ones (see :func:`run_single`).
    """
    # Copied below only when relocation changes them (a backend may hand
    # over its own buffers).
    sums = np.asarray(step.sums, dtype=np.float64)
    weights = np.array(step.weights, dtype=np.float64)
    counts = np.array(step.counts, dtype=np.int64)
    held = counts > 0
    # Means of the clusters that hold samples, the old centre elsewhere
    # (written in place: with many clusters in many dimensions each pass
    # over the centres costs as much as an assignment of sparse rows).
    new_centers = np.array(centers_old, dtype=np.float64)
    np.divide(sums, weights[:, None], out=new_centers, where=held[:, None])
    empty = np.flatnonzero(counts == 0)[:backend.n_positive]
    relocated_rows = []
    if empty.size:
        far = state.farthest(centers_old, empty.size)
        empty = empty[:far.size]
        sums = sums.copy()
        rows = backend.take_rows(far).astype(np.float64)
        row_weights = backend.weights_of(far).astype(np.float64)
        old = np.asarray(state.labels[far])
        for cluster, row, w, o in zip(empty, rows, row_weights, old):
            sums[o] -= w * row
            weights[o] -= w
            counts[o] -= 1
            relocated_rows.append((cluster, row))
    if relocated_rows:
        # Clusters that lost samples to relocation and kept some: the mean
        # of what they kept (drained ones keep the mean of what they held).
        kept = held & (counts > 0) & (counts < np.asarray(step.counts))
        new_centers[kept] = sums[kept] / weights[kept, None]
    for cluster, row in relocated_rows:
        new_centers[cluster] = row
    if project is not None:
        new_centers = project(new_centers, centers_old)
    return (new_centers.astype(backend.dtype, copy=False),
            tuple(int(c) for c in empty))
