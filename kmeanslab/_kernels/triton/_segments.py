"""Centre-update sums by sorted segments, and squared row norms.

:func:`segment_sums` sorts the labels once (stable), so every cluster's rows
form one contiguous segment in their original order, and sums each segment
as a tree with a fixed fan-in: groups of ``fan_in`` consecutive rows are
summed one row after another, then groups of ``fan_in`` of those partial
sums, and so on until one sum per cluster is left. Every accumulator is a
plain sequential float64 sum and the tree depends only on the segment, so
the result is bitwise the same on every run and for every tile size and
launch grid; no atomics are used.

As in ``_assign.py``, the kernels call Triton builtins only (``tl.full`` for
zeros, ``tl.reduce`` with ``tl.standard._sum_combine`` for a sum), so they
also run under an interpreter switched on after ``triton`` was imported.
"""

import torch
import triton
import triton.language as tl

from ._launch import LazyKernel

# Fan-in of the summation tree: 64 rows (then 64 partial sums) a group keeps
# each program's sequential loop short while a level shrinks the data 64
# times, so 10 million rows need 4 levels. Changing it changes the order of
# the float64 sums, hence their last bits.
FAN_IN = 64


def _segment_rows(X, sample_weight, order, starts, ends, out,
                  n_slots, n_features, stride_x, stride_out,
                  FAN_IN: tl.constexpr, BLOCK_S: tl.constexpr,
                  BLOCK_D: tl.constexpr):
    """First level: weighted sums of groups of at most FAN_IN sorted rows.

    X : IN (n_samples, n_features), any float dtype, rows ``stride_x``
        apart, unit column stride.
    sample_weight : IN (n_samples,) float32 or float64.
    order : IN (n_samples,) int64, row indices sorted by label (stable).
    starts, ends : IN (n_slots,) int64, each slot's positions in ``order``
        (``ends - starts <= FAN_IN``, empty slots have ``starts == ends``).
    out : OUT (n_slots, n_features + 2) float64, rows ``stride_out`` apart:
        Σ w·x, then Σ w, then the number of rows with w > 0.

    Each (slot, column) accumulator adds its rows one after another in
    sorted order: the tile shape changes which program does a sum, never
    the order of its terms.
    """
    pid_s = tl.program_id(0)
    pid_d = tl.program_id(1)
    slots = pid_s * BLOCK_S + tl.arange(0, BLOCK_S)
    slot_mask = slots < n_slots
    start = tl.load(starts + slots, mask=slot_mask, other=0)
    end = tl.load(ends + slots, mask=slot_mask, other=0)
    cols = pid_d * BLOCK_D + tl.arange(0, BLOCK_D)
    col_mask = cols < n_features

    acc = tl.full((BLOCK_S, BLOCK_D), 0.0, tl.float64)
    weight_acc = tl.full((BLOCK_S,), 0.0, tl.float64)
    count_acc = tl.full((BLOCK_S,), 0.0, tl.float64)
    for r in range(FAN_IN):
        pos = start + r
        live = pos < end
        rows = tl.load(order + pos, mask=live, other=0)
        w = tl.load(sample_weight + rows, mask=live, other=0.0).to(tl.float64)
        x = tl.load(X + rows[:, None] * stride_x + cols[None, :],
                    mask=live[:, None] & col_mask[None, :], other=0.0).to(tl.float64)
        # One explicit fused multiply-add a term: the rounding is the same
        # whatever the compiler would otherwise contract.
        acc = tl.fma(tl.broadcast_to(w[:, None], (BLOCK_S, BLOCK_D)), x, acc)
        weight_acc += w
        count_acc += tl.where(w > 0.0, 1.0, 0.0)

    out_rows = out + slots.to(tl.int64)[:, None] * stride_out
    tl.store(out_rows + cols[None, :], acc, mask=slot_mask[:, None] & col_mask[None, :])
    first = slot_mask & (pid_d == 0)
    tl.store(out + slots.to(tl.int64) * stride_out + n_features, weight_acc, mask=first)
    tl.store(out + slots.to(tl.int64) * stride_out + n_features + 1, count_acc, mask=first)


