"""Exact Euclidean silhouette without the n x n distance matrix.

Rows are sorted by cluster and stored feature-major (``X_t`` of shape
(n_features, n_samples), float64), then cut into *segments*: runs of at most
``tile_rows`` rows of one cluster. For every pair of segments (P, Q), P <= Q,
one tile kernel computes each distance d(i, j), i in P, j in Q, once and adds
it to both ``sums[cluster(Q), i]`` and ``sums[cluster(P), j]``. ``sums`` has
shape (n_clusters, n_samples), so memory is O(n_samples * n_clusters).

Races and determinism: the segment pairs are run in the rounds of a
round-robin tournament (circle method). Within a round every segment appears
in at most one pair, so the pairs of a round touch disjoint columns of
``sums`` and run in parallel without locks; rounds run in a fixed order. Every
entry of ``sums`` therefore receives the same additions in the same order
whatever the thread count: results are bitwise identical for 1 or 64 threads.
"""

import math

import numpy as np
from numba import njit, prange

# Rows per segment (tile edge). The j-side working set of a tile is
# (n_features + 2) * tile_rows float64 values (coordinates, the squared
# distance buffer and the column sums); 512 rows keep it in L1 for
# n_features <= 8 and make the inner loops long enough to amortise their set-up.
# Measured with benchmarks/bench_silhouette.py: 256..1024 within a few percent
# in 2-D; beyond L1 (high n_features) the rows shrink to keep the budget.
TILE_ROWS = 512
MIN_TILE_ROWS = 64
TILE_BUDGET = TILE_ROWS * 10

# Queries per block in the query kernel (silhouette_estimate): enough blocks to
# balance threads, each owning its squared-distance buffer.
QUERY_BLOCK_ROWS = 16

# ``reassoc`` lets LLVM vectorise the running sum of distances (partial sums
# in vector lanes). It changes only the order of additions, which is fixed at
# compile time, so results stay deterministic; NaN and inf handling is kept.
# tests/unit/test_metrics.py checks agreement with scikit-learn to 1e-9.
_FASTMATH = {"reassoc"}


def tile_rows_for(n_features):
    """Segment length for ``n_features``: keeps a tile's j-side in L1."""
    rows = TILE_BUDGET // (n_features + 2)
    return int(max(MIN_TILE_ROWS, min(TILE_ROWS, rows)))


