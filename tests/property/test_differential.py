"""Differential tests: kmeanslab against scikit-learn and the NumPy reference
on many small random configurations.

Each case draws data of one kind (blobs, uniform, duplicated rows, an integer
grid, outliers, a 1e6 offset, tiny values, a constant column), a dtype and
memory order, weights (none, random, integer, partly zero), an init (array
or k-means++), ``max_iter`` and ``tol``, and fits it with Lloyd and with the
bounded variant.

What must hold exactly, in every case:

- every centre lies in the bounding box of the samples of positive weight
  (when there are at least as many of those as clusters);
- every label is the nearest returned centre (up to rounding of the
  distances themselves);
- ``inertia_`` is the weighted sum of squares of the returned labels to the
  returned centres;
- Lloyd and the bounded variant agree (labels, centres, ``n_iter_``) where
  the data has no ties;
- no oscillation: where scikit-learn converges within a few iterations, so
  does kmeanslab.

Where neither ties nor rounding can explain a difference (continuous data,
no empty cluster in the run) the result equals scikit-learn's from the same
initial centres and the NumPy reference's.

The regular run checks ``N_CASES`` cases; the ``slow`` run checks
``KMEANSLAB_DIFF_CASES`` more (default 2000 * KMEANSLAB_SCALE, with the
suite's reduced scale 0.2 when that is unset).
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from sklearn.cluster import KMeans as SKKMeans
from sklearn.cluster import kmeans_plusplus as sk_kmeans_plusplus

from kmeanslab import KMeans, kmeans_plusplus

N_CASES = 120
SLOW_CASES = int(os.environ.get(
    "KMEANSLAB_DIFF_CASES",
    2000 * float(os.environ.get("KMEANSLAB_SCALE", "0.2"))))

# Data kinds whose samples are distinct reals: exact ties between distances
# have probability zero there, so any difference from scikit-learn is real.
CONTINUOUS = ("blobs", "uniform", "outliers", "offset", "tiny")
TIE_PRONE = ("duplicates", "grid", "constant")
KINDS = CONTINUOUS + TIE_PRONE


def _data(rng, kind, n, d):
    if kind == "blobs":
        centers = rng.normal(scale=10.0, size=(rng.integers(1, 6), d))
        X = centers[rng.integers(0, len(centers), n)] + rng.normal(size=(n, d))
    elif kind == "uniform":
        X = rng.uniform(-1.0, 1.0, size=(n, d))
    elif kind == "outliers":
        X = rng.normal(size=(n, d))
        X[rng.choice(n, max(1, n // 10), replace=False)] *= 1e3
    elif kind == "offset":
        X = 1e6 + rng.normal(size=(n, d))
    elif kind == "tiny":
        X = 1e-8 * rng.normal(size=(n, d))
    elif kind == "duplicates":
        distinct = rng.normal(size=(rng.integers(1, 5), d))
        X = distinct[rng.integers(0, len(distinct), n)]
    elif kind == "grid":
        X = rng.integers(0, 3, size=(n, d)).astype(np.float64)
    else:  # constant column(s) beside normal ones
        X = rng.normal(size=(n, d))
        X[:, rng.integers(0, d)] = 7.0
    return X


def _weights(rng, how, n):
    if how == "none":
        return None
    if how == "random":
        return rng.uniform(0.1, 2.0, n)
    if how == "integer":
        return rng.integers(1, 4, n).astype(np.float64)
    w = rng.uniform(0.1, 2.0, n)  # partly zero, never all zero
    w[rng.random(n) < 0.3] = 0.0
    if not w.any():
        w[0] = 1.0
    return w


def make_case(seed):
    """One random configuration (a dict), reproducible from its seed."""
    rng = np.random.default_rng([8, seed])
    kind = KINDS[rng.integers(len(KINDS))]
    dtype = np.float32 if rng.random() < 0.4 else np.float64
    # float32 with many features takes the BLAS paths (d >= 16).
    d = int(rng.choice([1, 2, 3, 5, 16, 20] if dtype == np.float32 else [1, 2, 3, 5, 8, 17]))
    n = int(rng.integers(2, 80))
    X = _data(rng, kind, n, d).astype(dtype)
    if rng.random() < 0.3:
        X = np.asfortranarray(X)
    k = int(rng.integers(1, min(n, 9) + 1))
    sw = _weights(rng, ["none", "random", "integer", "partly_zero"][rng.integers(4)], n)
    if rng.random() < 0.6:
        init = X[rng.choice(n, k, replace=rng.random() < 0.2)].copy()
    else:
        init = "k-means++"
    return dict(X=X, k=k, sample_weight=sw, init=init, kind=kind,
                max_iter=int(rng.choice([1, 2, 3, 300])),
                tol=float(rng.choice([0.0, 1e-4])), random_state=int(seed))


def _fit(case, algorithm):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return KMeans(case["k"], init=case["init"], n_init=1,
                      max_iter=case["max_iter"], tol=case["tol"],
                      algorithm=algorithm, random_state=case["random_state"],
                      ).fit(case["X"], sample_weight=case["sample_weight"])


def _fit_sklearn(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SKKMeans(case["k"], init=case["init"], n_init=1,
                        max_iter=case["max_iter"], tol=case["tol"],
                        algorithm="lloyd", random_state=case["random_state"],
                        ).fit(case["X"], sample_weight=case["sample_weight"])


def _eps(X):
    return float(np.finfo(X.dtype).eps)


def check_invariants(case, km):
    """What must hold exactly for any fit of the case."""
    X = np.asarray(case["X"], dtype=np.float64)
    n, k = X.shape[0], case["k"]
    w = (np.ones(n) if case["sample_weight"] is None
         else np.asarray(case["sample_weight"], dtype=np.float64))
    centers = np.asarray(km.cluster_centers_, dtype=np.float64)
    labels = km.labels_
    eps = _eps(case["X"])
    positive = X[w > 0]
    # The engine works on data centred at the mean of all samples (zero
    # weights included), so rounding is relative to the whole column.
    span = 2 * np.abs(X).max(axis=0)
    if positive.shape[0] >= k:
        # Means and relocated samples: inside the box, up to rounding of a
        # weighted mean (a few ulps of the coordinates' magnitude).
        slack = 16 * eps * span + np.finfo(np.float64).tiny
        assert np.all(centers >= positive.min(axis=0) - slack), "centre below the data"
        assert np.all(centers <= positive.max(axis=0) + slack), "centre above the data"
    # Labels are the nearest returned centres (distances measured from the
    # data's mean, as the engine does, so offsets do not cancel).
    mean = X.mean(axis=0)
    diff = (X - mean)[:, None, :] - (centers - mean)[None, :, :]
    sq = np.einsum("ijk,ijk->ij", diff, diff)
    assigned = sq[np.arange(n), labels]
    scale = (np.einsum("ij,ij->i", X - mean, X - mean)[:, None]
             + np.einsum("ij,ij->i", centers - mean, centers - mean)[None, :])
    # The returned centres are rounded to the data's type: far from the
    # origin (float32 at 1e6) that alone moves them by up to delta.
    delta = float(np.linalg.norm(eps * np.abs(centers).max(axis=0)))
    rounding = 2 * np.sqrt(sq.max(axis=1)) * delta + delta**2
    slack = 64 * eps * scale.max(axis=1) * X.shape[1] + rounding
    assert np.all(assigned <= sq.min(axis=1) + slack), "a label is not the nearest centre"
    # inertia_ is the WCSS of the labels to the centres.
    wcss = float(w @ assigned)
    rel = 1e-9 if case["X"].dtype == np.float64 else 1e-4
    assert km.inertia_ == pytest.approx(wcss, rel=rel, abs=1e-300 + float(w @ rounding)), \
        "inertia_ is not the WCSS of the labels"


def check_case(case, reference):
    lloyd = _fit(case, "lloyd")
    bounded = _fit(case, "hamerly")
    sk = _fit_sklearn(case)
    for km in (lloyd, bounded):
        check_invariants(case, km)
    # No oscillation where scikit-learn settles quickly.
    if case["max_iter"] == 300 and sk.n_iter_ <= 20:
        assert lloyd.n_iter_ <= sk.n_iter_ + 10, (lloyd.n_iter_, sk.n_iter_)
        assert bounded.n_iter_ <= sk.n_iter_ + 10, (bounded.n_iter_, sk.n_iter_)

    relocated = any(it.relocated for it in lloyd.trace_.runs[0].iterations)
    n_positive = (case["X"].shape[0] if case["sample_weight"] is None
                  else int(np.count_nonzero(case["sample_weight"])))
    # With as many clusters as samples of positive weight, k-means++ ends on
    # a zero potential and picks among exact ties, and scikit-learn moves
    # empty clusters onto zero-weight samples (see the README's list of
    # differences).
    exact = (case["kind"] in CONTINUOUS and not relocated
             and case["k"] < n_positive)
    if not exact:
        return
    # Continuous data, no empty cluster: no tie can explain a difference.
    np.testing.assert_array_equal(bounded.labels_, lloyd.labels_)
    assert bounded.n_iter_ == lloyd.n_iter_
    magnitude = float(np.abs(case["X"]).max())
    rtol = 1e-5 if case["X"].dtype == np.float32 else 1e-12
    np.testing.assert_allclose(bounded.cluster_centers_, lloyd.cluster_centers_,
                               rtol=rtol, atol=rtol * magnitude)
    if case["X"].dtype == np.float64:
        np.testing.assert_array_equal(lloyd.labels_, sk.labels_)
        np.testing.assert_allclose(lloyd.cluster_centers_, sk.cluster_centers_,
                                   rtol=1e-9, atol=1e-12 * magnitude)
        total = float(np.sum(case["sample_weight"])) if case["sample_weight"] is not None \
            else case["X"].shape[0]
        assert lloyd.inertia_ == pytest.approx(
            sk.inertia_, rel=1e-9, abs=1e-24 * total * magnitude**2)
        assert lloyd.n_iter_ == sk.n_iter_
        if isinstance(case["init"], np.ndarray) and case["kind"] != "offset":
            ref = reference.lloyd(case["X"], case["init"],
                                  sample_weight=case["sample_weight"],
                                  max_iter=case["max_iter"], tol=case["tol"])
            np.testing.assert_array_equal(lloyd.labels_, ref["labels"])
            assert lloyd.n_iter_ == ref["n_iter"]


@pytest.mark.parametrize("seed", range(N_CASES))
def test_differential(seed, reference):
    check_case(make_case(seed), reference)


@pytest.mark.slow
def test_differential_many(reference):
    for seed in range(N_CASES, N_CASES + SLOW_CASES):
        check_case(make_case(seed), reference)


# --- Regression tests for the three reproducers ------------------------------

@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly"])
def test_drained_cluster_is_not_rounding_residue(algorithm):
    # (0.3 + 0.2 + 0.4) - 0.3 - 0.2 - 0.4 = 5.6e-17 > 0 used to count as a
    # filled cluster whose centre was residue / residue.
    X = np.array([[0.0], [0.0], [2.9], [2.9], [2.9]])
    w = np.array([1, 1, 0.3, 0.2, 0.4])
    init = np.array([[0.0], [0.0], [0.0], [0.0], [3.4]])
    km = KMeans(5, init=init, n_init=1, max_iter=1, tol=0,
                algorithm=algorithm).fit(X, sample_weight=w)
    # Clusters 1-3 move onto the three 2.9 samples; cluster 4, drained, takes
    # the mean of what it held (2.9).
    np.testing.assert_allclose(km.cluster_centers_.ravel(), [0, 2.9, 2.9, 2.9, 2.9])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        long = KMeans(5, init=init, n_init=1, algorithm=algorithm).fit(X, sample_weight=w)
    assert long.n_iter_ <= 5
    # Inside the data (up to the rounding of a weighted mean).
    assert np.all((long.cluster_centers_ >= 0) & (long.cluster_centers_ <= 2.9 + 1e-12))


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly"])
def test_no_relocation_onto_zero_weight(algorithm):
    X = np.array([[0.0], [1.0], [10.0]])
    w = np.array([1.0, 1.0, 0.0])
    init = np.array([[0.0], [0.0], [1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        km = KMeans(3, init=init, n_init=1, algorithm=algorithm).fit(X, sample_weight=w)
    assert km.n_iter_ == 1  # scikit-learn: 1; it used to swing to max_iter
    assert not np.any(km.cluster_centers_ == 10.0)


def test_more_empty_clusters_than_positive_samples():
    # Two samples of positive weight, four clusters: two clusters can not
    # be relocated and keep their centre; the run still ends at once.
    X = np.array([[0.0], [1.0], [5.0], [6.0]])
    w = np.array([1.0, 1.0, 0.0, 0.0])
    init = np.array([[0.0], [0.5], [0.6], [0.7]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        km = KMeans(4, init=init, n_init=1).fit(X, sample_weight=w)
    assert km.n_iter_ <= 3
    assert km.inertia_ == 0.0


def test_float32_kmeans_plusplus_matches_sklearn_in_many_dimensions():
    # The float32 gemm used to keep spurious distances for samples sitting on
    # chosen centres far from the origin, so the seeds differed from
    # scikit-learn's in every random state at d = 16.
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(300, 16)),
                   rng.normal(1e4, 1e3, (3, 16))]).astype(np.float32)
    agree = sum(
        np.array_equal(kmeans_plusplus(X, 10, random_state=s)[1],
                       sk_kmeans_plusplus(X, 10, random_state=s)[1])
        for s in range(20))
    assert agree >= 19
    _, idx = kmeans_plusplus(X, 10, random_state=0)
    assert idx.tolist() == [166, 302, 301, 300, 20, 292, 233, 43, 231, 185]
