"""Tests for the sparse backend (``kmeanslab.backends._sparse``): its kernels
against the plain NumPy reference, fits against the dense backend and
scikit-learn from the same start, thread independence, every init, weights
and dtypes."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.cluster import KMeans as SKKMeans
from sklearn.cluster import kmeans_plusplus as sk_kmeans_plusplus
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from kmeanslab import KMeans, kmeans
from kmeanslab.backends import get_backend, is_sparse
from kmeanslab.backends._sparse import SparseBackend

DTYPES = [pytest.param(np.float64, id="float64"),
          pytest.param(np.float32, id="float32")]
ALGORITHMS = ["lloyd", "hamerly", "elkan", "yinyang"]
N_CLUSTERS = 6


def _sparse_data(seed, n_samples=3000, n_features=40, dtype=np.float64,
                 density=0.2):
    """Rows around N_CLUSTERS sparse centres (a few shared features each),
    with most entries zero: (X as CSR, the same rows dense)."""
    rng = np.random.RandomState(seed)
    centers = rng.uniform(1.0, 5.0, size=(N_CLUSTERS, n_features))
    centers *= rng.uniform(size=centers.shape) < 0.4
    y = rng.randint(N_CLUSTERS, size=n_samples)
    dense = centers[y] + rng.normal(scale=0.5, size=(n_samples, n_features))
    dense *= rng.uniform(size=dense.shape) < density / 0.4 * (centers[y] > 0)
    dense = dense.astype(dtype)
    return sp.csr_matrix(dense), dense


def _backend(X, sample_weight=None):
    from kmeanslab._validation import check_sample_weight, check_sparse_X

    X = check_sparse_X(X)
    return get_backend(X, check_sample_weight(sample_weight, X.shape[0], X.dtype))


def _tol(dtype):
    return (dict(rtol=1e-12, atol=1e-12) if dtype == np.float64
            else dict(rtol=1e-4, atol=1e-4))


def _init(dense, seed, n_clusters=N_CLUSTERS):
    rng = np.random.RandomState(seed)
    return dense[rng.choice(len(dense), n_clusters, replace=False)].copy()


# --- Kernels against the NumPy reference -----------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_distances_and_inertia(reference, random_seed, dtype):
    X, dense = _sparse_data(random_seed, dtype=dtype)
    sw = np.random.RandomState(random_seed).uniform(0.1, 3.0, len(dense))
    backend = _backend(X, sw)
    assert isinstance(backend, SparseBackend) and backend.n_blocks > 1
    centers = _init(dense, random_seed)
    d = reference.sq_dists(dense, centers)
    labels, sq = backend.assign(centers)
    ref_labels, ref_sq = reference.assign(dense, centers)
    if dtype == np.float64:
        np.testing.assert_array_equal(labels, ref_labels)
    else:
        assert np.count_nonzero(labels != ref_labels) <= len(dense) // 1000
    tol = _tol(dtype)
    np.testing.assert_allclose(sq, d[np.arange(len(d)), labels], rtol=tol["rtol"],
                               atol=1e-9 if dtype == np.float64 else 1e-3)
    np.testing.assert_allclose(backend.sq_dist_to_assigned(centers, labels),
                               d[np.arange(len(d)), labels], rtol=tol["rtol"],
                               atol=1e-9 if dtype == np.float64 else 1e-3)
    np.testing.assert_allclose(backend.sq_dists_to_centers(centers), d,
                               rtol=tol["rtol"], atol=1e-9 if dtype == np.float64
                               else 1e-3)
    assert backend.inertia(centers, labels) == pytest.approx(
        reference.wcss(dense, centers, labels, sw), rel=tol["rtol"])
    two_labels, first, second = backend.assign_two(centers)
    np.testing.assert_array_equal(two_labels, labels)
    np.testing.assert_allclose(first, sq)
    np.testing.assert_allclose(second, np.sort(d, axis=1)[:, 1], rtol=tol["rtol"],
                               atol=1e-9 if dtype == np.float64 else 1e-3)


@pytest.mark.parametrize("dtype", DTYPES)
def test_candidate_sq_dists(reference, random_seed, dtype):
    X, dense = _sparse_data(random_seed, dtype=dtype)
    sw = np.random.RandomState(random_seed).uniform(0.1, 3.0, len(dense))
    backend = _backend(X, sw)
    centers = _init(dense, random_seed)
    closest = reference.sq_dists(dense, centers[:1])[:, 0].astype(dtype)
    out, pot = backend.candidate_sq_dists(centers[1:], closest)
    ref_out, ref_pot = reference.candidate_sq_dists(dense, centers[1:], closest,
                                                    sw.astype(dtype))
    np.testing.assert_allclose(out, ref_out, rtol=_tol(dtype)["rtol"], atol=1e-9)
    np.testing.assert_allclose(pot, ref_pot, rtol=_tol(dtype)["rtol"])
    none, pot_only = backend.candidate_sq_dists(centers[1:], closest, store=False)
    assert none is None
    np.testing.assert_array_equal(pot_only, pot)


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly"])
def test_step_statistics(reference, random_seed, algorithm):
    """Two steps: labels, per-cluster sums, weights, counts (positive weight
    only), changed labels and the step's inertia."""
    X, dense = _sparse_data(random_seed)
    sw = np.random.RandomState(random_seed).uniform(0.0, 3.0, len(dense))
    sw[::7] = 0.0
    backend = _backend(X, sw)
    state = backend.start_run(algorithm, N_CLUSTERS)
    centers = _init(dense, random_seed)
    previous, shift = np.full(len(dense), -1), None
    for _ in range(2):
        step = state.step(centers, shift)
        labels = np.array(state.labels)
        np.testing.assert_array_equal(labels, reference.assign(dense, centers)[0])
        sums, weights, _ = reference.cluster_stats(dense, labels, N_CLUSTERS, sw)
        np.testing.assert_allclose(step.sums, sums, rtol=1e-12, atol=1e-10)
        np.testing.assert_allclose(step.weights, weights, rtol=1e-12)
        np.testing.assert_array_equal(
            step.counts, np.bincount(labels[sw > 0], minlength=N_CLUSTERS))
        assert step.n_changed == np.count_nonzero(labels != previous)
        assert step.inertia == pytest.approx(
            reference.wcss(dense, centers, labels, sw), rel=1e-10)
        new_centers = sums / weights[:, None]
        shift = np.sqrt(((new_centers - centers) ** 2).sum(axis=1))
        centers, previous = new_centers, labels


