"""kmeanslab._kernels.triton.SilhouetteSums against a NumPy float64 reference.

Tiny inputs run under Triton's interpreter on CPU tensors, with small tiles
so that clusters span several tiles and flush groups; the tests marked
``gpu`` repeat the check on CUDA at a realistic size. The direct path must
be within 2e-6 of the reference relative to each sum (the module's bound
is about 1.1e-6), the dot path within its stated error bound, and every
result bitwise the same across launches.
"""

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="the Triton kernels take torch tensors (pip install kmeanslab[torch])")
pytest.importorskip("triton", reason="the GPU kernels are written in Triton")

from kmeanslab._kernels.triton import SilhouetteSums  # noqa: E402
from kmeanslab._kernels.triton._silhouette import (DOT_MIN_FEATURES,  # noqa: E402
                                                   FLUSH_TILES, choose_silhouette_tiles,
                                                   dot_sq_dist_error)

pytestmark = pytest.mark.usefixtures("triton_mode")

# Tiny tiles: a cluster of 140 rows spans three flush groups of 8 x 8 columns.
SMALL_DIRECT = (16, 8, 0, 4)
SMALL_DOT = (16, 16, 16, 4)


def _sorted_data(sizes, n_features, seed, dtype=torch.float32, offset=0.0,
                 device="cpu"):
    """Rows of Gaussian clusters sorted by cluster, and the offsets."""
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=4.0, size=(len(sizes), n_features))
    X = np.concatenate([means[c] + rng.normal(size=(size, n_features))
                        for c, size in enumerate(sizes)]) + offset
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    return (torch.tensor(X, dtype=dtype, device=device),
            torch.tensor(offsets, dtype=torch.int64, device=device))


def _reference(X, offsets, positions):
    """Float64 sums of distances from the rows at ``positions`` to every
    cluster, and the sums of the absolute distances (the same here)."""
    X64 = X.double().cpu().numpy()
    queries = X64[positions]
    offsets = offsets.cpu().numpy()
    sums = np.empty((len(positions), len(offsets) - 1))
    for c in range(len(offsets) - 1):
        block = X64[offsets[c]:offsets[c + 1]]
        dists = np.sqrt(((queries[:, None, :] - block[None, :, :]) ** 2).sum(axis=2))
        sums[:, c] = dists.sum(axis=1)
    return sums


@pytest.mark.parametrize("n_features, tiles", [(1, None), (2, None), (3, None), (7, None),
                                               (2, SMALL_DIRECT)],
                         ids=["d1", "d2", "d3", "d7", "d2-small-tiles"])
def test_direct_matches_reference(n_features, tiles, random_seed):
    X, offsets = _sorted_data([140, 5, 1, 30], n_features, random_seed)
    sums = SilhouetteSums(X, offsets, tiles=tiles)
    assert sums.direct and sums.max_sq_dist_error() == 0.0
    positions = torch.arange(X.shape[0])
    out = sums(positions)
    assert out.dtype == torch.float64 and out.shape == (X.shape[0], 4)
    ref = _reference(X, offsets, positions.numpy())
    np.testing.assert_allclose(out.numpy(), ref, rtol=2e-6, atol=0)
    # The singleton cluster's row is at distance exactly 0 from itself.
    assert out[145, 2] == 0.0
    assert torch.equal(out, sums(positions))


@pytest.mark.parametrize("n_features", [DOT_MIN_FEATURES, 33])
def test_dot_within_its_bound(n_features, random_seed):
    """The norm expansion: every sum within count * sqrt(bound) of the
    reference (each distance is off by at most sqrt(bound)), a query's own
    distance masked to exactly 0, and in practice far closer."""
    X, offsets = _sorted_data([70, 1, 40], n_features, random_seed)
    sums = SilhouetteSums(X, offsets, tiles=SMALL_DOT)
    assert not sums.direct
    bound = sums.max_sq_dist_error()
    assert bound > 0
    positions = torch.arange(X.shape[0])
    out = sums(positions).numpy()
    ref = _reference(X, offsets, positions.numpy())
    sizes = np.diff(offsets.numpy())
    assert np.all(np.abs(out - ref) <= sizes[None, :] * np.sqrt(bound))
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=0)
    assert out[70, 1] == 0.0
    assert torch.equal(torch.from_numpy(out), sums(positions))


def test_queries_in_any_order(random_seed):
    """A subset of positions, shuffled and with repeats, gets the sums of
    those rows (what silhouette_estimate-style queries need)."""
    X, offsets = _sorted_data([120, 70, 30], 3, random_seed)
    rng = np.random.default_rng(random_seed)
    positions = rng.integers(0, X.shape[0], size=37)
    positions[:2] = positions[5]
    out = SilhouetteSums(X, offsets, tiles=SMALL_DIRECT)(torch.from_numpy(positions))
    np.testing.assert_allclose(out.numpy(), _reference(X, offsets, positions),
                               rtol=2e-6, atol=0)


@pytest.mark.parametrize("n_features", [2, 20])
def test_float64_far_from_the_origin(n_features, random_seed):
    """Float64 rows at 1e4 from the origin with unit spread: centred in
    float64 before rounding to float32, the sums keep their accuracy."""
    X, offsets = _sorted_data([100, 60], n_features, random_seed, dtype=torch.float64,
                              offset=1e4)
    sums = SilhouetteSums(X, offsets, tiles=SMALL_DIRECT if n_features < 16 else SMALL_DOT)
    positions = torch.arange(X.shape[0])
    np.testing.assert_allclose(sums(positions).numpy(),
                               _reference(X, offsets, positions.numpy()), rtol=1e-5)


