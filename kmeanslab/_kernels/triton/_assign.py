"""Fused assignment: the nearest and second-nearest centre of every row.

One program owns a tile of rows and walks over the centres in tiles, computing
``‖c‖² − 2 x·c`` with ``tl.dot`` and keeping a running best value, its index
and the second-best value in registers, so the n×k matrix of distances never
reaches memory. ``‖x‖²`` is left out: it does not change the order of a row's
centres, and the caller adds it where a distance is needed.

The kernels call only Triton builtins. ``tl.min``, ``tl.argmin``, ``tl.sum``
and ``tl.zeros`` are themselves ``triton.jit`` functions, decorated when
``triton`` is first imported; a process that imported it before setting
``TRITON_INTERPRET`` cannot call them from an interpreted kernel. So
reductions go through the builtin ``tl.reduce`` with the combine functions
those helpers use (``tl.standard._elementwise_min``, ...), which the
interpreter recognises, and zeros through ``tl.full``.
"""

import torch
import triton
import triton.language as tl

from ._launch import LazyKernel, interpreting

PRECISIONS = ("ieee", "tf32", "native")

# tl.dot needs every tile dimension >= 16.
_MIN_DOT = 16


def _assign_top2_rows(X, C, c_sq_norms, labels, best, second,
                      n_samples, n_clusters, n_features, stride_x, stride_c,
                      BLOCK_M: tl.constexpr, BLOCK_K: tl.constexpr,
                      BLOCK_D: tl.constexpr, X_RESIDENT: tl.constexpr,
                      WIDEN: tl.constexpr, PRECISION: tl.constexpr):
    """Best and second-best ``‖c‖² − 2 x·c`` for one tile of rows.

    X : IN (n_samples, n_features), rows ``stride_x`` apart, unit column stride.
    C : IN (n_clusters, n_features), rows ``stride_c`` apart: the float32
        centres, or the centres rounded to X's 16-bit dtype.
    c_sq_norms : IN (n_clusters,) float32.
    labels : OUT (n_samples,) int32, the lowest index among equal minima.
    best, second : OUT (n_samples,) float32; second is +inf when k == 1.
    X_RESIDENT : load each row tile once (BLOCK_D >= n_features), or stream
        the features in blocks of BLOCK_D for every centre tile.
    WIDEN : convert both tiles to float32 before ``tl.dot``.
    PRECISION : ``tl.dot``'s input_precision ("ieee" or "tf32").

    Invariant after each centre tile: ``best_val``/``best_idx`` are the
    minimum over the centres seen so far with the lowest index on ties (tiles
    go in increasing index order and only a strictly smaller value replaces
    the best), and ``second_val`` is the second smallest value counted with
    multiplicity (equal to ``best_val`` when two centres tie).
    """
    pid = tl.program_id(0)
    rows = pid * BLOCK_M + tl.arange(0, BLOCK_M)
    row_mask = rows < n_samples
    x_rows = X + rows.to(tl.int64)[:, None] * stride_x
    d_offs = tl.arange(0, BLOCK_D)
    k_offs = tl.arange(0, BLOCK_K)

    best_val = tl.full((BLOCK_M,), float("inf"), tl.float32)
    second_val = tl.full((BLOCK_M,), float("inf"), tl.float32)
    best_idx = tl.full((BLOCK_M,), 0, tl.int32)

    if X_RESIDENT:
        # The whole (padded) row fits one tile: load it once for all centres.
        # Padding columns are zero in both operands, so they add nothing.
        x_tile = tl.load(x_rows + d_offs[None, :],
                         mask=row_mask[:, None] & (d_offs[None, :] < n_features),
                         other=0.0)
        if WIDEN:
            x_tile = x_tile.to(tl.float32)

    for k0 in range(0, n_clusters, BLOCK_K):
        cols = k0 + k_offs
        col_mask = cols < n_clusters
        c_rows = C + cols.to(tl.int64)[:, None] * stride_c
        acc = tl.full((BLOCK_M, BLOCK_K), 0.0, tl.float32)
        if X_RESIDENT:
            c_tile = tl.load(c_rows + d_offs[None, :],
                             mask=col_mask[:, None] & (d_offs[None, :] < n_features),
                             other=0.0)
            if WIDEN:
                c_tile = c_tile.to(tl.float32)
            acc = tl.dot(x_tile, tl.trans(c_tile), acc, input_precision=PRECISION)
        else:
            for d0 in range(0, n_features, BLOCK_D):
                d_cols = d0 + d_offs
                d_mask = d_cols < n_features
                x_tile = tl.load(x_rows + d_cols[None, :],
                                 mask=row_mask[:, None] & d_mask[None, :], other=0.0)
                c_tile = tl.load(c_rows + d_cols[None, :],
                                 mask=col_mask[:, None] & d_mask[None, :], other=0.0)
                if WIDEN:
                    x_tile = x_tile.to(tl.float32)
                    c_tile = c_tile.to(tl.float32)
                acc = tl.dot(x_tile, tl.trans(c_tile), acc, input_precision=PRECISION)

        # Padding centres get +inf through their norm (their products are 0),
        # so they are never chosen and never become the second best.
        c_norm = tl.load(c_sq_norms + cols, mask=col_mask, other=float("inf"))
        values = c_norm[None, :] - 2.0 * acc
        # tl.min and tl.argmin spelled as the builtin tl.reduce with their
        # combine functions: see the module docstring.
        tile_best, tile_idx = tl.reduce(
            (values, tl.broadcast_to(k_offs[None, :], (BLOCK_M, BLOCK_K))), 1,
            tl.standard._argmin_combine_tie_break_left)
        others = tl.where(k_offs[None, :] == tile_idx[:, None], float("inf"), values)
        tile_second = tl.reduce(others, 1, tl.standard._elementwise_min)

        better = tile_best < best_val
        second_val = tl.where(better, tl.minimum(best_val, tile_second),
                              tl.minimum(second_val, tile_best))
        best_idx = tl.where(better, k0 + tile_idx.to(tl.int32), best_idx)
        best_val = tl.where(better, tile_best, best_val)

    tl.store(labels + rows, best_idx, mask=row_mask)
    tl.store(best + rows, best_val, mask=row_mask)
    tl.store(second + rows, second_val, mask=row_mask)