@pytest.mark.parametrize("dtype", DTYPES)
def test_summary_counts_the_zeros(dtype):
    X, dense = _sparse_data(0, n_samples=500, dtype=dtype)
    summary = _backend(X).summary()
    dense64 = dense.astype(np.float64)
    np.testing.assert_allclose(summary.mean, dense64.mean(axis=0), rtol=1e-12)
    assert summary.variance_mean == pytest.approx(np.var(dense64, axis=0).mean(),
                                                  rel=1e-12)
    assert summary.amax == np.abs(dense64).max()


def test_never_centred_only_scaled():
    X, dense = _sparse_data(0, n_samples=50)
    backend = _backend(X)
    assert backend.can_center is False
    with pytest.raises(NotImplementedError, match="the sparse backend does not "
                       "support centring"):
        backend.transformed(np.zeros(X.shape[1]), 1.0)
    assert backend.transformed(None, 1.0) is backend
    half = backend.transformed(None, 0.5)
    np.testing.assert_array_equal(half.X.toarray(), dense * 0.5)
    np.testing.assert_array_equal(backend.X.toarray(), dense)  # untouched
    np.testing.assert_array_equal(backend.take_rows([3, 0]), dense[[3, 0]])


# --- Fits against the dense backend and scikit-learn ------------------------------

