"""Spherical (cosine) k-means: :func:`spherical_kmeans` and the estimator
:class:`SphericalKMeans`, for dense or sparse rows (text: TF-IDF).

Rows are scaled to unit norm and centres kept on the unit sphere (the
normalised weighted mean of their rows); every row goes to the centre of
largest cosine similarity, and the objective is the weighted sum of
``1 - cos(x, c)``. On the unit sphere ``||x - c||^2 = 2 - 2 cos(x, c)``, so
the Euclidean engine loop runs spherical k-means unchanged once the centres
are projected back onto the sphere after each update
(:func:`kmeanslab._engine.run_single`'s ``project``): the nearest centre is
the most similar one, k-means++ draws in proportion to ``1 - cos`` (cosine
distance), and the bounded variants (Hamerly, Yinyang) keep exact bounds
on the chord ``sqrt(2 - 2 cos)``, which are bounds on the cosine similarity
(Schubert, Lang & Feher 2021, "Accelerating spherical k-means", derive the
same ones); they give plain Lloyd's result from the same start.

Why an estimator of its own rather than ``KMeans(metric="cosine")``: the
objective (``inertia_`` is the sum of ``1 - cos``), the centres (unit
norm), ``transform`` (cosine distances) and ``score`` all mean something
else, while ``KMeans`` stays scikit-learn's drop-in with scikit-learn's
parameters; ``SphericalKMeans`` is also the name users of ``spherecluster``
know.

Rows of zeros have no direction: they are kept (label 0, the first of the
equally dissimilar centres; ``1 - cos = 1``, which counts in the objective)
but carry no weight in the fit, so no centre is drawn or moved onto them.
On sparse rows, a row equally similar to several centres (most often one
sharing no term with any) goes to the lowest index; on dense rows the
Euclidean kernels decide such exact ties by the last bits of the distances.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from sklearn.base import (BaseEstimator, ClassNamePrefixFeaturesOutMixin,
                          ClusterMixin, TransformerMixin)
from sklearn.utils.validation import check_is_fitted

from . import _validation as v
from ._driver import fit
from ._params import fill_doc
from .backends import get_backend, is_sparse
from .estimator import KMeans

__all__ = ["SphericalKMeans", "spherical_kmeans", "unit_rows"]


def unit_rows(X):
    """X with every row scaled to unit Euclidean norm, and which rows are
    zero (those stay zero).

    Parameters
    ----------
    X : ndarray or scipy.sparse CSR matrix of shape (n_samples, n_features)
        Validated (float32 or float64; canonical CSR when sparse).

    Returns
    -------
    X_unit : same type as X
        A new array or matrix of X's dtype.
    zero : ndarray of bool, shape (n_samples,)
    """
    if is_sparse(X):
        sq = np.bincount(np.repeat(np.arange(X.shape[0]), np.diff(X.indptr)),
                         weights=X.data.astype(np.float64) ** 2,
                         minlength=X.shape[0])
    else:
        sq = np.einsum("ij,ij->i", X, X, dtype=np.float64)
    zero = sq == 0
    scale = np.zeros_like(sq)
    scale[~zero] = 1.0 / np.sqrt(sq[~zero])
    if is_sparse(X):
        out = X.copy()
        out.data = (out.data * np.repeat(scale, np.diff(X.indptr))).astype(X.dtype)
    else:
        out = np.ascontiguousarray(X * scale[:, None].astype(X.dtype), dtype=X.dtype)
    return out, zero


def _unit_centers(centers):
    """Float64 centres scaled to unit norm in place (a zero centre stays
    zero); returns them."""
    norms = np.sqrt(np.einsum("ij,ij->i", centers, centers))[:, None]
    np.divide(centers, norms, out=centers, where=norms > 0)
    return centers


def _objective(sq_chords, zero_weight):
    """Sum of w * (1 - cos) from a sum of w * ||x - c||^2 over unit rows,
    plus the weight of the zero rows (each at 1 - cos = 1)."""
    return 0.5 * sq_chords + zero_weight


def _trace_objective(trace, zero_weight):
    """The trace with every inertia turned into the spherical objective."""
    runs = tuple(
        replace(run, inertia=_objective(run.inertia, zero_weight),
                iterations=tuple(replace(it, inertia=_objective(it.inertia,
                                                                zero_weight))
                                 for it in run.iterations))
        for run in trace.runs)
    return replace(trace, runs=runs)


def _prepared(X, sample_weight):
    """(backend over the unit rows with zero rows weightless, user weights,
    zero-row mask)."""
    X = v.check_sparse_X(X) if is_sparse(X) else v.check_X(X)
    sw = v.check_sample_weight(sample_weight, X.shape[0], X.dtype)
    X_unit, zero = unit_rows(X)
    fit_weight = sw
    if zero.any():
        fit_weight = sw.copy()
        fit_weight[zero] = 0
        if not fit_weight.sum() > 0:
            raise ValueError("X has no non-zero row of positive weight: cosine "
                             "similarity needs rows with a direction")
    if is_sparse(X_unit):
        from .backends._sparse import SparseBackend

        return SparseBackend(X_unit, fit_weight, unit_centers=True), sw, zero
    return get_backend(X_unit, fit_weight), sw, zero


@fill_doc
def spherical_kmeans(X, n_clusters=8, *, sample_weight=None, init="k-means++",
                     n_init="auto", max_iter=300, tol=1e-4, algorithm="auto",
                     random_state=None, record_labels=False, n_threads=None):
    """Cluster the directions of the rows of X (spherical k-means).

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Rows are scaled to unit norm (a copy); sparse X stays sparse (CSR).
    {n_clusters}
    {sample_weight}
    init : {"k-means++", "random", "k-means||"}, callable or array, default="k-means++"
        As for :func:`kmeanslab.kmeans`, on the unit rows: k-means++ draws
        in proportion to the cosine distance ``1 - cos``; a callable is
        given the unit rows; array centres are scaled to unit norm.
    {n_init}
    {max_iter}
    tol : float, default=1e-4
        Stop a run when the summed squared shift of the (unit) centres is at
        most tol times the mean feature variance of the unit rows.
    algorithm : {"auto", "lloyd", "hamerly", "yinyang", "elkan"}, default="auto"
        "hamerly" ("elkan") and "yinyang" skip the rows whose bounds prove
        their label cannot change, with plain Lloyd's result; "auto" picks
        as for :func:`kmeanslab.kmeans`. Sparse rows run "hamerly" for
        "yinyang".
    {random_state}
    {record_labels}
    {n_threads}

    Returns
    -------
    KMeansResult
        ``centers`` of unit norm; ``inertia`` (and every inertia of the
        trace) the weighted sum of ``1 - cos(x, c)`` over the rows.

    See Also
    --------
    SphericalKMeans : the estimator.
    kmeanslab.metrics.silhouette_score : with ``metric="cosine"``.

    Notes
    -----
    Dhillon & Modha (2001), "Concept decompositions for large sparse text
    data using clustering". A Lloyd step costs O(nnz * n_clusters); the
    bounded variants skip most rows once the centres settle (see the module
    docstring).

    Examples
    --------
    >>> import numpy as np
    >>> from kmeanslab import spherical_kmeans
    >>> X = np.array([[1.0, 0.1], [2.0, 0.0], [0.0, 3.0], [0.1, 1.0]])
    >>> result = spherical_kmeans(X, 2, init=np.array([[1.0, 0.0], [0.0, 1.0]]))
    >>> result.labels.tolist()
    [0, 0, 1, 1]
    >>> bool(np.allclose(np.linalg.norm(result.centers, axis=1), 1.0))
    True
    """
    backend, sw, zero = _prepared(X, sample_weight)
    result = fit(backend, n_clusters, init=init, n_init=n_init, max_iter=max_iter,
                 tol=tol, algorithm=algorithm, random_state=random_state,
                 record_labels=record_labels, copy_x=False, n_threads=n_threads,
                 refine=None, project=_unit_centers)
    zero_weight = float(np.sum(sw[zero], dtype=np.float64))
    return replace(result, inertia=_objective(result.inertia, zero_weight),
                   trace=_trace_objective(result.trace, zero_weight))


@fill_doc
class SphericalKMeans(ClassNamePrefixFeaturesOutMixin, TransformerMixin,
                      ClusterMixin, BaseEstimator):
    """Spherical (cosine) k-means, a scikit-learn estimator.

    Rows are compared by cosine similarity: each goes to the centre it is
    most similar to, and centres are the normalised means of their rows.
    Dense or sparse X (TF-IDF), sample weights, float32 and float64.

    Parameters
    ----------
    {n_clusters}
    init : {"k-means++", "random", "k-means||"}, callable or array, default="k-means++"
        See :func:`spherical_kmeans`.
    {n_init}
    {max_iter}
    {tol}
    verbose : int, default=0
        As for :class:`KMeans`.
    {random_state}
    algorithm : {"auto", "lloyd", "hamerly", "yinyang", "elkan"}, default="auto"
        See :func:`spherical_kmeans`.
    {record_labels}
    {n_threads}

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Unit-norm centres.
    labels_ : ndarray of shape (n_samples,)
    inertia_ : float
        Weighted sum of ``1 - cos(x, c)`` over the training rows.
    n_iter_ : int
    trace_ : ConvergenceTrace
        Its inertias are the spherical objective.
    algorithm_ : str
    n_features_in_, feature_names_in_
        As for :class:`KMeans`.

    See Also
    --------
    spherical_kmeans : the function behind this estimator.
    kmeanslab.text.top_terms : the heaviest terms of each centre.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeanslab import SphericalKMeans
    >>> X = np.array([[1.0, 0.1], [2.0, 0.0], [0.0, 3.0], [0.1, 1.0]])
    >>> km = SphericalKMeans(2, random_state=0).fit(X)
    >>> int(km.predict([[5.0, 0.2]])[0]) == int(km.labels_[0])
    True
    >>> float(km.transform([[0.0, 2.0]]).min()) < 0.01
    True
    """

    # Input validation as KMeans does it (dense, sparse, DataFrames).
    _validate_X = KMeans._validate_X

    def __init__(self, n_clusters=8, *, init="k-means++", n_init="auto",
                 max_iter=300, tol=1e-4, verbose=0, random_state=None,
                 algorithm="auto", record_labels=False, n_threads=None):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.algorithm = algorithm
        self.record_labels = record_labels
        self.n_threads = n_threads

    def fit(self, X, y=None, sample_weight=None):
        """Compute the clustering.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : ignored
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        from .estimator import _engine_progress, _store_result

        X = self._validate_X(X, reset=True, accept_sparse=True)
        with _engine_progress(self.verbose):
            result = spherical_kmeans(
                X, self.n_clusters, sample_weight=sample_weight, init=self.init,
                n_init=self.n_init, max_iter=self.max_iter, tol=self.tol,
                algorithm=self.algorithm, random_state=self.random_state,
                record_labels=self.record_labels, n_threads=self.n_threads)
        _store_result(self, result)
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit and return ``labels_``."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def fit_transform(self, X, y=None, sample_weight=None):
        """Fit, then return the cosine distances to the centres."""
        return self.fit(X, sample_weight=sample_weight).transform(X)

    # Saving without pickle, as KMeans does (kmeanslab.persistence).
    save = KMeans.save

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _unit(self, X):
        """X validated, its rows scaled to unit norm."""
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        X = v.check_sparse_X(X) if is_sparse(X) else v.check_X(X)
        return unit_rows(X)[0]

    def _labels(self, X_unit):
        """Nearest unit centre of every unit row, as the fit assigns them."""
        ones = np.ones(X_unit.shape[0], dtype=X_unit.dtype)
        if is_sparse(X_unit):
            from .backends._sparse import SparseBackend

            backend = SparseBackend(X_unit, ones, unit_centers=True)
        else:
            backend = get_backend(X_unit, ones)
        return backend.assign(self.cluster_centers_.astype(X_unit.dtype))[0]

    @staticmethod
    def _similarities(X_unit, centers):
        """Cosine similarities of shape (n_samples, n_clusters), float64."""
        return np.asarray(X_unit.astype(np.float64) @ centers.astype(np.float64).T)

    def predict(self, X):
        """Index of the most similar centre for each row of X (the first on
        ties; rows of zeros get 0)."""
        return self._labels(self._unit(X))

    def transform(self, X):
        """Cosine distances ``1 - cos(x, c)`` from each row of X to every
        centre, shape (n_samples, n_clusters) (1 for rows of zeros)."""
        return 1.0 - self._similarities(self._unit(X), self.cluster_centers_)

    def score(self, X, y=None, sample_weight=None):
        """Opposite of the weighted sum of ``1 - cos`` of X's rows to their
        most similar centres."""
        X_unit = self._unit(X)
        sw = v.check_sample_weight(sample_weight, X_unit.shape[0], np.float64)
        labels = self._labels(X_unit)
        similarities = self._similarities(X_unit, self.cluster_centers_)
        best = similarities[np.arange(len(labels)), labels]
        return -float(np.sum(sw * (1.0 - best)))
