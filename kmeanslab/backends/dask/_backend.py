"""The Dask backend (:class:`DaskBackend`, its Lloyd run) and lazy
predict/transform over a dask array."""

from __future__ import annotations

from contextlib import nullcontext
from types import MappingProxyType

import dask
import dask.array as da
import numpy as np
from dask.delayed import Delayed

from ..._kernels import hamerly
from .._protocol import DataSummary, StepStats, unsupported
from . import _seeding
from ._client import active_client, scheduler_client
from ._graph import (BlockLabels, call, gather, items, literal, submit_and_fetch,
                     tree)
from ._input import as_dask_array, as_dask_weights
from ._tasks import (add_in_block_order, assign_task, assign_two_task, bundle,
                     cluster_errors_task, combine_summaries, farthest_task,
                     group_step_task, hamerly_task, inertia_task,
                     label_counts_task, lloyd_task, merge_farthest, pack, pair_counts_task, predict_block,
                     removal_utilities_task, sq_dists_block,
                     sq_to_assigned_task, summary_task, transform_block)

__all__ = ["DaskBackend", "predict_dask", "transform_dask"]


class DaskBackend:
    """Data held as a row-chunked dask array (see the package docstring and
    :class:`kmeanslab.backends.Backend`).

    Parameters
    ----------
    X : dask Array or DataFrame of shape (n_samples, n_features)
    sample_weight : dask array, ndarray, number or None
        Aligned with X's rows (rechunked to X's row chunks).
    persist : bool or None, default=None
        Keep the blocks in memory where they are computed: on the workers of
        a distributed cluster, or in this process with the local scheduler.
        None persists when a ``distributed.Client`` is active; otherwise the
        blocks are read from their source on every pass, so data larger than
        memory streams through a few blocks at a time. The blocks are
        persisted on first use, so a fit refuses bad parameters before it
        submits any work.
    """

    name = "dask"
    init_aliases = MappingProxyType({"k-means++": "k-means||"})
    refinements = ("breathing",)
    seeds_from_sample = True
    can_center = False

    def __init__(self, X, sample_weight=None, *, persist=None):
        X = as_dask_array(X)
        sw = as_dask_weights(sample_weight, X)
        if persist is None:
            persist = active_client() is not None
        x_blocks = X.to_delayed().ravel().tolist()
        w_blocks = ([None] * len(x_blocks) if sw is None
                    else sw.to_delayed().ravel().tolist())
        self.X = X
        self.weights = sw
        self.persist = bool(persist)
        # Hamerly's bounds (two per row) stay beside the labels: on persisted
        # blocks they skip most distances; on blocks streamed from their
        # source every pass is dominated by reading them, and the bounds
        # would be most of the memory the fit holds, so Lloyd runs.
        self.algorithms = ("lloyd", "hamerly") if self.persist else ("lloyd",)
        self._blocks = [call(pack, x, w) for x, w in zip(x_blocks, w_blocks)]
        self._to_persist = self.persist
        self.offsets = np.concatenate([[0], np.cumsum(X.chunks[0])]).astype(np.int64)
        self._stats = None
        self._groups = None
        self._group_inputs = None

    @property
    def blocks(self):
        """Delayed (rows, weights) per block, persisted on first use when
        ``persist``."""
        if self._to_persist:
            self._blocks = list(dask.persist(*self._blocks))
            self._to_persist = False
        return self._blocks

    @property
    def groups(self):
        """Block indices in groups, one group per worker thread holding
        them (in block order), that a step runs as one task each; every
        block alone without persisted blocks on a ``distributed.Client``."""
        if self._groups is None:
            self._groups = self._group_blocks()
        return self._groups

    @property
    def group_inputs(self):
        """Per group, what its task reads for the blocks: one persisted
        bundle of them on a ``distributed.Client`` (so that a step's graph,
        and the client's work per step, grows with the number of groups
        only), else the list of the blocks."""
        if self._group_inputs is None:
            blocks, groups = self.blocks, self.groups
            inputs = [[blocks[b] for b in group] for group in groups]
            if len(groups) < len(blocks):
                inputs = list(dask.persist(*[call(bundle, *blks) for blks in inputs]))
            self._group_inputs = inputs
        return self._group_inputs

    def _group_blocks(self):
        blocks = self.blocks
        client = scheduler_client()
        if client is None or not self.persist:
            return [[b] for b in range(len(blocks))]
        from distributed import futures_of, wait

        futures = [futures_of(blk)[0] for blk in blocks]
        wait(futures)
        holders = client.who_has(futures)
        threads = client.nthreads()
        groups, by_worker = [], {}
        for b, future in enumerate(futures):
            where = holders.get(future.key)
            if where:
                by_worker.setdefault(where[0], []).append(b)
            else:
                groups.append([b])
        for worker, held in by_worker.items():
            n = min(len(held), max(1, threads.get(worker, 1)))
            groups += [part.tolist() for part in np.array_split(held, n)]
        return sorted(groups)

    @property
    def n_samples(self):
        return self.X.shape[0]

    @property
    def n_features(self):
        return self.X.shape[1]

    @property
    def dtype(self):
        return self.X.dtype

    @property
    def n_blocks(self):
        return len(self._blocks)

    @property
    def sample_weight(self):
        """The weights as a dask array (ones when the fit is unweighted)."""
        if self.weights is None:
            return da.ones(self.n_samples, dtype=self.dtype, chunks=(self.X.chunks[0],))
        return self.weights

    @property
    def n_positive(self):
        """Samples of positive weight (those an empty cluster may move to)."""
        return self._summary_stats()["positive"]

    def _summary_stats(self):
        """One pass of per-block reductions: mean and squared deviations per
        feature, largest |x|, total weight and samples of positive weight;
        raises ValueError naming the first block with NaN or infinity in X
        or a bad weight."""
        if self._stats is None:
            parts = [call(summary_task, blk, b) for b, blk in enumerate(self.blocks)]
            s = tree(parts, combine_summaries).compute()
            if s["problem"] is not None:
                b = s["block"]
                what, advice = s["problem"]
                raise ValueError(f"{what} (block {b}, rows {self.offsets[b]} to "
                                 f"{self.offsets[b + 1] - 1}); {advice}")
            if not s["weight"] > 0:
                raise ValueError("sample_weight is all zero: it must contain "
                                 "at least one non-zero weight")
            s["variance_mean"] = float(np.mean(s["m2"] / s["n"]))
            self._stats = s
        return self._stats

    def summary(self):
        s = self._summary_stats()
        return DataSummary(mean=s["mean"], variance_mean=s["variance_mean"],
                           amax=s["amax"])

    def transformed(self, shift, scale):
        """A backend over ``X * scale`` (lazy; its statistics are measured
        on the scaled data, where the raw ones may have overflowed)."""
        if shift is not None:
            raise unsupported(self.name, "centring the data",
                              "it is only rescaled (can_center is False)")
        if scale == 1.0:
            return self
        return DaskBackend(self.X * self.dtype.type(scale), self.weights,
                           persist=self.persist)

    def thread_context(self, n_threads):
        """Nothing to set: tasks run serially and Dask runs them in
        parallel, so ``n_threads`` is ignored."""
        return nullcontext()

    def take_rows(self, idx):
        rows = gather(self.blocks, self.offsets, idx, 0)
        return np.empty((0, self.n_features), self.dtype) if rows is None else rows

    def weights_of(self, idx):
        w = gather(self.blocks, self.offsets, idx, 1)
        return np.empty(0, self.dtype) if w is None else w.astype(self.dtype)

    def weighted_sample(self, size, random_state):
        return _seeding.weighted_sample(self, size, random_state)

    def kmeans_parallel_candidates(self, n_clusters, random_state, *,
                                   oversampling, n_rounds):
        return _seeding.kmeans_parallel_candidates(
            self, n_clusters, random_state, oversampling=oversampling,
            n_rounds=n_rounds)

    def candidate_sq_dists(self, candidates, closest_sq_dist, store=True):
        raise unsupported(self.name, "k-means++ candidate distances (every "
                          "sample's distance on the client)",
                          "use init='k-means||'")

    def draw_by_potential(self, closest_sq_dist, targets):
        raise unsupported(self.name, "k-means++ sampling (a running sum over "
                          "every sample on the client)", "use init='k-means||'")

    def _centers(self, centers, label="centers"):
        return literal(np.ascontiguousarray(centers, dtype=self.dtype), label)

    def assign(self, centers):
        """Nearest centre of every sample: the labels persisted per block,
        with their inertia and counts (:class:`BlockLabels`), and the
        squared distances as a lazy dask array."""
        centers = np.ascontiguousarray(centers, dtype=self.dtype)
        c = self._centers(centers)
        results = [call(assign_task, blk, c) for blk in self.blocks]
        labels, stats = dask.persist(items(results, 0), tree(items(results, 2)))
        sq = da.concatenate([
            da.from_delayed(it, shape=(int(s),), dtype=self.dtype)
            for it, s in zip(items(results, 1), np.diff(self.offsets))])
        return BlockLabels(labels, None, self.offsets, (centers, stats)), sq

    def assign_two(self, centers):
        """Host labels and squared distances to the two nearest centres: one
        task per block, gathered (n_samples values each; breathing asks
        :meth:`removal_utilities` instead)."""
        c = self._centers(centers)
        parts = dask.compute(*[call(assign_two_task, blk, c) for blk in self.blocks])
        return tuple(np.concatenate(column) for column in zip(*parts))

    def sq_dist_to_assigned(self, centers, labels):
        """Host squared distance of every sample to its centre in labels,
        gathered from the blocks (breathing asks :meth:`cluster_errors`)."""
        c = self._centers(centers)
        labels = self._block_labels(labels)
        return np.concatenate(dask.compute(*[
            call(sq_to_assigned_task, blk, it, part, c)
            for blk, it, part in zip(self.blocks, labels.items, labels.parts)]))

    def cluster_errors(self, centers, labels):
        """Per cluster: weighted squared distances and weight, reduced on
        the workers (one task per block and the reduction tree)."""
        c = self._centers(centers)
        labels = self._block_labels(labels)
        return submit_and_fetch((), tree([
            call(cluster_errors_task, blk, it, part, c)
            for blk, it, part in zip(self.blocks, labels.items, labels.parts)]))[1]

    def removal_utilities(self, centers, hint=None):
        """Per centre: the error its removal would add, reduced on the
        workers (``hint`` is not used)."""
        c = self._centers(centers)
        return submit_and_fetch((), tree([
            call(removal_utilities_task, blk, c) for blk in self.blocks]))[1]

    def sq_dists_to_centers(self, centers):
        """Squared distances to every centre as a lazy dask array of shape
        (n_samples, n_clusters) with X's row chunks."""
        centers = np.ascontiguousarray(centers, dtype=self.dtype)
        return self.X.map_blocks(sq_dists_block, centers, dtype=self.dtype,
                                 chunks=(self.X.chunks[0], (centers.shape[0],)))

    def inertia(self, centers, labels):
        """Weighted sum of squared distances to the centres given by labels
        (a :class:`BlockLabels`, or a dask array)."""
        return self._inertia_counts(centers, labels)[0]

    def _block_labels(self, labels):
        if isinstance(labels, BlockLabels):
            return labels
        labels = da.asarray(labels).rechunk((self.X.chunks[0],))
        return BlockLabels(labels.to_delayed().ravel().tolist(), None, self.offsets)

    def _inertia_counts(self, centers, labels):
        centers = np.ascontiguousarray(centers, dtype=self.dtype)
        labels = self._block_labels(labels)
        if labels.stats is None or not np.array_equal(labels.stats[0], centers):
            c = self._centers(centers)
            labels.stats = (centers, tree([
                call(inertia_task, blk, it, part, c)
                for blk, it, part in zip(self.blocks, labels.items, labels.parts)]))
        if isinstance(labels.stats[1], Delayed):
            labels.stats = (centers, labels.stats[1].compute())
        inertia, counts = labels.stats[1]
        return float(inertia), counts

    def start_run(self, algorithm, n_clusters, hint=None):
        """A run state (``hint`` is not used)."""
        if algorithm not in self.algorithms:
            raise unsupported(self.name, f"algorithm={algorithm!r}",
                              "it runs 'hamerly', which gives the same result")
        return (_HamerlyRun if algorithm == "hamerly" else _LloydRun)(
            self, n_clusters)

    def label_counts(self, labels, n_clusters):
        """Samples per cluster: known without a pass over the data when the
        labels' inertia was measured by :meth:`inertia`, else one task per
        block over the labels alone."""
        labels = self._block_labels(labels)
        if labels.stats is not None:
            if isinstance(labels.stats[1], Delayed):
                labels.stats = (labels.stats[0], labels.stats[1].compute())
            if labels.stats[1][1] is not None:
                return labels.stats[1][1]
        return tree([call(label_counts_task, it, part, n_clusters)
                     for it, part in zip(labels.items, labels.parts)]).compute()

    def count_distinct(self, labels1, labels2, n_clusters):
        k = n_clusters
        a, b = self._block_labels(labels1), self._block_labels(labels2)
        table = tree([call(pair_counts_task, x, x_part, y, y_part, k)
                      for x, x_part, y, y_part
                      in zip(a.items, a.parts, b.items, b.parts)])
        table = table.compute().reshape(k, k)
        return (int(np.count_nonzero(table)),
                int(np.count_nonzero(table.sum(axis=1))),
                int(np.count_nonzero(table.sum(axis=0))))

    def user_labels(self, labels):
        """The labels as a 1-D int32 dask array with X's row chunks, already
        computed and held where they were computed."""
        return self._block_labels(labels).to_dask()