@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_fit_matches_sklearn_and_dense(random_seed, algorithm, dtype):
    """From the same initial centres: scikit-learn's labels, n_iter_,
    centres and inertia (relative 1e-9 in float64), and the dense fit's."""
    X, dense = _sparse_data(random_seed, dtype=dtype)
    init = _init(dense, random_seed)
    result = kmeans(X, N_CLUSTERS, init=init, algorithm=algorithm)
    assert result.algorithm == ("lloyd" if algorithm == "lloyd" else "hamerly")
    sk = SKKMeans(N_CLUSTERS, init=init, n_init=1, algorithm="lloyd").fit(X)
    on_dense = kmeans(dense, N_CLUSTERS, init=init, algorithm="lloyd")
    np.testing.assert_array_equal(result.labels, sk.labels_)
    assert result.n_iter == sk.n_iter_
    rtol = 1e-9 if dtype == np.float64 else 1e-5
    assert result.inertia == pytest.approx(sk.inertia_, rel=rtol)
    np.testing.assert_allclose(result.centers, sk.cluster_centers_, rtol=rtol,
                               atol=1e-12 if dtype == np.float64 else 1e-5)
    np.testing.assert_array_equal(result.labels, on_dense.labels)
    np.testing.assert_allclose(result.centers, on_dense.centers, rtol=rtol,
                               atol=1e-12 if dtype == np.float64 else 1e-5)
    assert result.centers.dtype == dtype


def test_auto_runs_lloyd_on_sparse_rows():
    X, dense = _sparse_data(0, n_samples=600)
    assert kmeans(X, N_CLUSTERS, random_state=0).algorithm == "lloyd"
    # Where dense rows would run the bounds, sparse ones still run Lloyd.
    from kmeanslab.core import resolve_algorithm

    assert resolve_algorithm("auto", 600, 3, 20) == "hamerly"
    assert resolve_algorithm("auto", 600, 3, 20, sparse=True) == "lloyd"


def test_bounded_run_equals_lloyd_bitwise(random_seed):
    """The bounded run recounts the sums from every row each step, so its
    centres are Lloyd's bit for bit."""
    X, dense = _sparse_data(random_seed, n_samples=4000)
    init = _init(dense, random_seed)
    lloyd = kmeans(X, N_CLUSTERS, init=init, algorithm="lloyd")
    hamerly = kmeans(X, N_CLUSTERS, init=init, algorithm="hamerly")
    np.testing.assert_array_equal(hamerly.centers, lloyd.centers)
    np.testing.assert_array_equal(hamerly.labels, lloyd.labels)
    assert hamerly.inertia == lloyd.inertia and hamerly.n_iter == lloyd.n_iter


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly"])
@pytest.mark.parametrize("init", ["k-means++", "random", "k-means||"])
def test_bitwise_identical_across_thread_counts(random_seed, algorithm, init):
    import numba

    X, _ = _sparse_data(random_seed, n_samples=5000)
    runs = [kmeans(X, N_CLUSTERS, init=init, algorithm=algorithm,
                   random_state=random_seed, n_threads=t)
            for t in sorted({1, numba.config.NUMBA_NUM_THREADS})]
    for other in runs[1:]:
        np.testing.assert_array_equal(other.labels, runs[0].labels)
        np.testing.assert_array_equal(other.centers, runs[0].centers)
        assert other.inertia == runs[0].inertia
        assert other.n_iter == runs[0].n_iter


@pytest.mark.parametrize("dtype", DTYPES)
def test_kmeans_plusplus_picks_sklearns_seeds(random_seed, dtype):
    X, _ = _sparse_data(random_seed, n_samples=1000, dtype=dtype)
    sw = np.random.RandomState(random_seed).uniform(0.5, 2.0, 1000)
    from kmeanslab.init import plusplus_init

    centers, indices = plusplus_init(_backend(X, sw), N_CLUSTERS,
                                     check_random_state(random_seed))
    sk_centers, sk_indices = sk_kmeans_plusplus(
        X, N_CLUSTERS, sample_weight=sw, random_state=random_seed)
    np.testing.assert_array_equal(indices, sk_indices)
    np.testing.assert_array_equal(centers, sk_centers)


