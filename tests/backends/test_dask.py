"""The Dask backend against the in-memory fit, on a local scheduler and on a
two-process LocalCluster."""

import os
import signal
import threading
import time

import numpy as np
import pytest

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from sklearn.datasets import make_blobs  # noqa: E402

from kmeanslab import kmeans  # noqa: E402
from kmeanslab.backends.dask import (_backend, connect, feature_names,  # noqa: E402
                                     predict_dask, transform_dask)
from kmeanslab.core import fit_dask  # noqa: E402
from kmeanslab.estimator import KMeans  # noqa: E402

N_SAMPLES = 6000
N_CLUSTERS = 4

CHUNKINGS = {
    "one-block": (N_SAMPLES,),
    "equal": (1500,) * 4,
    "unequal": (700, 2900, 100, 2300),
    "zero-row-block": (3000, 0, 3000),
    "single-rows-at-ends": (1, 5998, 1),
}


@pytest.fixture(scope="module")
def client():
    """Two worker processes with one thread each; closed after the module."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                  processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as c:
        yield c


@pytest.fixture
def local():
    """Dask's threaded scheduler, even while the module's Client exists."""
    with dask.config.set(scheduler="threads"):
        yield


@pytest.fixture
def data(random_seed):
    """(X, init): 4 blobs in 3-D and one sample of each blob as init."""
    X, y = make_blobs(n_samples=N_SAMPLES, centers=N_CLUSTERS, n_features=3,
                      cluster_std=2.0, random_state=random_seed)
    init = np.stack([X[np.flatnonzero(y == c)[0]] for c in range(N_CLUSTERS)])
    return X, init


def _chunked(X, rows):
    return da.from_array(X, chunks=(rows, X.shape[1]))


def _assert_same_fit(result, ref):
    np.testing.assert_array_equal(result.labels.compute(), ref.labels)
    np.testing.assert_allclose(result.centers, ref.centers, rtol=1e-12, atol=1e-12)
    assert result.inertia == pytest.approx(ref.inertia, rel=1e-9)
    assert result.n_iter == ref.n_iter
    assert result.trace.best.stopped == ref.trace.best.stopped
    np.testing.assert_allclose(result.trace.inertia, ref.trace.inertia, rtol=1e-9)
    assert ([r.relocated for r in result.trace.iterations]
            == [r.relocated for r in ref.trace.iterations])


@pytest.mark.parametrize("rows", CHUNKINGS.values(), ids=CHUNKINGS.keys())
def test_agrees_with_in_memory_local(local, data, rows):
    X, init = data
    result = fit_dask(_chunked(X, rows), N_CLUSTERS, init=init)
    _assert_same_fit(result, kmeans(X, N_CLUSTERS, init=init))


@pytest.mark.parametrize("rows", [CHUNKINGS["unequal"], CHUNKINGS["zero-row-block"]],
                         ids=["unequal", "zero-row-block"])
def test_agrees_with_in_memory_distributed(client, data, rows):
    X, init = data
    result = fit_dask(_chunked(X, rows), N_CLUSTERS, init=init)
    _assert_same_fit(result, kmeans(X, N_CLUSTERS, init=init))


def test_float32_agrees(local, data):
    X, init = data
    X32 = X.astype(np.float32)
    result = fit_dask(_chunked(X32, CHUNKINGS["unequal"]), N_CLUSTERS,
                      init=init.astype(np.float32))
    ref = kmeans(X32, N_CLUSTERS, init=init.astype(np.float32))
    assert result.centers.dtype == np.float32
    np.testing.assert_array_equal(result.labels.compute(), ref.labels)
    np.testing.assert_allclose(result.centers, ref.centers, rtol=1e-5, atol=1e-5)
    assert result.inertia == pytest.approx(ref.inertia, rel=1e-5)


def test_empty_cluster_relocated_like_in_memory(local, data):
    X, init = data
    init = init.copy()
    init[1] = X.max(axis=0) + 100.0  # no sample is nearest to it
    result = fit_dask(_chunked(X, CHUNKINGS["unequal"]), N_CLUSTERS, init=init,
                      record_labels=True)
    ref = kmeans(X, N_CLUSTERS, init=init, record_labels=True)
    assert ref.trace.iterations[0].relocated == (1,)
    _assert_same_fit(result, ref)
    np.testing.assert_array_equal(result.trace.labels, ref.trace.labels)


@pytest.mark.parametrize("tol, max_iter, stopped",
                         [(1e-1, 300, "tol"), (0.0, 2, "max_iter")],
                         ids=["tol", "max_iter"])
def test_stopping_rules_like_in_memory(local, data, tol, max_iter, stopped):
    X, init = data
    init = init + 3.0  # start away from the optimum so it takes a few steps
    result = fit_dask(_chunked(X, CHUNKINGS["equal"]), N_CLUSTERS, init=init,
                      tol=tol, max_iter=max_iter)
    ref = kmeans(X, N_CLUSTERS, init=init, tol=tol, max_iter=max_iter)
    assert ref.trace.best.stopped == stopped
    _assert_same_fit(result, ref)


@pytest.mark.parametrize("magnitude", [1e-150, 1e150], ids=["tiny", "huge"])
def test_extreme_magnitudes_like_in_memory(local, data, magnitude):
    X, init = data
    X, init = X * magnitude, init * magnitude
    result = fit_dask(_chunked(X, CHUNKINGS["unequal"]), N_CLUSTERS, init=init)
    ref = kmeans(X, N_CLUSTERS, init=init)
    np.testing.assert_array_equal(result.labels.compute(), ref.labels)
    np.testing.assert_allclose(result.centers, ref.centers, rtol=1e-12)
    assert result.inertia == pytest.approx(ref.inertia, rel=1e-9)
    assert np.isfinite(result.inertia) and result.inertia > 0


def test_sample_weight_like_in_memory(local, data, random_seed):
    X, init = data
    sw = np.random.default_rng(random_seed).uniform(0, 3, size=X.shape[0])
    ref = kmeans(X, N_CLUSTERS, init=init, sample_weight=sw)
    for weights in (sw, da.from_array(sw, chunks=1000)):
        result = fit_dask(_chunked(X, CHUNKINGS["unequal"]), N_CLUSTERS,
                          init=init, sample_weight=weights)
        _assert_same_fit(result, ref)


def test_dataframe_input(local, data):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    X, init = data
    frame = dd.from_pandas(pd.DataFrame(X, columns=["a", "b", "c"]), npartitions=3)
    result = fit_dask(frame, N_CLUSTERS, init=init)
    _assert_same_fit(result, kmeans(X, N_CLUSTERS, init=init))
    assert list(feature_names(frame)) == ["a", "b", "c"]


def test_bitwise_reproducible(client, data):
    X, _ = data
    Xd = _chunked(X, CHUNKINGS["unequal"])
    first = fit_dask(Xd, N_CLUSTERS, random_state=7)
    again = fit_dask(Xd, N_CLUSTERS, random_state=7)
    assert first.centers.tobytes() == again.centers.tobytes()
    assert first.inertia == again.inertia
    np.testing.assert_array_equal(first.labels.compute(), again.labels.compute())


def test_kmeans_parallel_is_the_default_seeding(local, data):
    X, _ = data
    result = fit_dask(_chunked(X, CHUNKINGS["equal"]), N_CLUSTERS,
                      init="k-means++", random_state=0)
    ref = kmeans(X, N_CLUSTERS, random_state=0, n_init=3)
    assert result.inertia <= ref.inertia * 1.01
    assert len(np.unique(result.labels.compute())) == N_CLUSTERS


@pytest.mark.parametrize("init", ["random", "k-means||"])
def test_seeding_schemes(local, data, init):
    X, _ = data
    Xd = _chunked(X, CHUNKINGS["zero-row-block"])
    result = fit_dask(Xd, N_CLUSTERS, init=init, random_state=1, n_init=2)
    assert len(result.trace.runs) == 2
    assert result.inertia == min(r.inertia for r in result.trace.runs)
    again = fit_dask(Xd, N_CLUSTERS, init=init, random_state=1, n_init=2)
    assert result.centers.tobytes() == again.centers.tobytes()


def test_nan_in_one_block_raises(local, data):
    X, init = data
    X = X.copy()
    X[4000, 1] = np.nan
    message = r"X contains NaN \(block 2, rows 3700 to 5699\)"
    with pytest.raises(ValueError, match=message):
        fit_dask(_chunked(X, (700, 3000, 2000, 300)), N_CLUSTERS, init=init)


def test_bad_input_raises(local, data):
    X, init = data
    with pytest.raises(TypeError, match="X must be a dask Array"):
        fit_dask(X, N_CLUSTERS)
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        fit_dask(_chunked(X, 1000), N_CLUSTERS, init=init,
                 sample_weight=-np.ones(X.shape[0]))
    with pytest.raises(ValueError, match="larger than n_samples"):
        fit_dask(_chunked(X[:3], 2), N_CLUSTERS)


def test_predict_and_transform_are_lazy(client, data):
    X, init = data
    est = KMeans(N_CLUSTERS, init=init).fit(X)
    Xd = _chunked(X, CHUNKINGS["zero-row-block"])
    labels = predict_dask(est.cluster_centers_, Xd)
    dists = transform_dask(est.cluster_centers_, Xd)
    assert isinstance(labels, da.Array) and isinstance(dists, da.Array)
    assert labels.chunks == (Xd.chunks[0],)
    np.testing.assert_array_equal(labels.compute(), est.predict(X))
    np.testing.assert_allclose(dists.compute(), est.transform(X), rtol=1e-12)
    with pytest.raises(ValueError, match="features"):
        predict_dask(est.cluster_centers_, Xd[:, :2])


def test_unreachable_scheduler_fails_fast():
    t0 = time.perf_counter()
    with pytest.raises(ConnectionError, match="tcp://127.0.0.1:1"):
        connect("tcp://127.0.0.1:1", timeout=2)
    assert time.perf_counter() - t0 < 10


def test_worker_killed_mid_fit_gives_the_same_result(client, monkeypatch):
    X, _ = make_blobs(n_samples=40_000, centers=6, n_features=2, cluster_std=3.0,
                      random_state=0)
    Xd = da.from_array(X, chunks=(5000, 2))
    init = X[:6].copy()
    undisturbed = fit_dask(Xd, 6, init=init, tol=0.0, max_iter=15)

    step = _backend._LloydRun.step
    calls = []

    def step_then_kill(self, centers, center_shift=None):
        out = step(self, centers, center_shift)
        calls.append(1)
        if len(calls) == 2:
            pid = next(iter(client.run(os.getpid).values()))
            # Kill from another thread while the next step is under way.
            threading.Timer(0.01, os.kill, (pid, signal.SIGKILL)).start()
        return out

    monkeypatch.setattr(_backend._LloydRun, "step", step_then_kill)
    pids_before = set(client.run(os.getpid).values())
    disturbed = fit_dask(Xd, 6, init=init, tol=0.0, max_iter=15)
    client.wait_for_workers(2, timeout=30)
    assert set(client.run(os.getpid).values()) != pids_before  # one was replaced
    assert disturbed.centers.tobytes() == undisturbed.centers.tobytes()
    assert disturbed.inertia == undisturbed.inertia
    assert disturbed.n_iter == undisturbed.n_iter
    np.testing.assert_array_equal(disturbed.labels.compute(),
                                  undisturbed.labels.compute())


# --- Issue 18: degenerate and extreme data, sparse blocks -----------------------------

def _fit_recording(make_fit):
    """The result of ``make_fit()`` and the messages of its warnings."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = make_fit()
    return result, [str(w.message) for w in caught]


