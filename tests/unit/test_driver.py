"""Tests for the fit driver (``kmeanslab._driver``): the algorithm rule,
the working space (centring, power-of-two scaling), restarts and the best
run, the warnings, and how it asks a backend what it supports."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning

from kmeanslab import KMeans, KMeansResult, kmeans
from kmeanslab._driver import (WorkingSpace, fit, resolve_algorithm,
                               scale_exponent)
from kmeanslab.backends._cpu import CPUBackend

ALGORITHMS = ["lloyd", "hamerly", "elkan", "auto"]
DTYPES = [pytest.param(np.float64, id="float64"),
          pytest.param(np.float32, id="float32")]
FIT = dict(init="k-means++", n_init=1, max_iter=300, tol=1e-4,
           algorithm="auto", random_state=0, record_labels=False, copy_x=True,
           n_threads=None, refine=None)


def _backend(X, cls=CPUBackend):
    return cls(X, np.ones(len(X), dtype=X.dtype))


# --- The algorithm ------------------------------------------------------------------

@pytest.mark.parametrize("algorithm, n_samples, n_features, n_clusters, expected", [
    ("lloyd", 1000, 2, 20, "lloyd"),
    ("hamerly", 10, 2, 5, "hamerly"),
    ("elkan", 1000, 2, 5, "hamerly"),
    ("auto", 1000, 2, 20, "hamerly"),
    ("auto", 1000, 15, 9, "hamerly"),
    ("auto", 1000, 16, 20, "lloyd"),
    ("auto", 1000, 2, 8, "lloyd"),
    ("auto", 100, 2, 20, "lloyd"),
    ("auto", 1000, 2, 1, "lloyd"),
], ids=["lloyd", "hamerly", "elkan", "auto-few-features", "auto-edge",
        "auto-many-features", "auto-few-clusters", "auto-small", "auto-k1"])
def test_resolve_algorithm(algorithm, n_samples, n_features, n_clusters, expected):
    assert resolve_algorithm(algorithm, n_samples, n_features, n_clusters) == expected


def test_auto_switches_where_lloyd_switches_to_blas():
    from kmeanslab._driver import AUTO_LLOYD_MIN_FEATURES
    from kmeanslab._kernels.common import BLAS_MIN_FEATURES

    assert AUTO_LLOYD_MIN_FEATURES == BLAS_MIN_FEATURES


def test_algorithm_is_reported(seed_blobs):
    X, init = seed_blobs
    assert kmeans(X, 4, init=init, algorithm="elkan").algorithm == "hamerly"
    assert KMeans(4, init=init, algorithm="auto").fit(X).algorithm_ == "lloyd"
    assert KMeans(12, algorithm="auto", random_state=0).fit(X).algorithm_ == "hamerly"
    assert KMeans(12, algorithm="auto").fit(X[:100]).algorithm_ == "lloyd"


class _LloydOnly(CPUBackend):
    """The in-memory backend, pretending to have Lloyd only, no breathing
    and no k-means++ (run as "random")."""

    name = "lloyd-only"
    algorithms = ("lloyd",)
    refinements = ()
    init_aliases = {"k-means++": "random"}


def test_backend_without_the_algorithm_runs_lloyd(blobs):
    X, init = blobs
    bounded = fit(_backend(X), 3, **dict(FIT, init=init, algorithm="hamerly"))
    plain = fit(_backend(X, _LloydOnly), 3,
                **dict(FIT, init=init, algorithm="hamerly"))
    assert (bounded.algorithm, plain.algorithm) == ("hamerly", "lloyd")
    np.testing.assert_array_equal(plain.labels, bounded.labels)
    assert plain.n_iter == bounded.n_iter


def test_backend_init_aliases_and_refinements(blobs):
    X, _ = blobs
    aliased = fit(_backend(X, _LloydOnly), 3, **FIT)
    direct = fit(_backend(X, _LloydOnly), 3, **dict(FIT, init="random", n_init=1))
    np.testing.assert_array_equal(aliased.centers, direct.centers)
    with pytest.raises(ValueError, match="refine='breathing' is not available "
                                         "on the lloyd-only backend"):
        fit(_backend(X, _LloydOnly), 3, **dict(FIT, refine="breathing"))
    with pytest.raises(ValueError, match="refine must be None or 'breathing'"):
        fit(_backend(X), 3, **dict(FIT, refine="breath"))


# --- Result, dtypes ---------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_dtype_is_kept(blobs, dtype, algorithm):
    X, init = blobs
    result = kmeans(X.astype(dtype), 3, init=init, algorithm=algorithm)
    assert isinstance(result, KMeansResult)
    assert result.centers.dtype == dtype
    assert result.trace.centers.dtype == dtype
    km = KMeans(3, random_state=0, algorithm=algorithm).fit(X.astype(dtype))
    assert km.cluster_centers_.dtype == dtype
    assert km.transform(X.astype(dtype)).dtype == dtype


def test_best_of_n_init_is_kept(random_seed):
    X, _ = make_blobs(n_samples=600, centers=10, cluster_std=3.0,
                      random_state=random_seed)
    result = kmeans(X, 10, n_init=5, init="random", random_state=random_seed)
    inertias = [run.inertia for run in result.trace.runs]
    assert result.inertia == pytest.approx(min(inertias), rel=1e-9)
    assert result.trace.best.inertia == pytest.approx(result.inertia, rel=1e-12)


def test_array_init_with_n_init_warns_and_runs_once(blobs):
    X, init = blobs
    with pytest.warns(RuntimeWarning, match="n_init"):
        result = kmeans(X, 3, init=init, n_init=5)
    assert len(result.trace.runs) == 1


def test_warnings_point_at_the_callers_line():
    """stacklevel: the warnings of kmeans() name this file, not the
    library's."""
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 1.0]]), 3, axis=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kmeans(X, 3, init=X[:3], n_init=2)
    messages = [(w.category, w.filename) for w in caught]
    assert (RuntimeWarning, __file__) in messages
    assert (ConvergenceWarning, __file__) in messages
    assert all(filename == __file__ for category, filename in messages
               if category in (RuntimeWarning, ConvergenceWarning))


