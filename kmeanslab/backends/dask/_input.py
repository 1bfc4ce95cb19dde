"""X and sample weights as row-chunked dask arrays, and the estimator's
input checks for Dask data (none of which computes X)."""

from __future__ import annotations

import dask.array as da
import numpy as np

from ..._validation import record_features

__all__ = ["as_dask_array", "as_dask_weights", "feature_names", "validate_dask_X"]


def as_dask_array(X, *, name="X"):
    """X as a 2-D float32/float64 dask array chunked along rows only, with
    known chunk sizes; a Dask DataFrame of numeric columns is converted.

    Lazy apart from a pass to learn unknown chunk sizes; values (NaN,
    infinity) are checked by the first pass of a fit
    (:meth:`DaskBackend.summary`).
    """
    if hasattr(X, "to_dask_array"):
        import pandas as pd

        bad = [c for c, t in X.dtypes.items()
               if not pd.api.types.is_numeric_dtype(t)
               or pd.api.types.is_complex_dtype(t)]
        if bad:
            raise TypeError(f"{name} must have numeric columns only; "
                            f"non-numeric: {bad[:5]}")
        X = X.to_dask_array(lengths=True)
    elif not isinstance(X, da.Array):
        raise TypeError(f"{name} must be a dask Array or DataFrame, "
                        f"got {type(X).__name__}")
    check_dense_blocks(X._meta, name)
    if X.dtype.kind == "c":
        raise TypeError(f"{name} must be real-valued, got complex dtype {X.dtype}")
    if X.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got dtype {X.dtype}")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got "
                         f"{X.ndim}-D array of shape {X.shape}")
    if any(np.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()
    if X.numblocks[1] != 1:
        X = X.rechunk({1: -1})
    if X.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has 0 samples (shape {X.shape})")
    if X.shape[1] == 0:
        raise ValueError(f"{name} has 0 features (shape {X.shape})")
    return X


def check_dense_blocks(block, name="X"):
    """Refuse a SciPy sparse block (or a dask array's ``_meta`` saying its
    blocks are sparse) in one line: the Dask backend's kernels read dense
    rows, and densifying every block behind the user's back could need far
    more memory than the sparse data.

    Raises
    ------
    TypeError
        Naming ``name`` and the block's type, with the two ways out.
    """
    if type(block).__module__.startswith("scipy.sparse"):
        raise TypeError(
            f"{name} is a dask array of SciPy sparse blocks "
            f"({type(block).__name__}), which the Dask backend does not "
            f"accept: fit {name}.compute() (one SciPy sparse matrix) in "
            f"memory, or densify the blocks with {name}.map_blocks(lambda b: "
            f"b.toarray(), meta=numpy.empty((0, 0), {name}.dtype))")


def feature_names(X):
    """Column names of a Dask DataFrame when they are all strings, else None
    (what scikit-learn stores as ``feature_names_in_``)."""
    cols = getattr(X, "columns", None)
    if cols is None or not all(isinstance(c, str) for c in cols):
        return None
    return np.asarray(list(cols), dtype=object)


def validate_dask_X(estimator, X, reset):
    """``KMeans._validate_X`` for Dask input, without computing X: X as a
    dask array (:func:`as_dask_array`); sets ``n_features_in_`` and
    ``feature_names_in_`` when ``reset``, else checks the feature count."""
    names = feature_names(X)
    X = as_dask_array(X)
    record_features(estimator, X.shape[1], reset, names)
    return X


def as_dask_weights(sample_weight, X):
    """None, or sample_weight as a dask array of X's dtype with X's row
    chunks (values are checked by the first pass)."""
    rows = (X.chunks[0],)
    if sample_weight is None:
        return None
    if np.isscalar(sample_weight):
        return da.full(X.shape[0], sample_weight, dtype=X.dtype, chunks=rows)
    if hasattr(sample_weight, "to_dask_array"):
        sample_weight = sample_weight.to_dask_array(lengths=True)
    if not isinstance(sample_weight, da.Array):
        try:
            sample_weight = np.asarray(sample_weight, dtype=X.dtype)
        except (ValueError, TypeError):
            raise TypeError("sample_weight must be numeric") from None
    sw = sample_weight
    if sw.ndim != 1 or sw.shape[0] != X.shape[0]:
        raise ValueError(f"sample_weight must have shape ({X.shape[0]},), "
                         f"got {sw.shape}")
    if sw.dtype.kind not in "biuf":
        raise TypeError(f"sample_weight must be numeric, got dtype {sw.dtype}")
    if isinstance(sw, np.ndarray):
        return da.from_array(sw, chunks=rows)
    if any(np.isnan(c) for c in sw.chunks[0]):
        sw = sw.compute_chunk_sizes()
    return sw.astype(X.dtype).rechunk(rows)
