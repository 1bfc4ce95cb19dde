"""Breathing k-means (``refine="breathing"``, kmeanslab.breathing).

Fritzke (2020): from a converged k-means solution, repeatedly add m centres
beside those of largest error, run k-means, remove the m of lowest utility,
run k-means again, and keep the cycle when it lowers the inertia. These
tests check the guarantees the docstrings make: never worse than plain
k-means from the same start, a well-formed move trace, sample weights that
act like repeated rows, and results that depend only on the inputs and
``random_state``; plus the quality claim on two SIPU benchmark sets.
"""

import numba
import numpy as np
import pytest
from sklearn.datasets import make_blobs

import kmeanslab
from kmeanslab import KMeans, kmeans
from kmeanslab._kernels.common import block_starts
from kmeanslab.breathing import DEFAULT_M, MoveRecord
from kmeanslab.datasets import load_sipu
from kmeanslab.metrics import centroid_index

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning")

needs_two_threads = pytest.mark.skipif(
    numba.config.NUMBA_NUM_THREADS < 2,
    reason="numba has a single thread here; nothing to compare")

MOVE_COLUMNS = ["cycle", "kind", "m", "n_clusters", "inertia", "n_iter",
                "accepted", "elapsed"]


def check_moves(moves, n_clusters, final_inertia, m=DEFAULT_M):
    """Assert the structure of one run's breathing moves.

    "start", then ("breathe in", "breathe out") pairs; every accepted cycle
    lowers the inertia of the solution it replaces; a rejected cycle lowers
    m by one, and the search ends when m reaches 0; the result is the last
    accepted solution.
    """
    assert all(isinstance(mv, MoveRecord) for mv in moves)
    start, cycles = moves[0], moves[1:]
    assert (start.kind, start.cycle, start.n_clusters) == ("start", 0, n_clusters)
    assert start.accepted is None
    assert len(cycles) % 2 == 0 and len(cycles) > 0
    current_inertia = start.inertia
    current_m = min(m, n_clusters)
    for c, (grown, shrunk) in enumerate(zip(cycles[::2], cycles[1::2]), start=1):
        assert (grown.kind, shrunk.kind) == ("breathe in", "breathe out")
        assert grown.cycle == shrunk.cycle == c
        assert grown.m == shrunk.m == current_m
        assert grown.n_clusters == n_clusters + current_m
        assert shrunk.n_clusters == n_clusters
        assert grown.accepted is None
        assert isinstance(shrunk.accepted, bool)
        if shrunk.accepted:
            assert shrunk.inertia < current_inertia
            current_inertia = shrunk.inertia
        else:
            current_m -= 1
    assert current_m == 0
    assert not cycles[-1].accepted
    elapsed = [mv.elapsed for mv in moves]
    assert elapsed == sorted(elapsed)
    assert final_inertia == pytest.approx(current_inertia, rel=1e-12, abs=1e-300)


@pytest.fixture(scope="module")
def uneven_blobs():
    """2-D data where k-means++ often misplaces centres: 12 blobs of very
    different sizes and spreads, clustered with n_clusters=12."""
    X, _ = make_blobs(n_samples=[400, 40, 40, 300, 30, 30, 200, 20, 20, 100, 60, 60],
                      cluster_std=[3.0, 0.5, 0.5, 2.5, 0.5, 0.5, 2.0, 0.5, 0.5,
                                   1.5, 1.0, 1.0],
                      center_box=(-30, 30), random_state=3)
    return X


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly"])
def test_never_worse_than_plain_kmeans(uneven_blobs, random_seed, algorithm):
    lower = 0
    for s in range(random_seed, random_seed + 8):
        plain = KMeans(12, random_state=s, algorithm=algorithm, n_threads=1)
        breathing = KMeans(12, random_state=s, algorithm=algorithm, n_threads=1,
                           refine="breathing")
        plain.fit(uneven_blobs)
        breathing.fit(uneven_blobs)
        # The same seed gives the same k-means++ start and the same first run.
        np.testing.assert_array_equal(plain.trace_.runs[0].init_centers,
                                      breathing.trace_.runs[0].init_centers)
        assert breathing.trace_.moves[0][0].inertia == pytest.approx(
            plain.inertia_, rel=1e-12)
        assert breathing.inertia_ <= plain.inertia_
        lower += breathing.inertia_ < plain.inertia_
    assert lower > 0  # the refinement does something on this data


def test_moves_alternate_and_accepted_cycles_lower_inertia(uneven_blobs, random_seed):
    accepted = 0
    for s in range(random_seed, random_seed + 5):
        model = KMeans(12, random_state=s, refine="breathing", n_threads=1)
        model.fit(uneven_blobs)
        assert len(model.trace_.moves) == 1
        moves = model.trace_.moves[0]
        check_moves(moves, 12, model.inertia_)
        accepted += sum(bool(mv.accepted) for mv in moves)
        table = model.trace_.moves_to_pandas()
        assert list(table.columns) == MOVE_COLUMNS
        assert table["kind"].tolist() == [mv.kind for mv in moves]
    assert accepted > 0  # the accepted branch was exercised


