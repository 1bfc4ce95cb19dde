"""Backend agreement on extreme values: the NumPy (C and F order), sparse,
PyTorch (CPU) and Dask backends give the same fit as the plain float64
reference, whatever the data's magnitude, offset or fill values.

Each case is a set of well separated blobs (no near-ties, so labels must
agree exactly) scaled to a magnitude from 1e-300 to 1e300, optionally moved
far from the origin and given a few fill values far outside the data (the
1e20 left in a table). From the same initial centres every backend must

- give the reference's labels (float64 direct differences, computed on the
  data scaled by a power of two, which is exact) and its centres and
  inertia to a relative 1e-9,
- answer ``predict(X) == labels_``, ``-score(X) == inertia_`` (relative
  1e-9) and ``transform(X).argmin(axis=1) == labels_``,
- or, where squared distances overflow in the user's units, refuse with
  the same one-line ValueError on every backend.

The fast subset runs in every test run; the slow marker runs 8x more cases
(``KMEANSLAB_SCALE=1``: 40x).
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from kmeanslab import KMeans

FAST_CASES = 12
SLOW_CASES = 96 if os.environ.get("KMEANSLAB_SCALE") != "1" else 480

MAGNITUDES = (1e-300, 1e-200, 1e-160, 1e-20, 1.0, 1e20, 1e150, 1e200, 1e300)


def _case(seed, uncentred=False):
    """(X, init, description, offset, squared norm of the fill rows) for
    one random extreme-value case."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(30, 120))
    d = int(rng.choice([1, 2, 3, 5, 17]))
    k = int(rng.integers(2, 5))
    centers = rng.normal(size=(k, d)) * 40.0
    owner = np.concatenate([np.arange(k), rng.integers(0, k, n - k)])
    X = centers[owner] + rng.normal(size=(n, d))
    magnitude = float(rng.choice(MAGNITUDES))
    offset = float(rng.choice([0.0, 0.0, 1e6, 1e12]))
    n_fill = int(rng.choice([0, 0, 1, 2]))
    if uncentred and offset:
        # Sparse and Dask data are never centred (as in scikit-learn): their
        # squared distances come from ||x||^2 - 2 x.c + ||c||^2, which far
        # from the origin keeps only eps * ||x||^2 of absolute precision
        # (1e12 away, no digit of the blobs' spread); offsets stay at 1e3
        # there, with no fill values (see
        # test_uncentred_rows_far_outside_the_data).
        offset, n_fill = 1e3, 0
    if (offset + 200.0) * magnitude > 1e300:
        # Keep the data finite: an offset of 1e12 at 1e300 is no number.
        offset = 0.0
    X = (X + offset) * magnitude
    fill = 0.0
    if n_fill:
        # Fill values 1e20 times the data (kept finite). For uncentred
        # backends, ||x||^2 - 2 x.c + ||c||^2 tells the centres apart for a
        # row R times the blobs' size only while R * eps stays well below
        # the blobs' separation: 1e12 there.
        fill = min((1e12 if uncentred else 1e20 * max(offset, 1.0)) * magnitude,
                   1e306)
        rows = rng.choice(np.arange(k, n), size=n_fill, replace=False)
        X[rows] = fill
    init = X[:k].copy()
    what = (f"seed={seed} n={n} d={d} k={k} magnitude={magnitude:g} "
            f"offset={offset:g} fills={n_fill}")
    with np.errstate(over="ignore"):
        fill_sq = n_fill * d * np.float64(fill) ** 2
    return X, init, what, offset, fill_sq


def _reference(X, init, max_iter=300):
    """Plain float64 Lloyd (direct differences, ties to the lowest index)
    on X scaled by a power of two near 1/max|X|; labels, centres and
    inertia in the user's units (inertia may be inf)."""
    e = -int(np.round(np.log2(np.abs(X).max())))
    Xs, C = np.ldexp(X, e), np.ldexp(init, e)
    labels = None
    for _ in range(max_iter):
        diff = Xs[:, None, :] - C[None]
        new = np.einsum("ijk,ijk->ij", diff, diff).argmin(axis=1)
        if labels is not None and np.array_equal(new, labels):
            break
        labels = new
        for c in range(C.shape[0]):
            if np.any(labels == c):
                C[c] = Xs[labels == c].mean(axis=0)
    diff = Xs - C[labels]
    with np.errstate(over="ignore"):
        inertia = float(np.ldexp(np.einsum("ij,ij->", diff, diff), -2 * e))
    return labels, np.ldexp(C, -e), inertia


