"""What runs on one row block (module-level functions, so that workers
import them by name), and the serial kernels they call.

A block arrives packed as ``(rows, weights)`` (:func:`pack`; weights None
when the fit is unweighted). Tasks return small host values: partial sums
that :func:`kmeanslab.backends.dask._graph.tree` adds in block order,
labels that stay where they were computed, or a few rows.
"""

from __future__ import annotations

import types

import numpy as np
from numba import njit

from ..._kernels import common, hamerly, lloyd
from .._cpu import off_center
from ._input import check_dense_blocks


def serial(kernel):
    """A serial, GIL-free compilation of a parallel kernel's Python function.

    The clone is cached under its own name: numba's cache keys entries on the
    function's qualified name and bytecode, not on its flags, so compiling the
    same function object serially would overwrite the parallel entry.
    """
    py = kernel.py_func
    clone = types.FunctionType(py.__code__, py.__globals__,
                               py.__name__ + "_serial", py.__defaults__,
                               py.__closure__)
    clone.__qualname__ = py.__qualname__ + "_serial"
    clone.__module__ = py.__module__
    clone.__doc__ = py.__doc__
    return njit(cache=True, nogil=True)(clone)


_lloyd_dense = serial(lloyd.lloyd_step_dense)
_lloyd_blas = serial(lloyd.lloyd_step_blas)
_hamerly = serial(hamerly.hamerly_step_dense)
_assign = serial(common.assign_dense)
_inertia = serial(common.inertia_dense)
_sq_to_assigned = serial(common.sq_dist_to_assigned_dense)
_sq_to_centers = serial(common.sq_dists_to_centers_dense)
_assign_two = serial(common.assign_two_dense)
_column_sums = serial(common.column_sums_dense)
_abs_max = serial(common.abs_max_dense)


# --- Blocks and sums ------------------------------------------------------------

def pack(x, w):
    return x, w


def unpack(blk, dtype=None, ones=True):
    """A packed block as C-contiguous rows (never a memmap) and weights
    (ones when the fit is unweighted, or None if not ``ones``)."""
    x, w = blk
    check_dense_blocks(x)  # a block sparse although X's meta said dense
    x = np.ascontiguousarray(np.asarray(x), dtype=dtype)
    if w is None:
        return x, (np.ones(x.shape[0], dtype=x.dtype) if ones else None)
    return x, np.ascontiguousarray(np.asarray(w), dtype=x.dtype)


# Partial results are added SPLIT_EVERY at a time: a tree of depth
# log_8(n_blocks), so a thousand blocks take three levels of small tasks.
SPLIT_EVERY = 8


def pick(item, part):
    """``item[part]``: the item itself when ``part`` is None, and a path of
    indices when it is a tuple (the labels of one block of a group task's
    result are ``result[(0, j)]``)."""
    if part is None:
        return item
    for index in (part if isinstance(part, tuple) else (part,)):
        item = item[index]
    return item


def add(*items):
    """Sum arrays, numbers or tuples of them, in the given order."""
    if isinstance(items[0], tuple):
        return tuple(add(*column) for column in zip(*items))
    out = np.array(items[0], copy=True)
    for it in items[1:]:
        out += it
    return out


def concat_rows(*rows):
    return np.ascontiguousarray(np.concatenate(rows))


# --- The first pass -----------------------------------------------------------------

def summary_task(blk, b):
    """Per-block statistics for the first pass: rows, mean and squared
    deviations per feature (the kernels of the in-memory summary), largest
    |x|, total weight, samples of positive weight, and what is wrong if
    anything."""
    x, w = unpack(blk)
    n, d = x.shape
    problem = None
    if not np.isfinite(x.sum(dtype=np.float64)) and not np.isfinite(x).all():
        problem = ("X contains " + ("NaN" if np.isnan(x).any() else "infinity"),
                   "remove or impute non-finite values first")
    elif not np.isfinite(w).all():
        problem = ("sample_weight contains NaN or infinity", "fix the weights")
    elif n and w.min() < 0:
        problem = (f"sample_weight must be non-negative, got minimum {w.min()!r}",
                   "fix the weights")
    out = dict(n=n, mean=np.zeros(d), m2=np.zeros(d), amax=0.0,
               weight=float(w.sum(dtype=np.float64)),
               positive=int(np.count_nonzero(w > 0)), problem=problem, block=b)
    if n and problem is None:
        starts = common.block_starts(n)
        buf = np.empty((starts.shape[0] - 1, d), dtype=np.float64)
        _column_sums(x, starts, np.zeros(d, dtype=x.dtype), 1, buf)
        out["mean"] = buf.sum(axis=0) / n
        _column_sums(x, starts, out["mean"].astype(x.dtype), 2, buf)
        out["m2"] = buf.sum(axis=0)
        amax = np.empty(starts.shape[0] - 1, dtype=np.float64)
        _abs_max(x, starts, amax)
        out["amax"] = float(amax.max())
    return out


