"""Kernels shared by every algorithm: block layout, sums, inertia, distances.

Work is split into blocks of contiguous rows. The number of blocks depends
only on ``n_samples`` (never on the thread count) and per-block partial
results are reduced in block order, so results are bitwise identical whatever
the number of threads.

The label rule
--------------
Every kernel that labels rows (Lloyd, Hamerly, Yinyang, ``assign_dense``)
gives a row its nearest centre by F, the lowest index on exact ties, as the
compiled Lloyd step does (``kmeanslab/_native/src/exact.h``). F(x, c) is the
float64 squared distance by direct differences of the float64 values
(float32 data and centres widened exactly), summed in one fixed order:
feature f goes to lane f % 8, each lane adds its squared differences in
increasing f, and the eight lanes are then added left to right (with at
most 8 features, the plain sequential sum). No kernel contracts these
operations into fused multiply-adds (numba does not without fastmath), so
F is the same to the bit on every path, and so are the labels.

F is within a relative ``exact_rel_error(d)`` of the true squared distance
(plus gradual underflow, ``exact_abs_error(d)``): every term is a product
of a correctly rounded difference with itself and all terms are
non-negative. The bounded kernels use these to skip a row only when its
bounds prove that F itself picks the same centre.
"""

import numpy as np
from numba import njit, prange

# A block must be large enough that the per-block partial sums (n_clusters x
# n_features) and the scheduling overhead stay small next to the work on its
# rows, and there must be enough blocks to balance 2..64 threads.
MIN_BLOCK_ROWS = 2048
MAX_BLOCKS = 64


