"""In-memory NumPy backend running the numba kernels (:class:`CPUBackend`)
and its run states (Lloyd and Hamerly)."""

from __future__ import annotations

from contextlib import contextmanager
from types import MappingProxyType

import numpy as np

from .. import _native
from .._kernels import common, hamerly, seeding, warm, yinyang
from .._threads import current_threads, single_threaded_blas, thread_limit
from ._protocol import DataSummary, StepStats, unsupported

# Hamerly keeps per-cluster sums up to date from the rows that changed
# cluster only; every FULL_RECOMPUTE_EVERY steps they are recomputed from all
# rows so rounding cannot build up over long runs.
FULL_RECOMPUTE_EVERY = 16
# ...and whenever their reference points (see _HamerlyRun) lie so far from the
# centres that the inertia computed from them would lose more than about
# REFERENCE_DRIFT * machine epsilon of relative precision.
REFERENCE_DRIFT = 1e4


class CPUBackend:
    """Data held as a float32/float64 NumPy array (see
    :class:`kmeanslab.backends.Backend`).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Validated float32/float64 data. Only :meth:`summary` and
        :meth:`transformed` accept any memory layout; everything else needs
        C-contiguous rows (what :meth:`transformed` returns).
    sample_weight : ndarray of shape (n_samples,)
        Validated, C-contiguous, of X's dtype.
    """

    name = "cpu"
    algorithms = ("lloyd", "hamerly", "yinyang")
    init_aliases = MappingProxyType({})
    refinements = ("breathing",)
    seeds_from_sample = False
    can_center = True

    def __init__(self, X, sample_weight):
        self.X = X
        self.sample_weight = sample_weight
        self.starts = common.block_starts(X.shape[0])
        self._x_sq_norms = None
        self._x_sq_norms64 = None
        self._screen_rows = None
        positive = sample_weight > 0
        self.n_positive = int(np.count_nonzero(positive))
        # Rows that may receive an empty cluster's centre (None: all).
        self.positive = None if self.n_positive == X.shape[0] else positive

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
        return self.starts.shape[0] - 1

    @property
    def x_sq_norms(self):
        if self._x_sq_norms is None:
            self._x_sq_norms = np.einsum("ij,ij->i", self.X, self.X)
        return self._x_sq_norms

    @property
    def x_sq_norms64(self):
        """Squared row norms accumulated in float64."""
        if self._x_sq_norms64 is None:
            self._x_sq_norms64 = np.einsum("ij,ij->i", self.X, self.X,
                                           dtype=np.float64)
        return self._x_sq_norms64

    @property
    def screen_rows(self):
        """The rows as the native step's float32 screen reads them (made
        once per backend, that is once per fit; None below
        ``_native.LOWD_MAX`` features, where the step measures exactly)."""
        if self._screen_rows is None and self.n_features >= _native.LOWD_MAX:
            self._screen_rows = _native.screen_rows(self.X, current_threads())
        return self._screen_rows

    def summary(self):
        """Mean, mean variance and largest |x| of the features, from the
        block kernels (per-block float64 partial sums added in block order,
        so the result does not depend on the thread count)."""
        X, starts, dtype = self.X, self.starts, self.dtype
        n, d = X.shape
        buf = np.empty((self.n_blocks, d), dtype=np.float64)
        common.column_sums_dense(X, starts, np.zeros(d, dtype=dtype), 1, buf)
        mean = buf.sum(axis=0) / n
        common.column_sums_dense(X, starts, mean.astype(dtype), 2, buf)
        variance_mean = float(np.mean(buf.sum(axis=0) / n))
        amax_blocks = np.empty(self.n_blocks, dtype=np.float64)
        common.abs_max_dense(X, starts, amax_blocks)
        return DataSummary(mean=mean, variance_mean=variance_mean,
                           amax=float(amax_blocks.max()))

    def transformed(self, shift, scale):
        """A backend over a C-contiguous ``(X - shift) * scale``; self when
        X is already C-contiguous and there is nothing to do."""
        if shift is None and scale == 1.0 and self.X.flags.c_contiguous:
            return self
        dtype = self.dtype
        if shift is None:
            shift = np.zeros(self.n_features, dtype=dtype)
        out = np.empty(self.X.shape, dtype=dtype)
        common.shift_scale_dense(self.X, np.asarray(shift, dtype=dtype),
                                 dtype.type(scale), out)
        return CPUBackend(out, self.sample_weight)

    @contextmanager
    def thread_context(self, n_threads):
        """``n_threads`` numba threads and single-threaded BLAS (the kernels
        call BLAS from their own threads)."""
        # One block means no parallel work: skip waking the thread pool,
        # which costs more than a small fit on a busy machine.
        if self.n_blocks == 1:
            n_threads = 1
        with thread_limit(n_threads), single_threaded_blas():
            yield

    def take_rows(self, idx):
        return self.X[np.asarray(idx)]

    def weights_of(self, idx):
        return self.sample_weight[np.asarray(idx)]

    def weighted_sample(self, size, random_state):
        """``random_state.choice`` without replacement, with probabilities
        proportional to weight (scikit-learn's "random" init stream)."""
        sw = np.asarray(self.sample_weight, dtype=np.float64)
        return random_state.choice(self.n_samples, size=size, replace=False,
                                   p=sw / sw.sum())

    def draw_by_potential(self, closest_sq_dist, targets):
        """Indices where the weighted running potential reaches ``targets``
        (``np.searchsorted`` on its float64 cumulative sum)."""
        sw = np.asarray(self.sample_weight, dtype=np.float64)
        cumulative = np.cumsum(sw * closest_sq_dist, dtype=np.float64)
        ids = np.searchsorted(cumulative, targets)
        return np.clip(ids, None, self.n_samples - 1, out=ids)

    def kmeans_parallel_candidates(self, n_clusters, random_state, *,
                                   oversampling, n_rounds):
        """The k-means|| rounds with every sample's distance in memory: one
        sample drawn in proportion to its weight, then per round each sample
        kept with probability ``min(1, l * w * d^2 / phi)``, ``l =
        oversampling * n_clusters``, all from ``random_state``."""
        sw = np.asarray(self.sample_weight, dtype=np.float64)
        n_samples = self.n_samples
        first = random_state.choice(n_samples, p=sw / sw.sum())
        candidates = [self.take_rows([first])]
        _, closest = self.assign(candidates[0])
        closest = closest.astype(np.float64)
        l = oversampling * n_clusters
        for _ in range(n_rounds):
            phi = float(sw @ closest)
            if phi <= 0:
                break
            u = random_state.uniform(size=n_samples)
            chosen = np.flatnonzero(u < l * sw * closest / phi)
            if chosen.size == 0:
                continue
            new = self.take_rows(chosen)
            candidates.append(new)
            _, d_new = self.assign(new)
            np.minimum(closest, d_new, out=closest)
        candidates = np.concatenate(candidates)
        labels, _ = self.assign(candidates)
        weights = np.bincount(labels, weights=sw, minlength=len(candidates))
        return (candidates, weights,
                lambda size: self.weighted_sample(size, random_state))

    def candidate_sq_dists(self, candidates, closest_sq_dist, store=True):
        """For each candidate: min(closest_sq_dist, squared distance to it)
        for every sample (t, n) — or None when not ``store`` — and its
        weighted sum (t,). float32 data with many features is measured in
        float64 (see ``seeding._chunk_sq_dists_upcast``)."""
        candidates = np.ascontiguousarray(candidates, dtype=self.dtype)
        shape = (candidates.shape[0], self.n_samples) if store else (0, 0)
        out = np.empty(shape, dtype=self.dtype)
        pot = np.empty((self.n_blocks, candidates.shape[0]), dtype=np.float64)
        use_blas = self.n_features >= common.BLAS_MIN_FEATURES
        upcast = use_blas and self.dtype == np.float32
        if upcast:
            norms = self.x_sq_norms64
        else:
            norms = self.x_sq_norms if use_blas else self.sample_weight
        seeding.candidate_sq_dists(self.X, self.sample_weight, norms, candidates,
                                   closest_sq_dist, self.starts, use_blas, upcast,
                                   out, pot)
        return (out if store else None), pot.sum(axis=0)

    def assign(self, centers):
        centers = np.ascontiguousarray(centers, dtype=self.dtype)
        labels = np.empty(self.n_samples, dtype=np.int32)
        sq_dists = np.empty(self.n_samples, dtype=self.dtype)
        common.assign_dense(self.X, centers, self.starts, labels, sq_dists)
        return labels, sq_dists

    def assign_two(self, centers):
        """Nearest centre, its squared distance and the squared distance to
        the second-nearest centre, for every sample."""
        centers = np.ascontiguousarray(centers, dtype=self.dtype)
        n = self.n_samples
        labels = np.empty(n, dtype=np.int32)
        sq_dists = np.empty(n, dtype=self.dtype)
        second = np.empty(n, dtype=self.dtype)
        use_blas = self.n_features >= common.BLAS_MIN_FEATURES
        norms = self.x_sq_norms if use_blas else self.sample_weight
        common.assign_two_dense(self.X, norms, centers, self.starts, use_blas,
                                labels, sq_dists, second)
        return labels, sq_dists, second

    def sq_dists_to_centers(self, centers):
        centers = np.ascontiguousarray(centers, dtype=self.dtype)
        out = np.empty((self.n_samples, centers.shape[0]), dtype=self.dtype)
        common.sq_dists_to_centers_dense(self.X, centers, self.starts, out)
        return out

    def sq_dist_to_assigned(self, centers, labels):
        """Squared distance of every sample to its assigned centre."""
        out = np.empty(self.n_samples, dtype=self.dtype)
        common.sq_dist_to_assigned_dense(
            self.X, np.ascontiguousarray(centers, dtype=self.dtype), labels, out)
        return out

    def cluster_errors(self, centers, labels):
        """Per cluster: weighted squared distances to the centre and total
        weight (from ``sq_dist_to_assigned`` and the weights alone, so a
        backend with those may borrow it)."""
        sq_dists = self.sq_dist_to_assigned(centers, labels)
        sw = np.asarray(self.sample_weight, dtype=np.float64)
        k = centers.shape[0]
        return (np.bincount(labels, weights=sw * sq_dists, minlength=k),
                np.bincount(labels, weights=sw, minlength=k))

    def removal_utilities(self, centers, hint=None):
        """Per centre: the error its removal would add (from ``assign_two``
        and the weights alone, so a backend with those may borrow it; dense
        rows in few dimensions take the two nearest centres from the
        ``hint``'s candidates instead, with the same values)."""
        grouped = (_two_nearest_hinted(self, centers, hint)
                   if type(self) is CPUBackend else None)
        if grouped is not None:
            out = np.empty(centers.shape[0], dtype=np.float64)
            warm.removal_utilities_grouped(self.sample_weight, *grouped, out)
            return out
        labels, sq_dists, second = self.assign_two(centers)
        sw = np.asarray(self.sample_weight, dtype=np.float64)
        return np.bincount(labels, weights=sw * (second - sq_dists),
                           minlength=centers.shape[0])

    def inertia(self, centers, labels):
        centers = np.ascontiguousarray(centers, dtype=self.dtype)
        out = np.empty(self.n_blocks, dtype=np.float64)
        common.inertia_dense(self.X, self.sample_weight, centers, labels,
                             self.starts, out)
        return float(out.sum())

    def start_run(self, algorithm, n_clusters, hint=None):
        """A run state; Hamerly's first step uses ``hint`` (see
        :class:`_HintedCandidates`)."""
        if algorithm not in _RUNS:
            raise unsupported(self.name, f"algorithm={algorithm!r}",
                              f"use one of {self.algorithms}")
        if algorithm == "hamerly":
            return _HamerlyRun(self, n_clusters, hint)
        return _RUNS[algorithm](self, n_clusters)

    def label_counts(self, labels, n_clusters):
        return np.bincount(labels, minlength=n_clusters)

    def count_distinct(self, labels1, labels2, n_clusters):
        pairs = np.unique(labels1.astype(np.int64) * n_clusters + labels2)
        return len(pairs), len(np.unique(labels1)), len(np.unique(labels2))

    def user_labels(self, labels):
        return labels


