"""kmeanslab.metrics against scikit-learn and plain NumPy references."""

import dataclasses

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.datasets import make_blobs

import kmeanslab
from kmeanslab import metrics
from kmeanslab._kernels import silhouette as kernels

RTOL = 1e-9
# Per-sample silhouettes lie in [-1, 1]; near 0, scikit-learn's own error
# dominates (its ||x||^2 - 2 x.y + ||y||^2 distances are off by ~1e-11 of s in
# 1-D, where the brute-force difference-based reference and kmeanslab agree
# to 1e-15), so samples are compared to 1e-9 of that range as well.
ATOL = 1e-9


def _brute_silhouette(X, labels):
    """Plain NumPy reference: full distance matrix from coordinate differences."""
    X = np.asarray(X, dtype=np.float64)
    _, codes = np.unique(labels, return_inverse=True)
    dist = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2))
    k = codes.max() + 1
    counts = np.bincount(codes, minlength=k)
    sums = np.stack([dist[:, codes == c].sum(axis=1) for c in range(k)], axis=1)
    own = codes
    a = sums[np.arange(len(X)), own] / np.maximum(counts[own] - 1, 1)
    other = sums / counts
    other[np.arange(len(X)), own] = np.inf
    b = other.min(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = (b - a) / np.maximum(a, b)
    s[(counts[own] == 1) | ~np.isfinite(s)] = 0.0
    return s


def _blobs(n_samples, n_features, n_clusters, seed, dtype=np.float64):
    X, y = make_blobs(n_samples=n_samples, n_features=n_features,
                      centers=n_clusters, random_state=seed)
    return X.astype(dtype), y


# --- exact silhouette --------------------------------------------------------


def test_silhouette_hand_computed():
    X = np.array([[0.0], [1.0], [10.0], [11.0]])
    # a = 1 for every point; b = mean(10, 11) = 10.5 or mean(9, 10) = 9.5.
    expected = np.array([9.5 / 10.5, 8.5 / 9.5, 8.5 / 9.5, 9.5 / 10.5])
    np.testing.assert_allclose(metrics.silhouette_samples(X, [0, 0, 1, 1]), expected,
                               rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("n_features", [1, 2, 5, 12], ids=lambda d: f"d{d}")
def test_silhouette_matches_sklearn(random_seed, dtype, n_features):
    # 5000 rows: three blocks (odd count: a bye in every round), several
    # segments per cluster; 12 features: two feature chunks.
    X, y = _blobs(5000, n_features, 6, random_seed, dtype)
    ours = metrics.silhouette_samples(X, y)
    assert ours.dtype == np.float64
    # Accumulated in float64 from the float32 values: matches sklearn on the
    # same values in float64; sklearn's own float32 path is only ~1e-7 exact.
    ref = skm.silhouette_samples(X.astype(np.float64), y)
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=ATOL)
    assert metrics.silhouette_score(X, y) == pytest.approx(ref.mean(), rel=RTOL)
    if dtype == np.float32:
        np.testing.assert_allclose(ours, skm.silhouette_samples(X, y), atol=1e-5)


def test_silhouette_random_labels(random_seed):
    rng = np.random.default_rng(random_seed)
    X = rng.normal(size=(3000, 3))
    y = rng.integers(0, 7, size=3000)
    ref = skm.silhouette_samples(X, y)
    assert (ref < 0).any()
    np.testing.assert_allclose(metrics.silhouette_samples(X, y), ref, rtol=RTOL,
                               atol=ATOL)


@pytest.mark.parametrize("mapping", [
    {0: -5, 1: 3, 2: 100},
    {0: "b", 1: "a", 2: "zz"},
    {0: 2.5, 1: -1.0, 2: 7.0},
], ids=["sparse-int", "str", "float"])
def test_silhouette_non_contiguous_labels(random_seed, mapping):
    X, y = _blobs(400, 2, 3, random_seed)
    relabelled = np.array([mapping[v] for v in y])
    # Relabelling may reorder the clusters, hence the order of additions.
    np.testing.assert_allclose(metrics.silhouette_samples(X, relabelled),
                               metrics.silhouette_samples(X, y), rtol=1e-13,
                               atol=1e-15)
    np.testing.assert_allclose(metrics.silhouette_samples(X, relabelled),
                               skm.silhouette_samples(X, relabelled), rtol=RTOL,
                               atol=ATOL)


def test_silhouette_singleton_clusters(random_seed):
    X, y = _blobs(300, 2, 3, random_seed)
    y = y.copy()
    y[[10, 20]] = [7, 8]  # two clusters of one sample each
    ours = metrics.silhouette_samples(X, y)
    assert ours[10] == 0.0 and ours[20] == 0.0
    np.testing.assert_allclose(ours, skm.silhouette_samples(X, y), rtol=RTOL,
                               atol=ATOL)


def test_silhouette_coincident_points():
    # a = b = 0 gives 0/0: scikit-learn maps it to 0.
    X = np.zeros((6, 2))
    y = [0, 0, 0, 1, 1, 1]
    np.testing.assert_array_equal(metrics.silhouette_samples(X, y), np.zeros(6))
    np.testing.assert_array_equal(skm.silhouette_samples(X, y), np.zeros(6))


def test_silhouette_tiled_layout_matches_brute_force(monkeypatch, random_seed):
    # Small blocks and tiles so a 200-row problem runs many rounds (7 blocks:
    # odd, with byes), diagonal and off-diagonal tiles, multi-segment clusters.
    monkeypatch.setattr(kernels, "block_starts",
                        lambda n: (np.arange(8) * n) // 7)
    monkeypatch.setattr(kernels, "tile_rows_for", lambda n_features: 9)
    rng = np.random.default_rng(random_seed)
    X = rng.normal(size=(200, 3))
    y = rng.integers(0, 5, size=200)
    np.testing.assert_allclose(metrics.silhouette_samples(X, y),
                               _brute_silhouette(X, y), rtol=0, atol=1e-13)


@pytest.mark.parametrize("n_players", [1, 2, 3, 8, 9])
def test_round_robin_schedule_pairs_each_once(n_players):
    schedule = kernels.round_robin_schedule(n_players)
    pairs = [tuple(p) for rnd in schedule for p in rnd if p[0] >= 0]
    expected = {(a, b) for a in range(n_players) for b in range(a + 1, n_players)}
    assert sorted(pairs) == sorted(expected)
    for rnd in schedule:
        players = [v for p in rnd if p[0] >= 0 for v in p]
        assert len(players) == len(set(players))


def test_silhouette_bitwise_identical_across_thread_counts(random_seed):
    X, y = _blobs(5000, 3, 5, random_seed)
    with kmeanslab.thread_limit(1):
        one = metrics.silhouette_samples(X, y)
        est_one = metrics.silhouette_estimate(X, y, n_samples=100, random_state=1)
        simple_one = metrics.simplified_silhouette(X, y)
    with kmeanslab.thread_limit(2):
        two = metrics.silhouette_samples(X, y)
        est_two = metrics.silhouette_estimate(X, y, n_samples=100, random_state=1)
        simple_two = metrics.simplified_silhouette(X, y)
    np.testing.assert_array_equal(one, two)
    assert est_one == est_two
    assert simple_one == simple_two
    assert np.array_equal(metrics.silhouette_samples(X, y, n_threads=1), one)


def test_silhouette_n_threads_restores_setting():
    import numba

    before = numba.get_num_threads()
    X, y = _blobs(100, 2, 2, 0)
    metrics.silhouette_score(X, y, n_threads=1)
    assert numba.get_num_threads() == before


def test_silhouette_score_sample_size_matches_sklearn(random_seed):
    X, y = _blobs(2000, 2, 4, random_seed)
    ours = metrics.silhouette_score(X, y, sample_size=300, random_state=random_seed)
    ref = skm.silhouette_score(X, y, sample_size=300, random_state=random_seed)
    assert ours == pytest.approx(ref, rel=RTOL)


# --- silhouette_estimate -------------------------------------------------------


def test_silhouette_estimate_uses_exact_scores():
    X, y = _blobs(3000, 2, 5, 3)
    est = metrics.silhouette_estimate(X, y, n_samples=250, random_state=11)
    chosen = np.random.default_rng(11).choice(3000, size=250, replace=False)
    exact = metrics.silhouette_samples(X, y)
    assert est.estimate == pytest.approx(exact[chosen].mean(), rel=1e-12)
    assert (est.n_samples, est.method) == (250, "normal")
    assert all(type(v) is float for v in (est.estimate, est.low, est.high))


def test_silhouette_estimate_interval_contains_exact():
    # Fixed seeds: a 95% interval misses the true value for ~5% of them.
    X, y = _blobs(4000, 2, 6, 5)
    exact = metrics.silhouette_score(X, y)
    est = metrics.silhouette_estimate(X, y, n_samples=400, random_state=0)
    assert est.low < exact < est.high
    assert est.low < est.estimate < est.high
    assert est.high - est.low < 0.1
    wider = metrics.silhouette_estimate(X, y, n_samples=400, confidence=0.99,
                                        random_state=0)
    assert wider.high - wider.low > est.high - est.low


def test_silhouette_estimate_all_points_is_exact():
    X, y = _blobs(300, 2, 3, 0)
    est = metrics.silhouette_estimate(X, y, n_samples=1000)
    exact = metrics.silhouette_score(X, y)
    assert est == metrics.SilhouetteEstimate(exact, exact, exact, 300, "exact")
    with pytest.raises(dataclasses.FrozenInstanceError):
        est.estimate = 0.0


# --- simplified silhouette -----------------------------------------------------


def _simplified_reference(X, codes, centers):
    dist = np.sqrt(((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2))
    a = dist[np.arange(len(X)), codes]
    dist[np.arange(len(X)), codes] = np.inf
    b = dist.min(axis=1)
    s = (b - a) / np.maximum(a, b)
    s[np.bincount(codes, minlength=len(centers))[codes] == 1] = 0.0
    return s.mean()


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_simplified_silhouette_matches_reference(random_seed, dtype):
    X, y = _blobs(1000, 3, 4, random_seed, dtype)
    X64 = X.astype(np.float64)
    centers = np.stack([X64[y == c].mean(axis=0) for c in range(4)])
    assert metrics.simplified_silhouette(X, y) == pytest.approx(
        _simplified_reference(X64, y, centers), rel=RTOL)
    given = centers + 0.25
    assert metrics.simplified_silhouette(X, y, centers=given) == pytest.approx(
        _simplified_reference(X64, y, given), rel=RTOL)


def test_simplified_silhouette_singleton_and_labels():
    X = np.array([[0.0], [1.0], [10.0]])
    # Centres 0.5 and 10; the singleton scores 0, the others have a = 0.5 and
    # b = 10 or 9.
    expected = (9.5 / 10.0 + 8.5 / 9.0 + 0.0) / 3
    assert metrics.simplified_silhouette(X, ["x", "x", "y"]) == pytest.approx(expected)


def test_simplified_silhouette_center_errors():
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\)"):
        metrics.simplified_silhouette(X, [0, 1, 2, 0], centers=np.ones((2, 2)))
    with pytest.raises(ValueError, match="centers has 3 features but X has 2"):
        metrics.simplified_silhouette(X, [0, 1, 1, 0], centers=np.ones((2, 3)))
    with pytest.raises(ValueError, match="centers must have at least 2 rows"):
        metrics.simplified_silhouette(X, [0, 0, 0, 0], centers=np.ones((1, 2)))
    with pytest.raises(ValueError, match="integer indices"):
        metrics.simplified_silhouette(X, ["a", "b", "a", "b"], centers=np.ones((2, 2)))


# --- Calinski-Harabasz and Davies-Bouldin --------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name", ["calinski_harabasz_score", "davies_bouldin_score"])
def test_ch_db_match_sklearn(random_seed, dtype, name):
    ours, ref = getattr(metrics, name), getattr(skm, name)
    X, y = _blobs(2000, 4, 5, random_seed, dtype)
    X64 = X.astype(np.float64)
    assert ours(X, y) == pytest.approx(ref(X64, y), rel=RTOL)
    rng = np.random.default_rng(random_seed)
    random_labels = rng.choice([-3, 10, 42], size=2000)
    assert ours(X, random_labels) == pytest.approx(ref(X64, random_labels), rel=RTOL)
    assert ours(X, random_labels.astype(str)) == ours(X, random_labels)


def test_ch_db_degenerate_cases_follow_sklearn():
    X = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0], [1.0, 1.0]])
    y = [0, 0, 1, 1]
    assert (metrics.calinski_harabasz_score(X, y) == skm.calinski_harabasz_score(X, y)
            == 1.0)
    assert metrics.davies_bouldin_score(X, y) == skm.davies_bouldin_score(X, y) == 0.0
    assert metrics.calinski_harabasz_score([[0.0], [1.0], [10.0], [11.0]],
                                           [0, 0, 1, 1]) == pytest.approx(200.0)


