"""In-memory SciPy CSR backend running the sparse numba kernels
(:class:`SparseBackend`) and its run states (Lloyd and Hamerly).

The data stays sparse; centres, sums and distances are dense. Sparse data is
never centred (``can_center`` is False, as scikit-learn does not centre it):
centring would make every row dense. It is only scaled by a power of two
when its magnitude demands it (exact, and sparse).
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from .._kernels import sparse
from ._cpu import CPUBackend, _half_min_center_dist, _Run
from ._protocol import DataSummary, StepStats, unsupported


def _centers_and_norms(centers, dtype, unit_centers=False, centers_t=None):
    """C-contiguous centres in ``dtype``, their (n_features, n_clusters)
    transpose and squared norms (in ``dtype``, as scikit-learn's
    ``row_norms`` computes them for dense rows). With ``unit_centers`` the
    centres are known to have unit norm and their squared norms are taken
    as exactly 1 (0 for a zero centre): the nearest centre is then the one
    of largest dot product, ties to the lowest index, instead of being
    decided by the last bits of the computed norms. ``centers_t``, when
    given, is the buffer the transpose is written to (a run reuses one)."""
    centers = np.ascontiguousarray(centers, dtype=dtype)
    sq_norms = np.einsum("ij,ij->i", centers, centers)
    if unit_centers:
        sq_norms = (sq_norms > 0).astype(dtype)
    if centers_t is None:
        centers_t = np.empty((centers.shape[1], centers.shape[0]), dtype=dtype)
    sparse.transpose_into(centers, centers_t)
    return centers, centers_t, sq_norms


def summed_csr(X):
    """A SciPy sparse X as CSR with its duplicate entries summed in X's own
    dtype, as ``X.toarray()`` sums them (a copy where anything changes; X
    itself when it is canonical CSR, or not 2-D, which the validation
    refuses in its own words).

    Casting first would sum them in the new type instead: two stored True
    at one place are True to ``X.toarray()`` but 2.0 once cast to float,
    and integers that wrap in their type would not wrap.
    """
    if X.ndim != 2:
        return X
    if X.format != "csr":
        X = X.tocsr()
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    return X


def off_center_sparse(sq_dist, x_sq_norms, centers, labels):
    """True for the samples farther from their centre than the sparse
    squared distance can resolve.

    The dense backend's rule (:func:`kmeanslab.backends._cpu.off_center`)
    allows for a centre a few ulps off its copies, (16 eps)^2 (||x||^2 +
    ||c||^2); the sparse form ``||c||^2 + sum((x_f - c_f)^2 - c_f^2)``
    cancels, and leaves about eps (||x||^2 + ||c||^2) on a sample that is
    its centre's copy (the float32 residue of an unweighted copy is often
    that large). Such a sample is taken as on its centre: moving an empty
    cluster onto it would not lower the inertia, and the dense fit of the
    same data, which measures it at 0, would not move one there.
    """
    eps = float(np.finfo(centers.dtype).eps)
    c_sq_norms = np.einsum("ij,ij->i", centers, centers, dtype=np.float64)
    noise = 16 * eps * (x_sq_norms.astype(np.float64) + c_sq_norms[labels])
    return sq_dist > noise


class SparseBackend:
    """Data held as a SciPy CSR matrix or array (see
    :class:`kmeanslab.backends.Backend`).

    Parameters
    ----------
    X : scipy.sparse CSR matrix or array of shape (n_samples, n_features)
        Validated (:func:`kmeanslab._validation.check_sparse_X`): float32 or
        float64, sorted indices without duplicates, finite.
    sample_weight : ndarray of shape (n_samples,)
        Validated, C-contiguous, of X's dtype.
    unit_centers : bool, default=False
        The centres asked about always have unit norm (spherical k-means on
        unit rows): their squared norms are taken as exactly 1, so that
        rows equally similar to several centres (rows sharing no term with
        any) go to the lowest index.

    Notes
    -----
    Every assignment costs O(nnz * n_clusters); the per-cluster sums cost
    O(nnz) per step and are accumulated one cluster per thread, rows in
    increasing order, so results do not depend on the thread count.
    "yinyang" is not offered: the fit runs "hamerly" for it.
    """

    name = "sparse"
    algorithms = ("lloyd", "hamerly")
    init_aliases = MappingProxyType({})
    refinements = ("breathing",)
    seeds_from_sample = False
    can_center = False

    # Questions whose answers need only the weights, the labels or the
    # public protocol methods: answered as the dense in-memory backend does.
    thread_context = CPUBackend.thread_context
    weights_of = CPUBackend.weights_of
    weighted_sample = CPUBackend.weighted_sample
    draw_by_potential = CPUBackend.draw_by_potential
    kmeans_parallel_candidates = CPUBackend.kmeans_parallel_candidates
    label_counts = CPUBackend.label_counts
    count_distinct = CPUBackend.count_distinct
    user_labels = CPUBackend.user_labels
    cluster_errors = CPUBackend.cluster_errors
    removal_utilities = CPUBackend.removal_utilities
    n_samples = CPUBackend.n_samples
    n_features = CPUBackend.n_features
    dtype = CPUBackend.dtype
    n_blocks = CPUBackend.n_blocks

    def __init__(self, X, sample_weight, unit_centers=False):
        # The same row blocks, norm caches and positive-weight bookkeeping
        # as the dense backend (none of it reads X's layout).
        CPUBackend.__init__(self, X, sample_weight)
        self.unit_centers = unit_centers

    @property
    def _csr(self):
        return self.X.indptr, self.X.indices, self.X.data

    @property
    def x_sq_norms(self):
        """Squared row norms in the data's type."""
        if self._x_sq_norms is None:
            out = np.empty(self.n_samples, dtype=self.dtype)
            sparse.row_sq_norms_sparse(self.X.indptr, self.X.data, out)
            self._x_sq_norms = out
        return self._x_sq_norms

    @property
    def x_sq_norms64(self):
        """Squared row norms accumulated in float64."""
        if self._x_sq_norms64 is None:
            out = np.empty(self.n_samples, dtype=np.float64)
            sparse.row_sq_norms_sparse(self.X.indptr,
                                       self.X.data.astype(np.float64), out)
            self._x_sq_norms64 = out
        return self._x_sq_norms64

    # --- Preparing the working space ------------------------------------------

    def summary(self):
        """Mean and mean variance of the features (zeros included) and the
        largest |x|, in float64: one sequential pass over the non-zeros
        (``np.bincount`` adds them in storage order), so the result does not
        depend on the thread count."""
        X = self.X
        n, d = X.shape
        values = X.data.astype(np.float64)
        # ``astype``: with no stored entries ``np.bincount`` returns int64
        # even when given weights.
        column_sums = np.bincount(X.indices, weights=values,
                                  minlength=d).astype(np.float64, copy=False)
        mean = column_sums / n
        nnz_per_column = np.bincount(X.indices, minlength=d)
        # Data too large for its squares (about 1e155 and up) overflows here,
        # silently: the fit rescales it and measures it again, and predict,
        # transform and score only read ``amax``.
        with np.errstate(over="ignore", invalid="ignore"):
            squares = np.bincount(X.indices,
                                  weights=(values - mean[X.indices]) ** 2,
                                  minlength=d).astype(np.float64, copy=False)
            # The zeros of each column contribute (0 - mean)^2 each.
            squares += (n - nnz_per_column) * mean ** 2
        amax = float(np.max(np.abs(values))) if values.size else 0.0
        return DataSummary(mean=mean, variance_mean=float(np.mean(squares / n)),
                           amax=amax)

    def transformed(self, shift, scale):
        """A backend over ``X * scale`` (same sparsity pattern); self when
        ``scale`` is 1. A shift is refused: centring would make X dense."""
        if shift is not None:
            raise unsupported(self.name, "centring the data",
                              "sparse data is clustered uncentred")
        if scale == 1.0:
            return self
        X = self.X.copy()
        X.data *= self.dtype.type(scale)
        return SparseBackend(X, self.sample_weight, unit_centers=self.unit_centers)

    # --- Sample access and seeding --------------------------------------------

    def take_rows(self, idx):
        """Dense rows of shape (len(idx), n_features)."""
        rows = np.asarray(idx, dtype=np.int64).reshape(-1)
        out = np.empty((rows.shape[0], self.n_features), dtype=self.dtype)
        sparse.take_rows_sparse(*self._csr, rows, out)
        return out

    def candidate_sq_dists(self, candidates, closest_sq_dist, store=True):
        """For each candidate: min(closest_sq_dist, squared distance to it)
        for every sample (t, n) — or None when not ``store`` — and its
        weighted sum (t,). Distances are measured in float64."""
        cand64 = np.asarray(candidates, dtype=np.float64)
        shape = (cand64.shape[0], self.n_samples) if store else (0, 0)
        out = np.empty(shape, dtype=self.dtype)
        pot = np.empty((self.n_blocks, cand64.shape[0]), dtype=np.float64)
        closest = np.ascontiguousarray(closest_sq_dist, dtype=self.dtype)
        sparse.candidate_sq_dists_sparse(
            *self._csr, self.sample_weight, self.x_sq_norms64,
            np.ascontiguousarray(cand64.T), np.einsum("ij,ij->i", cand64, cand64),
            closest, self.starts, out, pot)
        return (out if store else None), pot.sum(axis=0)

    # --- Distances --------------------------------------------------------------

    def assign(self, centers):
        _, centers_t, c_sq_norms = _centers_and_norms(centers, self.dtype, self.unit_centers)
        labels = np.full(self.n_samples, -1, dtype=np.int32)
        sq_dists = np.empty(self.n_samples, dtype=self.dtype)
        n_changed = np.empty(self.n_blocks, dtype=np.int64)
        inertia = np.empty(self.n_blocks, dtype=np.float64)
        sparse.assign_sparse(*self._csr, self.sample_weight, self.x_sq_norms,
                             centers_t, c_sq_norms, self.starts, labels, sq_dists,
                             n_changed, inertia)
        return labels, sq_dists

    def assign_two(self, centers):
        """Nearest centre, its squared distance and the squared distance to
        the second-nearest centre, for every sample."""
        _, centers_t, c_sq_norms = _centers_and_norms(centers, self.dtype, self.unit_centers)
        n = self.n_samples
        labels = np.empty(n, dtype=np.int32)
        sq_dists = np.empty(n, dtype=self.dtype)
        second = np.empty(n, dtype=self.dtype)
        sparse.assign_two_sparse(*self._csr, self.x_sq_norms, centers_t,
                                 c_sq_norms, self.starts, labels, sq_dists, second)
        return labels, sq_dists, second

    def sq_dists_to_centers(self, centers):
        """Dense (n_samples, n_clusters) squared distances, measured in
        float64 and returned in the data's type."""
        c64 = np.asarray(centers, dtype=np.float64)
        out = np.empty((self.n_samples, c64.shape[0]), dtype=self.dtype)
        sparse.sq_dists_to_centers_sparse(
            *self._csr, self.x_sq_norms64, np.ascontiguousarray(c64.T),
            np.einsum("ij,ij->i", c64, c64), out)
        return out

    def sq_dist_to_assigned(self, centers, labels):
        """Squared distance of every sample to its assigned centre."""
        centers, _, c_sq_norms = _centers_and_norms(centers, self.dtype, self.unit_centers)
        out = np.empty(self.n_samples, dtype=self.dtype)
        sparse.sq_dist_to_assigned_sparse(*self._csr, centers, c_sq_norms,
                                          np.asarray(labels), out)
        return out

    def inertia(self, centers, labels):
        centers, _, c_sq_norms = _centers_and_norms(centers, self.dtype, self.unit_centers)
        out = np.empty(self.n_blocks, dtype=np.float64)
        sparse.inertia_sparse(*self._csr, self.sample_weight, centers, c_sq_norms,
                              np.asarray(labels), self.starts, out)
        return float(out.sum())

    # --- Runs -------------------------------------------------------------------

    def start_run(self, algorithm, n_clusters, hint=None):
        """A run state (``hint`` is not used: every step is a full pass)."""
        if algorithm not in _RUNS:
            raise unsupported(self.name, f"algorithm={algorithm!r}",
                              f"use one of {self.algorithms}")
        return _RUNS[algorithm](self, n_clusters)


