"""The fit driver: one k-means fit with restarts, on any backend.

Between the public functions (:func:`kmeanslab.kmeans`,
:func:`kmeanslab.core.fit_dask`) and the engine loop
(:func:`kmeanslab._engine.run_single`), :func:`fit` does what every fit
does whatever holds the data:

1. validate the parameters (:func:`kmeanslab._validation.check_run_params`)
   and pick the algorithm the backend runs (:func:`resolve_algorithm`);
2. prepare the working space (:class:`WorkingSpace`): the data centred
   when the backend can and ``copy_x`` asks, and scaled by a power of two
   when its magnitude would make squared distances overflow or underflow;
3. for each of ``n_init`` restarts, seed (:func:`kmeanslab.init.init_centers`)
   and run plain k-means or breathing k-means, keeping the run of lowest
   inertia (a run that only renames the best partition does not replace it);
4. warn when fewer distinct clusters than ``n_clusters`` were found, and
   build the :class:`KMeansResult` in the user's space.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from . import _validation as v
from ._engine import run_single
from .breathing import breathing_run
from .init import init_centers
from .trace import ConvergenceTrace

__all__ = ["KMeansResult", "WorkingSpace", "bulk_location", "centring_point",
           "centring_shift", "distance_space", "fit",
           "resolve_algorithm", "scale_exponent"]

# Data whose largest |x| lies outside [2**-SCALE_LIMIT, 2**SCALE_LIMIT] is
# scaled by a power of two (exact) to bring it near 1: inside those limits
# squared float64 distances stay far from overflow (2**1024) and from the
# subnormals (2**-1022).
SCALE_LIMIT = 60

# Rows of the evenly spaced sample that locates the bulk of the data for
# centring (bulk_location): enough for quartiles within a few percent.
CENTRING_SAMPLE = 4096

# algorithm="auto" runs Lloyd from this many features on (where its pass is
# a gemm: the kernels' BLAS_MIN_FEATURES) and up to this many clusters; see
# resolve_algorithm.
AUTO_LLOYD_MIN_FEATURES = 16
AUTO_LLOYD_MAX_CLUSTERS = 8
# ...and hands over to Hamerly once few labels change below this many
# features (see auto_handover).
AUTO_HANDOVER_MAX_FEATURES = 64

# The bounded variants (same result as Lloyd, fewer distances).
_BOUNDED = ("hamerly", "yinyang")


@dataclass(frozen=True)
class KMeansResult:
    """The outcome of :func:`kmeanslab.kmeans`.

    Attributes
    ----------
    centers : ndarray of shape (n_clusters, n_features)
    labels : ndarray of shape (n_samples,)
        A dask array when the data was a Dask collection.
    inertia : float
        Weighted sum of squared distances of samples to their centres.
    n_iter : int
        Iterations of the best run.
    algorithm : str
        The algorithm that ran ("lloyd", "hamerly", "yinyang", or
        "lloyd+hamerly" for an ``"auto"`` run handed over to Hamerly).
    trace : ConvergenceTrace
    """

    centers: np.ndarray
    labels: np.ndarray
    inertia: float
    n_iter: int
    algorithm: str
    trace: ConvergenceTrace


def resolve_algorithm(algorithm, n_samples, n_features, n_clusters,
                      sparse=False):
    """The algorithm ``"auto"`` stands for.

    Rule (measured with ``benchmarks/bench_engine.py --grid`` over
    n_features in {2, 3, 8, 32, 128, 384} x n_clusters in {8, 64, 256,
    1024} on overlapping clusters, and single-threaded CPU time on the
    cells near its edges): "lloyd" when

    - ``n_features >= AUTO_LLOYD_MIN_FEATURES`` (16): Lloyd's pass runs as
      one gemm per chunk of rows, and on overlapping data the bounds skip
      too few rows to pay for their bookkeeping (Hamerly 1.1x to 1.5x
      slower per iteration at d = 32 to 384);
    - ``n_clusters <= AUTO_LLOYD_MAX_CLUSTERS`` (8): the direct pass over a
      few centres costs about what checking the bounds does (within 25%
      either way);
    - ``n_clusters == 1``, ``n_samples < 256`` (bookkeeping only), or
      ``sparse`` rows (on TF-IDF text, ``benchmarks/bench_text.py``,
      distances concentrate, the single bound fails for almost every row
      and the bounded pass costs three times Lloyd's);

    and "hamerly" otherwise (few features and 16 or more clusters: 1.3x to
    1.6x faster than Lloyd). The grid times the first 20 iterations; a fit
    run to convergence spends most of its iterations with few labels
    changing, where Hamerly pays, so with 16 to 63 features and more than
    8 clusters the fit hands over from Lloyd to Hamerly once few labels
    change (:func:`auto_handover`; ``algorithm_`` then reads
    "lloyd+hamerly"). "yinyang" is never picked: it was slower than
    Hamerly in every cell measured. ``"elkan"`` is accepted for
    scikit-learn compatibility and runs the bounded variant; every
    algorithm gives Lloyd's result.
    """
    if algorithm == "elkan":
        return "hamerly"
    if algorithm != "auto":
        return algorithm
    if (n_clusters <= AUTO_LLOYD_MAX_CLUSTERS or n_samples < 256 or sparse
            or n_features >= AUTO_LLOYD_MIN_FEATURES):
        return "lloyd"
    return "hamerly"


def auto_handover(requested, resolved, n_features, n_clusters, backend):
    """The bounded algorithm an ``"auto"`` run hands over to once few labels
    change, or None.

    Where ``"auto"`` starts with Lloyd for its gemm pass (16 to 63
    features, more than ``AUTO_LLOYD_MAX_CLUSTERS`` clusters), the first
    iterations are Lloyd's (Hamerly's bounds prune little while most rows
    are in doubt) and the rest Hamerly's, which skip the rows that stay:
    default fits at 200k x 32, k=64, took 0.52x the time of Lloyd alone and
    about that of Hamerly alone (``bench_engine.py --compare-fits``), and
    the grid's 20 iterations from the start at d=32 stayed within 11% of
    Lloyd's. From
    ``AUTO_HANDOVER_MAX_FEATURES`` (64) features on, distances concentrate
    on overlapping data and the handed-over iterations ran 1.2x to 1.5x
    slower than Lloyd's in the grid (d = 128, 384; k >= 256), so Lloyd runs
    throughout. Only on the in-memory backend, whose Hamerly run starts
    from the labels it is handed.
    """
    if (requested == "auto" and resolved == "lloyd" and backend.name == "cpu"
            and "hamerly" in backend.algorithms
            and AUTO_LLOYD_MIN_FEATURES <= n_features < AUTO_HANDOVER_MAX_FEATURES
            and n_clusters > AUTO_LLOYD_MAX_CLUSTERS):
        return "hamerly"
    return None


def scale_exponent(amax):
    """The power of two to scale data whose largest |x| is ``amax`` by: 0
    inside ``[2**-SCALE_LIMIT, 2**SCALE_LIMIT]``, else the one that brings
    ``amax`` near 1."""
    if amax > 0 and not 2.0**-SCALE_LIMIT <= amax <= 2.0**SCALE_LIMIT:
        return -int(np.round(np.log2(amax)))
    return 0


def distance_space(backend, centers):
    """``(backend, centers, exponent)``: the data and ``centers`` scaled by
    the same power of two ``2**exponent`` (exact) as a fit would scale
    them, so that squared distances between them neither overflow nor
    underflow; ``backend`` itself and exponent 0 when no scaling is needed.

    ``predict``, ``transform`` and ``score`` measure in this space, so they
    agree with the fit on data of any magnitude (squared distances of
    values near 1e-200 underflow to 0 in float64, and of values near 1e200
    overflow). Distances come back to the user's units by ``2**-exponent``,
    squared ones by ``2**(-2 * exponent)``.
    """
    c_amax = float(np.max(np.abs(centers))) if np.size(centers) else 0.0
    amax = max(backend.summary().amax, c_amax)
    exponent = scale_exponent(amax)
    if exponent == 0:
        return backend, centers, 0
    scale = float(np.ldexp(1.0, exponent))
    scaled = np.asarray(centers, dtype=backend.dtype) * backend.dtype.type(scale)
    return backend.transformed(None, scale), scaled, exponent


class WorkingSpace:
    """The map between the user's space and the engine's working space,
    ``working = (user - shift) * 2**exponent``.

    Scaling by a power of two is exact in floating point, so results equal
    the unscaled ones wherever those neither overflow nor underflow.

    Parameters
    ----------
    dtype : dtype
        float32 or float64.
    shift : ndarray of shape (n_features,) or None
        The point the data was centred on (None: not centred; see
        :func:`centring_point`).
    exponent : int
    variance_mean : float
        Mean feature variance of the working data (scales ``tol``).
    """

    def __init__(self, dtype, shift, exponent, variance_mean):
        self.dtype = np.dtype(dtype)
        self.shift = shift
        self.exponent = exponent
        self.scale = float(np.ldexp(1.0, exponent))
        self.variance_mean = variance_mean

    def to_working(self, centers):
        c = np.asarray(centers, dtype=self.dtype)
        if self.shift is None and self.exponent == 0:
            return c
        if self.shift is not None:
            c = c - self.shift
        return c * self.dtype.type(self.scale)

    def to_user(self, centers):
        # The identity map passes the array through: a trace holds a set of
        # centres per iteration, and copying them all costs more than the
        # run for many clusters in many dimensions (text).
        if self.shift is None and self.exponent == 0:
            return np.asarray(centers, dtype=self.dtype)
        c = np.asarray(centers, dtype=self.dtype) / self.dtype.type(self.scale)
        if self.shift is not None:
            c = c + self.shift
        return c

    def inertia_to_user(self, inertia):
        """A squared distance (or a sum of them) in the user's units; inf
        when it overflows there."""
        with np.errstate(over="ignore"):
            return float(np.ldexp(float(inertia), -2 * self.exponent))

    def runs_to_user(self, runs):
        """Every run's centres, inertia and shifts in the user's space."""
        out = []
        for r in runs:
            its = tuple(
                replace(it, centers=self.to_user(it.centers),
                        inertia=self.inertia_to_user(it.inertia),
                        center_shift=self.inertia_to_user(it.center_shift))
                for it in r.iterations)
            out.append(replace(r, init_centers=self.to_user(r.init_centers),
                               iterations=its,
                               inertia=self.inertia_to_user(r.inertia)))
        return tuple(out)

    def moves_to_user(self, moves):
        """Breathing moves with their inertia in the user's units."""
        return tuple(replace(m, inertia=self.inertia_to_user(m.inertia))
                     for m in moves)


