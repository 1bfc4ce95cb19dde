"""What the Dask backend sends to the scheduler: one submission per Lloyd
step whose size does not grow with the number of blocks, k-means|| in one
submission per round, seeding from a sample on data large next to k, and
results that do not depend on how the blocks are grouped into tasks."""

import numpy as np
import pytest

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from sklearn.datasets import make_blobs  # noqa: E402

from kmeanslab import init as init_module  # noqa: E402
from kmeanslab import kmeans  # noqa: E402
from kmeanslab._engine import run_single  # noqa: E402
from kmeanslab.backends import get_backend  # noqa: E402
from kmeanslab.backends.dask import DaskBackend  # noqa: E402
from kmeanslab.core import fit_dask  # noqa: E402

N_CLUSTERS = 4


@pytest.fixture(scope="module")
def client():
    """Two in-process workers with one thread each (threads: fast to start)."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                  processes=False, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as c:
        yield c


@pytest.fixture
def data(random_seed):
    X, y = make_blobs(n_samples=4000, centers=N_CLUSTERS, n_features=2,
                      cluster_std=1.0, random_state=random_seed)
    init = np.stack([X[np.flatnonzero(y == c)[0]] for c in range(N_CLUSTERS)])
    return X, init


class Submissions:
    """Counts graphs sent to the scheduler and the tasks in each."""

    def __init__(self):
        self.sizes = []

    def __len__(self):
        return len(self.sizes)


@pytest.fixture
def submissions(client, monkeypatch):
    seen = Submissions()
    original = distributed.Client._graph_to_futures

    def counting(self, expr, keys, *args, **kwargs):
        seen.sizes.append(len(expr.__dask_graph__()))
        return original(self, expr, keys, *args, **kwargs)

    monkeypatch.setattr(distributed.Client, "_graph_to_futures", counting)
    return seen


def _persisted(X, n_blocks):
    Xd = da.from_array(X, chunks=(-(-X.shape[0] // n_blocks), X.shape[1])).persist()
    distributed.wait(Xd)
    return Xd


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly"])
def test_one_submission_per_step_whatever_the_blocks(client, submissions, data,
                                                     algorithm):
    X, init = data
    sizes = {}
    for n_blocks in (4, 32):
        backend = DaskBackend(_persisted(X, n_blocks))
        backend.summary()
        state = backend.start_run(algorithm, N_CLUSTERS)
        del submissions.sizes[:]
        for _ in range(5):
            state.step(init)
        assert len(submissions) == 5
        sizes[n_blocks] = max(submissions.sizes)
    # One task per worker thread and a reduction, not one per block.
    assert sizes[32] == sizes[4] <= 12


def test_grouping_does_not_change_the_result(client, data, monkeypatch):
    X, init = data
    Xd = _persisted(X, 16)
    assert DaskBackend(Xd).groups != [[b] for b in range(16)]
    grouped = fit_dask(Xd, N_CLUSTERS, init=init + 1.0, record_labels=True)
    monkeypatch.setattr(DaskBackend, "_group_blocks",
                        lambda self: [[b] for b in range(self.n_blocks)])
    alone = fit_dask(Xd, N_CLUSTERS, init=init + 1.0, record_labels=True)
    assert grouped.centers.tobytes() == alone.centers.tobytes()
    assert grouped.inertia == alone.inertia
    np.testing.assert_array_equal(grouped.trace.labels, alone.trace.labels)


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly"])
def test_algorithms_agree_with_in_memory(client, data, algorithm):
    X, init = data
    result = fit_dask(_persisted(X, 5), N_CLUSTERS, init=init + 2.0,
                      algorithm=algorithm)
    ref = kmeans(X, N_CLUSTERS, init=init + 2.0, algorithm=algorithm)
    assert result.algorithm == algorithm
    np.testing.assert_array_equal(result.labels.compute(), ref.labels)
    np.testing.assert_allclose(result.centers, ref.centers, rtol=1e-12)
    assert result.n_iter == ref.n_iter


def test_kmeans_parallel_one_submission_per_round_unpersisted(client, submissions,
                                                              data):
    X, _ = data
    backend = DaskBackend(da.from_array(X, chunks=(500, 2)), persist=False)
    backend.summary()
    del submissions.sizes[:]
    rounds = 3
    cands, weights, _ = backend.kmeans_parallel_candidates(
        N_CLUSTERS, np.random.RandomState(0), oversampling=2.0, n_rounds=rounds)
    # The first draw, one per round, and the final weights with the rows.
    assert len(submissions) == rounds + 2
    assert weights.sum() == pytest.approx(X.shape[0])
    assert len(cands) == len(weights) > N_CLUSTERS
    rows = {tuple(row) for row in X}
    assert all(tuple(row) in rows for row in cands)


def test_kmeans_parallel_one_submission_persisted(client, submissions, data):
    X, _ = data
    backend = DaskBackend(_persisted(X, 8))
    backend.summary()
    del submissions.sizes[:]
    backend.kmeans_parallel_candidates(N_CLUSTERS, np.random.RandomState(0),
                                       oversampling=2.0, n_rounds=5)
    assert len(submissions) == 1


def test_kmeans_parallel_weights_are_nearest_candidate_weights(data):
    X, _ = data
    sw = np.random.default_rng(0).uniform(0.5, 2.0, X.shape[0])
    with dask.config.set(scheduler="threads"):
        backend = DaskBackend(da.from_array(X, chunks=(700, 2)), sw)
        cands, weights, _ = backend.kmeans_parallel_candidates(
            N_CLUSTERS, np.random.RandomState(1), oversampling=2.0, n_rounds=4)
    labels, _ = get_backend(X, sw).assign(cands)
    np.testing.assert_allclose(weights, np.bincount(labels, weights=sw,
                                                    minlength=len(cands)))


def test_large_data_is_seeded_from_a_sample(monkeypatch, data):
    X, _ = data
    # 4000 rows are "large" next to 4 centres of 16 sampled rows each.
    monkeypatch.setattr(init_module, "SAMPLE_ROWS_PER_CENTER", 16)
    drawn = []
    original = DaskBackend.weighted_sample

    def recording(self, size, random_state):
        drawn.append(size)
        return original(self, size, random_state)

    monkeypatch.setattr(DaskBackend, "weighted_sample", recording)
    monkeypatch.setattr(DaskBackend, "kmeans_parallel_candidates", None)
    with dask.config.set(scheduler="threads"):
        result = fit_dask(da.from_array(X, chunks=(1000, 2)), N_CLUSTERS,
                          random_state=0)
    assert drawn == [16 * N_CLUSTERS]
    best = kmeans(X, N_CLUSTERS, random_state=0, n_init=10)
    assert result.inertia <= best.inertia * 1.001


def test_small_data_runs_the_rounds(monkeypatch, data):
    X, _ = data
    monkeypatch.setattr(init_module, "sample_init", None)
    with dask.config.set(scheduler="threads"):
        result = fit_dask(da.from_array(X[:1000], chunks=(250, 2)), N_CLUSTERS,
                          random_state=0)
    assert len(np.unique(result.labels.compute())) == N_CLUSTERS


def test_sample_seeding_restarts_within_budget(monkeypatch, data):
    X, _ = data
    starts = []
    original = init_module.plusplus_init

    def counting(*args, **kwargs):
        starts.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(init_module, "plusplus_init", counting)
    backend = get_backend(X, np.ones(X.shape[0]))
    centers, _ = init_module.sample_init(backend, 2, np.random.RandomState(0))
    assert centers.shape == (2, 2)
    assert len(starts) == init_module.SAMPLE_MAX_RESTARTS
    _, _, inertia, _ = run_single(backend, centers, algorithm="lloyd",
                                  max_iter=100, tol=0.0)
    assert inertia <= kmeans(X, 2, n_init=10, random_state=0).inertia * (1 + 1e-9)