class _SparseRun(_Run):
    """A run's labels plus the per-cluster statistics pass every step ends
    with (O(nnz), exact: the sums are recounted from all rows each step)."""

    def __init__(self, backend, n_clusters):
        super().__init__(backend, n_clusters)
        n, d = backend.n_samples, backend.n_features
        self.n_changed = np.empty(backend.n_blocks, dtype=np.int64)
        self.order = np.empty(n, dtype=np.int64)
        self.cluster_starts = np.empty(n_clusters + 1, dtype=np.int64)
        self.sums = np.empty((n_clusters, d), dtype=np.float64)
        self.weights = np.empty(n_clusters, dtype=np.float64)
        self.counts = np.empty(n_clusters, dtype=np.int64)
        self.cluster_inertia = np.empty(n_clusters, dtype=np.float64)
        self.centers_t = np.empty((d, n_clusters), dtype=backend.dtype)

    def _assign(self, centers, centers_t, c_sq_norms, center_shift):
        """Update ``labels`` and ``n_changed`` for these centres; return the
        step's inertia, or None when the assignment did not measure every
        row's distance (the statistics pass then does)."""
        raise NotImplementedError

    # Off centre as far as the sparse distances can tell (their rounding
    # is eps * ||x||^2, not the dense rule's).
    off_center = staticmethod(off_center_sparse)

    def step(self, centers, center_shift=None):
        b = self.backend
        centers, centers_t, c_sq_norms = _centers_and_norms(
            centers, b.dtype, b.unit_centers, self.centers_t)
        inertia = self._assign(centers, centers_t, c_sq_norms, center_shift)
        sparse.group_by_label(self.labels, self.order, self.cluster_starts)
        sparse.cluster_stats_sparse(
            *b._csr, b.sample_weight, centers, c_sq_norms, self.order,
            self.cluster_starts, inertia is None, self.sums, self.weights,
            self.counts, self.cluster_inertia)
        if inertia is None:
            inertia = float(self.cluster_inertia.sum())
        # The buffers themselves: the engine copies what it keeps, and the
        # next step overwrites them only after that.
        return StepStats(self.sums, self.weights.copy(), self.counts.copy(),
                         int(self.n_changed.sum()), inertia)