def combine_summaries(*parts):
    """Chan et al.'s pairwise update of counts, means and squared
    deviations, in the given (block) order; the first problem is kept."""
    out = dict(parts[0])
    for p in parts[1:]:
        n = out["n"] + p["n"]
        if p["n"]:
            delta = p["mean"] - out["mean"]
            out["mean"] = out["mean"] + delta * (p["n"] / n)
            # Raw data too large for its squares overflows here; it is then
            # rescaled and measured again (DaskBackend.transformed).
            with np.errstate(over="ignore", invalid="ignore"):
                out["m2"] = out["m2"] + p["m2"] + delta**2 * (out["n"] * p["n"] / n)
        out["n"] = n
        out["amax"] = max(out["amax"], p["amax"])
        out["weight"] += p["weight"]
        out["positive"] += p["positive"]
        if out["problem"] is None:
            out["problem"], out["block"] = p["problem"], p["block"]
    return out


# --- Assignment ---------------------------------------------------------------------

def lloyd_task(blk, prev, centers):
    """One Lloyd pass over a block: (new labels, partial statistics)."""
    x, w = unpack(blk, centers.dtype)
    n = x.shape[0]
    labels = (np.full(n, -1, dtype=np.int32) if prev is None
              else np.array(prev[0], dtype=np.int32))  # never write an input
    # Sub-blocks as in the in-memory backend: float32 sums never run over
    # a whole (possibly huge) Dask block in one accumulator.
    starts = common.block_starts(n)
    nb = starts.shape[0] - 1
    k, d = centers.shape
    sums = np.empty((nb, k, d), dtype=centers.dtype)
    weights = np.empty((nb, k), dtype=centers.dtype)
    counts = np.empty((nb, k), dtype=np.int64)
    n_changed = np.empty(nb, dtype=np.int64)
    inertia = np.empty(nb, dtype=np.float64)
    if d >= common.BLAS_MIN_FEATURES:
        _lloyd_blas(x, w, np.einsum("ij,ij->i", x, x), centers, starts, labels,
                    sums, weights, counts, n_changed, inertia)
    else:
        _lloyd_dense(x, w, centers, starts, labels, sums, weights, counts,
                     n_changed, inertia)
    return labels, (sums.sum(axis=0, dtype=np.float64),
                    weights.sum(axis=0, dtype=np.float64), counts.sum(axis=0),
                    int(n_changed.sum()), float(inertia.sum()))


def hamerly_task(blk, prev, params):
    """One Hamerly pass over a block: (new labels, partial statistics,
    bounds).

    ``params`` is (centres, half the distance from each centre to its
    nearest other, drift per centre, max_drift) as the in-memory Hamerly run
    keeps them; ``prev`` the block's previous result (None on the first
    step). The bounds (``upper``, ``lower``, stored relative to the drift)
    stay with the labels; rows they prove unchanged are skipped. The
    partial statistics are those of all the block's rows, recounted every
    step (:func:`_step_statistics`), so nothing accumulates between steps.
    """
    centers, half_min_dist, drift, max_drift = params
    x, w = unpack(blk, centers.dtype)
    n, d = x.shape
    k = centers.shape[0]
    if prev is None:
        labels = np.full(n, -1, dtype=np.int32)
        upper = np.zeros(n, dtype=centers.dtype)
        lower = np.zeros(n, dtype=centers.dtype)
    else:  # never write an input
        labels, (upper, lower) = prev[0].copy(), (b.copy() for b in prev[2])
    starts = common.block_starts(n)
    nb = starts.shape[0] - 1
    use_blas = d >= common.BLAS_MIN_FEATURES
    norms = np.einsum("ij,ij->i", x, x) if use_blas else w
    ref = centers.astype(np.float64)
    sums = np.empty((nb, k, d), dtype=np.float64)
    weights = np.empty((nb, k), dtype=np.float64)
    sq_norms = np.empty((nb, k), dtype=np.float64)
    counts = np.empty((nb, k), dtype=np.int64)
    n_changed = np.empty(nb, dtype=np.int64)
    _hamerly(x, w, norms, centers, half_min_dist, drift, max_drift, ref, starts,
             use_blas, labels, upper, lower, sums, weights, sq_norms, counts,
             n_changed)
    inertia = np.empty(nb, dtype=np.float64)
    _step_statistics(x, w, labels, centers, starts, sums, weights, counts,
                     inertia)
    return labels, (sums.sum(axis=0), weights.sum(axis=0), counts.sum(axis=0),
                    int(n_changed.sum()), float(inertia.sum())), (upper, lower)