def segments(cluster_offsets, tile_rows):
    """Split each cluster's run of sorted rows into near-equal segments.

    Returns ``seg_starts`` (n_segments + 1,) and ``seg_cluster`` (n_segments,).
    Depends only on the cluster sizes, never on the thread count.
    """
    starts = []
    clusters = []
    for c in range(cluster_offsets.shape[0] - 1):
        lo, hi = int(cluster_offsets[c]), int(cluster_offsets[c + 1])
        n_parts = max(1, -(-(hi - lo) // tile_rows))
        for p in range(n_parts):
            starts.append(lo + ((hi - lo) * p) // n_parts)
            clusters.append(c)
    starts.append(int(cluster_offsets[-1]))
    return np.asarray(starts, dtype=np.intp), np.asarray(clusters, dtype=np.intp)


def round_robin_schedule(n_segments):
    """Pairs (p, q), p < q, of all segments, grouped into rounds of disjoint pairs.

    Circle method: with m players (n_segments rounded up to even), player m-1
    stays fixed and the others rotate; round r pairs (m-1, r) and
    ((r + t) mod (m-1), (r - t) mod (m-1)) for t = 1 .. m/2 - 1. Every pair
    meets exactly once. Pairs with the dummy player (odd n_segments) are
    dropped, so rounds have (n_pairs_per_round,) entries padded with -1.

    Returns an intp array of shape (n_rounds, n_pairs_per_round, 2).
    """
    m = n_segments + (n_segments % 2)
    if m < 2:
        return np.empty((0, 0, 2), dtype=np.intp)
    half = m // 2
    rounds = np.full((m - 1, half, 2), -1, dtype=np.intp)
    for r in range(m - 1):
        pairs = [(m - 1, r)]
        for t in range(1, half):
            pairs.append(((r + t) % (m - 1), (r - t) % (m - 1)))
        u = 0
        for p, q in pairs:
            if p >= n_segments or q >= n_segments:
                continue
            rounds[r, u, 0] = min(p, q)
            rounds[r, u, 1] = max(p, q)
            u += 1
    return rounds


@njit(inline="always")
def _fill_sq_dists(X_t, i, j_start, j_stop, buf):
    """OUT buf[t] = ||x_i - x_(j_start + t)||^2 for t in [0, j_stop - j_start).

    One pass per feature over contiguous coordinates. Every loop indexes
    0-based views with the induction variable: numba's negative-index
    wraparound is then provably dead and LLVM vectorises the loops (with
    ``j - offset`` indices it emitted gathers or scalar code).
    """
    n = j_stop - j_start
    row = X_t[0, j_start:j_stop]
    xi = X_t[0, i]
    for t in range(n):
        diff = xi - row[t]
        buf[t] = diff * diff
    for f in range(1, X_t.shape[0]):
        row = X_t[f, j_start:j_stop]
        xi = X_t[f, i]
        for t in range(n):
            diff = xi - row[t]
            buf[t] += diff * diff


@njit(fastmath=_FASTMATH, inline="always")
def _tile_sums(X_t, p0, p1, q0, q1, diagonal, col_sums, row_sums, buf):
    """Add every distance d(i, j), i in [p0, p1), j in [q0, q1), to both rows.

    IN X_t (d, n). INOUT col_sums (n,): sums[cluster(P)], receives d(i, j) at j;
    row_sums (n,): sums[cluster(Q)], receives the row total at i. OUT buf
    (>= q1 - q0,) scratch. With ``diagonal`` (P == Q) only j > i is visited,
    so each unordered pair is counted once.
    """
    for i in range(p0, p1):
        j_start = i + 1 if diagonal else q0
        if j_start >= q1:
            continue
        _fill_sq_dists(X_t, i, j_start, q1, buf)
        col = col_sums[j_start:q1]
        acc = 0.0
        for t in range(q1 - j_start):
            dist = math.sqrt(buf[t])
            acc += dist
            col[t] += dist
        row_sums[i] += acc


@njit(parallel=True, cache=True)
def silhouette_cluster_sums(X_t, seg_starts, seg_cluster, schedule, sums):
    """Sum of distances from every row to every cluster, each pair visited once.

    IN X_t (d, n) float64, rows sorted by cluster; seg_starts (S + 1,),
    seg_cluster (S,) from ``segments``; schedule (rounds, pairs, 2) from
    ``round_robin_schedule``. INOUT sums (k, n), zero on entry: on exit
    sums[c, i] = sum of d(i, j) over rows j of cluster c (j != i).
    Invariant: within a round no segment appears twice, so the parallel pairs
    write disjoint columns of ``sums``.
    """
    n_segments = seg_cluster.shape[0]
    max_rows = 0
    for s in range(n_segments):
        max_rows = max(max_rows, seg_starts[s + 1] - seg_starts[s])
    n_slots = max(n_segments, schedule.shape[1])
    bufs = np.empty((n_slots, max_rows), dtype=np.float64)
    # Round 0: each segment with itself (disjoint by construction).
    for s in prange(n_segments):
        c = seg_cluster[s]
        _tile_sums(X_t, seg_starts[s], seg_starts[s + 1], seg_starts[s],
                   seg_starts[s + 1], True, sums[c], sums[c], bufs[s])
    for r in range(schedule.shape[0]):
        for u in prange(schedule.shape[1]):
            p = schedule[r, u, 0]
            if p < 0:
                continue
            q = schedule[r, u, 1]
            _tile_sums(X_t, seg_starts[p], seg_starts[p + 1], seg_starts[q],
                       seg_starts[q + 1], False, sums[seg_cluster[p]],
                       sums[seg_cluster[q]], bufs[u])


@njit(fastmath=_FASTMATH, cache=True)
def _query_row_sums(X_t, i, cluster_offsets, tile_rows, out, buf):
    """OUT out[c] = sum of d(i, j) over rows j of cluster c (query i included)."""
    for c in range(cluster_offsets.shape[0] - 1):
        acc = 0.0
        for j0 in range(cluster_offsets[c], cluster_offsets[c + 1], tile_rows):
            j1 = min(j0 + tile_rows, cluster_offsets[c + 1])
            _fill_sq_dists(X_t, i, j0, j1, buf)
            for t in range(j1 - j0):
                acc += math.sqrt(buf[t])
        out[c] = acc


@njit(parallel=True, cache=True)
def silhouette_query_sums(X_t, queries, cluster_offsets, tile_rows, sums):
    """Sum of distances from each query row to every cluster, against all rows.

    IN X_t (d, n) float64 sorted by cluster; queries (m,): positions in X_t;
    cluster_offsets (k + 1,). OUT sums (m, k). The distance of a query to itself
    is exactly 0, so it adds nothing. Each query is summed serially: results
    do not depend on the thread count.
    """
    m = queries.shape[0]
    n_blocks = -(-m // QUERY_BLOCK_ROWS)
    for b in prange(n_blocks):
        buf = np.empty(tile_rows, dtype=np.float64)
        for q in range(b * QUERY_BLOCK_ROWS, min(m, (b + 1) * QUERY_BLOCK_ROWS)):
            _query_row_sums(X_t, queries[q], cluster_offsets, tile_rows, sums[q], buf)


@njit(cache=True)
def silhouette_from_sums(sums, labels, counts, out):
    """Per-sample silhouette from the per-cluster distance sums.

    IN sums (k, m): sums[c, i] = sum of distances of sample i to cluster c
    (its own distance 0 included or not); labels (m,) in 0..k-1; counts (k,) cluster
    sizes over all samples. OUT out (m,). scikit-learn's conventions: a is
    the mean over the own cluster without the sample (size - 1), b the lowest
    mean over the other clusters, s = (b - a) / max(a, b), and s = 0 for a
    sample alone in its cluster or with a = b = 0.
    """
    n_clusters = sums.shape[0]
    for i in range(sums.shape[1]):
        c = labels[i]
        if counts[c] <= 1:
            out[i] = 0.0
            continue
        a = sums[c, i] / (counts[c] - 1)
        b = np.inf
        for o in range(n_clusters):
            if o != c:
                b = min(b, sums[o, i] / counts[o])
        denom = max(a, b)
        out[i] = (b - a) / denom if denom > 0.0 else 0.0
