"""Parameter rules shared by the public functions, the estimator and the CLI.

Every check raises ``ValueError`` or ``TypeError`` with a one-line message that
names the parameter and the offending value.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from ._options import ALGORITHMS, INIT_NAMES, PRECISIONS, REFINE_METHODS


def check_no_text(X, *, name="X"):
    """Refuse text: an array of strings or bytes, or objects among which some
    are strings (a DataFrame's text column), as scikit-learn's
    ``check_array(dtype="numeric")`` refuses them.

    k-means never parses text: numbers given as strings ("1.5") are a
    mistake to fix where the data is read, not something to guess at.
    Object arrays of numbers are fine (they are converted as usual).

    Raises
    ------
    TypeError
        Naming X, its dtype (or column) and the first text value.
    """
    if hasattr(X, "columns") and hasattr(X, "dtypes"):  # a DataFrame
        for column, dtype in zip(X.columns, X.dtypes):
            if getattr(dtype, "kind", "O") in "OUS":
                _refuse_text(np.asarray(X[column], dtype=object), name,
                             f"column {column!r}")
        return
    if not hasattr(X, "dtype"):
        try:
            X = np.asarray(X)
        except (ValueError, TypeError):
            return  # not an array at all: left to the numeric conversion
    if X.dtype.kind in "OUS":
        _refuse_text(X, name, f"dtype {X.dtype}")


def _refuse_text(values, name, where):
    if values.dtype.kind in "US":
        first = values.ravel()[0] if values.size else ""
    else:
        # Object arrays are rare and small next to numeric ones: a scan.
        first = next((v for v in values.ravel() if isinstance(v, (str, bytes))), None)
        if first is None:
            return
    raise TypeError(f"{name} holds text ({where}, e.g. {first!r}); k-means needs "
                    f"numeric data and does not convert strings: convert {name} "
                    f"explicitly (for example {name}.astype(float)) or leave out "
                    f"its text columns")


def check_X(X, *, name="X", dtype=None):
    """Return X as a 2-D float32/float64 ndarray, refusing what k-means cannot use.

    float32 and float64 are kept as given; other numeric types become float64.
    Text is refused (:func:`check_no_text`), even numbers written as strings.
    """
    if hasattr(X, "iloc") or hasattr(X, "to_numpy"):
        check_no_text(X, name=name)
        X = X.to_numpy()
    if not isinstance(X, np.ndarray):
        try:
            X = np.asarray(X)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{name} could not be read as a numeric array: {exc}") from None
    check_no_text(X, name=name)
    if X.dtype.kind not in "biuf":
        if X.dtype.kind == "c":
            raise TypeError(f"{name} must be real-valued, got complex dtype {X.dtype}")
        try:
            X = X.astype(np.float64)
        except (ValueError, TypeError):
            raise TypeError(
                f"{name} must be numeric, got dtype {X.dtype} with non-numeric values"
            ) from None
    if dtype is not None:
        X = X.astype(dtype, copy=False)
    elif X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if X.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_features), got {X.ndim}-D array of shape "
            f"{X.shape}; reshape 1-D data with X.reshape(-1, 1)"
        )
    if X.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has 0 samples (shape {X.shape})")
    if X.shape[1] == 0:
        raise ValueError(f"{name} has 0 features (shape {X.shape})")
    # A finite sum proves every value finite without a boolean temporary;
    # only when it is not (or overflows) look value by value.
    with np.errstate(over="ignore", invalid="ignore"):
        total = X.sum(dtype=np.float64)
    if not np.isfinite(total) and not np.isfinite(X).all():
        what = "NaN" if np.isnan(X).any() else "infinity"
        raise ValueError(f"{name} contains {what}; remove or impute non-finite values first")
    return X


def check_sparse_X(X, *, name="X", dtype=None):
    """Return a SciPy sparse X as a canonical CSR matrix or array of float32
    or float64, refusing what k-means cannot use.

    CSC, COO and the other formats are converted to CSR once (a copy);
    duplicate entries are summed and indices sorted (on a copy, never in the
    user's matrix). float32 and float64 are kept; other numeric types become
    float64. Explicit zeros are kept: they change nothing.
    """
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got "
                         f"{X.ndim}-D sparse input of shape {X.shape}")
    if X.format != "csr":
        X = X.tocsr()
    if X.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be real-valued and numeric, got sparse "
                        f"dtype {X.dtype}")
    target = dtype if dtype is not None else (
        X.dtype if X.dtype in (np.float32, np.float64) else np.float64)
    if X.dtype != target:
        X = X.astype(target)
    if X.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has 0 samples (shape {X.shape})")
    if X.shape[1] == 0:
        raise ValueError(f"{name} has 0 features (shape {X.shape})")
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    if not np.isfinite(X.data).all():
        what = "NaN" if np.isnan(X.data).any() else "infinity"
        raise ValueError(f"{name} contains {what}; remove or impute non-finite "
                         f"values first")
    return X


def check_int(value, name, minimum=1, *, accepted="an integer"):
    """Return ``value`` as an int, refusing non-integers (and bools) and values
    below ``minimum``; ``name`` is the parameter named in the message and
    ``accepted`` says what else it may be (e.g. "an integer or 'auto'").

    The one integer rule of the package: every integer parameter is checked
    here.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {accepted}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_n_clusters(n_clusters, n_samples):
    n_clusters = check_int(n_clusters, "n_clusters")
    if n_clusters > n_samples:
        # The end in scikit-learn's words, which its tests match.
        raise ValueError(
            f"n_clusters={n_clusters} is larger than n_samples={n_samples}: "
            f"n_samples should be >= n_clusters"
        )
    return n_clusters


def check_sample_weight(sample_weight, n_samples, dtype):
    if sample_weight is None:
        return np.ones(n_samples, dtype=dtype)
    if isinstance(sample_weight, numbers.Number):
        sample_weight = np.full(n_samples, sample_weight, dtype=dtype)
    try:
        sw = np.asarray(sample_weight, dtype=dtype)
    except (ValueError, TypeError):
        raise TypeError("sample_weight must be numeric") from None
    if sw.ndim != 1 or sw.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight must have shape ({n_samples},), got {sw.shape}"
        )
    if not np.isfinite(sw).all():
        raise ValueError("sample_weight contains NaN or infinity")
    if (sw < 0).any():
        raise ValueError(
            f"sample_weight must be non-negative, got minimum {sw.min()!r}"
        )
    if not sw.sum() > 0:
        raise ValueError("sample_weight is all zero: it must contain at least "
                         "one non-zero weight")
    return np.ascontiguousarray(sw)


def check_init(init, n_clusters, n_features, dtype):
    """Return init as a string name, a callable, or a (n_clusters, n_features) array."""
    if isinstance(init, str):
        if init not in INIT_NAMES:
            raise ValueError(
                f"init must be one of {INIT_NAMES}, a callable or an "
                f"array of shape (n_clusters, n_features); got {init!r}"
            )
        return init
    if callable(init):
        return init
    arr = check_X(_dense_init(init), name="init", dtype=dtype)
    check_init_shape(arr.shape, n_clusters, n_features,
                     f"init must have shape (n_clusters, n_features) = "
                     f"({n_clusters}, {n_features})")
    return arr


def _dense_init(init):
    """An init array as something :func:`check_X` reads: a Dask collection
    computed, and SciPy sparse centres refused in one line, as scikit-learn
    refuses them (``np.asarray`` would wrap them in a 0-d object array and
    the message would speak of non-numeric values)."""
    what = fix = None
    if type(init).__module__.startswith("dask"):
        meta = getattr(init, "_meta", None)
        if type(meta).__module__.startswith("scipy.sparse"):
            what = f"a dask array of SciPy sparse blocks ({type(meta).__name__})"
            fix = "init.compute().toarray()"
        else:
            init = init.compute()
    if type(init).__module__.startswith("scipy.sparse"):
        what, fix = f"a SciPy sparse {type(init).__name__}", "init.toarray()"
    if what is not None:
        raise TypeError(f"init must be a dense array of shape (n_clusters, "
                        f"n_features), got {what}; pass {fix} (the centres "
                        f"are dense whatever X is)")
    return init


def check_init_shape(shape, n_clusters, n_features, advice):
    """Refuse initial centres of the wrong ``shape`` with scikit-learn's
    wording ("The shape of the initial centers ... does not match the number
    of clusters" / "of features of the data") followed by ``advice``, which
    names the parameter."""
    for axis, size, what in ((0, n_clusters, "the number of clusters"),
                             (1, n_features, "the number of features of the data")):
        if shape[axis] != size:
            raise ValueError(f"The shape of the initial centers {shape} does not "
                             f"match {what} {size}: {advice}")


def check_n_init(n_init, init):
    """``n_init`` as an int; "auto" is 10 for init "random" or a callable
    (seedings that may vary a lot) and 1 otherwise, as in scikit-learn."""
    if isinstance(n_init, str) and n_init == "auto":
        varies = (isinstance(init, str) and init == "random") or (
            callable(init) and not isinstance(init, str))
        return 10 if varies else 1
    return check_int(n_init, "n_init", accepted="a positive integer or 'auto'")


def check_max_iter(max_iter):
    return check_int(max_iter, "max_iter", accepted="a positive integer")


def check_tol(tol):
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real):
        raise TypeError(f"tol must be a non-negative number, got {tol!r}")
    if not np.isfinite(tol) or tol < 0:
        raise ValueError(f"tol must be a finite number >= 0, got {tol}")
    return float(tol)