def off_center(sq_dist, x_sq_norms, centers, labels):
    """True for the samples farther from their centre than rounding noise.

    A centre that is the mean of identical samples may differ from them in
    the last bits; such a sample is a copy of its centre, and moving an
    empty cluster onto it would not lower the inertia (the two centres would
    then take turns holding the copies forever). The noise is taken as
    (16 eps)^2 (||x||^2 + ||c||^2), in the data's precision.
    """
    eps = float(np.finfo(centers.dtype).eps)
    c_sq_norms = np.einsum("ij,ij->i", centers, centers, dtype=np.float64)
    noise = (16 * eps) ** 2 * (x_sq_norms + c_sq_norms[labels])
    return sq_dist > noise


class _Run:
    """State shared by the runs: labels and the farthest-point query."""

    off_center = staticmethod(off_center)

    def __init__(self, backend, n_clusters):
        self.backend = backend
        self.n_clusters = n_clusters
        self.labels = np.full(backend.n_samples, -1, dtype=np.int32)

    def farthest(self, centers, n):
        """Indices of at most n samples farthest from their assigned centres,
        farthest first (ties broken by lower index), among the samples of
        positive weight that are off their centre (the run's
        ``off_center`` rule: :func:`off_center` for dense rows)."""
        b = self.backend
        sq = b.sq_dist_to_assigned(centers, self.labels)
        keep = self.off_center(sq, b.x_sq_norms, centers, self.labels)
        if b.positive is not None:
            keep &= b.positive
        n = min(n, int(np.count_nonzero(keep)))
        if n == 0:
            return np.empty(0, dtype=np.int64)
        sq = np.where(keep, sq, -np.inf)
        threshold = np.partition(sq, -n)[-n]
        top = np.flatnonzero(sq >= threshold)
        order = np.lexsort((top, -sq[top]))[:n]
        return top[order]


