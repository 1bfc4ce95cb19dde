"""Breathing k-means: escape k-means' local optima by adding and removing
centres (Fritzke 2020, "Breathing K-Means: Superior K-Means Solutions
through Dynamic K-Values").

Starting from a converged k-means solution, every cycle

1. *breathes in*: adds ``m`` centres, each beside one of the ``m`` centres
   with the largest error, and runs k-means with ``k + m`` centres;
2. *breathes out*: removes the ``m`` centres of lowest utility (the error
   increase their removal would cause), never two that are nearest
   neighbours of each other in the same cycle, and runs k-means with ``k``
   centres again.

A cycle that lowers the inertia by more than the relative ``theta`` is kept;
otherwise ``m`` shrinks by one. The search ends when ``m`` reaches 0, so its
result is never worse than its own starting solution. Every k-means run is
the engine's own (:func:`kmeanslab._engine.run_single`) on the same backend,
capped by the same ``max_iter``, and is one *phase* of the restart's trace
(see :mod:`kmeanslab.trace`); the restart's ``n_iter`` is that of the
k-centre run whose centres it returns.

Each run after the first, and each removal-utility pass, is handed the last
run's labels as a :class:`~kmeanslab.backends.Hint` (after breathing out,
the samples of a removed centre are hinted to the kept centre nearest to
it): most samples keep their nearest centre, so a backend can find the two
nearest centres from a few candidates instead of all. Hints save work only;
the results are those of runs without them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from ._engine import logger as _progress
from ._engine import run_single
from .backends._protocol import Hint

DEFAULT_M = 5
DEFAULT_THETA = 1e-4
# A new centre starts this fraction of its cluster's RMS radius away from
# the centre it splits, in a random direction: close enough to share the
# cluster, far enough apart for Lloyd to pull the two apart.
SPLIT_OFFSET = 0.1


@dataclass(frozen=True)
class MoveRecord:
    """One structural move of the breathing search.

    kind is "start", "breathe in" or "breathe out"; ``n_clusters`` is the
    number of centres after the move, ``inertia`` the inertia after the
    k-means run that followed it, ``accepted`` whether the cycle it ends was
    kept (only for "breathe out").
    """

    cycle: int
    kind: str
    m: int
    n_clusters: int
    inertia: float
    n_iter: int
    accepted: bool | None
    elapsed: float


def breathing_run(backend, centers_init, *, algorithm, max_iter, tol,
                  random_state, m=DEFAULT_M, theta=DEFAULT_THETA, run=0,
                  record_labels=False):
    """Breathing k-means from ``centers_init``; same returns as
    :func:`kmeanslab._engine.run_single` plus the tuple of MoveRecord.

    The RunTrace's iterations are those of every k-means run, each marked
    with its phase (0 for the first run, then one per move, in the order of
    the moves after "start") and timed from the start of the restart; its
    ``n_iter`` and ``stopped`` are those of the k-centre run whose centres
    are returned. Progress goes to the engine's logger (DEBUG): each run
    says which breathing step it is, and each cycle whether it was kept.
    """
    t0 = time.perf_counter()
    k = centers_init.shape[0]
    lloyd = dict(algorithm=algorithm, max_iter=max_iter, tol=tol, run=run,
                 record_labels=record_labels)
    labels, centers, inertia, run_trace = run_single(backend, centers_init, **lloyd)
    first_trace = kept = run_trace
    iterations = list(run_trace.iterations)
    moves = [MoveRecord(0, "start", 0, k, inertia, run_trace.n_iter, None,
                        time.perf_counter() - t0)]
    # Never more centres than samples: breathing in adds m.
    m = max(0, min(m, k, backend.n_samples - k))
    cycle = 0
    while m > 0:
        cycle += 1
        grown = _breathe_in(backend, centers, labels, m, random_state)
        start = time.perf_counter() - t0
        # The new centres come last: the old labels index the same centres.
        grown_labels, grown, grown_inertia, tr_in = run_single(
            backend, grown, **lloyd, hint=Hint(labels),
            start_message=f"Breathing cycle {cycle}: breathe in, {len(grown)} "
                          f"centres (m={m})")
        moves.append(MoveRecord(cycle, "breathe in", m, len(grown), grown_inertia,
                                tr_in.n_iter, None, time.perf_counter() - t0))
        iterations += _in_phase(tr_in, len(moves) - 1, start)
        shrunk, relabel = _breathe_out(backend, grown, m, grown_labels)
        start = time.perf_counter() - t0
        labels2, shrunk, inertia2, tr_out = run_single(
            backend, shrunk, **lloyd, hint=Hint(grown_labels, relabel),
            start_message=f"Breathing cycle {cycle}: breathe out, {k} centres")
        accepted = inertia2 < inertia * (1.0 - theta)
        _progress.debug("Breathing cycle %d: inertia %s, %s.", cycle, inertia2,
                        "kept" if accepted else f"not kept (the best is {inertia})")
        moves.append(MoveRecord(cycle, "breathe out", m, k, inertia2,
                                tr_out.n_iter, bool(accepted),
                                time.perf_counter() - t0))
        iterations += _in_phase(tr_out, len(moves) - 1, start)
        if accepted:
            labels, centers, inertia, kept = labels2, shrunk, inertia2, tr_out
        else:
            m -= 1
    run_trace = replace(first_trace, iterations=tuple(iterations), inertia=inertia,
                        n_iter=kept.n_iter, stopped=kept.stopped,
                        elapsed=time.perf_counter() - t0)
    return labels, centers, inertia, run_trace, tuple(moves)


def _in_phase(run_trace, phase, start):
    """The iterations of one k-means run, marked as ``phase`` and timed from
    the start of the restart (the run began ``start`` seconds into it)."""
    return [replace(it, phase=phase, elapsed=start + it.elapsed)
            for it in run_trace.iterations]


def _breathe_in(backend, centers, labels, m, random_state):
    """Centres plus m new ones, each beside a centre of largest error
    (labels: the nearest-centre labels of ``centers``)."""
    error, weight = backend.cluster_errors(centers, labels)
    chosen = np.argsort(-error, kind="stable")[:m]
    radius = np.sqrt(error[chosen] / np.maximum(weight[chosen], 1e-300))
    direction = random_state.normal(size=(m, centers.shape[1]))
    direction /= np.maximum(np.linalg.norm(direction, axis=1, keepdims=True), 1e-300)
    new = centers[chosen] + (SPLIT_OFFSET * radius)[:, None] * direction
    return np.concatenate([centers, new.astype(centers.dtype)])


def _breathe_out(backend, centers, m, labels):
    """Centres minus the m of lowest utility, never removing a centre whose
    nearest neighbour was removed in the same step, and the index among
    them of the centre standing in for each of ``centers`` (itself, or for
    a removed one the nearest kept one); labels: the nearest-centre labels
    of ``centers`` (a hint for the utilities)."""
    utility = backend.removal_utilities(centers, hint=Hint(labels))
    k = centers.shape[0]
    c = centers.astype(np.float64)
    d2 = ((c[:, None, :] - c[None, :, :]) ** 2).sum(-1) if k <= 2048 else None
    if d2 is not None:
        np.fill_diagonal(d2, np.inf)
        nearest = d2.argmin(axis=1)
    removed = []
    frozen = np.zeros(k, dtype=bool)
    for j in np.argsort(utility, kind="stable"):
        if len(removed) == m:
            break
        if frozen[j]:
            continue
        removed.append(j)
        if d2 is not None:
            frozen[nearest[j]] = True
    if len(removed) < m:  # everything frozen: fall back to lowest utility
        rest = [j for j in np.argsort(utility, kind="stable") if j not in removed]
        removed.extend(rest[: m - len(removed)])
    keep = np.ones(k, dtype=bool)
    keep[removed] = False
    relabel = np.cumsum(keep) - 1
    removed = np.asarray(removed, dtype=np.intp)
    kept = np.flatnonzero(keep)
    to_kept = ((c[removed, None, :] - c[None, kept, :]) ** 2).sum(-1)
    relabel[removed] = relabel[kept[to_kept.argmin(axis=1)]]
    return np.ascontiguousarray(centers[keep]), relabel
