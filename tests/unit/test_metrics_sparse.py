"""The metrics on sparse rows and with the cosine metric
(``kmeanslab.metrics`` through ``kmeanslab._rowdist``), against
scikit-learn and against the same rows dense."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import metrics as skm

from kmeanslab import metrics

METRICS = ["euclidean", "cosine"]


@pytest.fixture
def data(random_seed):
    """(sparse X, the same dense, labels): 400 rows in 4 groups with a few
    rows of zeros."""
    rng = np.random.RandomState(random_seed)
    centers = rng.uniform(1.0, 3.0, size=(4, 30)) * (rng.uniform(size=(4, 30)) < 0.4)
    labels = rng.randint(4, size=400)
    dense = (centers[labels] + rng.normal(scale=0.5, size=(400, 30))) * (
        rng.uniform(size=(400, 30)) < 0.5)
    dense[:3] = 0.0
    return sp.csr_matrix(dense), dense, labels


@pytest.mark.parametrize("metric", METRICS)
def test_silhouette_matches_sklearn(data, metric):
    X, dense, labels = data
    expected = skm.silhouette_samples(dense, labels, metric=metric)
    np.testing.assert_allclose(metrics.silhouette_samples(X, labels, metric=metric),
                               expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(metrics.silhouette_samples(dense, labels, metric=metric),
                               expected, rtol=1e-9, atol=1e-12)
    assert metrics.silhouette_score(X, labels, metric=metric) == pytest.approx(
        skm.silhouette_score(X, labels, metric=metric), rel=1e-9)
    assert metrics.silhouette_score(X, labels, metric=metric, sample_size=150,
                                    random_state=0) == pytest.approx(
        skm.silhouette_score(X, labels, metric=metric, sample_size=150,
                             random_state=0), rel=1e-9)


@pytest.mark.parametrize("metric", METRICS)
def test_silhouette_estimate_sparse_equals_dense(data, metric):
    X, dense, labels = data
    on_sparse = metrics.silhouette_estimate(X, labels, n_samples=100,
                                            random_state=1, metric=metric)
    on_dense = metrics.silhouette_estimate(dense, labels, n_samples=100,
                                           random_state=1, metric=metric)
    assert on_sparse.method == on_dense.method == "normal"
    assert on_sparse.estimate == pytest.approx(on_dense.estimate, rel=1e-9)
    assert on_sparse.low == pytest.approx(on_dense.low, rel=1e-9)


def test_silhouette_progress_on_sparse_rows(data):
    X, _, labels = data
    calls = []
    metrics.silhouette_samples(X, labels, progress=lambda done, total: calls.append(
        (done, total)))
    assert calls and calls[-1][0] == calls[-1][1]


def test_other_metrics_on_sparse_rows(data):
    X, dense, labels = data
    assert metrics.calinski_harabasz_score(X, labels) == pytest.approx(
        skm.calinski_harabasz_score(dense, labels), rel=1e-9)
    assert metrics.davies_bouldin_score(X, labels) == pytest.approx(
        skm.davies_bouldin_score(dense, labels), rel=1e-9)
    assert metrics.simplified_silhouette(X, labels) == pytest.approx(
        metrics.simplified_silhouette(dense, labels), rel=1e-9)
    centers = np.stack([dense[labels == c].mean(axis=0) for c in range(4)])
    assert metrics.simplified_silhouette(X, labels, centers) == pytest.approx(
        metrics.simplified_silhouette(dense, labels, centers), rel=1e-9)


def test_unknown_metric():
    with pytest.raises(ValueError, match="metric must be one of"):
        metrics.silhouette_score(np.eye(4), [0, 0, 1, 1], metric="manhattan")