@njit(cache=True, nogil=True)
def _step_statistics(x, w, labels, centers, starts, sums, weights, counts,
                     inertia):
    """Per sub-block: the weighted sums of each cluster's rows from the
    origin, their weights, their rows of positive weight, and the weighted
    squared distances of the rows to their centres (direct differences).

    The sums are the additions of a Lloyd pass (``_add_row``), in its
    order: sums measured from the centres and shifted back (``sum(x - c) +
    W c``) leave a rounding residue where a Lloyd pass gives an exact value
    (a cluster of copies of 0 would get a centre of 1e-16, off its
    samples, and an empty cluster would then be moved onto one of them).
    One pass over the rows, serial (a task's kernels are).

    IN x (n, d), w (n,), labels (n,), centers (k, d), starts (nb + 1,).
    OUT sums (nb, k, d), weights (nb, k), counts (nb, k), inertia (nb,).
    """
    d = x.shape[1]
    for b in range(starts.shape[0] - 1):
        sums[b] = 0.0
        weights[b] = 0.0
        counts[b] = 0
        acc = 0.0
        for i in range(starts[b], starts[b + 1]):
            c = labels[i]
            wi = w[i]
            weights[b, c] += wi
            counts[b, c] += wi > 0
            sq = 0.0
            for f in range(d):
                v = x[i, f]
                sums[b, c, f] += wi * v
                t = v - centers[c, f]
                sq += t * t
            acc += wi * sq
        inertia[b] = acc


def bundle(*blks):
    """Several blocks as one result (referencing them, not copying them)."""
    return blks


def group_step_task(task, params, prev, blks):
    """One step over a group of blocks held by one worker thread: ``task``
    (:func:`lloyd_task` or :func:`hamerly_task`) on each block in turn.

    Returns (labels per block, partial statistics per block, the rest of
    each block's state per block); ``prev`` is the group's previous result
    or None. One task per group rather than per block: the scheduler's cost
    per step grows with the number of worker threads, not of blocks.
    """
    labels, partials, rest = [], [], []
    for j, blk in enumerate(blks):
        before = None if prev is None else (prev[0][j], None, prev[2][j])
        out = task(blk, before, params)
        labels.append(out[0])
        partials.append(out[1])
        rest.append(out[2] if len(out) > 2 else None)
    return labels, partials, rest


def add_in_block_order(order, *group_partials):
    """The groups' per-block partials added in block order, with the shape
    of :func:`kmeanslab.backends.dask._graph.tree` over the blocks (so the
    sum does not depend on how the blocks were grouped); ``order`` lists the
    block indices of each group."""
    by_block = {}
    for blocks, partials in zip(order, group_partials):
        by_block.update(zip(blocks, partials))
    level = [by_block[b] for b in sorted(by_block)]
    while True:
        level = [add(*level[i:i + SPLIT_EVERY])
                 for i in range(0, len(level), SPLIT_EVERY)]
        if len(level) == 1:
            return level[0]


def block_inertia_counts(x, w, centers, labels):
    """(inertia, counts per cluster) of a block with the given labels."""
    starts = common.block_starts(x.shape[0])
    out = np.empty(starts.shape[0] - 1, dtype=np.float64)
    _inertia(x, w, centers, labels, starts, out)
    return float(out.sum()), np.bincount(labels, minlength=centers.shape[0])


def nearest(x, centers):
    """(labels, squared distances) of the rows of x to their nearest centre."""
    labels = np.empty(x.shape[0], dtype=np.int32)
    sq = np.empty(x.shape[0], dtype=centers.dtype)
    _assign(x, centers, common.block_starts(x.shape[0]), labels, sq)
    return labels, sq