def test_empty_cluster_with_nowhere_to_go_fits_as_in_memory(local):
    # Issue 18: three clusters on two distinct points. The empty cluster has
    # no sample off its centre to move to; the Dask fit used to fail asking
    # the labels of no sample ("iteration over a 0-d array").
    X = np.repeat([[0.0, 0.0], [1.0, 1.0]], 50, axis=0)
    ref, ref_warn = _fit_recording(lambda: KMeans(3, random_state=0).fit(X))
    got, got_warn = _fit_recording(
        lambda: KMeans(3, random_state=0).fit(_chunked(X, 30)))
    assert got_warn == ref_warn and len(ref_warn) == 1
    assert "Number of distinct clusters (2)" in ref_warn[0]
    assert got.inertia_ == ref.inertia_ == 0.0
    # The same partition, each sample on the same centre (Dask seeds with
    # k-means||: the clusters may be numbered differently, and the empty
    # one keeps its own seed).
    labels = got.labels_.compute()
    assert np.unique(labels).size == np.unique(ref.labels_).size == 2
    np.testing.assert_array_equal(got.cluster_centers_[labels],
                                  ref.cluster_centers_[ref.labels_])


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly"])
@pytest.mark.parametrize("weighted", [False, True])
def test_copies_of_one_point_fit_as_in_memory(local, algorithm, weighted):
    # The same with three centres on one point and persisted blocks (where
    # Hamerly runs). Hamerly's block sums were measured from the centres and
    # shifted back, leaving 1e-16 where the cluster of zeros has centre 0;
    # the zeros then lay "off" their centre and received the empty cluster.
    X = np.repeat([[0.0, 0.0], [1.0, 1.0]], 50, axis=0)
    sw = (np.where(np.arange(100) % 3 == 0, 0.0, 1.0) if weighted else None)
    init = X[[0, 1, 2]]
    ref, ref_warn = _fit_recording(lambda: kmeans(
        X, 3, init=init, sample_weight=sw, algorithm=algorithm))
    got, got_warn = _fit_recording(lambda: fit_dask(
        _chunked(X, 30), 3, init=init, sample_weight=sw, algorithm=algorithm,
        persist=True))
    assert got.algorithm == algorithm
    assert got_warn == ref_warn
    np.testing.assert_array_equal(got.labels.compute(), ref.labels)
    np.testing.assert_array_equal(got.centers, ref.centers)
    assert got.inertia == ref.inertia == 0.0