class _LloydRun(_Run):
    """Full Lloyd pass every step, in the native core: exact labels (the
    float64-nearest centre, lowest index on ties) and the statistics of the
    new labels in one pass (see :func:`kmeanslab._native.lloyd_step`).

    ``n_rechecked`` and ``n_candidates`` count, over the run, the rows the
    float32 screen could not decide and the centres measured for them."""

    def __init__(self, backend, n_clusters):
        super().__init__(backend, n_clusters)
        self.out = _native.new_step_result(backend.n_blocks, n_clusters,
                                           backend.n_features)
        self.n_rechecked = 0
        self.n_candidates = 0

    def step(self, centers, center_shift=None):
        b, out = self.backend, self.out
        _native.lloyd_step(b.X, b.sample_weight, centers, b.starts, self.labels,
                           out, screen=b.screen_rows, n_threads=current_threads())
        self.n_rechecked += int(out.n_rechecked.sum())
        self.n_candidates += int(out.n_candidates.sum())
        return StepStats(out.sums.sum(axis=0), out.weights.sum(axis=0),
                         out.counts.sum(axis=0), int(out.n_changed.sum()),
                         float(out.inertia.sum()))


class _BoundedRun(_Run):
    """A run whose assignment keeps distance bounds (``_assign``) and
    reports only the rows that changed cluster; the per-cluster statistics
    are updated from those deltas."""

    def __init__(self, backend, n_clusters):
        super().__init__(backend, n_clusters)
        nb, n, d = backend.n_blocks, backend.n_samples, backend.n_features
        # In the data's type: float32 bounds rounded outwards would read less
        # memory, but the directed rounding (nextafter) on every store cost
        # twice what the smaller reads saved (measured on 1M x 2, k=8).
        self.upper_stored = np.zeros(n, dtype=backend.dtype)
        self.drift = np.zeros(n_clusters, dtype=np.float64)
        self.delta_sums = np.empty((nb, n_clusters, d), dtype=np.float64)
        self.delta_weights = np.empty((nb, n_clusters), dtype=np.float64)
        self.delta_sq_norms = np.empty((nb, n_clusters), dtype=np.float64)
        self.delta_counts = np.empty((nb, n_clusters), dtype=np.int64)
        self.n_changed = np.empty(nb, dtype=np.int64)
        self.sums = np.zeros((n_clusters, d), dtype=np.float64)
        self.weights = np.zeros(n_clusters, dtype=np.float64)
        self.sq_norms = np.zeros(n_clusters, dtype=np.float64)
        self.counts = np.zeros(n_clusters, dtype=np.int64)
        # Statistics are kept relative to a reference point per cluster (the
        # centres of the last full recount) so the inertia computed from
        # them does not cancel when clusters lie far from the origin.
        self.ref = None
        self.n_steps = 0

    def _assign(self, centers, center_shift):
        """Run the bounded kernel: labels, bounds and the delta statistics."""
        raise NotImplementedError

    def step(self, centers, center_shift=None):
        b = self.backend
        centers = np.ascontiguousarray(centers, dtype=b.dtype)
        if self.ref is None:
            self.ref = centers.astype(np.float64)
        if center_shift is not None:
            self.drift += center_shift
        self._assign(centers, center_shift)
        self.n_steps += 1
        if self.n_steps % FULL_RECOMPUTE_EVERY == 0:
            self._recompute_statistics(centers)
        else:
            self.sums += self.delta_sums.sum(axis=0)
            self.weights += self.delta_weights.sum(axis=0)
            self.sq_norms += self.delta_sq_norms.sum(axis=0)
            self.counts += self.delta_counts.sum(axis=0)
            # A cluster that lost all its rows has exactly zero statistics,
            # not the rounding residue of the subtractions.
            gone = self.counts == 0
            self.sums[gone] = 0.0
            self.weights[gone] = 0.0
            self.sq_norms[gone] = 0.0
        # WCSS of the new labels to these centres from the statistics, with
        # u = c - ref: sum_c Q_c - 2 S_c . u_c + W_c ||u_c||^2 (no pass over X).
        u = centers.astype(np.float64) - self.ref
        offset = float(self.weights @ np.einsum("ij,ij->i", u, u))
        inertia = (self.sq_norms.sum() - 2.0 * np.einsum("ij,ij->", self.sums, u)
                   + offset)
        if offset > REFERENCE_DRIFT * inertia and offset > 0:
            # The references have fallen far behind the centres: the sum
            # above cancels. Recount from the current centres.
            self._recompute_statistics(centers)
            inertia = float(self.sq_norms.sum())
        n_changed = int(self.n_changed.sum())
        if n_changed == 0 and self.n_steps > 1:
            # Converged labels: these sums give the returned centres. Add
            # them up afresh as a Lloyd pass does, so that the centres are
            # Lloyd's to the bit (the sums kept from deltas differ in the
            # last bits, which shows where a centre coordinate should be 0).
            absolute_sums, weights = self._fresh_sums()
        else:
            absolute_sums = self.sums + self.weights[:, None] * self.ref
            weights = self.weights.copy()
        return StepStats(absolute_sums, weights, self.counts.copy(), n_changed,
                         max(float(inertia), 0.0))

    def _fresh_sums(self):
        """Weighted sums and weights of the current labels, accumulated
        from the origin per block and reduced in block order: the additions
        of a Lloyd pass, in its order."""
        b = self.backend
        sums = np.empty_like(self.delta_sums)
        weights = np.empty_like(self.delta_weights)
        sq_norms = np.empty_like(self.delta_sq_norms)
        counts = np.empty_like(self.delta_counts)
        origin = np.zeros((self.n_clusters, b.n_features), dtype=np.float64)
        common.accumulate_dense(b.X, b.sample_weight, self.labels, origin,
                                b.starts, sums, weights, sq_norms, counts)
        return sums.sum(axis=0), weights.sum(axis=0)

    def _recompute_statistics(self, centers):
        b = self.backend
        self.ref = centers.astype(np.float64)
        sums = np.empty_like(self.delta_sums)
        weights = np.empty_like(self.delta_weights)
        sq_norms = np.empty_like(self.delta_sq_norms)
        counts = np.empty_like(self.delta_counts)
        common.accumulate_dense(b.X, b.sample_weight, self.labels, self.ref,
                                b.starts, sums, weights, sq_norms, counts)
        self.sums = sums.sum(axis=0)
        self.weights = weights.sum(axis=0)
        self.sq_norms = sq_norms.sum(axis=0)
        self.counts = counts.sum(axis=0)


