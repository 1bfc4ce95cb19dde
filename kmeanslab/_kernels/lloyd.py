"""Lloyd step: assign every row to its nearest centre and accumulate the
per-cluster weighted sums in the same pass."""

import numpy as np
from numba import njit, prange

from .common import (CHUNK_ROWS, argmin_first, row_sq_norms, sq_dists_all,
                     sq_dists_blas)

@njit(inline="always")
def _add_row(X, i, w, c, b, sums, weights, counts):
    weights[b, c] += w
    # counts holds the samples of positive weight: a cluster is empty when it
    # has none (a zero-weight sample cannot give it a mean).
    counts[b, c] += w > 0
    for f in range(X.shape[1]):
        sums[b, c, f] += w * X[i, f]


@njit(parallel=True, cache=True)
def lloyd_step_dense(X, sample_weight, centers, starts, labels, sums, weights,
                     counts, n_changed, inertia):
    """One fused Lloyd pass computing distances directly (low dimensions).

    IN X (n, d), sample_weight (n,), centers (k, d), starts (n_blocks + 1,).
    INOUT labels (n,): previous labels in, nearest centre out.
    OUT sums (n_blocks, k, d), weights (n_blocks, k), counts (n_blocks, k):
    samples of positive weight, n_changed (n_blocks,),
    inertia (n_blocks,): sum of w * squared distance to the given centres.
    """
    n_blocks = starts.shape[0] - 1
    n_clusters = centers.shape[0]
    centers_t = np.ascontiguousarray(centers.T)
    for b in prange(n_blocks):
        sums[b] = 0.0
        weights[b] = 0.0
        counts[b] = 0
        changed = 0
        acc = 0.0
        dists = np.empty(n_clusters, dtype=centers.dtype)
        for i in range(starts[b], starts[b + 1]):
            sq_dists_all(X, i, centers_t, dists)
            best = argmin_first(dists)
            best_sq = dists[best]
            if labels[i] != best:
                changed += 1
                labels[i] = best
            w = sample_weight[i]
            acc += w * best_sq
            _add_row(X, i, w, best, b, sums, weights, counts)
        n_changed[b] = changed
        inertia[b] = acc


@njit(parallel=True, cache=True)
def lloyd_step_blas(X, sample_weight, x_sq_norms, centers, starts, labels, sums,
                    weights, counts, n_changed, inertia):
    """One fused Lloyd pass using ||x||^2 - 2 x.c + ||c||^2 with a BLAS gemm
    per chunk of CHUNK_ROWS rows (high dimensions). Same arguments as
    lloyd_step_dense plus IN x_sq_norms (n,)."""
    n_blocks = starts.shape[0] - 1
    n_clusters = centers.shape[0]
    centers_t = np.ascontiguousarray(centers.T)
    c_sq_norms = row_sq_norms(centers)
    for b in prange(n_blocks):
        sums[b] = 0.0
        weights[b] = 0.0
        counts[b] = 0
        changed = 0
        acc = 0.0
        dists = np.empty((CHUNK_ROWS, n_clusters), dtype=centers.dtype)
        for s0 in range(starts[b], starts[b + 1], CHUNK_ROWS):
            s1 = min(s0 + CHUNK_ROWS, starts[b + 1])
            sq_dists_blas(X, s0, s1, x_sq_norms, centers_t, c_sq_norms, dists)
            for r in range(s1 - s0):
                i = s0 + r
                best = argmin_first(dists[r])
                best_sq = dists[r, best]
                if labels[i] != best:
                    changed += 1
                    labels[i] = best
                w = sample_weight[i]
                acc += w * best_sq
                _add_row(X, i, w, best, b, sums, weights, counts)
        n_changed[b] = changed
        inertia[b] = acc
