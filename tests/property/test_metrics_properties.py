"""Hypothesis properties of kmeanslab.metrics on small arrays."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kmeanslab import metrics

# deadline=None: the first example of a run may compile numba kernels.
SETTINGS = settings(deadline=None, max_examples=60)


@st.composite
def clustered_data(draw):
    """(X, labels) with 2 <= n_labels <= n_samples - 1, as every metric needs.

    Coordinates are multiples of 1/16 in [-64, 64]: exact in binary, so scaling
    by a power of two is exact and no squared distance under- or overflows.
    """
    n_samples = draw(st.integers(3, 40))
    n_features = draw(st.integers(1, 3))
    grid = draw(st.lists(st.integers(-1024, 1024), min_size=n_samples * n_features,
                         max_size=n_samples * n_features))
    X = np.array(grid, dtype=np.float64).reshape(n_samples, n_features) / 16.0
    n_labels = draw(st.integers(2, n_samples - 1))
    labels = np.array(draw(st.lists(st.integers(0, n_labels - 1), min_size=n_samples,
                                    max_size=n_samples)))
    labels[0], labels[1] = 0, 1  # at least two distinct; at most n_labels < n_samples
    return X, labels


@SETTINGS
@given(clustered_data())
def test_silhouette_in_unit_interval(data):
    X, labels = data
    samples = metrics.silhouette_samples(X, labels)
    assert np.all((samples >= -1.0) & (samples <= 1.0))
    assert -1.0 <= metrics.silhouette_score(X, labels) <= 1.0
    assert -1.0 <= metrics.simplified_silhouette(X, labels) <= 1.0


@SETTINGS
@given(clustered_data(), st.floats(1e-3, 1e3))
def test_silhouette_invariant_to_positive_scaling(data, scale):
    X, labels = data
    np.testing.assert_allclose(metrics.silhouette_samples(scale * X, labels),
                               metrics.silhouette_samples(X, labels), rtol=0, atol=1e-9)


@SETTINGS
@given(clustered_data())
def test_silhouette_matches_brute_force(data):
    X, labels = data
    _, codes = np.unique(labels, return_inverse=True)
    dist = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2))
    counts = np.bincount(codes)
    expected = np.zeros(len(X))
    for i in range(len(X)):
        own = codes[i]
        if counts[own] == 1:
            continue
        a = dist[i, codes == own].sum() / (counts[own] - 1)
        b = min(dist[i, codes == c].mean() for c in range(counts.size) if c != own)
        expected[i] = 0.0 if max(a, b) == 0 else (b - a) / max(a, b)
    np.testing.assert_allclose(metrics.silhouette_samples(X, labels), expected,
                               rtol=0, atol=1e-12)


@SETTINGS
@given(clustered_data())
def test_calinski_harabasz_and_davies_bouldin_non_negative(data):
    X, labels = data
    assert metrics.calinski_harabasz_score(X, labels) >= 0.0
    assert metrics.davies_bouldin_score(X, labels) >= 0.0
