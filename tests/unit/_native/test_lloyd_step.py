"""The native Lloyd step: exact labels on every instruction set, and the same
statistics to the bit for any path and thread count.

The reference is the label rule written out in NumPy (``rule_sq_dists``):
float64 direct differences, feature f summed into lane f % 8, lanes added
left to right, lowest index on ties. Paths this CPU lacks are skipped with
the reason.
"""

from __future__ import annotations

import numpy as np
import pytest

from kmeanslab import KMeans, _native
from kmeanslab._kernels.common import block_starts

ALL_ISAS = _native.ISAS
AVAILABLE = _native.available_isas()


def rule_sq_dists(X, centers):
    """F of every (row, centre) pair, in the rule's order."""
    X = np.asarray(X, dtype=np.float64)
    C = np.asarray(centers, dtype=np.float64)
    lanes = np.zeros((8, X.shape[0], C.shape[0]))
    for f in range(X.shape[1]):
        diff = X[:, None, f] - C[None, :, f]
        lanes[f % 8] = lanes[f % 8] + diff * diff
    total = lanes[0].copy()
    for j in range(1, 8):
        total = total + lanes[j]
    return total


def run_step(X, centers, sample_weight=None, *, isa, n_threads=1):
    n, d = X.shape
    w = np.ones(n, X.dtype) if sample_weight is None else sample_weight.astype(X.dtype)
    starts = block_starts(n)
    labels = np.full(n, -1, dtype=np.int32)
    out = _native.new_step_result(len(starts) - 1, centers.shape[0], d)
    screen = _native.screen_rows(X) if d >= _native.LOWD_MAX else None
    _native.lloyd_step(X, w, centers, starts, labels, out, screen=screen,
                       n_threads=n_threads, isa=isa)
    return labels, out


def isa_param(isa):
    return pytest.param(isa, marks=pytest.mark.skipif(
        isa not in AVAILABLE, reason=f"this CPU does not run {isa}"))


ISA_PARAMS = [isa_param(isa) for isa in ALL_ISAS]