def _inputs(X, uncentred):
    """The same data as every backend takes it: those that centre it, or
    those that never do."""
    if not uncentred:
        yield "numpy-C", np.ascontiguousarray(X)
        yield "numpy-F", np.asfortranarray(X)
        try:
            import torch
        except ImportError:
            pass
        else:
            yield "torch-cpu", torch.from_numpy(np.ascontiguousarray(X))
        return
    yield "sparse-csr", sp.csr_matrix(X)
    try:
        import dask.array as da
    except ImportError:
        pass
    else:
        yield "dask", da.from_array(X, chunks=(max(1, X.shape[0] // 3), X.shape[1]))


def _fit(X, init):
    km = KMeans(init.shape[0], init=init, n_init=1, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no false "duplicate points"
        return km.fit(X)


def _as_numpy(values):
    if hasattr(values, "compute"):
        values = values.compute()
    return np.asarray(values)


def _check_case(seed):
    for uncentred in (False, True):
        _check_backends(seed, uncentred)


def _check_backends(seed, uncentred):
    X, init, what, offset, fill_sq = _case(seed, uncentred)
    ref_labels, ref_centers, ref_inertia = _reference(X, init)
    for name, data in _inputs(X, uncentred):
        where = f"{name}, {what}"
        # Far from the origin the data itself is known to eps * offset, and
        # uncentred backends' squared distances to eps * offset**2 (the
        # blobs' spread is about 1).
        eps = np.finfo(np.float64).eps
        rel = max(1e-9, 16 * eps * (offset**2 if uncentred else offset))
        # ...and sparse rows' distances (||c||^2 + sum((x - c)^2 - c^2)) to
        # eps * ||x||^2: the fill rows' cluster to eps * ||fill||^2 (the
        # limit test_uncentred_rows_far_outside_the_data shows).
        atol = max(1e-300, 16 * eps * fill_sq if name.startswith("sparse") else 0.0)
        if not np.isfinite(ref_inertia):
            with pytest.raises(ValueError, match="too large") as info:
                _fit(data, init)
            assert "\n" not in str(info.value), where
            continue
        km = _fit(data, init)
        labels = _as_numpy(km.labels_)
        np.testing.assert_array_equal(labels, ref_labels, err_msg=where)
        np.testing.assert_allclose(km.cluster_centers_, ref_centers, rtol=1e-9,
                                   atol=1e-12 * np.abs(ref_centers).max(),
                                   err_msg=where)
        assert km.inertia_ == pytest.approx(ref_inertia, rel=rel,
                                            abs=atol), where
        np.testing.assert_array_equal(_as_numpy(km.predict(data)), labels,
                                      err_msg=where)
        assert -km.score(data) == pytest.approx(km.inertia_, rel=rel,
                                                abs=atol), where
        dists = _as_numpy(km.transform(data))
        assert np.all(dists >= 0), where
        np.testing.assert_array_equal(dists.argmin(axis=1), labels, err_msg=where)


@pytest.mark.parametrize("seed", range(FAST_CASES))
def test_backends_agree_on_extreme_values(seed):
    _check_case(seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(FAST_CASES, FAST_CASES + SLOW_CASES))
def test_backends_agree_on_extreme_values_slow(seed):
    _check_case(seed)


@pytest.mark.parametrize("fill", [1e20, -1e20, 1e150])
def test_one_fill_value_leaves_the_dense_fit_intact(fill):
    # Issue 18: one fill value used to move the centring point so far that
    # every other row collapsed onto one value (inertia 0, a false
    # "duplicate points" warning); dense and sparse fits now agree.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3)) + rng.integers(0, 3, (60, 1)) * 4
    X[3] = fill
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dense = KMeans(3, random_state=0).fit(X)
        sparse = KMeans(3, random_state=0).fit(sp.csr_matrix(X))
    np.testing.assert_array_equal(dense.labels_, sparse.labels_)
    assert dense.inertia_ == pytest.approx(sparse.inertia_, rel=1e-9)
    assert -dense.score(X) == pytest.approx(dense.inertia_, rel=1e-9)
    assert np.bincount(dense.labels_).min() >= 1


def test_tiny_values_predict_like_the_fit():
    # Issue 18: at 1e-200 squared distances underflow unless predict,
    # transform and score scale the data as the fit does.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5)) * 1e-200
    km = KMeans(4, random_state=0).fit(X)
    np.testing.assert_array_equal(km.predict(X), km.labels_)
    dists = km.transform(X)
    assert np.all(dists > 0)
    np.testing.assert_array_equal(dists.argmin(axis=1), km.labels_)
    assert -km.score(X) == pytest.approx(km.inertia_, rel=1e-9)
    diff = np.ldexp(X - km.cluster_centers_[km.labels_], 600)  # exact
    np.testing.assert_allclose(dists[np.arange(200), km.labels_],
                               np.ldexp(np.sqrt((diff ** 2).sum(axis=1)), -600),
                               rtol=1e-9)


@pytest.mark.xfail(strict=True, reason=(
    "known limit: sparse rows are measured as ||x||^2 - 2 x.c + ||c||^2, "
    "which cannot tell the centres apart for a row 1e20 times the data's "
    "size, nor measure a cluster far from the origin to better than "
    "eps * ||x||^2; an exact recheck of such rows comes with the native "
    "kernels"))
@pytest.mark.parametrize("seed", [1, 7])
def test_uncentred_rows_far_outside_the_data(seed):
    X, init, _, _, _ = _case(seed)
    ref_labels, _, ref_inertia = _reference(X, init)
    km = _fit(sp.csr_matrix(X), init)
    np.testing.assert_array_equal(km.labels_, ref_labels)
    assert km.inertia_ == pytest.approx(ref_inertia, rel=1e-6)