class _HamerlyRun(_BoundedRun):
    """Hamerly: one lower bound per row, for all centres but its own. With
    a hint, the first step (every row unlabelled) measures a row against
    every centre only when its hinted centre is not provably its nearest
    (``warm.hamerly_start_hinted``): same labels, valid bounds."""

    def __init__(self, backend, n_clusters, hint=None):
        super().__init__(backend, n_clusters)
        self.lower_stored = np.zeros(backend.n_samples, dtype=backend.dtype)
        self.max_drift = 0.0
        self.hint = hint

    def _assign(self, centers, center_shift):
        b = self.backend
        hint, self.hint = self.hint, None
        hints = _hint_array(b, hint, centers) if self.n_steps == 0 else None
        if hints is not None:
            nearest = np.empty(centers.shape[0], dtype=np.float64)
            warm.nearest_center_dists(centers, nearest)
            warm.hamerly_start_hinted(
                b.X, b.sample_weight, centers, hints, nearest, _hint_slack(b),
                self.ref, b.starts, self.labels, self.upper_stored,
                self.lower_stored, self.delta_sums, self.delta_weights,
                self.delta_sq_norms, self.delta_counts, self.n_changed)
            return
        if center_shift is not None:
            self.max_drift += float(np.max(center_shift))
        use_blas = b.n_features >= common.BLAS_MIN_FEATURES
        hamerly.hamerly_step_dense(
            b.X, b.sample_weight, b.x_sq_norms if use_blas else b.sample_weight,
            centers, _half_min_center_dist(centers), self.drift, self.max_drift,
            self.ref, b.starts, use_blas, self.labels,
            self.upper_stored, self.lower_stored, self.delta_sums,
            self.delta_weights, self.delta_sq_norms, self.delta_counts,
            self.n_changed)


