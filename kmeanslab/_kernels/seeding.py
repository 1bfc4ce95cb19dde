"""Kernels for k-means++ seeding."""

import numpy as np
from numba import njit, prange

from .common import CHUNK_ROWS, chunk_sq_dists, row_sq_norms


@njit(parallel=True, cache=True)
def candidate_sq_dists(X, sample_weight, x_sq_norms, candidates,
                       closest_sq_dist, starts, use_blas, out_sq_dist, out_pot):
    """Squared distance of every row to its nearest chosen centre if each
    candidate were added.

    IN X (n, d), sample_weight (n,), x_sq_norms (n,) (read only when
    use_blas), candidates (t, d), closest_sq_dist (n,): squared distance to
    the nearest centre chosen so far.
    OUT out_sq_dist (t, n): min(closest_sq_dist, distance to candidate),
    not written when it has no rows (pass shape (0, 0) when only the
    potentials are wanted: t x n stores cost more than the distances);
    out_pot (n_blocks, t): per-block weighted sums of out_sq_dist (the caller
    reduces them in block order).
    """
    store = out_sq_dist.shape[0] > 0
    n_blocks = starts.shape[0] - 1
    n_candidates = candidates.shape[0]
    cand_t = np.ascontiguousarray(candidates.T)
    c_sq_norms = row_sq_norms(candidates)
    for b in prange(n_blocks):
        pot = np.zeros(n_candidates, dtype=np.float64)
        dists = np.empty((CHUNK_ROWS, n_candidates), dtype=candidates.dtype)
        for s0 in range(starts[b], starts[b + 1], CHUNK_ROWS):
            s1 = min(s0 + CHUNK_ROWS, starts[b + 1])
            chunk_sq_dists(X, s0, s1, x_sq_norms, cand_t, c_sq_norms, use_blas,
                           dists)
            for r in range(s1 - s0):
                i = s0 + r
                w = sample_weight[i]
                for c in range(n_candidates):
                    s = min(dists[r, c], closest_sq_dist[i])
                    if store:
                        out_sq_dist[c, i] = s
                    pot[c] += w * s
        out_pot[b] = pot