def test_16bit_rows(random_seed):
    X, offsets = _sorted_data([80, 50], 4, random_seed, dtype=torch.bfloat16)
    positions = torch.arange(X.shape[0])
    out = SilhouetteSums(X, offsets)(positions)
    np.testing.assert_allclose(out.numpy(), _reference(X, offsets, positions.numpy()),
                               rtol=2e-6)


def test_no_queries():
    X, offsets = _sorted_data([3, 4], 2, 0)
    out = SilhouetteSums(X, offsets)(torch.empty(0, dtype=torch.int64))
    assert out.shape == (0, 2)


def test_default_tiles_and_bound():
    """Direct path: 128 columns a tile, fewer query rows the more features
    (registers); dot path: 64 x 64 tiles on 8 warps."""
    assert choose_silhouette_tiles(1) == (32, 128, 0, 4)
    assert choose_silhouette_tiles(2) == (32, 128, 0, 4)
    assert choose_silhouette_tiles(6) == (16, 128, 0, 4)
    assert choose_silhouette_tiles(15) == (8, 128, 0, 4)
    assert choose_silhouette_tiles(128) == (64, 64, 32, 8)
    # The bound grows with the features and the square of the norms.
    assert dot_sq_dist_error(32, 2.0) == pytest.approx(4 * dot_sq_dist_error(32, 1.0))
    assert dot_sq_dist_error(64, 1.0) > dot_sq_dist_error(32, 1.0)


def _cuobjdump():
    import os

    import triton

    path = os.path.join(os.path.dirname(triton.__file__), "backends", "nvidia", "bin",
                        "cuobjdump")
    return path if os.path.exists(path) else None


@pytest.mark.parametrize("n_features", [2, 7, 15, 128])
def test_compiles_for_sm90_without_spills(monkeypatch, n_features):
    """The kernels with the default tiles compile for an H100/H200 (sm_90)
    on this CPU-only machine, and keep everything in registers (no local
    memory stack): what only the GPU compiler can tell."""
    import subprocess

    import triton

    from kmeanslab._kernels.triton import _silhouette as kernels

    try:
        from triton.backends.compiler import GPUTarget
        from triton.compiler import ASTSource
    except ImportError:
        pytest.skip("this Triton has no ahead-of-time compile API")
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    block_m, block_n, block_d, num_warps = choose_silhouette_tiles(n_features)
    if n_features < DOT_MIN_FEATURES:
        fn = kernels._sums_direct
        signature = {"X_t": "*fp32", "query_pos": "*i64", "cluster_offsets": "*i64",
                     "out": "*fp64", "n_queries": "i32", "n_row_blocks": "i32",
                     "stride_f": "i32", "stride_out": "i32"}
        constants = {"N_FEATURES": n_features, "BLOCK_M": block_m, "BLOCK_N": block_n,
                     "FLUSH_TILES": FLUSH_TILES}
    else:
        fn = kernels._sums_dot
        signature = {"X": "*fp32", "sq_norms": "*fp32", "query_pos": "*i64",
                     "cluster_offsets": "*i64", "out": "*fp64", "n_queries": "i32",
                     "n_row_blocks": "i32", "n_features": "i32", "stride_x": "i32",
                     "stride_out": "i32"}
        constants = {"BLOCK_M": block_m, "BLOCK_N": block_n, "BLOCK_D": block_d,
                     "FLUSH_TILES": FLUSH_TILES, "PRECISION": "tf32x3"}
    signature.update({name: "constexpr" for name in constants})
    try:
        compiled = triton.compile(ASTSource(triton.jit(fn), signature, constants),
                                  target=GPUTarget("cuda", 90, 32),
                                  options={"num_warps": num_warps})
    except RuntimeError as error:  # no CUDA backend or ptxas in this build
        if "ptxas" in str(error) or "backend" in str(error):
            pytest.skip(f"cannot compile for sm_90 here: {error}")
        raise
    cubin = compiled.asm["cubin"]
    assert cubin
    tool = _cuobjdump()
    if tool is None:
        return
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".cubin") as handle:
        handle.write(cubin)
        handle.flush()
        usage = subprocess.run([tool, "-res-usage", handle.name], capture_output=True,
                               text=True, check=True).stdout
    assert "STACK:0 " in usage, usage


@pytest.mark.gpu
@pytest.mark.parametrize("n_features", [2, 128])
def test_gpu_a_million_rows(n_features, random_seed):
    """All sums of 1M x 2 (and 100k x 128) on CUDA; 512 random rows checked
    against float64 torch.cdist (differences) on the GPU, and a second
    launch bitwise the same."""
    n = 1_000_000 if n_features == 2 else 100_000
    sizes = [n // 2, n // 4, n // 8, n - n // 2 - n // 4 - n // 8]
    X, offsets = _sorted_data(sizes, n_features, random_seed, device="cuda")
    sums = SilhouetteSums(X, offsets)
    positions = torch.arange(n, device="cuda")
    out = sums(positions)
    rng = np.random.default_rng(random_seed)
    picked = torch.from_numpy(rng.choice(n, size=512, replace=False)).cuda()
    X64 = X.double()
    ref = torch.stack([torch.cdist(X64[picked], X64[a:b],
                                   compute_mode="donot_use_mm_for_euclid_dist").sum(dim=1)
                       for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())], dim=1)
    # The dot path's TF32 remainders are truncated by the tensor cores, a
    # bias of about 1e-6 of ||x|| ||y|| per product: well within 1e-4 of
    # these sums, whose distances are a sizeable fraction of the norms.
    rtol = 2e-6 if n_features < DOT_MIN_FEATURES else 1e-4
    np.testing.assert_allclose(out[picked].cpu().numpy(), ref.cpu().numpy(), rtol=rtol)
    assert torch.equal(out, sums(positions))