def assign_task(blk, centers):
    """Nearest centres of a block: (labels, squared distances, (inertia,
    counts))."""
    x, w = unpack(blk, centers.dtype)
    labels, sq = nearest(x, centers)
    return labels, sq, block_inertia_counts(x, w, centers, labels)


def inertia_task(blk, labels, part, centers):
    x, w = unpack(blk, centers.dtype)
    labels = np.asarray(pick(labels, part), dtype=np.int32)
    return block_inertia_counts(x, w, centers, labels)


def label_counts_task(labels, part, n_clusters):
    """Samples per cluster in a block's labels."""
    labels = np.asarray(pick(labels, part), dtype=np.int64)
    return np.bincount(labels, minlength=n_clusters)


def pair_counts_task(a, a_part, b, b_part, k):
    """Histogram of (label in a, label in b) over a block."""
    la = np.asarray(pick(a, a_part), dtype=np.int64)
    lb = np.asarray(pick(b, b_part), dtype=np.int64)
    return np.bincount(la * k + lb, minlength=k * k)



def block_labels(item, part):
    """A block's labels (int32) from a labels item (``part`` as in BlockLabels)."""
    return np.asarray(pick(item, part), dtype=np.int32)


def two_nearest(x, centers):
    """(labels, squared distance to the nearest and to the second-nearest
    centre) of the rows of x (the in-memory backend's kernel)."""
    n = x.shape[0]
    labels = np.empty(n, dtype=np.int32)
    sq = np.empty(n, dtype=centers.dtype)
    second = np.empty(n, dtype=centers.dtype)
    use_blas = x.shape[1] >= common.BLAS_MIN_FEATURES
    norms = np.einsum("ij,ij->i", x, x) if use_blas else sq
    _assign_two(x, norms, centers, common.block_starts(n), use_blas,
                labels, sq, second)
    return labels, sq, second


def sq_to_assigned(x, centers, labels):
    sq = np.empty(x.shape[0], dtype=centers.dtype)
    _sq_to_assigned(x, centers, labels, sq)
    return sq


def assign_two_task(blk, centers):
    return two_nearest(unpack(blk, centers.dtype)[0], centers)


def sq_to_assigned_task(blk, labels, part, centers):
    x, _ = unpack(blk, centers.dtype)
    return sq_to_assigned(x, centers, block_labels(labels, part))


def cluster_errors_task(blk, labels, part, centers):
    """Per cluster: weighted squared distance of a block's rows to their
    centres in ``labels``, and their weight (float64)."""
    x, w = unpack(blk, centers.dtype)
    labels = block_labels(labels, part)
    sq = sq_to_assigned(x, centers, labels)
    w = w.astype(np.float64)
    k = centers.shape[0]
    return (np.bincount(labels, weights=w * sq, minlength=k),
            np.bincount(labels, weights=w, minlength=k))


def removal_utilities_task(blk, centers):
    """Per centre: weighted increase of the block's squared distances were
    it removed (its rows moving to their second-nearest centre)."""
    x, w = unpack(blk, centers.dtype)
    labels, sq, second = two_nearest(x, centers)
    return np.bincount(labels, weights=w.astype(np.float64) * (second - sq),
                       minlength=centers.shape[0])

# --- Picking rows -------------------------------------------------------------------

def top(values, n):
    """Indices of the n largest values; ties go to the lower index exactly
    (the in-memory backend's argpartition may pick any tied index)."""
    m = min(n, values.shape[0])
    if m == 0:
        return np.empty(0, dtype=np.int64)
    cut = np.partition(values, values.shape[0] - m)[values.shape[0] - m]
    above = np.flatnonzero(values > cut)
    at = np.flatnonzero(values == cut)[: m - above.shape[0]]
    return np.concatenate([above, at]).astype(np.int64)


def merge_top(n, *parts):
    """Global indices of the n best of per-block (index, key) candidates,
    best first, ties to the lower index."""
    idx = np.concatenate([p[0] for p in parts])
    keys = np.concatenate([p[1] for p in parts])
    return idx[np.lexsort((idx, -keys))[:n]]


def merge_farthest(n, *parts):
    """Like merge_top, without the rows a farthest_task ruled out (-inf)."""
    idx = np.concatenate([p[0] for p in parts])
    keys = np.concatenate([p[1] for p in parts])
    order = np.lexsort((idx, -keys))
    return idx[order][keys[order] > -np.inf][:n]


