"""Distances between rows through products, for the metrics on sparse rows
and with the cosine metric.

The exact silhouette needs, for every sample, the sum of its distances to the
members of each cluster. The dense Euclidean case has its own kernels
(:mod:`kmeanslab._kernels.silhouette`); here the distances come in chunks of
rows from one product with all rows (BLAS for dense rows, SciPy's sparse
product for sparse ones), as scikit-learn's ``pairwise_distances_chunked``
forms them:

- ``"euclidean"``: ``sqrt(max(||x||^2 - 2 x.y + ||y||^2, 0))``;
- ``"cosine"``: ``1 - x.y / (||x|| ||y||)`` clipped to [0, 2], a row of
  zeros being at distance 1 from every other row;

and a row is at distance 0 from itself. The chunk's distances are then added
up per cluster with one product by the (n_samples, n_clusters) indicator
matrix. BLAS runs single-threaded here, so the sums do not depend on the
machine's thread settings.
"""

from __future__ import annotations

import numpy as np

from ._options import SILHOUETTE_METRICS
from .backends import is_sparse

__all__ = ["check_metric", "cluster_distance_sums"]

# Rows per chunk: a chunk's (rows x n_samples) float64 distances take at most
# CHUNK_BYTES, small enough to stay in memory next to the data and large
# enough that each product is efficient.
CHUNK_BYTES = 64 * 2**20


def check_metric(metric):
    """``metric`` if it is one of :data:`SILHOUETTE_METRICS`."""
    if metric not in SILHOUETTE_METRICS:
        raise ValueError(f"metric must be one of {SILHOUETTE_METRICS}, got {metric!r}")
    return metric


def _prepared(X, metric):
    """(rows, squared norms) in float64: for the cosine metric the rows are
    scaled to unit norm (rows of zeros stay zero)."""
    if is_sparse(X):
        X = X.astype(np.float64).tocsr()
        sq_norms = np.asarray(X.multiply(X).sum(axis=1)).ravel()
    else:
        X = np.ascontiguousarray(X, dtype=np.float64)
        sq_norms = np.einsum("ij,ij->i", X, X)
    if metric == "cosine":
        scale = np.zeros_like(sq_norms)
        nonzero = sq_norms > 0
        scale[nonzero] = 1.0 / np.sqrt(sq_norms[nonzero])
        if is_sparse(X):
            import scipy.sparse as sp

            X = (sp.diags(scale) @ X).tocsr()
        else:
            X = X * scale[:, None]
        sq_norms = nonzero.astype(np.float64)
    return X, sq_norms


def _distances(X, sq_norms, rows, metric):
    """Distances of shape (len(rows), n_samples) from the given rows to all."""
    block = X[rows]
    products = block @ X.T
    if is_sparse(products):
        products = products.toarray()
    products = np.asarray(products, dtype=np.float64)
    if metric == "cosine":
        out = np.clip(1.0 - products, 0.0, 2.0, out=products)
    else:
        out = products
        out *= -2.0
        out += sq_norms[rows][:, None]
        out += sq_norms[None, :]
        np.maximum(out, 0.0, out=out)
        np.sqrt(out, out=out)
    out[np.arange(len(rows)), rows] = 0.0
    return out


def cluster_distance_sums(X, codes, n_clusters, metric, rows=None, progress=None):
    """Sums of distances from rows of X to the members of every cluster.

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix of shape (n_samples, n_features)
    codes : ndarray of shape (n_samples,)
        Cluster of every row, in 0..n_clusters-1.
    n_clusters : int
    metric : {"euclidean", "cosine"}
    rows : ndarray of int, default=None
        The rows to measure from (all when None).
    progress : callable, default=None
        ``progress(done, total)`` after each chunk.

    Returns
    -------
    ndarray of shape (n_clusters, len(rows)), float64
        ``sums[c, r]``: sum of the distances from row ``rows[r]`` to the rows
        of cluster c (its distance to itself, 0, included).
    """
    from ._threads import single_threaded_blas

    X, sq_norms = _prepared(X, metric)
    n_samples = X.shape[0]
    rows = np.arange(n_samples) if rows is None else np.asarray(rows, dtype=np.intp)
    indicator = np.zeros((n_samples, n_clusters), dtype=np.float64)
    indicator[np.arange(n_samples), codes] = 1.0
    chunk = max(1, CHUNK_BYTES // (8 * n_samples))
    n_chunks = -(-len(rows) // chunk)
    sums = np.empty((n_clusters, len(rows)), dtype=np.float64)
    with single_threaded_blas():
        for part, start in enumerate(range(0, len(rows), chunk)):
            stop = min(start + chunk, len(rows))
            sums[:, start:stop] = (_distances(X, sq_norms, rows[start:stop], metric)
                                   @ indicator).T
            if progress is not None:
                progress(part + 1, n_chunks)
    return sums
