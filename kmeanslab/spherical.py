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

Rows of zeros have no direction: they take no part in the fit (no seed,
no centre, no label change is drawn from them; a callable ``init`` is
given the other rows) and get label 0, the first of the equally
dissimilar centres, in ``labels_`` and from ``predict``, dense or sparse;
each counts ``1 - cos = 1`` in the objective and in ``score``, and
``transform`` gives them 1 to every centre. n_clusters may not exceed the
number of rows with a direction.

Rows are scaled to unit norm through their largest entry first (the row
divided by the power of two of its largest magnitude, exact), so the norm
neither underflows nor overflows for any finite values (1e-300 as well as
1e300), and scaling a row by a power of two changes nothing at all. On
dense rows a row goes to the centre nearest by the engine's label rule
(the float64 distance F on the unit sphere, the lowest index on exact
ties); on sparse rows, to the most similar centre by the sparse kernels'
dot products, the lowest index on exact ties. Both are the most similar
centre up to rounding; between a row's two most similar centres within
rounding of each other (about 1e-15) the two kinds of input may choose
differently.
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


def _row_exponents(amax):
    """Per row, the binary exponent of its largest magnitude (``frexp``'s:
    ``amax / 2**e`` lies in [0.5, 1)); 0 for rows of zeros."""
    return np.frexp(amax)[1]


def unit_rows(X):
    """X with every row scaled to unit Euclidean norm, and which rows are
    zero (those stay zero).

    Each row is first divided by the power of two of its largest magnitude
    (exact), so its sum of squares lies in [0.25, n_features] whatever the
    row's magnitude: no square of a value that matters underflows (1e-200
    squared is 0 in float64) or overflows, and a row scaled by a power of
    two gives the same unit row to the bit. The norm is then that of the
    scaled row, accumulated in float64, and the row is multiplied by its
    reciprocal in float64 and rounded once to X's dtype.

    Parameters
    ----------
    X : ndarray or scipy.sparse CSR matrix of shape (n_samples, n_features)
        Validated (float32 or float64, finite; canonical CSR when sparse).

    Returns
    -------
    X_unit : same type as X
        A new array or matrix of X's dtype.
    zero : ndarray of bool, shape (n_samples,)
    """
    n = X.shape[0]
    if is_sparse(X):
        nnz = np.diff(X.indptr)
        rows = np.repeat(np.arange(n), nnz)
        values = np.abs(X.data.astype(np.float64))
        amax = np.zeros(n, dtype=np.float64)
        # Canonical CSR: the rows that store entries start at strictly
        # increasing offsets, and each runs to the next one's start.
        stored = nnz > 0
        if stored.any():
            amax[stored] = np.maximum.reduceat(values, X.indptr[:-1][stored])
        exponent = _row_exponents(amax)
        scaled = np.ldexp(X.data.astype(np.float64), -exponent[rows])
        sq = np.bincount(rows, weights=scaled * scaled, minlength=n)
    else:
        X64 = X.astype(np.float64, copy=False)
        amax = np.max(np.abs(X64), axis=1, initial=0.0)
        exponent = _row_exponents(amax)
        scaled = np.ldexp(X64, -exponent[:, None])
        sq = np.einsum("ij,ij->i", scaled, scaled)
    zero = sq == 0
    scale = np.zeros_like(sq)
    scale[~zero] = 1.0 / np.sqrt(sq[~zero])
    if is_sparse(X):
        out = X.copy()
        out.data = (scaled * scale[rows]).astype(X.dtype)
    else:
        scaled *= scale[:, None]
        out = np.ascontiguousarray(scaled, dtype=X.dtype)
    return out, zero


def _unit_centers(centers, previous=None):
    """Float64 centres scaled to unit norm in place; returns them.

    Norms are taken through each centre's largest entry, as in
    :func:`unit_rows` (a centre of rows weighted 1e-300 is no less a
    direction). A mean of exactly zero (rows that cancel, such as x and -x
    of equal weight) has no direction, and every unit centre gives its rows
    the same objective (their weighted cosines sum to 0): it keeps its
    ``previous`` centre, so centres stay on the unit sphere and
    ``1 - cos = ||x - c||^2 / 2`` holds for every row.

    Raises
    ------
    ValueError
        For a zero initial centre (``previous`` None): an ``init`` array or
        callable gave a row of zeros.
    """
    amax = np.max(np.abs(centers), axis=1, initial=0.0)
    zero = amax == 0
    if zero.any():
        if previous is None:
            raise ValueError(
                f"init has {int(zero.sum())} centre(s) of zeros: cosine "
                f"similarity needs centres with a direction")
        centers[zero] = np.asarray(previous, dtype=np.float64)[zero]
        amax[zero] = np.max(np.abs(centers[zero]), axis=1, initial=0.0)
    exponent = _row_exponents(amax)[:, None]
    np.ldexp(centers, -exponent, out=centers)
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


