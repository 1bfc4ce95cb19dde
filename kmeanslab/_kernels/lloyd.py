"""Lloyd step: assign every row to its nearest centre and accumulate the
per-cluster weighted sums in the same pass.

The labels follow the label rule of :mod:`kmeanslab._kernels.common` (the
nearest centre by the float64 distance F, the lowest index on exact ties),
and the statistics are float64 sums of ``w * x`` added in row order within
a block: the compiled Lloyd step's labels, sums, weights, counts and
inertia, to the bit. The in-memory backend runs that compiled step; these
kernels serve the backends that call numba per block of rows (Dask).
"""

import numpy as np
from numba import njit, prange

from .common import exact_scratch, two_nearest_exact


@njit(inline="always")
def _add_row(X, i, w, c, b, sums, weights, counts):
    # The products in float64, as the compiled step forms them (a float32
    # weight times a float32 value is exact there).
    w64 = np.float64(w)
    weights[b, c] += w64
    # counts holds the samples of positive weight: a cluster is empty when it
    # has none (a zero-weight sample cannot give it a mean).
    counts[b, c] += w > 0
    for f in range(X.shape[1]):
        sums[b, c, f] += w64 * np.float64(X[i, f])


# Rows per tile: the tile's coordinates, F values and labels
# (ROW_TILE * (n_features + 12) values) stay in L1 for up to a few dozen
# features, and 64 rows fill the SIMD lanes several times over.
ROW_TILE = 64


@njit(inline="always")
def _lloyd_block(X, sample_weight, centers, s_begin, s_end, b, labels, sums,
                 weights, counts):
    """Block b (rows s_begin..s_end) of a Lloyd step: labels by the rule,
    the block's statistics; returns (rows changed, sum of w * F)."""
    n_features = X.shape[1]
    sums[b] = 0.0
    weights[b] = 0.0
    counts[b] = 0
    changed = 0
    acc = 0.0
    rows = np.empty(ROW_TILE, dtype=np.int64)
    tile = np.empty((n_features, ROW_TILE), dtype=X.dtype)
    best = np.empty(ROW_TILE, dtype=np.int64)
    lanes, dist, first, second = exact_scratch(n_features, ROW_TILE)
    for s0 in range(s_begin, s_end, ROW_TILE):
        m = min(ROW_TILE, s_end - s0)
        for r in range(m):
            rows[r] = s0 + r
        two_nearest_exact(X, rows, m, centers, tile, lanes, dist, best, first,
                          second)
        for r in range(m):
            i = s0 + r
            if labels[i] != best[r]:
                changed += 1
                labels[i] = best[r]
            w = sample_weight[i]
            _add_row(X, i, w, best[r], b, sums, weights, counts)
            acc += np.float64(w) * first[r]
    return changed, acc


@njit(parallel=True, cache=True)
def lloyd_step_dense(X, sample_weight, centers, starts, labels, sums, weights,
                     counts, n_changed, inertia):
    """One fused Lloyd pass, vectorised across rows.

    Rows are taken ROW_TILE at a time and copied feature-major into a small
    tile; the loop then runs over centres, and for each centre over the
    tile's rows (unit stride, vectorised), keeping every row's best F and
    label with selects (two_nearest_exact): a centre replaces the best only
    when strictly nearer, so ties go to the lowest index.

    IN X (n, d), sample_weight (n,), centers (k, d), starts (n_blocks + 1,).
    INOUT labels (n,): previous labels in, nearest centre out.
    OUT sums (n_blocks, k, d), weights (n_blocks, k), counts (n_blocks, k):
    samples of positive weight, n_changed (n_blocks,),
    inertia (n_blocks,): sum of w * F to the given centres.
    """
    n_blocks = starts.shape[0] - 1
    for b in prange(n_blocks):
        changed, acc = _lloyd_block(X, sample_weight, centers, starts[b],
                                    starts[b + 1], b, labels, sums, weights,
                                    counts)
        n_changed[b] = changed
        inertia[b] = acc


@njit(parallel=True, cache=True)
def lloyd_step_blas(X, sample_weight, x_sq_norms, centers, starts, labels, sums,
                    weights, counts, n_changed, inertia):
    """The Lloyd pass of many features: lloyd_step_dense's labels and
    statistics (the rule measures every label by F, which a gemm's
    ``||x||^2 - 2 x.c + ||c||^2`` does not reproduce). x_sq_norms is not
    read; the argument list is that of the callers."""
    n_blocks = starts.shape[0] - 1
    for b in prange(n_blocks):
        changed, acc = _lloyd_block(X, sample_weight, centers, starts[b],
                                    starts[b + 1], b, labels, sums, weights,
                                    counts)
        n_changed[b] = changed
        inertia[b] = acc