def test_moves_of_every_restart(uneven_blobs):
    result = kmeans(uneven_blobs, 12, n_init=3, random_state=4,
                    refine="breathing", n_threads=1)
    assert len(result.trace.moves) == 3
    for run, moves in zip(result.trace.runs, result.trace.moves):
        check_moves(moves, 12, run.inertia)
    assert result.inertia == min(run.inertia for run in result.trace.runs)


def test_plain_kmeans_has_no_moves(uneven_blobs):
    model = KMeans(12, random_state=0, n_threads=1).fit(uneven_blobs)
    assert model.trace_.moves == ()
    assert list(model.trace_.moves_to_pandas().columns) == MOVE_COLUMNS


def _sorted_rows(centers):
    return centers[np.lexsort(centers.T[::-1])]


def test_integer_weights_equal_repeated_rows(random_seed):
    # Weights 0..3 (0 drops the row). The same explicit init and the same
    # random_state make both runs take the same random split directions;
    # tol=0 because tol is scaled by the unweighted variance of X, which
    # repeating rows changes.
    X, _ = make_blobs(n_samples=300, centers=10, random_state=random_seed)
    rng = np.random.default_rng(random_seed)
    sample_weight = rng.integers(0, 4, size=len(X))
    X_repeated = np.repeat(X, sample_weight, axis=0)
    k = 6
    params = dict(init=X[sample_weight > 0][:k], n_init=1, tol=0.0,
                  random_state=random_seed, refine="breathing", n_threads=1)
    weighted = KMeans(k, **params).fit(X, sample_weight=sample_weight.astype(float))
    repeated = KMeans(k, **params).fit(X_repeated)
    assert weighted.inertia_ == pytest.approx(repeated.inertia_, rel=1e-9)
    # Same centres, possibly in another order: breathing out can meet an
    # exact tie in utility (two neighbouring clusters of equal weight have
    # equal utility), which rounding then decides.
    np.testing.assert_allclose(_sorted_rows(weighted.cluster_centers_),
                               _sorted_rows(repeated.cluster_centers_),
                               rtol=1e-9, atol=1e-9)
    kinds = [(mv.kind, mv.m, mv.accepted) for mv in weighted.trace_.moves[0]]
    assert kinds == [(mv.kind, mv.m, mv.accepted) for mv in repeated.trace_.moves[0]]
    # The weights matter: ignoring them gives another result.
    unweighted = KMeans(k, **params).fit(X)
    assert unweighted.inertia_ != pytest.approx(repeated.inertia_, rel=1e-6)


def _assert_identical(a, b):
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    assert a.inertia_ == b.inertia_
    assert a.n_iter_ == b.n_iter_
    strip = [[(mv.cycle, mv.kind, mv.m, mv.n_clusters, mv.inertia, mv.n_iter,
               mv.accepted) for mv in run] for run in a.trace_.moves]
    assert strip == [[(mv.cycle, mv.kind, mv.m, mv.n_clusters, mv.inertia,
                       mv.n_iter, mv.accepted) for mv in run]
                     for run in b.trace_.moves]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_reproducible_with_same_random_state(uneven_blobs, dtype):
    X = uneven_blobs.astype(dtype)
    fits = [KMeans(12, random_state=7, refine="breathing", n_threads=1).fit(X)
            for _ in range(2)]
    assert fits[0].cluster_centers_.dtype == dtype
    _assert_identical(*fits)


@needs_two_threads
def test_identical_with_1_and_2_threads(random_seed):
    X, _ = make_blobs(n_samples=2500, centers=8, cluster_std=1.5,
                      random_state=random_seed)
    assert len(block_starts(X.shape[0])) - 1 >= 2
    fits = []
    for n_threads in (1, 2):
        with kmeanslab.thread_limit(n_threads):
            fits.append(KMeans(6, random_state=random_seed,
                               refine="breathing").fit(X))
    _assert_identical(*fits)


@pytest.mark.parametrize("name", ["a1", "s2"])
def test_finds_every_sipu_cluster(name, random_seed):
    # Plain k-means++ misses clusters on a good share of seeds here
    # (CI 1-2); breathing k-means finds them all.
    data = load_sipu(name)
    for s in range(random_seed, random_seed + 3):
        model = KMeans(data.n_clusters, random_state=s, refine="breathing",
                       n_threads=1).fit(data.X)
        assert centroid_index(model.cluster_centers_, data.centers) == 0, s


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("n_samples, k", [(2, 2), (3, 3), (3, 2), (6, 4)])
def test_breathing_in_past_n_samples(n_samples, k):
    # Identical samples with n_clusters close to n_samples: breathing never
    # asks for more centres than samples, and empty clusters beyond the
    # number of samples keep their centre instead of crashing.
    model = KMeans(k, refine="breathing", random_state=0, n_threads=1)
    model.fit(np.zeros((n_samples, 1)))
    assert model.inertia_ == 0.0
    assert model.cluster_centers_.shape == (k, 1)



@pytest.mark.parametrize("entry", ["kmeans", "KMeans"])
def test_invalid_refine_raises(uneven_blobs, entry):
    for bad in ("breath", "Breathing", True):
        with pytest.raises(ValueError, match="refine"):
            if entry == "kmeans":
                kmeans(uneven_blobs, 3, refine=bad)
            else:
                KMeans(3, refine=bad).fit(uneven_blobs)
