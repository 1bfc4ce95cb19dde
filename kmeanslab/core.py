"""The ``kmeans`` function: validation, restarts and the result object."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from . import _validation as v
from ._engine import run_single
from .breathing import breathing_run
from ._kernels import common
from ._threads import single_threaded_blas, thread_limit
from .backends import get_backend, is_dask_collection
from .init import init_centers
from .trace import ConvergenceTrace

__all__ = ["kmeans", "KMeansResult", "resolve_algorithm"]


@dataclass(frozen=True)
class KMeansResult:
    """The outcome of :func:`kmeans`.

    Attributes
    ----------
    centers : ndarray of shape (n_clusters, n_features)
    labels : ndarray of shape (n_samples,)
    inertia : float
        Weighted sum of squared distances of samples to their centres.
    n_iter : int
        Iterations of the best run.
    algorithm : str
        The algorithm that ran ("lloyd" or "hamerly").
    trace : ConvergenceTrace
    """

    centers: np.ndarray
    labels: np.ndarray
    inertia: float
    n_iter: int
    algorithm: str
    trace: ConvergenceTrace


def resolve_algorithm(algorithm, n_samples, n_features, n_clusters):
    """The algorithm ``"auto"`` stands for.

    Rule (from ``benchmarks/bench_engine.py``): Hamerly's bounds pay off when
    they let most samples skip the distance pass, which they do for every
    workload measured here once ``n_clusters >= 2``; the plain Lloyd pass is
    only chosen for ``n_clusters == 1`` or tiny data (``n_samples < 256``),
    where the bounds' bookkeeping costs more than it saves. ``"elkan"`` is
    accepted for scikit-learn compatibility and runs the bounded variant,
    which gives the same result as Lloyd.
    """
    if algorithm == "elkan":
        return "hamerly"
    if algorithm != "auto":
        return algorithm
    if n_clusters == 1 or n_samples < 256:
        return "lloyd"
    return "hamerly"


class _Workspace:
    """The data as the engine sees it: optionally centred and scaled by a
    power of two (exact in floating point) so squared distances neither
    overflow nor underflow. Also measures the mean feature variance that
    scales ``tol``."""

    def __init__(self, X, center):
        dtype = X.dtype
        starts = common.block_starts(X.shape[0])
        nb = starts.shape[0] - 1
        n = X.shape[0]
        buf = np.empty((nb, X.shape[1]), dtype=np.float64)
        zero = np.zeros(X.shape[1], dtype=dtype)
        common.column_sums_dense(X, starts, zero, 1, buf)
        mean = buf.sum(axis=0) / n
        common.column_sums_dense(X, starts, mean.astype(dtype), 2, buf)
        self.variance_mean = float(np.mean(buf.sum(axis=0) / n))
        amax_blocks = np.empty(nb, dtype=np.float64)
        common.abs_max_dense(X, starts, amax_blocks)
        amax = float(amax_blocks.max())
        # Scale by 2**exponent: exact in floating point, so results equal the
        # unscaled ones wherever those neither overflow nor underflow.
        self.exponent = 0
        if amax > 0 and not 2.0**-60 <= amax <= 2.0**60:
            self.exponent = -int(np.round(np.log2(amax)))
        self.scale = float(np.ldexp(1.0, self.exponent))
        self.mean = mean.astype(dtype) if center else None
        if center or self.exponent or not X.flags.c_contiguous:
            self.X = np.empty(X.shape, dtype=dtype)
            shift = self.mean if center else zero
            common.shift_scale_dense(X, shift, dtype.type(self.scale), self.X)
        else:
            self.X = X
        if self.exponent:
            # Measure the variance on the scaled data (the raw one may have
            # under- or overflowed).
            common.column_sums_dense(self.X, starts, zero, 1, buf)
            scaled_mean = (buf.sum(axis=0) / n).astype(dtype)
            common.column_sums_dense(self.X, starts, scaled_mean, 2, buf)
            self.variance_mean = float(np.mean(buf.sum(axis=0) / n))
        if not np.isfinite(self.variance_mean) or not np.isfinite(
                self.X.sum(dtype=np.float64)):
            raise ValueError(f"X has values too large to cluster in {dtype} "
                             f"(largest |x| = {amax:.3g}); rescale X")

    def to_working(self, centers):
        c = np.asarray(centers, dtype=self.X.dtype)
        if self.mean is not None:
            c = c - self.mean
        return c * self.X.dtype.type(self.scale)

    def to_user(self, centers):
        c = np.asarray(centers, dtype=self.X.dtype) / self.X.dtype.type(self.scale)
        if self.mean is not None:
            c = c + self.mean
        return c

    def inertia_to_user(self, inertia):
        with np.errstate(over="ignore"):
            return float(np.ldexp(float(inertia), -2 * self.exponent))

    def moves_to_user(self, moves):
        from dataclasses import replace

        return tuple(replace(m, inertia=self.inertia_to_user(m.inertia))
                     for m in moves)


def kmeans(X, n_clusters=8, *, sample_weight=None, init="k-means++",
           n_init="auto", max_iter=300, tol=1e-4, algorithm="auto",
           random_state=None, record_labels=False, copy_x=True, n_threads=None,
           refine=None):
    """Cluster X with k-means, keeping the best of ``n_init`` runs.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        float32 and float64 data are kept in their type; C- or F-ordered.
        A dask array or Dask DataFrame is clustered where it lives
        (``kmeanslab.backends._dask.fit_dask``, on the active
        ``distributed.Client`` if there is one): k-means++ runs as k-means||
        and the labels come back as a dask array.
    n_clusters : int, default=8
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights used in seeding, centre updates and inertia.
    init : {"k-means++", "random", "k-means||"}, callable or array of shape (n_clusters, n_features), default="k-means++"
    n_init : int or "auto", default="auto"
        Runs from different seeds; "auto" is 10 for "random" and 1 otherwise.
    max_iter : int, default=300
    tol : float, default=1e-4
        Stop when the summed squared centre shift is at most
        ``tol * mean(var(X, axis=0))``.
    algorithm : {"auto", "lloyd", "hamerly", "elkan"}, default="auto"
        See :func:`resolve_algorithm` for the rule behind "auto".
    random_state : int, RandomState instance or None, default=None
    record_labels : bool, default=False
        Keep every iteration's labels in the trace.
    copy_x : bool, default=True
        Work on a centred copy of X (more accurate). With False, X is used as
        it is when it is already C-contiguous float data; X is never modified.
    n_threads : int, default=None
        Threads for the kernels; results do not depend on it.
    refine : {None, "breathing"}, default=None
        None runs plain k-means from each start (scikit-learn's result).
        "breathing" then searches for a better optimum with breathing
        k-means (see :mod:`kmeanslab.breathing`): it adds and removes centres
        around the converged solution and keeps what lowers the inertia, so
        the result is never worse than plain k-means from the same start.
        Its structural moves are in ``trace.moves``.

    Returns
    -------
    KMeansResult

    Raises
    ------
    ValueError, TypeError
        For invalid data or parameters (the message names the parameter).

    See Also
    --------
    KMeans : the scikit-learn estimator built on this function.

    Notes
    -----
    Each Lloyd iteration costs O(n_samples * n_clusters * n_features); the
    Hamerly variant skips samples whose distance bounds prove their label
    cannot change (Hamerly 2010) and gives the same result.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeanslab import kmeans
    >>> X = np.array([[1.0, 2.0], [1.0, 4.0], [1.0, 0.0],
    ...               [10.0, 2.0], [10.0, 4.0], [10.0, 0.0]])
    >>> result = kmeans(X, 2, init=np.array([[0.0, 0.0], [9.0, 0.0]]))
    >>> result.labels.tolist()
    [0, 0, 0, 1, 1, 1]
    >>> result.centers.tolist()
    [[1.0, 2.0], [10.0, 2.0]]
    """
    if is_dask_collection(X):
        from .backends._dask import fit_dask

        return fit_dask(X, n_clusters, sample_weight=sample_weight, init=init,
                        n_init=n_init, max_iter=max_iter, tol=tol,
                        algorithm=algorithm, random_state=random_state,
                        record_labels=record_labels, copy_x=copy_x,
                        n_threads=n_threads, refine=refine)
    X = v.check_X(X)
    n_samples, n_features = X.shape
    sw = v.check_sample_weight(sample_weight, n_samples, X.dtype)
    n_clusters, init, n_init, max_iter, tol, algorithm, n_threads = (
        v.check_run_params(n_samples, n_features, X.dtype, n_clusters=n_clusters,
                           init=init, n_init=n_init, max_iter=max_iter, tol=tol,
                           algorithm=algorithm, n_threads=n_threads))
    algorithm = resolve_algorithm(algorithm, n_samples, n_features, n_clusters)
    random_state = check_random_state(random_state)
    if refine not in (None, "breathing"):
        raise ValueError(f"refine must be None or 'breathing', got {refine!r}")

    ws = _Workspace(X, center=copy_x)
    backend = get_backend(ws.X, sw)
    abs_tol = ws.variance_mean * tol

    best = None
    runs = []
    moves = []
    # One block means no parallel work: skip waking the thread pool, which
    # costs more than a small fit on a busy machine.
    if getattr(backend, "n_blocks", 0) == 1:
        n_threads = 1  # validated above
    with thread_limit(n_threads), single_threaded_blas():
        for run in range(n_init):
            centers0 = init_centers(backend, init, n_clusters, random_state,
                                    to_working=ws.to_working, X_user=X)
            params = dict(algorithm=algorithm, max_iter=max_iter, tol=abs_tol,
                          run=run, record_labels=record_labels)
            if refine == "breathing":
                labels, centers, inertia, run_trace, run_moves = breathing_run(
                    backend, centers0, random_state=random_state, **params)
                moves.append(run_moves)
            else:
                labels, centers, inertia, run_trace = run_single(
                    backend, centers0, **params)
            runs.append(run_trace)
            if best is None or (inertia < best[2] and
                                not _same_clustering(labels, best[0], n_clusters)):
                best = (labels, centers, inertia, run)

    labels, centers, inertia, best_run = best
    if not np.isfinite(ws.inertia_to_user(inertia)):
        raise ValueError(
            f"X has values too large for squared distances in {X.dtype} (the "
            f"inertia overflows); rescale X")
    n_distinct = int(np.count_nonzero(np.bincount(labels, minlength=n_clusters)))
    if n_distinct < n_clusters:
        warnings.warn(
            f"Number of distinct clusters ({n_distinct}) found smaller than "
            f"n_clusters ({n_clusters}). Possibly due to duplicate points in X.",
            ConvergenceWarning, stacklevel=2)
    trace = ConvergenceTrace(
        runs=tuple(_runs_to_user(runs, ws)), best_run=best_run,
        moves=tuple(ws.moves_to_user(m) for m in moves))
    return KMeansResult(centers=ws.to_user(centers), labels=labels,
                        inertia=ws.inertia_to_user(inertia),
                        n_iter=runs[best_run].n_iter, algorithm=algorithm,
                        trace=trace)


def _same_clustering(labels1, labels2, n_clusters):
    """True when two labelings are the same partition up to renaming."""
    pairs = np.unique(labels1.astype(np.int64) * n_clusters + labels2)
    return len(pairs) == len(np.unique(labels1)) == len(np.unique(labels2))


def _runs_to_user(runs, ws):
    """Map every run's centres, inertia and shifts back to the user's space."""
    from dataclasses import replace

    out = []
    for r in runs:
        its = tuple(
            replace(it, centers=ws.to_user(it.centers),
                    inertia=ws.inertia_to_user(it.inertia),
                    center_shift=ws.inertia_to_user(it.center_shift))
            for it in r.iterations)
        out.append(replace(r, init_centers=ws.to_user(r.init_centers),
                           iterations=its, inertia=ws.inertia_to_user(r.inertia)))
    return out
