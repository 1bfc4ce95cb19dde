"""The Triton kernels compile for an H100/H200 (sm_90) without a GPU.

The interpreter runs a kernel's Python body on NumPy, so it cannot see what
only the GPU compiler rejects (layouts, dtypes of a dot, 64-bit loops).
``triton.compile`` with an explicit target runs the whole pipeline down to a
cubin (Triton's bundled ptxas) on the CPU, for the tile choices the wrappers
make on realistic shapes.
"""

import pytest

pytest.importorskip(
    "torch", reason="the Triton kernels take torch tensors (pip install kmeanslab[torch])")
triton = pytest.importorskip("triton", reason="the GPU kernels are written in Triton")

from kmeanslab._kernels.triton import _assign, _segments  # noqa: E402

try:
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource
except ImportError:
    pytest.skip("this Triton has no ahead-of-time compile API", allow_module_level=True)

HOPPER = GPUTarget("cuda", 90, 32)


@pytest.fixture(autouse=True)
def _compiler_mode(monkeypatch):
    """``triton.jit`` gives the interpreter's wrapper when TRITON_INTERPRET is
    set; compiling needs the real one."""
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
POINTER = {"fp32": "*fp32", "fp64": "*fp64", "bf16": "*bf16", "fp16": "*fp16"}


def _compile(fn, signature, constants, num_warps=4):
    signature = dict(signature, **{name: "constexpr" for name in constants})
    try:
        kernel = triton.compile(ASTSource(triton.jit(fn), signature, constants),
                                target=HOPPER, options={"num_warps": num_warps})
    except RuntimeError as error:  # no CUDA backend or ptxas in this build
        if "ptxas" in str(error) or "backend" in str(error):
            pytest.skip(f"cannot compile for sm_90 here: {error}")
        raise
    assert kernel.asm["cubin"]


@pytest.mark.parametrize("x_dtype, precision, n_features, n_clusters", [
    ("fp32", "ieee", 2, 8), ("fp32", "tf32", 128, 1024), ("fp32", "ieee", 130, 1024),
    ("bf16", "native", 128, 1024), ("fp16", "ieee", 1024, 8),
])
def test_assign_compiles(x_dtype, precision, n_features, n_clusters):
    widen = precision == "ieee" and x_dtype != "fp32"
    center_dtype = x_dtype if precision == "native" else "fp32"
    block_m, block_k, block_d, resident, num_warps = _assign.choose_assign_tiles(
        n_features, n_clusters, 2 if center_dtype != "fp32" else 4,
        tensor_cores=precision == "tf32" or center_dtype != "fp32")
    signature = {"X": POINTER[x_dtype], "C": POINTER[center_dtype],
                 "c_sq_norms": "*fp32", "labels": "*i32", "best": "*fp32",
                 "second": "*fp32", "n_samples": "i32", "n_clusters": "i32",
                 "n_features": "i32", "stride_x": "i32", "stride_c": "i32"}
    _compile(_assign._assign_top2_rows, signature,
             {"BLOCK_M": block_m, "BLOCK_K": block_k, "BLOCK_D": block_d,
              "X_RESIDENT": resident, "WIDEN": widen,
              "PRECISION": "tf32" if precision == "tf32" else "ieee"}, num_warps)


@pytest.mark.parametrize("x_dtype, weight_dtype, n_features",
                         [("fp32", "fp64", 128), ("bf16", "fp32", 2)])
def test_segment_kernels_compile(x_dtype, weight_dtype, n_features):
    block_s, block_d = _segments.choose_segment_blocks(n_features)
    _compile(_segments._segment_rows,
             {"X": POINTER[x_dtype], "sample_weight": POINTER[weight_dtype],
              "order": "*i64", "starts": "*i64", "ends": "*i64", "out": "*fp64",
              "n_slots": "i32", "n_features": "i32", "stride_x": "i32",
              "stride_out": "i32"},
             {"FAN_IN": _segments.FAN_IN, "BLOCK_S": block_s, "BLOCK_D": block_d})
    block_s, block_d = _segments.choose_segment_blocks(n_features + 2)
    _compile(_segments._segment_partials,
             {"partials": "*fp64", "starts": "*i64", "ends": "*i64", "out": "*fp64",
              "n_slots": "i32", "n_cols": "i32", "stride_in": "i32", "stride_out": "i32"},
             {"FAN_IN": _segments.FAN_IN, "BLOCK_S": block_s, "BLOCK_D": block_d})


@pytest.mark.parametrize("n_features", [2, 128])
def test_row_norms_compile(n_features):
    block_m, block_d = _segments.choose_norm_blocks(n_features)
    _compile(_segments._row_sq_norms,
             {"X": "*bf16", "out": "*fp32", "n_samples": "i32", "n_features": "i32",
              "stride_x": "i32"},
             {"BLOCK_M": block_m, "BLOCK_D": block_d})