def _prepared(X, sample_weight, n_clusters):
    """(backend over the unit rows with a direction, user weights, zero-row
    mask): the rows of zeros are left out of the fit.

    Raises
    ------
    ValueError
        When no row with a direction has positive weight, or n_clusters
        exceeds the rows with a direction.
    """
    X = v.check_sparse_X(X) if is_sparse(X) else v.check_X(X)
    sw = v.check_sample_weight(sample_weight, X.shape[0], X.dtype)
    X_unit, zero = unit_rows(X)
    keep = ~zero
    fit_weight = sw[keep] if zero.any() else sw
    if not fit_weight.sum() > 0:
        raise ValueError("X has no non-zero row of positive weight: cosine "
                         "similarity needs rows with a direction")
    if zero.any():
        X_unit = X_unit[keep]
        if is_sparse(X_unit):
            X_unit = v.check_sparse_X(X_unit)
    # n_clusters against all rows first, in scikit-learn's words; then
    # against the rows a centre can come from.
    n_clusters = v.check_n_clusters(n_clusters, X.shape[0])
    if n_clusters > X_unit.shape[0]:
        raise ValueError(
            f"n_clusters={n_clusters} is larger than the {X_unit.shape[0]} "
            f"non-zero rows of X: rows of zeros have no direction to cluster")
    if is_sparse(X_unit):
        from .backends._sparse import SparseBackend

        return SparseBackend(X_unit, fit_weight, unit_centers=True), sw, zero
    return get_backend(X_unit, fit_weight), sw, zero


def _with_zero_rows(labels, zero):
    """Labels of the rows with a direction, widened to every row: rows of
    zeros get 0."""
    if labels is None or not zero.any():
        return labels
    out = np.zeros(zero.shape[0], dtype=np.asarray(labels).dtype)
    out[~zero] = labels
    return out


def _trace_with_zero_rows(trace, zero):
    """The trace with its recorded labels widened to every row."""
    if not zero.any():
        return trace
    runs = tuple(
        replace(run, iterations=tuple(
            replace(it, labels=_with_zero_rows(it.labels, zero))
            for it in run.iterations))
        for run in trace.runs)
    return replace(trace, runs=runs)


@fill_doc
def spherical_kmeans(X, n_clusters=8, *, sample_weight=None, init="k-means++",
                     n_init="auto", max_iter=300, tol=1e-4, algorithm="auto",
                     random_state=None, record_labels=False, n_threads=None):
    """Cluster the directions of the rows of X (spherical k-means).

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Rows are scaled to unit norm (a copy); sparse X stays sparse (CSR).
        Rows of zeros take no part in the fit and get label 0.
    {n_clusters}
        At most the number of non-zero rows.
    {sample_weight}
    init : {"k-means++", "random", "k-means||"}, callable or array, default="k-means++"
        As for :func:`kmeanslab.kmeans`, on the unit rows: k-means++ draws
        in proportion to the cosine distance ``1 - cos``; a callable is
        given the unit rows (rows of zeros left out); array centres are
        scaled to unit norm.
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
    backend, sw, zero = _prepared(X, sample_weight, n_clusters)
    result = fit(backend, n_clusters, init=init, n_init=n_init, max_iter=max_iter,
                 tol=tol, algorithm=algorithm, random_state=random_state,
                 record_labels=record_labels, copy_x=False, n_threads=n_threads,
                 refine=None, project=_unit_centers)
    zero_weight = float(np.sum(sw[zero], dtype=np.float64))
    trace = _trace_with_zero_rows(_trace_objective(result.trace, zero_weight), zero)
    return replace(result, labels=_with_zero_rows(result.labels, zero),
                   inertia=_objective(result.inertia, zero_weight), trace=trace)


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
        """X validated, its rows scaled to unit norm, and which rows are
        zero."""
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        X = v.check_sparse_X(X) if is_sparse(X) else v.check_X(X)
        return unit_rows(X)

    def _labels(self, X_unit, zero):
        """Most similar unit centre of every unit row, as the fit assigns
        them (the same backend kernels, the same rule); rows of zeros get
        0, as in the fit."""
        ones = np.ones(X_unit.shape[0], dtype=X_unit.dtype)
        if is_sparse(X_unit):
            from .backends._sparse import SparseBackend

            backend = SparseBackend(X_unit, ones, unit_centers=True)
        else:
            backend = get_backend(X_unit, ones)
        labels = np.asarray(
            backend.assign(self.cluster_centers_.astype(X_unit.dtype))[0])
        # Every centre is equally far from a row of zeros: the kernels'
        # choice among them depends on the centres' last bits.
        labels[zero] = 0
        return labels

    @staticmethod
    def _similarities(X_unit, centers):
        """Cosine similarities of shape (n_samples, n_clusters), float64."""
        return np.asarray(X_unit.astype(np.float64) @ centers.astype(np.float64).T)

    def predict(self, X):
        """Index of the most similar centre for each row of X (the first on
        ties; rows of zeros get 0): on the training rows, ``labels_``."""
        return self._labels(*self._unit(X))

    def transform(self, X):
        """Cosine distances ``1 - cos(x, c)`` from each row of X to every
        centre, shape (n_samples, n_clusters) (1 for rows of zeros)."""
        return 1.0 - self._similarities(self._unit(X)[0], self.cluster_centers_)

    def score(self, X, y=None, sample_weight=None):
        """Opposite of the weighted sum of ``1 - cos`` of X's rows to their
        most similar centres (1 for each row of zeros)."""
        X_unit, zero = self._unit(X)
        sw = v.check_sample_weight(sample_weight, X_unit.shape[0], np.float64)
        labels = self._labels(X_unit, zero)
        similarities = self._similarities(X_unit, self.cluster_centers_)
        best = similarities[np.arange(len(labels)), labels]
        return -float(np.sum(sw * (1.0 - best)))