_assign_kernel = LazyKernel(_assign_top2_rows)


def choose_assign_tiles(n_features, n_clusters, element_size, tensor_cores):
    """Tile sizes ``(block_m, block_k, block_d, x_resident, num_warps)``.

    Chosen by rule rather than ``triton.autotune``: autotuning picks by
    timing, and a different ``block_d`` changes the order of the float32
    sums over features, so labels on near-ties could change from run to run;
    it would also time every configuration under the interpreter. The rules
    keep every variant free of register spills when compiled for sm_90
    (checked with ``cuobjdump -res-usage`` on the cubin); they are not yet
    timed on a GPU.

    Parameters
    ----------
    n_features : int
    n_clusters : int
    element_size : int
        Bytes per element of the product operands (4 for float32 products,
        2 for bfloat16/float16).
    tensor_cores : bool
        Whether the products run on tensor cores (TF32, bfloat16, float16)
        rather than as float32 fused multiply-adds (``"ieee"``).

    Returns
    -------
    tuple of (int, int, int, bool, int)
    """
    # Rows per program: 128 rows amortise each centre tile over many rows,
    # as in a GEMM's M tile.
    block_m = 128
    # Centres per tile: 64 keeps the float32 accumulator at 128x64 (32
    # registers a thread with 8 warps); small k only pads to the dot minimum.
    block_k = min(64, max(_MIN_DOT, triton.next_power_of_2(n_clusters)))
    num_warps = 8 if block_k >= 64 else 4
    padded_d = max(_MIN_DOT, triton.next_power_of_2(n_features))
    if tensor_cores:
        # A row tile of up to 256 bytes a row (d <= 64 in TF32, <= 128 in
        # 16 bits) stays loaded for all centre tiles; longer rows stream
        # through the feature loop 32 columns at a time, like a GEMM's K loop.
        x_resident = padded_d * element_size <= 256
        block_d = padded_d if x_resident else 32
    else:
        # float32 FMA products hold both operand slices in registers: keep
        # them narrow (wider slices spill at d = 64 and block_d = 32).
        x_resident = padded_d <= 32
        block_d = padded_d if x_resident else _MIN_DOT
        if not x_resident:
            # The streamed FMA loop spills with 4 warps or with 8 warps and
            # 16 centres a tile; 32 or 64 centres and 8 warps do not.
            block_k, num_warps = max(block_k, 32), 8
    return block_m, block_k, block_d, x_resident, num_warps


