"""Sums of Euclidean distances from query rows to every cluster, for the
exact silhouette, without the n×n distance matrix.

The rows are sorted by cluster once (stable), so cluster ``c`` owns the
contiguous positions ``cluster_offsets[c]:cluster_offsets[c + 1]``. The
queries are positions in that sorted order (all of them, in chunks, for the
exact silhouette). One program owns a block of ``BLOCK_M`` queries and one
cluster: it walks over the cluster's rows in tiles of ``BLOCK_N``, computes
the ``BLOCK_M × BLOCK_N`` distances in registers and adds them to a float32
tile accumulator; every ``FLUSH_TILES`` tiles the accumulator is summed
along its columns and added to a float64 accumulator per query, which is
written once to ``out[query, cluster]``. Nothing but that (m, k) result
reaches memory, and every sum is formed in a fixed order by one program
(no atomics), so the result is bitwise the same on every launch.

Two ways to form the distances, by ``n_features``:

- **direct** (``n_features < DOT_MIN_FEATURES``): ``Σ_f (x_f − y_f)²`` from
  coordinate differences, the rows stored feature-major so that each
  feature is one coalesced vector load; the loop over features is unrolled
  at compile time. There is no cancellation: a query's distance to itself
  (or to a copy of itself) is exactly 0.
- **dot** (``n_features >= DOT_MIN_FEATURES``): ``‖x‖² + ‖y‖² − 2 x·y``
  with ``tl.dot`` tiles (``"tf32x3"`` on CUDA: three TF32 products that
  recover about float32 accuracy on the tensor cores), on rows centred by
  their float64 mean. The expansion cancels for close points; its error is
  bounded by :func:`dot_sq_dist_error`, and a query's distance to itself is
  set to 0 explicitly.

Accuracy of the direct path: every distance carries a relative error of a
few float32 units (the difference, square, sum over features and
``tl.sqrt``, which is the fast square root on CUDA: about 1 ulp); a float32
accumulator adds at most ``FLUSH_TILES`` terms before its columns are
summed as a tree of ``log2(BLOCK_N)`` levels, and the float64 accumulation
above adds nothing comparable. Each sum is thus within about
``(4 + FLUSH_TILES + log2(BLOCK_N)) · 2⁻²⁴ ≈ 1.1e-6`` of its value
relative (worst case; about 1e-7 typically), and a silhouette within about
twice that. Float64 input is centred in float64 and rounded to float32
first, which adds at most ``2⁻²⁴ (‖x‖ + ‖y‖)`` per distance, ``‖·‖`` of the
centred rows.

As in ``_assign.py``, the kernels call Triton builtins only (``tl.full``,
``tl.reduce`` with ``tl.standard._sum_combine``), so they also run under
an interpreter switched on after ``triton`` was imported.
"""

import torch
import triton
import triton.language as tl

from ._launch import LazyKernel, interpreting
from ._segments import row_sq_norms

__all__ = ["DOT_MIN_FEATURES", "SilhouetteSums", "dot_sq_dist_error"]

#: From this many features on, distances come from ``tl.dot`` tiles and the
#: norm expansion: the direct loop costs two instructions a feature and
#: pair, the tensor-core products much less; below it the dot's minimum
#: tile depth of 16 would be mostly padding.
DOT_MIN_FEATURES = 16

# Tiles of the float32 accumulator summed into the float64 one: bounds the
# float32 terms a value collects (see the module docstring) while the
# column reduction and the float64 add cost 1/8 of an operation a pair.
FLUSH_TILES = 8

# Unit roundoff of float32.
_U32 = 2.0 ** -24


