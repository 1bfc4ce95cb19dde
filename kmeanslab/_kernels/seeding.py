"""Kernels for k-means++ seeding."""

import numpy as np
from numba import njit, prange

from .common import sq_dist_row


@njit(parallel=True, cache=True)
def candidate_sq_dists(X, sample_weight, candidates, closest_sq_dist, starts,
                       out_sq_dist, out_pot):
    """Squared distance of every row to its nearest chosen centre if each
    candidate were added.

    IN X (n, d), sample_weight (n,), candidates (t, d), closest_sq_dist (n,):
    squared distance to the nearest centre chosen so far.
    OUT out_sq_dist (t, n): min(closest_sq_dist, distance to candidate);
    out_pot (n_blocks, t): per-block weighted sums of out_sq_dist (the caller
    reduces them in block order).
    """
    n_blocks = starts.shape[0] - 1
    n_candidates = candidates.shape[0]
    for b in prange(n_blocks):
        for c in range(n_candidates):
            acc = 0.0
            for i in range(starts[b], starts[b + 1]):
                s = min(sq_dist_row(X, i, candidates, c), closest_sq_dist[i])
                out_sq_dist[c, i] = s
                acc += sample_weight[i] * s
            out_pot[b, c] = acc
