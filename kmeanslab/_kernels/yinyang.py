"""Yinyang k-means step (Ding et al. 2015, "Yinyang K-Means: A Drop-In
Replacement of the Classic K-Means with Consistent Speedup").

The centres are split into groups once per run. Each row keeps an upper
bound on the distance to its centre and one lower bound per group (on the
distance to every centre of the group other than its own). A row is skipped
when its upper bound is below every group's lower bound (the global filter);
otherwise only the groups whose lower bound is not above the best distance
found so far are measured (the group filter). With many clusters most rows
pass the global filter, and those that fail look at a few groups, where
Hamerly's single lower bound (one bound for all other centres) sends them to
a full scan of every centre.

Like hamerly.py, bounds are stored relative to the accumulated movement, so
a row that passes is only read, and per-cluster sums change only for rows
that change cluster. Distances are F, the label rule's float64 distance
(:mod:`kmeanslab._kernels.common`), and the nearest centre is chosen with
ties to the lowest index: the labels are Lloyd's. Both filters are strict
and widened by the rounding margins of
:func:`kmeanslab._kernels.hamerly.bound_margins`, so a row or group within
rounding of a tie is always measured.
"""

import numpy as np
from numba import njit, prange

from .common import (EXACT_LANES, exact_sq_dist, exact_tile_sq_dists,
                     move_row_statistics, sq_dist_row)
from .hamerly import bound_margins, safe_lower


@njit(parallel=True, cache=True)
def yinyang_step_dense(X, sample_weight, centers, half_min_dist, group_starts,
                       group_members, group_of, drift, group_drift, ref, starts,
                       labels, upper_stored, lower_stored, delta_sums,
                       delta_weights, delta_sq_norms, delta_counts, n_changed):
    """One bounded assignment pass with group bounds.

    IN centers (k, d); half_min_dist (k,): half the distance from each centre
    to its nearest other centre; group_members (k,): the centres sorted by
    group, group g being group_members[group_starts[g]:group_starts[g + 1]];
    group_of (k,): the group of each centre; drift (k,): total distance each
    centre has moved so far; group_drift (n_groups,): sum over steps of the
    largest move in each group; ref (k, d): the reference points of the
    statistics (see hamerly_step_dense).
    INOUT labels (n,) (-1 for "no label yet"), upper_stored (n,),
    lower_stored (n, n_groups). Invariant for rows with a label: the true
    upper bound ``upper_stored[i] + drift[labels[i]]`` is >= the distance to
    the assigned centre, and the true lower bound of group g,
    ``lower_stored[i, g] - group_drift[g]``, is <= the distance to every
    centre of g other than the assigned one (up to the rounding the
    margins cover).
    OUT delta_sums, delta_weights, delta_sq_norms, delta_counts, n_changed:
    as in hamerly_step_dense.
    """
    n_blocks = starts.shape[0] - 1
    n_groups = group_starts.shape[0] - 1
    n_features = X.shape[1]
    rel, kappa, tau, half_scale, half_tau = bound_margins(
        n_features, centers, upper_stored)
    # The centres in group order, transposed and widened to float64: a
    # group's F values are then loops over features with the group's
    # centres innermost (unit stride, vectorised), each centre's lanes
    # added as exact_sq_dist adds them.
    grouped_t = np.ascontiguousarray(centers[group_members].T).astype(np.float64)
    max_group = 0
    for g in range(n_groups):
        max_group = max(max_group, group_starts[g + 1] - group_starts[g])
    n_lanes = EXACT_LANES if n_features > EXACT_LANES else 0
    for b in prange(n_blocks):
        dists = np.empty(max_group, dtype=np.float64)
        lanes = np.empty((n_lanes, max_group), dtype=np.float64)
        lower = np.empty(n_groups, dtype=np.float64)
        safe = np.empty(n_groups, dtype=np.float64)
        first_sq = np.empty(n_groups, dtype=np.float64)
        first_idx = np.empty(n_groups, dtype=np.int64)
        second_sq = np.empty(n_groups, dtype=np.float64)
        examined = np.empty(n_groups, dtype=np.bool_)
        delta_sums[b] = 0.0
        delta_weights[b] = 0.0
        delta_sq_norms[b] = 0.0
        delta_counts[b] = 0
        changed = 0
        for i in range(starts[b], starts[b + 1]):
            a = labels[i]
            best = -1
            best_sq = np.inf
            assigned_dist = np.inf
            if a >= 0:
                glob = np.inf
                for g in range(n_groups):
                    lower[g] = np.float64(lower_stored[i, g]) - group_drift[g]
                    safe[g] = safe_lower(lower_stored[i, g], group_drift[g],
                                         kappa)
                    if safe[g] < glob:
                        glob = safe[g]
                bound = half_min_dist[a] * half_scale - half_tau
                if glob > bound:
                    bound = glob
                u_s = np.float64(upper_stored[i])
                slack_u = 2.0 * kappa * (abs(u_s) + drift[a])
                # Strict, widened comparisons throughout: at an exact tie
                # (or within rounding of one) the row is measured, so ties
                # go to the lowest index as in Lloyd.
                if (u_s + drift[a]) * rel + slack_u + tau < bound:
                    continue
                best_sq = exact_sq_dist(X, i, centers, a)
                assigned_dist = np.sqrt(best_sq)
                if assigned_dist * rel + tau < bound:
                    upper_stored[i] = assigned_dist - drift[a]
                    continue
                best = a
            else:
                for g in range(n_groups):
                    lower[g] = -np.inf
                    safe[g] = -np.inf
            # Group filter: a group whose lower bound proves every centre in
            # it farther by F than the best so far cannot hold the nearest
            # centre (nor tie it).
            for g in range(n_groups):
                examined[g] = not (np.sqrt(best_sq) * rel + tau < safe[g])
                if not examined[g]:
                    continue
                g_first = np.inf
                g_idx = -1
                g_second = np.inf
                g0 = group_starts[g]
                size = group_starts[g + 1] - g0
                # F(centre, row) = F(row, centre) to the bit: (c - x)^2 == (x - c)^2.
                exact_tile_sq_dists(grouped_t[:, g0:g0 + size], size, X[i], lanes, dists)
                for m in range(size):
                    j = group_members[g0 + m]
                    sq = dists[m]
                    if sq < g_first or (sq == g_first and j < g_idx):
                        g_second = g_first
                        g_first = sq
                        g_idx = j
                    elif sq < g_second:
                        g_second = sq
                    if sq < best_sq or (sq == best_sq and j < best):
                        best_sq = sq
                        best = j
                first_sq[g] = g_first
                first_idx[g] = g_idx
                second_sq[g] = g_second
            # New bounds: from F for the measured groups (excluding the new
            # centre); the old centre, if it lost, joins its group's bound.
            upper_stored[i] = np.sqrt(best_sq) - drift[best]
            for g in range(n_groups):
                if examined[g]:
                    near = second_sq[g] if first_idx[g] == best else first_sq[g]
                    lower_stored[i, g] = np.sqrt(near) + group_drift[g]
            if a >= 0 and best != a and not examined[group_of[a]]:
                ga = group_of[a]
                lower_stored[i, ga] = min(lower[ga], assigned_dist) + group_drift[ga]
            if best == a:
                continue
            changed += 1
            move_row_statistics(X, i, sample_weight[i], a, best, ref, b,
                                delta_sums, delta_weights, delta_sq_norms,
                                delta_counts)
            labels[i] = best
        n_changed[b] = changed