def merge_top_rows(n, *parts):
    """The rows of the n best of per-block (index, key, row) candidates."""
    idx = np.concatenate([p[0] for p in parts])
    keys = np.concatenate([p[1] for p in parts])
    rows = np.concatenate([p[2] for p in parts])
    return np.ascontiguousarray(rows[np.lexsort((idx, -keys))[:n]])


def farthest_task(blk, labels, part, centers, n, offset):
    """The block's n rows farthest from their assigned centres as (global
    index, squared distance); rows that may not receive an empty cluster
    (zero weight, or on their centre: see ``off_center``) rank last (-inf)
    and are dropped by ``merge_farthest``."""
    x, w = unpack(blk, centers.dtype)
    sq = np.empty(x.shape[0], dtype=centers.dtype)
    labels = block_labels(labels, part)
    _sq_to_assigned(x, centers, labels, sq)
    keep = (w > 0) & off_center(sq, np.einsum("ij,ij->i", x, x), centers, labels)
    sq = np.where(keep, sq, -np.inf).astype(centers.dtype)
    best = top(sq, n)
    return best + offset, sq[best]


def take_task(item, local_idx, part=None):
    item = pick(item, part)
    if item is None:  # the weights of an unweighted fit
        return np.ones(np.asarray(local_idx).shape[0])
    return np.asarray(item)[local_idx]


# --- Seeding ------------------------------------------------------------------------

def weighted_keys_task(blk, size, seed, b, offset):
    """Efraimidis-Spirakis: a weighted sample without replacement is the top
    ``size`` of log(u) / w; returns the block's best (global index, key,
    row)."""
    x, w = unpack(blk, ones=False)
    keys = np.random.default_rng([seed, b]).random(x.shape[0])
    if w is not None:  # (unweighted, the order of u is that of log(u))
        # log(u) / tiny overflows to -inf for the zero weights that np.where
        # then sets to -inf anyway: no warning for either.
        with np.errstate(divide="ignore", over="ignore"):
            keys = np.where(w > 0, np.log(keys) / np.maximum(w, np.finfo(w.dtype).tiny),
                            -np.inf)
    best = top(keys, size)
    return best + offset, keys[best], x[best]


def first_candidate(*parts):
    """The k-means|| selection of the first candidate, (rows, index of the
    first), from the blocks' weighted keys (:func:`weighted_keys_task`)."""
    return merge_top_rows(1, *parts), 0


def fold_candidates(x, prev, selection):
    """Each row's squared distance to its nearest candidate and that
    candidate's index, once the ``selection`` (rows, index of the first)
    is added to ``prev`` (None before the first); ties keep the earlier
    candidate."""
    rows, start = selection
    if rows.shape[0] == 0:
        return prev
    labels, sq = nearest(x, rows)
    idx = labels.astype(np.int32) + np.int32(start)
    if prev is None:
        return sq, idx
    closer = sq < prev[0]
    return np.where(closer, sq, prev[0]), np.where(closer, idx, prev[1])


