"""Bad input: every error is a ValueError or TypeError naming the parameter."""

import numpy as np
import pytest

from kmeanslab import KMeans, kmeans, kmeans_plusplus


def _X():
    rng = np.random.RandomState(0)
    return rng.normal(size=(30, 2))


def _with(value, where=(3, 1)):
    X = _X()
    X[where] = value
    return X


# (id, kwargs for kmeans(X=..., ...), expected exception, pattern naming the
# parameter). "X" patterns use a word boundary so "max_iter" etc. cannot match.
BAD_INPUTS = [
    ("X-nan", dict(X=_with(np.nan)), ValueError, r"\bX\b.*NaN"),
    ("X-inf", dict(X=_with(np.inf)), ValueError, r"\bX\b.*inf"),
    ("X-neg-inf", dict(X=_with(-np.inf)), ValueError, r"\bX\b.*inf"),
    ("X-empty", dict(X=np.empty((0, 2))), ValueError, r"\bX\b"),
    ("X-no-features", dict(X=np.empty((5, 0))), ValueError, r"\bX\b"),
    ("X-1d", dict(X=np.arange(10.0)), ValueError, r"\bX\b.*2-D"),
    ("X-3d", dict(X=np.zeros((4, 2, 2))), ValueError, r"\bX\b.*2-D"),
    ("X-strings", dict(X=np.array([["a", "b"], ["c", "d"]])), TypeError, r"\bX\b.*numeric"),
    ("X-mixed-object", dict(X=np.array([["a", 1.0], [2.0, 3.0]], dtype=object)),
     TypeError, r"\bX\b.*numeric"),
    ("X-complex", dict(X=_X() + 1j), TypeError, r"\bX\b"),
    ("n_clusters-zero", dict(n_clusters=0), ValueError, "n_clusters"),
    ("n_clusters-negative", dict(n_clusters=-2), ValueError, "n_clusters"),
    ("n_clusters-too-many", dict(n_clusters=31), ValueError, "n_clusters"),
    ("n_clusters-float", dict(n_clusters=2.5), TypeError, "n_clusters"),
    ("init-rows", dict(n_clusters=3, init=np.zeros((2, 2))), ValueError, "init"),
    ("init-features", dict(n_clusters=3, init=np.zeros((3, 5))), ValueError, "init"),
    ("init-1d", dict(n_clusters=3, init=np.zeros(3)), ValueError, "init"),
    ("init-nan", dict(n_clusters=2, init=np.array([[0.0, np.nan], [1.0, 1.0]])),
     ValueError, "init"),
    ("init-unknown-name", dict(init="kmeans+++"), ValueError, "init"),
    ("sample_weight-negative", dict(sample_weight=np.r_[-1.0, np.ones(29)]),
     ValueError, "sample_weight"),
    ("sample_weight-short", dict(sample_weight=np.ones(29)), ValueError, "sample_weight"),
    ("sample_weight-2d", dict(sample_weight=np.ones((30, 1))), ValueError, "sample_weight"),
    ("sample_weight-nan", dict(sample_weight=np.r_[np.nan, np.ones(29)]),
     ValueError, "sample_weight"),
    ("sample_weight-all-zero", dict(sample_weight=np.zeros(30)), ValueError, "sample_weight"),
    ("sample_weight-strings", dict(sample_weight=np.array(["a"] * 30)),
     TypeError, "sample_weight"),
    ("max_iter-zero", dict(max_iter=0), ValueError, "max_iter"),
    ("max_iter-float", dict(max_iter=1.5), TypeError, "max_iter"),
    ("tol-negative", dict(tol=-1e-3), ValueError, "tol"),
    ("tol-nan", dict(tol=np.nan), ValueError, "tol"),
    ("n_init-zero", dict(n_init=0), ValueError, "n_init"),
    ("n_init-string", dict(n_init="many"), TypeError, "n_init"),
    ("algorithm-unknown", dict(algorithm="fast"), ValueError, "algorithm"),
    ("n_threads-zero", dict(n_threads=0), ValueError, "n_threads"),
]
IDS = [case[0] for case in BAD_INPUTS]


@pytest.mark.parametrize("case", BAD_INPUTS, ids=IDS)
def test_kmeans_rejects_bad_input(case):
    _, kwargs, exc, pattern = case
    kwargs = dict(kwargs)
    X = kwargs.pop("X", _X())
    kwargs.setdefault("n_clusters", 2)
    with pytest.raises(exc, match=pattern):
        kmeans(X, **kwargs)


@pytest.mark.parametrize("case", BAD_INPUTS, ids=IDS)
def test_estimator_rejects_bad_input(case):
    """The estimator raises the same kinds of error. Messages about X come
    from scikit-learn's own validation, so only parameter messages are
    matched here."""
    _, kwargs, exc, pattern = case
    kwargs = dict(kwargs)
    X = kwargs.pop("X", _X())
    sample_weight = kwargs.pop("sample_weight", None)
    kwargs.setdefault("n_clusters", 2)
    with pytest.raises((ValueError, TypeError)) as info:
        KMeans(**kwargs).fit(X, sample_weight=sample_weight)
    if not pattern.startswith(r"\bX"):
        assert isinstance(info.value, exc)
        assert info.match(pattern)


@pytest.mark.parametrize("case", [c for c in BAD_INPUTS if c[0].split("-")[0] in
                                  ("X", "n_clusters", "sample_weight")],
                         ids=[c[0] for c in BAD_INPUTS if c[0].split("-")[0] in
                              ("X", "n_clusters", "sample_weight")])
def test_kmeans_plusplus_rejects_bad_input(case):
    _, kwargs, exc, pattern = case
    kwargs = dict(kwargs)
    X = kwargs.pop("X", _X())
    kwargs.setdefault("n_clusters", 2)
    with pytest.raises(exc, match=pattern):
        kmeans_plusplus(X, **kwargs)


def test_values_near_the_float_limit():
    """|X| ~ 1e305: squared distances overflow float64. Either X is refused
    with a ValueError naming it, or the clustering is the unscaled one."""
    X = _X()
    base = kmeans(X, 2, random_state=0)
    try:
        big = kmeans(X * 1e305, 2, random_state=0)
    except ValueError as exc:
        assert "X" in str(exc)
        return
    np.testing.assert_array_equal(big.labels, base.labels)
    assert np.isfinite(big.centers).all()
    np.testing.assert_allclose(big.centers / 1e305, base.centers, rtol=1e-9)


def test_predict_rejects_bad_X():
    km = KMeans(2, random_state=0).fit(_X())
    with pytest.raises(ValueError, match="NaN"):
        km.predict(_with(np.nan))
    with pytest.raises(TypeError):
        km.predict(np.array([["a", "b"]]))


def test_unfitted_estimator_raises():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        KMeans(2).predict(_X())


@pytest.mark.parametrize("X, n_clusters", [
    (np.array([[1.0, 2.0]]), 1),
    (np.array([[True, False], [False, True], [True, True]]), 2),
    (np.arange(12, dtype=np.int32).reshape(6, 2), 2),
    ([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]], 3),
], ids=["one-sample", "bool", "int32", "list"])
def test_accepted_edge_inputs(X, n_clusters):
    result = kmeans(X, n_clusters, random_state=0)
    assert result.centers.shape == (n_clusters, np.asarray(X).shape[1])
    assert np.isfinite(result.inertia)