class _SparseLloydRun(_SparseRun):
    """Distances to every centre for every row, every step."""

    def __init__(self, backend, n_clusters):
        super().__init__(backend, n_clusters)
        self.sq_dists = np.empty(backend.n_samples, dtype=backend.dtype)
        self.block_inertia = np.empty(backend.n_blocks, dtype=np.float64)

    def _assign(self, centers, centers_t, c_sq_norms, center_shift):
        b = self.backend
        sparse.assign_sparse(*b._csr, b.sample_weight, b.x_sq_norms, centers_t,
                             c_sq_norms, b.starts, self.labels, self.sq_dists,
                             self.n_changed, self.block_inertia)
        return float(self.block_inertia.sum())


class _SparseHamerlyRun(_SparseRun):
    """Hamerly's bounds: one upper and one lower bound per row."""

    def __init__(self, backend, n_clusters):
        super().__init__(backend, n_clusters)
        self.upper_stored = np.zeros(backend.n_samples, dtype=backend.dtype)
        self.lower_stored = np.zeros(backend.n_samples, dtype=backend.dtype)
        self.drift = np.zeros(n_clusters, dtype=np.float64)
        self.max_drift = 0.0

    def _assign(self, centers, centers_t, c_sq_norms, center_shift):
        b = self.backend
        if center_shift is not None:
            self.drift += center_shift
            self.max_drift += float(np.max(center_shift))
        sparse.hamerly_step_sparse(
            *b._csr, b.x_sq_norms, centers, centers_t, c_sq_norms,
            _half_min_center_dist(centers), self.drift, self.max_drift, b.starts,
            self.labels, self.upper_stored, self.lower_stored, self.n_changed)
        return None


_RUNS = {"lloyd": _SparseLloydRun, "hamerly": _SparseHamerlyRun}