def parallel_round_task(blk, prev, selection, l, seed, rnd, b):
    """One k-means|| round on a block, in one pass: fold the last
    selection into the rows' nearest candidates, then offer the rows that
    the round may keep.

    A row is kept when ``u < l * w * d^2 / phi``, i.e. when its threshold
    ``t = l * w * d^2 / u`` exceeds the total potential ``phi``, which is
    only known once every block reported its share ``phi_b <= phi``: the
    block offers the rows with ``t > phi_b`` (about ``l`` in expectation),
    a superset of those kept, and :func:`select_candidates` finishes.
    Returns (state, (phi_b, thresholds, rows)); the state (distances and
    candidate indices) stays with the block.
    """
    x, w = unpack(blk, selection[0].dtype, ones=False)
    state = fold_candidates(x, prev, selection)
    sq = state[0].astype(np.float64)
    rate = l * sq if w is None else (l * w.astype(np.float64)) * sq
    phi_b = float(sq.sum()) if w is None else float(np.dot(w.astype(np.float64), sq))
    u = np.random.default_rng([seed, rnd, b]).random(x.shape[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        thresholds = rate / u
    offered = np.flatnonzero(thresholds > phi_b)
    return state, (phi_b, thresholds[offered], x[offered])


def select_candidates(previous, *offers):
    """A round's selection (rows, index of the first) from the blocks'
    offers, in block order: the rows whose threshold exceeds the total
    potential (the sum of the blocks' shares, added in block order)."""
    phi = 0.0
    for phi_b, _, _ in offers:
        phi += phi_b
    start = previous[1] + previous[0].shape[0]
    if not phi > 0:
        return offers[0][2][:0], start
    rows = [x[t > phi] for _, t, x in offers]
    return np.ascontiguousarray(np.concatenate(rows)), start


def parallel_weights_task(blk, prev, selection):
    """Weight of the block's rows nearest to each candidate, once the last
    selection is folded in (the final k-means|| pass)."""
    x, w = unpack(blk, selection[0].dtype)
    _, idx = fold_candidates(x, prev, selection)
    n_candidates = selection[1] + selection[0].shape[0]
    return np.bincount(idx, weights=w.astype(np.float64), minlength=n_candidates)


def concat_selections(*selections):
    return concat_rows(*[rows for rows, _ in selections])


# --- Predict and transform (map_blocks over X) ------------------------------------

# A block whose largest |value| (its rows' and the centres') lies outside
# [2**-SCALE_LIMIT, 2**SCALE_LIMIT] is measured scaled by a power of two,
# as the fit measures the data (``kmeanslab._driver.SCALE_LIMIT``, which a
# backend does not import): squared distances of values near 1e-200
# underflow to 0 in float64, and of values near 1e200 overflow.
SCALE_LIMIT = 60


def _checked(x):
    check_dense_blocks(x)
    if not np.isfinite(np.sum(x, dtype=np.float64)) and not np.isfinite(x).all():
        raise ValueError("X contains NaN or infinity; remove or impute "
                         "non-finite values first")
    return x


def block_exponent(x, centers):
    """The exponent ``e`` that brings the largest |value| of a block's rows
    and the centres near 1 by ``2**e``; 0 when that value lies within
    ``[2**-SCALE_LIMIT, 2**SCALE_LIMIT]`` (or is 0).

    Scaling both by the same power of two is exact (short of subnormal
    values), so the nearest centre is the same whatever exponent each block
    picks; only the distances change, by ``2**e``.
    """
    amax = 0.0
    for values in (x, centers):
        if values.size:
            starts = common.block_starts(values.shape[0])
            out = np.empty(starts.shape[0] - 1, dtype=np.float64)
            _abs_max(values, starts, out)
            amax = max(amax, float(out.max()))
    if amax > 0 and not 2.0**-SCALE_LIMIT <= amax <= 2.0**SCALE_LIMIT:
        return -int(np.round(np.log2(amax)))
    return 0


def _block_space(x, centers):
    """(rows, centres, e): a block's rows (checked, C-contiguous, in the
    centres' type) and the centres, both scaled by ``2**e``
    (:func:`block_exponent`). ``np.ldexp`` scales without forming ``2**e``,
    which overflows for the subnormal blocks (e above 1023)."""
    x = np.ascontiguousarray(_checked(x), dtype=centers.dtype)
    e = block_exponent(x, centers)
    if e:
        x = np.ldexp(x, e).astype(centers.dtype, copy=False)
        centers = np.ldexp(centers, e).astype(centers.dtype, copy=False)
    return x, centers, e


def predict_block(x, centers):
    """Nearest centre of each row of a block (int32), measured where the
    squared distances neither overflow nor underflow."""
    x, centers, _ = _block_space(x, centers)
    return nearest(x, centers)[0]


def sq_dists_block(x, centers):
    """Squared distances of a block's rows to the centres, as given (the
    backend's working data is already scaled by the fit)."""
    x = np.ascontiguousarray(_checked(x), dtype=centers.dtype)
    return _sq_dists(x, centers)


def _sq_dists(x, centers):
    out = np.empty((x.shape[0], centers.shape[0]), dtype=centers.dtype)
    _sq_to_centers(x, centers, common.block_starts(x.shape[0]), out)
    return out


def transform_block(x, centers):
    """Distances of a block's rows to the centres in the user's units:
    measured on the block and centres scaled by ``2**e``
    (:func:`_block_space`), then scaled back by ``2**-e``; a distance
    beyond the type's range is inf, one below its smallest subnormal 0, as
    the in-memory ``transform`` gives them."""
    x, centers, e = _block_space(x, centers)
    dists = np.sqrt(_sq_dists(x, centers))
    if e:
        with np.errstate(over="ignore", under="ignore"):
            dists = np.ldexp(dists, -e).astype(centers.dtype, copy=False)
    return dists