def _sums_direct(X_t, query_pos, cluster_offsets, out,
                 n_queries, n_row_blocks, stride_f, stride_out,
                 N_FEATURES: tl.constexpr, BLOCK_M: tl.constexpr,
                 BLOCK_N: tl.constexpr, FLUSH_TILES: tl.constexpr):
    """Distance sums of one block of queries to one cluster, from differences.

    X_t : IN (n_features, n_rows) float32, the sorted rows feature-major,
        features ``stride_f`` apart, unit row stride.
    query_pos : IN (n_queries,) int64, the queries' positions in X_t.
    cluster_offsets : IN (n_clusters + 1,) int64, cluster c at
        ``[cluster_offsets[c], cluster_offsets[c + 1])``.
    out : OUT (n_queries, n_clusters) float64, rows ``stride_out`` apart:
        ``out[q, c]`` = Σ of d(query q, y) over the rows y of cluster c.

    Program ``pid`` takes query block ``pid % n_row_blocks`` and cluster
    ``pid // n_row_blocks``, so programs running together read the same
    cluster's rows. Invariant: ``acc`` holds, for each query and tile
    column, the float32 sum of the distances of the current flush group;
    ``acc64`` the float64 sum of the finished groups.
    """
    pid = tl.program_id(0)
    block = pid % n_row_blocks
    cluster = pid // n_row_blocks
    q_offs = block * BLOCK_M + tl.arange(0, BLOCK_M)
    q_mask = q_offs < n_queries
    queries = tl.load(query_pos + q_offs, mask=q_mask, other=0)
    seg_start = tl.load(cluster_offsets + cluster)
    seg_stop = tl.load(cluster_offsets + cluster + 1)
    n_offs = tl.arange(0, BLOCK_N)
    # The queries' coordinates, loaded once into a tuple of registers: kept
    # as loads inside the loops, their 64-bit addresses (one per query and
    # feature) stayed live and spilled.
    x = ()
    for f in tl.static_range(N_FEATURES):
        x = x + (tl.load(X_t + f * stride_f + queries, mask=q_mask, other=0.0),)

    acc64 = tl.full((BLOCK_M,), 0.0, tl.float64)
    for g0 in range(seg_start, seg_stop, BLOCK_N * FLUSH_TILES):
        acc = tl.full((BLOCK_M, BLOCK_N), 0.0, tl.float32)
        g_stop = tl.minimum(g0 + BLOCK_N * FLUSH_TILES, seg_stop)
        for t0 in range(g0, g_stop, BLOCK_N):
            cols = t0 + n_offs
            col_mask = cols < seg_stop
            sq_dist = tl.full((BLOCK_M, BLOCK_N), 0.0, tl.float32)
            for f in tl.static_range(N_FEATURES):
                y = tl.load(X_t + f * stride_f + cols, mask=col_mask, other=0.0)
                diff = x[f][:, None] - y[None, :]
                sq_dist += diff * diff
            acc += tl.where(col_mask[None, :], tl.sqrt(sq_dist), 0.0)
        acc64 += tl.reduce(acc, 1, tl.standard._sum_combine).to(tl.float64)
    tl.store(out + q_offs.to(tl.int64) * stride_out + cluster, acc64, mask=q_mask)


def _sums_dot(X, sq_norms, query_pos, cluster_offsets, out,
              n_queries, n_row_blocks, n_features, stride_x, stride_out,
              BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr,
              FLUSH_TILES: tl.constexpr, PRECISION: tl.constexpr):
    """Distance sums of one block of queries to one cluster, by ``tl.dot``.

    X : IN (n_rows, n_features) float32, the sorted and centred rows,
        ``stride_x`` apart, unit column stride.
    sq_norms : IN (n_rows,) float32, ``‖x‖²`` of those rows.
    query_pos, cluster_offsets, out : as for the direct kernel.

    The squared distance ``‖x‖² + ‖y‖² − 2 x·y`` is clamped at 0 and a
    query's distance to its own position is 0. Same program layout and
    accumulators as the direct kernel.
    """
    pid = tl.program_id(0)
    block = pid % n_row_blocks
    cluster = pid // n_row_blocks
    q_offs = block * BLOCK_M + tl.arange(0, BLOCK_M)
    q_mask = q_offs < n_queries
    queries = tl.load(query_pos + q_offs, mask=q_mask, other=0)
    q_rows = X + queries.to(tl.int64)[:, None] * stride_x
    q_norms = tl.load(sq_norms + queries, mask=q_mask, other=0.0)
    seg_start = tl.load(cluster_offsets + cluster)
    seg_stop = tl.load(cluster_offsets + cluster + 1)
    n_offs = tl.arange(0, BLOCK_N)
    d_offs = tl.arange(0, BLOCK_D)

    acc64 = tl.full((BLOCK_M,), 0.0, tl.float64)
    for g0 in range(seg_start, seg_stop, BLOCK_N * FLUSH_TILES):
        acc = tl.full((BLOCK_M, BLOCK_N), 0.0, tl.float32)
        g_stop = tl.minimum(g0 + BLOCK_N * FLUSH_TILES, seg_stop)
        for t0 in range(g0, g_stop, BLOCK_N):
            cols = t0 + n_offs
            col_mask = cols < seg_stop
            y_rows = X + cols.to(tl.int64)[:, None] * stride_x
            products = tl.full((BLOCK_M, BLOCK_N), 0.0, tl.float32)
            for d0 in range(0, n_features, BLOCK_D):
                d_cols = d0 + d_offs
                d_mask = d_cols < n_features
                x = tl.load(q_rows + d_cols[None, :],
                            mask=q_mask[:, None] & d_mask[None, :], other=0.0)
                y = tl.load(y_rows + d_cols[None, :],
                            mask=col_mask[:, None] & d_mask[None, :], other=0.0)
                products = tl.dot(x, tl.trans(y), products, input_precision=PRECISION)
            y_norms = tl.load(sq_norms + cols, mask=col_mask, other=0.0)
            sq_dist = tl.maximum(q_norms[:, None] + y_norms[None, :] - 2.0 * products, 0.0)
            keep = col_mask[None, :] & (cols[None, :] != queries[:, None])
            acc += tl.where(keep, tl.sqrt(sq_dist), 0.0)
        acc64 += tl.reduce(acc, 1, tl.standard._sum_combine).to(tl.float64)
    tl.store(out + q_offs.to(tl.int64) * stride_out + cluster, acc64, mask=q_mask)


