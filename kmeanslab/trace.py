"""The convergence trace: what happened in every iteration of every restart.

A trace is recorded by every fit at a cost of O(n_clusters * n_features) per
iteration (no extra pass over the data). Per-iteration labels are kept only
when asked (``record_labels=True``), since they cost O(n_samples) each.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class IterationRecord:
    """One Lloyd iteration: an assignment step followed by a centre update.

    Attributes
    ----------
    iteration : int
        1-based iteration number; the fit with ``max_iter=iteration`` stops
        here.
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
    """

    iteration: int
    centers: np.ndarray
    inertia: float
    center_shift: float
    n_changed: int
    relocated: tuple
    elapsed: float
    labels: np.ndarray | None = None


@dataclass(frozen=True)
class RunTrace:
    """One restart: its initial centres, its iterations and how it ended.

    ``stopped`` is "strict" (labels did not change), "tol" (centre shift within
    tolerance) or "max_iter".
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

    The array-valued properties (``inertia``, ``centers``, ``n_changed`` ...)
    describe the best run, one entry per iteration. With
    ``refine="breathing"``, ``moves[r]`` holds run r's structural moves
    (:class:`kmeanslab.breathing.MoveRecord`) and the best run's iterations
    are those of all its k-means runs in order.
    """

    runs: tuple
    best_run: int
    moves: tuple = ()

    @property
    def best(self) -> RunTrace:
        return self.runs[self.best_run]

    @property
    def iterations(self):
        return self.best.iterations

    def __len__(self):
        return len(self.best.iterations)

    def __getitem__(self, i):
        return self.best.iterations[i]

    def _column(self, name, dtype=None):
        return np.array([getattr(r, name) for r in self.best.iterations], dtype=dtype)

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
        if any(r.labels is None for r in self.best.iterations):
            raise ValueError(
                "labels were not recorded; fit with record_labels=True to keep them"
            )
        return np.stack([r.labels for r in self.best.iterations])

    def centers_at(self, iteration):
        """Centres after the given 1-based iteration of the best run."""
        its = self.best.iterations
        if not 1 <= iteration <= len(its):
            raise ValueError(
                f"iteration must be in 1..{len(its)}, got {iteration}"
            )
        return its[iteration - 1].centers

    def labels_at(self, iteration):
        """Labels for the centres after the given 1-based iteration."""
        its = self.best.iterations
        if not 1 <= iteration <= len(its):
            raise ValueError(f"iteration must be in 1..{len(its)}, got {iteration}")
        labels = its[iteration - 1].labels
        if labels is None:
            raise ValueError(
                "labels were not recorded; fit with record_labels=True to keep them")
        return labels

    def to_pandas(self, all_runs=False):
        """One row per iteration (of the best run, or of every run).

        Columns: run, iteration, inertia, center_shift, n_changed,
        n_relocated, relocated, elapsed.
        """
        import pandas as pd

        runs = self.runs if all_runs else (self.best,)
        rows = [
            {
                "run": run.run,
                "iteration": r.iteration,
                "inertia": r.inertia,
                "center_shift": r.center_shift,
                "n_changed": r.n_changed,
                "n_relocated": len(r.relocated),
                "relocated": list(r.relocated),
                "elapsed": r.elapsed,
            }
            for run in runs
            for r in run.iterations
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
        """Inertia and changed labels per iteration; returns the Axes."""
        from .plotting import plot_trace

        return plot_trace(self, ax=ax, **kwargs)
