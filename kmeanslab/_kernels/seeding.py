"""Kernels for k-means++ seeding."""

import numpy as np
from numba import njit, prange

from .common import CHUNK_ROWS, row_sq_norms, sq_dists_blas, tile_sq_dists


@njit(inline="always")
def _chunk_sq_dists_upcast(X, s0, s1, x_sq_norms64, cand_t64, c_sq_norms64,
                           rows64, dots64, out):
    """OUT out[r, j] = squared distance between row s0 + r of X and
    candidate j, computed as ||x||^2 - 2 x.c + ||c||^2 in float64 (one
    float64 gemm on the rows copied up) and then rounded to out's type.

    float32 data needs this: in float32 the expansion loses everything below
    about 1e-7 * (||x||^2 + ||c||^2), so a sample sitting on a chosen centre
    far from the origin keeps a spurious distance that k-means++ would then
    sample in proportion to. scikit-learn measures these distances in float64
    for float32 data for the same reason.

    IN x_sq_norms64 (n,), cand_t64 (d, t), c_sq_norms64 (t,); scratch rows64
    (CHUNK_ROWS, d), dots64 (CHUNK_ROWS, t).
    """
    m = s1 - s0
    for r in range(m):
        for f in range(X.shape[1]):
            rows64[r, f] = X[s0 + r, f]
    np.dot(rows64[:m], cand_t64, dots64[:m])
    for r in range(m):
        xn = x_sq_norms64[s0 + r]
        for j in range(cand_t64.shape[1]):
            out[r, j] = max(xn + c_sq_norms64[j] - 2.0 * dots64[r, j], 0.0)


@njit(parallel=True, cache=True)
def candidate_sq_dists(X, sample_weight, x_sq_norms, candidates,
                       closest_sq_dist, starts, use_blas, upcast, out_sq_dist,
                       out_pot):
    """Squared distance of every row to its nearest chosen centre if each
    candidate were added.

    IN X (n, d), sample_weight (n,), candidates (t, d), closest_sq_dist (n,):
    squared distance to the nearest centre chosen so far; x_sq_norms (n,):
    read only when use_blas, float64 when upcast, else in X's type.
    use_blas: distances by gemm (many features) rather than direct loops;
    upcast (with use_blas): the gemm runs in float64 (for float32 X, see
    _chunk_sq_dists_upcast).
    OUT out_sq_dist (t, n): min(closest_sq_dist, distance to candidate),
    not written when it has no rows (pass shape (0, 0) when only the
    potentials are wanted: t x n stores cost more than the distances);
    out_pot (n_blocks, t): per-block weighted sums of out_sq_dist (the caller
    reduces them in block order).
    """
    store = out_sq_dist.shape[0] > 0
    n_blocks = starts.shape[0] - 1
    n_candidates = candidates.shape[0]
    n_features = X.shape[1]
    cand_t = np.ascontiguousarray(candidates.T)
    c_sq_norms = row_sq_norms(candidates)
    candidates64 = candidates.astype(np.float64)
    cand_t64 = np.ascontiguousarray(candidates64.T)
    c_sq_norms64 = row_sq_norms(candidates64)
    for b in prange(n_blocks):
        # Weighted sums kept per row slot of a chunk (no serial chain of
        # additions), added up in slot order at the end of the block.
        pot_slots = np.zeros((n_candidates, CHUNK_ROWS), dtype=np.float64)
        dists = np.empty((CHUNK_ROWS if use_blas else 0, n_candidates),
                         dtype=candidates.dtype)
        tile = np.empty((0 if use_blas else n_features, CHUNK_ROWS), dtype=X.dtype)
        dist = np.empty(CHUNK_ROWS, dtype=X.dtype)
        scratch = CHUNK_ROWS if upcast else 0
        rows64 = np.empty((scratch, n_features), dtype=np.float64)
        dots64 = np.empty((scratch, n_candidates), dtype=np.float64)
        for s0 in range(starts[b], starts[b + 1], CHUNK_ROWS):
            s1 = min(s0 + CHUNK_ROWS, starts[b + 1])
            m = s1 - s0
            if upcast:
                _chunk_sq_dists_upcast(X, s0, s1, x_sq_norms, cand_t64,
                                       c_sq_norms64, rows64, dots64, dists)
            elif use_blas:
                sq_dists_blas(X, s0, s1, x_sq_norms, cand_t, c_sq_norms, dists)
            else:
                # Few features: the chunk feature-major, each candidate's
                # distances vectorised across rows (sq_dists_all's
                # arithmetic).
                for r in range(m):
                    for f in range(n_features):
                        tile[f, r] = X[s0 + r, f]
            for c in range(n_candidates):
                if use_blas:
                    for r in range(m):
                        dist[r] = dists[r, c]
                else:
                    tile_sq_dists(tile, m, candidates, c, dist)
                for r in range(m):
                    i = s0 + r
                    sq = min(dist[r], closest_sq_dist[i])
                    if store:
                        out_sq_dist[c, i] = sq
                    pot_slots[c, r] += sample_weight[i] * sq
        for c in range(n_candidates):
            total = 0.0
            for r in range(CHUNK_ROWS):
                total += pot_slots[c, r]
            out_pot[b, c] = total