_direct_kernel = LazyKernel(_sums_direct)
_dot_kernel = LazyKernel(_sums_dot)


def dot_sq_dist_error(n_features, max_norm):
    """Bound on the error of one squared distance of the dot path.

    Parameters
    ----------
    n_features : int
    max_norm : float
        Largest norm of the centred float32 rows.

    Returns
    -------
    float

    Notes
    -----
    ``"tf32x3"`` splits each operand into a TF32 high part and a float32
    remainder that the tensor cores take as TF32 too (sm_90 truncates
    TF32 operands rather than rounding them), and drops the product of the
    two remainders: each product ``x_f y_f`` is off by at most
    ``3 · 2⁻²⁰ |x_f y_f|``, so ``2 x·y`` by ``6 · 2⁻²⁰ ‖x‖ ‖y‖``
    (Cauchy-Schwarz), below ``2⁻¹⁹ (‖x‖ + ‖y‖)²``. The float32
    accumulation over ``n_features`` terms (tensor cores may truncate: a
    whole epsilon, 2u, a step), the float32 norms and the final two
    additions add ``(2 n_features + 8) u`` of ``(‖x‖ + ‖y‖)²``. With
    ``‖x‖, ‖y‖ <= R`` the error is below
    ``((2 n_features + 8) u + 2⁻¹⁹) (2R)²``. A distance is then off by at
    most the square root of this (for a near-zero distance) and by about
    ``bound / (2 d)`` for a distance d well above it.
    """
    factor = (2 * n_features + 8) * _U32 + 2.0 ** -19
    return factor * (2.0 * max_norm) ** 2


def choose_silhouette_tiles(n_features):
    """Launch tiles ``(block_m, block_n, block_d, num_warps)``; block_d is
    0 on the direct path.

    Chosen by rule and checked for register use by compiling for sm_90
    (``cuobjdump -res-usage``), not timed on a GPU. Direct path: Triton lays
    a ``(block_m, 128)`` tile over 4 warps as one column and all block_m
    rows per thread, so a thread keeps ``block_m × n_features`` query
    coordinates and ``2 × block_m`` accumulators in registers; block_m is
    the largest power of two (8 to 32) that keeps that near 128 registers,
    so nothing spills. Dot path: 64 × 64 tiles, the features streamed 32
    columns at a time like a GEMM's K loop, on 8 warps (4 warps reach 255
    registers and spill). The sums depend on these sizes in their last
    bits only (the order of the float32 additions).

    Parameters
    ----------
    n_features : int

    Returns
    -------
    tuple of (int, int, int, int)
    """
    if n_features < DOT_MIN_FEATURES:
        budget = 128 // (n_features + 2)
        block_m = 8
        while block_m * 2 <= min(32, budget):
            block_m *= 2
        return block_m, 128, 0, 4
    return 64, 64, 32, 8


