"""Hypothesis properties of breathing k-means (``refine="breathing"``).

On small arrays, duplicates and n_clusters close to n_samples included:
breathing never ends above plain k-means from the same k-means++ start (the
same random_state gives the same start), its moves alternate "breathe in" /
"breathe out" after "start", and every accepted cycle lowers the inertia.
``derandomize=True`` keeps the examples the same from run to run.
"""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kmeanslab import KMeans
from kmeanslab.breathing import DEFAULT_M

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning")

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)


@st.composite
def problems(draw, max_n=30, max_d=3, max_k=6):
    """(X, n_clusters, sample_weight): real-valued or small-integer data
    (many duplicates), optional positive weights."""
    n = draw(st.integers(2, max_n))
    d = draw(st.integers(1, max_d))
    k = draw(st.integers(1, min(n, max_k)))
    if draw(st.booleans()):
        # Four decimals in [-100, 100]: real-valued, far from float limits.
        elements = st.integers(-10**6, 10**6).map(lambda v: v / 1e4)
    else:
        elements = st.integers(-3, 3).map(float)
    X = draw(arrays(np.float64, (n, d), elements=elements))
    sw = None
    if draw(st.booleans()):
        sw = draw(arrays(np.float64, (n,), elements=st.floats(0.1, 10.0)))
    return X, k, sw


def _fit_pair(X, k, sw, seed, algorithm):
    common = dict(random_state=seed, algorithm=algorithm, n_threads=1)
    plain = KMeans(k, **common).fit(X, sample_weight=sw)
    breathing = KMeans(k, refine="breathing", **common).fit(X, sample_weight=sw)
    return plain, breathing


@SETTINGS
@given(problem=problems(), seed=st.integers(0, 2**16),
       algorithm=st.sampled_from(["lloyd", "hamerly"]))
def test_never_worse_than_plain_kmeans(problem, seed, algorithm):
    X, k, sw = problem
    plain, breathing = _fit_pair(X, k, sw, seed, algorithm)
    np.testing.assert_array_equal(plain.trace_.runs[0].init_centers,
                                  breathing.trace_.runs[0].init_centers)
    assert breathing.inertia_ <= plain.inertia_
    assert breathing.cluster_centers_.shape == (k, X.shape[1])
    assert np.isfinite(breathing.cluster_centers_).all()


@SETTINGS
@given(problem=problems(), seed=st.integers(0, 2**16))
def test_moves_alternate_and_accepted_cycles_lower_inertia(problem, seed):
    X, k, sw = problem
    model = KMeans(k, refine="breathing", random_state=seed,
                   n_threads=1).fit(X, sample_weight=sw)
    moves = model.trace_.moves[0]
    assert moves[0].kind == "start" and moves[0].n_clusters == k
    kinds = [mv.kind for mv in moves[1:]]
    if k == X.shape[0]:
        # No room to breathe in: never more centres than samples.
        assert kinds == []
        return
    assert len(kinds) >= 2
    assert kinds == ["breathe in", "breathe out"] * (len(kinds) // 2)
    current = moves[0].inertia
    for shrunk in moves[2::2]:
        assert shrunk.n_clusters == k
        if shrunk.accepted:
            assert shrunk.inertia < current
            current = shrunk.inertia
    assert moves[-1].accepted is False
    assert model.inertia_ == pytest.approx(current, rel=1e-12, abs=1e-300)