# Yinyang groups: about one group per GROUP_SIZE centres (Ding et al. use
# k / 10), formed by GROUPING_ROUNDS Lloyd rounds on the initial centres.
GROUP_SIZE = 10
GROUPING_ROUNDS = 5


class _YinyangRun(_BoundedRun):
    """Yinyang: one lower bound per row and group of centres."""

    def __init__(self, backend, n_clusters):
        super().__init__(backend, n_clusters)
        self.n_groups = max(1, n_clusters // GROUP_SIZE)
        self.lower_stored = np.zeros((backend.n_samples, self.n_groups),
                                     dtype=backend.dtype)
        self.group_drift = np.zeros(self.n_groups, dtype=np.float64)
        self.group_of = None

    def _assign(self, centers, center_shift):
        b = self.backend
        if self.group_of is None:
            self.group_of = np.zeros(centers.shape[0], dtype=np.int64)
            yinyang.group_centers(centers.astype(np.float64), self.n_groups,
                                  GROUPING_ROUNDS, self.group_of)
            self.group_members = np.argsort(self.group_of, kind="stable")
            self.group_starts = np.searchsorted(
                self.group_of[self.group_members], np.arange(self.n_groups + 1))
        if center_shift is not None:
            group_max = np.zeros(self.n_groups, dtype=np.float64)
            np.maximum.at(group_max, self.group_of, center_shift)
            self.group_drift += group_max
        yinyang.yinyang_step_dense(
            b.X, b.sample_weight, centers, _half_min_center_dist(centers),
            self.group_starts, self.group_members, self.group_of, self.drift,
            self.group_drift, self.ref, b.starts, self.labels,
            self.upper_stored, self.lower_stored, self.delta_sums,
            self.delta_weights, self.delta_sq_norms, self.delta_counts,
            self.n_changed)


# Hinted candidate lists pay off while a row scans well under all the
# centres; when the lists would hold more than this fraction of them on
# average, the full pass (vectorised across rows) is as fast.
HINT_MAX_FRACTION = 0.5
# The candidate lists start from the (k, k) distances between the centres:
# past this many centres that matrix (32 MiB) costs more than it saves.
HINT_MAX_LISTED = 2048
# Rows hinted to a centre are split into this many bands of distance to it,
# each scanning only the centres its band can reach (see _kernels/warm.py):
# more bands, fewer candidates per row but more, smaller groups.
HINT_TIERS = 8


def _two_nearest_hinted(backend, centers, hint):
    """The nearest centre, its squared distance and the second-nearest
    squared distance of every row (``assign_two``'s values), from the
    candidates of each row's hinted centre (see
    :mod:`kmeanslab._kernels.warm`), as ``(where, best, first, second)``:
    row i's values are at ``where[i]``. None where the hint cannot help (see
    :func:`_hint_array`; also distances that are not finite, and candidate
    lists holding most centres)."""
    hints = _hint_array(backend, hint, centers)
    if hints is None or centers.shape[0] > HINT_MAX_LISTED:
        return None
    n_clusters, n_features = centers.shape
    n = backend.n_samples
    X, starts = backend.X, backend.starts
    centers = np.ascontiguousarray(centers, dtype=backend.dtype)
    nb, tiers = backend.n_blocks, HINT_TIERS
    radii = np.empty((nb, n_clusters), dtype=np.float64)
    warm.hint_radii_dense(X, centers, hints, starts, radii)
    radii = np.sqrt(radii.max(axis=0))
    if not np.all(np.isfinite(radii)):
        return None
    dists = np.empty((n_clusters, n_clusters), dtype=np.float64)
    nearest = np.empty(n_clusters, dtype=np.float64)
    warm.center_dists(centers, dists, nearest)
    slack = _hint_slack(backend)
    limits = np.empty(n_clusters * tiers, dtype=np.float64)
    counts = np.empty(n_clusters * tiers, dtype=np.int64)
    warm.candidate_counts(dists, nearest, radii, tiers, slack, limits, counts)
    groups = np.empty(n, dtype=np.int64)
    rows = np.empty((nb, n_clusters * tiers), dtype=np.int64)
    warm.tier_rows(X, centers, hints, radii, tiers, starts, groups, rows)
    group_rows = rows.sum(axis=0)
    if float(group_rows @ counts) > HINT_MAX_FRACTION * n_clusters * n:
        return None
    list_starts = np.zeros(n_clusters * tiers + 1, dtype=np.int64)
    np.cumsum(counts, out=list_starts[1:])
    list_idx = np.empty(list_starts[-1], dtype=np.int64)
    list_t = np.empty((n_features, list_starts[-1]), dtype=backend.dtype)
    warm.candidate_lists(centers, dists, tiers, limits, list_starts,
                         list_idx, list_t)
    group_starts = np.zeros(n_clusters * tiers + 1, dtype=np.int64)
    np.cumsum(group_rows, out=group_starts[1:])
    where = np.empty(n, dtype=np.int64)
    tile = np.empty((n_features, n), dtype=backend.dtype)
    warm.group_rows(X, groups, starts, rows, group_starts, where, tile)
    best = np.empty(n, dtype=np.int64)
    first = np.empty(n, dtype=backend.dtype)
    second = np.empty(n, dtype=backend.dtype)
    warm.two_nearest_grouped(tile, group_starts, list_starts, list_idx,
                             list_t, best, first, second)
    return where, best, first, second


def _hint_array(backend, hint, centers):
    """Every sample's hinted centre index (intp) for a
    :class:`~kmeanslab.backends.Hint`, or None when there is no hint, when
    it is out of range, or with many features (the full passes then use
    BLAS, whose distances a hinted pass cannot reproduce)."""
    n_clusters, n_features = centers.shape
    n = backend.n_samples
    if hint is None or n_features >= common.BLAS_MIN_FEATURES or n == 0:
        return None
    hints = np.asarray(hint.labels)
    if hint.relabel is not None:
        hints = np.asarray(hint.relabel, dtype=np.intp)[hints]
    if hints.shape != (n,) or hints.min() < 0 or hints.max() >= n_clusters:
        return None
    return hints.astype(np.intp, copy=False)


def _hint_slack(backend):
    """Relative margin of the hinted passes' tests: far above the relative
    rounding of a distance in the data's precision (about
    (n_features + 2) eps), so rounding can only send a row to the full
    pass or add a candidate, never decide a label wrongly."""
    return 64.0 * (backend.n_features + 2) * float(np.finfo(backend.dtype).eps)


def _half_min_center_dist(centers):
    """Half the distance from every centre to its nearest other centre."""
    out = np.empty(centers.shape[0], dtype=centers.dtype)
    hamerly.hamerly_half_min_dist(centers, out)
    return out


_RUNS = {"lloyd": _LloydRun, "hamerly": _HamerlyRun, "yinyang": _YinyangRun}
