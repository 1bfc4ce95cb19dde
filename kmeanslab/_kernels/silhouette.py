"""Exact Euclidean silhouette without the n x n distance matrix.

Rows are sorted by cluster and stored feature-major (``X_t`` of shape
(n_features, n_samples), float64, see ``feature_chunks``). The sorted rows
are cut into the ``common.block_starts`` blocks, and each block into
*segments*: runs of at most ``tile_rows`` rows of one cluster. The tile
kernel takes two segments (P, Q), computes each distance d(i, j), i in P,
j in Q, once and adds it to both ``sums[cluster(Q), i]`` and
``sums[cluster(P), j]``: every unordered pair is visited once, half the work
of a row-by-row pass. ``sums`` has shape
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

Distances come from coordinate differences, never from the BLAS expansion
||x||^2 - 2 x.y + ||y||^2 that the k-means kernels use in high dimensions:
the expansion cancels catastrophically for close points (scikit-learn's
silhouette is off by ~1e-11 even in 1-D), and at 32 features the direct
kernel is already ~8x faster than scikit-learn.
"""

import math

import numpy as np
from numba import njit, prange

from .common import block_starts

# Features are summed in chunks of at most FEATURE_CHUNK, the chunk width
# being a compile-time constant (the length of the ``lanes`` tuple) so the
# loop over a chunk's features is unrolled and the loop over j vectorises
# with the squared distance held in registers. n_features <= 8 is one chunk:
# one fused pass per row, bound by sqrt throughput. Wider data goes through a
# squared-distance buffer once per chunk. Measured per 1e8 pairs, one thread
# (AMD EPYC, AVX-512): 0.023 s at 2 features, 0.033 s at 8, 0.17-0.19 s at 32,
# versus 0.12-0.15 s at 8 and 0.26-0.30 s at 32 with one buffered pass per
# feature.
FEATURE_CHUNK = 8

# Rows per segment (tile edge). Measured with one thread on make_blobs
# 20,000 x d, k=8 (CPU time): at d <= 4, 1024 rows beat 256 by ~10% (per-row
# set-up) and 2048 gained nothing; at d = 8 to 64, 256..1024 were within 10%,
# 512 the best or close to it.
TILE_ROWS_NARROW = 1024
TILE_ROWS_WIDE = 512

# Queries per block in the query kernel (silhouette_estimate): enough blocks to
# balance threads, each owning its squared-distance buffer.
QUERY_BLOCK_ROWS = 16

# ``reassoc`` lets LLVM vectorise the running sum of distances (partial sums
# in vector lanes). It changes only the order of additions, which is fixed at
# compile time, so results stay deterministic; NaN and inf handling is kept.
# tests/unit/test_metrics.py checks agreement with scikit-learn to 1e-9.
_FASTMATH = {"reassoc"}


def tile_rows_for(n_features):
    """Segment length (tile edge) for ``n_features``."""
    return TILE_ROWS_NARROW if n_features <= 4 else TILE_ROWS_WIDE