def near_tie_case(seed):
    """Data built for near-ties: duplicates, centres a few ulps apart or
    equal, a large offset, tiny values, standardised heavy duplicates."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    d = int(rng.choice([1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 33, 64, 130]))
    k = int(rng.integers(1, 70))
    dtype = rng.choice([np.float32, np.float64])
    kind = seed % 5
    X = rng.normal(size=(n, d))
    if kind == 1:
        X = X + 1e6
    elif kind == 2:
        X = X * 1e-30
    elif kind == 3:
        X = np.round(rng.normal(size=(n, d)) * 2)  # heavy duplicates
        X = (X - X.mean(0)) / (X.std(0) + 1.0)
    X = X.astype(dtype)
    centers = X[rng.integers(0, n, k)].astype(np.float64)
    if k > 1:
        centers[1] = centers[0]  # an exact tie
    if k > 2:
        centers[2] = np.nextafter(centers[0], np.inf)  # a few ulps apart
    if kind == 4 and k > 3:
        centers[3] = (X[0].astype(np.float64) + centers[0]) / 2
    w = rng.uniform(0, 2, n)
    w[rng.random(n) < 0.15] = 0.0
    return X, centers.astype(dtype), w


@pytest.mark.parametrize("isa", ISA_PARAMS)
@pytest.mark.parametrize("seed", range(40))
def test_labels_are_the_rule_nearest(seed, isa):
    X, centers, w = near_tie_case(seed)
    labels, out = run_step(X, centers, w, isa=isa)
    F = rule_sq_dists(X, centers)
    np.testing.assert_array_equal(labels, F.argmin(axis=1))
    rows = np.arange(X.shape[0])
    expected = float(np.sum(w.astype(X.dtype).astype(np.float64) * F[rows, labels]))
    assert out.inertia.sum() == pytest.approx(expected, rel=1e-12, abs=1e-300)
    assert (out.counts.sum(axis=0) == np.bincount(labels[w > 0],
                                                  minlength=centers.shape[0])).all()


@pytest.mark.parametrize("seed", range(24))
def test_every_path_and_thread_count_gives_the_same_bits(seed):
    X, centers, w = near_tie_case(1000 + seed)
    results = [run_step(X, centers, w, isa=isa, n_threads=t)
               for isa in AVAILABLE for t in (1, 2)]
    labels0, out0 = results[0]
    for labels, out in results[1:]:
        np.testing.assert_array_equal(labels, labels0)
        for name in ("sums", "weights", "counts", "inertia", "n_changed"):
            np.testing.assert_array_equal(getattr(out, name), getattr(out0, name))


@pytest.mark.parametrize("isa", [i for i in ISA_PARAMS if i.values[0] != "scalar"])
def test_the_bound_sends_undecidable_rows_to_the_recheck(isa):
    # Each row lies almost halfway between two centres: the float64 gap is
    # gap_scale times the row's scale, from far inside the float32 screen's
    # error to far outside it. Inside, the screen cannot order the pair, so
    # the row must be rechecked and get the float64 answer; outside, the
    # screen decides it alone.
    rng = np.random.default_rng(7)
    d, n = 64, 200
    a = rng.normal(size=d)
    b = a + rng.normal(size=d) * 0.5
    mid = (a + b) / 2
    direction = (b - a) / np.linalg.norm(b - a)
    centers = np.vstack([a, b] + [a + 40 + rng.normal(size=d) for _ in range(5)])
    for gap_scale, decided_alone in ((1e-12, False), (1e-9, False), (1e-2, True)):
        side = rng.choice([-1.0, 1.0], size=n)
        X = mid + np.outer(side * gap_scale, direction) + rng.normal(size=(n, d)) * 1e-14
        labels, out = run_step(np.ascontiguousarray(X), centers, isa=isa)
        np.testing.assert_array_equal(labels, rule_sq_dists(X, centers).argmin(axis=1))
        n_rechecked = int(out.n_rechecked.sum())
        if decided_alone:
            assert n_rechecked == 0
        else:
            assert n_rechecked == n
            # the pair, and nothing that is far away
            assert int(out.n_candidates.sum()) == 2 * n


def test_float32_screen_alone_would_be_wrong_here():
    # Centres closer together than float32 can tell apart: the screen must
    # defer to the recheck, whose float64 answer differs from float32's.
    x = np.array([[1.0 + 2 ** -30] * 16], dtype=np.float64)
    centers = np.array([[1.0] * 16, [1.0 + 2 ** -29] * 16])
    for isa in AVAILABLE:
        labels, out = run_step(x, centers, isa=isa)
        assert labels[0] == 0  # equidistant in float64: the lower index
    centers[1] = 1.0 + 2 ** -31
    for isa in AVAILABLE:
        labels, _ = run_step(x, centers, isa=isa)
        assert labels[0] == 1


def test_an_unknown_isa_is_refused(monkeypatch):
    with pytest.raises(ValueError, match="isa must be one of"):
        _native.selected_isa("sse9")
    monkeypatch.setenv("KMEANSLAB_ISA", "neon")
    with pytest.raises(ValueError, match="KMEANSLAB_ISA must be one of"):
        _native.selected_isa()
    monkeypatch.setenv("KMEANSLAB_ISA", "scalar")
    assert _native.selected_isa() == "scalar"


@pytest.mark.parametrize("shape", [(3000, 2, 5), (2000, 20, 12)])
def test_a_fit_is_bitwise_the_same_on_every_forced_path(monkeypatch, shape):
    n, d, k = shape
    rng = np.random.default_rng(3)
    X = (rng.normal(size=(n, d)) + rng.integers(0, 4, (n, 1)) * 3).astype(np.float32)
    fits = []
    for isa in AVAILABLE:
        monkeypatch.setenv("KMEANSLAB_ISA", isa)
        fits.append(KMeans(k, random_state=0, algorithm="lloyd", n_init=2).fit(X))
    for km in fits[1:]:
        np.testing.assert_array_equal(km.labels_, fits[0].labels_)
        np.testing.assert_array_equal(km.cluster_centers_, fits[0].cluster_centers_)
        assert km.inertia_ == fits[0].inertia_
