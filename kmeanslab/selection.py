"""Choosing the number of clusters: the Kneedle elbow, the gap statistic,
subsample stability and a sweep over k that combines them.

:func:`choose_k` fits each k once with :func:`kmeanslab.kmeans` and scores
that one fit with every requested criterion (inertia, silhouette,
Calinski-Harabasz, Davies-Bouldin, gap statistic, stability); the gap
statistic and stability need clusterings of their own (reference data,
subsamples) and make them. Each criterion picks a k, a majority vote
recommends one, and :class:`KSelection` explains the choice in words.

Random numbers: an integer ``random_state`` is given unchanged to the fit of
every k (so ``choose_k(X, random_state=s)`` fits the same models as
``KMeans(k, random_state=s)``); the reference sets, subsamples and sampled
silhouettes draw from ``numpy.random.default_rng([seed, <criterion>, ...])``
so every number depends on the seed and k only, never on ``n_jobs`` or the
order in which ks finish.
"""

from __future__ import annotations

import numbers
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from ._validation import check_X

__all__ = [
    "GapResult",
    "KneeResult",
    "KSelection",
    "SkippedKWarning",
    "StabilityResult",
    "choose_k",
    "find_knee",
    "gap_statistic",
    "stability",
]

CRITERIA = ("inertia", "silhouette", "calinski_harabasz", "davies_bouldin",
            "gap", "stability")
SILHOUETTE_METHODS = ("exact", "sampled", "simplified")
REFERENCES = ("uniform", "pca")

# Differences of the normalised (unit-range) Kneedle curve closer than this
# count as ties, so that rescaling x or y, which perturbs the normalised
# values by a few ulps, cannot move the knee.
_KNEE_TIE_TOL = 1e-10

# A within-cluster sum of squares at most this fraction of the total sum of
# squares is zero up to rounding (each cluster a single repeated point): its
# log, and so the gap, is meaningless and reported as NaN.
_ZERO_WK_RTOL = 1e-12

# Keys of the derived random streams (numpy.random.default_rng([seed, key, ...])).
_GAP_STREAM = 1
_STABILITY_STREAM = 2
_SILHOUETTE_STREAM = 3

# Keyword arguments of kmeans() that choose_k, gap_statistic and stability pass on.
_KMEANS_KEYS = ("init", "max_iter", "tol", "algorithm", "n_threads", "copy_x")


class SkippedKWarning(UserWarning):
    """Some values of ``k_range`` cannot be scored and were left out."""


# --------------------------------------------------------------------------
# Kneedle


@dataclass(frozen=True, eq=False)
class KneeResult:
    """The outcome of :func:`find_knee`.

    Attributes
    ----------
    knee : int, float or None
        x at the knee, as given in ``x``; None when there is no knee.
    knee_y : int, float or None
        y at the knee.
    knee_index : int or None
        Position of the knee in ``x`` and ``y``.
    x_normalized, y_normalized : ndarray of shape (n_points,)
        x and y rescaled to [0, 1], in the order given.
    difference : ndarray of shape (n_points,)
        Kneedle's difference curve (the transformed, normalised y minus the
        transformed, normalised x), in the order given; the knee is one of
        its local maxima.
    curve : str
    direction : str
    S : float
        Sensitivity used.
    """

    knee: object
    knee_y: object
    knee_index: object
    x_normalized: np.ndarray = field(repr=False)
    y_normalized: np.ndarray = field(repr=False)
    difference: np.ndarray = field(repr=False)
    curve: str = "convex"
    direction: str = "decreasing"
    S: float = 1.0


def _check_curve(x, y, curve, direction, S):
    if curve not in ("convex", "concave"):
        raise ValueError(f"curve must be 'convex' or 'concave', got {curve!r}")
    if direction not in ("increasing", "decreasing"):
        raise ValueError(
            f"direction must be 'increasing' or 'decreasing', got {direction!r}")
    if isinstance(S, bool) or not isinstance(S, numbers.Real):
        raise TypeError(f"S must be a non-negative number, got {S!r}")
    if not np.isfinite(S) or S < 0:
        raise ValueError(f"S must be a finite number >= 0, got {S}")
    arrays = []
    for name, values in (("x", x), ("y", y)):
        try:
            arr = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a sequence of numbers") from None
        if arr.ndim != 1:
            raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
        if not np.isfinite(arr).all():
            raise ValueError(f"{name} contains NaN or infinity")
        arrays.append(arr)
    x_arr, y_arr = arrays
    if x_arr.shape != y_arr.shape:
        raise ValueError(f"x and y must have the same length, got {x_arr.shape[0]} "
                         f"and {y_arr.shape[0]}")
    if x_arr.shape[0] < 3:
        raise ValueError(f"find_knee needs at least 3 points, got {x_arr.shape[0]}")
    steps = np.diff(x_arr)
    if not ((steps > 0).all() or (steps < 0).all()):
        raise ValueError("x must be strictly monotone (all increasing or all "
                         "decreasing, no repeated values)")
    return x_arr, y_arr, float(S)


def _unit_range(values):
    span = values.max() - values.min()
    if span == 0:
        return np.zeros_like(values)
    return (values - values.min()) / span