def feature_chunks(X):
    """``X_t`` and ``lanes`` as the kernels want them.

    X_t is X transposed to (n_features_padded, n_samples) float64, padded with
    zero rows to a multiple of the chunk width; zero rows add exactly 0 to
    every squared distance. ``lanes`` is a tuple whose length is the chunk
    width: the smallest of 1, 2, 4, 8 (FEATURE_CHUNK) that covers n_features,
    so at most four specialisations of each kernel are ever compiled.
    """
    n_samples, n_features = X.shape
    width = 1
    while width < min(n_features, FEATURE_CHUNK):
        width *= 2
    padded = -(-n_features // width) * width
    X_t = np.zeros((padded, n_samples), dtype=np.float64)
    X_t[:n_features] = X.T
    return X_t, (0,) * width


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


@njit(fastmath=_FASTMATH, cache=True)
def _row_dist_sum(X_t, lanes, i, j_start, j_stop, buf, col):
    """Return the sum of d(i, j) over j in [j_start, j_stop).

    IN X_t (d_padded, n); lanes: tuple, its length the chunk width. INOUT col
    (n,) or None (resolved at compile time): col[j] += d(i, j). OUT buf
    scratch (>= j_stop - j_start,), used when there is more than one chunk.
    Loops index with the unsigned ``j``: numba's negative-index wraparound is
    then dead code and LLVM vectorises them (signed ``j_start + t`` indices
    gave gathers or scalar code).
    """
    width = len(lanes)
    last = X_t.shape[0] - width
    n = j_stop - j_start
    for f0 in range(0, last, width):
        for t in range(n):
            j = np.uintp(j_start + t)
            sq_dist = 0.0
            for f in range(width):
                diff = X_t[f0 + f, i] - X_t[f0 + f, j]
                sq_dist += diff * diff
            if f0 == 0:
                buf[t] = sq_dist
            else:
                buf[t] += sq_dist
    acc = 0.0
    for t in range(n):
        j = np.uintp(j_start + t)
        sq_dist = buf[t] if last > 0 else 0.0
        for f in range(width):
            diff = X_t[last + f, i] - X_t[last + f, j]
            sq_dist += diff * diff
        dist = math.sqrt(sq_dist)
        acc += dist
        if col is not None:
            col[j] += dist
    return acc


@njit(cache=True)
def _tile_sums(X_t, lanes, p0, p1, q0, q1, diagonal, col_sums, row_sums, buf):
    """Add every distance d(i, j), i in [p0, p1), j in [q0, q1), to both rows.

    IN X_t, lanes (see ``_row_dist_sum``). INOUT col_sums (n,):
    sums[cluster(P)], receives d(i, j) at j; row_sums (n,): sums[cluster(Q)],
    receives the row total at i. OUT buf scratch. With ``diagonal`` (P == Q)
    only j > i is visited, so each unordered pair is counted once.
    """
    for i in range(p0, p1):
        j_start = i + 1 if diagonal else q0
        if j_start < q1:
            row_sums[i] += _row_dist_sum(X_t, lanes, i, j_start, q1, buf, col_sums)


@njit(cache=True)
def _block_pair_sums(X_t, lanes, seg_starts, seg_cluster, segs_a, segs_b, sums,
                     buf):
    """All segment pairs of blocks A and B (A == B: pairs p <= q), serially.

    IN segs_a, segs_b: (first, stop) segment ranges of the blocks.
    INOUT sums (k, n). OUT buf scratch.
    """
    same = segs_a[0] == segs_b[0]
    for p in range(segs_a[0], segs_a[1]):
        for q in range(p if same else segs_b[0], segs_b[1]):
            _tile_sums(X_t, lanes, seg_starts[p], seg_starts[p + 1], seg_starts[q],
                       seg_starts[q + 1], p == q, sums[seg_cluster[p]],
                       sums[seg_cluster[q]], buf)


@njit(parallel=True, cache=True)
def silhouette_sums_dense(X_t, lanes, seg_starts, seg_cluster, block_segs,
                          schedule, sums, diagonal=True):
    """Sum of distances from every row to every cluster, each pair visited once.

    IN X_t, lanes from ``feature_chunks``, rows sorted by cluster;
    seg_starts, seg_cluster, block_segs from ``tile_layout``; schedule
    (rounds, tasks, 2) from ``round_robin_schedule(n_blocks)``, or a run of
    its rounds; diagonal: also visit each block with itself (the round
    before the schedule's). INOUT sums (k, n), zero on entry: on exit
    sums[c, i] = sum of d(i, j) over rows j != i of cluster c. Calling it
    on consecutive runs of rounds, the first with ``diagonal``, adds in the
    same order as one call, so the sums are bitwise the same.
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
    for blk in prange(n_blocks if diagonal else 0):
        segs = block_segs[blk:blk + 2]
        _block_pair_sums(X_t, lanes, seg_starts, seg_cluster, segs, segs, sums,
                         bufs[blk])
    for r in range(schedule.shape[0]):
        for u in prange(schedule.shape[1]):
            blk_a = schedule[r, u, 0]
            if blk_a >= 0:
                blk_b = schedule[r, u, 1]
                _block_pair_sums(X_t, lanes, seg_starts, seg_cluster,
                                 block_segs[blk_a:blk_a + 2],
                                 block_segs[blk_b:blk_b + 2], sums, bufs[u])


@njit(parallel=True, cache=True)
def silhouette_query_sums_dense(X_t, lanes, queries, cluster_offsets, tile_rows,
                                sums):
    """Sum of distances from each query row to every cluster, against all rows.

    IN X_t, lanes from ``feature_chunks``, rows sorted by cluster;
    queries (m,): positions in X_t; cluster_offsets (k + 1,). OUT sums (m, k).
    The distance of a query to itself is exactly 0, so it adds nothing. Each
    query is summed serially: results do not depend on the thread count.
    """
    m = queries.shape[0]
    n_blocks = -(-m // QUERY_BLOCK_ROWS)
    for blk in prange(n_blocks):
        buf = np.empty(tile_rows, dtype=np.float64)
        for q in range(blk * QUERY_BLOCK_ROWS, min(m, (blk + 1) * QUERY_BLOCK_ROWS)):
            for c in range(cluster_offsets.shape[0] - 1):
                acc = 0.0
                for j0 in range(cluster_offsets[c], cluster_offsets[c + 1], tile_rows):
                    j1 = min(j0 + tile_rows, cluster_offsets[c + 1])
                    acc += _row_dist_sum(X_t, lanes, queries[q], j0, j1, buf, None)
                sums[q, c] = acc


@njit(cache=True)
def silhouette_from_sums(sums, labels, counts, out):
    """Per-sample silhouette from the per-cluster distance sums.

    IN sums (k, m): sums[c, i] = sum of distances of sample i to cluster c
    (its own distance 0 included or not); labels (m,) in 0..k-1; counts (k,)
    cluster sizes over all samples. OUT out (m,). scikit-learn's conventions:
    a is the mean over the own cluster without the sample (size - 1), b the
    lowest mean over the other clusters, s = (b - a) / max(a, b), and s = 0 for a
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