def block_starts(n_samples):
    """Row offsets of the blocks: an int array of length n_blocks + 1."""
    n_blocks = max(1, min(MAX_BLOCKS, -(-n_samples // MIN_BLOCK_ROWS)))
    return (np.arange(n_blocks + 1, dtype=np.int64) * n_samples) // n_blocks


@njit(inline="always")
def sq_dist_row(X, i, centers, j):
    """Squared Euclidean distance between row i of X and row j of centers,
    accumulated in the data's own precision (as sq_dists_all does)."""
    acc = X[i, 0] - X[i, 0]
    for f in range(X.shape[1]):
        t = X[i, f] - centers[j, f]
        acc += t * t
    return acc


@njit(inline="always")
def sq_dists_all(X, i, centers_t, out):
    """OUT out[j] = squared distance between row i of X and centre j.

    centers_t is the (n_features, n_clusters) transpose of the centres: the
    inner loop runs over centres with unit stride, so it vectorises without
    reassociating any sum (each out[j] adds its features in order, exactly
    as sq_dist_row does).
    """
    # No out[:] = 0 here: a slice assignment per row costs more than the
    # distances themselves for small n_features.
    n_clusters = centers_t.shape[1]
    v = X[i, 0]
    for j in range(n_clusters):
        t = v - centers_t[0, j]
        out[j] = t * t
    for f in range(1, X.shape[1]):
        v = X[i, f]
        for j in range(n_clusters):
            t = v - centers_t[f, j]
            out[j] += t * t


# --- The label rule (see the module docstring) ---------------------------------

EXACT_LANES = 8
# Unit roundoff of float64, and its smallest subnormal (gradual underflow
# adds at most this much per rounding).
U64 = 2.0 ** -53
TINY64 = 2.0 ** -1074


@njit(inline="always")
def exact_rel_error(n_features):
    """A bound on |F - D^2| / D^2 (D the true distance): d + 5 roundings of
    relative U64 each, with room to spare (as in the compiled core)."""
    g = (n_features + 5.0) * U64
    return g / (1.0 - g)


@njit(inline="always")
def exact_abs_error(n_features):
    """The absolute part of F's error: gradual underflow in the squares."""
    return 4.0 * (n_features + 2.0) * TINY64


@njit(inline="always")
def exact_sq_dist(X, i, centers, j):
    """F(row i of X, row j of centers): the rule's float64 squared distance
    (eight lanes of features f % 8, added left to right)."""
    d = X.shape[1]
    l0 = l1 = l2 = l3 = l4 = l5 = l6 = l7 = 0.0
    f = 0
    while f + EXACT_LANES <= d:
        t = np.float64(X[i, f]) - np.float64(centers[j, f])
        l0 += t * t
        t = np.float64(X[i, f + 1]) - np.float64(centers[j, f + 1])
        l1 += t * t
        t = np.float64(X[i, f + 2]) - np.float64(centers[j, f + 2])
        l2 += t * t
        t = np.float64(X[i, f + 3]) - np.float64(centers[j, f + 3])
        l3 += t * t
        t = np.float64(X[i, f + 4]) - np.float64(centers[j, f + 4])
        l4 += t * t
        t = np.float64(X[i, f + 5]) - np.float64(centers[j, f + 5])
        l5 += t * t
        t = np.float64(X[i, f + 6]) - np.float64(centers[j, f + 6])
        l6 += t * t
        t = np.float64(X[i, f + 7]) - np.float64(centers[j, f + 7])
        l7 += t * t
        f += EXACT_LANES
    # The tail features go to lanes 0, 1, ... (f % 8), one by one.
    r = d - f
    if r > 0:
        t = np.float64(X[i, f]) - np.float64(centers[j, f])
        l0 += t * t
    if r > 1:
        t = np.float64(X[i, f + 1]) - np.float64(centers[j, f + 1])
        l1 += t * t
    if r > 2:
        t = np.float64(X[i, f + 2]) - np.float64(centers[j, f + 2])
        l2 += t * t
    if r > 3:
        t = np.float64(X[i, f + 3]) - np.float64(centers[j, f + 3])
        l3 += t * t
    if r > 4:
        t = np.float64(X[i, f + 4]) - np.float64(centers[j, f + 4])
        l4 += t * t
    if r > 5:
        t = np.float64(X[i, f + 5]) - np.float64(centers[j, f + 5])
        l5 += t * t
    if r > 6:
        t = np.float64(X[i, f + 6]) - np.float64(centers[j, f + 6])
        l6 += t * t
    # Lanes never written are 0.0: adding them changes nothing.
    return l0 + l1 + l2 + l3 + l4 + l5 + l6 + l7


@njit(inline="always")
def exact_tile_sq_dists(tile, m, center_row, lanes, dist):
    """OUT dist[r] = F(row held in column r of the feature-major tile,
    center_row), for r < m, vectorised across the rows.

    IN tile (d, >= m) of any float type (widened exactly); center_row (d,).
    Scratch lanes (8, >= m) float64 (read only from 9 features on).
    OUT dist (>= m,) float64. The same operations as exact_sq_dist, in the
    same order, for every row.
    """
    d = tile.shape[0]
    if d <= EXACT_LANES:
        # One lane per feature, added left to right: the sequential sum.
        c = np.float64(center_row[0])
        for r in range(m):
            t = np.float64(tile[0, r]) - c
            dist[r] = t * t
        for f in range(1, d):
            c = np.float64(center_row[f])
            for r in range(m):
                t = np.float64(tile[f, r]) - c
                dist[r] += t * t
        return
    for f in range(EXACT_LANES):
        c = np.float64(center_row[f])
        for r in range(m):
            t = np.float64(tile[f, r]) - c
            lanes[f, r] = t * t
    for f in range(EXACT_LANES, d):
        c = np.float64(center_row[f])
        lane = f % EXACT_LANES
        for r in range(m):
            t = np.float64(tile[f, r]) - c
            lanes[lane, r] += t * t
    for r in range(m):
        dist[r] = lanes[0, r]
    for lane in range(1, EXACT_LANES):
        for r in range(m):
            dist[r] += lanes[lane, r]


# Rows per BLAS call in the high-dimensional paths: the (CHUNK_ROWS x k)
# block of dot products plus the rows themselves stay in L2 for k <= 512,
# d <= 256, and a gemm of 256 rows is large enough to reach the BLAS peak.
CHUNK_ROWS = 256

# From this many features on, distances go through BLAS (||x||^2 - 2 x.c +
# ||c||^2, one gemm per chunk of rows); below it the direct loops are faster
# (benchmarks/bench_engine.py --crossover measures it).
BLAS_MIN_FEATURES = 16


@njit(inline="always")
def row_sq_norms(centers):
    """Squared norm of every row of centers, in the data's precision."""
    out = np.zeros(centers.shape[0], dtype=centers.dtype)
    for j in range(centers.shape[0]):
        for f in range(centers.shape[1]):
            out[j] += centers[j, f] * centers[j, f]
    return out


@njit(inline="always")
def sq_dists_blas(X, s0, s1, x_sq_norms, centers_t, c_sq_norms, out):
    """OUT out[r, j] = squared distance between row s0 + r of X and centre j,
    for r < s1 - s0, via one gemm (clipped at 0 against cancellation).

    IN centers_t (d, k) C-contiguous, c_sq_norms (k,).
    """
    m = s1 - s0
    np.dot(X[s0:s1], centers_t, out[:m])
    for r in range(m):
        xn = x_sq_norms[s0 + r]
        for j in range(centers_t.shape[1]):
            out[r, j] = max(xn + c_sq_norms[j] - 2.0 * out[r, j], 0.0)


@njit(inline="always")
def chunk_sq_dists(X, s0, s1, x_sq_norms, centers_t, c_sq_norms, use_blas, out):
    """OUT out[r, j] = squared distance between row s0 + r of X and centre j
    for the rows s0..s1: one gemm when use_blas, direct loops otherwise."""
    if use_blas:
        sq_dists_blas(X, s0, s1, x_sq_norms, centers_t, c_sq_norms, out)
    else:
        for r in range(s1 - s0):
            sq_dists_all(X, s0 + r, centers_t, out[r])


@njit(inline="always")
def move_row_statistics(X, i, w, old, new, ref, b, sums, weights, sq_norms,
                        counts):
    """Move row i (weight w) from cluster old (-1: none) to cluster new in
    block b's per-cluster statistics, measured from the reference points
    ref: sums of w * (x - ref[c]), weights, sums of w * ||x - ref[c]||^2 and
    counts of rows of positive weight (INOUT, each (n_blocks, k, ...))."""
    nrm = 0.0
    for f in range(X.shape[1]):
        t = X[i, f] - ref[new, f]
        nrm += t * t
        sums[b, new, f] += w * t
    weights[b, new] += w
    counts[b, new] += w > 0
    sq_norms[b, new] += w * nrm
    if old >= 0:
        nrm = 0.0
        for f in range(X.shape[1]):
            t = X[i, f] - ref[old, f]
            nrm += t * t
            sums[b, old, f] -= w * t
        weights[b, old] -= w
        counts[b, old] -= w > 0
        sq_norms[b, old] -= w * nrm


@njit(inline="always")
def tile_sq_dists(tile, m, centers, j, dist):
    """OUT dist[r] = squared distance between centre j and the row held in
    column r of the feature-major tile, for r < m: sq_dists_all's arithmetic
    (features added in order, in the data's precision), vectorised across
    the rows."""
    c = centers[j, 0]
    for r in range(m):
        t = tile[0, r] - c
        dist[r] = t * t
    for f in range(1, tile.shape[0]):
        c = centers[j, f]
        for r in range(m):
            t = tile[f, r] - c
            dist[r] += t * t


@njit(inline="always")
def two_nearest_exact(X, rows, n_rows, centers, tile, lanes, dist, best,
                      first, second):
    """Nearest centre by the label rule, its F and the second-smallest F
    (over the other centres) for the rows X[rows[:n_rows]], vectorised
    across the rows.

    The rows are copied feature-major into tile (n_features, >= n_rows);
    then, centre by centre, every row's F is computed with unit stride
    (exact_tile_sq_dists) and the two smallest are kept with selects. A
    centre becomes the nearest only when strictly nearer, so ties go to the
    lowest index; two centres tied at the smallest F make it the second
    smallest too.
    Scratch: lanes (8, >= n_rows) float64 (from 9 features on), dist
    (>= n_rows,) float64. OUT best, first, second (>= n_rows,) float64.
    """
    n_features = X.shape[1]
    for r in range(n_rows):
        i = rows[r]
        for f in range(n_features):
            tile[f, r] = X[i, f]
        best[r] = 0
        first[r] = np.inf
        second[r] = np.inf
    for j in range(centers.shape[0]):
        exact_tile_sq_dists(tile, n_rows, centers[j], lanes, dist)
        for r in range(n_rows):
            v = dist[r]
            hi = v if v > first[r] else first[r]
            second[r] = hi if hi < second[r] else second[r]
            best[r] = j if v < first[r] else best[r]
            first[r] = v if v < first[r] else first[r]


@njit(inline="always")
def exact_scratch(n_features, n_rows):
    """(lanes, dist, first, second): the float64 scratch of
    two_nearest_exact for n_rows rows."""
    lanes = np.empty((EXACT_LANES if n_features > EXACT_LANES else 0, n_rows),
                     dtype=np.float64)
    return (lanes, np.empty(n_rows, dtype=np.float64),
            np.empty(n_rows, dtype=np.float64),
            np.empty(n_rows, dtype=np.float64))


@njit(inline="always")
def two_nearest_tiled(X, rows, n_rows, centers, tile, dist, best, first,
                      second):
    """two_nearest_exact with its float64 scratch allocated here, for
    callers holding buffers in the data's type: OUT best, and first and
    second (F values, stored in those arrays' type). Scratch: tile
    (n_features, >= n_rows); dist unused."""
    lanes, f_dist, f_first, f_second = exact_scratch(X.shape[1], n_rows)
    two_nearest_exact(X, rows, n_rows, centers, tile, lanes, f_dist, best,
                      f_first, f_second)
    for r in range(n_rows):
        first[r] = f_first[r]
        second[r] = f_second[r]


@njit(inline="always")
def argmin_first(values):
    """Index of the smallest value (the first one on ties)."""
    best = 0
    best_value = values[0]
    for j in range(1, values.shape[0]):
        if values[j] < best_value:
            best_value = values[j]
            best = j
    return best


@njit(inline="always")
def two_smallest(values):
    """(index of the smallest, smallest, second smallest) of values.

    Written with selects rather than branches: on random data the branchy
    version mispredicts and costs three times as much.
    """
    best = 0
    first = np.inf
    second = np.inf
    for j in range(values.shape[0]):
        v = values[j]
        hi = v if v > first else first
        second = hi if hi < second else second
        best = j if v < first else best
        first = v if v < first else first
    return best, first, second


@njit(parallel=True, cache=True)
def accumulate_dense(X, sample_weight, labels, ref, starts, sums, weights,
                     sq_norms, counts):
    """Per-block weighted statistics of the rows in each cluster, measured
    from the reference point ref[c] of their cluster.

    IN X, sample_weight, labels, ref (k, d), starts. OUT sums (n_blocks, k, d):
    sum of w * (x - ref[c]); weights (n_blocks, k); sq_norms (n_blocks, k):
    sum of w * ||x - ref[c]||^2; counts (n_blocks, k): rows of positive
    weight.
    """
    n_blocks = starts.shape[0] - 1
    n_features = X.shape[1]
    for b in prange(n_blocks):
        sums[b] = 0.0
        weights[b] = 0.0
        sq_norms[b] = 0.0
        counts[b] = 0
        for i in range(starts[b], starts[b + 1]):
            c = labels[i]
            w = sample_weight[i]
            weights[b, c] += w
            counts[b, c] += w > 0
            nrm = 0.0
            for f in range(n_features):
                t = X[i, f] - ref[c, f]
                sums[b, c, f] += w * t
                nrm += t * t
            sq_norms[b, c] += w * nrm


@njit(parallel=True, cache=True)
def inertia_dense(X, sample_weight, centers, labels, starts, out):
    """OUT out[b] = sum over block b of w_i * ||x_i - centers[labels_i]||^2."""
    n_blocks = starts.shape[0] - 1
    for b in prange(n_blocks):
        acc = 0.0
        for i in range(starts[b], starts[b + 1]):
            acc += sample_weight[i] * sq_dist_row(X, i, centers, labels[i])
        out[b] = acc


@njit(parallel=True, cache=True)
def sq_dist_to_assigned_dense(X, centers, labels, out):
    """OUT out[i] = ||x_i - centers[labels_i]||^2."""
    for i in prange(X.shape[0]):
        out[i] = sq_dist_row(X, i, centers, labels[i])


# Rows per tile of assign_dense: a tile's coordinates and F values stay in
# L1 for up to a few dozen features.
ASSIGN_TILE = 64


@njit(parallel=True, cache=True)
def assign_dense(X, centers, starts, labels, sq_dists):
    """Nearest centre of every row by the label rule (module docstring):
    the labels a Lloyd step gives, so ``predict`` on the training data
    returns the fit's labels.

    OUT labels (n,), sq_dists (n,): F to that centre, in sq_dists' type.
    """
    n_blocks = starts.shape[0] - 1
    n_features = X.shape[1]
    for b in prange(n_blocks):
        rows = np.empty(ASSIGN_TILE, dtype=np.int64)
        tile = np.empty((n_features, ASSIGN_TILE), dtype=X.dtype)
        best = np.empty(ASSIGN_TILE, dtype=np.int64)
        lanes, dist, first, second = exact_scratch(n_features, ASSIGN_TILE)
        for s0 in range(starts[b], starts[b + 1], ASSIGN_TILE):
            m = min(ASSIGN_TILE, starts[b + 1] - s0)
            for r in range(m):
                rows[r] = s0 + r
            two_nearest_exact(X, rows, m, centers, tile, lanes, dist, best,
                              first, second)
            for r in range(m):
                labels[s0 + r] = best[r]
                sq_dists[s0 + r] = first[r]


@njit(parallel=True, cache=True)
def sq_dists_to_centers_dense(X, centers, starts, out):
    """OUT out (n, k): squared distance of every row to every centre."""
    n_blocks = starts.shape[0] - 1
    centers_t = np.ascontiguousarray(centers.T)
    for b in prange(n_blocks):
        for i in range(starts[b], starts[b + 1]):
            sq_dists_all(X, i, centers_t, out[i])


@njit(parallel=True, cache=True)
def column_sums_dense(X, starts, shift, power, out):
    """OUT out[b, f] = sum over block b of (X[i, f] - shift[f]) ** power,
    for power 1 or 2."""
    n_blocks = starts.shape[0] - 1
    n_features = X.shape[1]
    for b in prange(n_blocks):
        acc = np.zeros(n_features, dtype=np.float64)
        for i in range(starts[b], starts[b + 1]):
            for f in range(n_features):
                t = X[i, f] - shift[f]
                acc[f] += t if power == 1 else t * t
        out[b] = acc


@njit(parallel=True, cache=True)
def shift_scale_dense(X, shift, scale, out):
    """OUT out = (X - shift) * scale, row by row."""
    for i in prange(X.shape[0]):
        for f in range(X.shape[1]):
            out[i, f] = (X[i, f] - shift[f]) * scale


@njit(parallel=True, cache=True)
def abs_max_dense(X, starts, out):
    """OUT out[b] = largest |x| in block b (NaN propagates)."""
    n_blocks = starts.shape[0] - 1
    for b in prange(n_blocks):
        m = 0.0
        for i in range(starts[b], starts[b + 1]):
            for f in range(X.shape[1]):
                a = abs(X[i, f])
                if not a <= m:
                    m = a
        out[b] = m


@njit(parallel=True, cache=True)
def assign_two_dense(X, x_sq_norms, centers, starts, use_blas, labels,
                     sq_dists, second_sq_dists):
    """Nearest centre of every row, its squared distance and the squared
    distance to the second-nearest centre (inf when there is one centre).

    IN x_sq_norms (n,): read only when use_blas.
    OUT labels (n,), sq_dists (n,), second_sq_dists (n,).
    """
    n_blocks = starts.shape[0] - 1
    n_clusters = centers.shape[0]
    centers_t = np.ascontiguousarray(centers.T)
    c_sq_norms = row_sq_norms(centers)
    for b in prange(n_blocks):
        dists = np.empty((CHUNK_ROWS, n_clusters), dtype=centers.dtype)
        for s0 in range(starts[b], starts[b + 1], CHUNK_ROWS):
            s1 = min(s0 + CHUNK_ROWS, starts[b + 1])
            chunk_sq_dists(X, s0, s1, x_sq_norms, centers_t, c_sq_norms,
                           use_blas, dists)
            for r in range(s1 - s0):
                best, first, second = two_smallest(dists[r])
                labels[s0 + r] = best
                sq_dists[s0 + r] = first
                second_sq_dists[s0 + r] = second
