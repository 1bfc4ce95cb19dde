"""``KMeans``: the scikit-learn estimator, a thin shell over :func:`kmeans`."""

from __future__ import annotations

import logging
import sys
from contextlib import contextmanager

import numpy as np
from sklearn.base import (BaseEstimator, ClassNamePrefixFeaturesOutMixin,
                          ClusterMixin, TransformerMixin)
from sklearn.utils.validation import check_is_fitted, validate_data

from ._params import fill_doc
from ._validation import check_no_text, check_sample_weight, check_sparse_X
from .backends import get_backend, is_dask_collection, is_sparse, is_torch_tensor
from ._driver import distance_space
from .core import kmeans

logger = logging.getLogger("kmeanslab")


@fill_doc
class KMeans(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin,
             BaseEstimator):
    """k-means clustering, a drop-in replacement for ``sklearn.cluster.KMeans``.

    Parameters
    ----------
    {n_clusters}
    {init}
    {n_init}
    {max_iter}
    {tol}
    verbose : int, default=0
        Print each run's progress to stdout as scikit-learn does
        ("Initialization complete", "Iteration i, inertia x.", "Converged at
        iteration i: ..."; the ``kmeanslab._engine`` logger at DEBUG) and
        log the trace table to the "kmeanslab" logger at INFO.
    {random_state}
    {copy_x}
    {algorithm}
    {record_labels}
    {n_threads}
    {refine}
    {precision}

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
    labels_ : ndarray of shape (n_samples,)
    inertia_ : float
    n_iter_ : int
        Iterations of the k-means run whose centres were returned, at most
        ``max_iter`` (as in scikit-learn). With ``refine="breathing"`` that
        is the last kept breathing run (or the first run when no cycle was
        kept); every run is capped by ``max_iter``, and all their
        iterations are in ``trace_`` (``trace_.phases``).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when X has string column names.
    trace_ : ConvergenceTrace
        Per-iteration centres, inertia, shifts, changed labels, relocations
        and timings, for every restart.
    algorithm_ : str
        The algorithm that ran.
    cluster_centers_tensor_, labels_tensor_ : torch.Tensor
        Only after a fit on a PyTorch tensor: the centres and labels as
        tensors on X's device (``cluster_centers_`` and ``labels_`` stay
        NumPy arrays, as scikit-learn promises). ``predict``, ``transform``
        and ``score`` accept tensors and answer in NumPy;
        :func:`kmeanslab.backends.torch.predict_torch` answers on the device.

    See Also
    --------
    kmeans : the function behind this estimator.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeanslab import KMeans
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> sorted(km.cluster_centers_.tolist())
    [[1.0, 2.0], [10.0, 2.0]]
    >>> int(km.predict([[0, 0]])[0]) == int(km.labels_[0])
    True
    """

    def __init__(self, n_clusters=8, *, init="k-means++", n_init="auto",
                 max_iter=300, tol=1e-4, verbose=0, random_state=None,
                 copy_x=True, algorithm="auto", record_labels=False,
                 n_threads=None, refine=None, precision="exact"):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.copy_x = copy_x
        self.algorithm = algorithm
        self.record_labels = record_labels
        self.n_threads = n_threads
        self.refine = refine
        self.precision = precision

    def _validate_X(self, X, reset, accept_sparse=True):
        if is_torch_tensor(X):
            from .backends.torch import validate_torch_X

            return validate_torch_X(self, X, reset)
        if is_dask_collection(X):
            from .backends.dask import validate_dask_X

            return validate_dask_X(self, X, reset)
        if is_sparse(X) and not accept_sparse:
            raise TypeError("partial_fit does not accept sparse X; use fit, "
                            "or pass X.toarray() in batches")
        if is_sparse(X):
            from .backends._sparse import summed_csr

            # Duplicate entries summed in X's own type (as X.toarray() sums
            # them) before scikit-learn's validation casts X to float.
            X = summed_csr(X)
        else:
            # Before scikit-learn's validation, which would parse "1.5".
            check_no_text(X)
        try:
            # Sparse input becomes CSR (CSC, COO, ... converted once).
            return validate_data(self, X, dtype=[np.float64, np.float32],
                                 accept_sparse="csr", reset=reset)
        except ValueError as exc:
            if "could not convert" in str(exc) or "convert" in str(exc).lower():
                raise TypeError(f"X must be numeric: {exc}") from None
            raise

    def fit(self, X, y=None, sample_weight=None):
        """Compute the clustering.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Sparse X is clustered as CSR (other formats are converted once)
            and never centred; the centres are dense.
        y : ignored
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        X = self._validate_X(X, reset=True)
        self._minibatch = None  # a later partial_fit starts afresh
        with _engine_progress(self.verbose):
            result = kmeans(
                X, self.n_clusters, sample_weight=sample_weight, init=self.init,
                n_init=self.n_init, max_iter=self.max_iter, tol=self.tol,
                algorithm=self.algorithm, random_state=self.random_state,
                record_labels=self.record_labels, copy_x=self.copy_x,
                n_threads=self.n_threads, refine=self.refine,
                precision=self.precision)
        _store_result(self, result)
        _store_tensors(self, X)
        if self.verbose:
            logger.info("%s", result.trace.to_pandas(all_runs=True).to_string())
        return self

    def partial_fit(self, X, y=None, sample_weight=None):
        """Update the centres with one mini-batch of X (Sculley 2010; see
        :class:`kmeanslab.minibatch.MiniBatchState`). The first batch is
        seeded with ``init`` and needs at least ``n_clusters`` samples; a
        later ``fit`` discards the mini-batch state. The per-batch trace is
        ``minibatch_trace_``."""
        from .minibatch import MiniBatchState

        if is_torch_tensor(X):
            raise TypeError("partial_fit does not accept a PyTorch tensor; use "
                            "fit, or pass X.cpu().numpy() in batches")
        first = getattr(self, "_minibatch", None) is None
        X = self._validate_X(X, reset=first, accept_sparse=False)
        if first:
            self._minibatch = MiniBatchState(self.n_clusters, init=self.init,
                                             random_state=self.random_state)
        state = self._minibatch.partial_fit(X, sample_weight)
        self.cluster_centers_ = state.centers
        self.labels_ = state.labels
        self.inertia_ = state.inertia
        self.n_steps_ = len(state.trace)
        self.minibatch_trace_ = state.trace
        self._n_features_out = self.n_clusters
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit and return ``labels_``."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def _backend_for(self, X, sample_weight=None):
        """``(backend, centers, exponent)`` over X and the fitted centres,
        both scaled by ``2**exponent`` where their magnitude demands it
        (:func:`kmeanslab._driver.distance_space`), as the fit scaled them."""
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        if is_dask_collection(X):
            backend = get_backend(X, sample_weight)
        elif is_torch_tensor(X):
            from .backends.torch import make_backend

            backend = make_backend(X, sample_weight, precision=self.precision)
        else:
            X = check_sparse_X(X) if is_sparse(X) else np.ascontiguousarray(X)
            sw = check_sample_weight(sample_weight, X.shape[0], X.dtype)
            backend = get_backend(X, sw)
        return distance_space(backend, self.cluster_centers_.astype(backend.dtype))

    def predict(self, X):
        """Index of the nearest centre for each sample of X (a lazy dask
        array for dask input)."""
        if is_dask_collection(X):
            from .backends.dask import predict_dask

            check_is_fitted(self)
            return predict_dask(self.cluster_centers_, self._validate_X(X, reset=False))
        backend, centers, _ = self._backend_for(X)
        return backend.user_labels(backend.assign(centers)[0])

    def transform(self, X):
        """Distances from each sample of X to every centre,
        shape (n_samples, n_clusters) (a lazy dask array for dask input)."""
        if is_dask_collection(X):
            from .backends.dask import transform_dask

            check_is_fitted(self)
            return transform_dask(self.cluster_centers_, self._validate_X(X, reset=False))
        backend, centers, exponent = self._backend_for(X)
        sq_dists = backend.sq_dists_to_centers(centers)
        dists = (sq_dists.sqrt().cpu().numpy() if is_torch_tensor(sq_dists)
                 else np.sqrt(sq_dists))
        if exponent:
            with np.errstate(over="ignore"):
                dists = np.ldexp(dists, -exponent).astype(dists.dtype, copy=False)
        return dists

    def fit_transform(self, X, y=None, sample_weight=None):
        """Fit, then return the distances to the centres."""
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def score(self, X, y=None, sample_weight=None):
        """Opposite of the inertia of X on the fitted centres."""
        backend, centers, exponent = self._backend_for(X, sample_weight)
        labels, _ = backend.assign(centers)
        with np.errstate(over="ignore"):
            return -float(np.ldexp(backend.inertia(centers, labels), -2 * exponent))

    def save(self, path, *, trace=False, force=False):
        """Write the fitted model to ``path`` without pickle (plain arrays
        and a JSON header; see :mod:`kmeanslab.persistence`); read it back
        with :func:`kmeanslab.load`.

        Parameters
        ----------
        path : str or path-like
        trace : bool, default=False
            Store ``trace_`` too.
        force : bool, default=False
            Overwrite an existing file.

        Returns
        -------
        pathlib.Path
        """
        from .persistence import save

        return save(self, path, trace=trace, force=force)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _store_result(estimator, result):
    """Set the fitted attributes of a k-means estimator from a fit result
    (KMeans and SphericalKMeans share them)."""
    estimator._n_init = len(result.trace.runs)
    estimator.cluster_centers_ = result.centers
    estimator.labels_ = result.labels
    estimator.inertia_ = result.inertia
    estimator.n_iter_ = result.n_iter
    estimator.trace_ = result.trace
    estimator.algorithm_ = result.algorithm
    estimator._n_features_out = estimator.cluster_centers_.shape[0]


def _store_tensors(estimator, X):
    """After a fit on a tensor, the centres and labels as tensors on its
    device too; after any other fit, no such attributes."""
    if not is_torch_tensor(X):
        for name in ("cluster_centers_tensor_", "labels_tensor_"):
            estimator.__dict__.pop(name, None)
        return
    import torch

    estimator.cluster_centers_tensor_ = torch.as_tensor(
        estimator.cluster_centers_, device=X.device)
    estimator.labels_tensor_ = torch.as_tensor(estimator.labels_, device=X.device)


@contextmanager
def _engine_progress(verbose):
    """While fitting with ``verbose``, show the engine's DEBUG progress
    lines on stdout (the stream in use when the fit starts); the logger's
    level and handlers are restored afterwards."""
    if not verbose:
        yield
        return
    engine = logging.getLogger("kmeanslab._engine")
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.setLevel(logging.DEBUG)
    level = engine.level
    engine.addHandler(handler)
    engine.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        engine.setLevel(level)
        engine.removeHandler(handler)


__all__ = ["KMeans"]
