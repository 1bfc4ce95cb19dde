"""The convergence trace: what happened in every iteration of every restart.

A trace is recorded by every fit at a cost of O(n_clusters * n_features) per
iteration (no extra pass over the data). Per-iteration labels are kept only
when asked (``record_labels=True``), since they cost O(n_samples) each.

A restart is one or more k-means runs, its *phases*: the run from the
seeding (``kind="k-means"``), and with ``refine="breathing"`` one run per
breathe-in (k + m centres) and per breathe-out (k centres) of every
breathing cycle. Iterations are numbered within their phase, so iteration i
of the first phase is what a fit with ``max_iter=i`` and ``refine=None``
returns from the same start.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class IterationRecord:
    """One Lloyd iteration: an assignment step followed by a centre update.

    Attributes
    ----------
    iteration : int
        1-based iteration number within its phase (k-means run); for the
        first phase, the fit with ``max_iter=iteration`` (and
        ``refine=None``) stops here.
    centers : ndarray of shape (n_clusters, n_features)
        Centres after this iteration's update (equal to ``cluster_centers_``
        of a separate fit with ``max_iter=iteration`` from the same start).
    inertia : float
        Within-cluster sum of squares of these centres: every sample measured
        to its nearest centre (the ``inertia_`` of that separate fit).
    center_shift : float
        Sum over clusters of the squared distance each centre moved.
    n_changed : int
        Samples whose label changed in this iteration's assignment step (all
        samples in iteration 1).
    relocated : tuple of int
        Clusters found empty in this iteration and moved to far samples.
    elapsed : float
        Seconds since the start of this restart.
    labels : ndarray of shape (n_samples,) or None
        Nearest-centre labels for ``centers`` (what ``predict`` gives for the
        fit with ``max_iter=iteration``); only when labels were recorded.
    phase : int
        Index of the k-means run of the restart this iteration belongs to
        (0: the run from the seeding; see :class:`Phase`).
    """

    iteration: int
    centers: np.ndarray
    inertia: float
    center_shift: float
    n_changed: int
    relocated: tuple
    elapsed: float
    labels: np.ndarray | None = None
    phase: int = 0


@dataclass(frozen=True)
class Phase:
    """One k-means run of a restart (see :attr:`ConvergenceTrace.phases`).

    Attributes
    ----------
    index : int
        Position in the restart, from 0.
    kind : {"k-means", "breathe in", "breathe out"}
        "k-means": the run from the seeding (the only one without
        refinement); "breathe in": the run with ``m`` centres added;
        "breathe out": the run after removing ``m`` centres again.
    cycle : int
        Breathing cycle (0 for the first phase).
    m : int
        Centres added and removed in this cycle (0 for the first phase).
    n_clusters : int
        Number of centres of this run.
    iterations : tuple of IterationRecord
        Its iterations, numbered from 1.
    inertia : float
        Inertia at its end.
    accepted : bool or None
        For "breathe out": whether the cycle lowered the inertia enough to
        be kept (otherwise the restart went on from the centres before it).
    """

    index: int
    kind: str
    cycle: int
    m: int
    n_clusters: int
    iterations: tuple
    inertia: float
    accepted: bool | None = None

    @property
    def n_iter(self):
        """Iterations of this run."""
        return len(self.iterations)


@dataclass(frozen=True)
class RunTrace:
    """One restart: its initial centres, its iterations and how it ended.

    ``iterations`` holds the iterations of every phase in order (each
    record's ``phase`` says which). ``n_iter`` counts the iterations of the
    k-centre run whose centres the restart returns (the first phase, or
    the last accepted breathe-out), at most ``max_iter``, as scikit-learn's
    ``n_iter_``. ``stopped`` is "strict" (labels did not change), "tol"
    (centre shift within tolerance) or "max_iter".
    """

    run: int
    init_centers: np.ndarray
    iterations: tuple
    inertia: float
    n_iter: int
    stopped: str
    elapsed: float


@dataclass(frozen=True)
class ConvergenceTrace:
    """Every restart of a fit; the best one is ``runs[best_run]``.

    ``iterations`` and the array-valued properties (``inertia``,
    ``centers``, ``n_changed`` ...) describe the first phase of the best
    run, one entry per iteration: the k-means run from the seeding, which
    is the whole run without refinement. With ``refine="breathing"``,
    ``phases`` lists every k-means run of the best restart (each
    breathe-in and breathe-out, with its number of centres), and
    ``moves[r]`` holds run r's structural moves
    (:class:`kmeanslab.breathing.MoveRecord`).
    """

    runs: tuple
    best_run: int
    moves: tuple = ()

    @property
    def best(self) -> RunTrace:
        return self.runs[self.best_run]

    @cached_property
    def phases(self):
        """tuple of :class:`Phase`: the k-means runs of the best restart."""
        return self.phases_of(self.best_run)

    def phases_of(self, run):
        """tuple of :class:`Phase`: the k-means runs of restart ``run``."""
        records = self.runs[run].iterations
        moves = self.moves[run] if self.moves else ()
        phases = []
        for index in range(max((r.phase for r in records), default=0) + 1):
            its = tuple(r for r in records if r.phase == index)
            move = moves[index] if index < len(moves) else None
            kind = "k-means" if move is None or move.kind == "start" else move.kind
            phases.append(Phase(
                index=index, kind=kind, cycle=move.cycle if move else 0,
                m=move.m if move else 0,
                n_clusters=(len(its[-1].centers) if its
                            else len(self.runs[run].init_centers)),
                iterations=its, inertia=its[-1].inertia if its else float("nan"),
                accepted=move.accepted if move else None))
        return tuple(phases)

    @cached_property
    def iterations(self):
        """The iterations of the best run's first phase."""
        return tuple(r for r in self.best.iterations if r.phase == 0)

    def __len__(self):
        return len(self.iterations)

    def __getitem__(self, i):
        return self.iterations[i]

    def _column(self, name, dtype=None):
        return np.array([getattr(r, name) for r in self.iterations], dtype=dtype)

    @property
    def inertia(self):
        """ndarray of shape (n_iter,): inertia after each iteration."""
        return self._column("inertia", float)

    @property
    def centers(self):
        """ndarray of shape (n_iter, n_clusters, n_features)."""
        return np.stack([r.centers for r in self.best.iterations])

    @property
    def center_shift(self):
        return self._column("center_shift", float)

    @property
    def n_changed(self):
        return self._column("n_changed", int)

    @property
    def elapsed(self):
        return self._column("elapsed", float)

    @property
    def labels(self):
        """ndarray of shape (n_iter, n_samples); needs ``record_labels=True``."""
        its = self.iterations
        if any(r.labels is None for r in its):
            raise ValueError(
                "labels were not recorded; fit with record_labels=True to keep them"
            )
        return np.stack([r.labels for r in its])

    def centers_at(self, iteration):
        """Centres after the given 1-based iteration of the best run's first
        phase: the ``cluster_centers_`` of a fit with ``max_iter=iteration``
        from the same start (with ``refine=None``, for a breathing fit,
        whose later phases start from the converged first one)."""
        its = self.iterations
        if not 1 <= iteration <= len(its):
            raise ValueError(
                f"iteration must be in 1..{len(its)}, got {iteration}"
            )
        return its[iteration - 1].centers

    def labels_at(self, iteration):
        """Labels for the centres after the given 1-based iteration (of the
        first phase, as :meth:`centers_at`)."""
        its = self.iterations
        if not 1 <= iteration <= len(its):
            raise ValueError(f"iteration must be in 1..{len(its)}, got {iteration}")
        labels = its[iteration - 1].labels
        if labels is None:
            raise ValueError(
                "labels were not recorded; fit with record_labels=True to keep them")
        return labels

    def to_pandas(self, all_runs=False):
        """One row per iteration of every phase (of the best run, or of
        every run).

        Columns: run, phase, kind, cycle, n_clusters, iteration (from 1 in
        each phase), inertia, center_shift, n_changed, n_relocated,
        relocated, elapsed (seconds since the start of the restart).
        """
        import pandas as pd

        indices = range(len(self.runs)) if all_runs else (self.best_run,)
        rows = [
            {
                "run": self.runs[index].run,
                "phase": phase.index,
                "kind": phase.kind,
                "cycle": phase.cycle,
                "n_clusters": phase.n_clusters,
                "iteration": r.iteration,
                "inertia": r.inertia,
                "center_shift": r.center_shift,
                "n_changed": r.n_changed,
                "n_relocated": len(r.relocated),
                "relocated": list(r.relocated),
                "elapsed": r.elapsed,
            }
            for index in indices
            for phase in self.phases_of(index)
            for r in phase.iterations
        ]
        return pd.DataFrame(rows)

    def runs_to_pandas(self):
        """One row per restart: run, inertia, n_iter, stopped, elapsed, best."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "run": r.run,
                    "inertia": r.inertia,
                    "n_iter": r.n_iter,
                    "stopped": r.stopped,
                    "elapsed": r.elapsed,
                    "best": r.run == self.best_run,
                }
                for r in self.runs
            ]
        )

    def moves_to_pandas(self):
        """One row per structural move of the breathing search (best run)."""
        import pandas as pd

        if not self.moves:
            return pd.DataFrame(columns=["cycle", "kind", "m", "n_clusters",
                                         "inertia", "n_iter", "accepted", "elapsed"])
        return pd.DataFrame([asdict(m) for m in self.moves[self.best_run]])

    def plot(self, ax=None, **kwargs):
        """Inertia and changed labels per iteration (then one point per
        breathing cycle); returns the Axes."""
        from .plotting import plot_trace

        return plot_trace(self, ax=ax, **kwargs)