def find_knee(x, y, *, curve="convex", direction="decreasing", S=1.0):
    """Find the knee (or elbow) of a curve with the Kneedle method.

    Parameters
    ----------
    x : array-like of shape (n_points,)
        Strictly monotone positions (for example the ks tried), at least 3.
    y : array-like of shape (n_points,)
        Values at ``x`` (for example the inertia of each k).
    curve : {"convex", "concave"}, default="convex"
        Shape of y as a function of increasing x. An inertia curve is convex.
    direction : {"increasing", "decreasing"}, default="decreasing"
        Whether y rises or falls with increasing x.
    S : float, default=1.0
        Sensitivity: how far (in units of the mean normalised x step) the
        difference curve must fall after a local maximum for that maximum to
        count as the knee. Larger is more conservative; 0 takes the first
        local maximum that is followed by any decrease. Named ``S`` as in the
        paper and in kneed.

    Returns
    -------
    KneeResult
        ``knee`` (an x value, or None when the curve has no knee, as for a
        straight line), ``knee_y``, ``knee_index`` and the normalised curves.

    Raises
    ------
    ValueError
        If x and y differ in length, have fewer than 3 points or non-finite
        values, if x is not strictly monotone, or if ``curve``,
        ``direction`` or ``S`` is invalid.

    See Also
    --------
    choose_k : uses the knee of the inertia curve as its "elbow" pick.

    Notes
    -----
    Satopää, Albrecht, Irwin & Raghavan (2011), "Finding a 'Kneedle' in a
    Haystack". x and y are rescaled to [0, 1]; the curve is reflected so that
    it becomes concave and increasing (convex-decreasing: y -> 1 - y;
    convex-increasing: both flipped; concave-decreasing: x -> 1 - x), and
    the difference curve is the transformed y minus the transformed x. At
    each local maximum of that curve a threshold ``max - S / (n_points - 1)``
    is set; the first maximum after which the difference falls below its
    threshold before another local maximum is reached is the knee. Because
    only the normalised curve is used, the result is unchanged by any
    positive affine rescaling of x or y (differences within 1e-10 of the unit
    range count as ties so that rounding cannot move the knee). Time
    O(n_points).

    Examples
    --------
    >>> from kmeanslab.selection import find_knee
    >>> ks = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    >>> inertia = [100.0, 55.0, 20.0, 16.0, 13.0, 11.0, 9.5, 8.0, 7.0, 6.0]
    >>> find_knee(ks, inertia).knee
    3
    >>> find_knee([0, 1, 2, 3], [3.0, 2.0, 1.0, 0.0]).knee is None
    True
    """
    x_arr, y_arr, S = _check_curve(x, y, curve, direction, S)
    x_norm = _unit_range(x_arr)
    y_norm = _unit_range(y_arr)
    # Transformed x (t) and y (u) such that u(t) is concave and increasing.
    flip_x = (curve == "convex") == (direction == "increasing")
    t = 1.0 - x_norm if flip_x else x_norm
    u = 1.0 - y_norm if curve == "convex" else y_norm
    difference = u - t
    knee_index = _kneedle_scan(difference, np.argsort(t, kind="stable"), S)
    if knee_index is None:
        knee = knee_y = None
    else:
        knee = np.asarray(x)[knee_index].item()
        knee_y = np.asarray(y)[knee_index].item()
    return KneeResult(knee=knee, knee_y=knee_y, knee_index=knee_index,
                      x_normalized=x_norm, y_normalized=y_norm,
                      difference=difference, curve=curve, direction=direction, S=S)


def _kneedle_scan(difference, order, S):
    """Index of the first local maximum of ``difference`` (visited in
    ``order``) after which it drops below that maximum minus S times the mean
    step of the normalised x, before the next local maximum; None if none."""
    d = difference[order]
    n = d.shape[0]
    drop = S / (n - 1)
    is_max = np.zeros(n, dtype=bool)
    # A plateau counts once, at its first point.
    is_max[1:-1] = ((d[1:-1] - d[:-2] > _KNEE_TIE_TOL)
                    & (d[1:-1] - d[2:] >= -_KNEE_TIE_TOL))
    candidate = None
    threshold = 0.0
    for pos in range(n):
        if is_max[pos]:
            candidate, threshold = pos, d[pos] - drop
        elif candidate is not None and d[pos] < threshold - _KNEE_TIE_TOL:
            return int(order[candidate])
    return None


# --------------------------------------------------------------------------
# shared validation and random streams


def _base_seed(random_state):
    """One integer in [0, 2**32) that every random stream derives from."""
    if random_state is None:
        return int(np.random.default_rng().integers(2**32))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**32))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral):
        raise TypeError("random_state must be None, an int, a numpy Generator or "
                        f"RandomState, got {random_state!r}")
    if not 0 <= random_state < 2**32:
        raise ValueError(f"random_state must be in [0, 2**32), got {random_state}")
    return int(random_state)


def _stream(seed, *key):
    return np.random.default_rng([seed, *key])


def _child_seed(rng):
    return int(rng.integers(2**32))


def _check_fit_params(n_init, kmeans_params):
    """Validated keyword arguments for every kmeans() call of a sweep."""
    from . import _validation as v

    unknown = sorted(set(kmeans_params) - set(_KMEANS_KEYS))
    if unknown:
        raise TypeError(f"unexpected keyword argument(s) {unknown}; kmeans "
                        f"parameters accepted here are {list(_KMEANS_KEYS)}")
    params = dict(kmeans_params)
    init = params.get("init", "k-means++")
    if not (isinstance(init, str) or callable(init)):
        raise ValueError("init must be a method name or a callable here: an array "
                         "of initial centres fixes n_clusters, which varies with k")
    if isinstance(init, str):
        v.check_init(init, 1, 1, np.float64)
    params["n_init"] = v.check_n_init(n_init, init)
    if "max_iter" in params:
        v.check_max_iter(params["max_iter"])
    if "tol" in params:
        v.check_tol(params["tol"])
    if "algorithm" in params:
        v.check_algorithm(params["algorithm"])
    n_threads = params.get("n_threads")
    if n_threads is not None:
        if isinstance(n_threads, bool) or not isinstance(n_threads, numbers.Integral):
            raise TypeError(f"n_threads must be a positive integer, got {n_threads!r}")
        if n_threads < 1:
            raise ValueError(f"n_threads must be >= 1, got {n_threads}")
    return params


def _check_ks(k_range, minimum, maximum, maximum_reason):
    """Sorted distinct ints of ``k_range`` within [minimum, maximum]; warns
    about the others and raises when none remain."""
    try:
        values = list(k_range)
    except TypeError:
        raise TypeError(f"k_range must be an iterable of integers, got {k_range!r}") from None
    if not values:
        raise ValueError("k_range is empty")
    for k in values:
        if isinstance(k, bool) or not isinstance(k, numbers.Integral):
            raise TypeError(f"k_range must contain integers, got {k!r}")
    ks = sorted({int(k) for k in values})
    if len(ks) != len(values):
        raise ValueError(f"k_range has repeated values: {values}")
    kept = [k for k in ks if minimum <= k <= maximum]
    dropped = [k for k in ks if k not in kept]
    if not kept:
        raise ValueError(
            f"k_range={_format_ks(ks)} has no k in [{minimum}, {maximum}] "
            f"({maximum_reason})")
    if dropped:
        warnings.warn(
            f"k_range: skipping k={dropped}, outside [{minimum}, {maximum}] "
            f"({maximum_reason})", SkippedKWarning, stacklevel=3)
    return tuple(kept)