def test_hamerly_sums_are_lloyds(local, data):
    # Hamerly's statistics are a Lloyd pass's additions: the same centres to
    # the bit from the same labels.
    X, init = data
    runs = {alg: fit_dask(_chunked(X, 1500), N_CLUSTERS, init=init, tol=0.0,
                          algorithm=alg, persist=True)
            for alg in ("lloyd", "hamerly")}
    assert runs["hamerly"].centers.tobytes() == runs["lloyd"].centers.tobytes()
    np.testing.assert_array_equal(runs["hamerly"].labels.compute(),
                                  runs["lloyd"].labels.compute())


def test_zero_weights_seed_without_warnings(local):
    X = np.repeat([[0.0, 0.0], [1.0, 1.0]], 50, axis=0)
    sw = np.where(np.arange(100) % 2 == 0, 0.0, 1.0)
    for init in ("k-means||", "random"):
        _, warned = _fit_recording(lambda: KMeans(
            3, init=init, random_state=0, n_init=1).fit(
                _chunked(X, 30), sample_weight=sw))
        assert not [w for w in warned if "distinct clusters" not in w], warned


@pytest.mark.parametrize("magnitude", [1e-300, 1e-200, 1e-160, 1e100, 1e150])
def test_extreme_magnitudes_predict_transform_score_like_the_fit(local, magnitude):
    # Issue 18: the fit rescales the data, predict and transform did not:
    # at 1e-200 every squared distance was 0 (all rows in cluster 0, all
    # distances 0). Each block now picks its power of two.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5)) * magnitude
    Xd = _chunked(X, (70, 70, 0, 60))
    km = KMeans(4, random_state=0).fit(Xd)
    ref = KMeans(4, init=km.cluster_centers_, n_init=1).fit(X)
    labels = km.labels_.compute()
    np.testing.assert_array_equal(labels, ref.labels_)
    np.testing.assert_array_equal(km.predict(Xd).compute(), labels)
    dists = km.transform(Xd).compute()
    assert np.all(dists > 0)
    np.testing.assert_array_equal(dists.argmin(axis=1), labels)
    np.testing.assert_allclose(dists, ref.transform(X), rtol=1e-12)
    assert -km.score(Xd) == pytest.approx(km.inertia_, rel=1e-9)