class _LloydRun:
    """Labels per block on the workers; one Lloyd task per group of blocks
    (:attr:`DaskBackend.groups`) per step, and one reduction task."""

    task = staticmethod(lloyd_task)

    def __init__(self, backend, n_clusters):
        self.backend = backend
        self.n_clusters = n_clusters
        self.groups = backend.groups
        self.inputs = backend.group_inputs
        self.order = literal(self.groups, "groups")
        self.results = [None] * len(self.groups)
        # (centres, inertia) of the last step: the inertia of its labels to
        # those centres, which the engine asks for again at the end of a run.
        self.measured = None
        # Where block b's labels are: results[group_of[b]], part (0, j).
        self.group_of = np.empty(backend.n_blocks, dtype=np.int64)
        self.parts = [None] * backend.n_blocks
        for g, group in enumerate(self.groups):
            for j, b in enumerate(group):
                self.group_of[b] = g
                self.parts[b] = (0, j)

    @property
    def labels(self):
        if self.results[0] is None:
            return np.full(self.backend.n_samples, -1, dtype=np.int32)
        centers, inertia = self.measured
        return BlockLabels([self.results[g] for g in self.group_of], self.parts,
                           self.backend.offsets, stats=(centers, (inertia, None)))

    def _params(self, centers, center_shift):
        """The graph node every block task of a step reads."""
        return self.backend._centers(centers)

    def step(self, centers, center_shift=None):
        b = self.backend
        c = self._params(np.ascontiguousarray(centers, dtype=b.dtype), center_shift)
        results = [call(group_step_task, self.task, c, prev, blks)
                   for blks, prev in zip(self.inputs, self.results)]
        # Only the partials (taken out where each group ran) travel to the
        # reduction; one submission keeps the labels where they were
        # computed for the next step and brings the reduced total back.
        total = call(add_in_block_order, self.order, *items(results, 1))
        self.results, total = submit_and_fetch(results, total)
        sums, weights, counts, n_changed, inertia = total
        self.measured = (np.array(centers, dtype=b.dtype), float(inertia))
        return StepStats(sums, weights, counts, int(n_changed), float(inertia))

    def farthest(self, centers, n):
        """Indices of at most n samples farthest from their assigned
        centres, farthest first (ties broken by lower index), among the
        samples of positive weight that are off their centre."""
        b = self.backend
        c = b._centers(centers)
        labels = self.labels
        parts = [call(farthest_task, blk, it, part, c, n, int(off))
                 for blk, it, part, off in zip(b.blocks, labels.items,
                                               labels.parts, b.offsets[:-1])]
        return call(merge_farthest, n, *parts).compute()