@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_seeded_fit_matches_sklearn(random_seed, init):
    """Same random_state, same seeding scheme: scikit-learn's whole fit
    (n_init=3 for both)."""
    X, _ = _sparse_data(random_seed, n_samples=1500)
    ours = KMeans(N_CLUSTERS, init=init, n_init=3, random_state=random_seed).fit(X)
    sk = SKKMeans(N_CLUSTERS, init=init, n_init=3, random_state=random_seed).fit(X)
    np.testing.assert_array_equal(ours.labels_, sk.labels_)
    assert ours.n_iter_ == sk.n_iter_
    assert ours.inertia_ == pytest.approx(sk.inertia_, rel=1e-9)


def test_kmeans_parallel_and_breathing_match_the_dense_backend(random_seed):
    """k-means|| draws the same stream on sparse and dense data, and the
    breathing refinement runs on sparse data."""
    X, dense = _sparse_data(random_seed, n_samples=1500)
    for params in (dict(init="k-means||"),
                   dict(init="k-means++", refine="breathing")):
        on_sparse = kmeans(X, N_CLUSTERS, random_state=random_seed, **params)
        on_dense = kmeans(dense, N_CLUSTERS, random_state=random_seed,
                          copy_x=False, **params)
        np.testing.assert_array_equal(on_sparse.labels, on_dense.labels)
        np.testing.assert_allclose(on_sparse.centers, on_dense.centers,
                                   rtol=1e-9, atol=1e-12)


def test_array_and_callable_init(random_seed):
    X, dense = _sparse_data(random_seed, n_samples=800)
    init = _init(dense, random_seed)
    seen = []

    def pick(X_given, n_clusters, random_state):
        seen.append(X_given)
        return init

    by_array = kmeans(X, N_CLUSTERS, init=init)
    by_callable = kmeans(X, N_CLUSTERS, init=pick)
    assert is_sparse(seen[0]) and seen[0].shape == X.shape
    np.testing.assert_array_equal(by_callable.centers, by_array.centers)
    np.testing.assert_array_equal(by_callable.labels, by_array.labels)


def test_sample_weight_matches_sklearn_and_repeated_rows(random_seed):
    X, dense = _sparse_data(random_seed, n_samples=1200)
    rng = np.random.RandomState(random_seed)
    sw = rng.randint(0, 4, size=len(dense)).astype(np.float64)
    init = _init(dense[sw > 0], random_seed)
    ours = kmeans(X, N_CLUSTERS, sample_weight=sw, init=init)
    sk = SKKMeans(N_CLUSTERS, init=init, n_init=1).fit(X, sample_weight=sw)
    np.testing.assert_array_equal(ours.labels, sk.labels_)
    assert ours.inertia == pytest.approx(sk.inertia_, rel=1e-9)
    repeated = kmeans(sp.csr_matrix(np.repeat(dense, sw.astype(int), axis=0)),
                      N_CLUSTERS, init=init)
    np.testing.assert_allclose(repeated.centers, ours.centers, rtol=1e-9)
    assert repeated.inertia == pytest.approx(ours.inertia, rel=1e-9)


def test_formats_converted_and_user_matrix_untouched():
    """CSC and COO are converted to CSR once; duplicates summed and indices
    sorted on a copy; integer data becomes float64."""
    dense = np.array([[0.0, 1.0, 0.0], [0.0, 2.0, 0.0], [5.0, 0.0, 5.0],
                      [6.0, 0.0, 4.0]])
    init = dense[[0, 2]]
    expected = kmeans(dense, 2, init=init, copy_x=False)
    for X in (sp.csc_matrix(dense), sp.coo_matrix(dense), sp.csr_array(dense),
              sp.csr_matrix(dense.astype(np.int64))):
        got = kmeans(X, 2, init=init)
        np.testing.assert_array_equal(got.labels, expected.labels)
        np.testing.assert_array_equal(got.centers, expected.centers)
        assert got.centers.dtype == np.float64
    # Row 0 given as two duplicate entries (0.5 + 0.5), unsorted row 2.
    messy = sp.csr_matrix((np.array([0.5, 0.5, 2.0, 5.0, 5.0, 6.0, 4.0]),
                           np.array([1, 1, 1, 2, 0, 0, 2]),
                           np.array([0, 2, 3, 5, 7])), shape=(4, 3))
    before = messy.data.copy(), messy.indices.copy()
    got = kmeans(messy, 2, init=init)
    np.testing.assert_array_equal(got.centers, expected.centers)
    np.testing.assert_array_equal(messy.data, before[0])
    np.testing.assert_array_equal(messy.indices, before[1])


