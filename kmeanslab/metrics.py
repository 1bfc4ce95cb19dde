"""Cluster-quality metrics that scale: exact silhouette without the n x n
distance matrix, a sampled silhouette with a confidence interval, the
centroid-based (simplified) silhouette, Calinski-Harabasz and Davies-Bouldin.

Every function validates its input once, then runs NumPy or the numba kernels
of ``kmeanslab._kernels.silhouette``. Where scikit-learn has a function of the
same name the results match it (to 1e-9 relative in float64) and follow its
conventions; float32 input is accepted and every sum is accumulated in float64.

A ``torch.Tensor`` X (the ``torch`` extra) stays on its device for the
exact and sampled silhouette (:mod:`kmeanslab.backends.torch._silhouette`:
a Triton kernel on CUDA, blocked float64 ``torch.cdist`` on CPU); the other
metrics take a host (NumPy) copy of it, which costs about what they do.
Detecting a tensor never imports torch (:func:`kmeanslab.backends.is_torch_tensor`).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from sklearn.utils import check_random_state

from ._kernels import common
from ._kernels import silhouette as _sk
from ._threads import thread_limit
from ._rowdist import check_metric, cluster_distance_sums
from ._validation import check_int, check_n_threads, check_sparse_X, check_X
from .backends import is_sparse, is_torch_tensor

__all__ = [
    "SilhouetteEstimate",
    "calinski_harabasz_score",
    "centroid_index",
    "davies_bouldin_score",
    "silhouette_estimate",
    "silhouette_samples",
    "silhouette_score",
    "simplified_silhouette",
]


# --------------------------------------------------------------------------
# validation


def _check_labels_shape(labels, n_samples):
    if is_torch_tensor(labels):
        labels = labels.detach().cpu().numpy()
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(
            f"labels must be 1-D of length n_samples={n_samples}, got an array of "
            f"shape {labels.shape}"
        )
    if labels.shape[0] != n_samples:
        raise ValueError(
            f"labels has length {labels.shape[0]} but X has n_samples={n_samples}; "
            "give one label per row of X"
        )
    if labels.dtype.kind == "f" and not np.isfinite(labels).all():
        raise ValueError("labels contains NaN or infinity")
    return labels


def _check_labels(labels, n_samples):
    """Encode ``labels`` as 0..n_clusters-1; return (codes, n_clusters).

    Any values ``np.unique`` can sort are accepted (ints, floats, strings).
    """
    labels = _check_labels_shape(labels, n_samples)
    try:
        _, codes = np.unique(labels, return_inverse=True)
    except TypeError:
        raise TypeError("labels must be values that can be sorted (numbers or "
                        "strings), got mixed types") from None
    return codes.astype(np.intp, copy=False).reshape(-1), int(codes.max()) + 1


def _check_n_labels(n_clusters, n_samples):
    # scikit-learn's rule (check_number_of_labels): 2 <= n_labels <= n_samples - 1.
    if not 1 < n_clusters < n_samples:
        raise ValueError(
            f"labels has {n_clusters} distinct value(s) for n_samples={n_samples}; "
            f"the metric needs 2 <= n_labels <= n_samples - 1 = {n_samples - 1}"
        )


def _check_X_any(X):
    """X validated: a canonical CSR matrix when sparse, else an ndarray (a
    host copy of a torch tensor, see :func:`_host_copy`)."""
    if is_torch_tensor(X):
        X = _host_copy(X)
    return check_sparse_X(X) if is_sparse(X) else check_X(X)


def _host_copy(X):
    """A torch tensor as a NumPy array on the host: float32 and float64
    kept, bfloat16 and float16 widened to float32 (exactly), other types
    left to :func:`kmeanslab._validation.check_X`."""
    import torch

    X = X.detach()
    if X.dtype in (torch.bfloat16, torch.float16):
        X = X.to(torch.float32)
    return X.cpu().numpy()


def _check_X_labels(X, labels):
    X = _check_X_any(X)
    codes, n_clusters = _check_labels(labels, X.shape[0])
    _check_n_labels(n_clusters, X.shape[0])
    return X, codes, n_clusters


def _by_products(X, metric):
    """True when the silhouette's distances come from products of rows
    (:mod:`kmeanslab._rowdist`): sparse rows or the cosine metric."""
    return is_sparse(X) or check_metric(metric) == "cosine"


# --------------------------------------------------------------------------
# silhouette


class _SortedByCluster:
    """Rows sorted by cluster, feature-major float64, as the kernels want them."""

    def __init__(self, X, codes, n_clusters):
        self.order = np.argsort(codes, kind="stable")
        self.counts = np.bincount(codes, minlength=n_clusters)
        self.offsets = np.zeros(n_clusters + 1, dtype=np.intp)
        np.cumsum(self.counts, out=self.offsets[1:])
        self.codes = codes[self.order]
        self.X_t, self.lanes = _sk.feature_chunks(X[self.order])
        self.tile_rows = _sk.tile_rows_for(X.shape[1])


# With a progress callback the distance sums run in at most this many parts
# (runs of rounds of the block schedule): fine enough for a smooth bar,
# coarse enough that the calls cost nothing next to the work.
_PROGRESS_PARTS = 100


def _silhouette_samples(X, codes, n_clusters, n_threads, progress=None,
                        metric="euclidean"):
    """Exact per-sample silhouette (validated input), in the order of X."""
    if _by_products(X, metric):
        sums = cluster_distance_sums(X, codes, n_clusters, metric,
                                     progress=progress)
        scores = np.empty(X.shape[0], dtype=np.float64)
        _sk.silhouette_from_sums(sums, codes,
                                 np.bincount(codes, minlength=n_clusters), scores)
        return scores
    data = _SortedByCluster(X, codes, n_clusters)
    seg_starts, seg_cluster, block_segs = _sk.tile_layout(data.offsets, data.tile_rows)
    schedule = _sk.round_robin_schedule(block_segs.shape[0] - 1)
    sums = np.zeros((n_clusters, X.shape[0]), dtype=np.float64)
    n_rounds = schedule.shape[0]
    # One call for every round, or with progress up to _PROGRESS_PARTS calls
    # on consecutive runs of rounds (the first also takes each block with
    # itself): the same additions in the same order.
    n_parts = 1 if progress is None else max(1, min(n_rounds, _PROGRESS_PARTS))
    bounds = np.linspace(0, n_rounds, n_parts + 1).astype(np.intp)
    with thread_limit(n_threads):
        for part in range(n_parts):
            _sk.silhouette_sums_dense(data.X_t, data.lanes, seg_starts, seg_cluster,
                                      block_segs,
                                      schedule[bounds[part]:bounds[part + 1]],
                                      sums, part == 0)
            if progress is not None:
                progress(part + 1, n_parts)
    sorted_scores = np.empty(X.shape[0], dtype=np.float64)
    _sk.silhouette_from_sums(sums, data.codes, data.counts, sorted_scores)
    scores = np.empty_like(sorted_scores)
    scores[data.order] = sorted_scores
    return scores


def silhouette_samples(X, labels, *, metric="euclidean", n_threads=None,
                       progress=None):
    """Exact silhouette coefficient of every sample (Euclidean or cosine).

    For sample i in cluster C, a(i) is the mean distance to the other members
    of C and b(i) the lowest mean distance to the members of another cluster;
    s(i) = (b(i) - a(i)) / max(a(i), b(i)), and s(i) = 0 when i is alone in
    its cluster (scikit-learn's conventions).

    Parameters
    ----------
    X : {array-like, sparse matrix, torch.Tensor} of shape (n_samples, n_features)
        Samples; float32 and float64 are used as given, other types become
        float64. Must be finite. A tensor is scored on its device (see
        Notes).
    labels : array-like or torch.Tensor of shape (n_samples,)
        Cluster of each sample; any sortable values (they are encoded with
        ``np.unique``, or ``torch.unique`` for a tensor). Needs
        2 <= n_labels <= n_samples - 1.
    metric : {"euclidean", "cosine"}, default="euclidean"
        "cosine" measures 1 - cos(x, y) (a row of zeros is at distance 1),
        as ``sklearn.metrics.pairwise.cosine_distances`` does.
    n_threads : int, default=None
        Threads for the numba kernels; None uses numba's current setting.
        The result is bitwise identical for every thread count. Not used
        for a tensor X.
    progress : callable, default=None
        ``progress(done, total)``, called after each of up to 100 equal
        parts of the work (for a progress bar; a KeyboardInterrupt then
        also stops the computation between parts), or for a tensor X after
        each chunk of rows. The result is bitwise the same with or without
        it.

    Returns
    -------
    ndarray of shape (n_samples,), float64
        Silhouette of each sample, in [-1, 1].

    Raises
    ------
    ValueError
        If X is not 2-D or holds NaN or infinity, if labels does not have one
        entry per sample, or if the number of distinct labels is outside
        [2, n_samples - 1].

    See Also
    --------
    silhouette_score : the mean of these values.
    silhouette_estimate : a sampled estimate with a confidence interval.
    sklearn.metrics.silhouette_samples : the reference implementation.

    Notes
    -----
    Sparse rows and the cosine metric take their distances from products of
    rows in chunks (as scikit-learn's ``pairwise_distances_chunked``, with
    the same formulas; memory O(n_samples * (n_clusters + chunk))).

    Rousseeuw (1987). Time O(n_samples^2 * n_features), memory
    O(n_samples * (n_clusters + n_features)): a fused numba kernel computes
    each distance once (d(i, j) serves both i and j) and adds it to
    per-cluster sums; the n x n distance matrix is never built. Distances are
    computed from coordinate differences in float64, which is more accurate
    than scikit-learn's ``||x||^2 - 2 x.y + ||y||^2`` expansion; the two agree
    to about 1e-9 unless clusters are tiny next to their distance from the
    origin. The result is float64 even for float32 input.

    A ``torch.Tensor`` X is not copied to the host: the sums are formed on
    its device by :func:`kmeanslab.backends.torch.silhouette_samples_torch`
    (on CUDA a fused Triton kernel in float32 with float64 accumulation,
    within about 1e-6 of this function's values; on CPU float64
    ``torch.cdist`` from differences; the cosine metric from per-cluster
    sums of the unit rows), and only the scores come back, as NumPy.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeanslab.metrics import silhouette_samples
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> silhouette_samples(X, [0, 0, 1, 1]).round(3)
    array([0.905, 0.895, 0.895, 0.905])
    """
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be a callable or None, got {progress!r}")
    if is_torch_tensor(X):
        from .backends.torch import silhouette_samples_torch

        return silhouette_samples_torch(X, labels, metric, progress=progress)
    X, codes, n_clusters = _check_X_labels(X, labels)
    check_metric(metric)
    return _silhouette_samples(X, codes, n_clusters, check_n_threads(n_threads),
                               progress, metric)


def silhouette_score(X, labels, *, metric="euclidean", sample_size=None,
                     random_state=None, n_threads=None):
    """Mean exact silhouette coefficient over all samples (Euclidean or
    cosine).

    Parameters
    ----------
    X : {array-like, sparse matrix, torch.Tensor} of shape (n_samples, n_features)
        Samples; see :func:`silhouette_samples` (a tensor is scored on its
        device).
    labels : array-like or torch.Tensor of shape (n_samples,)
        Cluster of each sample.
    metric : {"euclidean", "cosine"}, default="euclidean"
        See :func:`silhouette_samples`.
    sample_size : int, default=None
        If given, the silhouette of a random subset of this many samples,
        computed *within that subset* (scikit-learn's meaning). Its distinct
        labels must then number 2 .. sample_size - 1. For an estimate of the
        full-data silhouette with error bars use :func:`silhouette_estimate`.
    random_state : int, RandomState instance or None, default=None
        Draws the subset when ``sample_size`` is given; the same seed picks
        the same rows as ``sklearn.metrics.silhouette_score`` (and for a
        tensor X the same rows as for its NumPy copy).
    n_threads : int, default=None
        Threads for the numba kernels; None uses numba's current setting.
        The result is bitwise identical for every thread count. Not used
        for a tensor X.

    Returns
    -------
    float
        Mean silhouette, in [-1, 1].

    Raises
    ------
    ValueError
        As :func:`silhouette_samples`, and if ``sample_size`` is not a
        positive integer.

    See Also
    --------
    silhouette_samples : per-sample values.
    silhouette_estimate : sampled estimate of the full-data value, with a
        confidence interval.
    sklearn.metrics.silhouette_score : the reference implementation.

    Notes
    -----
    Time O(n^2 * n_features) and memory O(n * (n_clusters + n_features)) with
    n = ``sample_size or n_samples``; see :func:`silhouette_samples`.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeanslab.metrics import silhouette_score
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> round(silhouette_score(X, [0, 0, 1, 1]), 4)
    0.8997
    """
    if is_torch_tensor(X):
        return _silhouette_score_torch(X, labels, metric, sample_size, random_state)
    X = _check_X_any(X)
    check_metric(metric)
    codes, n_clusters = _check_labels(labels, X.shape[0])
    n_threads = check_n_threads(n_threads)
    if sample_size is not None:
        sample_size = check_int(sample_size, "sample_size")
        # scikit-learn's draw, so a seed selects the same rows as there.
        indices = check_random_state(random_state).permutation(X.shape[0])[:sample_size]
        X = X[indices]
        _, codes = np.unique(codes[indices], return_inverse=True)
        codes = codes.astype(np.intp, copy=False).reshape(-1)
        n_clusters = int(codes.max()) + 1
    _check_n_labels(n_clusters, X.shape[0])
    return float(np.mean(_silhouette_samples(X, codes, n_clusters, n_threads,
                                             metric=metric)))


def _torch_codes(X, labels, metric):
    """A tensor X validated on its device, its label codes there (int64)
    and the number of clusters; the metric checked."""
    from .backends.torch._backend import check_torch_X
    from .backends.torch._silhouette import encode_labels_torch

    check_metric(metric)
    X = check_torch_X(X)
    codes, n_clusters = encode_labels_torch(labels, X.shape[0], X.device)
    return X, codes, n_clusters


def _silhouette_score_torch(X, labels, metric, sample_size, random_state):
    """:func:`silhouette_score` of a tensor X, on its device."""
    import torch

    from .backends.torch._silhouette import silhouette_scores_torch

    X, codes, n_clusters = _torch_codes(X, labels, metric)
    if sample_size is not None:
        sample_size = check_int(sample_size, "sample_size")
        # The draw of the NumPy path, so a seed picks the same rows.
        indices = check_random_state(random_state).permutation(X.shape[0])[:sample_size]
        index = torch.from_numpy(indices).to(X.device)
        X = X[index]
        uniques, codes = torch.unique(codes[index], sorted=True, return_inverse=True)
        n_clusters = int(uniques.numel())
    _check_n_labels(n_clusters, X.shape[0])
    scores = silhouette_scores_torch(X, codes, n_clusters, metric)
    return float(np.mean(scores.cpu().numpy()))


@dataclass(frozen=True)
class SilhouetteEstimate:
    """The outcome of :func:`silhouette_estimate`.

    Attributes
    ----------
    estimate : float
        Mean exact silhouette of the sampled points.
    low, high : float
        Confidence interval for the full-data silhouette score.
    n_samples : int
        Points whose silhouette was computed.
    method : str
        ``"exact"`` when every point was used (then low == high == estimate),
        ``"normal"`` for the CLT interval of a random subset.
    """

    estimate: float
    low: float
    high: float
    n_samples: int
    method: str


def silhouette_estimate(X, labels, *, n_samples=2000, confidence=0.95,
                        random_state=None, metric="euclidean"):
    """Estimate the full-data silhouette score, with a confidence interval.

    Draws ``n_samples`` points uniformly without replacement and computes the
    *exact* silhouette s(i) of each against ALL points (unlike
    ``silhouette_score(sample_size=...)``, which rescores inside the subset
    and so estimates a different quantity). The estimate is the mean of these
    s(i); it is unbiased for the full-data score.

    Parameters
    ----------
    X : {array-like, torch.Tensor} of shape (n_samples, n_features)
        Samples; see :func:`silhouette_samples`. A tensor is scored on its
        device (the same kernels, for the drawn rows only).
    labels : array-like or torch.Tensor of shape (n_samples,)
        Cluster of each sample.
    n_samples : int, default=2000
        Points to score (at least 2). With n_samples >= the number of rows
        every point is scored and the exact score is returned.
    confidence : float, default=0.95
        Coverage of the interval, in (0, 1).
    random_state : int, numpy.random.Generator or None, default=None
        Seed for ``numpy.random.default_rng`` that draws the points.
    metric : {"euclidean", "cosine"}, default="euclidean"
        See :func:`silhouette_samples`.

    Returns
    -------
    SilhouetteEstimate
        ``estimate``, ``low``, ``high``, ``n_samples``, ``method``.

    Raises
    ------
    ValueError
        As :func:`silhouette_samples`; if ``n_samples`` < 2 or
        ``confidence`` is not in (0, 1).

    See Also
    --------
    silhouette_score : the exact score.

    Notes
    -----
    Each sampled s(i) is exact, so the only error is sampling error. The m
    scores are treated as i.i.d. draws from the n per-point silhouettes: by
    the central limit theorem their mean is approximately normal with
    standard error std / sqrt(m), std being the sample standard deviation
    (ddof=1) of the m scores, here multiplied by the finite-population
    correction sqrt((n - m) / (n - 1)) because points are drawn without
    replacement. The interval is estimate +- z * that error, z the normal
    quantile for ``confidence``, clipped to [-1, 1]. It is approximate (the
    normal approximation can under-cover for small m or very skewed scores).
    Time O(m * n * n_features), memory O(n * n_features + m * n_clusters).

    Examples
    --------
    >>> import numpy as np
    >>> from kmeanslab.metrics import silhouette_estimate
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(0, 1, (500, 2)), rng.normal(8, 1, (500, 2))])
    >>> labels = np.repeat([0, 1], 500)
    >>> est = silhouette_estimate(X, labels, n_samples=200, random_state=0)
    >>> est.method, est.n_samples, bool(est.low <= est.estimate <= est.high)
    ('normal', 200, True)
    """
    if is_torch_tensor(X):
        X, codes, n_clusters = _torch_codes(X, labels, metric)
        _check_n_labels(n_clusters, X.shape[0])
    else:
        X, codes, n_clusters = _check_X_labels(X, labels)
        check_metric(metric)
    m = check_int(n_samples, "n_samples", minimum=2)
    if isinstance(confidence, bool) or not isinstance(confidence, numbers.Real):
        raise TypeError(f"confidence must be a number in (0, 1), got {confidence!r}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    n = X.shape[0]
    if is_torch_tensor(X):
        return _silhouette_estimate_torch(X, codes, n_clusters, m, confidence,
                                          random_state, metric)
    if m >= n:
        score = float(np.mean(_silhouette_samples(X, codes, n_clusters, None,
                                                  metric=metric)))
        return SilhouetteEstimate(score, score, score, n, "exact")
    chosen = np.random.default_rng(random_state).choice(n, size=m, replace=False)
    counts = np.bincount(codes, minlength=n_clusters)
    if _by_products(X, metric):
        sums_t = cluster_distance_sums(X, codes, n_clusters, metric, rows=chosen)
    else:
        data = _SortedByCluster(X, codes, n_clusters)
        position = np.empty(n, dtype=np.intp)
        position[data.order] = np.arange(n, dtype=np.intp)
        queries = position[chosen]
        sums = np.empty((m, n_clusters), dtype=np.float64)
        _sk.silhouette_query_sums_dense(data.X_t, data.lanes, queries, data.offsets,
                                        data.tile_rows, sums)
        sums_t = np.ascontiguousarray(sums.T)
    scores = np.empty(m, dtype=np.float64)
    _sk.silhouette_from_sums(sums_t, codes[chosen], counts, scores)
    return _normal_interval(scores, n, confidence)


def _normal_interval(scores, n, confidence):
    """The :class:`SilhouetteEstimate` of the exact scores of m of n rows
    drawn without replacement (see :func:`silhouette_estimate`'s Notes)."""
    m = scores.shape[0]
    estimate = float(np.mean(scores))
    std_error = float(np.std(scores, ddof=1)) * ((n - m) / (n - 1) / m) ** 0.5
    half_width = NormalDist().inv_cdf(0.5 + confidence / 2.0) * std_error
    return SilhouetteEstimate(estimate, max(-1.0, estimate - half_width),
                              min(1.0, estimate + half_width), m, "normal")


def _silhouette_estimate_torch(X, codes, n_clusters, m, confidence, random_state,
                               metric):
    """:func:`silhouette_estimate` of a validated tensor X, on its device:
    the same rows drawn, scored against all rows."""
    import torch

    from .backends.torch._silhouette import silhouette_scores_torch

    n = X.shape[0]
    if m >= n:
        scores = silhouette_scores_torch(X, codes, n_clusters, metric)
        score = float(np.mean(scores.cpu().numpy()))
        return SilhouetteEstimate(score, score, score, n, "exact")
    chosen = np.random.default_rng(random_state).choice(n, size=m, replace=False)
    rows = torch.from_numpy(chosen).to(X.device)
    scores = silhouette_scores_torch(X, codes, n_clusters, metric, rows=rows)
    return _normal_interval(scores.cpu().numpy(), n, confidence)


def simplified_silhouette(X, labels, centers=None):
    """Centroid-based (simplified) silhouette score, in O(n_samples * n_clusters).

    Like the silhouette, with a(i) the distance from sample i to its own
    centre and b(i) the distance to the nearest other centre:
    s(i) = (b(i) - a(i)) / max(a(i), b(i)), averaged over the samples.

    Parameters
    ----------
    X : {array-like, sparse matrix, torch.Tensor} of shape (n_samples, n_features)
        Samples; must be finite. A tensor is copied to the host (NumPy)
        first.
    labels : array-like of shape (n_samples,)
        Cluster of each sample. Without ``centers`` any sortable values
        (encoded with ``np.unique``); with ``centers`` integers in
        [0, n_clusters) indexing its rows.
    centers : array-like of shape (n_clusters, n_features), default=None
        Cluster centres, such as ``KMeans.cluster_centers_``; None uses the
        mean of each cluster. Empty clusters still count as "other centres".

    Returns
    -------
    float
        Mean simplified silhouette, in [-1, 1].

    Raises
    ------
    ValueError
        If X or centers are malformed or non-finite, if labels has the wrong
        length, fewer than 2 clusters (or, without centers, n_samples or
        more), or values that do not index ``centers``.

    See Also
    --------
    silhouette_score : the exact, O(n_samples^2) silhouette.

    Notes
    -----
    Hruschka et al. (2004); Vendramin, Campello & Hruschka (2010) compare it
    with the silhouette. As for the silhouette, a sample alone in its cluster
    scores 0, and so does one with a = b = 0. Time
    O(n_samples * n_clusters * n_features), float64 arithmetic.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeanslab.metrics import simplified_silhouette
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> round(simplified_silhouette(X, [0, 0, 1, 1]), 4)
    0.9499
    """
    X = _check_X_any(X)
    n_samples = X.shape[0]
    if centers is None:
        codes, n_clusters = _check_labels(labels, n_samples)
        _check_n_labels(n_clusters, n_samples)
        centers = _cluster_means(X, codes, n_clusters)
    else:
        centers = check_X(centers, name="centers", dtype=np.float64)
        if centers.shape[1] != X.shape[1]:
            raise ValueError(
                f"centers has {centers.shape[1]} features but X has {X.shape[1]}"
            )
        n_clusters = centers.shape[0]
        if n_clusters < 2:
            raise ValueError(f"centers must have at least 2 rows, got {n_clusters}")
        codes = _check_center_labels(labels, n_samples, n_clusters)
    counts = np.bincount(codes, minlength=n_clusters)
    if is_sparse(X):
        return _simplified_silhouette_sparse(X, centers, codes, counts)
    starts = common.block_starts(n_samples)
    partial = np.empty(starts.shape[0] - 1, dtype=np.float64)
    _sk.simplified_silhouette_dense(np.ascontiguousarray(X),
                                    np.ascontiguousarray(centers), codes, counts,
                                    starts, partial)
    return float(partial.sum() / n_samples)


def _simplified_silhouette_sparse(X, centers, codes, counts):
    """:func:`simplified_silhouette` of sparse rows (same conventions), the
    distances to the centres from the sparse backend in float64."""
    n_samples = X.shape[0]
    dists = np.sqrt(_sparse64(X).sq_dists_to_centers(centers))
    rows = np.arange(n_samples)
    a = dists[rows, codes].copy()
    dists[rows, codes] = np.inf
    b = dists.min(axis=1)
    denom = np.maximum(a, b)
    scores = np.zeros(n_samples)
    scored = (denom > 0) & (counts[codes] > 1)
    scores[scored] = (b[scored] - a[scored]) / denom[scored]
    return float(scores.sum() / n_samples)


def _sparse64(X):
    """The sparse backend over X in float64 (unit weights)."""
    from .backends._sparse import SparseBackend

    X = X.astype(np.float64)
    return SparseBackend(X, np.ones(X.shape[0]))


def _check_center_labels(labels, n_samples, n_clusters):
    """Labels that index the rows of ``centers``: integers in [0, n_clusters)."""
    labels = _check_labels_shape(labels, n_samples)
    integral = labels.dtype.kind in "iu" or (
        labels.dtype.kind == "f" and (labels == np.round(labels)).all())
    if not integral:
        raise ValueError("labels must be integer indices into centers when centers "
                         f"is given, got dtype {labels.dtype}")
    codes = labels.astype(np.intp)
    if codes.min() < 0 or codes.max() >= n_clusters:
        raise ValueError(
            f"labels must lie in [0, {n_clusters}) to index the rows of centers, "
            f"got values in [{codes.min()}, {codes.max()}]"
        )
    return codes


# --------------------------------------------------------------------------
# Calinski-Harabasz and Davies-Bouldin


def _cluster_means(X, codes, n_clusters):
    """Mean of each cluster in float64, shape (n_clusters, n_features)."""
    counts = np.bincount(codes, minlength=n_clusters).astype(np.float64)
    if is_sparse(X):
        import scipy.sparse as sp

        indicator = sp.csr_matrix((np.ones(len(codes)), (codes, np.arange(len(codes)))),
                                  shape=(n_clusters, len(codes)))
        sums = np.asarray((indicator @ X.astype(np.float64)).todense())
        return sums / counts[:, None]
    sums = np.empty((n_clusters, X.shape[1]), dtype=np.float64)
    for f in range(X.shape[1]):
        sums[:, f] = np.bincount(codes, weights=X[:, f], minlength=n_clusters)
    return sums / counts[:, None]


def calinski_harabasz_score(X, labels):
    """Calinski-Harabasz index (variance ratio criterion); higher is better.

    Parameters
    ----------
    X : {array-like, sparse matrix, torch.Tensor} of shape (n_samples, n_features)
        Samples; must be finite. A tensor is copied to the host (NumPy)
        first: the index is O(n_samples * n_features), about what the copy
        costs.
    labels : array-like or torch.Tensor of shape (n_samples,)
        Cluster of each sample; any sortable values.

    Returns
    -------
    float
        [B / (k - 1)] / [W / (n - k)] with B the between-cluster and W the
        within-cluster sum of squares; 1.0 when W = 0 (scikit-learn's
        convention).

    Raises
    ------
    ValueError
        If X is malformed or non-finite, labels has the wrong length, or the
        number of distinct labels is outside [2, n_samples - 1].

    See Also
    --------
    sklearn.metrics.calinski_harabasz_score : the reference implementation.

    Notes
    -----
    Calinski & Harabasz (1974). Time O(n_samples * n_features), float64.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeanslab.metrics import calinski_harabasz_score
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> calinski_harabasz_score(X, [0, 0, 1, 1])
    200.0
    """
    X, codes, n_clusters = _check_X_labels(X, labels)
    n_samples = X.shape[0]
    X64 = X.astype(np.float64, copy=False)
    centers = _cluster_means(X64, codes, n_clusters)
    counts = np.bincount(codes, minlength=n_clusters)
    mean = np.asarray(X64.mean(axis=0)).ravel()
    extra_disp = float(np.sum(counts * np.sum((centers - mean) ** 2, axis=1)))
    if is_sparse(X):
        intra_disp = float(_sparse64(X).sq_dist_to_assigned(centers, codes).sum())
    else:
        intra_disp = float(np.sum((X64 - centers[codes]) ** 2))
    if intra_disp == 0.0:
        return 1.0
    return extra_disp * (n_samples - n_clusters) / (intra_disp * (n_clusters - 1.0))


def davies_bouldin_score(X, labels):
    """Davies-Bouldin index; lower is better, 0 is the minimum.

    Parameters
    ----------
    X : {array-like, sparse matrix, torch.Tensor} of shape (n_samples, n_features)
        Samples; must be finite. A tensor is copied to the host (NumPy)
        first: the index is O(n_samples * n_features), about what the copy
        costs.
    labels : array-like or torch.Tensor of shape (n_samples,)
        Cluster of each sample; any sortable values.

    Returns
    -------
    float
        Mean over clusters i of max over j != i of (s_i + s_j) / d(c_i, c_j),
        s the mean distance of a cluster's points to its centroid c.

    Raises
    ------
    ValueError
        If X is malformed or non-finite, labels has the wrong length, or the
        number of distinct labels is outside [2, n_samples - 1].

    See Also
    --------
    sklearn.metrics.davies_bouldin_score : the reference implementation.

    Notes
    -----
    Davies & Bouldin (1979). Time O(n_samples * n_features + n_clusters^2 *
    n_features), float64. scikit-learn's degenerate cases are kept: the score
    is 0 when all s_i or all centroid distances are within ``np.allclose``'s
    default tolerance of 0 (an absolute 1e-8, so not scale-free), and pairs of
    coinciding centroids are skipped.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeanslab.metrics import davies_bouldin_score
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> davies_bouldin_score(X, [0, 0, 1, 1])
    0.1
    """
    X, codes, n_clusters = _check_X_labels(X, labels)
    X64 = X.astype(np.float64, copy=False)
    centers = _cluster_means(X64, codes, n_clusters)
    counts = np.bincount(codes, minlength=n_clusters)
    if is_sparse(X):
        dists = np.sqrt(_sparse64(X).sq_dist_to_assigned(centers, codes))
    else:
        dists = np.sqrt(np.sum((X64 - centers[codes]) ** 2, axis=1))
    intra_dists = np.bincount(codes, weights=dists, minlength=n_clusters) / counts
    # Row by row: differences, not the ||a||^2 - 2 a.b + ||b||^2 expansion,
    # and no (k, k, d) temporary.
    centroid_distances = np.empty((n_clusters, n_clusters), dtype=np.float64)
    for c in range(n_clusters):
        centroid_distances[c] = np.sqrt(np.sum((centers - centers[c]) ** 2, axis=1))
    if np.allclose(intra_dists, 0) or np.allclose(centroid_distances, 0):
        return 0.0
    centroid_distances[centroid_distances == 0] = np.inf
    combined = intra_dists[:, None] + intra_dists[None, :]
    return float(np.mean(np.max(combined / centroid_distances, axis=1)))


# --------------------------------------------------------------------------
# comparing two sets of centres


def centroid_index(centers_a, centers_b):
    """Centroid Index: how many clusters two sets of centres disagree on.

    Every centre of one set is mapped to its nearest centre in the other; a
    centre of the other set that nothing maps to is an orphan. The index is
    the larger orphan count of the two directions. 0 means both sets describe
    the same cluster structure; CI = m means m clusters are missing in one
    set (found twice elsewhere instead). The sets may differ in size.

    Parameters
    ----------
    centers_a : array-like of shape (k_a, n_features)
    centers_b : array-like of shape (k_b, n_features)

    Returns
    -------
    int

    Notes
    -----
    Fränti, Rezaei & Zhao (2014), "Centroid index: cluster level similarity
    measure", Pattern Recognition 47(9). Costs O(k_a * k_b * n_features).

    Examples
    --------
    >>> import numpy as np
    >>> from kmeanslab.metrics import centroid_index
    >>> truth = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    >>> centroid_index(truth, truth + 0.1)
    0
    >>> found = np.array([[0.0, 0.0], [0.5, 0.0], [9.0, 1.0]])  # (0, 10) missed
    >>> centroid_index(truth, found)
    1
    """
    a = check_X(centers_a, name="centers_a").astype(np.float64)
    b = check_X(centers_b, name="centers_b").astype(np.float64)
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"centers_a has {a.shape[1]} features but centers_b has {b.shape[1]}")
    return max(_orphans(a, b), _orphans(b, a))


def _orphans(source, target):
    """Centres of target that no centre of source has as its nearest."""
    sq = ((source[:, None, :] - target[None, :, :]) ** 2).sum(axis=-1)
    hit = np.zeros(len(target), dtype=bool)
    hit[sq.argmin(axis=1)] = True
    return int(len(target) - hit.sum())
