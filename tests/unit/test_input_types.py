"""DataFrame-like inputs users have: a pyarrow Table and a polars DataFrame
work in fit and predict with their column names kept."""

import numpy as np
import pytest

from kmeanslab import KMeans, SphericalKMeans

COLUMNS = ["alpha", "beta", "gamma"]


def _X():
    rng = np.random.RandomState(0)
    return np.abs(rng.normal(size=(120, 3))) + np.repeat(np.eye(3) * 5, 40, axis=0)


def _pyarrow(X):
    pa = pytest.importorskip("pyarrow")
    return pa.table({name: X[:, j] for j, name in enumerate(COLUMNS)})


def _polars(X):
    pl = pytest.importorskip("polars")
    return pl.DataFrame({name: X[:, j] for j, name in enumerate(COLUMNS)})


@pytest.mark.parametrize("frame", [_pyarrow, _polars], ids=["pyarrow", "polars"])
@pytest.mark.parametrize("estimator", [KMeans, SphericalKMeans])
def test_fit_and_predict_keep_feature_names(frame, estimator):
    X = _X()
    table = frame(X)
    model = estimator(3, random_state=0).fit(table)
    assert list(model.feature_names_in_) == COLUMNS
    reference = estimator(3, random_state=0).fit(X)
    np.testing.assert_array_equal(model.labels_, reference.labels_)
    np.testing.assert_array_equal(model.predict(table), model.labels_)
    np.testing.assert_allclose(model.transform(table), reference.transform(X))