def check_algorithm(algorithm):
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {ALGORITHMS}, got {algorithm!r}")
    return algorithm


def check_n_threads(n_threads):
    """None (leave the thread count alone) or a positive int."""
    return None if n_threads is None else check_int(n_threads, "n_threads")


def record_features(estimator, n_features, reset, names=None):
    """What ``validate_data`` does with the feature count for input it cannot
    see (Dask collections, tensors): on ``reset`` set ``n_features_in_``
    and ``feature_names_in_`` (removed when ``names`` is None), else check
    the count against the fitted one.

    Raises
    ------
    ValueError
        When the count differs from the fitted ``n_features_in_``.
    """
    if reset:
        estimator.n_features_in_ = n_features
        if names is not None:
            estimator.feature_names_in_ = names
        else:
            estimator.__dict__.pop("feature_names_in_", None)
    elif n_features != estimator.n_features_in_:
        raise ValueError(f"X has {n_features} features, but "
                         f"{type(estimator).__name__} is expecting "
                         f"{estimator.n_features_in_} features as input.")


def check_precision(precision):
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(map(repr, PRECISIONS))}"
                         f", got {precision!r}")
    return precision


def check_refine(refine):
    """None (plain k-means) or one of ``REFINE_METHODS``."""
    if refine is not None and refine not in REFINE_METHODS:
        choices = " or ".join(["None"] + [repr(m) for m in REFINE_METHODS])
        raise ValueError(f"refine must be {choices}, got {refine!r}")
    return refine


