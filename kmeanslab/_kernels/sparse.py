"""Kernels for CSR sparse data (``indptr``, ``indices``, ``data``): assignment
(plain and with Hamerly's bounds), per-cluster statistics, distances, inertia
and k-means++ candidate distances.

Distances are expanded as ||x||^2 - 2 x.c + ||c||^2 with the row norms
precomputed, so a row costs O(nnz(x) * n_clusters). The nearest centre is
the argmin of ||c||^2 - 2 x.c (the row's norm does not change it), each dot
product accumulated over the row's non-zeros in storage order, exactly as
scikit-learn's sparse Lloyd step does; the squared distance is that plus
||x||^2, clipped at 0 against cancellation. The inertia and the distance to
an assigned centre use scikit-learn's sparse-dense form instead,
||c||^2 + sum over the non-zeros of ((x_f - c_f)^2 - c_f^2), clipped at 0.

Determinism: rows are split into the blocks of
:func:`kmeanslab._kernels.common.block_starts` (a function of n_samples
only) and per-block partial results are reduced by the caller in block
order; per-cluster sums are accumulated one cluster per task over its rows
in increasing row order (:func:`group_by_label` lists them), so no result
depends on the thread count. The centres stay dense, shape
(n_clusters, n_features); ``centers_t`` is their (n_features, n_clusters)
C-contiguous transpose, so the inner loop over centres has unit stride.
"""

import numpy as np
from numba import njit, prange


@njit(inline="always")
def _dots(indptr, indices, data, i, centers_t, out):
    """OUT out[j] = x_i . c_j, accumulated over the non-zeros of row i in
    storage order, in out's precision."""
    n_clusters = centers_t.shape[1]
    for j in range(n_clusters):
        out[j] = 0.0
    for p in range(indptr[i], indptr[i + 1]):
        v = data[p]
        f = indices[p]
        for j in range(n_clusters):
            out[j] += centers_t[f, j] * v


@njit(inline="always")
def _dot_one(indptr, indices, data, i, centers, j):
    """x_i . c_j with the same operations, in the same order, as ``_dots``
    (so a bound test and a full scan see the same value)."""
    acc = centers[j, 0] - centers[j, 0]
    for p in range(indptr[i], indptr[i + 1]):
        acc += centers[j, indices[p]] * data[p]
    return acc


@njit(inline="always")
def _sparse_dense_sq_dist(indptr, indices, data, i, centers, j, c_sq_norm):
    """||x_i - c_j||^2 as scikit-learn's ``_euclidean_sparse_dense`` forms
    it: ||c||^2 + sum over the non-zeros of (x_f - c_f)^2 - c_f^2, clipped
    at 0."""
    acc = centers[j, 0] - centers[j, 0]
    for p in range(indptr[i], indptr[i + 1]):
        c = centers[j, indices[p]]
        t = data[p] - c
        acc += t * t - c * c
    acc += c_sq_norm
    return max(acc, 0.0)


@njit(inline="always")
def _argmin_score(dots, c_sq_norms):
    """(index, value) of the smallest ||c_j||^2 - 2 x.c_j (first on ties)."""
    best = 0
    best_score = c_sq_norms[0] - 2 * dots[0]
    for j in range(1, dots.shape[0]):
        score = c_sq_norms[j] - 2 * dots[j]
        if score < best_score:
            best_score = score
            best = j
    return best, best_score


@njit(parallel=True, cache=True)
def row_sq_norms_sparse(indptr, data, out):
    """OUT out[i] = squared norm of row i, accumulated in out's precision
    over the non-zeros in storage order."""
    for i in prange(indptr.shape[0] - 1):
        out[i] = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            out[i] += data[p] * data[p]


