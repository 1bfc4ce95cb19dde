"""The public fit functions: :func:`kmeans` (any data) and :func:`fit_dask`
(Dask data, with its options). Both validate the data into a backend and
hand it to the one fit driver (:mod:`kmeanslab._driver`)."""

from __future__ import annotations

from . import _validation as v
from ._driver import KMeansResult, fit, resolve_algorithm
from ._params import fill_doc
from .backends import is_dask_collection, is_sparse, is_torch_tensor

__all__ = ["kmeans", "fit_dask", "KMeansResult", "resolve_algorithm"]


@fill_doc
def kmeans(X, n_clusters=8, *, sample_weight=None, init="k-means++",
           n_init="auto", max_iter=300, tol=1e-4, algorithm="auto",
           random_state=None, record_labels=False, copy_x=True, n_threads=None,
           refine=None, precision="exact"):
    """Cluster X with k-means, keeping the best of ``n_init`` runs.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        float32 and float64 data are kept in their type; C- or F-ordered.
        A dask array or Dask DataFrame is clustered where it lives (as
        :func:`fit_dask` does, on the active ``distributed.Client`` if there
        is one): k-means++ runs as k-means|| and the labels come back as a
        dask array.
        A SciPy sparse matrix or array is clustered sparse (CSR; CSC, COO
        and other formats are converted to CSR once, a copy) and never
        centred, as in scikit-learn; "yinyang" runs as "hamerly" on it.
        A PyTorch tensor (the ``torch`` extra) is clustered on its device,
        CPU or CUDA, with Lloyd's algorithm (every ``algorithm`` gives its
        result); the result holds NumPy arrays.
    {n_clusters}
    {sample_weight}
    {init}
    {n_init}
    {max_iter}
    {tol}
    {algorithm}
    {random_state}
    {record_labels}
    {copy_x}
    {n_threads}
    {refine}
    {precision}

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
    precision = v.check_precision(precision)
    if is_torch_tensor(X):
        from .backends.torch import make_backend

        backend = make_backend(X, sample_weight, precision=precision)
    elif is_dask_collection(X):
        from .backends.dask import DaskBackend

        backend = DaskBackend(X, sample_weight)
    elif is_sparse(X):
        from .backends._sparse import SparseBackend

        X = v.check_sparse_X(X)
        backend = SparseBackend(X, v.check_sample_weight(
            sample_weight, X.shape[0], X.dtype))
    else:
        from .backends._cpu import CPUBackend

        X = v.check_X(X)
        backend = CPUBackend(X, v.check_sample_weight(sample_weight, X.shape[0],
                                                      X.dtype))
    return fit(backend, n_clusters, init=init, n_init=n_init, max_iter=max_iter,
               tol=tol, algorithm=algorithm, random_state=random_state,
               record_labels=record_labels, copy_x=copy_x, n_threads=n_threads,
               refine=refine)


@fill_doc
def fit_dask(X, n_clusters=8, *, sample_weight=None, init="k-means||",
             n_init="auto", max_iter=300, tol=1e-4, algorithm="auto",
             random_state=None, record_labels=False, copy_x=True,
             n_threads=None, refine=None, persist=None):
    """:func:`kmeanslab.kmeans` for a dask array or Dask DataFrame.

    Parameters
    ----------
    X : dask Array or DataFrame of shape (n_samples, n_features)
        Chunked along rows (columns are merged into one chunk); float32 and
        float64 are kept, other numeric types become float64.
    {n_clusters}
    {sample_weight} A dask array is rechunked to X's rows.
    init : {"k-means||", "random"}, callable or array, default="k-means||"
        "k-means++" runs as "k-means||": k-means++ takes one pass over the
        data per centre and every sample's distance on the client, k-means||
        7 passes whatever ``n_clusters`` (one submission per pass, or one in
        all for persisted blocks). Data with at least 8 x 256 samples per
        centre is seeded from a weighted sample of 256 rows per centre
        clustered in memory instead (one pass; :func:`kmeanslab.init.sample_init`).
        A callable gets the dask array.
    {n_init}
    {max_iter}
    {tol}
    algorithm : str, default="auto"
        "lloyd" or "hamerly" (whose bounds stay beside the labels on the
        workers); "auto", "elkan" and "yinyang" run "hamerly". All give the
        same result. Blocks that are not persisted (see ``persist``) run
        "lloyd": reading them dominates each pass, and the bounds would be
        most of the memory the fit holds.
    {random_state}
    {record_labels}
    copy_x : bool, default=True
        Ignored: the data is never centred or copied (only rescaled by a
        power of two, lazily, when its magnitude demands it).
    n_threads : int, default=None
        Checked, then ignored: tasks run serially and Dask runs them in
        parallel.
    {refine} On Dask the search's per-cluster errors and removal
        utilities are reduced on the workers.
    persist : bool or None, default=None
        See :class:`kmeanslab.backends.dask.DaskBackend`.

    Returns
    -------
    KMeansResult
        ``labels`` is a 1-D int32 dask array with X's row chunks, already
        computed and held by the workers (or in memory without a Client).

    Raises
    ------
    ValueError, TypeError
        Invalid parameters (before any pass over the data), or NaN,
        infinity or bad weights found by the first pass (the message names
        the first block and its rows).

    See Also
    --------
    kmeanslab.backends.dask.predict_dask, kmeanslab.backends.dask.transform_dask, kmeanslab.io.open_chunked

    Notes
    -----
    Passes over the data: one for the statistics (mean variance for ``tol``,
    magnitude, and the NaN, infinity and weight checks, which thus fail
    before any clustering work), one or 7 for the seeding, one per iteration
    and one at the end (final labels, inertia and counts together). Each
    iteration is one submission to the scheduler of one task per worker
    thread (over the blocks it holds) and one reduction: its scheduling
    cost does not grow with the number of blocks. From the
    same initial centres the labels and centres equal the in-memory fit's
    up to floating-point rounding (the partial sums are added in another
    order), whatever the chunking; for a given chunking a fit is bitwise
    reproducible.

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> from kmeanslab.core import fit_dask
    >>> X = da.from_array(np.array([[1.0, 2.0], [1.0, 4.0], [1.0, 0.0],
    ...                             [10.0, 2.0], [10.0, 4.0], [10.0, 0.0]]),
    ...                   chunks=(4, 2))
    >>> result = fit_dask(X, 2, init=np.array([[0.0, 0.0], [9.0, 0.0]]))
    >>> result.labels.compute().tolist()
    [0, 0, 0, 1, 1, 1]
    >>> result.centers.tolist()
    [[1.0, 2.0], [10.0, 2.0]]
    """
    from .backends.dask import DaskBackend

    backend = DaskBackend(X, sample_weight, persist=persist)
    return fit(backend, n_clusters, init=init, n_init=n_init, max_iter=max_iter,
               tol=tol, algorithm=algorithm, random_state=random_state,
               record_labels=record_labels, copy_x=copy_x, n_threads=n_threads,
               refine=refine)
