"""Two nearest centres of every row from a hint (a centre near the row),
for runs that start from an earlier run's labels (breathing k-means).

A full pass measures every row against every centre. When each row comes
with a hinted centre ``a`` (its label in an earlier run over mostly the same
centres), the triangle inequality bounds where its two nearest centres can
be: with ``d_a`` the row's distance to ``a`` and ``nn_a`` the distance from
``a`` to its nearest other centre, the second-nearest distance is at most
``d_a + nn_a`` (``a`` or that neighbour), so every centre ``c`` at or within
it has ``dist(a, c) <= 2 d_a + nn_a``. The rows hinted to ``a`` are split
into tiers by ``d_a`` (bands of ``r_a / n_tiers``, ``r_a`` the largest
``d_a``); each (centre, tier) group gets the list of centres within
``2 r + nn_a`` of ``a``, ``r`` the tier's outer radius, in index order. The
rows are grouped, and each group is measured against its list only,
centre by centre, vectorised across the group's rows (as
``common.two_nearest_tiled`` does for all centres).

The answers are the full pass's to the bit: distances use its arithmetic
(features added in order, in the data's precision), the nearest is the
lowest index among the smallest squared distances (a centre wins only when
strictly nearer, candidates in index order), and the second is the smallest
after removing one copy of the nearest. The limits are widened by ``slack``
(a relative margin far above the rounding of the distances), so rounding
can only add candidates, never drop one. Low dimensions only: with many
features the full pass computes distances through BLAS, another arithmetic.
"""

import numpy as np
from numba import njit, prange

from .common import (CHUNK_ROWS, move_row_statistics, sq_dist_row,
                     two_nearest_tiled)


@njit(parallel=True, cache=True)
def hint_radii_dense(X, centers, hints, starts, radii):
    """Largest squared distance from a row to its hinted centre, per hinted
    centre and block.

    IN hints (n,): a centre index per row. OUT radii (n_blocks, k) (NaN
    where a distance is NaN).
    """
    n_blocks = starts.shape[0] - 1
    for b in prange(n_blocks):
        radii[b] = 0.0
        for i in range(starts[b], starts[b + 1]):
            a = hints[i]
            sq = sq_dist_row(X, i, centers, a)
            if not sq <= radii[b, a]:
                radii[b, a] = sq


@njit(cache=True)
def center_dists(centers, dists, nearest):
    """OUT dists (k, k): distances between the centres, measured in float64;
    nearest (k,): from each centre to its nearest other one (inf when there
    is none)."""
    k = centers.shape[0]
    nearest[:] = np.inf
    for a in range(k):
        dists[a, a] = 0.0
        for c in range(a + 1, k):
            s = 0.0
            for f in range(centers.shape[1]):
                t = np.float64(centers[a, f]) - np.float64(centers[c, f])
                s += t * t
            d = np.sqrt(s)
            dists[a, c] = d
            dists[c, a] = d
            nearest[a] = min(nearest[a], d)
            nearest[c] = min(nearest[c], d)


@njit(cache=True)
def nearest_center_dists(centers, nearest):
    """OUT nearest (k,): distance from each centre to its nearest other one
    (inf when there is none), measured in float64, in O(k) memory."""
    k = centers.shape[0]
    nearest[:] = np.inf
    for a in range(k):
        for c in range(a + 1, k):
            s = 0.0
            for f in range(centers.shape[1]):
                t = np.float64(centers[a, f]) - np.float64(centers[c, f])
                s += t * t
            d = np.sqrt(s)
            nearest[a] = min(nearest[a], d)
            nearest[c] = min(nearest[c], d)


@njit(cache=True)
def candidate_counts(dists, nearest, radii, n_tiers, slack, limits, counts):
    """Sizes of the candidate lists of the groups (centre a, tier t), group
    ``a * n_tiers + t`` holding the rows hinted to a within
    ``radii[a] * (t + 1) / n_tiers`` of it.

    IN dists (k, k), nearest (k,) from :func:`center_dists`; radii (k,):
    the largest distance from a row hinted to each centre to it; slack: the
    relative margin. OUT limits (k * n_tiers,): ``(2 radius + nearest) *
    (1 + slack)`` with the group's radius; counts (k * n_tiers,): the
    centres within the limit, the centre itself included.
    """
    k = dists.shape[0]
    for a in range(k):
        for t in range(n_tiers):
            g = a * n_tiers + t
            radius = radii[a] * (t + 1) / n_tiers
            limits[g] = (2.0 * radius + nearest[a]) * (1.0 + slack)
            n = 0
            for c in range(k):
                if c == a or dists[a, c] <= limits[g]:
                    n += 1
            counts[g] = n