def _segment_partials(partials, starts, ends, out, n_slots, n_cols,
                      stride_in, stride_out, FAN_IN: tl.constexpr,
                      BLOCK_S: tl.constexpr, BLOCK_D: tl.constexpr):
    """Next level: sums of groups of at most FAN_IN consecutive partial sums.

    partials : IN (n_items, n_cols) float64, rows ``stride_in`` apart.
    starts, ends : IN (n_slots,) int64, each slot's rows of ``partials``
        (``ends - starts <= FAN_IN``).
    out : OUT (n_slots, n_cols) float64, rows ``stride_out`` apart; an empty
        slot gets zeros.
    """
    pid_s = tl.program_id(0)
    pid_d = tl.program_id(1)
    slots = pid_s * BLOCK_S + tl.arange(0, BLOCK_S)
    slot_mask = slots < n_slots
    start = tl.load(starts + slots, mask=slot_mask, other=0)
    end = tl.load(ends + slots, mask=slot_mask, other=0)
    cols = pid_d * BLOCK_D + tl.arange(0, BLOCK_D)
    col_mask = cols < n_cols

    acc = tl.full((BLOCK_S, BLOCK_D), 0.0, tl.float64)
    for r in range(FAN_IN):
        pos = start + r
        live = pos < end
        acc += tl.load(partials + pos[:, None] * stride_in + cols[None, :],
                       mask=live[:, None] & col_mask[None, :], other=0.0)
    tl.store(out + slots.to(tl.int64)[:, None] * stride_out + cols[None, :], acc,
             mask=slot_mask[:, None] & col_mask[None, :])


def _row_sq_norms(X, out, n_samples, n_features, stride_x,
                  BLOCK_M: tl.constexpr, BLOCK_D: tl.constexpr):
    """Squared norms of one tile of rows, in float32.

    X : IN (n_samples, n_features), rows ``stride_x`` apart, unit column stride.
    out : OUT (n_samples,) float32.
    """
    pid = tl.program_id(0)
    rows = pid * BLOCK_M + tl.arange(0, BLOCK_M)
    row_mask = rows < n_samples
    x_rows = X + rows.to(tl.int64)[:, None] * stride_x
    acc = tl.full((BLOCK_M,), 0.0, tl.float32)
    for d0 in range(0, n_features, BLOCK_D):
        cols = d0 + tl.arange(0, BLOCK_D)
        x = tl.load(x_rows + cols[None, :],
                    mask=row_mask[:, None] & (cols[None, :] < n_features),
                    other=0.0).to(tl.float32)
        acc += tl.reduce(x * x, 1, tl.standard._sum_combine)
    tl.store(out + rows, acc, mask=row_mask)


_rows_kernel = LazyKernel(_segment_rows)
_partials_kernel = LazyKernel(_segment_partials)
_norms_kernel = LazyKernel(_row_sq_norms)