def test_each_block_chooses_its_own_scale(local):
    # A block of values near 1e-300 beside a block of subnormals (whose
    # power of two, above 2**1023, is no float) and one of values near 1:
    # distances in the user's units, nearest centres as measured exactly.
    rng = np.random.default_rng(1)
    centers = np.array([[0.0, 0.0], [3e-310, 3e-310]])
    tiny = rng.normal(size=(40, 2)) * 1e-300
    subnormal = np.ldexp(rng.integers(-2**40, 2**40, size=(40, 2)).astype(float), -1074)
    ones = rng.normal(size=(40, 2))
    X = np.concatenate([tiny, subnormal, ones])
    Xd = _chunked(X, (40, 40, 40))
    labels, dists = [], []
    for block, e in ((tiny, 1000), (subnormal, 1074), (ones, 0)):
        # Exact scalings chosen here by hand.
        diff = np.ldexp(block, e)[:, None, :] - np.ldexp(centers, e)[None]
        sq = (diff ** 2).sum(axis=2)
        labels.append(sq.argmin(axis=1))
        dists.append(np.ldexp(np.sqrt(sq), -e))
    np.testing.assert_array_equal(predict_dask(centers, Xd).compute(),
                                  np.concatenate(labels))
    np.testing.assert_allclose(transform_dask(centers, Xd).compute(),
                               np.concatenate(dists), rtol=1e-12, atol=5e-324)


