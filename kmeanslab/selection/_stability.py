"""Subsample stability: :func:`stability` and its result
:class:`StabilityResult`, how reproducible a k-means partition is across
random subsamples.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._validation import check_int, check_sparse_X, check_X
from ..backends import is_sparse, is_torch_tensor
from ._common import (STABILITY_STREAM, base_seed, check_fit_params, check_subsample,
                      child_seed, stream)

__all__ = ["StabilityResult", "stability"]


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


def stability_scores(X, k, n_runs, subsample, seed, fit_params, fit=None):
    """Pairwise ARIs for one k (validated input); ``fit`` is the clustering
    function (:func:`kmeanslab.kmeans` when None)."""
    from sklearn.metrics import adjusted_rand_score

    from ..core import kmeans

    fit = kmeans if fit is None else fit
    n = X.shape[0]
    m = int(round(subsample * n))
    rng = stream(seed, STABILITY_STREAM, k)
    runs = []
    for _ in range(n_runs):
        rows = np.sort(rng.choice(n, size=m, replace=False))
        subset = X[_on_device(rows, X) if is_torch_tensor(X) else rows]
        labels = fit(subset, k, random_state=child_seed(rng), **fit_params).labels
        runs.append((rows, labels))
    scores = []
    for i in range(n_runs):
        for j in range(i + 1, n_runs):
            _, pos_i, pos_j = np.intersect1d(runs[i][0], runs[j][0],
                                             assume_unique=True, return_indices=True)
            scores.append(adjusted_rand_score(runs[i][1][pos_i], runs[j][1][pos_j]))
    return np.array(scores, dtype=np.float64)


def _on_device(rows, X):
    """Row indices as an index tensor on the torch tensor X's device."""
    import torch

    return torch.from_numpy(rows).to(X.device)


def stability(X, k, *, n_runs=5, subsample=0.8, random_state=None, n_init="auto",
              **kmeans_params):
    """How reproducible the k-means partition is across random subsamples.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
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
    X = check_sparse_X(X) if is_sparse(X) else check_X(X)
    n_runs = check_int(n_runs, "n_runs", 2)
    subsample = check_subsample(subsample)
    m = int(round(subsample * X.shape[0]))
    k = check_int(k, "k", 2)
    if k > m:
        raise ValueError(f"k={k} is larger than the subsample size {m} "
                         f"(subsample={subsample} of {X.shape[0]} rows)")
    fit_params = check_fit_params(n_init, kmeans_params)
    scores = stability_scores(X, k, n_runs, subsample, base_seed(random_state),
                              fit_params)
    return StabilityResult(mean=float(scores.mean()), std=float(scores.std()),
                           scores=scores, k=k, n_runs=n_runs, subsample=subsample)
