"""Exact Euclidean silhouette without the n x n distance matrix.

Rows are sorted by cluster and stored feature-major (``X_t`` of shape
(n_features, n_samples), float64). The sorted rows are cut into the
``common.block_starts`` blocks, and each block into *segments*: runs of at
most ``tile_rows`` rows of one cluster. The tile kernel takes two segments
(P, Q), computes each distance d(i, j), i in P, j in Q, once and adds it to
both ``sums[cluster(Q), i]`` and ``sums[cluster(P), j]``: every unordered pair
is visited once, half the work of a row-by-row pass. ``sums`` has shape
(n_clusters, n_samples), so memory is O(n_samples * n_clusters).

Races and determinism: a parallel task is a pair of blocks (A, B), A <= B,
whose segment pairs run serially in a fixed order. Tasks are grouped into the
rounds of a round-robin tournament (circle method): within a round every
block appears in at most one task, so the tasks of a round write disjoint
columns of ``sums`` and run in parallel without locks or private copies;
rounds run in a fixed order. Every entry of ``sums`` thus receives the same
additions in the same order whatever the thread count, and results are
bitwise identical for 1 or 64 threads. Blocks rather than segments are the
tournament players to keep the number of rounds (one barrier each) near
n_blocks <= 64: on a busy machine each barrier waits for the slowest thread.
"""

import math

import numpy as np
from numba import njit, prange

from .common import block_starts

# Rows per segment (tile edge). The j-side working set of a tile is
# (n_features + 2) * tile_rows float64 values (coordinates, the squared
# distance buffer, the column sums); TILE_BUDGET of them (80 KiB) fits the
# L1/L2 of current x86 cores. Measured on make_blobs 40,000 x 2, k=8
# (benchmarks/bench_silhouette.py): 512 and 1024 rows within 10%, 256 slower
# (per-row set-up), 2048 slower (spills L1).
TILE_ROWS = 1024
MIN_TILE_ROWS = 64
TILE_BUDGET = 10 * 1024

# Queries per block in the query kernel (silhouette_estimate): enough blocks to
# balance threads, each owning its squared-distance buffer.
QUERY_BLOCK_ROWS = 16

# ``reassoc`` lets LLVM vectorise the running sum of distances (partial sums
# in vector lanes). It changes only the order of additions, which is fixed at
# compile time, so results stay deterministic; NaN and inf handling is kept.
# tests/unit/test_metrics.py checks agreement with scikit-learn to 1e-9.
_FASTMATH = {"reassoc"}


def tile_rows_for(n_features):
    """Segment length for ``n_features``: keeps a tile's j-side in cache."""
    rows = TILE_BUDGET // (n_features + 2)
    return int(max(MIN_TILE_ROWS, min(TILE_ROWS, rows)))


