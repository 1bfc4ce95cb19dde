"""Mini-batch k-means: the update rule, weights, streaming quality, errors."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from kmeanslab import kmeans
from kmeanslab.minibatch import BatchRecord, MiniBatchState


def _wcss(X, centers):
    d = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    return float(d.min(axis=1).sum())


def test_hand_computed_updates():
    state = MiniBatchState(2, init=np.array([[0.0], [10.0]]))
    state.partial_fit(np.array([[1.0], [2.0], [11.0]]))
    # v = (2, 1): each centre is the mean of its first samples.
    np.testing.assert_array_equal(state.centers, [[1.5], [11.0]])
    np.testing.assert_array_equal(state.weight_seen, [2.0, 1.0])
    np.testing.assert_array_equal(state.labels, [0, 0, 1])
    state.partial_fit(np.array([[3.0], [13.0]]), sample_weight=[1.0, 3.0])
    # c0 = 1.5 + (3 - 1.5) / 3; c1 = 11 + (39 - 3 * 11) / 4
    np.testing.assert_array_equal(state.centers, [[2.0], [12.5]])
    assert state.trace == (
        BatchRecord(batch=1, inertia=1 + 4 + 1, center_shift=1.5**2 + 1.0,
                    n_samples_seen=3),
        BatchRecord(batch=2, inertia=1.5**2 + 3 * 2.0**2,
                    center_shift=0.5**2 + 1.5**2, n_samples_seen=5),
    )
    assert state.inertia == state.trace[-1].inertia
    assert list(state.trace_to_pandas().columns) == [
        "batch", "inertia", "center_shift", "n_samples_seen"]


def test_matches_sculley_per_sample_rule(random_seed):
    """The batch form equals Sculley's per-sample update with assignments
    made once per batch."""
    rng = np.random.default_rng(random_seed)
    init = rng.normal(size=(3, 2))
    state = MiniBatchState(3, init=init)
    centers = init.copy()
    seen = np.zeros(3)
    for _ in range(4):
        X = rng.normal(size=(50, 2))
        w = rng.uniform(0.1, 2.0, size=50)
        labels = ((X[:, None] - centers[None]) ** 2).sum(axis=2).argmin(axis=1)
        for x, c, wi in zip(X, labels, w):
            seen[c] += wi
            eta = wi / seen[c]
            centers[c] = (1 - eta) * centers[c] + eta * x
        state.partial_fit(X, sample_weight=w)
        np.testing.assert_allclose(state.centers, centers, rtol=1e-12, atol=1e-12)


def test_integer_weights_equal_repeated_rows(random_seed):
    rng = np.random.default_rng(random_seed)
    X = rng.normal(size=(40, 3))
    w = rng.integers(0, 4, size=40)
    init = X[:4] + 0.1
    weighted = MiniBatchState(4, init=init).partial_fit(X, sample_weight=w)
    repeated = MiniBatchState(4, init=init).partial_fit(np.repeat(X, w, axis=0))
    np.testing.assert_allclose(weighted.centers, repeated.centers, rtol=1e-12)
    np.testing.assert_allclose(weighted.weight_seen, repeated.weight_seen)
    assert weighted.trace[0].inertia == pytest.approx(repeated.trace[0].inertia)


def test_streaming_converges_near_full_batch(random_seed):
    X, _ = make_blobs(n_samples=20_000, centers=6, n_features=4, cluster_std=1.5,
                      random_state=random_seed)
    full = kmeans(X, 6, random_state=random_seed, n_init=3)
    state = MiniBatchState(6, random_state=random_seed)
    rng = np.random.default_rng(random_seed)
    for _ in range(3):  # three epochs over a shuffled stream of batches
        for batch in np.array_split(rng.permutation(X.shape[0]), 40):
            state.partial_fit(X[batch])
    assert len(state.trace) == 120
    assert state.n_samples_seen == 3 * X.shape[0]
    assert _wcss(X, state.centers) <= 1.03 * full.inertia


def test_first_batch_seeds_with_kmeans_plusplus(random_seed):
    X, _ = make_blobs(n_samples=300, centers=3, random_state=random_seed)
    a = MiniBatchState(3, random_state=random_seed).partial_fit(X[:100])
    b = MiniBatchState(3, random_state=random_seed).partial_fit(X[:100])
    np.testing.assert_array_equal(a.centers, b.centers)
    assert a.centers.dtype == np.float64
    f32 = MiniBatchState(3, random_state=0).partial_fit(X[:100].astype(np.float32))
    assert f32.partial_fit(X[100:200]).centers.dtype == np.float32


def test_errors():
    with pytest.raises(ValueError, match="first batch has 2 samples.*n_clusters=3"):
        MiniBatchState(3).partial_fit(np.zeros((2, 2)))
    state = MiniBatchState(2, random_state=0).partial_fit(np.arange(8.0).reshape(4, 2))
    with pytest.raises(ValueError, match="X has 3 features, but the centres have 2"):
        state.partial_fit(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="NaN"):
        state.partial_fit(np.array([[0.0, np.nan]]))
    with pytest.raises(ValueError, match="sample_weight"):
        state.partial_fit(np.zeros((2, 2)), sample_weight=[-1.0, 1.0])
    with pytest.raises(ValueError, match="n_clusters"):
        MiniBatchState(0).partial_fit(np.zeros((2, 2)))