class _HamerlyRun(_LloydRun):
    """Hamerly's bounds kept beside the labels on the workers: one bounded
    task per block per step (:func:`~._tasks.hamerly_task`); the drift of
    the centres is kept here, as the in-memory run keeps it."""

    task = staticmethod(hamerly_task)

    def __init__(self, backend, n_clusters):
        super().__init__(backend, n_clusters)
        self.drift = np.zeros(n_clusters, dtype=np.float64)
        self.max_drift = 0.0

    def _params(self, centers, center_shift):
        if center_shift is not None:
            self.drift = self.drift + center_shift
            self.max_drift += float(np.max(center_shift))
        half = np.empty(centers.shape[0], dtype=centers.dtype)
        hamerly.hamerly_half_min_dist(centers, half)
        return literal((centers, half, self.drift.copy(), self.max_drift),
                       "hamerly-params")


# --- Predict and transform --------------------------------------------------------

def _prepare_predict(centers, X):
    X = as_dask_array(X)
    centers = np.ascontiguousarray(centers, dtype=X.dtype)
    if centers.ndim != 2 or centers.shape[1] != X.shape[1]:
        raise ValueError(f"X has {X.shape[1]} features, but the centres have "
                         f"shape {centers.shape}")
    return centers, X


def predict_dask(centers, X):
    """Index of the nearest centre for each row of X, as a lazy 1-D int32
    dask array with X's row chunks (a block with NaN or infinity raises
    ValueError when it is computed).

    Each block is measured with the centres scaled by its own power of two
    where its magnitude demands it (:func:`~._tasks.block_exponent`), as
    the fit scales the data: at 1e-200 or 1e200 the nearest centre is the
    fit's, not that of squared distances gone to 0 or inf.
    """
    centers, X = _prepare_predict(centers, X)
    return X.map_blocks(predict_block, centers, dtype=np.int32, drop_axis=1)


def transform_dask(centers, X):
    """Distances from each row of X to every centre, as a lazy dask array of
    shape (n_samples, n_clusters) with X's row chunks, in X's units.

    Measured per block as :func:`predict_dask` measures them, then scaled
    back by the block's power of two (``np.ldexp``): a distance beyond the
    type's range is inf, as the in-memory ``transform`` gives it.
    """
    centers, X = _prepare_predict(centers, X)
    return X.map_blocks(transform_block, centers, dtype=X.dtype,
                        chunks=(X.chunks[0], (centers.shape[0],)))
