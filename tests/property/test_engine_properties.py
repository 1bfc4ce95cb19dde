"""Hypothesis properties of the k-means engine on small arrays.

Where a property must hold exactly (row order, Hamerly against Lloyd) the
data are small integers clustered with ``copy_x=False``: every sum of
samples is then exact in float64, so any difference between two runs is the
algorithm's and not rounding's. ``derandomize=True`` keeps the examples the
same from run to run; ``@example`` pins cases that once failed.
"""

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kmeanslab import KMeans, kmeans

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning")

ALGORITHMS = ["lloyd", "hamerly"]
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True)


# --- Plain NumPy reference (kept here on purpose: no kmeanslab code) ---------

def ref_sq_dists(X, centers):
    diff = np.asarray(X, float)[:, None, :] - np.asarray(centers, float)[None, :, :]
    return (diff**2).sum(axis=-1)


def ref_wcss(X, centers, labels, sample_weight=None):
    w = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, float)
    d = ref_sq_dists(X, centers)
    return float((w * d[np.arange(len(X)), labels]).sum())


# --- Strategies ----------------------------------------------------------------

@st.composite
def float_problems(draw, max_n=20, max_d=3, max_k=5, weighted=None):
    """(X, init, sample_weight): real-valued data, init drawn from the rows."""
    n = draw(st.integers(2, max_n))
    d = draw(st.integers(1, max_d))
    k = draw(st.integers(1, min(n, max_k)))
    # Four decimals in [-100, 100]: real-valued, but no magnitudes near the
    # float limits (tests/unit/test_core.py covers those).
    X = draw(arrays(np.float64, (n, d),
                    elements=st.integers(-10**6, 10**6).map(lambda v: v / 1e4)))
    rows = draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k))
    if weighted is None:
        weighted = draw(st.booleans())
    sw = None
    if weighted:
        sw = draw(arrays(np.float64, (n,), elements=st.floats(0.1, 10.0)))
    return X, X[rows].copy(), sw


@st.composite
def integer_problems(draw, max_n=20, max_d=3, max_k=5, weights=False,
                     distinct_init=False):
    """(X, init, sample_weight): small integer-valued data and an init of
    integer points (rows of X or arbitrary), optional integer weights."""
    n = draw(st.integers(2, max_n))
    d = draw(st.integers(1, max_d))
    k = draw(st.integers(1, min(n, max_k)))
    X = draw(arrays(np.float64, (n, d), elements=st.integers(-8, 8).map(float)))
    if draw(st.booleans()):
        rows = draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k,
                             unique=distinct_init))
        init = X[rows].copy()
    else:
        init = draw(arrays(np.float64, (k, d), elements=st.integers(-8, 8).map(float)))
    sw = None
    if weights:
        sw = draw(arrays(np.float64, (n,), elements=st.integers(1, 4).map(float)))
    return X, init, sw


# --- Properties -------------------------------------------------------------------

@pytest.mark.parametrize("algorithm", ALGORITHMS)
@SETTINGS
@given(problem=float_problems())
def test_trace_inertia_never_increases(algorithm, problem):
    X, init, sw = problem
    result = kmeans(X, len(init), init=init, sample_weight=sw, algorithm=algorithm,
                    tol=0.0)
    inertia = result.trace.inertia
    w = np.ones(len(X)) if sw is None else sw
    slack = 1e-9 * (1.0 + float((w * ((X - X.mean(axis=0)) ** 2).sum(axis=1)).sum()))
    assert np.all(np.diff(inertia) <= slack), inertia


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@SETTINGS
@given(problem=float_problems())
def test_final_labels_are_nearest_centres(algorithm, problem):
    X, init, sw = problem
    km = KMeans(len(init), init=init, algorithm=algorithm).fit(X, sample_weight=sw)
    d = ref_sq_dists(X, km.cluster_centers_)
    assigned = d[np.arange(len(X)), km.labels_]
    slack = 1e-9 * (1.0 + d.max())
    assert np.all(assigned <= d.min(axis=1) + slack)
    # Clear winners must be the label exactly.
    order = np.sort(d, axis=1)
    clear = (order[:, 1] - order[:, 0] > slack) if d.shape[1] > 1 else np.ones(len(X), bool)
    np.testing.assert_array_equal(km.labels_[clear], np.argmin(d, axis=1)[clear])
    assert km.inertia_ == pytest.approx(ref_wcss(X, km.cluster_centers_, km.labels_, sw),
                                        rel=1e-9, abs=slack)
    # predict works on the raw X, fit on a centred copy: ties may split.
    predicted = d[np.arange(len(X)), km.predict(X)]
    assert np.all(predicted <= d.min(axis=1) + slack)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@SETTINGS
@given(problem=integer_problems(weights=True), data=st.data())
def test_row_permutation_permutes_labels(algorithm, problem, data):
    X, init, sw = problem
    perm = data.draw(st.permutations(range(len(X))).map(np.array), label="perm")
    a = kmeans(X, len(init), init=init, sample_weight=sw, algorithm=algorithm,
               copy_x=False)
    # Relocation picks among equally far samples by position: not invariant.
    assume(all(r.relocated == () for r in a.trace.iterations))
    b = kmeans(X[perm], len(init), init=init, sample_weight=sw[perm],
               algorithm=algorithm, copy_x=False)
    np.testing.assert_array_equal(b.labels, a.labels[perm])
    np.testing.assert_array_equal(b.centers, a.centers)
    assert b.n_iter == a.n_iter
    assert b.inertia == pytest.approx(a.inertia, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("init", ["k-means++", "random"])
@pytest.mark.parametrize("algorithm", ALGORITHMS)
@SETTINGS
@given(X=st.integers(1, 12).flatmap(
           lambda n: arrays(np.float64, (n, 2), unique=True,
                            elements=st.integers(-50, 50).map(float))),
       seed=st.integers(0, 2**31 - 1))
def test_as_many_clusters_as_distinct_points(algorithm, init, X, seed):
    assume(len(np.unique(X, axis=0)) == len(X))
    result = kmeans(X, len(X), init=init, algorithm=algorithm, random_state=seed)
    assert result.inertia == 0.0
    assert sorted(result.labels.tolist()) == list(range(len(X)))
    np.testing.assert_allclose(result.centers[result.labels], X, rtol=0, atol=1e-12)


@SETTINGS
@given(problem=integer_problems(weights=True))
@example(problem=(np.array([[2.0], [1.0], [-1.0]]),
                  np.array([[2.0], [1.0]]), None))
def test_hamerly_equals_lloyd(problem):
    """Same init, same data: Hamerly and Lloyd give the same run."""
    X, init, sw = problem
    lloyd = kmeans(X, len(init), init=init, sample_weight=sw, algorithm="lloyd",
                   copy_x=False, record_labels=True)
    hamerly = kmeans(X, len(init), init=init, sample_weight=sw, algorithm="hamerly",
                     copy_x=False, record_labels=True)
    np.testing.assert_array_equal(hamerly.trace.labels, lloyd.trace.labels)
    np.testing.assert_array_equal(hamerly.labels, lloyd.labels)
    np.testing.assert_array_equal(hamerly.centers, lloyd.centers)
    assert hamerly.n_iter == lloyd.n_iter
    assert hamerly.inertia == pytest.approx(lloyd.inertia, rel=1e-12, abs=1e-12)

