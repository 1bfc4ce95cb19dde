"""The silhouette and choose_k on torch tensors, against the NumPy path.

CPU tensors take the float64 ``torch.cdist`` path (within 1e-12 of
``kmeanslab.metrics`` on the NumPy copy); with ``TRITON_INTERPRET=1`` they
take the Triton kernel as CUDA tensors do (float32 distances, within the
kernel's bound). Tests marked ``gpu`` repeat the checks on CUDA.
"""

import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from kmeanslab import metrics  # noqa: E402
from kmeanslab.backends.torch import _silhouette as tsil  # noqa: E402
from kmeanslab.backends.torch import silhouette_samples_torch  # noqa: E402
from kmeanslab.selection import choose_k  # noqa: E402

# Kernel path against the NumPy path: the kernel's sums are within about
# 1.1e-6 relative, a silhouette within about twice that.
KERNEL_ATOL = 5e-6


def _data(seed, n=240, d=3, dtype=np.float64):
    """Four Gaussian blobs, labels shuffled, with a cluster of 3 rows, a
    singleton (score 0) and label values that are not 0..k-1."""
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=4.0, size=(4, d))
    labels = np.repeat(np.array([3, 10, 20, 42]), n // 4)
    rng.shuffle(labels)
    X = means[np.searchsorted([3, 10, 20, 42], labels)] + rng.normal(size=(n, d))
    labels[:3] = 7
    labels[5] = 99
    return X.astype(dtype), labels


@pytest.fixture
def interpreter(monkeypatch):
    """The Triton kernels run under the interpreter for this test only."""
    pytest.importorskip("triton")
    monkeypatch.setenv("TRITON_INTERPRET", "1")


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
@pytest.mark.parametrize("as_tensor", [True, False], ids=["tensor-labels", "array-labels"])
def test_cpu_tensor_matches_numpy(dtype, metric, as_tensor, random_seed):
    X, labels = _data(random_seed, dtype=dtype)
    if metric == "cosine":
        X[7] = 0.0  # at distance 1 from every other row
    expected = metrics.silhouette_samples(X, labels, metric=metric)
    got = metrics.silhouette_samples(torch.from_numpy(X),
                                     torch.from_numpy(labels) if as_tensor else labels,
                                     metric=metric)
    assert isinstance(got, np.ndarray) and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    assert got[5] == 0.0
    assert metrics.silhouette_score(torch.from_numpy(X), labels, metric=metric) == \
        pytest.approx(float(np.mean(expected)), abs=1e-12)


@pytest.mark.parametrize("n_features", [2, 20], ids=["direct", "dot"])
@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_kernel_path_matches_numpy(interpreter, monkeypatch, n_features, metric,
                                   random_seed):
    """Through the Triton kernel (the CUDA path, here interpreted); the
    cosine metric needs no distance kernel (per-cluster sums)."""
    from kmeanslab._kernels.triton import _silhouette as kernels

    launched = []
    launch = kernels.SilhouetteSums.__call__
    monkeypatch.setattr(kernels.SilhouetteSums, "__call__",
                        lambda self, queries: launched.append(len(queries))
                        or launch(self, queries))
    X, labels = _data(random_seed, n=160, d=n_features, dtype=np.float32)
    expected = metrics.silhouette_samples(X, labels, metric=metric)
    got = metrics.silhouette_samples(torch.from_numpy(X), torch.from_numpy(labels),
                                     metric=metric)
    assert launched == ([160] if metric == "euclidean" else [])
    np.testing.assert_allclose(got, expected, rtol=0, atol=KERNEL_ATOL)
    assert got[5] == 0.0
    again = metrics.silhouette_samples(torch.from_numpy(X), labels, metric=metric)
    np.testing.assert_array_equal(got, again)


def test_chunks_and_blocks_give_the_same_scores(monkeypatch, random_seed):
    """Small blocks and pieces on the CPU path (many cdist calls per cluster)
    and a progress callback change nothing beyond rounding."""
    X, labels = _data(random_seed, n=120)
    T = torch.from_numpy(X)
    whole = silhouette_samples_torch(T, labels)
    monkeypatch.setattr(tsil, "BLOCK_ELEMENTS", 500)
    calls = []
    parts = silhouette_samples_torch(T, labels, progress=lambda *a: calls.append(a))
    np.testing.assert_allclose(parts, whole, rtol=0, atol=1e-13)
    n_parts = -(-120 // (500 // 120))
    assert calls == [(i + 1, n_parts) for i in range(n_parts)]


def test_kernel_chunks(interpreter, monkeypatch, random_seed):
    """Several launches of the kernel (CHUNK_ELEMENTS small) give the scores
    of one launch."""
    X, labels = _data(random_seed, n=200, d=2, dtype=np.float32)
    T = torch.from_numpy(X)
    whole = silhouette_samples_torch(T, labels)
    monkeypatch.setattr(tsil, "CHUNK_ELEMENTS", 64 * 6)
    calls = []
    parts = silhouette_samples_torch(T, labels, progress=lambda *a: calls.append(a))
    np.testing.assert_allclose(parts, whole, rtol=0, atol=1e-12)
    assert calls[-1] == (4, 4)


def test_same_threads_same_bits(random_seed):
    """The CPU path sums in a fixed order: one thread or two, same bits."""
    X, labels = _data(random_seed, n=200)
    T = torch.from_numpy(X)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = silhouette_samples_torch(T, labels)
        torch.set_num_threads(2)
        two = silhouette_samples_torch(T, labels)
    finally:
        torch.set_num_threads(before)
    np.testing.assert_array_equal(one, two)


def test_sample_size_draws_the_numpy_rows(random_seed):
    X, labels = _data(random_seed)
    T = torch.from_numpy(X)
    for seed in (0, 1):
        expected = metrics.silhouette_score(X, labels, sample_size=60, random_state=seed)
        got = metrics.silhouette_score(T, torch.from_numpy(labels), sample_size=60,
                                       random_state=seed)
        assert got == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("n_samples", [40, 1000], ids=["sampled", "all-rows"])
def test_silhouette_estimate_on_a_tensor(n_samples, random_seed):
    X, labels = _data(random_seed)
    expected = metrics.silhouette_estimate(X, labels, n_samples=n_samples, random_state=3)
    got = metrics.silhouette_estimate(torch.from_numpy(X), labels, n_samples=n_samples,
                                      random_state=3)
    assert (got.method, got.n_samples) == (expected.method, expected.n_samples)
    np.testing.assert_allclose([got.estimate, got.low, got.high],
                               [expected.estimate, expected.low, expected.high],
                               rtol=0, atol=1e-12)


def test_other_metrics_take_a_host_copy(random_seed):
    X, labels = _data(random_seed, dtype=np.float32)
    T, L = torch.from_numpy(X), torch.from_numpy(labels)
    assert metrics.calinski_harabasz_score(T, L) == metrics.calinski_harabasz_score(X, labels)
    assert metrics.davies_bouldin_score(T, L) == metrics.davies_bouldin_score(X, labels)
    assert metrics.simplified_silhouette(T.bfloat16(), L) == \
        metrics.simplified_silhouette(T.bfloat16().float().numpy(), labels)


def test_errors_name_the_problem():
    X, labels = _data(0, n=40)
    T = torch.from_numpy(X)
    with pytest.raises(ValueError, match="length 39"):
        metrics.silhouette_samples(T, torch.from_numpy(labels[:-1]))
    with pytest.raises(ValueError, match="1-D"):
        metrics.silhouette_samples(T, torch.from_numpy(labels)[:, None])
    with pytest.raises(ValueError, match="NaN"):
        metrics.silhouette_samples(T, torch.full((40,), float("nan")))
    with pytest.raises(ValueError, match="distinct value"):
        metrics.silhouette_score(T, torch.zeros(40))
    with pytest.raises(ValueError, match="metric"):
        metrics.silhouette_samples(T, labels, metric="manhattan")
    with pytest.raises(ValueError, match="NaN or infinity"):
        metrics.silhouette_score(T.clone().fill_(float("inf")), labels)


CRITERIA = ("elbow", "silhouette", "calinski_harabasz", "davies_bouldin", "gap",
            "stability")


@pytest.mark.parametrize("silhouette", ["exact", "sampled"])
def test_choose_k_on_a_tensor(silhouette):
    """Same picks, recommendation and table as for the NumPy array: the
    fits agree and every criterion scores the same partitions."""
    from sklearn.datasets import make_blobs

    X, _ = make_blobs(200, centers=3, cluster_std=0.6, random_state=1)
    params = dict(criteria=CRITERIA, silhouette=silhouette, random_state=0,
                  progress=False, n_refs=2, n_runs=2, silhouette_n_samples=50)
    expected = choose_k(X, range(2, 6), **params)
    got = choose_k(torch.from_numpy(X), range(2, 6), **params)
    assert got.picks == expected.picks
    assert got.recommended_k == expected.recommended_k == 3
    for row, expected_row in zip(got.table, expected.table):
        assert row.keys() == expected_row.keys()
        for key, value in expected_row.items():
            if key == "fit_seconds":
                continue
            if isinstance(value, float):
                assert row[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key
            else:
                assert row[key] == value, key


def test_choose_k_cosine_tensor_is_refused():
    with pytest.raises(ValueError, match="metric='cosine'.*numpy"):
        choose_k(torch.rand(20, 3), range(2, 4), metric="cosine", progress=False)


def test_import_stays_free_of_torch():
    code = ("import sys, kmeanslab, kmeanslab.metrics, kmeanslab.selection; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def _cuda():
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device (torch.cuda.is_available() is False)")


@pytest.mark.gpu
@pytest.mark.parametrize("n_features", [2, 64], ids=["direct", "dot"])
def test_gpu_matches_numpy(n_features, random_seed):
    _cuda()
    X, labels = _data(random_seed, n=20_000, d=n_features, dtype=np.float32)
    expected = metrics.silhouette_samples(X, labels)
    got = metrics.silhouette_samples(torch.from_numpy(X).cuda(), torch.from_numpy(labels).cuda())
    # The dot path (tf32x3 products) is looser: see dot_sq_dist_error.
    atol = KERNEL_ATOL if n_features < 16 else 1e-4
    np.testing.assert_allclose(got, expected, rtol=0, atol=atol)


@pytest.mark.gpu
def test_gpu_a_million_rows_within_a_second(random_seed):
    """The issue's target: exact silhouette of 1M x 2 in at most 1 s on an
    H200 (plain PyTorch: 19.7 s). Asserted at 3 s to leave room for other
    GPUs; the time is printed."""
    import time

    _cuda()
    rng = np.random.default_rng(random_seed)
    X = torch.from_numpy(rng.normal(size=(1_000_000, 2)).astype(np.float32)).cuda()
    labels = torch.from_numpy(rng.integers(0, 8, 1_000_000)).cuda()
    metrics.silhouette_score(X[:5000], labels[:5000])  # compile the kernel
    torch.cuda.synchronize()
    start = time.perf_counter()
    score = metrics.silhouette_score(X, labels)
    seconds = time.perf_counter() - start
    print(f"exact silhouette 1M x 2, k=8: {seconds:.3f} s")
    assert -1.0 <= score <= 1.0
    assert seconds < 3.0


@pytest.mark.gpu
def test_gpu_choose_k():
    _cuda()
    from sklearn.datasets import make_blobs

    X, _ = make_blobs(2000, centers=4, cluster_std=0.7, random_state=2)
    params = dict(criteria=("elbow", "silhouette", "calinski_harabasz"), random_state=0,
                  progress=False)
    expected = choose_k(X.astype(np.float32), range(2, 7), **params)
    got = choose_k(torch.from_numpy(X.astype(np.float32)).cuda(), range(2, 7), **params)
    assert got.picks == expected.picks
    np.testing.assert_allclose([r["silhouette"] for r in got.table],
                               [r["silhouette"] for r in expected.table], atol=KERNEL_ATOL)
