"""Hamerly's exact k-means step (Hamerly 2010, "Making k-means even faster").

Each row keeps an upper bound on the distance to its centre and one lower
bound on the distance to every other centre. A row whose bounds prove that
its label cannot change is skipped without touching its features. Per-cluster
sums are updated only for the rows that change cluster (deltas per block,
reduced in block order by the caller).

Labels follow the label rule of :mod:`kmeanslab._kernels.common` (the
nearest centre by the float64 distance F, the lowest index on exact ties),
as Lloyd's step does. A bound test skips a row only when it proves that
the row's current centre is strictly nearest by F itself: the bounds are
widened by everything rounding can hide (the relative error of F, the
rounding of the stored bounds and of the accumulated centre movements, and
of the half distances between centres), so a row at an exact tie, or
within rounding of one, is always measured, and the full scan picks the
lowest index as Lloyd does.
"""

import numpy as np
from numba import njit, prange

from .common import (CHUNK_ROWS, exact_abs_error, exact_rel_error,
                     exact_scratch, exact_sq_dist, move_row_statistics,
                     sq_dist_row, two_nearest_exact)

# Relative rounding of the accumulated centre movements (the drifts): each
# step's movement is a float64 norm of d differences rounded to the data's
# type, and the drifts are float64 running sums. This covers the d + 3
# roundings of a step's norm, the cast, and a thousand steps of running
# sums (far beyond max_iter's default of 300; past that the errors, of
# random sign, grow like the square root of the steps, not linearly).
DRIFT_STEPS = 1024


@njit(inline="always")
def bound_margins(n_features, centers, bounds):
    """(rel, kappa, tau, half_scale, half_tau): the widening of the bound
    tests (see bound_test).

    rel = 1 + 2 g and tau = sqrt(3 t), with g and t F's relative and
    absolute errors: a distance U with U * rel + tau < L proves F(U) < F(L)
    for all points at those true distances. kappa: the relative rounding of
    a stored bound (in bounds' type) and of the drifts added to or
    subtracted from it, plus g (a stored bound is sqrt(F), not the true
    distance). half_scale, half_tau: the widening of the half distances
    between centres, computed in the centres' own type (relative
    (d + 5) eps there, and gradual underflow).
    """
    d = float(n_features)
    g = exact_rel_error(n_features)
    rel = 1.0 + 2.0 * g
    tau = np.sqrt(3.0 * exact_abs_error(n_features))
    eps_b = np.finfo(bounds.dtype).eps
    kappa = g + 8.0 * eps_b + 8.0 * (d + DRIFT_STEPS) * 2.0 ** -53
    eps_c = np.finfo(centers.dtype).eps
    half_scale = 1.0 - 2.0 * (d + 5.0) * eps_c
    # Smallest subnormal of the centres' type: 2^-149 or 2^-1074.
    tiny_c = np.finfo(centers.dtype).tiny * eps_c
    half_tau = np.sqrt(4.0 * (d + 2.0) * tiny_c)
    return rel, kappa, tau, half_scale, half_tau


@njit(inline="always")
def safe_lower(stored, drift, kappa):
    """The lower bound ``stored - drift`` less what rounding can hide in it
    (kappa relative to the stored value and the drift); inf stays inf (one
    centre: nothing else to be near)."""
    lower = np.float64(stored) - drift
    if lower < np.inf:
        lower -= 2.0 * kappa * (abs(np.float64(stored)) + drift)
    return lower


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
    largest move. Both tests are strict and widened by the rounding margins
    of :func:`bound_margins`: a row is skipped only when F provably keeps
    its label.

    Rows are taken CHUNK_ROWS at a time: the bound test picks the rows that
    need distances to every centre; those rows are gathered and measured by
    F, centre by centre, vectorised across the gathered rows
    (two_nearest_exact).

    IN centers (k, d): the centres to assign to; half_min_dist (k,): half the
    distance from each centre to its nearest other centre; drift (k,),
    max_drift: accumulated movement up to these centres; ref (k, d): the
    point each cluster's statistics are measured from (near the cluster, so
    the inertia computed from them does not cancel). x_sq_norms and
    use_blas are not read (the rule measures every label by F; kept for
    the callers' argument lists).
    INOUT labels (n,) (-1 for "no label yet"), upper_stored (n,),
    lower_stored (n,). Invariant for rows with a label: the true upper bound
    is >= the distance to the assigned centre and the true lower bound is
    <= the distance to every other centre, up to the rounding bound_margins
    covers.
    OUT delta_sums (n_blocks, k, d): sums of w * (x - ref[c]),
    delta_weights (n_blocks, k), delta_sq_norms (n_blocks, k): sums of
    w * ||x - ref[c]||^2, delta_counts (n_blocks, k) (rows of positive
    weight only): the change of the per-cluster statistics caused by rows
    that changed cluster; n_changed (n_blocks,).
    """
    n_blocks = starts.shape[0] - 1
    n_features = X.shape[1]
    rel, kappa, tau, half_scale, half_tau = bound_margins(
        n_features, centers, upper_stored)
    for b in prange(n_blocks):
        todo = np.empty(CHUNK_ROWS, dtype=np.int64)
        tile = np.empty((n_features, CHUNK_ROWS), dtype=X.dtype)
        tile_best = np.empty(CHUNK_ROWS, dtype=np.int64)
        lanes, tile_dist, tile_first, tile_second = exact_scratch(n_features,
                                                                  CHUNK_ROWS)
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
                    u_s = np.float64(upper_stored[i])
                    bound = safe_lower(lower_stored[i], max_drift, kappa)
                    half = half_min_dist[a] * half_scale - half_tau
                    if half > bound:
                        bound = half
                    # What rounding can hide in the upper bound (relative
                    # to the stored value and the drift added to it).
                    slack_u = 2.0 * kappa * (abs(u_s) + drift[a])
                    # Strict, widened comparisons: at an exact tie (or within
                    # rounding of one) the full scan decides, so ties go to
                    # the lowest index as in Lloyd.
                    if (u_s + drift[a]) * rel + slack_u + tau < bound:
                        continue
                    upper = np.sqrt(exact_sq_dist(X, i, centers, a))
                    if upper * rel + tau < bound:
                        upper_stored[i] = upper - drift[a]
                        continue
                todo[n_todo] = i
                n_todo += 1
            if n_todo == 0:
                continue
            two_nearest_exact(X, todo, n_todo, centers, tile, lanes, tile_dist,
                              tile_best, tile_first, tile_second)
            for r in range(n_todo):
                i = todo[r]
                a = labels[i]
                best = tile_best[r]
                upper_stored[i] = np.sqrt(tile_first[r]) - drift[best]
                lower_stored[i] = np.sqrt(tile_second[r]) + max_drift
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
