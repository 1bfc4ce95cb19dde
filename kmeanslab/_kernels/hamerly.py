"""Hamerly's exact k-means step (Hamerly 2010, "Making k-means even faster").

Each row keeps an upper bound on the distance to its centre and one lower
bound on the distance to every other centre. A row whose bounds prove that
its label cannot change is skipped without touching its features. Per-cluster
sums are updated only for the rows that change cluster (deltas per block,
reduced in block order by the caller).
"""

import numpy as np
from numba import njit, prange

from .common import (CHUNK_ROWS, move_row_statistics, row_sq_norms,
                     sq_dist_row, sq_dists_blas, two_nearest_tiled, two_smallest)


@njit(parallel=True, cache=True)
def hamerly_step_dense(X, sample_weight, x_sq_norms, centers, half_min_dist,
                       drift, max_drift, ref, starts, use_blas, labels, upper_stored,
                       lower_stored, delta_sums, delta_weights, delta_sq_norms,
                       delta_counts, n_changed):
    """One bounded assignment pass.

    The bounds are stored relative to the centres' accumulated movement, so
    a row whose bounds still hold is only read, never written: the true
    bounds are ``upper_stored[i] + drift[labels[i]]`` and
    ``lower_stored[i] - max_drift``, where ``drift[j]`` is the total distance
    centre j has moved so far and ``max_drift`` the sum over steps of the
    largest move.

    Rows are taken CHUNK_ROWS at a time: the bound test picks the rows that
    need distances to every centre; those rows are gathered and measured
    with one gemm (use_blas) or, centre by centre, vectorised across the
    gathered rows (two_nearest_tiled).

    IN centers (k, d): the centres to assign to; half_min_dist (k,): half the
    distance from each centre to its nearest other centre; drift (k,),
    max_drift: accumulated movement up to these centres; ref (k, d): the
    point each cluster's statistics are measured from (near the cluster, so
    the inertia computed from them does not cancel); x_sq_norms (n,): read
    only when use_blas.
    INOUT labels (n,) (-1 for "no label yet"), upper_stored (n,),
    lower_stored (n,). Invariant for rows with a label: the true upper bound
    is >= the distance to the assigned centre and the true lower bound is
    <= the distance to every other centre.
    OUT delta_sums (n_blocks, k, d): sums of w * (x - ref[c]),
    delta_weights (n_blocks, k), delta_sq_norms (n_blocks, k): sums of
    w * ||x - ref[c]||^2, delta_counts (n_blocks, k) (rows of positive
    weight only): the change of the per-cluster statistics caused by rows that changed cluster;
    n_changed (n_blocks,).
    """
    n_blocks = starts.shape[0] - 1
    n_clusters = centers.shape[0]
    n_features = X.shape[1]
    centers_t = np.ascontiguousarray(centers.T)
    c_sq_norms = row_sq_norms(centers)
    for b in prange(n_blocks):
        dists = np.empty((CHUNK_ROWS if use_blas else 0, n_clusters),
                         dtype=centers.dtype)
        todo = np.empty(CHUNK_ROWS, dtype=np.int64)
        gathered = np.empty((CHUNK_ROWS if use_blas else 0, n_features),
                            dtype=X.dtype)
        gathered_norms = np.empty(CHUNK_ROWS if use_blas else 0, dtype=X.dtype)
        # Direct path: the rows to scan, feature-major, and their results.
        tile = np.empty((0 if use_blas else n_features, CHUNK_ROWS), dtype=X.dtype)
        tile_dist = np.empty(CHUNK_ROWS, dtype=X.dtype)
        tile_best = np.empty(CHUNK_ROWS, dtype=np.int64)
        tile_first = np.empty(CHUNK_ROWS, dtype=X.dtype)
        tile_second = np.empty(CHUNK_ROWS, dtype=X.dtype)
        delta_sums[b] = 0.0
        delta_weights[b] = 0.0
        delta_sq_norms[b] = 0.0
        delta_counts[b] = 0
        changed = 0
        for s0 in range(starts[b], starts[b + 1], CHUNK_ROWS):
            s1 = min(s0 + CHUNK_ROWS, starts[b + 1])
            n_todo = 0
            for i in range(s0, s1):
                a = labels[i]
                if a >= 0:
                    lower = lower_stored[i] - max_drift
                    bound = max(half_min_dist[a], lower)
                    # Strict comparisons: at an exact tie the full scan
                    # decides, so ties go to the lowest index as in Lloyd.
                    if upper_stored[i] + drift[a] < bound:
                        continue
                    upper = np.sqrt(sq_dist_row(X, i, centers, a))
                    if upper < bound:
                        upper_stored[i] = upper - drift[a]
                        continue
                todo[n_todo] = i
                n_todo += 1
            if n_todo == 0:
                continue
            if use_blas:
                for r in range(n_todo):
                    gathered[r] = X[todo[r]]
                    gathered_norms[r] = x_sq_norms[todo[r]]
                sq_dists_blas(gathered, 0, n_todo, gathered_norms, centers_t,
                              c_sq_norms, dists)
            else:
                two_nearest_tiled(X, todo, n_todo, centers, tile, tile_dist,
                                  tile_best, tile_first, tile_second)
            for r in range(n_todo):
                i = todo[r]
                a = labels[i]
                if use_blas:
                    best, best_sq, second_sq = two_smallest(dists[r])
                else:
                    best = tile_best[r]
                    best_sq = tile_first[r]
                    second_sq = tile_second[r]
                upper_stored[i] = np.sqrt(best_sq) - drift[best]
                lower_stored[i] = np.sqrt(second_sq) + max_drift
                if best == a:
                    continue
                changed += 1
                move_row_statistics(X, i, sample_weight[i], a, best, ref, b,
                                    delta_sums, delta_weights, delta_sq_norms,
                                    delta_counts)
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