class SilhouetteSums:
    """Rows sorted by cluster, laid out once for the distance-sum kernels.

    Parameters
    ----------
    X_sorted : torch.Tensor of shape (n_samples, n_features)
        The rows sorted by cluster (CUDA, or CPU under the interpreter);
        float32, float64, bfloat16 or float16. Float64 rows are centred in
        float64 and rounded to float32; the others are used in float32
        (exact for the 16-bit types), centred only for the dot path.
    cluster_offsets : torch.Tensor of shape (n_clusters + 1,)
        int64 on X's device: cluster c holds rows
        ``cluster_offsets[c]:cluster_offsets[c + 1]``.
    tiles : tuple of int, default=None
        ``(block_m, block_n, block_d, num_warps)`` instead of
        :func:`choose_silhouette_tiles` (tests reach every path on tiny
        inputs with it); ``block_d`` is used on the dot path only.
    precision : {"tf32x3", "ieee"}, default=None
        Products of the dot path: "tf32x3" on CUDA, "ieee" (float32 FMA)
        under the interpreter, where both are a float32 matrix product.

    Examples
    --------
    ``SilhouetteSums(X_sorted, offsets)(positions)`` gives the (m, k) sums
    for the rows at ``positions``.
    """

    def __init__(self, X_sorted, cluster_offsets, *, tiles=None, precision=None):
        n_samples, n_features = X_sorted.shape
        self.n_features = n_features
        self.cluster_offsets = cluster_offsets.to(torch.int64).contiguous()
        self.n_clusters = self.cluster_offsets.shape[0] - 1
        self.tiles = tiles or choose_silhouette_tiles(n_features)
        self.direct = n_features < DOT_MIN_FEATURES
        if precision is None:
            precision = "ieee" if interpreting() else "tf32x3"
        self.precision = precision
        centre = not self.direct or X_sorted.dtype == torch.float64
        if centre:
            X64 = X_sorted.to(torch.float64)
            rows = (X64 - X64.mean(dim=0)).to(torch.float32)
        else:
            rows = X_sorted.to(torch.float32)
        if self.direct:
            self.X = rows.T.contiguous()
            self.sq_norms = None
        else:
            self.X = rows.contiguous()
            self.sq_norms = row_sq_norms(self.X)

    def max_sq_dist_error(self):
        """:func:`dot_sq_dist_error` for these rows (0.0 on the direct
        path, whose squared distances do not cancel)."""
        if self.direct:
            return 0.0
        return dot_sq_dist_error(self.n_features,
                                 float(self.sq_norms.max().to(torch.float64).sqrt()))

    def __call__(self, query_pos):
        """Sums of distances from the rows at ``query_pos`` to every cluster.

        Parameters
        ----------
        query_pos : torch.Tensor of shape (m,)
            Positions in the sorted rows (int64, on their device).

        Returns
        -------
        torch.Tensor of shape (m, n_clusters), float64
            ``out[q, c]``: the sum of the distances from row
            ``query_pos[q]`` to the rows of cluster c (its distance to
            itself, 0, included).
        """
        query_pos = query_pos.to(torch.int64).contiguous()
        n_queries = query_pos.shape[0]
        out = torch.empty((n_queries, self.n_clusters), dtype=torch.float64,
                          device=self.X.device)
        if n_queries == 0:
            return out
        block_m, block_n, block_d, num_warps = self.tiles
        n_row_blocks = triton.cdiv(n_queries, block_m)
        grid = (n_row_blocks * self.n_clusters,)
        if self.direct:
            _direct_kernel[grid](self.X, query_pos, self.cluster_offsets, out,
                                 n_queries, n_row_blocks, self.X.stride(0), out.stride(0),
                                 N_FEATURES=self.n_features, BLOCK_M=block_m,
                                 BLOCK_N=block_n, FLUSH_TILES=FLUSH_TILES,
                                 num_warps=num_warps)
        else:
            _dot_kernel[grid](self.X, self.sq_norms, query_pos, self.cluster_offsets,
                              out, n_queries, n_row_blocks, self.n_features,
                              self.X.stride(0), out.stride(0), BLOCK_M=block_m,
                              BLOCK_N=block_n, BLOCK_D=block_d, FLUSH_TILES=FLUSH_TILES,
                              PRECISION=self.precision, num_warps=num_warps)
        return out
