"""Seeding primitives for Dask data: weighted sampling without replacement
and the k-means|| candidate rounds, as graphs of per-block tasks.

Every random draw comes from a per-block stream seeded by (one draw from
the caller's ``random_state``, round, block), so a seeding depends on the
chunking but not on the scheduler or the workers. The reduction of the
candidates to ``n_clusters`` centres is the in-memory one
(:func:`kmeanslab.init.parallel_init`).
"""

from __future__ import annotations

import dask
import numpy as np

from ._graph import call, items, tree
from ._tasks import (candidate_weights_task, concat_rows, merge_top,
                     merge_top_rows, nearest_task, oversample_task,
                     weighted_keys_task)

__all__ = ["kmeans_parallel_candidates", "weighted_sample"]


def _sample_graph(backend, size, seed, rows=False):
    """Delayed: ``size`` distinct sample indices (or their rows) drawn in
    proportion to weight, without replacement (per-block random streams)."""
    parts = [call(weighted_keys_task, blk, size, seed, b, int(off))
             for b, (blk, off) in enumerate(zip(backend.blocks, backend.offsets))]
    return call(merge_top_rows if rows else merge_top, size, *parts)


def _draw_seed(random_state):
    return int(random_state.randint(np.iinfo(np.int32).max))


def weighted_sample(backend, size, random_state):
    """Sorted indices of ``size`` distinct samples drawn in proportion to
    their weight (one draw from ``random_state`` seeds the blocks' streams)."""
    seed = _draw_seed(random_state)
    return np.sort(_sample_graph(backend, size, seed).compute())


def kmeans_parallel_candidates(backend, n_clusters, random_state, *,
                               oversampling, n_rounds):
    """The k-means|| rounds as one graph of per-block tasks.

    One sample drawn in proportion to its weight, then ``n_rounds`` rounds
    keeping each sample with probability ``min(1, l * w * d^2 / phi)``,
    ``l = oversampling * n_clusters``; the distances stay with their
    blocks. Costs 2 * n_rounds + 2 passes over the data; with persisted
    blocks they are one submission to the scheduler (otherwise one per
    pass, so that no more than a few blocks are read at a time).

    Returns (candidates, weights, top_up) as the protocol's
    ``kmeans_parallel_candidates`` says; ``top_up`` draws from the stream
    seeded by the rounds' seed + 1.
    """
    seed = _draw_seed(random_state)
    blocks = backend.blocks
    # Without persisted blocks every pass must end before the next begins
    # (else one graph would hold every block until its last pass).
    settle = ((lambda obj: obj) if backend.persist
              else (lambda obj: dask.persist(obj)[0]))
    found = [settle(_sample_graph(backend, 1, seed, rows=True))]
    near = settle([call(nearest_task, blk, None, found[0]) for blk in blocks])
    l = oversampling * n_clusters
    for rnd in range(1, n_rounds + 1):
        phi = tree(items(near, 1))
        new = settle([call(oversample_task, blk, p, phi, l, seed, rnd, b)
                      for b, (blk, p) in enumerate(zip(blocks, near))])
        found.extend(new)
        if rnd < n_rounds:
            near = settle([call(nearest_task, blk, p, *new)
                           for blk, p in zip(blocks, near)])
    cands = call(concat_rows, *found)
    weights = tree([call(candidate_weights_task, blk, cands) for blk in blocks])
    cands, weights = dask.compute(cands, weights)

    def top_up(size):
        return np.sort(_sample_graph(backend, size, seed + 1).compute())

    return cands, weights, top_up
