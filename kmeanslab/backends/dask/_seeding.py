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
from ._tasks import (concat_selections, first_candidate, merge_top,
                     merge_top_rows, parallel_round_task, parallel_weights_task,
                     select_candidates, weighted_keys_task)

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
    """The k-means|| rounds, one pass over the data each.

    One sample drawn in proportion to its weight, then ``n_rounds`` rounds
    keeping each sample with probability ``min(1, l * w * d^2 / phi)``,
    ``l = oversampling * n_clusters``. A round is one task per block
    (:func:`~._tasks.parallel_round_task`: fold the previous round's
    candidates into the block's nearest-candidate distances, which stay
    with the block, and offer the rows the round may keep) and one small
    task that selects the round's candidates from the offers; the final
    pass folds in the last round's candidates and counts the weight
    nearest to each candidate. Each row's distance to each candidate is
    computed once: ``n_rounds + 2`` passes, whose distance work is one pass
    per candidate over the data in all. With persisted blocks the whole
    seeding is one submission to the scheduler; otherwise one per pass, so
    that only a few blocks are read at a time. Nothing per sample reaches
    the client.

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
    parts = [call(weighted_keys_task, blk, 1, seed, b, int(off))
             for b, (blk, off) in enumerate(zip(blocks, backend.offsets))]
    selection = settle(call(first_candidate, *parts))
    selections = [selection]
    states = [None] * len(blocks)
    l = oversampling * n_clusters
    for rnd in range(1, n_rounds + 1):
        results = [call(parallel_round_task, blk, state, selection, l, seed, rnd, b)
                   for b, (blk, state) in enumerate(zip(blocks, states))]
        selection = call(select_candidates, selection, *items(results, 1))
        states, selection = settle((items(results, 0), selection))
        selections.append(selection)
    weights = tree([call(parallel_weights_task, blk, state, selection)
                    for blk, state in zip(blocks, states)])
    cands, weights = dask.compute(call(concat_selections, *selections), weights)

    def top_up(size):
        return np.sort(_sample_graph(backend, size, seed + 1).compute())

    return cands, weights, top_up
