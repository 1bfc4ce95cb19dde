"""Plain NumPy reference k-means, used to check the numba kernels and engine.

Deliberately simple: every distance is computed directly in float64, with no
blocks, bounds or BLAS tricks. Semantics follow scikit-learn's Lloyd loop:
assign to the nearest centre (ties to the lowest index), move every centre to
the weighted mean of its samples, move empty clusters onto the samples
farthest from their assigned centres, stop when no label changed or when the
summed squared centre shift is at most ``tol * mean(var(X, axis=0))``, and
finally reassign the samples to the final centres unless labels converged.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "assign",
    "candidate_sq_dists",
    "cluster_stats",
    "lloyd",
    "sq_dists",
    "update_centers",
    "wcss",
]


def sq_dists(X, centers):
    """Squared Euclidean distances, shape (n_samples, n_clusters), in float64."""
    X = np.asarray(X, dtype=np.float64)
    C = np.asarray(centers, dtype=np.float64)
    diff = X[:, None, :] - C[None, :, :]
    return np.einsum("ijk,ijk->ij", diff, diff)


def assign(X, centers):
    """Nearest centre of every sample (lowest index on ties) and its squared
    distance."""
    d = sq_dists(X, centers)
    labels = np.argmin(d, axis=1)
    return labels, d[np.arange(d.shape[0]), labels]


def wcss(X, centers, labels, sample_weight=None):
    """Weighted within-cluster sum of squares of ``labels`` to ``centers``."""
    X = np.asarray(X, dtype=np.float64)
    C = np.asarray(centers, dtype=np.float64)
    w = _weights(sample_weight, X.shape[0])
    diff = X - C[np.asarray(labels)]
    return float(np.sum(w * np.einsum("ij,ij->i", diff, diff)))


def cluster_stats(X, labels, n_clusters, sample_weight=None):
    """Per-cluster weighted sums (k, d), total weights (k,) and counts (k,)."""
    X = np.asarray(X, dtype=np.float64)
    w = _weights(sample_weight, X.shape[0])
    labels = np.asarray(labels)
    sums = np.zeros((n_clusters, X.shape[1]))
    np.add.at(sums, labels, w[:, None] * X)
    weights = np.bincount(labels, weights=w, minlength=n_clusters)
    counts = np.bincount(labels, minlength=n_clusters)
    return sums, weights, counts


def update_centers(X, labels, centers_old, sample_weight=None):
    """Weighted means of the clusters; empty clusters are moved onto the
    samples farthest from their assigned (old) centres, farthest first,
    taking those samples' weight away from the clusters they came from.

    Returns (new_centers, relocated) with relocated the sorted tuple of
    empty cluster indices.
    """
    X = np.asarray(X, dtype=np.float64)
    centers_old = np.asarray(centers_old, dtype=np.float64)
    n_clusters = centers_old.shape[0]
    w = _weights(sample_weight, X.shape[0])
    sums, weights, _ = cluster_stats(X, labels, n_clusters, w)
    empty = np.flatnonzero(weights <= 0)
    moved = []
    if empty.size:
        diff = X - centers_old[labels]
        far_d = np.einsum("ij,ij->i", diff, diff)
        order = np.lexsort((np.arange(X.shape[0]), -far_d))[: empty.size]
        for cluster, row in zip(empty, order):
            sums[labels[row]] -= w[row] * X[row]
            weights[labels[row]] -= w[row]
            moved.append((cluster, X[row]))
    new = centers_old.copy()
    filled = weights > 0
    new[filled] = sums[filled] / weights[filled, None]
    for cluster, row in moved:
        new[cluster] = row
    return new, tuple(int(c) for c in empty)


def lloyd(X, init, *, sample_weight=None, max_iter=300, tol=1e-4):
    """Reference Lloyd run from the array ``init``.

    Returns a dict with labels, centers, inertia, n_iter and the per-iteration
    ``history`` (list of dicts with centers, inertia of the nearest-centre
    assignment to those centres, n_changed and relocated).
    """
    X = np.asarray(X, dtype=np.float64)
    w = _weights(sample_weight, X.shape[0])
    centers = np.array(init, dtype=np.float64)
    abs_tol = float(np.mean(np.var(X, axis=0))) * tol
    labels_old = np.full(X.shape[0], -1)
    history = []
    strict = False
    for _ in range(max_iter):
        labels, _ = assign(X, centers)
        n_changed = int(np.count_nonzero(labels != labels_old))
        new, relocated = update_centers(X, labels, centers, w)
        shift = float(((new - centers) ** 2).sum())
        centers = new
        history.append(dict(centers=centers.copy(), n_changed=n_changed,
                            relocated=relocated))
        if n_changed == 0 and not relocated:
            strict = True
            break
        if shift <= abs_tol:
            break
        labels_old = labels
    if not strict:
        labels, _ = assign(X, centers)
    for h in history:
        near, _ = assign(X, h["centers"])
        h["inertia"] = wcss(X, h["centers"], near, w)
    return dict(labels=labels, centers=centers,
                inertia=wcss(X, centers, labels, w), n_iter=len(history),
                history=history)


def candidate_sq_dists(X, candidates, closest_sq_dist, sample_weight=None):
    """k-means++ candidate evaluation: min(closest, distance to candidate)
    for every candidate (t, n) and its weighted sum (t,)."""
    w = _weights(sample_weight, np.asarray(X).shape[0])
    d = np.minimum(sq_dists(X, candidates).T, np.asarray(closest_sq_dist)[None, :])
    return d, d @ w


def _weights(sample_weight, n):
    if sample_weight is None:
        return np.ones(n)
    return np.asarray(sample_weight, dtype=np.float64)
