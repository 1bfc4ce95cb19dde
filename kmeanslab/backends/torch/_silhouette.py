"""Exact silhouette of rows held in a ``torch.Tensor``, on the tensor's device.

:func:`silhouette_samples_torch` is what :func:`kmeanslab.metrics.silhouette_samples`
and :func:`~kmeanslab.metrics.silhouette_score` run for a tensor X. Every
sample needs the sum of its distances to the members of each cluster; the
(n_samples, n_clusters) sums are formed in chunks of rows, each chunk turned
into scores at once, so memory stays O(chunk · n_clusters) next to X:

- **Euclidean, CUDA** (and CPU tensors under Triton's interpreter,
  ``TRITON_INTERPRET=1``): the fused kernel of
  :mod:`kmeanslab._kernels.triton._silhouette` on the rows sorted by
  cluster (float32 arithmetic, float64 accumulation; see its accuracy
  note).
- **Euclidean, CPU tensors**: ``torch.cdist`` in float64 from coordinate
  differences (never the norm expansion), on blocks of rows against pieces
  of each cluster's sorted rows, each block's row sums taken in a fixed
  order (:func:`~kmeanslab.backends.torch._backend.fixed_order_sum`): the
  same for every thread count, within about 1e-12 of the NumPy path.
- **Cosine**, on any device: with rows u scaled to unit norm,
  ``1 − cos(u, v) = 1 − u·v``, so the sum over a cluster is
  ``n_c − u·S_c`` with ``S_c`` the sum of the cluster's unit rows. That is
  one float64 product of the rows with the (n_clusters, n_features)
  matrix of cluster sums, O(n · k · d) instead of O(n² d). The error of a
  sum is absolute, that of the product and of ``S_c``: at worst about
  ``(n_features + n_c) · n_c · 2⁻⁵³``, typically far less; only clusters
  of nearly parallel rows (a mean 1 − cos near that over ``n_c``) lose
  relative accuracy. The per-pair path (:mod:`kmeanslab._rowdist`) clips
  each 1 − u·v to [0, 2], which only removes rounding noise. A row of
  zeros stays zero and so is at distance 1 from every other row, as
  there.

Scores follow :func:`kmeanslab._kernels.silhouette.silhouette_from_sums`
operation for operation: a = own-cluster sum / (size − 1), b = the lowest
other-cluster sum / size, s = (b − a) / max(a, b), and 0 for a sample alone
in its cluster or with a = b = 0.
"""

from __future__ import annotations

import numpy as np
import torch

from ._backend import check_torch_X, fixed_order_sum, per_cluster_sums
from ._distances import use_triton

__all__ = ["encode_labels_torch", "scores_from_sums", "silhouette_samples_torch",
           "silhouette_scores_torch"]

#: float64 distances the CPU path forms at once (32 MiB): a block of rows
#: against a piece of one cluster's rows.
BLOCK_ELEMENTS = 1 << 22

#: Rows of the sums a kernel launch produces at most, times n_clusters
#: (256 MiB of float64 on the GPU): one launch for any k up to 32 at a
#: million rows.
CHUNK_ELEMENTS = 1 << 25


def encode_labels_torch(labels, n_samples, device):
    """Labels as codes 0..n_clusters-1 (int64 on ``device``) and n_clusters.

    A tensor is encoded where it lies with ``torch.unique`` (sorted, so the
    codes are those ``np.unique`` gives); so are integer and float arrays
    for a CUDA ``device``, after the NumPy shape checks (``np.unique`` of a
    million labels takes the host about 50 ms, 5% of the time the whole
    silhouette of a million rows is meant to take on an H200). Anything
    else goes through the NumPy checks of :mod:`kmeanslab.metrics`.

    Raises
    ------
    ValueError
        If labels is not 1-D with one entry per sample, or holds NaN or
        infinity.
    """
    from ...metrics import _check_labels, _check_labels_shape

    if not isinstance(labels, torch.Tensor):
        values = _check_labels_shape(labels, n_samples)
        if torch.device(device).type == "cuda" and (
                values.dtype.kind == "i" or values.dtype in (np.float32, np.float64)):
            labels = torch.from_numpy(np.ascontiguousarray(values)).to(device)
        else:
            codes, n_clusters = _check_labels(values, n_samples)
            return torch.from_numpy(codes).to(device=device, dtype=torch.int64), n_clusters
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D of length n_samples={n_samples}, got a "
                         f"tensor of shape {tuple(labels.shape)}")
    if labels.shape[0] != n_samples:
        raise ValueError(f"labels has length {labels.shape[0]} but X has "
                         f"n_samples={n_samples}; give one label per row of X")
    if labels.is_complex():
        raise TypeError(f"labels must be real numbers, got a {labels.dtype} tensor")
    if labels.is_floating_point() and not bool(torch.isfinite(labels).all()):
        raise ValueError("labels contains NaN or infinity")
    uniques, codes = torch.unique(labels.detach(), sorted=True, return_inverse=True)
    return codes.to(device=device, dtype=torch.int64), int(uniques.numel())