def choose_segment_blocks(n_cols):
    """Launch tile ``(block_s, block_d)`` for a level with ``n_cols`` columns.

    About 1024 float64 accumulators a program: up to 128 columns and as many
    slots (8 to 256) as fill the rest. Larger tiles reach 254 registers a
    thread on sm_90 (the gathered rows of the coming iterations are held in
    registers), which leaves one or two programs an SM for a gather that
    needs many in flight. These sizes only spread the work; the sums do not
    depend on them.

    Parameters
    ----------
    n_cols : int

    Returns
    -------
    tuple of (int, int)
    """
    block_d = min(128, triton.next_power_of_2(n_cols))
    return min(256, max(8, 1024 // block_d)), block_d


def choose_norm_blocks(n_features):
    """Tile ``(block_m, block_d)`` of :func:`row_sq_norms`.

    Up to 128 columns a step (coalesced loads of whole rows) and about 4096
    elements a tile: 32 rows x 128 columns compile to 162 registers a thread
    on sm_90 without spills, 64 x 128 reach 249.

    Parameters
    ----------
    n_features : int

    Returns
    -------
    tuple of (int, int)
    """
    block_d = min(128, triton.next_power_of_2(n_features))
    return min(1024, max(32, 4096 // block_d)), block_d


def _level_slots(offsets, sizes, n_slots, fan_in):
    """Group ``sizes[c]`` items at ``offsets[c]`` into runs of ``fan_in``.

    Returns the next level's ``(starts, ends, offsets, sizes)``; there are
    ``n_slots`` slots (an upper bound of the groups, computed without reading
    the device), the surplus empty.
    """
    n_clusters = sizes.shape[0]
    new_sizes = (sizes + fan_in - 1) // fan_in
    ends_cum = torch.cumsum(new_sizes, 0)
    new_offsets = ends_cum - new_sizes
    slot = torch.arange(n_slots, device=sizes.device)
    cluster = torch.searchsorted(ends_cum, slot, right=True)
    valid = cluster < n_clusters
    cluster = cluster.clamp_(max=n_clusters - 1)
    starts = offsets[cluster] + (slot - new_offsets[cluster]) * fan_in
    ends = torch.minimum(starts + fan_in, offsets[cluster] + sizes[cluster])
    zero = torch.zeros((), dtype=starts.dtype, device=starts.device)
    return (torch.where(valid, starts, zero), torch.where(valid, ends, zero),
            new_offsets, new_sizes)


def segment_sums(X, sample_weight, labels, n_clusters, *, fan_in=FAN_IN,
                 blocks=None):
    """Weighted sum, total weight and positive-weight count of every cluster.

    Parameters
    ----------
    X : torch.Tensor of shape (n_samples, n_features)
        Contiguous, float32, bfloat16, float16 or float64.
    sample_weight : torch.Tensor of shape (n_samples,)
        Float32 or float64, non-negative.
    labels : torch.Tensor of shape (n_samples,)
        Int32 or int64 cluster indices in ``[0, n_clusters)``.
    n_clusters : int
    fan_in : int, default=FAN_IN
        Fan-in of the summation tree (at least 2). It fixes the order of the
        float64 sums, so results agree bitwise only for the same value.
    blocks : tuple of (int, int), default=None
        ``(block_s, block_d)`` launch tile for every level instead of
        :func:`choose_segment_blocks`; the results do not depend on it.

    Returns
    -------
    sums : torch.Tensor of shape (n_clusters, n_features), float64
        Σ w·x over each cluster's rows; zeros for an empty cluster.
    weights : torch.Tensor of shape (n_clusters,), float64
        Σ w over each cluster's rows.
    counts : torch.Tensor of shape (n_clusters,), int64
        Number of each cluster's rows with w > 0.

    Notes
    -----
    One stable sort of the labels, then ``ceil(log_fan_in(n_samples))``
    launches (at least one), each followed by the next level's slot table
    from a few small tensor operations; nothing is copied to the host.
    Sums are accumulated in float64 (each weighted row term by one fused
    multiply-add), which bounds their error by about
    ``(log_fan_in(n) · fan_in) · 2⁻⁵³`` relative to Σ |w·x|.
    """
    n_samples, n_features = X.shape
    device = X.device
    if n_samples == 0:
        return (torch.zeros((n_clusters, n_features), dtype=torch.float64, device=device),
                torch.zeros(n_clusters, dtype=torch.float64, device=device),
                torch.zeros(n_clusters, dtype=torch.int64, device=device))
    sorted_labels, order = torch.sort(labels, stable=True)
    bounds = torch.searchsorted(
        sorted_labels, torch.arange(n_clusters + 1, dtype=labels.dtype, device=device))
    offsets = bounds[:-1]
    sizes = bounds[1:] - offsets

    n_levels = 1
    while fan_in ** n_levels < n_samples:
        n_levels += 1
    n_cols = n_features + 2
    source = None
    upper = n_samples  # an upper bound of the items at the current level
    for level in range(n_levels):
        if level == n_levels - 1:
            # At most fan_in items per cluster are left: one slot per cluster.
            n_slots, starts, ends = n_clusters, offsets, offsets + sizes
        else:
            upper = upper // fan_in + n_clusters
            n_slots = upper
            starts, ends, offsets, sizes = _level_slots(offsets, sizes, n_slots, fan_in)
        out = torch.empty((n_slots, n_cols), dtype=torch.float64, device=device)
        if level == 0:
            block_s, block_d = blocks or choose_segment_blocks(n_features)
            grid = (triton.cdiv(n_slots, block_s), triton.cdiv(n_features, block_d))
            _rows_kernel[grid](X, sample_weight, order, starts, ends, out,
                               n_slots, n_features, X.stride(0), out.stride(0),
                               FAN_IN=fan_in, BLOCK_S=block_s, BLOCK_D=block_d)
        else:
            block_s, block_d = blocks or choose_segment_blocks(n_cols)
            grid = (triton.cdiv(n_slots, block_s), triton.cdiv(n_cols, block_d))
            _partials_kernel[grid](source, starts, ends, out, n_slots, n_cols,
                                   source.stride(0), out.stride(0),
                                   FAN_IN=fan_in, BLOCK_S=block_s, BLOCK_D=block_d)
        source = out
    return (out[:, :n_features].contiguous(), out[:, n_features].contiguous(),
            out[:, n_features + 1].to(torch.int64))


def row_sq_norms(X):
    """Squared norms of the rows of X, accumulated in float32.

    Parameters
    ----------
    X : torch.Tensor of shape (n_samples, n_features)
        Contiguous, float32, bfloat16 or float16.

    Returns
    -------
    torch.Tensor of shape (n_samples,), float32
    """
    n_samples, n_features = X.shape
    out = torch.empty(n_samples, dtype=torch.float32, device=X.device)
    if n_samples == 0:
        return out
    block_m, block_d = choose_norm_blocks(n_features)
    _norms_kernel[(triton.cdiv(n_samples, block_m),)](
        X, out, n_samples, n_features, X.stride(0), BLOCK_M=block_m, BLOCK_D=block_d)
    return out
