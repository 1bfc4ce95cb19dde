"""Hamerly's exact k-means step (Hamerly 2010, "Making k-means even faster").

Each row keeps an upper bound on the distance to its centre and one lower
bound on the distance to every other centre. A row whose bounds prove that
its label cannot change is skipped without touching its features. Per-cluster
sums are updated only for the rows that change cluster (deltas per block,
reduced in block order by the caller).
"""

import numpy as np
from numba import njit, prange

from .common import sq_dist_row


@njit(parallel=True, cache=True)
def hamerly_step_dense(X, sample_weight, centers, half_min_dist, center_shift,
                       max_shift, second_max_shift, argmax_shift, starts,
                       labels, upper_bounds, lower_bounds, delta_sums,
                       delta_weights, delta_sq_norms, delta_counts,
                       n_changed):
    """One bounded assignment pass.

    IN centers (k, d): the centres to assign to; half_min_dist (k,): half the
    distance from each centre to its nearest other centre; center_shift (k,):
    how far each centre moved since the bounds were last valid; max_shift,
    second_max_shift, argmax_shift: the largest shift, the second largest and
    the index of the largest.
    INOUT labels (n,) (-1 for "no label yet"), upper_bounds (n,),
    lower_bounds (n,). Invariant on entry and exit, for rows with a label:
    upper_bounds[i] >= distance to the assigned centre and
    lower_bounds[i] <= distance to every other centre (before the shifts
    given here are applied).
    OUT delta_sums (n_blocks, k, d), delta_weights (n_blocks, k),
    delta_sq_norms (n_blocks, k), delta_counts (n_blocks, k): the change of the per-cluster sums caused by
    rows that changed cluster; n_changed (n_blocks,).
    """
    n_blocks = starts.shape[0] - 1
    n_clusters = centers.shape[0]
    n_features = X.shape[1]
    for b in prange(n_blocks):
        delta_sums[b] = 0.0
        delta_weights[b] = 0.0
        delta_sq_norms[b] = 0.0
        delta_counts[b] = 0
        changed = 0
        for i in range(starts[b], starts[b + 1]):
            a = labels[i]
            if a >= 0:
                ub = upper_bounds[i] + center_shift[a]
                if a == argmax_shift:
                    lb = lower_bounds[i] - second_max_shift
                else:
                    lb = lower_bounds[i] - max_shift
                bound = max(half_min_dist[a], lb)
                if ub <= bound:
                    upper_bounds[i] = ub
                    lower_bounds[i] = lb
                    continue
                ub = np.sqrt(sq_dist_row(X, i, centers, a))
                if ub <= bound:
                    upper_bounds[i] = ub
                    lower_bounds[i] = lb
                    continue
            best = 0
            best_sq = np.inf
            second_sq = np.inf
            for j in range(n_clusters):
                s = sq_dist_row(X, i, centers, j)
                if s < best_sq:
                    second_sq = best_sq
                    best_sq = s
                    best = j
                elif s < second_sq:
                    second_sq = s
            upper_bounds[i] = np.sqrt(best_sq)
            lower_bounds[i] = np.sqrt(second_sq)
            if best != a:
                changed += 1
                w = sample_weight[i]
                nrm = 0.0
                for f in range(n_features):
                    v = X[i, f]
                    nrm += v * v
                    delta_sums[b, best, f] += w * v
                    if a >= 0:
                        delta_sums[b, a, f] -= w * v
                delta_weights[b, best] += w
                delta_counts[b, best] += 1
                delta_sq_norms[b, best] += w * nrm
                if a >= 0:
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
