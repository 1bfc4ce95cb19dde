"""kmeanslab._kernels.triton.segment_sums and row_sq_norms against NumPy.

Tiny inputs run under Triton's interpreter on CPU tensors; the tests marked
``gpu`` repeat them at a realistic size on CUDA. The sums must be within
1e-12 of a float64 reference (relative to Σ|w·x| of the cluster), and
bitwise the same across launches and across launch tiles.
"""

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="the Triton kernels take torch tensors (pip install kmeanslab[torch])")
pytest.importorskip("triton", reason="the GPU kernels are written in Triton")

from kmeanslab._kernels.triton import row_sq_norms, segment_sums  # noqa: E402
from kmeanslab._kernels.triton._segments import choose_segment_blocks  # noqa: E402

pytestmark = pytest.mark.usefixtures("triton_mode")


def _reference(X, sample_weight, labels, n_clusters):
    """Float64 sums, weights, counts and Σ|w·x| per cluster (NumPy)."""
    X64 = X.double().cpu().numpy()
    w64 = sample_weight.double().cpu().numpy()
    labels = labels.cpu().numpy().astype(np.int64)
    sums = np.zeros((n_clusters, X64.shape[1]))
    np.add.at(sums, labels, w64[:, None] * X64)
    scale = np.zeros_like(sums)
    np.add.at(scale, labels, np.abs(w64[:, None] * X64))
    weights = np.bincount(labels, weights=w64, minlength=n_clusters)
    counts = np.bincount(labels[w64 > 0], minlength=n_clusters)
    return sums, weights, counts, scale