def bulk_location(backend):
    """Median and interquartile range of every feature, over an evenly spaced
    sample of at most ``CENTRING_SAMPLE`` rows (all rows of smaller data).

    The sample's rows are fixed by ``n_samples`` alone, so a fit stays
    deterministic; the values only need to locate where most of the data
    lies, which a few thousand rows do whatever a few extreme rows hold.
    """
    n = backend.n_samples
    idx = np.unique(np.linspace(0, n - 1, min(n, CENTRING_SAMPLE)).round()
                    .astype(np.int64))
    rows = np.asarray(backend.take_rows(idx), dtype=np.float64)
    q1, median, q3 = np.percentile(rows, [25, 50, 75], axis=0)
    return median, q3 - q1


def centring_point(mean, median, iqr):
    """Per feature, the mean when centring on it loses nothing, else the
    median.

    Centring rounds every value to a relative precision of its distance to
    the centring point, so a point far from the bulk of the data erases the
    bulk's differences: one fill value of 1e20 among values near 1 puts the
    mean near 1e18/n and every other value at the same -1e18/n. The mean is
    kept where it lies no farther from the bulk's median than the median
    lies from 0 or the bulk's interquartile range spans (centring then
    costs at most one bit of the values' own precision); elsewhere the
    median is used, which lies in the bulk by construction.
    """
    far = np.abs(mean - median) > np.maximum(np.abs(median), iqr)
    return np.where(far, median, mean)