@njit(cache=True)
def candidate_lists(centers, dists, n_tiers, limits, list_starts, list_idx,
                    list_t):
    """Per group g (centre a = g // n_tiers): the centres within limits[g]
    of a (a included), in index order.

    IN centers (k, d) in the data's type; dists (k, k); limits; list_starts
    (n_groups + 1,): where each list begins (cumulated counts). OUT
    list_idx (total,): centre indices; list_t (d, total): their
    coordinates, feature-major.
    """
    k = centers.shape[0]
    for g in range(list_starts.shape[0] - 1):
        a = g // n_tiers
        pos = list_starts[g]
        for c in range(k):
            if c == a or dists[a, c] <= limits[g]:
                list_idx[pos] = c
                for f in range(centers.shape[1]):
                    list_t[f, pos] = centers[c, f]
                pos += 1


@njit(parallel=True, cache=True)
def tier_rows(X, centers, hints, radii, n_tiers, starts, groups, counts):
    """The group of every row: its hint and its tier, the band of
    distances to the hinted centre it falls in.

    IN radii (k,) as in :func:`candidate_counts`. OUT groups (n,):
    ``hint * n_tiers + tier``; counts (n_blocks, k * n_tiers): rows per
    block and group.
    """
    n_blocks = starts.shape[0] - 1
    for b in prange(n_blocks):
        counts[b] = 0
        for i in range(starts[b], starts[b + 1]):
            a = hints[i]
            t = 0
            if radii[a] > 0.0:
                d = np.sqrt(np.float64(sq_dist_row(X, i, centers, a)))
                t = min(n_tiers - 1, int(d / radii[a] * n_tiers))
            g = a * n_tiers + t
            groups[i] = g
            counts[b, g] += 1


@njit(parallel=True, cache=True)
def group_rows(X, groups, starts, counts, group_starts, where, tile):
    """The rows sorted by group, increasing within a group, copied
    feature-major.

    IN counts (n_blocks, n_groups): rows per block and group (from
    :func:`tier_rows`); group_starts (n_groups + 1,): cumulated row counts
    per group. OUT where (n,): the position of each row in group order;
    tile (d, n): column ``where[i]`` holds row i (X is read in order; the
    scattered writes cost less than scattered reads would later).
    """
    n_blocks, n_groups = counts.shape
    offsets = np.empty((n_blocks, n_groups), dtype=np.int64)
    for g in range(n_groups):
        pos = group_starts[g]
        for b in range(n_blocks):
            offsets[b, g] = pos
            pos += counts[b, g]
    for b in prange(n_blocks):
        for i in range(starts[b], starts[b + 1]):
            g = groups[i]
            r = offsets[b, g]
            where[i] = r
            for f in range(X.shape[1]):
                tile[f, r] = X[i, f]
            offsets[b, g] += 1


@njit(parallel=True, cache=True)
def two_nearest_grouped(tile, group_starts, list_starts, list_idx, list_t,
                        best, first, second):
    """Nearest centre, its squared distance and the second-nearest squared
    distance of every row from its group's candidates: the values of
    ``two_nearest_tiled`` (and ``assign_two_dense``) over all centres.

    IN tile (d, n): the rows in group order, group_starts (from
    :func:`group_rows`); the groups' candidate lists. OUT best (n,),
    first (n,), second (n,), in group order.
    """
    n_groups = group_starts.shape[0] - 1
    n_features = tile.shape[0]
    for g in prange(n_groups):
        s0 = group_starts[g]
        m = group_starts[g + 1] - s0
        if m == 0:
            continue
        # Scratch of the group's own (the compiler then knows that nothing
        # else aliases it, and vectorises the loops below).
        dist = np.empty(m, dtype=tile.dtype)
        g_best = np.zeros(m, dtype=np.int64)
        g_first = np.full(m, np.inf, dtype=tile.dtype)
        g_second = np.full(m, np.inf, dtype=tile.dtype)
        for p in range(list_starts[g], list_starts[g + 1]):
            j = list_idx[p]
            c = list_t[0, p]
            for r in range(m):
                t = tile[0, s0 + r] - c
                dist[r] = t * t
            for f in range(1, n_features):
                c = list_t[f, p]
                for r in range(m):
                    t = tile[f, s0 + r] - c
                    dist[r] += t * t
            for r in range(m):
                v = dist[r]
                hi = v if v > g_first[r] else g_first[r]
                g_second[r] = hi if hi < g_second[r] else g_second[r]
                g_best[r] = j if v < g_first[r] else g_best[r]
                g_first[r] = v if v < g_first[r] else g_first[r]
        best[s0:s0 + m] = g_best
        first[s0:s0 + m] = g_first
        second[s0:s0 + m] = g_second