@njit(parallel=True, cache=True)
def assign_sparse(indptr, indices, data, sample_weight, x_sq_norms, centers_t,
                  c_sq_norms, starts, labels, sq_dists, n_changed, inertia):
    """Nearest centre of every row (ties go to the lowest index).

    IN indptr, indices, data: the CSR rows; sample_weight (n,); x_sq_norms
    (n,); centers_t (d, k); c_sq_norms (k,); starts (n_blocks + 1,).
    INOUT labels (n,): previous labels in (-1 for none), nearest centre out.
    OUT sq_dists (n,): squared distance to it, max(||x||^2 + min score, 0);
    n_changed (n_blocks,): rows whose label changed; inertia (n_blocks,):
    sum of w * sq_dists over the block (float64).
    """
    n_blocks = starts.shape[0] - 1
    for b in prange(n_blocks):
        dots = np.empty(centers_t.shape[1], dtype=centers_t.dtype)
        changed = 0
        acc = 0.0
        for i in range(starts[b], starts[b + 1]):
            _dots(indptr, indices, data, i, centers_t, dots)
            best, score = _argmin_score(dots, c_sq_norms)
            if labels[i] != best:
                changed += 1
                labels[i] = best
            sq = max(x_sq_norms[i] + score, 0.0)
            sq_dists[i] = sq
            acc += sample_weight[i] * sq
        n_changed[b] = changed
        inertia[b] = acc


@njit(parallel=True, cache=True)
def assign_two_sparse(indptr, indices, data, x_sq_norms, centers_t,
                      c_sq_norms, starts, labels, sq_dists, second_sq_dists):
    """Nearest centre of every row, its squared distance and the squared
    distance to the second-nearest centre (inf with one centre).

    IN as :func:`assign_sparse`. OUT labels (n,), sq_dists (n,),
    second_sq_dists (n,).
    """
    n_blocks = starts.shape[0] - 1
    n_clusters = centers_t.shape[1]
    for b in prange(n_blocks):
        dots = np.empty(n_clusters, dtype=centers_t.dtype)
        for i in range(starts[b], starts[b + 1]):
            _dots(indptr, indices, data, i, centers_t, dots)
            best, score = _argmin_score(dots, c_sq_norms)
            second = np.inf
            for j in range(n_clusters):
                s = c_sq_norms[j] - 2 * dots[j]
                if j != best and s < second:
                    second = s
            labels[i] = best
            sq_dists[i] = max(x_sq_norms[i] + score, 0.0)
            second_sq_dists[i] = max(x_sq_norms[i] + second, 0.0)


@njit(parallel=True, cache=True)
def hamerly_step_sparse(indptr, indices, data, x_sq_norms, centers, centers_t,
                        c_sq_norms, half_min_dist, drift, max_drift, starts,
                        labels, upper_stored, lower_stored, n_changed):
    """One assignment pass with Hamerly's bounds (Hamerly 2010).

    The bounds are stored relative to the centres' accumulated movement (as
    in :func:`kmeanslab._kernels.hamerly.hamerly_step_dense`): the true
    bounds of row i are ``upper_stored[i] + drift[labels[i]]`` and
    ``lower_stored[i] - max_drift``. A row whose upper bound is below both
    its lower bound and half the distance from its centre to the nearest
    other one keeps its label without a distance; otherwise its distance to
    its own centre is measured first and, only when that does not settle
    it, its distances to every centre.

    IN CSR rows, x_sq_norms (n,), centers (k, d), centers_t (d, k),
    c_sq_norms (k,), half_min_dist (k,), drift (k,), max_drift, starts.
    INOUT labels (n,) (-1: no label yet), upper_stored (n,), lower_stored
    (n,). Invariant for rows with a label: the true upper bound is >= the
    distance to the assigned centre and the true lower bound is <= the
    distance to every other centre.
    OUT n_changed (n_blocks,).
    """
    n_blocks = starts.shape[0] - 1
    n_clusters = centers.shape[0]
    for b in prange(n_blocks):
        dots = np.empty(n_clusters, dtype=centers.dtype)
        changed = 0
        for i in range(starts[b], starts[b + 1]):
            a = labels[i]
            if a >= 0:
                bound = max(half_min_dist[a], lower_stored[i] - max_drift)
                # Strict comparisons: at an exact tie the full scan decides,
                # so ties go to the lowest index as in Lloyd.
                if upper_stored[i] + drift[a] < bound:
                    continue
                dot = _dot_one(indptr, indices, data, i, centers, a)
                upper = np.sqrt(max(x_sq_norms[i] + (c_sq_norms[a] - 2 * dot),
                                    0.0))
                if upper < bound:
                    upper_stored[i] = upper - drift[a]
                    continue
            _dots(indptr, indices, data, i, centers_t, dots)
            best, score = _argmin_score(dots, c_sq_norms)
            second = np.inf
            for j in range(n_clusters):
                s = c_sq_norms[j] - 2 * dots[j]
                if j != best and s < second:
                    second = s
            upper_stored[i] = np.sqrt(max(x_sq_norms[i] + score, 0.0)) - drift[best]
            lower_stored[i] = np.sqrt(max(x_sq_norms[i] + second, 0.0)) + max_drift
            if a != best:
                changed += 1
                labels[i] = best
        n_changed[b] = changed