# --- errors -------------------------------------------------------------------

ALL = ["silhouette_samples", "silhouette_score", "silhouette_estimate",
       "simplified_silhouette", "calinski_harabasz_score", "davies_bouldin_score"]


@pytest.mark.parametrize("name", ALL)
def test_errors_name_the_parameter(name):
    func = getattr(metrics, name)
    X = np.arange(12.0).reshape(6, 2)
    with pytest.raises(ValueError, match="labels has length 5 but X has n_samples=6"):
        func(X, [0, 1, 0, 1, 0])
    with pytest.raises(ValueError, match=r"labels must be 1-D"):
        func(X, np.zeros((6, 1)))
    with pytest.raises(ValueError, match="labels has 1 distinct value"):
        func(X, [3] * 6)
    with pytest.raises(ValueError, match=r"2 <= n_labels <= n_samples - 1 = 5"):
        func(X, np.arange(6))
    X_nan = X.copy()
    X_nan[2, 1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        func(X_nan, [0, 1, 0, 1, 0, 1])
    with pytest.raises(ValueError, match="labels contains NaN"):
        func(X, [0, 1, np.nan, 1, 0, 1])
    with pytest.raises(ValueError, match="X must be 2-D"):
        func(np.arange(6.0), [0, 1, 0, 1, 0, 1])


def test_parameter_errors():
    X, y = _blobs(50, 2, 2, 0)
    with pytest.raises(ValueError, match="sample_size must be >= 1, got 0"):
        metrics.silhouette_score(X, y, sample_size=0)
    with pytest.raises(TypeError, match="sample_size must be an integer"):
        metrics.silhouette_score(X, y, sample_size=0.5)
    with pytest.raises(ValueError, match="labels has 1 distinct value"):
        metrics.silhouette_score(X, y, sample_size=1)
    with pytest.raises(ValueError, match="n_samples must be >= 2, got 1"):
        metrics.silhouette_estimate(X, y, n_samples=1)
    with pytest.raises(ValueError, match=r"confidence must be in \(0, 1\), got 1.5"):
        metrics.silhouette_estimate(X, y, confidence=1.5)
    with pytest.raises(ValueError, match="n_threads must be >= 1, got 0"):
        metrics.silhouette_samples(X, y, n_threads=0)
    with pytest.raises(TypeError, match="n_threads must be an integer"):
        metrics.silhouette_score(X, y, n_threads=1.5)
