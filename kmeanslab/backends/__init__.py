"""Data backends behind the one engine loop.

A backend owns the data and answers a handful of questions, so the engine
loop in ``kmeanslab._engine`` is written once for every place the data may
live (NumPy in memory today; Dask and PyTorch plug in the same way):

``n_samples``, ``n_features``, ``dtype``
    The shape and floating type of the data.
``feature_variance_mean()``
    Mean over features of the per-feature variance (scales ``tol``).
``total_weight()``, ``take_rows(idx)``, ``weights_of(idx)``
    Sample access for seeding and empty-cluster relocation.
``candidate_sq_dists(candidates, closest_sq_dist)``
    For k-means++: distances to each candidate (capped by the current
    closest distance) and their weighted sums.
``assign(centers)``
    Exact nearest centre and squared distance of every sample.
``inertia(centers, labels)``
    Weighted sum of squared distances of samples to their assigned centres.
``start_run(algorithm, n_clusters)``
    A run state with ``labels``, ``step(centers, center_shift)`` (assign to
    these centres and return labels' per-cluster sums, weights, the number of
    changed labels and the inertia), and ``farthest(centers, n)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class StepStats:
    """What one assignment step reports to the engine.

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


def is_dask_collection(X):
    """True when X is a Dask collection (array, DataFrame); never imports
    dask itself."""
    return type(X).__module__.startswith("dask")


def get_backend(X, sample_weight):
    """Return the backend that owns X: Dask for a Dask collection (the
    ``dask`` extra), else the in-memory NumPy backend."""
    if is_dask_collection(X):
        from ._dask import DaskBackend

        return DaskBackend(X, sample_weight)
    from ._cpu import CPUBackend

    return CPUBackend(X, sample_weight)