@njit(cache=True)
def group_by_label(labels, order, cluster_starts):
    """Rows grouped by label, in increasing row order within each cluster (a
    counting sort).

    IN labels (n,) in [0, k). OUT cluster_starts (k + 1,): the rows of
    cluster c are order[cluster_starts[c]:cluster_starts[c + 1]]; order (n,).
    """
    n_clusters = cluster_starts.shape[0] - 1
    cluster_starts[:] = 0
    for i in range(labels.shape[0]):
        cluster_starts[labels[i] + 1] += 1
    for c in range(n_clusters):
        cluster_starts[c + 1] += cluster_starts[c]
    fill = cluster_starts[:-1].copy()
    for i in range(labels.shape[0]):
        c = labels[i]
        order[fill[c]] = i
        fill[c] += 1


@njit(parallel=True, cache=True)
def cluster_stats_sparse(indptr, indices, data, sample_weight, centers,
                         c_sq_norms, order, cluster_starts, with_inertia, sums,
                         weights, counts, inertia):
    """Per-cluster statistics of the rows grouped by :func:`group_by_label`,
    one cluster per task, its rows added in increasing row order.

    IN CSR rows, sample_weight (n,), centers (k, d), c_sq_norms (k,), order,
    cluster_starts; with_inertia: measure the inertia too (a run whose
    assignment measured every row's distance passes False).
    OUT sums (k, d) float64: sum of w * x; weights (k,) float64; counts (k,):
    rows of positive weight (a cluster without any is empty); inertia (k,)
    float64: sum of w * ||x - c||^2 (sparse-dense form; 0 without
    with_inertia).
    """
    n_clusters = cluster_starts.shape[0] - 1
    for c in prange(n_clusters):
        sums[c] = 0.0
        w_tot = 0.0
        n_pos = 0
        acc = 0.0
        for r in range(cluster_starts[c], cluster_starts[c + 1]):
            i = order[r]
            w = sample_weight[i]
            w_tot += w
            n_pos += w > 0
            for p in range(indptr[i], indptr[i + 1]):
                sums[c, indices[p]] += w * np.float64(data[p])
            if with_inertia:
                acc += w * _sparse_dense_sq_dist(indptr, indices, data, i,
                                                 centers, c, c_sq_norms[c])
        weights[c] = w_tot
        counts[c] = n_pos
        inertia[c] = acc


@njit(parallel=True, cache=True)
def inertia_sparse(indptr, indices, data, sample_weight, centers, c_sq_norms,
                   labels, starts, out):
    """OUT out[b] = sum over block b of w_i * ||x_i - centers[labels_i]||^2
    (sparse-dense form, accumulated in float64)."""
    n_blocks = starts.shape[0] - 1
    for b in prange(n_blocks):
        acc = 0.0
        for i in range(starts[b], starts[b + 1]):
            j = labels[i]
            acc += sample_weight[i] * _sparse_dense_sq_dist(
                indptr, indices, data, i, centers, j, c_sq_norms[j])
        out[b] = acc


@njit(parallel=True, cache=True)
def sq_dist_to_assigned_sparse(indptr, indices, data, centers, c_sq_norms,
                               labels, out):
    """OUT out[i] = ||x_i - centers[labels_i]||^2 (sparse-dense form)."""
    for i in prange(indptr.shape[0] - 1):
        j = labels[i]
        out[i] = _sparse_dense_sq_dist(indptr, indices, data, i, centers, j,
                                       c_sq_norms[j])