def assign_top2(X, centers, c_sq_norms, *, precision, tiles=None):
    """Nearest centre, its value and the second-best value for every row.

    The value of centre ``j`` for row ``x`` is ``‖c_j‖² − 2 x·c_j`` (the
    squared distance less ``‖x‖²``).

    Parameters
    ----------
    X : torch.Tensor of shape (n_samples, n_features)
        Contiguous, float32, bfloat16 or float16 (CUDA, or CPU under the
        interpreter).
    centers : torch.Tensor of shape (n_clusters, n_features)
        Contiguous float32 on X's device.
    c_sq_norms : torch.Tensor of shape (n_clusters,)
        Float32 ``‖c‖²`` of the float32 centres.
    precision : {"ieee", "tf32", "native"}
        How the products x·c are formed (always accumulated in float32):

        - ``"ieee"``: float32 products for every input dtype (bfloat16 and
          float16 rows are widened in registers, which is exact, and the
          float32 centres are used as they are).
        - ``"tf32"``: TF32 tensor-core products; float32 X only.
        - ``"native"``: products in X's dtype on the tensor cores, the
          centres rounded to that dtype; for float32 X the same as
          ``"ieee"``.
    tiles : tuple, default=None
        ``(block_m, block_k, block_d, x_resident, num_warps)`` instead of
        :func:`choose_assign_tiles`' choice (tests use it to reach every
        code path on tiny inputs).

    Returns
    -------
    labels : torch.Tensor of shape (n_samples,), int32
        Index of the smallest value, the lowest index on ties.
    best : torch.Tensor of shape (n_samples,), float32
        That smallest value.
    second : torch.Tensor of shape (n_samples,), float32
        The second smallest value counted with multiplicity (equal to
        ``best`` when two centres tie), +inf when ``n_clusters == 1``.

    Raises
    ------
    ValueError
        If ``precision`` is not one of the above, or is ``"tf32"`` for
        16-bit X.
    TypeError
        If X is not float32, bfloat16 or float16.

    Notes
    -----
    Under Triton's interpreter (``TRITON_INTERPRET=1``) ``"native"``
    bfloat16 products are formed in float32: the interpreter of Triton 3.8
    multiplies the raw bits of bfloat16 tiles in ``tl.dot``. Since the
    product of two bfloat16 values is exact in float32, only the
    accumulation order can differ from the GPU's.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if X.dtype not in (torch.float32, torch.bfloat16, torch.float16):
        raise TypeError(f"X must be float32, bfloat16 or float16, got {X.dtype}")
    n_samples, n_features = X.shape
    n_clusters = centers.shape[0]
    sixteen_bit = X.dtype in (torch.bfloat16, torch.float16)
    if precision == "tf32" and sixteen_bit:
        raise ValueError(f"precision='tf32' needs float32 X, got {X.dtype}")

    if sixteen_bit and precision == "native":
        products = centers.to(X.dtype)
        widen = X.dtype == torch.bfloat16 and interpreting()
    else:
        products = centers
        widen = sixteen_bit
    dot_precision = "tf32" if precision == "tf32" else "ieee"
    if tiles is None:
        tensor_cores = precision == "tf32" or products.dtype != torch.float32
        tiles = choose_assign_tiles(n_features, n_clusters,
                                    4 if widen else products.element_size(), tensor_cores)
    block_m, block_k, block_d, x_resident, num_warps = tiles

    device = X.device
    labels = torch.empty(n_samples, dtype=torch.int32, device=device)
    best = torch.empty(n_samples, dtype=torch.float32, device=device)
    second = torch.empty(n_samples, dtype=torch.float32, device=device)
    if n_samples == 0:
        return labels, best, second
    grid = (triton.cdiv(n_samples, block_m),)
    _assign_kernel[grid](
        X, products, c_sq_norms, labels, best, second,
        n_samples, n_clusters, n_features, X.stride(0), products.stride(0),
        BLOCK_M=block_m, BLOCK_K=block_k, BLOCK_D=block_d,
        X_RESIDENT=x_resident, WIDEN=widen, PRECISION=dot_precision,
        num_warps=num_warps)
    return labels, best, second