def centring_shift(mean, dtype, n_samples):
    """The point the data is centred on (see :func:`centring_point`), in
    float64 data rounded to ``53 - ceil(log2(n_samples))`` significant bits.

    With that few bits, any sum of up to ``n_samples`` copies of a shifted
    value is exact, so a cluster whose samples all share a value in a
    feature (most often 0: clipped or one-hot features) gets exactly that
    value as its centre coordinate, whatever the algorithm, instead of a
    residue such as 4e-16. The shift stays within a relative 2**-24 of the
    mean (up to 2**29 samples), as good as the mean for centring. float32
    data keeps the rounded mean: its sums run in float32, where no useful
    number of bits makes them exact.
    """
    shift = mean.astype(dtype)
    bits = np.finfo(np.float64).nmant + 1 - int(np.ceil(np.log2(max(n_samples, 2))))
    if np.dtype(dtype) != np.float64 or bits < 24:
        return shift
    mantissa, exponent = np.frexp(shift)
    return np.ldexp(np.round(np.ldexp(mantissa, bits)), exponent - bits)


def working_space(backend, copy_x):
    """The working backend and its :class:`WorkingSpace`.

    One pass of statistics on ``backend``; the data is centred when
    ``copy_x`` and the backend can, and scaled by ``2**scale_exponent``
    (the statistics are then measured again on the scaled data, where the
    raw ones may have overflowed).

    Raises
    ------
    ValueError
        When the working data's variance is not finite (values too large
        for the data type).
    """
    # The raw statistics may overflow (they are measured again once scaled).
    with np.errstate(over="ignore", invalid="ignore"):
        summary = backend.summary()
    exponent = scale_exponent(summary.amax)
    shift = None
    if copy_x and backend.can_center:
        point = centring_point(summary.mean, *bulk_location(backend))
        shift = centring_shift(point, backend.dtype, backend.n_samples)
    working = backend.transformed(shift, float(np.ldexp(1.0, exponent)))
    variance_mean = (working.summary().variance_mean if exponent
                     else summary.variance_mean)
    if not np.isfinite(variance_mean):
        raise ValueError(f"X has values too large to cluster in {backend.dtype} "
                         f"(largest |x| = {summary.amax:.3g}); rescale X")
    return working, WorkingSpace(backend.dtype, shift, exponent, variance_mean)