def test_far_from_the_origin_is_not_centred_but_matches_sklearn():
    """scikit-learn does not centre sparse data either: the same result."""
    X, dense = _sparse_data(1, n_samples=600)
    X = sp.csr_matrix(dense + 1e3 * (dense != 0))
    init = X[:N_CLUSTERS].toarray()
    ours = kmeans(X, N_CLUSTERS, init=init)
    sk = SKKMeans(N_CLUSTERS, init=init, n_init=1).fit(X)
    np.testing.assert_array_equal(ours.labels, sk.labels_)
    assert ours.inertia == pytest.approx(sk.inertia_, rel=1e-9)


def test_invalid_sparse_input():
    X = sp.csr_matrix(np.array([[1.0, np.nan], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="X contains NaN"):
        kmeans(X, 1)
    with pytest.raises(ValueError, match="0 features"):
        kmeans(sp.csr_matrix((3, 0)), 1)
    with pytest.raises(TypeError, match="partial_fit does not accept sparse"):
        KMeans(2).partial_fit(sp.csr_matrix(np.eye(4)))


# --- The estimator ------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_estimator_methods_match_dense(random_seed, dtype):
    X, dense = _sparse_data(random_seed, n_samples=900, dtype=dtype)
    init = _init(dense, random_seed)
    on_sparse = KMeans(N_CLUSTERS, init=init, n_init=1).fit(X)
    on_dense = KMeans(N_CLUSTERS, init=init, n_init=1, copy_x=False).fit(dense)
    sk = SKKMeans(N_CLUSTERS, init=init, n_init=1).fit(X)
    rtol = 1e-9 if dtype == np.float64 else 1e-4
    np.testing.assert_array_equal(on_sparse.labels_, on_dense.labels_)
    np.testing.assert_array_equal(on_sparse.predict(X), on_sparse.labels_)
    np.testing.assert_array_equal(on_sparse.predict(X.tocsc()), sk.predict(X))
    np.testing.assert_allclose(on_sparse.transform(X), sk.transform(X), rtol=rtol,
                               atol=1e-6)
    np.testing.assert_allclose(on_sparse.fit_transform(X), on_dense.transform(dense),
                               rtol=rtol, atol=1e-6)
    assert on_sparse.score(X) == pytest.approx(sk.score(X), rel=rtol)
    np.testing.assert_array_equal(on_sparse.fit_predict(X), on_sparse.labels_)
    # A model fitted on dense rows predicts sparse rows and back.
    np.testing.assert_array_equal(on_dense.predict(X), on_sparse.predict(dense))


# --- Pathological input (issue 18) ---------------------------------------------------

def _fit_recording(X, *args, sample_weight=None, **params):
    """The fitted estimator and the messages of the warnings it raised."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        km = KMeans(*args, **params).fit(X, sample_weight=sample_weight)
    return km, [str(w.message) for w in caught]


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "bsr", "dia", "lil", "dok"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.bool_])
def test_no_stored_entries_fits_like_dense_zeros(fmt, dtype):
    # Issue 18: a matrix without one stored entry raised UFuncTypeError
    # (np.bincount gave int64 column sums). It is k copies of the origin,
    # fitted as the dense zeros are and as scikit-learn fits it.
    X = getattr(sp, f"{fmt}_matrix")((20, 4), dtype=dtype)
    sparse_km, sparse_warn = _fit_recording(X, 2, random_state=0)
    dense_km, dense_warn = _fit_recording(np.zeros((20, 4)), 2, random_state=0)
    assert sparse_warn == dense_warn == [
        "Number of distinct clusters (1) found smaller than n_clusters (2). "
        "Possibly due to duplicate points in X."]
    assert sparse_km.inertia_ == dense_km.inertia_ == 0.0
    np.testing.assert_array_equal(sparse_km.labels_, dense_km.labels_)
    np.testing.assert_array_equal(sparse_km.cluster_centers_, np.zeros((2, 4)))
    np.testing.assert_array_equal(sparse_km.predict(X), sparse_km.labels_)
    np.testing.assert_array_equal(sparse_km.transform(X), np.zeros((20, 2)))
    assert sparse_km.score(X) == 0.0
    with pytest.warns(ConvergenceWarning, match="distinct clusters"):
        sk = SKKMeans(2, random_state=0, n_init=1).fit(sp.csr_matrix(X, dtype=np.float64))
    assert sk.inertia_ == 0.0


@pytest.mark.parametrize("params", [dict(init="random"), dict(init="k-means||"),
                                    dict(algorithm="elkan"),
                                    dict(refine="breathing")],
                         ids=["random", "k-means||", "elkan", "breathing"])
def test_no_stored_entries_every_seeding_and_algorithm(params):
    X = sp.csr_matrix((30, 3))
    sw = np.r_[np.zeros(10), np.ones(20)]
    km, warned = _fit_recording(X, 3, random_state=0, sample_weight=sw, **params)
    assert km.inertia_ == 0.0
    assert len(warned) == 1 and "distinct clusters (1)" in warned[0]


def test_duplicate_entries_summed_in_their_own_type():
    # Two stored True at one place are True to X.toarray(); cast to float
    # before summing they were 2.0, and the fit was not that of X.toarray().
    X = sp.csr_matrix((np.ones(5, dtype=bool), np.array([0, 0, 1, 0, 1]),
                       np.array([0, 2, 3, 5, 5])), shape=(4, 2))
    assert not X.has_canonical_format
    init = np.array([[1.0, 0.0], [0.0, 1.0]])
    sparse_km = KMeans(2, init=init, n_init=1).fit(X)
    dense_km = KMeans(2, init=init, n_init=1).fit(X.toarray())
    np.testing.assert_array_equal(sparse_km.labels_, dense_km.labels_)
    np.testing.assert_allclose(sparse_km.cluster_centers_, dense_km.cluster_centers_,
                               rtol=1e-12)
    assert sparse_km.inertia_ == pytest.approx(dense_km.inertia_, rel=1e-12)
    assert -sparse_km.score(X) == pytest.approx(dense_km.inertia_, rel=1e-12)
    assert not X.has_canonical_format  # the user's matrix is untouched


@pytest.mark.parametrize("seed", range(10))
def test_copies_of_their_centre_receive_no_empty_cluster(seed):
    # As many clusters as samples, three of them weightless: their clusters
    # are empty, and every other sample is its centre's copy. The float32
    # sparse distance of a copy to its centre cancels to about eps ||x||^2,
    # which used to count as off the centre, so an empty cluster was moved
    # onto a copy (labels unlike the dense fit's, which measures 0 there).
    rng = np.random.default_rng(seed)
    X = (rng.normal(size=(12, 4)) * 10 * (rng.random((12, 4)) < 0.7)
         ).astype(np.float32)
    sw = np.ones(12)
    sw[:3] = 0.0
    init = X.astype(np.float64)
    sparse_km, sparse_warn = _fit_recording(sp.csr_matrix(X), 12, init=init,
                                            n_init=1, sample_weight=sw)
    dense_km, dense_warn = _fit_recording(X, 12, init=init, n_init=1,
                                          sample_weight=sw)
    np.testing.assert_array_equal(sparse_km.labels_, dense_km.labels_)
    assert sparse_warn == dense_warn
    assert not any(it.relocated for it in sparse_km.trace_.runs[0].iterations)
