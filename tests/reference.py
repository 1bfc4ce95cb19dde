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
    """Weighted means of the clusters, with empty clusters moved onto samples.

    A cluster is empty when it holds no sample of positive weight. Empty
    clusters (lowest index first) are moved onto the samples of positive
    weight off their centre (beyond rounding noise) farthest from their assigned (old) centres,
    farthest first (ties to the lower index), as many as there are such
    samples; each moved sample leaves its old cluster. A cluster left with no
    sample of positive weight ("drained") takes the mean of what it held
    before the moves; clusters that can not be relocated keep their centre.

    Returns (new_centers, relocated) with relocated the sorted tuple of
    relocated cluster indices.
    """
    X = np.asarray(X, dtype=np.float64)
    centers_old = np.asarray(centers_old, dtype=np.float64)
    n_clusters = centers_old.shape[0]
    w = _weights(sample_weight, X.shape[0])
    labels = np.asarray(labels)
    positive = w > 0
    sums, weights, _ = cluster_stats(X, labels, n_clusters, w)
    counts = np.bincount(labels[positive], minlength=n_clusters)
    held = counts > 0
    new = centers_old.copy()
    new[held] = sums[held] / weights[held, None]
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        diff = X - centers_old[labels]
        far_d = np.einsum("ij,ij->i", diff, diff)
        # Samples within rounding noise of their centre are copies of it.
        noise = (16 * np.finfo(np.float64).eps) ** 2 * (
            np.einsum("ij,ij->i", X, X)
            + np.einsum("ij,ij->i", centers_old, centers_old)[labels])
        far_d = np.where(positive & (far_d > noise), far_d, -np.inf)
        order = np.lexsort((np.arange(X.shape[0]), -far_d))
        order = order[far_d[order] > -np.inf][: empty.size]
        empty = empty[: order.size]
        left = set()
        for cluster, row in zip(empty, order):
            sums[labels[row]] -= w[row] * X[row]
            weights[labels[row]] -= w[row]
            counts[labels[row]] -= 1
            left.add(int(labels[row]))
        for c in left:
            if counts[c] > 0:
                new[c] = sums[c] / weights[c]
        for cluster, row in zip(empty, order):
            new[cluster] = X[row]
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