def test_fewer_distinct_clusters_warns_once_per_fit():
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]]), 4, axis=0)
    with pytest.warns(ConvergenceWarning, match=r"distinct clusters \(3\) found "
                                                r"smaller than n_clusters \(4\)"):
        result = kmeans(X, 4, random_state=0)
    assert isinstance(result, KMeansResult)


def test_no_warning_on_regular_data(blobs):
    X, init = blobs
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("error", RuntimeWarning)
        kmeans(X, 3, init=init)


# --- The working space --------------------------------------------------------------

@pytest.mark.parametrize("amax, exponent", [
    (0.0, 0), (1.0, 0), (2.0**60, 0), (2.0**-60, 0), (2.0**61, -61),
    (3.0e-30, 98), (1e300, -997)])
def test_scale_exponent(amax, exponent):
    assert scale_exponent(amax) == exponent


@pytest.mark.parametrize("dtype", DTYPES)
def test_working_space_round_trip(dtype):
    shift = np.array([1.5, -2.0], dtype=dtype)
    space = WorkingSpace(dtype, shift, -3, 0.5)
    centers = np.array([[1.0, 2.0], [-4.0, 8.0]], dtype=dtype)
    working = space.to_working(centers)
    np.testing.assert_array_equal(working, (centers - shift) / 8)
    np.testing.assert_array_equal(space.to_user(working), centers)
    assert space.inertia_to_user(2.0) == 128.0
    assert space.inertia_to_user(1e307) == np.inf
    plain = WorkingSpace(dtype, None, 0, 1.0)
    np.testing.assert_array_equal(plain.to_working(centers), centers)


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly"])
def test_copy_x_false_gives_the_same_clustering_and_keeps_X(blobs, algorithm):
    X, init = blobs
    X_before = X.copy()
    a = kmeans(X, 3, init=init, algorithm=algorithm, copy_x=True)
    b = kmeans(X, 3, init=init, algorithm=algorithm, copy_x=False)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert a.n_iter == b.n_iter
    np.testing.assert_allclose(a.centers, b.centers, rtol=1e-12, atol=1e-12)
    assert a.inertia == pytest.approx(b.inertia, rel=1e-12)


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly"])
@pytest.mark.parametrize("init", ["array", "k-means++"])
@pytest.mark.parametrize("copy_x", [True, False], ids=["copy", "nocopy"])
@pytest.mark.parametrize("scale", [1e150, 1e-150], ids=["1e150", "1e-150"])
def test_extreme_magnitudes(blobs, random_seed, algorithm, init, copy_x, scale):
    X, init_array = blobs
    kw = dict(algorithm=algorithm, copy_x=copy_x, random_state=random_seed)
    if init == "array":
        base = kmeans(X, 3, init=init_array, **kw)
        scaled = kmeans(X * scale, 3, init=init_array * scale, **kw)
    else:
        base = kmeans(X, 3, init=init, **kw)
        scaled = kmeans(X * scale, 3, init=init, **kw)
    assert np.isfinite(scaled.centers).all() and np.isfinite(scaled.inertia)
    np.testing.assert_array_equal(scaled.labels, base.labels)
    assert scaled.n_iter == base.n_iter
    np.testing.assert_allclose(scaled.centers / scale, base.centers, rtol=1e-9,
                               atol=1e-9)
    assert scaled.inertia / scale**2 == pytest.approx(base.inertia, rel=1e-9)
    assert np.all(np.isfinite(scaled.trace.inertia))


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly"])
def test_tiny_magnitudes_do_not_crash(blobs, algorithm):
    """|X| ~ 1e-160 (below 2**-512): the result is still the unscaled
    clustering, scaled; the inertia may underflow but must not overflow."""
    X, init = blobs
    scale = 1e-160
    base = kmeans(X, 3, init=init, algorithm=algorithm)
    scaled = kmeans(X * scale, 3, init=init * scale, algorithm=algorithm)
    np.testing.assert_array_equal(scaled.labels, base.labels)
    np.testing.assert_allclose(scaled.centers / scale, base.centers, rtol=1e-9,
                               atol=1e-9)
    assert np.isfinite(scaled.inertia) and scaled.inertia >= 0


def test_single_cluster(blobs):
    X, _ = blobs
    result = kmeans(X, 1, random_state=0)
    np.testing.assert_allclose(result.centers, X.mean(axis=0, keepdims=True),
                               rtol=1e-12, atol=1e-12)
    assert result.inertia == pytest.approx(((X - X.mean(axis=0)) ** 2).sum(), rel=1e-12)
    assert result.algorithm == "lloyd"
