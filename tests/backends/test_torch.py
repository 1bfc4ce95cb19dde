"""The PyTorch backend (``kmeanslab.backends.torch``) on CPU tensors,
against the NumPy engine and a float64 reference: same labels, centres,
iterations and inertia from the same start; exact labels whatever the
product precision; deterministic sums; the estimator's tensor contract and
its errors. The CUDA paths (Triton kernels) are tested through Triton's
interpreter in ``tests/unit/_kernels`` and on a GPU by the ``gpu`` tests."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from kmeanslab import KMeans, kmeans  # noqa: E402
from kmeanslab.backends._cpu import CPUBackend  # noqa: E402
from kmeanslab.backends.torch import (make_backend, predict_torch,  # noqa: E402
                                      transform_torch)
from kmeanslab.backends.torch._distances import nearest  # noqa: E402
from kmeanslab.init import plusplus_init  # noqa: E402

DTYPES = [pytest.param(np.float64, id="float64"),
          pytest.param(np.float32, id="float32")]
WEIGHTS = [pytest.param("none", id="unweighted"), pytest.param("random", id="weighted"),
           pytest.param("zeros", id="partly-zero")]


def _data(seed, n=1500, d=5, centers=6, dtype=np.float64, weights="none"):
    """Overlapping Gaussian clusters, so labels keep changing for a while."""
    rng = np.random.RandomState(seed)
    means = rng.normal(scale=3.0, size=(centers, d))
    X = (means[rng.randint(centers, size=n)] + rng.normal(size=(n, d))).astype(dtype)
    if weights == "none":
        sw = None
    else:
        sw = rng.uniform(0.2, 3.0, n)
        if weights == "zeros":
            sw[rng.rand(n) < 0.2] = 0.0
    return X, sw


def _tol(dtype):
    return dict(rtol=1e-10, atol=1e-10) if dtype == np.float64 else dict(rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weights", WEIGHTS)
@pytest.mark.parametrize("n_clusters", [1, 3, 7])
@pytest.mark.parametrize("n_features", [2, 20])
def test_same_run_as_the_numpy_engine(dtype, weights, n_clusters, n_features):
    X, sw = _data(n_clusters + n_features, d=n_features, dtype=dtype, weights=weights)
    init = X[:n_clusters].copy()
    params = dict(init=init, n_init=1, tol=0.0, algorithm="lloyd", max_iter=100)
    ours = kmeans(torch.from_numpy(X), n_clusters,
                  sample_weight=None if sw is None else torch.from_numpy(sw), **params)
    theirs = kmeans(X, n_clusters, sample_weight=sw, **params)
    assert isinstance(ours.labels, np.ndarray) and ours.labels.dtype == np.int32
    assert ours.centers.dtype == dtype
    np.testing.assert_array_equal(ours.labels, theirs.labels)
    assert ours.n_iter == theirs.n_iter
    np.testing.assert_allclose(ours.centers, theirs.centers, **_tol(dtype))
    np.testing.assert_allclose(ours.inertia, theirs.inertia, **_tol(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_relocation_of_empty_clusters_as_the_numpy_engine(dtype):
    X, _ = _data(0, dtype=dtype)
    init = np.concatenate([X[:3], np.full((2, X.shape[1]), 1e3)]).astype(dtype)
    ours = kmeans(torch.from_numpy(X), 5, init=init, n_init=1, algorithm="lloyd")
    theirs = kmeans(X, 5, init=init, n_init=1, algorithm="lloyd")
    assert ours.trace.runs[0].iterations[0].relocated == (3, 4)
    np.testing.assert_array_equal(ours.labels, theirs.labels)
    np.testing.assert_allclose(ours.centers, theirs.centers, **_tol(dtype))


@pytest.mark.parametrize("init", ["k-means++", "random", "k-means||"])
def test_seeding_draws_what_the_numpy_engine_draws(init):
    X, sw = _data(1, weights="random")
    ours = kmeans(torch.from_numpy(X), 6, sample_weight=torch.from_numpy(sw),
                  init=init, random_state=7, n_init=2)
    theirs = kmeans(X, 6, sample_weight=sw, init=init, random_state=7, n_init=2)
    np.testing.assert_allclose(ours.trace.runs[1].init_centers,
                               theirs.trace.runs[1].init_centers, rtol=1e-10)
    np.testing.assert_array_equal(ours.labels, theirs.labels)


def test_plusplus_picks_the_same_samples():
    X, sw = _data(2, n=3000, d=24, centers=20, weights="random")
    rs = np.random.RandomState
    _, ours = plusplus_init(make_backend(torch.from_numpy(X), torch.from_numpy(sw)),
                            20, rs(3))
    _, theirs = plusplus_init(CPUBackend(X, sw), 20, rs(3))
    np.testing.assert_array_equal(ours, theirs)


def test_breathing_as_the_numpy_engine():
    X, _ = _data(3, n=2000, centers=12)
    ours = kmeans(torch.from_numpy(X), 12, refine="breathing", random_state=0)
    theirs = kmeans(X, 12, refine="breathing", random_state=0)
    np.testing.assert_array_equal(ours.labels, theirs.labels)
    assert [m.kind for m in ours.trace.moves[0]] == [m.kind for m in theirs.trace.moves[0]]


def _near_ties(seed, n=4000, d=16, k=8):
    """Rows placed within 1e-6 (relative) of the bisector of two centres:
    the two nearest distances differ by less than fp32 products resolve."""
    rng = np.random.RandomState(seed)
    centers = rng.normal(size=(k, d)).astype(np.float32)
    a, b = rng.randint(k, size=n), rng.randint(k, size=n)
    b = np.where(a == b, (b + 1) % k, b)
    t = 0.5 + rng.uniform(-1e-6, 1e-6, n)
    X = (centers[a] * t[:, None] + centers[b] * (1 - t[:, None])
         + 1e-3 * rng.normal(size=(n, d))).astype(np.float32)
    return X, centers


@pytest.mark.parametrize("precision", ["exact", "fast"])
def test_labels_are_the_float64_nearest_centre_on_near_ties(precision):
    X, centers = _near_ties(0)
    backend = make_backend(torch.from_numpy(X), precision=precision)
    labels, sq_dist = backend.assign(centers)
    exact = ((X.astype(np.float64)[:, None, :]
              - centers.astype(np.float64)[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(np.asarray(labels), exact.argmin(axis=1))
    np.testing.assert_allclose(sq_dist.numpy(), exact.min(axis=1), rtol=1e-5, atol=1e-6)


def test_fast_labels_equal_exact_labels_and_recheck_only_near_ties():
    X, centers = _near_ties(1)
    Xt = torch.from_numpy(X)
    norms = (Xt.double() ** 2).sum(1)
    c = torch.from_numpy(centers)
    exact = nearest(Xt, norms, norms.sqrt(), c, precision="exact")
    fast = nearest(Xt, norms, norms.sqrt(), c, precision="fast")
    assert torch.equal(exact[0], fast[0])
    # The looser TF32 bound sends more rows to the fp32 screen than reach
    # the float64 measure, but not all of them; exact mode re-screens none.
    assert exact[2][0] == 0 and 0 < exact[2][1]
    assert exact[2][1] <= fast[2][0] < X.shape[0]
    # Away from ties nothing is rechecked.
    far = torch.from_numpy(centers) + 1e-3
    assert nearest(far, (far.double() ** 2).sum(1), (far.double() ** 2).sum(1).sqrt(),
                   c, precision="exact")[2] == (0, 0)


def test_sums_are_bitwise_the_same_for_any_thread_count():
    X, sw = _data(4, n=20_000, d=8, weights="random", dtype=np.float32)
    results = []
    previous = torch.get_num_threads()
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            r = kmeans(torch.from_numpy(X), 6, sample_weight=torch.from_numpy(sw),
                       random_state=0)
            results.append(r)
    finally:
        torch.set_num_threads(previous)
    assert results[0].centers.tobytes() == results[1].centers.tobytes()
    assert results[0].inertia == results[1].inertia


def test_n_threads_is_restored():
    X, _ = _data(5)
    previous = torch.get_num_threads()
    kmeans(torch.from_numpy(X), 3, n_threads=1, random_state=0)
    assert torch.get_num_threads() == previous


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_precision_tensors(dtype):
    X, _ = _data(6)
    Xh = torch.from_numpy(X).to(dtype)
    result = kmeans(Xh, 6, random_state=0)
    assert result.centers.dtype == np.float32
    # Clustered where it lies (not centred): the labels are the nearest
    # centres of the half-precision rows.
    rows = Xh.to(torch.float64).numpy()
    sq = ((rows[:, None, :] - result.centers.astype(np.float64)[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(result.labels, sq.argmin(axis=1))


def test_integer_tensors_become_float64():
    X = torch.tensor([[0, 0], [0, 1], [10, 10], [10, 11]])
    result = kmeans(X, 2, init=np.array([[0.0, 0.0], [10.0, 10.0]]))
    assert result.centers.dtype == np.float64
    assert result.labels.tolist() == [0, 0, 1, 1]


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.bool])
def test_integer_tensors_fit_as_integer_arrays(dtype):
    # Above 2**24 float32 would merge neighbouring integers: tensors and
    # arrays follow one rule (float64), so their fits agree.
    rng = np.random.default_rng(3)
    base = 2**25 if dtype == torch.int64 else 0
    X = base + rng.integers(0, 2 if dtype == torch.bool else 7, size=(40, 3))
    if dtype == torch.bool:
        X = X.astype(bool)
    tensor = torch.from_numpy(np.asarray(X)).to(dtype)
    init = np.asarray(X[:3], dtype=np.float64)
    a = KMeans(3, init=init, n_init=1).fit(tensor)
    b = KMeans(3, init=init, n_init=1).fit(np.asarray(X))
    assert a.cluster_centers_.dtype == np.float64
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=1e-12)
    assert a.inertia_ == pytest.approx(b.inertia_, rel=1e-9, abs=1e-9)


class TestEstimator:
    def test_fitted_attributes_are_numpy_and_tensors(self):
        X, _ = _data(7, dtype=np.float32)
        km = KMeans(6, random_state=0).fit(torch.from_numpy(X))
        ref = KMeans(6, random_state=0).fit(X)
        assert isinstance(km.labels_, np.ndarray)
        assert isinstance(km.cluster_centers_, np.ndarray)
        np.testing.assert_array_equal(km.labels_, ref.labels_)
        assert torch.equal(km.labels_tensor_.cpu(), torch.from_numpy(km.labels_))
        assert km.cluster_centers_tensor_.device == torch.device("cpu")
        assert km.n_features_in_ == X.shape[1]
        assert not hasattr(km, "feature_names_in_")
        km.fit(X)  # a NumPy fit leaves no tensors behind
        assert not hasattr(km, "labels_tensor_")

    def test_predict_transform_score_accept_tensors(self):
        X, _ = _data(8)
        km = KMeans(6, random_state=0).fit(X)
        Xt = torch.from_numpy(X)
        np.testing.assert_array_equal(km.predict(Xt), km.predict(X))
        np.testing.assert_allclose(km.transform(Xt), km.transform(X), rtol=1e-7, atol=1e-7)
        np.testing.assert_allclose(km.score(Xt), km.score(X), rtol=1e-10)
        np.testing.assert_array_equal(predict_torch(km.cluster_centers_, Xt).numpy(),
                                      km.predict(X))
        np.testing.assert_allclose(transform_torch(km.cluster_centers_, Xt).numpy(),
                                   km.transform(X), rtol=1e-7, atol=1e-7)

    @pytest.mark.parametrize("X, match", [
        (torch.zeros((3, 2, 2)), "X must be a 2-D tensor"),
        (torch.zeros((0, 2)), "X is empty"),
        (torch.tensor([[0.0, 1.0], [float("nan"), 1.0]]), r"NaN or infinity \(first in row 1\)"),
        (torch.zeros((4, 2), dtype=torch.complex64), "complex"),
    ], ids=["3-d", "empty", "nan", "complex"])
    def test_bad_tensors_are_named(self, X, match):
        with pytest.raises((ValueError, TypeError), match=match):
            KMeans(2).fit(X)

    def test_bad_precision_and_weights(self):
        X = torch.randn(20, 2)
        with pytest.raises(ValueError, match="precision must be one of"):
            KMeans(2, precision="half").fit(X)
        with pytest.raises(ValueError, match="sample_weight must be non-negative"):
            KMeans(2).fit(X, sample_weight=-torch.ones(20))
        with pytest.raises(ValueError, match=r"sample_weight must have shape \(20,\)"):
            KMeans(2).fit(X, sample_weight=torch.ones(3))

    def test_wrong_feature_count_and_partial_fit(self):
        km = KMeans(2, random_state=0).fit(torch.randn(20, 3))
        with pytest.raises(ValueError, match="X has 2 features"):
            km.predict(torch.randn(5, 2))
        with pytest.raises(TypeError, match="partial_fit does not accept a PyTorch tensor"):
            KMeans(2).partial_fit(torch.randn(20, 3))

    def test_input_is_not_modified(self):
        X = torch.randn(200, 3, dtype=torch.float64) + 5.0
        before = X.clone()
        KMeans(3, random_state=0).fit(X)
        assert torch.equal(X, before)


@pytest.mark.parametrize("dtype", DTYPES[1:])
@pytest.mark.parametrize("precision", ["exact", "fast"])
def test_whole_fit_through_the_triton_kernels(monkeypatch, dtype, precision):
    """The CUDA path (fused screen, segment sums) run by Triton's
    interpreter on CPU tensors gives the NumPy engine's run."""
    pytest.importorskip("triton")
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    X, sw = _data(9, n=300, d=3, centers=4, dtype=dtype, weights="zeros")
    init = X[:4].copy()
    params = dict(init=init, n_init=1, tol=0.0, algorithm="lloyd", max_iter=50)
    ours = kmeans(torch.from_numpy(X), 4, sample_weight=torch.from_numpy(sw),
                  precision=precision, **params)
    theirs = kmeans(X, 4, sample_weight=sw, **params)
    np.testing.assert_array_equal(ours.labels, theirs.labels)
    assert ours.n_iter == theirs.n_iter
    np.testing.assert_allclose(ours.centers, theirs.centers, **_tol(dtype))