@njit(cache=True)
def group_centers(centers, n_groups, n_rounds, group_of):
    """Split the centres into n_groups groups by a few Lloyd rounds on the
    centres themselves, seeded by farthest-first traversal from centre 0
    (deterministic).

    OUT group_of (k,): the group of every centre; every group is non-empty.
    """
    k = centers.shape[0]
    seeds = np.empty((n_groups, centers.shape[1]), dtype=np.float64)
    closest = np.full(k, np.inf)
    pick = 0
    for g in range(n_groups):
        seeds[g] = centers[pick]
        far = -1.0
        for j in range(k):
            d = sq_dist_row(centers, j, seeds, g)
            if d < closest[j]:
                closest[j] = d
            if closest[j] > far:
                far = closest[j]
                pick = j
    for _ in range(n_rounds):
        for j in range(k):
            best = 0
            best_d = np.inf
            for g in range(n_groups):
                d = sq_dist_row(centers, j, seeds, g)
                if d < best_d:
                    best_d = d
                    best = g
            group_of[j] = best
        sums = np.zeros_like(seeds)
        counts = np.zeros(n_groups, dtype=np.int64)
        for j in range(k):
            counts[group_of[j]] += 1
            for f in range(centers.shape[1]):
                sums[group_of[j], f] += centers[j, f]
        for g in range(n_groups):
            if counts[g] > 0:
                for f in range(centers.shape[1]):
                    seeds[g, f] = sums[g, f] / counts[g]
    # A group that ended empty takes one centre from the largest group.
    counts = np.zeros(n_groups, dtype=np.int64)
    for j in range(k):
        counts[group_of[j]] += 1
    for g in range(n_groups):
        if counts[g] == 0:
            largest = np.argmax(counts)
            for j in range(k):
                if group_of[j] == largest:
                    group_of[j] = g
                    counts[largest] -= 1
                    counts[g] += 1
                    break