@njit(parallel=True, cache=True)
def sq_dists_to_centers_sparse(indptr, indices, data, x_sq_norms64,
                               centers_t64, c_sq_norms64, out):
    """OUT out (n, k): squared distance of every row to every centre,
    max(||x||^2 - 2 x.c + ||c||^2, 0) computed in float64 and rounded to
    out's type (for float32 data, as scikit-learn's ``euclidean_distances``
    does).

    IN x_sq_norms64 (n,), centers_t64 (d, k), c_sq_norms64 (k,): float64.
    """
    n_clusters = centers_t64.shape[1]
    for i in prange(indptr.shape[0] - 1):
        dots = np.empty(n_clusters, dtype=np.float64)
        _dots(indptr, indices, data, i, centers_t64, dots)
        for j in range(n_clusters):
            out[i, j] = max(x_sq_norms64[i] - 2.0 * dots[j] + c_sq_norms64[j],
                            0.0)


@njit(parallel=True, cache=True)
def candidate_sq_dists_sparse(indptr, indices, data, sample_weight,
                              x_sq_norms64, cand_t64, c_sq_norms64,
                              closest_sq_dist, starts, out_sq_dist, out_pot):
    """For k-means++: the squared distance of every row to its nearest
    chosen centre if each candidate were added.

    Distances are measured in float64 (max(||x||^2 - 2 x.c + ||c||^2, 0))
    and rounded to closest_sq_dist's type, as scikit-learn measures them for
    float32 data.

    IN CSR rows, sample_weight (n,), x_sq_norms64 (n,), cand_t64 (d, t),
    c_sq_norms64 (t,), closest_sq_dist (n,), starts.
    OUT out_sq_dist (t, n): min(closest_sq_dist, distance to the candidate),
    not written when it has no rows; out_pot (n_blocks, t): per-block
    weighted sums of those (float64; the caller reduces them in block order).
    """
    store = out_sq_dist.shape[0] > 0
    n_blocks = starts.shape[0] - 1
    n_candidates = cand_t64.shape[1]
    for b in prange(n_blocks):
        pot = np.zeros(n_candidates, dtype=np.float64)
        dots = np.empty(n_candidates, dtype=np.float64)
        dist = np.empty(n_candidates, dtype=closest_sq_dist.dtype)
        for i in range(starts[b], starts[b + 1]):
            _dots(indptr, indices, data, i, cand_t64, dots)
            w = sample_weight[i]
            for c in range(n_candidates):
                dist[c] = max(x_sq_norms64[i] - 2.0 * dots[c] + c_sq_norms64[c],
                              0.0)
                s = min(dist[c], closest_sq_dist[i])
                if store:
                    out_sq_dist[c, i] = s
                pot[c] += w * s
        out_pot[b] = pot


@njit(parallel=True, cache=True)
def take_rows_sparse(indptr, indices, data, rows, out):
    """OUT out[r] = row rows[r] as a dense vector (out zeroed here)."""
    for r in prange(rows.shape[0]):
        out[r] = 0.0
        i = rows[r]
        for p in range(indptr[i], indptr[i + 1]):
            out[r, indices[p]] = data[p]


# Tile edge of the transpose: a TILE x TILE block of float64 (32 KiB) read
# by rows and written by columns stays in L1, where numpy's strided copy of a
# (200 x 15000) array misses the cache on every element (measured 5-10x
# slower than the tiled copy).
TILE = 64


@njit(parallel=True, cache=True)
def transpose_into(centers, out):
    """OUT out (d, k) = centers (k, d) transposed, tile by tile."""
    n_clusters, n_features = centers.shape
    n_tiles = (n_features + TILE - 1) // TILE
    for t in prange(n_tiles):
        f0 = t * TILE
        f1 = min(f0 + TILE, n_features)
        for j0 in range(0, n_clusters, TILE):
            j1 = min(j0 + TILE, n_clusters)
            for j in range(j0, j1):
                for f in range(f0, f1):
                    out[f, j] = centers[j, f]