def fit(backend, n_clusters, *, init, n_init, max_iter, tol, algorithm,
        random_state, record_labels, copy_x, n_threads, refine, project=None):
    """k-means with ``n_init`` restarts on ``backend``, keeping the best run.

    Parameters
    ----------
    backend : Backend
        Holds the user's (validated) data; its ``X`` is what a callable
        ``init`` receives.
    n_clusters, init, n_init, max_iter, tol, algorithm, random_state, record_labels, copy_x, n_threads, refine
        As for :func:`kmeanslab.kmeans`; checked here. A seeding the
        backend runs as another (``backend.init_aliases``), an algorithm it
        lacks (Lloyd runs instead, with the same result) and a refinement
        it lacks (ValueError) are resolved before any pass over the data.
    project : callable or None, default=None
        Applied to the centres of every run (see
        :func:`kmeanslab._engine.run_single`); only with ``refine=None``
        and ``copy_x=False`` (centring would move the data off the set the
        projection maps onto).

    Returns
    -------
    KMeansResult
        Labels as ``backend.user_labels`` gives them.

    Warns
    -----
    ConvergenceWarning
        Fewer distinct clusters than ``n_clusters`` (duplicate points).
    """
    if isinstance(init, str):
        init = backend.init_aliases.get(init, init)
    n_samples, n_features = backend.n_samples, backend.n_features
    n_clusters, init, n_init, max_iter, tol, algorithm, n_threads = (
        v.check_run_params(n_samples, n_features, backend.dtype,
                           n_clusters=n_clusters, init=init, n_init=n_init,
                           max_iter=max_iter, tol=tol, algorithm=algorithm,
                           n_threads=n_threads, stacklevel=4))
    requested = algorithm
    algorithm = resolve_algorithm(algorithm, n_samples, n_features, n_clusters,
                                  sparse=backend.name == "sparse")
    if algorithm not in backend.algorithms:
        # Every bounded variant gives Lloyd's result: run the backend's
        # bounded one when it has one, else Lloyd.
        algorithm = ("hamerly" if algorithm in _BOUNDED
                     and "hamerly" in backend.algorithms else "lloyd")
    random_state = check_random_state(random_state)
    refine = v.check_refine(refine)
    if refine is not None and refine not in backend.refinements:
        raise ValueError(f"refine={refine!r} is not available on the "
                         f"{backend.name} backend; use refine=None")

    working, space = working_space(backend, copy_x)
    params = dict(algorithm=algorithm, max_iter=max_iter,
                  tol=space.variance_mean * tol, record_labels=record_labels)
    handover = auto_handover(requested, algorithm, n_features, n_clusters, backend)
    if handover is not None and refine is None:
        params["handover"] = handover
        algorithm = f"{algorithm}+{handover}"
    if project is not None:
        if refine is not None or space.shift is not None:
            raise ValueError("a projection of the centres needs refine=None and "
                             "uncentred data (copy_x=False)")
        params["project"] = project
    best = None
    runs = []
    moves = []
    with working.thread_context(n_threads):
        for run in range(n_init):
            centers0 = init_centers(working, init, n_clusters, random_state,
                                    to_working=space.to_working, X_user=backend.X)
            if refine == "breathing":
                labels, centers, inertia, run_trace, run_moves = breathing_run(
                    working, centers0, random_state=random_state, run=run,
                    **params)
                moves.append(run_moves)
            else:
                labels, centers, inertia, run_trace = run_single(
                    working, centers0, run=run, **params)
            runs.append(run_trace)
            if best is None or (inertia < best[2] and not _same_clustering(
                    working, labels, best[0], n_clusters)):
                best = (labels, centers, inertia, run)

    labels, centers, inertia, best_run = best
    if not np.isfinite(space.inertia_to_user(inertia)):
        raise ValueError(
            f"X has values too large for squared distances in {backend.dtype} "
            f"(the inertia overflows); rescale X")
    sizes = working.label_counts(labels, n_clusters)
    n_distinct = int(np.count_nonzero(sizes))
    if n_distinct < n_clusters:
        # stacklevel 3: the caller of the public function that called fit.
        warnings.warn(
            f"Number of distinct clusters ({n_distinct}) found smaller than "
            f"n_clusters ({n_clusters}). Possibly due to duplicate points in X.",
            ConvergenceWarning, stacklevel=3)
    trace = ConvergenceTrace(
        runs=space.runs_to_user(runs), best_run=best_run,
        moves=tuple(space.moves_to_user(m) for m in moves))
    return KMeansResult(centers=space.to_user(centers),
                        labels=working.user_labels(labels),
                        inertia=space.inertia_to_user(inertia),
                        n_iter=runs[best_run].n_iter, algorithm=algorithm,
                        trace=trace)


def _same_clustering(backend, labels1, labels2, n_clusters):
    """True when two labelings are the same partition up to renaming."""
    n_pairs, n_distinct1, n_distinct2 = backend.count_distinct(
        labels1, labels2, n_clusters)
    return n_pairs == n_distinct1 == n_distinct2