def test_transform_beyond_the_range_is_inf_without_warnings(local):
    import warnings

    X = np.array([[1.5e308, 0.0], [-1.5e308, 0.0]])
    centers = np.array([[-1.5e308, 0.0], [1.5e308, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dists = transform_dask(centers, _chunked(X, 1)).compute()
    np.testing.assert_array_equal(dists, [[np.inf, 0.0], [0.0, np.inf]])


def test_scale_limit_is_the_fits():
    from kmeanslab._driver import SCALE_LIMIT
    from kmeanslab.backends.dask import _tasks

    assert _tasks.SCALE_LIMIT == SCALE_LIMIT


def _sparse_block_inputs():
    import scipy.sparse as sp

    X = np.random.default_rng(0).normal(size=(60, 3))
    dense = _chunked(X, 20)
    return X, {
        "meta": dense.map_blocks(sp.csr_matrix),
        "blocks": dense.map_blocks(sp.csr_matrix, meta=np.empty((0, 0))),
        "array": dense.map_blocks(sp.csr_array),
    }


@pytest.mark.parametrize("kind", ["meta", "blocks", "array"])
@pytest.mark.parametrize("method", ["fit", "predict", "transform", "score"])
def test_sparse_blocks_refused_in_one_line(local, kind, method):
    # Issue 18: a dask array of SciPy sparse blocks failed deep inside a
    # kernel; whether its meta says sparse or only its blocks are, every
    # entry point refuses it naming X and what to do instead.
    X, inputs = _sparse_block_inputs()
    Xd = inputs[kind]
    km = KMeans(2, random_state=0, n_init=1).fit(X)
    with pytest.raises(TypeError, match="X is a dask array of SciPy sparse "
                       "blocks") as info:
        if method == "fit":
            KMeans(2, random_state=0, n_init=1).fit(Xd)
        else:
            out = getattr(km, method)(Xd)
            if hasattr(out, "compute"):
                out.compute()
    assert "\n" not in str(info.value)
    assert "toarray()" in str(info.value)
