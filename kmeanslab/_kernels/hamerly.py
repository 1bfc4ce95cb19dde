"""Hamerly's exact k-means step (Hamerly 2010, "Making k-means even faster").

Each row keeps an upper bound on the distance to its centre and one lower
bound on the distance to every other centre. A row whose bounds prove that
its label cannot change is skipped without touching its features. Per-cluster
sums are updated only for the rows that change cluster (deltas per block,
reduced in block order by the caller).
"""

import numpy as np
from numba import njit, prange

from .common import sq_dist_row, sq_dists_all, two_smallest


@njit(parallel=True, cache=True)
def hamerly_step_dense(X, sample_weight, centers, half_min_dist, drift,
                       max_drift, starts, labels, upper_stored, lower_stored,
                       delta_sums, delta_weights, delta_sq_norms, delta_counts,
                       n_changed):
    """One bounded assignment pass.

    The bounds are stored relative to the centres' accumulated movement, so
    a row whose bounds still hold is only read, never written: the true
    bounds are ``upper_stored[i] + drift[labels[i]]`` and
    ``lower_stored[i] - max_drift``, where ``drift[j]`` is the total distance
    centre j has moved so far and ``max_drift`` the sum over steps of the
    largest move.

    IN centers (k, d): the centres to assign to; half_min_dist (k,): half the
    distance from each centre to its nearest other centre; drift (k,),
    max_drift: accumulated movement up to these centres.
    INOUT labels (n,) (-1 for "no label yet"), upper_stored (n,),
    lower_stored (n,). Invariant for rows with a label: the true upper bound
    is >= the distance to the assigned centre and the true lower bound is
    <= the distance to every other centre.
    OUT delta_sums (n_blocks, k, d), delta_weights (n_blocks, k),
    delta_sq_norms (n_blocks, k), delta_counts (n_blocks, k): the change of
    the per-cluster statistics caused by rows that changed cluster;
    n_changed (n_blocks,).
    """
    n_blocks = starts.shape[0] - 1
    n_clusters = centers.shape[0]
    n_features = X.shape[1]
    centers_t = np.ascontiguousarray(centers.T)
    for b in prange(n_blocks):
        dists = np.empty(n_clusters, dtype=centers.dtype)
        delta_sums[b] = 0.0
        delta_weights[b] = 0.0
        delta_sq_norms[b] = 0.0
        delta_counts[b] = 0
        changed = 0
        for i in range(starts[b], starts[b + 1]):
            a = labels[i]
            if a >= 0:
                lower = lower_stored[i] - max_drift
                bound = max(half_min_dist[a], lower)
                if upper_stored[i] + drift[a] <= bound:
                    continue
                upper = np.sqrt(sq_dist_row(X, i, centers, a))
                if upper <= bound:
                    upper_stored[i] = upper - drift[a]
                    continue
            sq_dists_all(X, i, centers_t, dists)
            best, best_sq, second_sq = two_smallest(dists)
            upper_stored[i] = np.sqrt(best_sq) - drift[best]
            lower_stored[i] = np.sqrt(second_sq) + max_drift
            if best != a:
                changed += 1
                w = sample_weight[i]
                nrm = 0.0
                for f in range(n_features):
                    v = X[i, f]
                    nrm += v * v
                    delta_sums[b, best, f] += w * v
                delta_weights[b, best] += w
                delta_counts[b, best] += 1
                delta_sq_norms[b, best] += w * nrm
                if a >= 0:
                    for f in range(n_features):
                        delta_sums[b, a, f] -= w * X[i, f]
                    delta_weights[b, a] -= w
                    delta_counts[b, a] -= 1
                    delta_sq_norms[b, a] -= w * nrm
                labels[i] = best
        n_changed[b] = changed


@njit(cache=True)
def hamerly_half_min_dist(centers, out):
    """OUT out[j] = half the distance from centre j to its nearest other
    centre (inf when there is only one centre)."""
    n_clusters = centers.shape[0]
    out[:] = np.inf
    for j in range(n_clusters):
        for m in range(j + 1, n_clusters):
            d = 0.5 * np.sqrt(sq_dist_row(centers, j, centers, m))
            if d < out[j]:
                out[j] = d
            if d < out[m]:
                out[m] = d
