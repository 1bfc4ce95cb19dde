"""Building task graphs: cheap unique keys, literal nodes, the fixed-shape
reduction tree, and labels held per block where they were computed."""

from __future__ import annotations

import itertools
import operator
import uuid

import dask
import dask.array as da
import numpy as np
from dask.delayed import delayed

from ._client import scheduler_client
from ._tasks import SPLIT_EVERY, add, pick, take_task

__all__ = ["SPLIT_EVERY", "BlockLabels", "call", "gather", "items", "literal",
           "submit_and_fetch", "tree"]

# Task keys: a per-process token and a counter. Hashing every argument (what
# dask.delayed does by default) or drawing a uuid per task costs more than
# scheduling the task when the blocks are small.
_TOKEN = uuid.uuid4().hex[:12]
_COUNTER = itertools.count()
_LEAVES = {}


def _key(label):
    return f"kmeanslab-{label}-{_TOKEN}-{next(_COUNTER)}"


def call(func, *args):
    """A delayed call of ``func`` under a fresh unique key."""
    leaf = _LEAVES.get(func)
    if leaf is None:
        leaf = _LEAVES.setdefault(func, delayed(func, pure=True))
    return leaf(*args, dask_key_name=_key(func.__name__.strip("_")))


def literal(value, label):
    """``value`` as one graph node the tasks depend on (fetched once by each
    worker, and recomputable after a worker is lost)."""
    return delayed(value, name=_key(label))


def tree(leaves, combine=add):
    """Reduce delayed leaves SPLIT_EVERY at a time, in order; the tree's
    shape depends only on the number of leaves, so the floating-point result
    does not depend on where or when the tasks ran."""
    level = list(leaves)
    while True:
        level = [call(combine, *level[i:i + SPLIT_EVERY])
                 for i in range(0, len(level), SPLIT_EVERY)]
        if len(level) == 1:
            return level[0]


def submit_and_fetch(keep, want):
    """Compute the delayed values ``keep`` and ``want`` in one submission;
    returns (``keep`` persisted where each was computed, ``want``'s value).

    On a ``distributed.Client`` this is one graph sent to the scheduler and
    one fetch of ``want`` (``dask.persist`` then ``compute`` would send a
    second graph that only names the persisted key); without one, both are
    computed in this process.
    """
    client = scheduler_client()
    keep = list(keep)
    if client is None:
        keep, want = dask.persist(keep, want)
        return keep, want.compute()
    *keep, want = client.persist(keep + [want])
    from distributed import futures_of

    return keep, futures_of(want)[0].result()


def items(results, part):
    """Delayed ``result[part]`` of each delayed result."""
    return [call(operator.getitem, r, part) for r in results]


class BlockLabels:
    """Labels held per block where they were computed.

    ``items[b]`` is a (persisted) delayed result holding block b's labels:
    the labels array itself when its part is None, else ``pick(result,
    part)``; ``part`` is one part for every block or a list of one per
    block (``parts``). Indexing with sample indices and ``np.asarray``
    fetch what they need. ``stats`` is (centres, (inertia, counts)) once
    known, the pair possibly still a persisted delayed value.
    """

    def __init__(self, items, part, offsets, stats=None):
        self.items = items
        self.parts = (list(part) if isinstance(part, list)
                      else [part] * len(items))
        self.offsets = offsets
        self.stats = stats

    def __len__(self):
        return int(self.offsets[-1])

    def __getitem__(self, idx):
        """The labels of samples ``idx`` (int32; empty for no index, as an
        ndarray's would be)."""
        labels = gather(self.items, self.offsets, idx, self.parts)
        return np.empty(0, dtype=np.int32) if labels is None else labels

    def __array__(self, dtype=None, copy=None):
        parts = dask.compute(*[call(take_task, it, slice(None), part)
                               for it, part in zip(self.items, self.parts)])
        return np.concatenate(parts).astype(dtype or np.int32, copy=False)

    def to_dask(self):
        """The labels as a 1-D int32 dask array with X's row chunks."""
        blocks = [it if part is None else call(pick, it, part)
                  for it, part in zip(self.items, self.parts)]
        return da.concatenate([
            da.from_delayed(it, shape=(int(s),), dtype=np.int32)
            for it, s in zip(blocks, np.diff(self.offsets))])


def gather(results, offsets, idx, part=None):
    """Entries ``idx`` (global row indices, repeats allowed) of per-block
    results (``pick(results[b], part)``, ``part`` one for all blocks or a
    list of one per block); None when ``idx`` is empty."""
    parts = part if isinstance(part, list) else [part] * len(results)
    idx = np.asarray(idx, dtype=np.int64).ravel()
    n = int(offsets[-1])
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError(f"sample index out of range for {n} samples")
    uniq, inverse = np.unique(idx, return_inverse=True)
    blocks = np.searchsorted(offsets, uniq, side="right") - 1
    tasks = [call(take_task, results[b], uniq[blocks == b] - offsets[b], parts[b])
             for b in np.unique(blocks)]
    if not tasks:
        return None
    return np.concatenate(dask.compute(*tasks))[inverse]
