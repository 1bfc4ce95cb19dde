"""SphericalKMeans invariants on random dense and sparse inputs.

Each case draws rows from a few directions (or small integers, whose exact
ties stress the tie rule), then adds what a demanding user's data holds:
rows of zeros, duplicated rows, negative values, one feature, rows scaled
to magnitudes from 1e-300 to 1e300 (each row its own), as many clusters as
rows with a direction, and sample weights with zeros. On every case

- the centres have unit norm;
- every label is a most similar centre by a float64 NumPy reference
  (argmax of the normalised rows times the centres, within 1e-12), the
  lowest index among identical centres, and 0 for rows of zeros, in
  ``labels_`` and in ``predict``; ``predict(X) == labels_``;
- ``inertia_``, ``-score(X)`` and ``transform(X)`` equal the reference's
  weighted ``1 - cos`` (relative 1e-9);
- scaling each row by a positive factor gives the same fit: bitwise for
  powers of two, to 1e-9 for any factor (where no row is within 1e-9 of a
  tie, which rounding could then decide either way);
- dense and sparse input give the same fit (the same exception).

The fast subset runs in every test run; the slow marker runs more cases
(``KMEANSLAB_SCALE=1``: many more).
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from kmeanslab import SphericalKMeans

FAST_CASES = 40
SLOW_CASES = 40 if os.environ.get("KMEANSLAB_SCALE") != "1" else 1200

MAGNITUDES = (1e-300, 1e-200, 1e-160, 1e-20, 1.0, 1e20, 1e150, 1e200, 1e300)
# Two similarities closer than this are a tie that rounding may decide
# either way (the fit measures F on rows normalised in its own order).
TIE = 1e-12
# A fit whose rows are all at least this far from a tie is stable under
# the rounding of a row's scaling (about 1e-16 relative).
STABLE = 1e-9


def reference_unit(X):
    """Rows scaled to unit norm in float64 by plain NumPy (through each
    row's largest magnitude, so nothing underflows), and the zero rows."""
    X = np.asarray(X.toarray() if sp.issparse(X) else X, dtype=np.float64)
    amax = np.abs(X).max(axis=1)
    zero = amax == 0
    U = np.zeros_like(X)
    U[~zero] = X[~zero] / amax[~zero, None]
    U[~zero] /= np.linalg.norm(U[~zero], axis=1, keepdims=True)
    return U, zero


def _case(seed):
    """(X dense float64, sample_weight or None, n_clusters, description)."""
    rng = np.random.default_rng(seed)
    d = int(rng.choice([1, 2, 3, 5, 9, 17]))
    n = int(rng.integers(2, 80))
    kind = str(rng.choice(["directions", "integers", "signs"]))
    if kind == "directions":
        n_dir = int(rng.integers(1, 6))
        directions = rng.normal(size=(n_dir, d))
        X = directions[rng.integers(0, n_dir, n)] + 0.05 * rng.normal(size=(n, d))
    elif kind == "integers":
        X = rng.integers(-2, 3, size=(n, d)).astype(np.float64)
    else:
        # Opposite and symmetric rows: exact ties of cosine similarity.
        base = rng.integers(-1, 2, size=(max(1, n // 3), d)).astype(np.float64)
        X = np.concatenate([base, -base, base])[:n]
        n = X.shape[0]
    if rng.random() < 0.3:
        X = np.abs(X)  # non-negative, as TF-IDF
    if rng.random() < 0.4:
        # Duplicated rows.
        X = np.concatenate([X, X[rng.integers(0, n, int(rng.integers(1, 10)))]])
    if rng.random() < 0.5:
        # Rows of zeros.
        X = np.concatenate([X, np.zeros((int(rng.integers(1, 5)), d))])
    X = X[rng.permutation(X.shape[0])]
    if rng.random() < 0.3:
        # Sparse rows: most entries zero.
        X = X * (rng.random(X.shape) < 0.4)
    n = X.shape[0]
    # Every row its own magnitude, from 1e-300 to 1e300.
    how = str(rng.choice(["one", "mixed", "unit"]))
    if how == "one":
        scale = np.full(n, float(rng.choice(MAGNITUDES)))
    elif how == "mixed":
        scale = rng.choice(MAGNITUDES, size=n)
    else:
        scale = np.ones(n)
    X = X * scale[:, None] * rng.uniform(0.5, 2.0, size=(n, 1))
    U, zero = reference_unit(X)
    n_directions = len(np.unique(U[~zero], axis=0))
    sw = None
    w_kind = str(rng.choice(["none", "positive", "zeros"]))
    if w_kind == "positive":
        sw = rng.uniform(0.1, 3.0, n)
    elif w_kind == "zeros":
        sw = rng.integers(0, 3, n).astype(np.float64)
        sw[np.flatnonzero(~zero)[:1]] = 1.0  # one row with a direction weighs
    n_nonzero = int(np.count_nonzero(~zero))
    if n_nonzero == 0:
        k = 1
    elif rng.random() < 0.2:
        k = n_nonzero  # as many clusters as rows with a direction
    else:
        k = int(rng.integers(1, min(n_nonzero, 8) + 1))
    what = (f"seed={seed} kind={kind} n={n} d={d} k={k} zero_rows="
            f"{int(zero.sum())} directions={n_directions} magnitudes={how} "
            f"weights={w_kind}")
    return X, sw, k, what


def _fit(X, k, sw, seed, **kw):
    km = SphericalKMeans(k, random_state=seed, n_init=2, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return km.fit(X, sample_weight=sw)


def _tie_gap(U, zero, centers):
    """Per row, the gap between its two largest similarities (inf for rows
    of zeros and with one centre)."""
    if centers.shape[0] < 2:
        return np.full(U.shape[0], np.inf)
    sims = np.sort(U @ centers.T, axis=1)
    gap = sims[:, -1] - sims[:, -2]
    gap[zero] = np.inf
    return gap


def _min_gap_of_run(km, U, zero):
    """The smallest tie gap of any row at any assignment of the best run
    (to the initial centres and to every iteration's centres)."""
    run = km.trace_.runs[km.trace_.best_run]
    gaps = [_tie_gap(U, zero, run.init_centers).min()]
    gaps += [_tie_gap(U, zero, it.centers).min() for it in run.iterations]
    return min(gaps)


def _check_invariants(km, X, sw, what):
    U, zero = reference_unit(X)
    C = km.cluster_centers_.astype(np.float64)
    labels = km.labels_
    w = np.ones(X.shape[0]) if sw is None else np.asarray(sw, dtype=np.float64)

    # Unit norm, also where a cluster's rows cancel (x and -x): the centre
    # then keeps its previous direction.
    norms = np.linalg.norm(C, axis=1)
    np.testing.assert_allclose(norms, 1.0, rtol=0, atol=1e-12, err_msg=what)

    sims = U @ C.T
    best = sims.max(axis=1)
    chosen = sims[np.arange(len(labels)), labels]
    assert (labels[zero] == 0).all(), what
    assert (chosen[~zero] >= best[~zero] - TIE).all(), what
    # Identical centres are exactly tied for every row: the lowest index.
    for j in range(C.shape[0]):
        twins = np.flatnonzero((C == C[j]).all(axis=1))
        assert not np.isin(labels, twins[1:]).any(), what

    np.testing.assert_array_equal(km.predict(X), labels, err_msg=what)

    # 1 - cos as half the squared chord: no cancellation for tight clusters.
    chord = 0.5 * np.sum((U - C[labels]) ** 2, axis=1)
    objective = float(np.sum(w * np.where(zero, 1.0, chord)))
    scale = 1e-12 * float(np.sum(w))
    assert km.inertia_ == pytest.approx(objective, rel=1e-9, abs=scale), what
    assert -km.score(X, sample_weight=sw) == pytest.approx(
        objective, rel=1e-9, abs=scale), what
    np.testing.assert_allclose(km.transform(X), 1.0 - np.where(zero[:, None], 0.0, sims),
                               rtol=0, atol=1e-12, err_msg=what)


def _objective_tie(*fits):
    """True when two runs of a fit end within 1e-9 of each other's
    objective: which one is kept (the restarts' best) is then up to
    rounding, as it is between two partitions of equal objective."""
    for fit in fits:
        inertia = np.array([run.inertia for run in fit.trace_.runs])
        diff = np.abs(inertia[:, None] - inertia[None, :])
        scale = 1e-9 * np.maximum(np.abs(inertia[:, None]), np.abs(inertia[None, :]))
        np.fill_diagonal(diff, np.inf)
        if (diff <= scale + 1e-12).any():
            return True
    return False


def _same_fit(a, b, what, exact):
    if not exact and _objective_tie(a, b):
        assert a.inertia_ == pytest.approx(b.inertia_, rel=1e-9, abs=1e-12), what
        return
    np.testing.assert_array_equal(a.labels_, b.labels_, err_msg=what)
    if exact:
        np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_,
                                      err_msg=what)
        assert a.inertia_ == b.inertia_, what
    else:
        np.testing.assert_allclose(a.cluster_centers_, b.cluster_centers_,
                                   rtol=0, atol=1e-9, err_msg=what)
        assert a.inertia_ == pytest.approx(b.inertia_, rel=1e-9, abs=1e-12), what
    assert a.n_iter_ == b.n_iter_, what


def _power_of_two_factors(X, rng):
    """Per row, a power of two that keeps every non-zero value of the row
    a normal float64 (so the scaling is exact)."""
    A = np.abs(X)
    with np.errstate(divide="ignore"):
        top = np.frexp(A.max(axis=1))[1]
        low = np.frexp(np.where(A > 0, A, np.inf).min(axis=1))[1]
    low = np.where(np.isfinite(A.max(axis=1)) & (A.max(axis=1) > 0), low, top)
    lo = np.maximum(-1000 - low, -200)
    hi = np.minimum(1000 - top, 200)
    return np.ldexp(1.0, rng.integers(lo, np.maximum(hi, lo) + 1))


def _run_case(seed):
    X, sw, k, what = _case(seed)
    rng = np.random.default_rng(seed + 10**6)
    U, zero = reference_unit(X)
    if not (np.ones(X.shape[0]) if sw is None else sw)[~zero].sum() > 0:
        for data in (X, sp.csr_matrix(X)):
            with pytest.raises(ValueError, match="no non-zero row"):
                _fit(data, k, sw, seed)
        return
    dense = _fit(X, k, sw, seed, record_labels=True)
    _check_invariants(dense, X, sw, what)
    sparse = _fit(sp.csr_matrix(X), k, sw, seed, record_labels=True)
    _check_invariants(sparse, sp.csr_matrix(X), sw, what + " sparse")
    for fit in (dense, sparse):
        for it in fit.trace_.runs[fit.trace_.best_run].iterations:
            assert (it.labels[zero] == 0).all(), what
    stable = min(_min_gap_of_run(dense, U, zero),
                 _min_gap_of_run(sparse, U, zero)) > STABLE
    if stable:
        _same_fit(dense, sparse, what + " dense vs sparse", exact=False)

    # Powers of two: the same unit rows to the bit, so the same fit.
    factors = _power_of_two_factors(X, rng)
    scaled = _fit(X * factors[:, None], k, sw, seed)
    _same_fit(scaled, dense, what + " x 2**j", exact=True)
    scaled = _fit(sp.csr_matrix(X * factors[:, None]), k, sw, seed)
    _same_fit(scaled, sparse, what + " sparse x 2**j", exact=True)
    # Any positive factor (kept finite): the same fit up to rounding.
    amax = np.abs(X).max(axis=1)
    factors = rng.uniform(0.3, 3.0, X.shape[0]) * np.where(
        amax > 1e290, 1e-10, np.where(amax < 1e-290, 1e10, 1.0))
    if stable:
        scaled = _fit(X * factors[:, None], k, sw, seed)
        _check_invariants(scaled, X * factors[:, None], sw, what + " x factor")
        if _min_gap_of_run(scaled, U, zero) > STABLE:
            _same_fit(scaled, dense, what + " x factor", exact=False)


@pytest.mark.parametrize("seed", range(FAST_CASES))
def test_spherical_invariants(seed):
    _run_case(seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(FAST_CASES, FAST_CASES + SLOW_CASES))
def test_spherical_invariants_slow(seed):
    _run_case(seed)


def test_too_many_clusters_for_the_rows_with_a_direction():
    """n_clusters counts rows with a direction, dense or sparse alike."""
    X = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 2.0], [0.0, 0.0]])
    for data in (X, sp.csr_matrix(X)):
        with pytest.raises(ValueError, match="larger than the 2 non-zero rows"):
            SphericalKMeans(3).fit(data)
        km = SphericalKMeans(2, random_state=0).fit(data)
        assert km.labels_.tolist() in ([0, 0, 1, 0], [1, 0, 0, 0])
