"""Spherical k-means (``kmeanslab.spherical``) against a plain NumPy
reference, dense and sparse, bounded against Lloyd, weights, dtypes, rows of
zeros, seeding, the estimator (with scikit-learn's estimator checks),
choose_k with ``metric="cosine"`` and ``kmeanslab.text.top_terms``."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.utils.estimator_checks import parametrize_with_checks

from kmeanslab import KMeans, SphericalKMeans, spherical_kmeans
from kmeanslab.selection import choose_k
from kmeanslab.text import top_terms

N_CLUSTERS = 5


def reference_spherical(X, init, sample_weight=None, max_iter=300):
    """Plain spherical Lloyd in float64 on unit rows: assign to the largest
    cosine (first on ties), centres the normalised weighted means, stop
    when no label changes. No empty cluster may occur (the tests' data
    keeps every cluster). Returns (labels, centers, objective, n_iter)."""
    X = np.asarray(X.toarray() if sp.issparse(X) else X, dtype=np.float64)
    norms = np.linalg.norm(X, axis=1)
    U = np.divide(X, norms[:, None], out=np.zeros_like(X), where=norms[:, None] > 0)
    w = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, float)
    C = init / np.linalg.norm(init, axis=1, keepdims=True)
    previous = None
    for n_iter in range(1, max_iter + 1):
        labels = (U @ C.T).argmax(axis=1)
        sums = np.zeros_like(C)
        np.add.at(sums, labels, w[:, None] * U)
        assert (np.bincount(labels, weights=w, minlength=len(C)) > 0).all()
        C = sums / np.linalg.norm(sums, axis=1, keepdims=True)
        if previous is not None and (labels == previous).all():
            break
        previous = labels
    labels = (U @ C.T).argmax(axis=1)
    cos = (U @ C.T)[np.arange(len(U)), labels]
    return labels, C, float(np.sum(w * (1.0 - cos))), n_iter


def _data(seed, sparse=False, n_samples=1500, n_features=30):
    """Rows around N_CLUSTERS directions (positive, as TF-IDF), lengths
    varied; sparse: most entries dropped. Row i comes from direction
    i % N_CLUSTERS for the first N_CLUSTERS rows (see ``_init``)."""
    rng = np.random.RandomState(seed)
    # Each direction has a block of features of its own: well apart.
    directions = 0.3 * rng.uniform(size=(N_CLUSTERS, n_features))
    block = n_features // N_CLUSTERS
    for c in range(N_CLUSTERS):
        directions[c, c * block:(c + 1) * block] += rng.uniform(0.5, 1.5, block)
    y = rng.randint(N_CLUSTERS, size=n_samples)
    y[:N_CLUSTERS] = np.arange(N_CLUSTERS)
    X = directions[y] + 0.05 * rng.uniform(size=(n_samples, n_features))
    X *= rng.uniform(0.5, 20.0, size=(n_samples, 1))
    if sparse:
        X *= rng.uniform(size=X.shape) < 0.5
        return sp.csr_matrix(X)
    return X


def _init(X, seed):
    """One row of every direction (in an order drawn from ``seed``): a start
    from which no cluster runs empty (the reference has no relocation)."""
    rows = np.random.RandomState(seed).permutation(N_CLUSTERS)
    init = X[rows]
    return init.toarray() if sp.issparse(init) else np.array(init)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly", "yinyang"])
def test_matches_the_reference(random_seed, sparse, algorithm):
    X = _data(random_seed, sparse)
    init = _init(X, random_seed)
    result = spherical_kmeans(X, N_CLUSTERS, init=init, algorithm=algorithm, tol=0.0)
    labels, centers, objective, n_iter = reference_spherical(X, init)
    np.testing.assert_array_equal(result.labels, labels)
    np.testing.assert_allclose(result.centers, centers, rtol=1e-10, atol=1e-12)
    assert result.inertia == pytest.approx(objective, rel=1e-10)
    assert result.n_iter == n_iter
    np.testing.assert_allclose(np.linalg.norm(result.centers, axis=1), 1.0)
    assert result.trace.runs[0].iterations[-1].inertia == pytest.approx(objective)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_bounded_runs_equal_lloyd(random_seed, sparse):
    X = _data(random_seed, sparse, n_samples=4000)
    init = _init(X, random_seed)
    lloyd = spherical_kmeans(X, N_CLUSTERS, init=init, algorithm="lloyd")
    for algorithm in ("hamerly", "yinyang"):
        bounded = spherical_kmeans(X, N_CLUSTERS, init=init, algorithm=algorithm)
        np.testing.assert_array_equal(bounded.labels, lloyd.labels)
        np.testing.assert_allclose(bounded.centers, lloyd.centers, rtol=1e-12,
                                   atol=1e-15)
        assert bounded.n_iter == lloyd.n_iter


def test_dense_and_sparse_agree(random_seed):
    X = _data(random_seed, sparse=True)
    init = _init(X, random_seed)
    on_sparse = spherical_kmeans(X, N_CLUSTERS, init=init)
    on_dense = spherical_kmeans(X.toarray(), N_CLUSTERS, init=init)
    np.testing.assert_array_equal(on_sparse.labels, on_dense.labels)
    np.testing.assert_allclose(on_sparse.centers, on_dense.centers, rtol=1e-10,
                               atol=1e-12)


def test_weights_are_repeated_rows(random_seed):
    X = _data(random_seed, n_samples=600)
    sw = np.random.RandomState(random_seed).randint(1, 4, size=600)
    init = _init(X, random_seed)
    weighted = spherical_kmeans(X, N_CLUSTERS, init=init, sample_weight=sw, tol=0.0)
    repeated = spherical_kmeans(np.repeat(X, sw, axis=0), N_CLUSTERS, init=init,
                                tol=0.0)
    np.testing.assert_allclose(weighted.centers, repeated.centers, rtol=1e-10)
    assert weighted.inertia == pytest.approx(repeated.inertia, rel=1e-10)
    labels, _, objective, _ = reference_spherical(X, init, sw)
    np.testing.assert_array_equal(weighted.labels, labels)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_float32(random_seed, sparse):
    X = _data(random_seed, sparse)
    X32 = X.astype(np.float32)
    init = _init(X, random_seed)
    r32 = spherical_kmeans(X32, N_CLUSTERS, init=init)
    r64 = spherical_kmeans(X, N_CLUSTERS, init=init)
    assert r32.centers.dtype == np.float32
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(r32.labels, r64.labels) > 0.95
    assert r32.inertia == pytest.approx(r64.inertia, rel=1e-3)


def test_rows_of_zeros():
    """Kept with label 0 and 1 - cos = 1 each; never a seed or a centre."""
    X = _data(0, sparse=True, n_samples=300)
    X = sp.vstack([sp.csr_matrix((4, X.shape[1])), X]).tocsr()
    for seed in range(5):
        result = spherical_kmeans(X, N_CLUSTERS, random_state=seed)
        np.testing.assert_array_equal(result.labels[:4], 0)
        assert (np.linalg.norm(result.centers, axis=1) > 0.99).all()
        labels, _, objective, _ = reference_spherical(
            X, result.centers, max_iter=1)
        assert result.inertia == pytest.approx(objective, rel=1e-10)
    with pytest.raises(ValueError, match="no non-zero row"):
        spherical_kmeans(sp.csr_matrix((5, 3)), 2)


def test_kmeans_plusplus_draws_by_cosine_distance(random_seed):
    """Spherical k-means++ is Euclidean k-means++ on the unit rows (chord^2 =
    2 (1 - cos)): the same seeds from the same random_state."""
    X = _data(random_seed)
    U = X / np.linalg.norm(X, axis=1, keepdims=True)
    ours = spherical_kmeans(X, N_CLUSTERS, random_state=random_seed, max_iter=1)
    from kmeanslab import kmeans_plusplus

    seeds, _ = kmeans_plusplus(U, N_CLUSTERS, random_state=random_seed)
    np.testing.assert_allclose(ours.trace.runs[0].init_centers, seeds, rtol=1e-12)


def test_n_init_keeps_the_best(random_seed):
    X = _data(random_seed)
    best = spherical_kmeans(X, N_CLUSTERS, init="random", n_init=5,
                            random_state=random_seed)
    assert best.inertia == min(run.inertia for run in best.trace.runs)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_estimator(random_seed, sparse):
    X = _data(random_seed, sparse, n_samples=500)
    km = SphericalKMeans(N_CLUSTERS, random_state=random_seed).fit(X)
    dense = X.toarray() if sparse else X
    U = dense / np.linalg.norm(dense, axis=1, keepdims=True)
    np.testing.assert_array_equal(km.predict(X), km.labels_)
    np.testing.assert_allclose(km.transform(X), 1.0 - U @ km.cluster_centers_.T,
                               atol=1e-12)
    assert km.score(X) == pytest.approx(-km.inertia_, rel=1e-10)
    np.testing.assert_array_equal(km.fit_predict(X), km.labels_)
    np.testing.assert_allclose(km.fit_transform(X), km.transform(X))
    # "auto": the dense rule (kmeanslab.core.resolve_algorithm) on dense
    # rows, Lloyd on sparse ones.
    from kmeanslab.core import resolve_algorithm

    expected = resolve_algorithm("auto", *dense.shape, N_CLUSTERS, sparse=sparse)
    assert km._n_init == 1 and km.algorithm_ == expected
    assert not hasattr(km, "partial_fit")


@parametrize_with_checks([SphericalKMeans(n_clusters=3)],
                         expected_failed_checks=lambda est: {
    "check_sample_weight_equivalence_on_dense_data":
        "sample_weight is not equivalent to removing/repeating samples "
        "(k-means++ draws differ), as for KMeans",
    "check_sample_weight_equivalence_on_sparse_data":
        "the same on sparse data",
})
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_choose_k_with_cosine(random_seed):
    X = _data(random_seed, n_samples=400)
    sel = choose_k(X, range(2, 8), metric="cosine", random_state=random_seed,
                   progress=False, n_runs=2)
    assert "gap" not in sel.criteria
    assert sel.recommended_k == N_CLUSTERS
    k5 = sel.models[N_CLUSTERS]
    direct = spherical_kmeans(X, N_CLUSTERS, random_state=random_seed)
    assert k5.inertia == pytest.approx(direct.inertia)
    with pytest.raises(ValueError, match="'gap'"):
        choose_k(X, range(2, 4), metric="cosine", criteria=("gap",), progress=False)


def test_top_terms():
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = ["apple pie", "apple tart", "apple pie apple", "red car",
            "fast car", "car car repair"]
    vectorizer = TfidfVectorizer()
    X = vectorizer.fit_transform(docs)
    for model in (SphericalKMeans(2, init=X[[0, 3]].toarray(), n_init=1).fit(X),
                  KMeans(2, init=X[[0, 3]].toarray(), n_init=1).fit(X)):
        terms = top_terms(model, vectorizer, n=2)
        assert terms[0][0] == "apple" and terms[1][0] == "car"
        assert len(terms) == 2 and all(len(t) == 2 for t in terms)
    assert len(top_terms(model, vectorizer, n=100)[0]) == len(
        vectorizer.get_feature_names_out())
    with pytest.raises(ValueError, match="terms but the model's centres"):
        top_terms(model, TfidfVectorizer().fit(["one two"]), n=2)
