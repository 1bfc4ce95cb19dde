"""Mini-batch k-means (Sculley 2010) for data that arrives in batches.

Each batch is assigned to the current centres in one fused Lloyd pass (the
in-memory backend's kernels), then every centre moves towards the weighted
mean of its batch samples with a per-centre learning rate: with ``v_c`` the
total weight the centre has absorbed so far and ``S_c``, ``W_c`` the
weighted sum and weight of its samples in this batch,

    v_c <- v_c + W_c,    c <- c + (S_c - W_c * c) / v_c.

This is Sculley's per-sample rule (``v_c += w; eta = w / v_c;
c <- (1 - eta) c + eta x``) applied to the batch's samples one after the
other, which telescopes to exactly this batch form when the assignments
are made once per batch, as scikit-learn's ``MiniBatchKMeans`` does. So a
centre is always the weighted mean of every sample ever assigned to it (each
at the time it was assigned).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.utils import check_random_state

from ._threads import single_threaded_blas
from ._validation import check_init, check_int, check_sample_weight, check_X
from .backends import get_backend
from .init import init_centers

__all__ = ["MiniBatchState", "BatchRecord"]


@dataclass(frozen=True)
class BatchRecord:
    """One mini-batch update.

    Attributes
    ----------
    batch : int
        1-based index of the batch.
    inertia : float
        Weighted sum of squared distances of the batch's samples to the
        centres they were assigned to (the centres before this update).
    center_shift : float
        Sum over clusters of the squared distance each centre moved.
    n_samples_seen : int
        Samples in this batch and all earlier ones.
    """

    batch: int
    inertia: float
    center_shift: float
    n_samples_seen: int


class MiniBatchState:
    """Running state of mini-batch k-means, updated one batch at a time.

    Parameters
    ----------
    n_clusters : int
    init : {"k-means++", "random", "k-means||"}, callable or array of shape (n_clusters, n_features), default="k-means++"
        How the first batch seeds the centres (a scheme runs on that batch
        alone, which must therefore hold at least ``n_clusters`` samples).
    random_state : int, RandomState instance or None, default=None
        For the seeding.

    Attributes
    ----------
    centers : ndarray of shape (n_clusters, n_features) or None
        None until the first batch.
    weight_seen : ndarray of shape (n_clusters,)
        Total sample weight absorbed by each centre (``v_c``).
    labels : ndarray of shape (batch_size,)
        Labels of the last batch (nearest centre before its update).
    n_samples_seen : int
    trace : tuple of BatchRecord
        One record per batch.

    Notes
    -----
    Sculley, "Web-scale k-means clustering", WWW 2010. Each batch costs one
    pass O(batch_size * n_clusters * n_features). No centre is ever
    reassigned: a centre that no sample is nearest to stays where the seeding
    put it.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeanslab.minibatch import MiniBatchState
    >>> state = MiniBatchState(2, init=np.array([[0.0], [10.0]]))
    >>> state.partial_fit(np.array([[1.0], [2.0], [11.0]])).centers.ravel().tolist()
    [1.5, 11.0]
    >>> state.partial_fit(np.array([[3.0]])).centers.ravel().tolist()
    [2.0, 11.0]
    """

    def __init__(self, n_clusters, *, init="k-means++", random_state=None):
        self.n_clusters = n_clusters
        self.init = init
        self.random_state = random_state
        self.centers = None
        self.weight_seen = None
        self.labels = None
        self.n_samples_seen = 0
        self.trace = ()

    def partial_fit(self, X, sample_weight=None):
        """Update the centres with one batch.

        Parameters
        ----------
        X : array-like of shape (batch_size, n_features)
            The first batch fixes the dtype (float32 or float64) and the
            number of features; later batches are converted to that dtype.
        sample_weight : array-like of shape (batch_size,), default=None

        Returns
        -------
        self

        Raises
        ------
        ValueError
            A first batch with fewer than ``n_clusters`` samples, a later
            batch with another number of features, NaN or infinity, or bad
            weights.
        """
        first = self.centers is None
        X = np.ascontiguousarray(check_X(
            X, dtype=None if first else self.centers.dtype))
        if not first and X.shape[1] != self.centers.shape[1]:
            raise ValueError(f"X has {X.shape[1]} features, but the centres "
                             f"have {self.centers.shape[1]}")
        sw = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        backend = get_backend(X, sw)
        if first:
            self._seed(backend, X)
        with single_threaded_blas():
            run = backend.start_run("lloyd", self.n_clusters)
            step = run.step(self.centers)
        old = self.centers.astype(np.float64)
        batch_weight = np.asarray(step.weights, dtype=np.float64)
        self.weight_seen = self.weight_seen + batch_weight
        moved = batch_weight > 0
        new = old.copy()
        new[moved] += ((step.sums[moved] - batch_weight[moved, None] * old[moved])
                       / self.weight_seen[moved, None])
        self.centers = new.astype(X.dtype)
        self.labels = run.labels
        self.n_samples_seen += X.shape[0]
        shift = float(((self.centers.astype(np.float64) - old) ** 2).sum())
        self.trace = self.trace + (BatchRecord(
            batch=len(self.trace) + 1, inertia=float(step.inertia),
            center_shift=shift, n_samples_seen=self.n_samples_seen),)
        return self

    def _seed(self, backend, X):
        k = check_int(self.n_clusters, "n_clusters")
        init = check_init(self.init, k, X.shape[1], X.dtype)
        if X.shape[0] < k and not isinstance(init, np.ndarray):
            raise ValueError(
                f"the first batch has {X.shape[0]} samples; seeding needs at "
                f"least n_clusters={k}")
        random_state = check_random_state(self.random_state)
        with single_threaded_blas():
            self.centers = init_centers(backend, init, k, random_state, X_user=X)
        self.weight_seen = np.zeros(k, dtype=np.float64)

    @property
    def inertia(self):
        """Inertia of the last batch (see :class:`BatchRecord`)."""
        return self.trace[-1].inertia if self.trace else None

    def trace_to_pandas(self):
        """One row per batch: batch, inertia, center_shift, n_samples_seen."""
        import pandas as pd

        return pd.DataFrame([vars(r) for r in self.trace],
                            columns=["batch", "inertia", "center_shift",
                                     "n_samples_seen"])