@njit(parallel=True, cache=True)
def hamerly_start_hinted(X, sample_weight, centers, hints, nearest, slack, ref,
                         starts, labels, upper_stored, lower_stored,
                         delta_sums, delta_weights, delta_sq_norms,
                         delta_counts, n_changed):
    """Hamerly's first step (every row unlabelled, no centre moved) from
    hints: the labels, statistics and counts ``hamerly_step_dense`` writes
    in that case, with valid bounds.

    A row closer to its hinted centre a than half of nearest[a] (the
    distance from a to its nearest other centre), with the relative margin
    ``slack`` against rounding, has a as its nearest centre (every other
    one is at least ``nearest[a] - d_a`` away, by the triangle inequality),
    which is also its lower bound; the other rows are measured against
    every centre (``two_nearest_tiled``) and get exact bounds.

    IN hints (n,): a centre index per row; nearest (k,); ref (k, d): the
    statistics' reference points. OUT labels, upper_stored, lower_stored
    (n,); delta_sums, delta_weights, delta_sq_norms, delta_counts: every row
    moved from "no cluster" to its own, rows added in increasing order per
    block; n_changed (n_blocks,): the rows of each block.
    """
    n_blocks = starts.shape[0] - 1
    n_features = X.shape[1]
    for b in prange(n_blocks):
        todo = np.empty(CHUNK_ROWS, dtype=np.int64)
        tile = np.empty((n_features, CHUNK_ROWS), dtype=X.dtype)
        tile_dist = np.empty(CHUNK_ROWS, dtype=X.dtype)
        tile_best = np.empty(CHUNK_ROWS, dtype=np.int64)
        tile_first = np.empty(CHUNK_ROWS, dtype=X.dtype)
        tile_second = np.empty(CHUNK_ROWS, dtype=X.dtype)
        delta_sums[b] = 0.0
        delta_weights[b] = 0.0
        delta_sq_norms[b] = 0.0
        delta_counts[b] = 0
        for s0 in range(starts[b], starts[b + 1], CHUNK_ROWS):
            s1 = min(s0 + CHUNK_ROWS, starts[b + 1])
            n_todo = 0
            for i in range(s0, s1):
                a = hints[i]
                d = np.sqrt(np.float64(sq_dist_row(X, i, centers, a)))
                lower = (nearest[a] - d) * (1.0 - slack)
                if d * (1.0 + slack) < lower:
                    labels[i] = a
                    upper_stored[i] = d
                    lower_stored[i] = lower
                else:
                    todo[n_todo] = i
                    n_todo += 1
            if n_todo > 0:
                two_nearest_tiled(X, todo, n_todo, centers, tile, tile_dist,
                                  tile_best, tile_first, tile_second)
                for r in range(n_todo):
                    i = todo[r]
                    labels[i] = tile_best[r]
                    upper_stored[i] = np.sqrt(tile_first[r])
                    lower_stored[i] = np.sqrt(tile_second[r])
            for i in range(s0, s1):
                move_row_statistics(X, i, sample_weight[i], -1, labels[i], ref,
                                    b, delta_sums, delta_weights,
                                    delta_sq_norms, delta_counts)
        n_changed[b] = starts[b + 1] - starts[b]


@njit(cache=True)
def removal_utilities_grouped(sample_weight, where, best, first, second, out):
    """OUT out (k,) float64: per centre, the sum over the rows nearest to it
    of ``w * (second - first)``, rows added in increasing order (what
    ``np.bincount(labels, weights=w * (second - first))`` adds, to the bit).

    IN where, best, first, second as ``two_nearest_grouped`` gives them
    (entry ``where[i]`` is row i's).
    """
    out[:] = 0.0
    for i in range(where.shape[0]):
        r = where[i]
        gap = second[r] - first[r]
        out[best[r]] += np.float64(sample_weight[i]) * np.float64(gap)
