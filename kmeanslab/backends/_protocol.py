"""The backend protocol: what the fit driver, the engine loop and the seeding
ask of the place where the data lives.

A backend owns the data (samples and their weights) and answers a fixed set
of questions, so that the fit driver (:mod:`kmeanslab._driver`), the engine
loop (:func:`kmeanslab._engine.run_single`), breathing k-means and the
seeding schemes (:mod:`kmeanslab.init`) are written once for every place
the data may live: in memory as a NumPy array (``backends._cpu``), as a
row-chunked Dask array (``backends.dask``), and next as a SciPy CSR matrix
or a PyTorch tensor.

Conventions
-----------
- *Host* arrays are NumPy arrays in this process. Centres always go in and
  come out as host arrays of shape (n_clusters, n_features) in the backend's
  ``dtype``; a backend copies them to where its data lives (a Dask graph
  node, a GPU) itself.
- *Native* values stay where the data lives and are only handed back to the
  same backend: the labels of a run (an ndarray, per-block Dask results, a
  device tensor) and per-sample distances. Callers index labels with an
  array of sample indices (which gives a host array), pass them back, or
  turn them into the user's labels with :meth:`Backend.user_labels`.
- Samples are addressed by their global row index (``0 <= i < n_samples``);
  nothing here assumes that ``X`` can be sliced like a NumPy array.
- A backend that cannot answer a question raises ``NotImplementedError``
  whose message names the backend and says what to use instead (see
  :func:`unsupported`); the driver checks ``algorithms``, ``refinements``
  and ``init_aliases`` first, so a fit never gets that far.

:class:`Backend` and :class:`RunState` list exactly the members callers use;
``tests/backends/test_protocol.py`` checks that every backend class has them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

__all__ = ["Backend", "DataSummary", "Hint", "RunState", "StepStats",
           "unsupported"]


@dataclass(frozen=True)
class StepStats:
    """What one assignment step reports to the engine (host values).

    sums : ndarray of shape (n_clusters, n_features)
        Weighted sum of the samples assigned to each cluster.
    weights : ndarray of shape (n_clusters,)
        Total sample weight per cluster.
    counts : ndarray of shape (n_clusters,)
        Number of samples of positive weight per cluster: a cluster with
        none is empty (decided on these integers, never on float weights).
    n_changed : int
        Samples whose label changed in this step.
    inertia : float
        Weighted sum of squared distances of the samples to the centres they
        were just assigned to.
    """

    sums: np.ndarray
    weights: np.ndarray
    counts: np.ndarray
    n_changed: int
    inertia: float


@dataclass(frozen=True)
class DataSummary:
    """Per-feature statistics of a backend's data, from one pass (host values).

    mean : ndarray of shape (n_features,), float64
        Unweighted mean of every feature.
    variance_mean : float
        Mean over features of the unweighted per-feature variance (it scales
        ``tol``); not finite when the squares overflow.
    amax : float
        Largest absolute value in the data (it decides the power-of-two
        scaling of the working space).
    """

    mean: np.ndarray
    variance_mean: float
    amax: float


@dataclass(frozen=True)
class Hint:
    """A guess of every sample's nearest centre, from an earlier run on the
    same backend (breathing k-means starts each run from the last one's
    labels). Hints only save work: a backend may ignore them, and results
    never depend on them.

    labels : native labels of shape (n_samples,)
        The earlier run's labels.
    relabel : ndarray of shape (n_old_clusters,) or None, default=None
        Host ints: the index, among the centres now asked about, of the
        centre that stands in for each earlier centre (None: the same
        index). The guess for sample i is ``relabel[labels[i]]``.
    """

    labels: Any
    relabel: np.ndarray | None = None


def unsupported(backend_name, what, advice):
    """The ``NotImplementedError`` a backend raises for a question it cannot
    answer: ``"the <name> backend does not support <what>; <advice>"``."""
    return NotImplementedError(
        f"the {backend_name} backend does not support {what}; {advice}")


class RunState(Protocol):
    """The state of one k-means run on a backend (from ``start_run``)."""

    @property
    def labels(self) -> Any:
        """Native labels of the last step: nearest-centre index (int32) of
        every sample, -1 before the first step."""
        ...

    def step(self, centers: np.ndarray,
             center_shift: np.ndarray | None = None) -> StepStats:
        """Assign every sample to its nearest centre and return the new
        labels' statistics.

        centers : ndarray of shape (n_clusters, n_features), host
        center_shift : ndarray of shape (n_clusters,) or None
            How far each centre moved since the previous step (None on the
            first); bounded algorithms use it to skip samples.
        """
        ...

    def farthest(self, centers: np.ndarray, n: int) -> np.ndarray:
        """Host int64 indices of the ``n`` samples of positive weight
        farthest from their assigned centres (``labels``), farthest first,
        ties to the lower index; ``n <= n_positive``."""
        ...


class Backend(Protocol):
    """The data (samples and weights) and every question asked of it."""

    #: Short name used in messages ("cpu", "dask").
    name: str
    #: Run algorithms ``start_run`` accepts; always includes "lloyd" (the
    #: bounded variants give Lloyd's result, so a backend without them
    #: runs Lloyd instead).
    algorithms: tuple[str, ...]
    #: Seeding names this backend runs as another scheme (e.g. the Dask
    #: backend runs "k-means++" as "k-means||").
    init_aliases: Mapping[str, str]
    #: ``refine`` methods it supports ("breathing" needs ``cluster_errors``
    #: and ``removal_utilities``).
    refinements: tuple[str, ...]
    #: Whether "k-means||" seeds data large next to ``n_clusters`` from a
    #: weighted sample (:func:`kmeanslab.init.sample_init`): for a backend
    #: whose passes over the data are costly (Dask); the in-memory backends
    #: run the rounds on all the data.
    seeds_from_sample: bool
    #: Whether ``transformed`` accepts a shift (the fit then works on a
    #: centred copy when ``copy_x``).
    can_center: bool

    @property
    def X(self) -> Any:
        """The samples in the backend's own form (ndarray, dask array, ...):
        what a callable ``init`` is given."""
        ...

    @property
    def n_samples(self) -> int:
        ...

    @property
    def n_features(self) -> int:
        ...

    @property
    def dtype(self) -> np.dtype:
        """float32 or float64: the type of the data, centres and distances."""
        ...

    @property
    def sample_weight(self) -> Any:
        """Weights of shape (n_samples,) in the backend's array type, ones
        when the fit is unweighted; ``np.asarray`` gives a host copy."""
        ...

    @property
    def n_positive(self) -> int:
        """Number of samples of positive weight (the only ones an empty
        cluster may be moved onto)."""
        ...

    # --- Preparing the working space ----------------------------------------

    def summary(self) -> DataSummary:
        """One pass of statistics; raises ValueError naming what is wrong
        with data the backend could not check on construction."""
        ...

    def transformed(self, shift: np.ndarray | None, scale: float) -> Backend:
        """A backend over ``(X - shift) * scale`` (``scale`` a power of two,
        exact) with the same weights; ``self`` when nothing changes."""
        ...

    def thread_context(self, n_threads: int | None) -> AbstractContextManager:
        """The context a fit with ``n_threads`` runs in (thread limits that
        are restored on exit)."""
        ...

    # --- Sample access and seeding ------------------------------------------

    def take_rows(self, idx: np.ndarray) -> np.ndarray:
        """Host rows of shape (len(idx), n_features) of the given samples."""
        ...

    def weights_of(self, idx: np.ndarray) -> np.ndarray:
        """Host weights of shape (len(idx),) of the given samples."""
        ...

    def weighted_sample(self, size: int, random_state: np.random.RandomState
                        ) -> np.ndarray:
        """Host int64 indices of ``size`` distinct samples drawn in
        proportion to their weight (``size <= n_positive``)."""
        ...

    def candidate_sq_dists(self, candidates: np.ndarray,
                           closest_sq_dist: Any, store: bool = True
                           ) -> tuple[Any, np.ndarray]:
        """For k-means++: for each of the t candidates (host, shape
        (t, n_features)), ``min(closest_sq_dist, squared distance to it)``
        for every sample (native, shape (t, n_samples); None unless
        ``store``) and its weighted sum (host, shape (t,))."""
        ...

    def draw_by_potential(self, closest_sq_dist: Any, targets: np.ndarray
                          ) -> np.ndarray:
        """For k-means++'s D^2 sampling: host int64 indices of the first
        sample at which the running sum of ``weight * closest_sq_dist``
        (native, shape (n_samples,), accumulated in float64 in row order)
        reaches each of the host ``targets``, clipped to ``n_samples - 1``."""
        ...

    def kmeans_parallel_candidates(
            self, n_clusters: int, random_state: np.random.RandomState, *,
            oversampling: float, n_rounds: int
    ) -> tuple[np.ndarray, np.ndarray, Callable[[int], np.ndarray]]:
        """The candidate rounds of k-means|| (Bahmani et al. 2012).

        Returns host ``(candidates, weights, top_up)``: the candidates of
        shape (n_candidates, n_features), the total sample weight nearest
        to each (float64), and ``top_up(size)``, which draws ``size`` more
        distinct sample indices in proportion to weight from these rounds'
        random stream (for when too few candidates have positive weight).
        The reduction to ``n_clusters`` centres is
        :func:`kmeanslab.init.parallel_init`'s.
        """
        ...

    # --- Distances ------------------------------------------------------------

    def assign(self, centers: np.ndarray) -> tuple[Any, Any]:
        """Native (labels, squared distance to the nearest centre)."""
        ...

    def assign_two(self, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                       np.ndarray]:
        """Host (labels, squared distance to the nearest and to the second
        nearest centre), each of shape (n_samples,)."""
        ...

    def sq_dist_to_assigned(self, centers: np.ndarray, labels: Any) -> np.ndarray:
        """Host squared distance of every sample to its centre in ``labels``."""
        ...

    def cluster_errors(self, centers: np.ndarray, labels: Any
                       ) -> tuple[np.ndarray, np.ndarray]:
        """Host float64 arrays of shape (n_clusters,): per cluster of
        ``labels``, the weighted sum of squared distances of its samples to
        their centre, and their total weight (breathing in)."""
        ...

    def removal_utilities(self, centers: np.ndarray, hint: Hint | None = None
                          ) -> np.ndarray:
        """Host float64 array of shape (n_clusters,): per centre, the
        weighted sum over the samples nearest to it of (squared distance to
        the second-nearest centre - squared distance to it), the error its
        removal would add (breathing out). ``hint`` may save work, never
        changes the result."""
        ...

    def sq_dists_to_centers(self, centers: np.ndarray) -> Any:
        """Squared distances of shape (n_samples, n_clusters) in the backend's
        array type (lazy for Dask)."""
        ...

    def inertia(self, centers: np.ndarray, labels: Any) -> float:
        """Weighted sum of squared distances of the samples to their
        centres in ``labels``."""
        ...

    # --- Runs and their labels ------------------------------------------------

    def start_run(self, algorithm: str, n_clusters: int,
                  hint: Hint | None = None) -> RunState:
        """A fresh run state for one of ``algorithms``; its first step may
        use ``hint`` to save work, with the same result."""
        ...

    def label_counts(self, labels: Any, n_clusters: int) -> np.ndarray:
        """Host int64 number of samples (of any weight) per cluster."""
        ...

    def count_distinct(self, labels1: Any, labels2: Any, n_clusters: int
                       ) -> tuple[int, int, int]:
        """Numbers of distinct (label1, label2) pairs, distinct labels1 and
        distinct labels2 over the samples (the two labelings are one
        partition up to renaming when the three are equal)."""
        ...

    def user_labels(self, labels: Any) -> Any:
        """The labels as a fit returns them (an ndarray, a dask array)."""
        ...
