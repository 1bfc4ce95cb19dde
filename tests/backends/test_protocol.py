"""Every backend class has every member of the backend protocol
(``kmeanslab.backends.Backend`` and ``RunState``): each method either
answers or raises a NotImplementedError that names the backend."""

import inspect
from collections.abc import Mapping

import numpy as np
import pytest
from sklearn.utils import check_random_state

from kmeanslab.backends import Backend, RunState
from kmeanslab.backends._cpu import CPUBackend

N_SAMPLES, N_CLUSTERS = 40, 2


def _members(protocol):
    """(attributes, methods) the protocol declares."""
    methods = sorted(name for name, value in vars(protocol).items()
                     if not name.startswith("_") and callable(value))
    attributes = sorted(set(protocol.__annotations__)
                        | {name for name, value in vars(protocol).items()
                           if isinstance(value, property)})
    return attributes, methods


def _data():
    rng = np.random.RandomState(0)
    X = np.concatenate([rng.normal(size=(N_SAMPLES // 2, 2)),
                        rng.normal(10.0, size=(N_SAMPLES // 2, 2))])
    return X, X[[0, -1]].copy()


def _cpu():
    X, _ = _data()
    return CPUBackend(X, np.ones(len(X)))


def _sparse():
    import scipy.sparse as sp

    from kmeanslab.backends._sparse import SparseBackend

    X, _ = _data()
    return SparseBackend(sp.csr_matrix(X), np.ones(len(X)))


def _dask():
    da = pytest.importorskip("dask.array")
    from kmeanslab.backends.dask import DaskBackend

    X, _ = _data()
    return DaskBackend(da.from_array(X, chunks=(15, 2)), None, persist=False)


def _torch():
    torch = pytest.importorskip("torch")
    from kmeanslab.backends.torch import make_backend

    X, _ = _data()
    return make_backend(torch.from_numpy(X))


BACKENDS = [pytest.param(_cpu, id="cpu"), pytest.param(_sparse, id="sparse"),
            pytest.param(_dask, id="dask"), pytest.param(_torch, id="torch")]


def _calls(backend, centers):
    """One valid call of every protocol method, by name."""
    labels, _ = backend.assign(centers)
    closest = np.full(backend.n_samples, np.inf, dtype=backend.dtype)
    random_state = check_random_state(0)
    return {
        "summary": lambda: backend.summary(),
        "transformed": lambda: backend.transformed(None, 0.5),
        "thread_context": lambda: backend.thread_context(None).__enter__(),
        "take_rows": lambda: backend.take_rows(np.array([0, 3])),
        "weights_of": lambda: backend.weights_of(np.array([0, 3])),
        "weighted_sample": lambda: backend.weighted_sample(2, random_state),
        "candidate_sq_dists": lambda: backend.candidate_sq_dists(centers, closest),
        "draw_by_potential": lambda: backend.draw_by_potential(
            np.ones(backend.n_samples, dtype=backend.dtype), np.array([0.5, 3.0])),
        "kmeans_parallel_candidates": lambda: backend.kmeans_parallel_candidates(
            N_CLUSTERS, random_state, oversampling=2.0, n_rounds=2),
        "assign": lambda: backend.assign(centers),
        "assign_two": lambda: backend.assign_two(centers),
        "sq_dist_to_assigned": lambda: backend.sq_dist_to_assigned(centers, labels),
        "cluster_errors": lambda: backend.cluster_errors(centers, labels),
        "removal_utilities": lambda: backend.removal_utilities(centers),
        "sq_dists_to_centers": lambda: backend.sq_dists_to_centers(centers),
        "inertia": lambda: backend.inertia(centers, labels),
        "start_run": lambda: backend.start_run("lloyd", N_CLUSTERS),
        "label_counts": lambda: backend.label_counts(labels, N_CLUSTERS),
        "count_distinct": lambda: backend.count_distinct(labels, labels, N_CLUSTERS),
        "user_labels": lambda: backend.user_labels(labels),
    }


def test_the_calls_cover_the_protocol():
    _, methods = _members(Backend)
    backend = _cpu()
    assert sorted(_calls(backend, _data()[1])) == methods


@pytest.mark.parametrize("make", BACKENDS)
def test_every_member_is_present(make):
    backend = make()
    attributes, methods = _members(Backend)
    for name in attributes:
        assert hasattr(backend, name), f"{type(backend).__name__} lacks {name}"
    for name in methods:
        assert callable(getattr(type(backend), name, None)), name
        ours = inspect.signature(getattr(Backend, name))
        theirs = inspect.signature(getattr(type(backend), name))
        assert list(theirs.parameters) == list(ours.parameters), name


@pytest.mark.parametrize("make", BACKENDS)
def test_attributes(make):
    backend = make()
    assert isinstance(backend.name, str) and backend.name
    assert "lloyd" in backend.algorithms
    assert isinstance(backend.init_aliases, Mapping)
    assert isinstance(backend.refinements, tuple)
    assert isinstance(backend.can_center, bool)
    assert isinstance(backend.seeds_from_sample, bool)
    assert (backend.n_samples, backend.n_features) == (N_SAMPLES, 2)
    assert backend.dtype == np.float64
    assert backend.n_positive == N_SAMPLES
    np.testing.assert_array_equal(np.asarray(backend.sample_weight), np.ones(N_SAMPLES))


@pytest.mark.parametrize("make", BACKENDS)
def test_every_method_answers_or_names_the_backend(make):
    backend = make()
    refused = []
    for name, call in _calls(backend, _data()[1]).items():
        try:
            call()
        except NotImplementedError as exc:
            assert f"the {backend.name} backend does not support" in str(exc), name
            refused.append(name)
    # A backend may refuse only what its declared capabilities keep the
    # driver from asking.
    assert set(refused) <= {"candidate_sq_dists", "draw_by_potential", "assign_two",
                            "sq_dist_to_assigned", "cluster_errors",
                            "removal_utilities"}
    if {"candidate_sq_dists", "draw_by_potential"} & set(refused):
        assert "k-means++" in backend.init_aliases
    if {"cluster_errors", "removal_utilities"} & set(refused):
        assert "breathing" not in backend.refinements


@pytest.mark.parametrize("make", BACKENDS)
def test_run_state(make):
    backend = make()
    X, centers = _data()
    state = backend.start_run("lloyd", N_CLUSTERS)
    attributes, methods = _members(RunState)
    for name in attributes + methods:
        assert hasattr(state, name), name
    step = state.step(centers)
    assert step.sums.shape == (N_CLUSTERS, 2)
    np.testing.assert_array_equal(step.counts, [N_SAMPLES // 2, N_SAMPLES // 2])
    labels = np.asarray(state.labels)
    np.testing.assert_array_equal(labels, np.repeat([0, 1], N_SAMPLES // 2))
    far = state.farthest(centers, 1)
    assert len(far) == 1 and 0 <= int(far[0]) < N_SAMPLES