def _check(X, sample_weight, labels, n_clusters, **kwargs):
    sums, weights, counts = segment_sums(X, sample_weight, labels, n_clusters, **kwargs)
    assert sums.dtype == weights.dtype == torch.float64
    assert counts.dtype == torch.int64
    assert sums.shape == (n_clusters, X.shape[1]) and sums.is_contiguous()
    ref_sums, ref_weights, ref_counts, scale = _reference(X, sample_weight, labels, n_clusters)
    assert np.all(np.abs(sums.cpu().numpy() - ref_sums) <= 1e-12 * scale)
    np.testing.assert_allclose(weights.cpu().numpy(), ref_weights, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(counts.cpu().numpy(), ref_counts)
    return sums, weights, counts


def _data(n_samples, n_features, n_clusters, seed, dtype=torch.float32,
          weight_dtype=torch.float64, label_dtype=torch.int32, device="cpu"):
    """Rows, weights with 10% zeros and labels; with k >= 3, cluster 0 is
    empty and cluster 1 holds only zero-weight rows."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features)) * 3.0 + 1.0
    labels = rng.integers(0, n_clusters, size=n_samples)
    weights = rng.uniform(0.1, 2.0, size=n_samples)
    weights[rng.random(n_samples) < 0.1] = 0.0
    if n_clusters >= 3:
        labels[labels == 0] = 2
        weights[labels == 1] = 0.0
    return (torch.tensor(X, dtype=torch.float32).to(dtype).to(device),
            torch.tensor(weights, dtype=weight_dtype, device=device),
            torch.tensor(labels, dtype=label_dtype, device=device))


@pytest.mark.parametrize("n_features", [1, 2, 3, 16, 33, 130])
@pytest.mark.parametrize("n_clusters", [1, 7, 70])
def test_matches_reference(n_features, n_clusters, random_seed):
    X, w, labels = _data(200, n_features, n_clusters, random_seed)
    sums, weights, counts = _check(X, w, labels, n_clusters)
    if n_clusters >= 3:
        assert torch.all(sums[0] == 0) and weights[0] == 0 and counts[0] == 0
        assert torch.all(sums[1] == 0) and weights[1] == 0 and counts[1] == 0
        assert int((labels == 1).sum()) > 0


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, torch.float64],
                         ids=["bf16", "fp16", "f64"])
@pytest.mark.parametrize("weight_dtype", [torch.float32, torch.float64], ids=["w32", "w64"])
def test_other_dtypes(dtype, weight_dtype, random_seed):
    X, w, labels = _data(150, 5, 4, random_seed, dtype=dtype, weight_dtype=weight_dtype,
                         label_dtype=torch.int64)
    _check(X, w, labels, 4)


@pytest.mark.parametrize("fan_in", [2, 3, 7])
def test_deep_trees_match_reference(fan_in, random_seed):
    """Small fan-ins give many levels (9 with fan-in 2 on 300 rows), with
    groups that straddle no cluster boundary."""
    X, w, labels = _data(300, 3, 6, random_seed)
    _check(X, w, labels, 6, fan_in=fan_in)


@pytest.mark.parametrize("fan_in", [4, 64])
def test_bitwise_same_across_launches_and_tiles(fan_in, random_seed):
    X, w, labels = _data(300, 33, 5, random_seed)
    runs = [segment_sums(X, w, labels, 5, fan_in=fan_in, blocks=blocks)
            for blocks in (None, None, (16, 8), (128, 64))]
    first = runs[0]
    for other in runs[1:]:
        for a, b in zip(first, other):
            assert torch.equal(a.view(torch.int64), b.view(torch.int64))


def test_sums_follow_the_row_order_within_a_cluster():
    """Terms far apart in magnitude: 1 + 1e16 - 1e16 in float64 depends on
    the order, and the sorted (stable) order is the original one."""
    X = torch.tensor([[1.0], [1e16], [-1e16], [5.0]], dtype=torch.float32)
    w = torch.ones(4, dtype=torch.float64)
    labels = torch.tensor([0, 0, 0, 1], dtype=torch.int32)
    sums, _, _ = segment_sums(X, w, labels, 2)
    big = float(np.float32(1e16))
    in_order = (1.0 + big) - big
    assert in_order != (big - big) + 1.0
    assert sums[0, 0].item() == in_order
    assert sums[1, 0].item() == 5.0


def test_no_rows():
    X, w, labels = _data(0, 4, 3, 0)
    sums, weights, counts = segment_sums(X, w, labels, 3)
    assert torch.all(sums == 0) and sums.shape == (3, 4)
    assert torch.all(weights == 0) and torch.all(counts == 0)


def test_launch_blocks():
    assert choose_segment_blocks(2) == (256, 2)
    assert choose_segment_blocks(64) == (16, 64)
    assert choose_segment_blocks(130) == (8, 128)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["f32", "bf16"])
@pytest.mark.parametrize("n_features", [1, 3, 130])
def test_row_sq_norms(dtype, n_features, random_seed):
    rng = np.random.default_rng(random_seed)
    X = torch.tensor(rng.normal(size=(150, n_features)), dtype=torch.float32).to(dtype)
    norms = row_sq_norms(X)
    assert norms.dtype == torch.float32 and norms.shape == (150,)
    expected = (X.double() ** 2).sum(axis=1).numpy()
    np.testing.assert_allclose(norms.numpy(), expected, rtol=(n_features + 1) * 2.0 ** -24)


@pytest.mark.gpu
@pytest.mark.parametrize("n_samples, n_features, n_clusters",
                         [(1_000_000, 128, 1024), (4_000_000, 2, 8)],
                         ids=["1Mx128-k1024", "4Mx2-k8"])
def test_gpu_realistic_size(n_samples, n_features, n_clusters, random_seed):
    X, w, labels = _data(n_samples, n_features, n_clusters, random_seed, device="cuda")
    first = _check(X, w, labels, n_clusters)
    again = segment_sums(X, w, labels, n_clusters, blocks=(64, 32))
    for a, b in zip(first, again):
        assert torch.equal(a.view(torch.int64), b.view(torch.int64))


@pytest.mark.gpu
def test_gpu_row_sq_norms(random_seed):
    rng = np.random.default_rng(random_seed)
    X = torch.tensor(rng.normal(size=(1_000_000, 128)), dtype=torch.float32, device="cuda")
    np.testing.assert_allclose(row_sq_norms(X).cpu().numpy(),
                               (X.double() ** 2).sum(axis=1).cpu().numpy(),
                               rtol=129 * 2.0 ** -24)