def silhouette_samples_torch(X, labels, metric="euclidean", *, progress=None):
    """Exact silhouette coefficient of every row of a tensor, on its device.

    Parameters
    ----------
    X : torch.Tensor of shape (n_samples, n_features)
        On CPU or CUDA; float32, float64, bfloat16 or float16 (integer
        tensors become float64). Must be finite.
    labels : torch.Tensor or array-like of shape (n_samples,)
        Cluster of each sample, any sortable values; needs
        2 <= n_labels <= n_samples - 1.
    metric : {"euclidean", "cosine"}, default="euclidean"
        As in :func:`kmeanslab.metrics.silhouette_samples`.
    progress : callable, default=None
        ``progress(done, total)`` after each chunk of rows.

    Returns
    -------
    ndarray of shape (n_samples,), float64
        Silhouette of each sample, in X's row order, on the host.

    Raises
    ------
    ValueError
        If X is not a finite 2-D tensor, labels do not have one entry per
        row, the number of distinct labels is outside [2, n_samples - 1],
        or metric is unknown.

    See Also
    --------
    kmeanslab.metrics.silhouette_samples : the same scores for NumPy data,
        and the entry point that routes tensors here.

    Notes
    -----
    Time O(n_samples² · n_features) for "euclidean" (O(n_samples ·
    n_clusters · n_features) for "cosine"), memory O(n_samples ·
    n_features + CHUNK_ELEMENTS) on the device. On CUDA the distances are
    float32 (see :mod:`kmeanslab._kernels.triton._silhouette` for the error,
    about 1e-6 relative at worst); on CPU tensors they are float64. The
    result is bitwise the same on every run.

    Examples
    --------
    >>> import torch
    >>> from kmeanslab.backends.torch import silhouette_samples_torch
    >>> X = torch.tensor([[0.0], [1.0], [10.0], [11.0]])
    >>> silhouette_samples_torch(X, [0, 0, 1, 1]).round(3)
    array([0.905, 0.895, 0.895, 0.905])
    """
    from ..._rowdist import check_metric
    from ...metrics import _check_n_labels

    metric = check_metric(metric)
    X = check_torch_X(X)
    codes, n_clusters = encode_labels_torch(labels, X.shape[0], X.device)
    _check_n_labels(n_clusters, X.shape[0])
    return silhouette_scores_torch(X, codes, n_clusters, metric,
                                   progress=progress).cpu().numpy()


def silhouette_scores_torch(X, codes, n_clusters, metric, *, rows=None,
                            progress=None):
    """Silhouettes of validated input as a float64 tensor on X's device.

    Parameters
    ----------
    X : torch.Tensor of shape (n_samples, n_features)
        Validated (:func:`~kmeanslab.backends.torch._backend.check_torch_X`).
    codes : torch.Tensor of shape (n_samples,)
        int64 on X's device, in 0..n_clusters-1, every cluster non-empty.
    n_clusters : int
    metric : {"euclidean", "cosine"}
    rows : torch.Tensor of shape (m,), default=None
        int64 indices of the rows to score, each against all rows (as
        :func:`kmeanslab.metrics.silhouette_estimate` needs); all rows, in
        order, when None.
    progress : callable, default=None
        ``progress(done, total)`` after each chunk of rows.

    Returns
    -------
    torch.Tensor of shape (m,), float64
    """
    counts = torch.bincount(codes, minlength=n_clusters)
    if metric == "cosine":
        sums_of, step = _cosine_sums(X, codes, counts)
    elif use_triton(X):
        sums_of, step = _kernel_sums(X, codes, counts)
    else:
        sums_of, step = _cpu_sums(X, codes, counts)
    n_queries = X.shape[0] if rows is None else rows.shape[0]
    scores = torch.empty(n_queries, dtype=torch.float64, device=X.device)
    starts = range(0, n_queries, step)
    for part, start in enumerate(starts):
        stop = min(start + step, n_queries)
        queries = (torch.arange(start, stop, device=X.device) if rows is None
                   else rows[start:stop])
        scores[start:stop] = scores_from_sums(sums_of(queries), codes[queries], counts)
        if progress is not None:
            progress(part + 1, len(starts))
    return scores