def tile_layout(cluster_offsets, tile_rows):
    """Blocks and segments of the rows sorted by cluster.

    Returns ``seg_starts`` (n_segments + 1,), ``seg_cluster`` (n_segments,)
    and ``block_segs`` (n_blocks + 1,): block b owns segments
    ``block_segs[b]:block_segs[b + 1]``. Segments never cross a block or a
    cluster boundary and hold at most ``tile_rows`` rows. Depends only on the
    cluster sizes, never on the thread count.
    """
    n_samples = int(cluster_offsets[-1])
    blocks = block_starts(n_samples)
    cuts = np.union1d(blocks, cluster_offsets)
    seg_starts = []
    seg_cluster = []
    block_segs = [0]
    for b in range(blocks.shape[0] - 1):
        lo_b, hi_b = blocks[b], blocks[b + 1]
        inner = cuts[(cuts >= lo_b) & (cuts <= hi_b)]
        for lo, hi in zip(inner[:-1], inner[1:]):
            lo, hi = int(lo), int(hi)
            cluster = int(np.searchsorted(cluster_offsets, lo, side="right")) - 1
            n_parts = -(-(hi - lo) // tile_rows)
            for p in range(n_parts):
                seg_starts.append(lo + ((hi - lo) * p) // n_parts)
                seg_cluster.append(cluster)
        block_segs.append(len(seg_cluster))
    seg_starts.append(n_samples)
    return (np.asarray(seg_starts, dtype=np.intp),
            np.asarray(seg_cluster, dtype=np.intp),
            np.asarray(block_segs, dtype=np.intp))


def round_robin_schedule(n_players):
    """Pairs (a, b), a < b, of all players, grouped into rounds of disjoint pairs.

    Circle method: with m players (n_players rounded up to even), player m-1
    stays fixed and the others rotate; round r pairs (m-1, r) and
    ((r + t) mod (m-1), (r - t) mod (m-1)) for t = 1 .. m/2 - 1. Every pair
    meets exactly once. Pairs with the dummy player (odd n_players) are
    dropped and rounds padded with -1.

    Returns an intp array of shape (n_rounds, n_pairs_per_round, 2).
    """
    m = n_players + (n_players % 2)
    if m < 2:
        return np.empty((0, 1, 2), dtype=np.intp)
    half = m // 2
    rounds = np.full((m - 1, half, 2), -1, dtype=np.intp)
    for r in range(m - 1):
        pairs = [(m - 1, r)]
        for t in range(1, half):
            pairs.append(((r + t) % (m - 1), (r - t) % (m - 1)))
        u = 0
        for p, q in pairs:
            if p >= n_players or q >= n_players:
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


@njit(fastmath=_FASTMATH, cache=True)
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


@njit(cache=True)
def _block_pair_sums(X_t, seg_starts, seg_cluster, segs_a, segs_b, sums, buf):
    """All segment pairs of blocks A and B (A == B: pairs p <= q), serially.

    IN segs_a, segs_b: (first, stop) segment ranges of the blocks.
    INOUT sums (k, n). OUT buf scratch.
    """
    same = segs_a[0] == segs_b[0]
    for p in range(segs_a[0], segs_a[1]):
        for q in range(p if same else segs_b[0], segs_b[1]):
            _tile_sums(X_t, seg_starts[p], seg_starts[p + 1], seg_starts[q],
                       seg_starts[q + 1], p == q, sums[seg_cluster[p]],
                       sums[seg_cluster[q]], buf)


@njit(parallel=True, cache=True)
def silhouette_cluster_sums(X_t, seg_starts, seg_cluster, block_segs, schedule,
                            sums):
    """Sum of distances from every row to every cluster, each pair visited once.

    IN X_t (d, n) float64, rows sorted by cluster; seg_starts, seg_cluster,
    block_segs from ``tile_layout``; schedule (rounds, tasks, 2) from
    ``round_robin_schedule(n_blocks)``. INOUT sums (k, n), zero on entry: on
    exit sums[c, i] = sum of d(i, j) over rows j != i of cluster c.
    Invariant: no block appears twice in a round, so the parallel tasks write
    disjoint columns of ``sums``.
    """
    n_blocks = block_segs.shape[0] - 1
    max_rows = 0
    for s in range(seg_cluster.shape[0]):
        max_rows = max(max_rows, seg_starts[s + 1] - seg_starts[s])
    n_slots = max(n_blocks, schedule.shape[1])
    bufs = np.empty((n_slots, max_rows), dtype=np.float64)
    # First round: each block with itself.
    for b in prange(n_blocks):
        segs = block_segs[b:b + 2]
        _block_pair_sums(X_t, seg_starts, seg_cluster, segs, segs, sums, bufs[b])
    for r in range(schedule.shape[0]):
        for u in prange(schedule.shape[1]):
            a = schedule[r, u, 0]
            if a >= 0:
                b = schedule[r, u, 1]
                _block_pair_sums(X_t, seg_starts, seg_cluster, block_segs[a:a + 2],
                                 block_segs[b:b + 2], sums, bufs[u])


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


@njit(parallel=True, cache=True)
def simplified_silhouette_dense(X, centers, labels, counts, starts, out):
    """Per-block sums of the centroid-based (simplified) silhouette.

    IN X (n, d) float32/float64, centers (k, d) float64, labels (n,) in
    0..k-1, counts (k,) cluster sizes, starts (n_blocks + 1,). OUT out
    (n_blocks,): sum over the block's rows of s = (b - a) / max(a, b), with
    a the distance to the own centre and b to the nearest other centre
    (float64 arithmetic); s = 0 for rows alone in their cluster or a = b = 0.
    """
    n_clusters = centers.shape[0]
    n_features = X.shape[1]
    for blk in prange(starts.shape[0] - 1):
        acc = 0.0
        for i in range(starts[blk], starts[blk + 1]):
            c = labels[i]
            if counts[c] <= 1:
                continue
            a = 0.0
            b = np.inf
            for o in range(n_clusters):
                sq_dist = 0.0
                for f in range(n_features):
                    diff = np.float64(X[i, f]) - centers[o, f]
                    sq_dist += diff * diff
                if o == c:
                    a = math.sqrt(sq_dist)
                else:
                    b = min(b, sq_dist)
            b = math.sqrt(b)
            denom = max(a, b)
            if denom > 0.0:
                acc += (b - a) / denom
        out[blk] = acc
