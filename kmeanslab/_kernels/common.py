"""Kernels shared by every algorithm: block layout, sums, inertia, distances.

Work is split into blocks of contiguous rows. The number of blocks depends
only on ``n_samples`` (never on the thread count) and per-block partial
results are reduced in block order, so results are bitwise identical whatever
the number of threads.
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
    """Squared Euclidean distance between row i of X and row j of centers."""
    acc = 0.0
    for f in range(X.shape[1]):
        t = X[i, f] - centers[j, f]
        acc += t * t
    return acc


@njit(parallel=True, cache=True)
def accumulate_dense(X, sample_weight, labels, starts, sums, weights, sq_norms,
                     counts):
    """Per-block weighted sums of the rows in each cluster.

    IN X, sample_weight, labels, starts. OUT sums (n_blocks, k, d),
    weights (n_blocks, k), sq_norms (n_blocks, k): sum of w * ||x||^2, counts (n_blocks, k).
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
            counts[b, c] += 1
            nrm = 0.0
            for f in range(n_features):
                v = X[i, f]
                sums[b, c, f] += w * v
                nrm += v * v
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


@njit(parallel=True, cache=True)
def assign_dense(X, centers, starts, labels, sq_dists):
    """Nearest centre of every row (ties go to the lowest index).

    OUT labels (n,), sq_dists (n,): squared distance to that centre.
    """
    n_blocks = starts.shape[0] - 1
    n_clusters = centers.shape[0]
    for b in prange(n_blocks):
        for i in range(starts[b], starts[b + 1]):
            best = 0
            best_sq = np.inf
            for j in range(n_clusters):
                s = sq_dist_row(X, i, centers, j)
                if s < best_sq:
                    best_sq = s
                    best = j
            labels[i] = best
            sq_dists[i] = best_sq


@njit(parallel=True, cache=True)
def sq_dists_to_centers_dense(X, centers, starts, out):
    """OUT out (n, k): squared distance of every row to every centre."""
    n_blocks = starts.shape[0] - 1
    n_clusters = centers.shape[0]
    for b in prange(n_blocks):
        for i in range(starts[b], starts[b + 1]):
            for j in range(n_clusters):
                out[i, j] = sq_dist_row(X, i, centers, j)