def scores_from_sums(sums, own, counts):
    """Silhouettes from per-cluster distance sums, on their device.

    Parameters
    ----------
    sums : torch.Tensor of shape (m, n_clusters), float64
        ``sums[i, c]``: sum of the distances of sample i to cluster c (its
        own distance, 0, included or not).
    own : torch.Tensor of shape (m,), int64
        Each sample's cluster.
    counts : torch.Tensor of shape (n_clusters,), int64
        Cluster sizes over all samples (none zero).

    Returns
    -------
    torch.Tensor of shape (m,), float64
    """
    counts64 = counts.to(torch.float64)
    own_count = counts64[own]
    a = sums.gather(1, own[:, None])[:, 0] / (own_count - 1.0)
    means = sums / counts64[None, :]
    means.scatter_(1, own[:, None], float("inf"))
    b = means.min(dim=1).values
    denom = torch.maximum(a, b)
    # Singletons (a = 0/0) and a = b = 0 give NaN here and 0 below.
    scores = (b - a) / denom
    return torch.where((own_count > 1.0) & (denom > 0.0), scores,
                       torch.zeros((), dtype=torch.float64, device=sums.device))


def _chunk_rows(n_clusters, multiple=64):
    """Rows per chunk of the sums: CHUNK_ELEMENTS // n_clusters, a multiple
    of ``multiple`` (a kernel's query block)."""
    return max(multiple, (CHUNK_ELEMENTS // n_clusters) // multiple * multiple)


def _sorted_by_cluster(codes, n_clusters):
    """(order, offsets): a stable sort of the codes and the
    (n_clusters + 1,) int64 start of every cluster in it."""
    sorted_codes, order = torch.sort(codes, stable=True)
    offsets = torch.searchsorted(
        sorted_codes, torch.arange(n_clusters + 1, dtype=codes.dtype, device=codes.device))
    return order, offsets


def _kernel_sums(X, codes, counts):
    """Euclidean sums of a chunk of rows through the Triton kernel, and
    the chunk size."""
    from ..._kernels.triton import SilhouetteSums

    order, offsets = _sorted_by_cluster(codes, counts.shape[0])
    sums = SilhouetteSums(X[order], offsets)
    position = torch.empty_like(order)
    position[order] = torch.arange(order.shape[0], device=order.device)
    return (lambda queries: sums(position[queries])), _chunk_rows(counts.shape[0])


def _cpu_sums(X, codes, counts):
    """Euclidean sums of a chunk of rows by float64 ``torch.cdist`` from
    differences, and the chunk size: at most BLOCK_ELEMENTS distances at
    once (the chunk's rows against a piece of one cluster's rows)."""
    n_samples, n_clusters = X.shape[0], counts.shape[0]
    X64 = X.to(torch.float64)
    order, offsets = _sorted_by_cluster(codes, n_clusters)
    X_sorted = X64[order]
    bounds = offsets.tolist()
    block = max(1, min(n_samples, BLOCK_ELEMENTS // n_samples))
    piece = max(1, BLOCK_ELEMENTS // block)

    def sums_of(queries):
        rows = X64[queries]
        sums = torch.zeros((rows.shape[0], n_clusters), dtype=torch.float64)
        for c in range(n_clusters):
            for lo in range(bounds[c], bounds[c + 1], piece):
                hi = min(lo + piece, bounds[c + 1])
                dists = torch.cdist(rows, X_sorted[lo:hi],
                                    compute_mode="donot_use_mm_for_euclid_dist")
                sums[:, c] += fixed_order_sum(dists)
        return sums

    return sums_of, block


def _cosine_sums(X, codes, counts):
    """Cosine sums of a chunk of rows from the per-cluster sums of the unit
    rows, and the chunk size."""
    n_samples, n_clusters = X.shape[0], counts.shape[0]
    X64 = X.to(torch.float64)
    norms = torch.linalg.vector_norm(X64, dim=1)
    scale = torch.where(norms > 0, 1.0 / torch.where(norms > 0, norms, 1.0), 0.0)
    units = X64 * scale[:, None]
    ones = torch.ones(n_samples, dtype=torch.float64, device=X.device)
    cluster_sums = per_cluster_sums(units, ones, codes, n_clusters)[0]
    counts64 = counts.to(torch.float64)

    def sums_of(queries):
        rows = units[queries]
        sums = counts64[None, :] - rows @ cluster_sums.T
        # The cluster sum counted each row's "distance" to itself,
        # 1 - u.u (0 for a unit row, 1 for a row of zeros); it is 0.
        self_terms = 1.0 - (rows * rows).sum(dim=1)
        sums.scatter_add_(1, codes[queries][:, None], -self_terms[:, None])
        return sums

    return sums_of, _chunk_rows(n_clusters, multiple=1)