def _format_ks(ks):
    ks = list(ks)
    if len(ks) > 2 and ks == list(range(ks[0], ks[-1] + 1)):
        return f"{ks[0]}..{ks[-1]}"
    return str(ks)


def _n_distinct_rows(X):
    first = X[0]
    if (X == first).all():
        return 1
    return int(np.unique(X, axis=0).shape[0])


def _check_choice(value, name, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def _check_int(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _check_subsample(subsample):
    if isinstance(subsample, bool) or not isinstance(subsample, numbers.Real):
        raise TypeError(f"subsample must be a fraction in (0, 1], got {subsample!r}")
    if not 0.0 < subsample <= 1.0:
        raise ValueError(f"subsample must be in (0, 1], got {subsample}")
    return float(subsample)


# --------------------------------------------------------------------------
# gap statistic


@dataclass(frozen=True, eq=False)
class GapResult:
    """The outcome of :func:`gap_statistic`.

    Attributes
    ----------
    ks : tuple of int
        The ks evaluated, increasing.
    gap : ndarray of shape (n_ks,)
        Gap(k) = mean_b log W*_kb - log W_k (NaN where W_k is 0).
    gap_se : ndarray of shape (n_ks,)
        s_k = sd_k * sqrt(1 + 1/n_refs), sd_k the standard deviation (1/B
        normalisation) of log W*_kb over the reference sets.
    log_wk : ndarray of shape (n_ks,)
        log of the data's within-cluster sum of squares (NaN where it is 0).
    ref_log_wk : ndarray of shape (n_ks, n_refs)
        log W*_kb of every reference set b.
    best_k : int
        The 1-standard-error pick: the smallest k with
        Gap(k) >= Gap(k') - s_k', k' the next k evaluated; the largest k when
        no k qualifies.
    n_refs : int
    reference : str
    """

    ks: tuple
    gap: np.ndarray = field(repr=False)
    gap_se: np.ndarray = field(repr=False)
    log_wk: np.ndarray = field(repr=False)
    ref_log_wk: np.ndarray = field(repr=False)
    best_k: int = 1
    n_refs: int = 10
    reference: str = "uniform"


class _ReferenceSampler:
    """Draws reference data sets uniform over X's bounding box, either along
    the features or along X's principal axes."""

    def __init__(self, X, reference):
        self.shape = X.shape
        self.dtype = X.dtype
        X64 = X.astype(np.float64, copy=False)
        if reference == "uniform":
            self.mean = self.axes = None
            coords = X64
        else:
            self.mean = X64.mean(axis=0)
            # Rows of vt are the principal axes; X' = (X - mean) @ vt.T.
            _, _, vt = np.linalg.svd(X64 - self.mean, full_matrices=False)
            self.axes = vt
            coords = (X64 - self.mean) @ vt.T
        self.low = coords.min(axis=0)
        self.high = coords.max(axis=0)
        self.total_ss = float(np.sum((X64 - X64.mean(axis=0)) ** 2))

    def draw(self, rng):
        Z = rng.uniform(self.low, self.high, size=(self.shape[0], self.low.shape[0]))
        if self.axes is not None:
            Z = Z @ self.axes + self.mean
        return Z.astype(self.dtype, copy=False)


def _log(value):
    return float(np.log(value)) if value > 0 else float("nan")


def _gap_for_k(k, data_inertia, sampler, seed, n_refs, fit_params):
    """(gap, gap_se, log W_k, log W*_kb over b) for one k; reference set b is
    the same for every k."""
    from .core import kmeans

    ref_logs = np.empty(n_refs, dtype=np.float64)
    for b in range(n_refs):
        Z = sampler.draw(_stream(seed, _GAP_STREAM, b))
        fit_seed = _child_seed(_stream(seed, _GAP_STREAM, b, k))
        ref_logs[b] = _log(kmeans(Z, k, random_state=fit_seed, **fit_params).inertia)
    data_log = (_log(data_inertia)
                if data_inertia > _ZERO_WK_RTOL * sampler.total_ss else float("nan"))
    gap = float(np.mean(ref_logs)) - data_log
    gap_se = float(np.std(ref_logs)) * np.sqrt(1.0 + 1.0 / n_refs)
    return gap, float(gap_se), data_log, ref_logs


def _one_se_pick(ks, gap, gap_se):
    """Tibshirani et al.'s rule over the ks with a finite gap.

    Returns (k, how): how is "rule" when a k qualified, "largest" when none
    did and the largest k was taken, "only" when a single k has a finite gap;
    (None, None) when none has.
    """
    finite = [i for i in range(len(ks)) if np.isfinite(gap[i])]
    if not finite:
        return None, None
    if len(finite) == 1:
        return int(ks[finite[0]]), "only"
    for i, j in zip(finite[:-1], finite[1:]):
        if gap[i] >= gap[j] - gap_se[j]:
            return int(ks[i]), "rule"
    return int(ks[finite[-1]]), "largest"


def gap_statistic(X, k_range, *, n_refs=10, reference="uniform", random_state=None,
                  n_init="auto", **kmeans_params):
    """Tibshirani's gap statistic and its 1-standard-error choice of k.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data; float32 and float64 are kept, other types become float64.
    k_range : iterable of int
        ks to evaluate, each in [1, n_distinct_rows]. Unlike
        :func:`choose_k`, k = 1 is allowed, so the statistic can say that
        the data has no cluster structure.
    n_refs : int, default=10
        Reference data sets B.
    reference : {"uniform", "pca"}, default="uniform"
        "uniform": each feature uniform over the range of X's values;
        "pca": uniform over the box aligned with X's principal components
        (Tibshirani et al.'s second method, which follows the data's shape).
    random_state : int, numpy Generator, RandomState or None, default=None
        An int is given unchanged to the data's fit of every k; the
        reference sets and their fits draw from streams derived from it.
    n_init : int or "auto", default="auto"
        Restarts of each :func:`kmeanslab.kmeans` fit.
    **kmeans_params
        ``init``, ``max_iter``, ``tol``, ``algorithm``, ``n_threads``,
        ``copy_x``, passed to every fit.

    Returns
    -------
    GapResult
        ``gap``, ``gap_se``, ``log_wk``, ``ref_log_wk`` per k and ``best_k``.

    Raises
    ------
    ValueError
        If X is malformed, a k is below 1 or above the number of distinct
        rows of X, or ``n_refs``, ``reference`` or a kmeans parameter is
        invalid.

    See Also
    --------
    choose_k : sweeps k with the gap statistic among other criteria.

    Notes
    -----
    Tibshirani, Walther & Hastie (2001), "Estimating the number of clusters
    in a data set via the gap statistic". W_k is the within-cluster sum of
    squares of the :func:`kmeanslab.kmeans` fit (its inertia);
    Gap(k) = mean_b log W*_kb - log W_k over B reference sets, and
    s_k = sd_k sqrt(1 + 1/B). The pick is the smallest k with
    Gap(k) >= Gap(k+1) - s_{k+1}, "k+1" being the next k evaluated. Gap(k)
    is NaN when W_k is zero up to rounding (at most 1e-12 of the total sum
    of squares: every cluster a single repeated point). Reference
    set b is the same for every k. Cost: (n_refs + 1) fits per k.

    The rule compares neighbouring ks, so one fit stuck in a local optimum
    (a too-large W_k) can stop it early: on four separated blobs a single
    k-means++ start at k = 2 can make it pick k = 1. Use ``n_init`` of 5 to
    10 when the answer matters.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from kmeanslab.selection import gap_statistic
    >>> X, _ = make_blobs(300, centers=3, cluster_std=0.5, random_state=0)
    >>> gap_statistic(X, range(1, 6), n_refs=5, random_state=0).best_k
    3
    """
    from .core import kmeans

    X = check_X(X)
    n_refs = _check_int(n_refs, "n_refs", 1)
    reference = _check_choice(reference, "reference", REFERENCES)
    fit_params = _check_fit_params(n_init, kmeans_params)
    n_distinct = _n_distinct_rows(X)
    ks = _check_ks(k_range, 1, X.shape[0], f"X has {X.shape[0]} samples")
    if ks[-1] > n_distinct:
        raise ValueError(f"k_range has k={ks[-1]} but X has only {n_distinct} "
                         "distinct rows")
    seed = _base_seed(random_state)
    sampler = _ReferenceSampler(X, reference)
    gap, gap_se, log_wk, ref_log_wk = [], [], [], []
    for k in ks:
        inertia = kmeans(X, k, random_state=seed, **fit_params).inertia
        g, s, data_log, refs = _gap_for_k(k, inertia, sampler, seed, n_refs,
                                          fit_params)
        gap.append(g)
        gap_se.append(s)
        log_wk.append(data_log)
        ref_log_wk.append(refs)
    gap, gap_se = np.array(gap), np.array(gap_se)
    best_k, _ = _one_se_pick(ks, gap, gap_se)
    return GapResult(ks=ks, gap=gap, gap_se=gap_se, log_wk=np.array(log_wk),
                     ref_log_wk=np.array(ref_log_wk).reshape(len(ks), n_refs),
                     best_k=best_k, n_refs=n_refs, reference=reference)


# --------------------------------------------------------------------------
# stability


@dataclass(frozen=True, eq=False)
class StabilityResult:
    """The outcome of :func:`stability`.

    Attributes
    ----------
    mean, std : float
        Mean and standard deviation (ddof=0) of ``scores``.
    scores : ndarray of shape (n_runs * (n_runs - 1) / 2,)
        Adjusted Rand index of every pair of runs, on their shared points.
    k, n_runs : int
    subsample : float
    """

    mean: float
    std: float
    scores: np.ndarray = field(repr=False)
    k: int = 2
    n_runs: int = 5
    subsample: float = 0.8


def _stability_scores(X, k, n_runs, subsample, seed, fit_params):
    """Pairwise ARIs for one k (validated input)."""
    from sklearn.metrics import adjusted_rand_score

    from .core import kmeans

    n = X.shape[0]
    m = int(round(subsample * n))
    rng = _stream(seed, _STABILITY_STREAM, k)
    runs = []
    for _ in range(n_runs):
        rows = np.sort(rng.choice(n, size=m, replace=False))
        labels = kmeans(X[rows], k, random_state=_child_seed(rng), **fit_params).labels
        runs.append((rows, labels))
    scores = []
    for i in range(n_runs):
        for j in range(i + 1, n_runs):
            _, pos_i, pos_j = np.intersect1d(runs[i][0], runs[j][0],
                                             assume_unique=True, return_indices=True)
            scores.append(adjusted_rand_score(runs[i][1][pos_i], runs[j][1][pos_j]))
    return np.array(scores, dtype=np.float64)


def stability(X, k, *, n_runs=5, subsample=0.8, random_state=None, n_init="auto",
              **kmeans_params):
    """How reproducible the k-means partition is across random subsamples.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data.
    k : int
        Number of clusters, 2 <= k <= round(subsample * n_samples).
    n_runs : int, default=5
        Subsamples clustered (at least 2); n_runs * (n_runs - 1) / 2 pairs
        are compared.
    subsample : float, default=0.8
        Fraction of the rows in each subsample, in (0, 1].
    random_state : int, numpy Generator, RandomState or None, default=None
        Seeds the subsamples and their fits.
    n_init : int or "auto", default="auto"
        Restarts of each fit.
    **kmeans_params
        ``init``, ``max_iter``, ``tol``, ``algorithm``, ``n_threads``,
        ``copy_x``.

    Returns
    -------
    StabilityResult
        ``mean`` and ``std`` of the pairwise adjusted Rand indices, and the
        indices themselves.

    Raises
    ------
    ValueError
        If X is malformed, k is outside [2, subsample size], n_runs < 2 or
        subsample is outside (0, 1].

    See Also
    --------
    choose_k : reports this for every k as the "stability" criterion.

    Notes
    -----
    Method: draw ``n_runs`` subsamples of round(subsample * n_samples) rows
    without replacement; cluster each with :func:`kmeanslab.kmeans` (its own
    seed); for every pair of runs take the rows both subsamples contain
    (about subsample^2 of the data) and compute the adjusted Rand index
    (``sklearn.metrics.adjusted_rand_score``) of the two labelings of those
    rows. ARI is 1 for identical partitions and about 0 for chance
    agreement; a k that matches real structure gives partitions that
    survive resampling (Ben-Hur, Elisseeff & Guyon 2002; Lange et al. 2004).
    It tends to favour small k (k = 2 is often stable), so use it together
    with other criteria. Cost: n_runs fits on subsample * n_samples rows.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from kmeanslab.selection import stability
    >>> X, _ = make_blobs(300, centers=3, cluster_std=0.5, random_state=0)
    >>> round(stability(X, 3, random_state=0).mean, 3)
    1.0
    """
    X = check_X(X)
    n_runs = _check_int(n_runs, "n_runs", 2)
    subsample = _check_subsample(subsample)
    m = int(round(subsample * X.shape[0]))
    k = _check_int(k, "k", 2)
    if k > m:
        raise ValueError(f"k={k} is larger than the subsample size {m} "
                         f"(subsample={subsample} of {X.shape[0]} rows)")
    fit_params = _check_fit_params(n_init, kmeans_params)
    scores = _stability_scores(X, k, n_runs, subsample, _base_seed(random_state),
                               fit_params)
    return StabilityResult(mean=float(scores.mean()), std=float(scores.std()),
                           scores=scores, k=k, n_runs=n_runs, subsample=subsample)


# --------------------------------------------------------------------------
# choose_k


_LABELS = {
    "inertia": "the elbow of the inertia curve",
    "silhouette": "the silhouette",
    "calinski_harabasz": "Calinski-Harabasz",
    "davies_bouldin": "Davies-Bouldin",
    "gap": "the gap statistic",
    "stability": "stability",
}


@dataclass(frozen=True, eq=False)
class KSelection:
    """The outcome of :func:`choose_k`.

    Attributes
    ----------
    ks : tuple of int
        The ks of the table, increasing.
    table : tuple of dict
        One row per k with keys ``k``, ``inertia``, the criteria's columns
        (``silhouette`` [and ``silhouette_low``, ``silhouette_high`` when
        sampled], ``calinski_harabasz``, ``davies_bouldin``, ``gap``,
        ``gap_se``, ``stability``, ``stability_std``), ``n_iter``,
        ``fit_seconds`` and ``skipped`` (None, or why the k was not scored;
        its scores are then NaN).
    picks : dict of str to int or None
        The k each criterion picks: ``inertia`` the Kneedle elbow, the
        highest ``silhouette``, ``calinski_harabasz`` and ``stability``, the
        lowest ``davies_bouldin`` and the 1-standard-error ``gap`` pick. None
        when a criterion picks nothing (an inertia curve without a knee).
    recommended_k : int or None
        The k most criteria pick; a tie goes to the silhouette's pick when it
        is among the tied ks, otherwise to the smallest tied k.
    explanation : str
        Plain-language reasons for the recommendation.
    models : dict of int to KMeansResult
        The fit of each scored k.
    criteria : tuple of str
    silhouette : str
        Silhouette method used ("exact", "sampled" or "simplified").
    """

    ks: tuple
    table: tuple = field(repr=False)
    picks: dict = field(default_factory=dict)
    recommended_k: object = None
    explanation: str = field(default="", repr=False)
    models: dict = field(default_factory=dict, repr=False)
    criteria: tuple = CRITERIA
    silhouette: str = "exact"

    def to_pandas(self):
        """The table as a pandas DataFrame indexed by k.

        Returns
        -------
        pandas.DataFrame
        """
        import pandas as pd

        return pd.DataFrame(list(self.table)).set_index("k")

    def plot(self, fig=None):
        """One panel per criterion, its pick marked, the recommended k shaded.

        Parameters
        ----------
        fig : matplotlib Figure, default=None
            Empty figure to draw into; a new pyplot figure when None.

        Returns
        -------
        matplotlib Figure
        """
        from ._plot_selection import plot_selection

        return plot_selection(self, fig=fig)

    def summary(self):
        """The table, the picks and the recommendation as text.

        Returns
        -------
        str
        """
        df = self.to_pandas().drop(columns=["fit_seconds"])
        if df["skipped"].isna().all():
            df = df.drop(columns=["skipped"])
        else:
            df["skipped"] = df["skipped"].fillna("")
        table = df.to_string(float_format=lambda value: f"{value:.4g}")
        picks = ", ".join(f"{name}: {'-' if k is None else k}"
                          for name, k in self.picks.items())
        lines = [f"k selection over k = {_format_ks(self.ks)}", table,
                 f"picks: {picks}", f"recommended k: {self.recommended_k}",
                 self.explanation]
        return "\n".join(lines)

    def __str__(self):
        return self.summary()


def _threading_layer_is_threadsafe():
    """False for numba's "workqueue" layer, which aborts when parallel
    kernels are launched from several threads at once."""
    import numba

    from .core import kmeans

    try:
        layer = numba.threading_layer()
    except ValueError:  # no parallel kernel has run yet: run one
        kmeans(np.array([[0.0], [1.0]]), 1, n_init=1)
        layer = numba.threading_layer()
    return layer != "workqueue"


class _Sweep:
    """Everything the evaluation of one k needs; ``__call__(k)`` is the task
    that runs serially or in a worker thread."""

    def __init__(self, X, criteria, silhouette, silhouette_n_samples, seed,
                 fit_params, n_distinct, n_refs, reference, n_runs, subsample,
                 n_threads):
        self.X = X
        self.criteria = criteria
        self.silhouette = silhouette
        self.silhouette_n_samples = silhouette_n_samples
        self.seed = seed
        self.fit_params = dict(fit_params, n_threads=n_threads)
        self.n_distinct = n_distinct
        self.n_refs = n_refs
        self.n_runs = n_runs
        self.subsample = subsample
        self.sampler = _ReferenceSampler(X, reference) if "gap" in criteria else None
        self.columns = _columns(criteria, silhouette)

    def empty_row(self, k, reason):
        row = {name: float("nan") for name in self.columns}
        row.update(k=k, n_iter=0, fit_seconds=float("nan"), skipped=reason)
        return row

    def __call__(self, k):
        from ._threads import thread_limit
        from .core import kmeans

        if k > self.n_distinct:
            return self.empty_row(k, f"X has only {self.n_distinct} distinct points, "
                                     f"fewer than k={k}"), None
        with thread_limit(self.fit_params["n_threads"]):
            start = time.perf_counter()
            model = kmeans(self.X, k, random_state=self.seed, **self.fit_params)
            fit_seconds = time.perf_counter() - start
            n_found = int(np.count_nonzero(np.bincount(model.labels, minlength=k)))
            if n_found < k:
                return self.empty_row(k, f"the fit found only {n_found} non-empty "
                                         f"clusters"), model
            row = self.empty_row(k, None)
            row.update(inertia=float(model.inertia), n_iter=int(model.n_iter),
                       fit_seconds=fit_seconds)
            row.update(self._scores(k, model))
        return row, model

    def _scores(self, k, model):
        from . import metrics

        X, labels, out = self.X, model.labels, {}
        if "silhouette" in self.criteria:
            out.update(self._silhouette(k, model))
        if "calinski_harabasz" in self.criteria:
            out["calinski_harabasz"] = float(metrics.calinski_harabasz_score(X, labels))
        if "davies_bouldin" in self.criteria:
            out["davies_bouldin"] = float(metrics.davies_bouldin_score(X, labels))
        if "gap" in self.criteria:
            gap, gap_se, _, _ = _gap_for_k(k, model.inertia, self.sampler,
                                           self.seed, self.n_refs, self.fit_params)
            out.update(gap=gap, gap_se=gap_se)
        if ("stability" in self.criteria
                and k <= int(round(self.subsample * X.shape[0]))):
            scores = _stability_scores(X, k, self.n_runs, self.subsample, self.seed,
                                       self.fit_params)
            out.update(stability=float(scores.mean()), stability_std=float(scores.std()))
        return out

    def _silhouette(self, k, model):
        from . import metrics

        X, labels = self.X, model.labels
        if self.silhouette == "exact":
            return {"silhouette": float(metrics.silhouette_score(
                X, labels, n_threads=self.fit_params["n_threads"]))}
        if self.silhouette == "simplified":
            return {"silhouette": float(metrics.simplified_silhouette(
                X, labels, model.centers))}
        est = metrics.silhouette_estimate(
            X, labels, n_samples=self.silhouette_n_samples,
            random_state=_stream(self.seed, _SILHOUETTE_STREAM, k))
        return {"silhouette": float(est.estimate), "silhouette_low": float(est.low),
                "silhouette_high": float(est.high)}


def _columns(criteria, silhouette):
    columns = ["k", "inertia"]
    if "silhouette" in criteria:
        columns.append("silhouette")
        if silhouette == "sampled":
            columns += ["silhouette_low", "silhouette_high"]
    for name, extra in (("calinski_harabasz", ()), ("davies_bouldin", ()),
                        ("gap", ("gap_se",)), ("stability", ("stability_std",))):
        if name in criteria:
            columns += [name, *extra]
    return columns + ["n_iter", "fit_seconds", "skipped"]


def _run_tasks(task, ks, n_jobs, progress):
    """``[task(k) for k in ks]``, on ``n_jobs`` threads, with a progress bar."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from tqdm import tqdm

    results = {}
    with tqdm(total=len(ks), desc="choose_k", unit="k", disable=not progress) as bar:
        if n_jobs == 1:
            for k in ks:
                bar.set_postfix_str(f"k={k}")
                results[k] = task(k)
                bar.update()
        else:
            pool = ThreadPoolExecutor(max_workers=n_jobs)
            try:
                # Largest k first: the slowest tasks start early.
                futures = {pool.submit(task, k): k for k in reversed(ks)}
                for future in as_completed(futures):
                    results[futures[future]] = future.result()
                    bar.update()
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
    return [results[k] for k in ks]


def _check_criteria(criteria):
    if isinstance(criteria, str):
        criteria = (criteria,)
    try:
        criteria = tuple(criteria)
    except TypeError:
        raise TypeError(f"criteria must be a sequence of names, got {criteria!r}") from None
    unknown = [c for c in criteria if c not in CRITERIA]
    if unknown or not criteria:
        raise ValueError(f"criteria must be a non-empty selection of {CRITERIA}, "
                         f"got {criteria!r}")
    if len(set(criteria)) != len(criteria):
        raise ValueError(f"criteria has repeated names: {criteria!r}")
    return criteria


def _check_n_jobs(n_jobs):
    import os

    if n_jobs == -1:
        return os.cpu_count() or 1
    return _check_int(n_jobs, "n_jobs", 1)


def _picks(rows, criteria):
    """criterion -> k, plus how the gap pick was made (see _one_se_pick)."""
    scored = [row for row in rows if row["skipped"] is None]
    ks = np.array([row["k"] for row in scored])

    def column(name):
        return np.array([row[name] for row in scored], dtype=np.float64)

    def extreme(name, best):
        values = column(name)
        ok = np.flatnonzero(np.isfinite(values))
        if not ok.size:
            return None
        return int(ks[ok[best(values[ok])]])

    picks, gap_how = {}, None
    for name in criteria:
        if name == "inertia":
            picks[name] = (find_knee(ks, column("inertia")).knee
                           if len(ks) >= 3 else None)
        elif name == "davies_bouldin":
            picks[name] = extreme(name, np.argmin)
        elif name == "gap":
            picks[name], gap_how = _one_se_pick(ks, column("gap"), column("gap_se"))
        else:
            picks[name] = extreme(name, np.argmax)
    return picks, gap_how


def _vote(picks):
    """(recommended k, votes, tied ks)."""
    votes = {}
    for k in picks.values():
        if k is not None:
            votes[k] = votes.get(k, 0) + 1
    if not votes:
        return None, votes, []
    most = max(votes.values())
    tied = sorted(k for k, n in votes.items() if n == most)
    if len(tied) == 1:
        return tied[0], votes, tied
    silhouette_pick = picks.get("silhouette")
    return (silhouette_pick if silhouette_pick in tied else tied[0]), votes, tied


def _reason(name, k, rows, silhouette, gap_how):
    row = next(row for row in rows if row["k"] == k)
    if name == "inertia":
        return f"the inertia curve bends most sharply (Kneedle) at k={k}"
    if name == "silhouette":
        return (f"the {silhouette} silhouette is highest at k={k} "
                f"({row['silhouette']:.3f})")
    if name == "calinski_harabasz":
        return (f"the Calinski-Harabasz index (between- over within-cluster "
                f"dispersion) is highest at k={k}")
    if name == "davies_bouldin":
        return (f"the Davies-Bouldin index (cluster spread over separation) is "
                f"lowest at k={k} ({row['davies_bouldin']:.3f})")
    if name == "gap" and gap_how == "only":
        return f"k={k} is the only k with a finite gap statistic"
    if name == "gap" and gap_how == "largest":
        return (f"the gap statistic rises up to k={k}, the largest k it scored, "
                f"so the best k may lie beyond the range")
    if name == "gap":
        return (f"the gap statistic's one-standard-error rule picks k={k}, the "
                f"smallest k whose gap is within one standard error of the next k's")
    return (f"clusterings of random subsamples agree best at k={k} "
            f"(mean adjusted Rand index {row['stability']:.3f})")


def _join(words):
    words = list(words)
    if len(words) <= 2:
        return " and ".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _explain(rows, picks, recommended, votes, tied, silhouette, gap_how):
    sentences = []
    voting = {name: k for name, k in picks.items() if k is not None}
    if "inertia" in picks and picks["inertia"] is None:
        n_scored = sum(row["skipped"] is None for row in rows)
        sentences.append("The inertia curve has no clear elbow, so it casts no vote."
                         if n_scored >= 3 else "Fewer than 3 ks were scored, too few "
                         "to find an elbow in the inertia curve.")
    if recommended is None:
        sentences.append("No criterion picked a k.")
    elif len(votes) == 1:
        names = _join(_LABELS[n] for n in voting)
        if len(voting) == 1:
            why = _reason(next(iter(voting)), recommended, rows, silhouette, gap_how)
            sentences.append(f"Only {names} picked a k: k={recommended}, because "
                             f"{why}.")
        else:
            sentences.append(f"All {len(voting)} criteria that picked a k ({names}) "
                             f"agree on k={recommended}.")
    else:
        by_k = sorted(votes, key=lambda k: (-votes[k], k))
        parts = [f"{_join(_LABELS[n] for n, p in voting.items() if p == k)} "
                 f"{'pick' if votes[k] > 1 else 'picks'} k={k}" for k in by_k]
        sentences.append("The criteria disagree: " + "; ".join(parts) + ".")
        for name, k in voting.items():
            why = _reason(name, k, rows, silhouette, gap_how)
            sentences.append(why[0].upper() + why[1:] + ".")
        if len(tied) == 1:
            sentences.append(f"k={recommended} is recommended because it has the most "
                             f"votes ({votes[recommended]} of {len(voting)}).")
        elif recommended == picks.get("silhouette"):
            sentences.append(f"{_join(f'k={k}' for k in tied)} tie with {votes[recommended]} "
                             f"votes each; the silhouette's pick, k={recommended}, "
                             f"breaks the tie.")
        else:
            sentences.append(f"{_join(f'k={k}' for k in tied)} tie with {votes[recommended]} "
                             f"votes each; without a silhouette pick among them the "
                             f"smallest, k={recommended}, is recommended (the simpler "
                             f"model).")
    if gap_how == "largest" and len(votes) == 1:
        sentences.append(f"The gap statistic rises up to k={picks['gap']}, the largest "
                         f"k it scored: the best k may lie beyond the range.")
    sentences += _silhouette_uncertainty(rows, picks, silhouette)
    skipped = [f"k={row['k']} ({row['skipped']})" for row in rows if row["skipped"]]
    if skipped:
        sentences.append("Not scored: " + "; ".join(skipped) + ".")
    return " ".join(sentences)


def _silhouette_uncertainty(rows, picks, silhouette):
    best = picks.get("silhouette")
    if silhouette != "sampled" or best is None:
        return []
    scored = [row for row in rows if row["skipped"] is None
              and np.isfinite(row["silhouette"])]
    top = next(row for row in scored if row["k"] == best)
    overlapping = [row["k"] for row in scored if row["k"] != best
                   and row["silhouette_high"] >= top["silhouette_low"]]
    if not overlapping:
        return []
    return [f"The sampled silhouette's confidence interval at k={best} "
            f"[{top['silhouette_low']:.3f}, {top['silhouette_high']:.3f}] overlaps "
            f"those of k={_join(map(str, overlapping))}, so its pick is uncertain; "
            f"use silhouette='exact' or a larger silhouette_n_samples to settle it."]


def choose_k(X, k_range=range(2, 11), *, criteria=CRITERIA, silhouette="exact",
             n_init="auto", random_state=None, n_jobs=1, progress=True,
             silhouette_n_samples=2000, n_refs=10, reference="uniform", n_runs=5,
             subsample=0.8, **kmeans_params):
    """Fit k-means for each k and compare the fits with several criteria.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data; float32 and float64 are kept, other types become float64.
    k_range : iterable of int, default=range(2, 11)
        ks to try. The silhouette needs 2 <= k <= n_samples - 1: ks outside
        are dropped with a :class:`SkippedKWarning` (a ValueError when none
        remain). A k above the number of distinct rows of X gets a table row
        marked ``skipped``.
    criteria : sequence of str, default=all six
        Any of "inertia" (the Kneedle elbow of the inertia curve),
        "silhouette", "calinski_harabasz", "davies_bouldin", "gap"
        (see :func:`gap_statistic`) and "stability" (see :func:`stability`).
    silhouette : {"exact", "sampled", "simplified"}, default="exact"
        "exact": :func:`kmeanslab.metrics.silhouette_score`,
        O(n_samples^2); "sampled": :func:`kmeanslab.metrics.silhouette_estimate`
        with a confidence interval; "simplified":
        :func:`kmeanslab.metrics.simplified_silhouette` with the fitted
        centres, O(n_samples * k).
    n_init : int or "auto", default="auto"
        Restarts of every fit.
    random_state : int, numpy Generator, RandomState or None, default=None
        An int is passed unchanged to the fit of every k, so the models are
        those of ``KMeans(k, random_state=random_state)``; the gap's
        reference sets, the subsamples and the sampled silhouette draw from
        streams derived from it and k.
    n_jobs : int, default=1
        ks evaluated at once on a thread pool (-1: one per CPU). Results are
        identical for every n_jobs (``fit_seconds`` aside).
    progress : bool, default=True
        Show a tqdm progress bar over the ks (on stderr).
    silhouette_n_samples : int, default=2000
        Points scored by the sampled silhouette.
    n_refs : int, default=10
        Reference data sets of the gap statistic.
    reference : {"uniform", "pca"}, default="uniform"
        Reference distribution of the gap statistic.
    n_runs : int, default=5
        Subsamples clustered per k for stability.
    subsample : float, default=0.8
        Fraction of the rows in each stability subsample; a k above that
        many rows gets a NaN stability.
    **kmeans_params
        ``init`` (a name or callable), ``max_iter``, ``tol``, ``algorithm``,
        ``n_threads``, ``copy_x``: passed to every :func:`kmeanslab.kmeans`
        call.

    Returns
    -------
    KSelection
        ``table``, ``picks``, ``recommended_k``, ``explanation``, ``models``;
        ``to_pandas()``, ``plot()``, ``summary()``.

    Raises
    ------
    ValueError
        If X is malformed or all its rows are identical (a single distinct
        point), if no k of ``k_range`` is in [2, n_samples - 1], or if a
        criterion name or other parameter is invalid.
    TypeError
        For parameters of the wrong type and unknown keyword arguments.

    Warns
    -----
    SkippedKWarning
        When some ks of ``k_range`` are outside [2, n_samples - 1].

    See Also
    --------
    find_knee, gap_statistic, stability
    kmeanslab.metrics : the silhouette, Calinski-Harabasz and Davies-Bouldin.

    Notes
    -----
    Each k is fitted once and that fit serves every criterion; the gap
    statistic adds ``n_refs`` fits per k on reference data and stability
    ``n_runs`` fits on subsamples. Picks: the elbow is
    :func:`find_knee` (convex, decreasing, S=1) on inertia versus k; the
    silhouette, Calinski-Harabasz (Calinski & Harabasz 1974) and stability
    picks are their maxima, Davies-Bouldin's (Davies & Bouldin 1979) its
    minimum, the gap's the 1-standard-error rule (Tibshirani et al. 2001);
    ties go to the smaller k. The recommendation is a majority vote.
    Worker threads share the cores: each gets ``n_threads`` (default: the
    numba thread count divided by ``n_jobs``). numba's "workqueue" threading
    layer cannot run kernels from several threads at once; with it, n_jobs
    falls back to 1 with a RuntimeWarning (install tbb or use OpenMP).

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from kmeanslab.selection import choose_k
    >>> X, _ = make_blobs(500, centers=3, cluster_std=0.6, random_state=1)
    >>> sel = choose_k(X, range(2, 7), criteria=("inertia", "silhouette",
    ...                "calinski_harabasz", "davies_bouldin"),
    ...                random_state=0, progress=False)
    >>> sel.picks
    {'inertia': 3, 'silhouette': 3, 'calinski_harabasz': 3, 'davies_bouldin': 3}
    >>> sel.recommended_k
    3
    """
    X = check_X(X)
    n_samples = X.shape[0]
    criteria = _check_criteria(criteria)
    silhouette = _check_choice(silhouette, "silhouette", SILHOUETTE_METHODS)
    silhouette_n_samples = _check_int(silhouette_n_samples, "silhouette_n_samples", 2)
    n_refs = _check_int(n_refs, "n_refs", 1)
    reference = _check_choice(reference, "reference", REFERENCES)
    n_runs = _check_int(n_runs, "n_runs", 2)
    subsample = _check_subsample(subsample)
    n_jobs = _check_n_jobs(n_jobs)
    fit_params = _check_fit_params(n_init, kmeans_params)
    n_distinct = _n_distinct_rows(X)
    if n_distinct == 1:
        raise ValueError("X has a single distinct point (all rows are identical); "
                         "there is no k >= 2 to choose")
    ks = _check_ks(k_range, 2, n_samples - 1,
                   f"the silhouette needs 2 <= k <= n_samples - 1 = {n_samples - 1}")
    n_jobs = min(n_jobs, len(ks))
    if n_jobs > 1 and not _threading_layer_is_threadsafe():
        warnings.warn("numba's workqueue threading layer cannot run kernels from "
                      "several threads; choose_k runs with n_jobs=1",
                      RuntimeWarning, stacklevel=2)
        n_jobs = 1
    n_threads = fit_params.pop("n_threads", None)
    if n_threads is None and n_jobs > 1:
        import numba

        n_threads = max(1, numba.get_num_threads() // n_jobs)
    sweep = _Sweep(X, criteria, silhouette, silhouette_n_samples,
                   _base_seed(random_state), fit_params, n_distinct, n_refs,
                   reference, n_runs, subsample, n_threads)
    if n_jobs > 1:
        # One outer BLAS limit: the per-fit limits entered and left by the
        # worker threads in any order then all restore this one's setting.
        from ._threads import single_threaded_blas

        with single_threaded_blas():
            results = _run_tasks(sweep, ks, n_jobs, progress)
    else:
        results = _run_tasks(sweep, ks, n_jobs, progress)
    rows = tuple(row for row, _ in results)
    models = {k: model for k, (row, model) in zip(ks, results) if row["skipped"] is None}
    picks, gap_how = _picks(rows, criteria)
    recommended, votes, tied = _vote(picks)
    explanation = _explain(rows, picks, recommended, votes, tied, silhouette, gap_how)
    return KSelection(ks=ks, table=rows, picks=picks, recommended_k=recommended,
                      explanation=explanation, models=models, criteria=criteria,
                      silhouette=silhouette)
