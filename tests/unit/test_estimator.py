"""Tests for the scikit-learn estimator ``kmeanslab.KMeans``."""

import logging

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.cluster import KMeans as SKKMeans
from sklearn.datasets import make_blobs
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from kmeanslab import KMeans

ALGORITHMS = ["lloyd", "hamerly", "elkan", "auto"]
DTYPES = [pytest.param(np.float64, id="float64"),
          pytest.param(np.float32, id="float32")]
WEIGHTS = [pytest.param(False, id="unweighted"), pytest.param(True, id="weighted")]
LAYOUTS = ["C", "F"]
N_FEATURES = [pytest.param(2, id="d2"), pytest.param(20, id="d20")]

# scikit-learn lists the same expected failure for its own KMeans
# (sklearn/utils/_test_common/instance_generator.py): with k-means++ seeding a
# weighted fit draws from a different random stream than the repeated data.
EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data":
        "sample_weight is not equivalent to removing/repeating samples "
        "(k-means++ draws differ); scikit-learn's KMeans has the same xfail.",
    "check_sample_weight_equivalence_on_sparse_data":
        "the same on sparse data; scikit-learn's KMeans has the same xfail.",
}


@parametrize_with_checks([KMeans()],
                         expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# --- Agreement with sklearn.cluster.KMeans -----------------------------------

def _tolerances(dtype):
    if dtype == np.float64:
        return dict(inertia=1e-9, rtol=1e-7, atol=1e-9)
    return dict(inertia=1e-5, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("n_features", N_FEATURES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("weighted", WEIGHTS)
@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_sklearn_from_array_init(random_seed, dtype, algorithm, weighted,
                                         layout, n_features):
    X, _ = make_blobs(n_samples=600, centers=5, n_features=n_features,
                      cluster_std=2.0, random_state=random_seed)
    X = np.asarray(X, dtype=dtype, order=layout)
    rng = np.random.RandomState(random_seed)
    sw = rng.uniform(0.5, 2.0, X.shape[0]) if weighted else None
    init = np.ascontiguousarray(X[rng.choice(X.shape[0], 5, replace=False)])
    for max_iter, tol in [(300, 1e-4), (3, 0.0)]:
        km = KMeans(5, init=init, n_init=1, max_iter=max_iter, tol=tol,
                    algorithm=algorithm).fit(X, sample_weight=sw)
        sk = SKKMeans(5, init=init, n_init=1, max_iter=max_iter, tol=tol,
                      algorithm="lloyd").fit(X, sample_weight=sw)
        t = _tolerances(dtype)
        np.testing.assert_array_equal(km.labels_, sk.labels_)
        assert km.n_iter_ == sk.n_iter_
        assert km.inertia_ == pytest.approx(sk.inertia_, rel=t["inertia"])
        np.testing.assert_allclose(km.cluster_centers_, sk.cluster_centers_,
                                   rtol=t["rtol"], atol=t["atol"])
        assert km.cluster_centers_.dtype == dtype


@pytest.mark.parametrize("init, n_init", [("k-means++", 1), ("k-means++", 3),
                                          ("random", "auto")],
                         ids=["kmeans++", "kmeans++-n3", "random-auto"])
@pytest.mark.parametrize("weighted", WEIGHTS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_sklearn_with_random_state(random_seed, init, n_init, weighted, dtype):
    X, _ = make_blobs(n_samples=500, centers=6, cluster_std=2.5,
                      random_state=random_seed)
    X = X.astype(dtype)
    sw = (np.random.RandomState(random_seed).uniform(0.5, 2.0, X.shape[0])
          if weighted else None)
    km = KMeans(6, init=init, n_init=n_init, random_state=random_seed).fit(
        X, sample_weight=sw)
    sk = SKKMeans(6, init=init, n_init=n_init, random_state=random_seed).fit(
        X, sample_weight=sw)
    t = _tolerances(dtype)
    np.testing.assert_array_equal(km.labels_, sk.labels_)
    assert km.n_iter_ == sk.n_iter_
    assert km.inertia_ == pytest.approx(sk.inertia_, rel=t["inertia"])
    np.testing.assert_allclose(km.cluster_centers_, sk.cluster_centers_,
                               rtol=t["rtol"], atol=t["atol"])


# --- Estimator API -----------------------------------------------------------

def test_predict_transform_score_agree_with_fit(blobs):
    X, init = blobs
    km = KMeans(3, init=init)
    labels = km.fit_predict(X)
    np.testing.assert_array_equal(labels, km.labels_)
    np.testing.assert_array_equal(km.predict(X), km.labels_)
    dist = km.transform(X)
    assert dist.shape == (X.shape[0], 3)
    expected = np.sqrt(((X[:, None, :] - km.cluster_centers_[None]) ** 2).sum(-1))
    np.testing.assert_allclose(dist, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(KMeans(3, init=init).fit_transform(X), dist,
                               rtol=1e-12, atol=1e-12)
    assert km.score(X) == pytest.approx(-km.inertia_, rel=1e-12)
    assert km.n_features_in_ == 2
    assert list(km.get_feature_names_out()) == ["kmeans0", "kmeans1", "kmeans2"]


def test_score_uses_sample_weight(blobs):
    X, init = blobs
    km = KMeans(3, init=init).fit(X)
    w = np.full(X.shape[0], 2.0)
    assert km.score(X, sample_weight=w) == pytest.approx(2 * km.score(X), rel=1e-12)


def test_predict_rejects_wrong_number_of_features(blobs):
    X, init = blobs
    km = KMeans(3, init=init).fit(X)
    with pytest.raises(ValueError, match="features"):
        km.predict(np.hstack([X, X]))


def test_clone_keeps_parameters_and_drops_fit(blobs):
    X, _ = blobs
    km = KMeans(4, init="random", n_init=2, max_iter=50, tol=1e-3,
                random_state=3, algorithm="hamerly", record_labels=True).fit(X)
    twin = clone(km)
    assert twin.get_params() == km.get_params()
    assert not hasattr(twin, "cluster_centers_")
    twin.fit(X)
    np.testing.assert_array_equal(twin.labels_, km.labels_)
    np.testing.assert_array_equal(twin.cluster_centers_, km.cluster_centers_)


def test_pipeline_with_scaler(blobs):
    X, _ = blobs
    pipe = Pipeline([("scale", StandardScaler()),
                     ("kmeans", KMeans(3, random_state=0))]).fit(X)
    Xs = StandardScaler().fit_transform(X)
    direct = KMeans(3, random_state=0).fit(Xs)
    np.testing.assert_array_equal(pipe.predict(X), direct.labels_)
    np.testing.assert_allclose(pipe.transform(X), direct.transform(Xs),
                               rtol=1e-12, atol=1e-12)
    assert pipe.score(X) == pytest.approx(direct.score(Xs), rel=1e-12)


def test_grid_search_over_n_clusters(blobs):
    X, _ = blobs
    search = GridSearchCV(KMeans(random_state=0, n_init=1),
                          {"n_clusters": [1, 2, 3]}, cv=3).fit(X)
    assert set(search.cv_results_["param_n_clusters"]) == {1, 2, 3}
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    # -inertia on held-out folds only improves with more clusters here.
    assert search.best_params_ == {"n_clusters": 3}
    assert search.best_estimator_.cluster_centers_.shape == (3, 2)


def test_dataframe_input_sets_feature_names(blobs):
    pd = pytest.importorskip("pandas")
    X, init = blobs
    df = pd.DataFrame(X, columns=["height", "weight"])
    km = KMeans(3, init=init).fit(df)
    assert list(km.feature_names_in_) == ["height", "weight"]
    np.testing.assert_array_equal(km.predict(df), km.labels_)
    np.testing.assert_array_equal(km.labels_, KMeans(3, init=init).fit(X).labels_)
    assert not hasattr(KMeans(3, init=init).fit(X), "feature_names_in_")


@pytest.mark.parametrize("dtype", DTYPES)
def test_float_dtype_is_kept(blobs, dtype):
    X, init = blobs
    km = KMeans(3, init=init).fit(X.astype(dtype))
    assert km.cluster_centers_.dtype == dtype
    assert km.transform(X.astype(dtype)).dtype == dtype


def test_verbose_logs_the_trace(blobs, caplog):
    X, init = blobs
    with caplog.at_level(logging.INFO, logger="kmeanslab"):
        KMeans(3, init=init, verbose=1).fit(X)
    assert "inertia" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="kmeanslab"):
        KMeans(3, init=init, verbose=0).fit(X)
    assert caplog.text == ""


def test_fitted_attributes(blobs):
    X, init = blobs
    km = KMeans(3, init=init, algorithm="elkan").fit(X)
    assert km.cluster_centers_.shape == (3, 2)
    assert km.labels_.shape == (X.shape[0],)
    assert isinstance(km.inertia_, float)
    assert isinstance(km.n_iter_, int) and km.n_iter_ >= 1
    assert km.algorithm_ == "hamerly"  # "elkan" runs the bounded variant
    assert len(km.trace_) == km.n_iter_