def check_run_params(n_samples, n_features, dtype, *, n_clusters, init, n_init,
                     max_iter, tol, algorithm, n_threads, stacklevel=3):
    """The parameter rules every fit shares, whatever backend holds X.

    Returns (n_clusters, init, n_init, max_iter, tol, algorithm, n_threads)
    validated; an explicit init array forces ``n_init=1`` with a warning, as
    in scikit-learn (``stacklevel`` counts from this function, so that the
    warning points at the user's call).
    """
    n_clusters = check_n_clusters(n_clusters, n_samples)
    init = check_init(init, n_clusters, n_features, dtype)
    n_init = check_n_init(n_init, init)
    if isinstance(init, np.ndarray) and n_init != 1:
        warnings.warn(
            f"Explicit initial center position passed: performing only one init "
            f"instead of n_init={n_init}.", RuntimeWarning, stacklevel=stacklevel)
        n_init = 1
    algorithm = check_algorithm(algorithm)
    if n_clusters == 1 and algorithm not in ("auto", "lloyd"):
        # Bounds between centres need two centres (scikit-learn's warning).
        warnings.warn(
            f"algorithm={algorithm!r} doesn't make sense for a single cluster. "
            f"Using 'lloyd' instead.", RuntimeWarning, stacklevel=stacklevel)
        algorithm = "lloyd"
    return (n_clusters, init, n_init, check_max_iter(max_iter), check_tol(tol),
            algorithm, check_n_threads(n_threads))
