"""Tibshirani's gap statistic: :func:`gap_statistic`, its result
:class:`GapResult`, the reference data sampler and the one-standard-error
pick, which :func:`~kmeanslab.selection.choose_k` shares.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._validation import check_int, check_X
from ._common import (GAP_STREAM, REFERENCES, base_seed, check_choice, check_fit_params,
                      check_ks, child_seed, n_distinct_rows, stream)

__all__ = ["GapResult", "gap_statistic"]

# A within-cluster sum of squares at most this fraction of the total sum of
# squares is zero up to rounding (each cluster a single repeated point): its
# log, and so the gap, is meaningless and reported as NaN.
_ZERO_WK_RTOL = 1e-12


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


class ReferenceSampler:
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


def gap_for_k(k, data_inertia, sampler, seed, n_refs, fit_params, device=None):
    """(gap, gap_se, log W_k, log W*_kb over b) for one k; reference set b is
    the same for every k. With a torch ``device`` the reference sets (the
    same numbers) are clustered there, as tensors."""
    from ..core import kmeans

    ref_logs = np.empty(n_refs, dtype=np.float64)
    for b in range(n_refs):
        Z = sampler.draw(stream(seed, GAP_STREAM, b))
        if device is not None:
            import torch

            Z = torch.from_numpy(Z).to(device)
        fit_seed = child_seed(stream(seed, GAP_STREAM, b, k))
        ref_logs[b] = _log(kmeans(Z, k, random_state=fit_seed, **fit_params).inertia)
    data_log = (_log(data_inertia)
                if data_inertia > _ZERO_WK_RTOL * sampler.total_ss else float("nan"))
    gap = float(np.mean(ref_logs)) - data_log
    gap_se = float(np.std(ref_logs)) * np.sqrt(1.0 + 1.0 / n_refs)
    return gap, float(gap_se), data_log, ref_logs


def one_se_pick(ks, gap, gap_se):
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
    from ..core import kmeans

    X = check_X(X)
    n_refs = check_int(n_refs, "n_refs", 1)
    reference = check_choice(reference, "reference", REFERENCES)
    fit_params = check_fit_params(n_init, kmeans_params)
    n_distinct = n_distinct_rows(X)
    ks = check_ks(k_range, 1, X.shape[0], f"X has {X.shape[0]} samples")
    if ks[-1] > n_distinct:
        raise ValueError(f"k_range has k={ks[-1]} but X has only {n_distinct} "
                         "distinct rows")
    seed = base_seed(random_state)
    sampler = ReferenceSampler(X, reference)
    gap, gap_se, log_wk, ref_log_wk = [], [], [], []
    for k in ks:
        inertia = kmeans(X, k, random_state=seed, **fit_params).inertia
        g, s, data_log, refs = gap_for_k(k, inertia, sampler, seed, n_refs,
                                         fit_params)
        gap.append(g)
        gap_se.append(s)
        log_wk.append(data_log)
        ref_log_wk.append(refs)
    gap, gap_se = np.array(gap), np.array(gap_se)
    best_k, _ = one_se_pick(ks, gap, gap_se)
    return GapResult(ks=ks, gap=gap, gap_se=gap_se, log_wk=np.array(log_wk),
                     ref_log_wk=np.array(ref_log_wk).reshape(len(ks), n_refs),
                     best_k=best_k, n_refs=n_refs, reference=reference)
