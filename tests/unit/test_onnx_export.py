"""ONNX export (``kmeanslab.onnx_export``): labels and distances of the
converted KMeans and SphericalKMeans against predict and transform, run by
onnxruntime in float32."""

import numpy as np
import pytest
import scipy.sparse as sp

pytest.importorskip("skl2onnx")
ort = pytest.importorskip("onnxruntime")

from kmeanslab import KMeans, SphericalKMeans  # noqa: E402
from kmeanslab.datasets import make_demo_data  # noqa: E402
from kmeanslab.onnx_export import register_converters, to_onnx  # noqa: E402


def _run(model, X, dtype=np.float32):
    onx = to_onnx(model, dtype=dtype)
    session = ort.InferenceSession(onx.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == ["label", "scores"]
    return session.run(None, {"X": np.asarray(X, dtype=dtype)})


@pytest.mark.parametrize("make", [lambda: KMeans(4, random_state=0),
                                  lambda: SphericalKMeans(4, random_state=0)],
                         ids=["kmeans", "spherical"])
def test_walkthrough_data(make):
    X, _ = make_demo_data()
    model = make().fit(X)
    labels, scores = _run(model, X)
    assert np.mean(labels == model.predict(X)) >= 0.9999
    np.testing.assert_allclose(scores, model.transform(X), rtol=1e-4, atol=1e-3)
    labels64, scores64 = _run(model, X, np.float64)
    np.testing.assert_array_equal(labels64, model.predict(X))
    np.testing.assert_allclose(scores64, model.transform(X), rtol=1e-9, atol=1e-9)


def test_distance_is_clamped_before_the_root():
    """A sample on a centre far from the origin: the expansion goes
    negative in float32; the distance is 0, never NaN."""
    rng = np.random.RandomState(0)
    X = 1e4 + rng.normal(size=(200, 3))
    model = KMeans(2, init=X[:2], n_init=1, max_iter=1).fit(X)
    _, scores = _run(model, model.cluster_centers_)
    assert np.isfinite(scores).all() and (scores >= 0).all()


def test_text_rows_and_rows_of_zeros():
    from sklearn.feature_extraction.text import TfidfVectorizer

    from kmeanslab.datasets import load_docstrings

    corpus = load_docstrings(packages=("json", "csv", "email"), stdlib=False,
                             cache=False)
    X = TfidfVectorizer(min_df=2, stop_words="english").fit_transform(corpus.documents)
    X = sp.vstack([X, sp.csr_matrix((2, X.shape[1]))]).tocsr()
    for model in (SphericalKMeans(8, random_state=0).fit(X),
                  KMeans(8, random_state=0).fit(X)):
        labels, scores = _run(model, X.toarray())
        assert np.mean(labels == model.predict(X)) >= 0.9999
        np.testing.assert_allclose(scores, model.transform(X), atol=1e-4)
    np.testing.assert_array_equal(labels[-2:], model.predict(X)[-2:])


def test_register_is_idempotent():
    register_converters()
    register_converters()
