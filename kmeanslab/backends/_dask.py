"""Dask backend: k-means on a row-chunked ``dask.array.Array`` or Dask DataFrame.

The engine loop (``kmeanslab._engine.run_single``) runs unchanged on the
client; every pass over the data is one task per row block.

- Each block's rows and weights are packed into one (persisted) result, so
  the scheduler never moves one to meet the other.
- ``step`` runs the engine's fused Lloyd kernel on each block with that
  block's previous labels (to count the changed ones). A task returns the
  block's new labels, which stay where they were computed (persisted, and
  next step's task for the block runs there), and its partial sums, weights,
  counts, changed labels and inertia, which alone travel to a reduction tree
  of fixed shape that adds them in block order: a fit is bitwise
  reproducible for a given chunking whatever the workers or their timing.
- The centres enter the graph once per pass as one literal node that the
  block tasks depend on: each worker fetches them once, and (unlike
  scattered data) they can be recomputed, so a lost worker's blocks are
  rebuilt from their lineage (redoing the steps so far for those blocks)
  and the fit ends exactly as it would have undisturbed.
- k-means|| seeding is one graph (every round's sampling depends on the
  previous round's potential inside the graph), so it costs one round trip
  to the scheduler rather than two per round.

Work runs on the active ``distributed.Client`` when there is one, else on
Dask's default local scheduler. Within a task the kernels run serially
(compiled without ``parallel`` from the same functions): Dask provides the
parallelism across blocks, and parallel kernels inside threaded workers
would oversubscribe the cores (and are unsafe under numba's workqueue layer).

Only Lloyd runs here: "hamerly", "elkan" and "auto" fall back to it (the
bounds would have to live beside the labels on the workers, for little gain
when a pass is dominated by scheduling or reading the data).
"""

from __future__ import annotations

import itertools
import operator
import sys
import types
import uuid
import warnings

import numpy as np

try:
    import dask
    import dask.array as da
    from dask.delayed import Delayed, delayed
except ImportError as exc:  # pragma: no cover - exercised without the extra
    raise ImportError(
        "the Dask backend needs dask: pip install kmeanslab[dask]") from exc

from numba import njit
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from .. import _validation as v
from .._engine import run_single
from .._kernels import common, lloyd
from ..core import KMeansResult, _runs_to_user
from . import StepStats

__all__ = ["DaskBackend", "as_dask_array", "connect", "feature_names",
           "fit_dask", "predict_dask", "transform_dask", "validate_dask_X"]

# Partial results are added SPLIT_EVERY at a time: a tree of depth
# log_8(n_blocks), so a thousand blocks take three levels of small tasks.
SPLIT_EVERY = 8


def _serial(kernel):
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


_lloyd_dense = _serial(lloyd.lloyd_step_dense)
_lloyd_blas = _serial(lloyd.lloyd_step_blas)
_assign = _serial(common.assign_dense)
_inertia = _serial(common.inertia_dense)
_sq_to_assigned = _serial(common.sq_dist_to_assigned_dense)
_sq_to_centers = _serial(common.sq_dists_to_centers_dense)
_column_sums = _serial(common.column_sums_dense)
_abs_max = _serial(common.abs_max_dense)


# --- Connecting --------------------------------------------------------------

def connect(address, timeout=10):
    """A ``distributed.Client`` for the scheduler at ``address``.

    Raises
    ------
    ConnectionError
        When no scheduler answers within ``timeout`` seconds; the one-line
        message names the address.
    """
    from distributed import Client

    try:
        return Client(address, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise ConnectionError(
            f"no Dask scheduler answered at {address!r} within {timeout} s "
            f"({type(exc).__name__})") from None


def _active_client():
    """The default ``distributed.Client`` or None (never imports distributed)."""
    if "distributed" not in sys.modules:
        return None
    from distributed import default_client

    try:
        return default_client()
    except ValueError:
        return None


# --- Input -------------------------------------------------------------------

def as_dask_array(X, *, name="X"):
    """X as a 2-D float32/float64 dask array chunked along rows only, with
    known chunk sizes; a Dask DataFrame of numeric columns is converted.

    Lazy apart from a pass to learn unknown chunk sizes; values (NaN,
    infinity) are checked by the first pass of :func:`fit_dask`.
    """
    if hasattr(X, "to_dask_array"):
        import pandas as pd

        bad = [c for c, t in X.dtypes.items()
               if not pd.api.types.is_numeric_dtype(t)
               or pd.api.types.is_complex_dtype(t)]
        if bad:
            raise TypeError(f"{name} must have numeric columns only; "
                            f"non-numeric: {bad[:5]}")
        X = X.to_dask_array(lengths=True)
    elif not isinstance(X, da.Array):
        raise TypeError(f"{name} must be a dask Array or DataFrame, "
                        f"got {type(X).__name__}")
    if X.dtype.kind == "c":
        raise TypeError(f"{name} must be real-valued, got complex dtype {X.dtype}")
    if X.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got dtype {X.dtype}")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got "
                         f"{X.ndim}-D array of shape {X.shape}")
    if any(np.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()
    if X.numblocks[1] != 1:
        X = X.rechunk({1: -1})
    if X.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has 0 samples (shape {X.shape})")
    if X.shape[1] == 0:
        raise ValueError(f"{name} has 0 features (shape {X.shape})")
    return X


def feature_names(X):
    """Column names of a Dask DataFrame when they are all strings, else None
    (what scikit-learn stores as ``feature_names_in_``)."""
    cols = getattr(X, "columns", None)
    if cols is None or not all(isinstance(c, str) for c in cols):
        return None
    return np.asarray(list(cols), dtype=object)


def validate_dask_X(estimator, X, reset):
    """``KMeans._validate_X`` for Dask input, without computing X: X as a
    dask array (:func:`as_dask_array`); sets ``n_features_in_`` and
    ``feature_names_in_`` when ``reset``, else checks the feature count."""
    names = feature_names(X)
    X = as_dask_array(X)
    if reset:
        estimator.n_features_in_ = X.shape[1]
        if names is not None:
            estimator.feature_names_in_ = names
        else:
            estimator.__dict__.pop("feature_names_in_", None)
    elif X.shape[1] != estimator.n_features_in_:
        raise ValueError(f"X has {X.shape[1]} features, but "
                         f"{type(estimator).__name__} is expecting "
                         f"{estimator.n_features_in_} features as input.")
    return X


def _as_dask_weights(sample_weight, X):
    """None, or sample_weight as a dask array of X's dtype with X's row
    chunks (values are checked by the first pass)."""
    rows = (X.chunks[0],)
    if sample_weight is None:
        return None
    if np.isscalar(sample_weight):
        return da.full(X.shape[0], sample_weight, dtype=X.dtype, chunks=rows)
    if hasattr(sample_weight, "to_dask_array"):
        sample_weight = sample_weight.to_dask_array(lengths=True)
    if not isinstance(sample_weight, da.Array):
        try:
            sample_weight = np.asarray(sample_weight, dtype=X.dtype)
        except (ValueError, TypeError):
            raise TypeError("sample_weight must be numeric") from None
    sw = sample_weight
    if sw.ndim != 1 or sw.shape[0] != X.shape[0]:
        raise ValueError(f"sample_weight must have shape ({X.shape[0]},), "
                         f"got {sw.shape}")
    if sw.dtype.kind not in "biuf":
        raise TypeError(f"sample_weight must be numeric, got dtype {sw.dtype}")
    if isinstance(sw, np.ndarray):
        return da.from_array(sw, chunks=rows)
    if any(np.isnan(c) for c in sw.chunks[0]):
        sw = sw.compute_chunk_sizes()
    return sw.astype(X.dtype).rechunk(rows)


# --- Tasks (module level, so workers import them by name) -------------------

def _pack(x, w):
    return x, w


def _xw(blk, dtype=None, ones=True):
    """A packed block as C-contiguous rows (never a memmap) and weights
    (ones when the fit is unweighted, or None if not ``ones``)."""
    x, w = blk
    x = np.ascontiguousarray(np.asarray(x), dtype=dtype)
    if w is None:
        return x, (np.ones(x.shape[0], dtype=x.dtype) if ones else None)
    return x, np.ascontiguousarray(np.asarray(w), dtype=x.dtype)


def _summary_task(blk, b):
    """Per-block statistics for the first pass: rows, mean and squared
    deviations per feature (the kernels _Workspace uses), largest |x|, total
    weight, and what is wrong if anything."""
    x, w = _xw(blk)
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


def _combine_summaries(*parts):
    """Chan et al.'s pairwise update of counts, means and squared
    deviations, in the given (block) order; the first problem is kept."""
    out = dict(parts[0])
    for p in parts[1:]:
        n = out["n"] + p["n"]
        if p["n"]:
            delta = p["mean"] - out["mean"]
            out["mean"] = out["mean"] + delta * (p["n"] / n)
            # Raw data too large for its squares overflows here; it is then
            # rescaled and measured again (DaskBackend.scaled).
            with np.errstate(over="ignore", invalid="ignore"):
                out["m2"] = out["m2"] + p["m2"] + delta**2 * (out["n"] * p["n"] / n)
        out["n"] = n
        out["amax"] = max(out["amax"], p["amax"])
        out["weight"] += p["weight"]
        out["positive"] += p["positive"]
        if out["problem"] is None:
            out["problem"], out["block"] = p["problem"], p["block"]
    return out


def _lloyd_task(blk, prev, centers):
    """One Lloyd pass over a block: (new labels, partial statistics)."""
    x, w = _xw(blk, centers.dtype)
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


def _add(*items):
    """Sum arrays, numbers or tuples of them, in the given order."""
    if isinstance(items[0], tuple):
        return tuple(_add(*column) for column in zip(*items))
    out = np.array(items[0], copy=True)
    for it in items[1:]:
        out += it
    return out


def _inertia_counts(x, w, centers, labels):
    """(inertia, counts per cluster) of a block with the given labels."""
    starts = common.block_starts(x.shape[0])
    out = np.empty(starts.shape[0] - 1, dtype=np.float64)
    _inertia(x, w, centers, labels, starts, out)
    return float(out.sum()), np.bincount(labels, minlength=centers.shape[0])


def _nearest(x, centers):
    """(labels, squared distances) of the rows of x to their nearest centre."""
    labels = np.empty(x.shape[0], dtype=np.int32)
    sq = np.empty(x.shape[0], dtype=centers.dtype)
    _assign(x, centers, common.block_starts(x.shape[0]), labels, sq)
    return labels, sq


def _assign_task(blk, centers):
    """Nearest centres of a block: (labels, squared distances, (inertia,
    counts))."""
    x, w = _xw(blk, centers.dtype)
    labels, sq = _nearest(x, centers)
    return labels, sq, _inertia_counts(x, w, centers, labels)


def _inertia_task(blk, labels, part, centers):
    x, w = _xw(blk, centers.dtype)
    labels = np.asarray(labels if part is None else labels[part], dtype=np.int32)
    return _inertia_counts(x, w, centers, labels)


def _farthest_task(blk, pair, centers, n, offset):
    """The block's n rows farthest from their assigned centres as (global
    index, squared distance); rows of zero weight rank last (-inf), and the
    caller asks for no more rows than there are of positive weight."""
    x, w = _xw(blk, centers.dtype)
    sq = np.empty(x.shape[0], dtype=centers.dtype)
    _sq_to_assigned(x, centers, np.asarray(pair[0], dtype=np.int32), sq)
    sq = np.where(w > 0, sq, -np.inf).astype(centers.dtype)
    top = _top(sq, n)
    return top + offset, sq[top]


def _top(values, n):
    """Indices of the n largest values; ties go to the lower index exactly
    (the in-memory backend's argpartition may pick any tied index)."""
    m = min(n, values.shape[0])
    if m == 0:
        return np.empty(0, dtype=np.int64)
    cut = np.partition(values, values.shape[0] - m)[values.shape[0] - m]
    above = np.flatnonzero(values > cut)
    at = np.flatnonzero(values == cut)[: m - above.shape[0]]
    return np.concatenate([above, at]).astype(np.int64)


def _merge_top(n, *parts):
    """Global indices of the n best of per-block (index, key) candidates,
    best first, ties to the lower index."""
    idx = np.concatenate([p[0] for p in parts])
    keys = np.concatenate([p[1] for p in parts])
    return idx[np.lexsort((idx, -keys))[:n]]


def _take_task(item, local_idx, part=None):
    item = item if part is None else item[part]
    if item is None:  # the weights of an unweighted fit
        return np.ones(np.asarray(local_idx).shape[0])
    return np.asarray(item)[local_idx]


def _weighted_keys_task(blk, size, seed, b, offset):
    """Efraimidis-Spirakis: a weighted sample without replacement is the top
    ``size`` of log(u) / w; returns the block's best (global index, key,
    row)."""
    x, w = _xw(blk, ones=False)
    keys = np.random.default_rng([seed, b]).random(x.shape[0])
    if w is not None:  # (unweighted, the order of u is that of log(u))
        with np.errstate(divide="ignore"):
            keys = np.where(w > 0, np.log(keys) / np.maximum(w, np.finfo(w.dtype).tiny),
                            -np.inf)
    top = _top(keys, size)
    return top + offset, keys[top], x[top]


def _merge_top_rows(n, *parts):
    """The rows of the n best of per-block (index, key, row) candidates."""
    idx = np.concatenate([p[0] for p in parts])
    keys = np.concatenate([p[1] for p in parts])
    rows = np.concatenate([p[2] for p in parts])
    return np.ascontiguousarray(rows[np.lexsort((idx, -keys))[:n]])


def _nearest_task(blk, prev, *cand_parts):
    """(squared distance of each row to its nearest candidate, capped by
    prev's, block potential sum w * d^2)."""
    cands = _concat_rows(*cand_parts)
    if prev is not None and cands.shape[0] == 0:
        return prev
    x, w = _xw(blk, cands.dtype, ones=False)
    _, sq = _nearest(x, cands)
    if prev is not None:
        np.minimum(sq, prev[0], out=sq)
    if w is None:
        return sq, float(sq.sum(dtype=np.float64))
    return sq, float(np.dot(w.astype(np.float64), sq.astype(np.float64, copy=False)))


def _oversample_task(blk, near, phi, l, seed, rnd, b):
    """Rows kept by one k-means|| round: each independently with probability
    min(1, l * w * d^2 / phi), from the block's own random stream."""
    x, w = _xw(blk, ones=False)
    if not phi > 0:
        return x[:0]
    u = np.random.default_rng([seed, rnd, b]).random(x.shape[0])
    rate = near[0] * (l / phi)
    if w is not None:
        rate *= w
    return x[u < rate]


def _concat_rows(*rows):
    return np.ascontiguousarray(np.concatenate(rows))


def _candidate_weights_task(blk, cands):
    """Weight of the block's rows nearest to each candidate."""
    x, w = _xw(blk, cands.dtype)
    labels, _ = _nearest(x, cands)
    return np.bincount(labels, weights=w.astype(np.float64),
                       minlength=cands.shape[0])


def _pair_counts_task(a, a_part, b, b_part, k):
    """Histogram of (label in a, label in b) over a block."""
    la = np.asarray(a if a_part is None else a[a_part], dtype=np.int64)
    lb = np.asarray(b if b_part is None else b[b_part], dtype=np.int64)
    return np.bincount(la * k + lb, minlength=k * k)


def _checked(x):
    if not np.isfinite(np.sum(x, dtype=np.float64)) and not np.isfinite(x).all():
        raise ValueError("X contains NaN or infinity; remove or impute "
                         "non-finite values first")
    return x


def _predict_block(x, centers):
    return _nearest(np.ascontiguousarray(_checked(x), dtype=centers.dtype),
                    centers)[0]


def _transform_block(x, centers):
    x = np.ascontiguousarray(_checked(x), dtype=centers.dtype)
    out = np.empty((x.shape[0], centers.shape[0]), dtype=centers.dtype)
    _sq_to_centers(x, centers, common.block_starts(x.shape[0]), out)
    return np.sqrt(out)


# --- Graph helpers -------------------------------------------------------------

# Task keys: a per-process token and a counter. Hashing every argument (what
# dask.delayed does by default) or drawing a uuid per task costs more than
# scheduling the task when the blocks are small.
_TOKEN = uuid.uuid4().hex[:12]
_COUNTER = itertools.count()
_LEAVES = {}


def _key(label):
    return f"kmeanslab-{label}-{_TOKEN}-{next(_COUNTER)}"


def _call(func, *args):
    """A delayed call of ``func`` under a fresh unique key."""
    leaf = _LEAVES.get(func)
    if leaf is None:
        leaf = _LEAVES.setdefault(func, delayed(func, pure=True))
    return leaf(*args, dask_key_name=_key(func.__name__.strip("_")))


def _literal(value, label):
    """``value`` as one graph node the tasks depend on (fetched once by each
    worker, and recomputable after a worker is lost)."""
    return delayed(value, name=_key(label))


def _tree(leaves, combine=_add):
    """Reduce delayed leaves SPLIT_EVERY at a time, in order; the tree's
    shape depends only on the number of leaves, so the floating-point result
    does not depend on where or when the tasks ran."""
    level = list(leaves)
    while True:
        level = [_call(combine, *level[i:i + SPLIT_EVERY])
                 for i in range(0, len(level), SPLIT_EVERY)]
        if len(level) == 1:
            return level[0]


def _items(results, part):
    return [_call(operator.getitem, r, part) for r in results]


class _BlockLabels:
    """Labels held per block where they were computed.

    ``items[b]`` is a (persisted) delayed block result: the labels array
    itself when ``part`` is None, else ``result[part]``. Indexing with
    sample indices and ``np.asarray`` fetch what they need. ``stats`` is
    (centres, (inertia, counts)) once known, the pair possibly still a
    persisted delayed value.
    """

    def __init__(self, items, part, offsets, stats=None):
        self.items = items
        self.part = part
        self.offsets = offsets
        self.stats = stats

    def __len__(self):
        return int(self.offsets[-1])

    def __getitem__(self, idx):
        return _gather(self.items, self.offsets, idx, self.part)

    def __array__(self, dtype=None, copy=None):
        parts = dask.compute(*[_call(_take_task, it, slice(None), self.part)
                               for it in self.items])
        return np.concatenate(parts).astype(dtype or np.int32, copy=False)

    def to_dask(self):
        """The labels as a 1-D int32 dask array with X's row chunks."""
        items = self.items if self.part is None else _items(self.items, self.part)
        return da.concatenate([
            da.from_delayed(it, shape=(int(s),), dtype=np.int32)
            for it, s in zip(items, np.diff(self.offsets))])


def _gather(items, offsets, idx, part=None):
    """Entries ``idx`` (global row indices, repeats allowed) of per-block
    results."""
    idx = np.asarray(idx, dtype=np.int64).ravel()
    n = int(offsets[-1])
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError(f"sample index out of range for {n} samples")
    uniq, inverse = np.unique(idx, return_inverse=True)
    blocks = np.searchsorted(offsets, uniq, side="right") - 1
    tasks = [_call(_take_task, items[b], uniq[blocks == b] - offsets[b], part)
             for b in np.unique(blocks)]
    if not tasks:
        return None
    return np.concatenate(dask.compute(*tasks))[inverse]


# --- The backend -----------------------------------------------------------------

class DaskBackend:
    """Data held as a row-chunked dask array (see the module docstring).

    Parameters
    ----------
    X : dask Array or DataFrame of shape (n_samples, n_features)
    sample_weight : dask array, ndarray, number or None
        Aligned with X's rows (rechunked to X's row chunks).
    persist : bool or None, default=None
        Keep the blocks in memory where they are computed: on the workers of
        a distributed cluster, or in this process with the local scheduler.
        None persists when a ``distributed.Client`` is active; otherwise the
        blocks are read from their source on every pass, so data larger than
        memory streams through a few blocks at a time.
    """

    name = "dask"

    def __init__(self, X, sample_weight=None, *, persist=None):
        X = as_dask_array(X)
        sw = _as_dask_weights(sample_weight, X)
        if persist is None:
            persist = _active_client() is not None
        x_blocks = X.to_delayed().ravel().tolist()
        w_blocks = ([None] * len(x_blocks) if sw is None
                    else sw.to_delayed().ravel().tolist())
        blocks = [_call(_pack, x, w) for x, w in zip(x_blocks, w_blocks)]
        if persist:
            blocks = list(dask.persist(*blocks))
        self.X = X
        self.weights = sw
        self.persist = bool(persist)
        self.blocks = blocks
        self.offsets = np.concatenate([[0], np.cumsum(X.chunks[0])]).astype(np.int64)
        self._summary = None

    @property
    def n_samples(self):
        return self.X.shape[0]

    @property
    def n_features(self):
        return self.X.shape[1]

    @property
    def dtype(self):
        return self.X.dtype

    @property
    def n_blocks(self):
        return len(self.blocks)

    @property
    def sample_weight(self):
        """The weights as a dask array (ones when the fit is unweighted)."""
        if self.weights is None:
            return da.ones(self.n_samples, dtype=self.dtype, chunks=(self.X.chunks[0],))
        return self.weights

    def summary(self):
        """One pass of per-block reductions: mean feature variance, largest
        |x| and total weight; raises ValueError naming the first block with
        NaN or infinity in X or a bad weight."""
        if self._summary is None:
            parts = [_call(_summary_task, blk, b) for b, blk in enumerate(self.blocks)]
            s = _tree(parts, _combine_summaries).compute()
            if s["problem"] is not None:
                b = s["block"]
                what, advice = s["problem"]
                raise ValueError(f"{what} (block {b}, rows {self.offsets[b]} to "
                                 f"{self.offsets[b + 1] - 1}); {advice}")
            if not s["weight"] > 0:
                raise ValueError("sample_weight is all zero: it must contain "
                                 "at least one non-zero weight")
            s["variance_mean"] = float(np.mean(s["m2"] / s["n"]))
            self._summary = s
        return self._summary

    def scaled(self, exponent):
        """A backend over ``X * 2**exponent`` (exact); its statistics are
        measured on the scaled data, where the raw ones may have overflowed."""
        if exponent == 0:
            return self
        scale = self.dtype.type(np.ldexp(1.0, exponent))
        return DaskBackend(self.X * scale, self.weights, persist=self.persist)

    def feature_variance_mean(self):
        return self.summary()["variance_mean"]

    @property
    def n_positive(self):
        """Samples of positive weight (those an empty cluster may move to)."""
        return self.summary()["positive"]

    def total_weight(self):
        return self.summary()["weight"]

    def take_rows(self, idx):
        rows = _gather(self.blocks, self.offsets, idx, 0)
        return np.empty((0, self.n_features), self.dtype) if rows is None else rows

    def weights_of(self, idx):
        w = _gather(self.blocks, self.offsets, idx, 1)
        return np.empty(0, self.dtype) if w is None else w.astype(self.dtype)

    def candidate_sq_dists(self, candidates, closest_sq_dist):
        raise NotImplementedError(
            "k-means++ needs every sample's distance on the client; Dask data "
            "is seeded with init='k-means||'")

    def _centers(self, centers, label="centers"):
        return _literal(np.ascontiguousarray(centers, dtype=self.dtype), label)

    def assign(self, centers):
        """Nearest centre of every sample: the labels persisted per block,
        with their inertia and counts (:class:`_BlockLabels`), and the
        squared distances as a lazy dask array."""
        centers = np.ascontiguousarray(centers, dtype=self.dtype)
        c = self._centers(centers)
        results = [_call(_assign_task, blk, c) for blk in self.blocks]
        labels, stats = dask.persist(_items(results, 0),
                                     _tree(_items(results, 2)))
        sq = da.concatenate([
            da.from_delayed(it, shape=(int(s),), dtype=self.dtype)
            for it, s in zip(_items(results, 1), np.diff(self.offsets))])
        return _BlockLabels(labels, None, self.offsets, (centers, stats)), sq

    def inertia(self, centers, labels):
        """Weighted sum of squared distances to the centres given by labels
        (a :class:`_BlockLabels`, or a dask array)."""
        return self._inertia_counts(centers, labels)[0]

    def _inertia_counts(self, centers, labels):
        centers = np.ascontiguousarray(centers, dtype=self.dtype)
        if not isinstance(labels, _BlockLabels):
            labels = da.asarray(labels).rechunk((self.X.chunks[0],))
            labels = _BlockLabels(labels.to_delayed().ravel().tolist(), None,
                                  self.offsets)
        if labels.stats is None or not np.array_equal(labels.stats[0], centers):
            c = self._centers(centers)
            labels.stats = (centers, _tree([
                _call(_inertia_task, blk, it, labels.part, c)
                for blk, it in zip(self.blocks, labels.items)]))
        if isinstance(labels.stats[1], Delayed):
            labels.stats = (centers, labels.stats[1].compute())
        inertia, counts = labels.stats[1]
        return float(inertia), counts

    def start_run(self, algorithm, n_clusters):
        """A Lloyd run whatever ``algorithm`` names (see the module notes)."""
        return _LloydRun(self, n_clusters)


class _LloydRun:
    """Labels per block on the workers; one Lloyd task per block per step."""

    def __init__(self, backend, n_clusters):
        self.backend = backend
        self.n_clusters = n_clusters
        self.pairs = [None] * backend.n_blocks

    @property
    def labels(self):
        if self.pairs[0] is None:
            return np.full(self.backend.n_samples, -1, dtype=np.int32)
        return _BlockLabels(self.pairs, 0, self.backend.offsets)

    def step(self, centers, center_shift=None):
        b = self.backend
        c = b._centers(centers)
        pairs = [_call(_lloyd_task, blk, prev, c)
                 for blk, prev in zip(b.blocks, self.pairs)]
        # Only the partials (taken out where each pair was computed) travel
        # to the reduction; one submission persists the labels for the next
        # step and brings the reduced total back.
        self.pairs, total = dask.persist(pairs, _tree(_items(pairs, 1)))
        sums, weights, counts, n_changed, inertia = total.compute()
        return StepStats(sums, weights, counts, int(n_changed), float(inertia))

    def farthest(self, centers, n):
        """Indices of the n samples of positive weight farthest from their
        assigned centres, farthest first (ties broken by lower index)."""
        b = self.backend
        c = b._centers(centers)
        parts = [_call(_farthest_task, blk, p, c, n, int(off))
                 for blk, p, off in zip(b.blocks, self.pairs, b.offsets[:-1])]
        return _call(_merge_top, n, *parts).compute()


# --- Seeding ---------------------------------------------------------------------

def _weighted_sample(backend, size, seed, rows=False):
    """Delayed: ``size`` distinct sample indices (or their rows) drawn in
    proportion to weight, without replacement (per-block random streams)."""
    parts = [_call(_weighted_keys_task, blk, size, seed, b, int(off))
             for b, (blk, off) in enumerate(zip(backend.blocks, backend.offsets))]
    return _call(_merge_top_rows if rows else _merge_top, size, *parts)


def random_init(backend, n_clusters, random_state):
    """n_clusters distinct samples drawn in proportion to their weight;
    returns (centers, indices)."""
    seed = int(random_state.randint(np.iinfo(np.int32).max))
    idx = np.sort(_weighted_sample(backend, n_clusters, seed).compute())
    return backend.take_rows(idx), idx


def parallel_init(backend, n_clusters, random_state, *, oversampling=2.0,
                  n_rounds=5):
    """k-means|| (Bahmani et al. 2012) as one graph of per-block tasks.

    The rule is ``kmeanslab.init.parallel_init``'s: one sample drawn in
    proportion to its weight, then ``n_rounds`` rounds keeping each sample
    with probability ``min(1, l * w * d^2 / phi)``, ``l = oversampling *
    n_clusters``; candidates weighted by the sample weight nearest to them,
    reduced to ``n_clusters`` by weighted k-means++ and Lloyd in memory.
    Here the distances stay with their blocks and each block draws from its
    own stream seeded by (one draw from ``random_state``, round, block), so
    the result depends on the chunking but not on the scheduler or workers.
    Costs 2 * n_rounds + 2 passes over the data; with persisted blocks they
    are one submission to the scheduler (otherwise one per pass, so that no
    more than a few blocks are read at a time).
    """
    from ..init import plusplus_init
    from . import get_backend

    seed = int(random_state.randint(np.iinfo(np.int32).max))
    blocks = backend.blocks
    # Without persisted blocks every pass must end before the next begins
    # (else one graph would hold every block until its last pass).
    settle = ((lambda obj: obj) if backend.persist
              else (lambda obj: dask.persist(obj)[0]))
    found = [settle(_weighted_sample(backend, 1, seed, rows=True))]
    near = settle([_call(_nearest_task, blk, None, found[0]) for blk in blocks])
    l = oversampling * n_clusters
    for rnd in range(1, n_rounds + 1):
        phi = _tree(_items(near, 1))
        new = settle([_call(_oversample_task, blk, p, phi, l, seed, rnd, b)
                      for b, (blk, p) in enumerate(zip(blocks, near))])
        found.extend(new)
        if rnd < n_rounds:
            near = settle([_call(_nearest_task, blk, p, *new)
                           for blk, p in zip(blocks, near)])
    cands = _call(_concat_rows, *found)
    weights = _tree([_call(_candidate_weights_task, blk, cands) for blk in blocks])
    cands, weights = dask.compute(cands, weights)
    keep = weights > 0
    cands, weights = cands[keep], weights[keep]
    if cands.shape[0] <= n_clusters:
        # Too few distinct candidates: top up with weighted random samples.
        extra = np.sort(_weighted_sample(backend, n_clusters - cands.shape[0],
                                         seed + 1).compute())
        return np.concatenate([cands, backend.take_rows(extra)]), None
    small = get_backend(np.ascontiguousarray(cands, dtype=backend.dtype),
                        weights.astype(backend.dtype))
    seeds, _ = plusplus_init(small, n_clusters, random_state)
    _, centers, _, _ = run_single(small, seeds, algorithm="lloyd", max_iter=30,
                                  tol=0.0)
    return centers, None


_SCHEMES = {"k-means||": parallel_init, "random": random_init}


# --- Fit, predict, transform -------------------------------------------------------

class _ScaledSpace:
    """The mappings of core's _Workspace (centres, inertia and shifts between
    the user's space and the working space) for Dask data, which is scaled
    by 2**exponent (exact in floating point) when its magnitude demands it
    and never centred."""

    mean = None

    def __init__(self, dtype, exponent, variance_mean):
        self.dtype = np.dtype(dtype)
        self.exponent = exponent
        self.scale = float(np.ldexp(1.0, exponent))
        self.variance_mean = variance_mean

    def to_working(self, centers):
        return np.asarray(centers, dtype=self.dtype) * self.dtype.type(self.scale)

    def to_user(self, centers):
        return np.asarray(centers, dtype=self.dtype) / self.dtype.type(self.scale)

    def inertia_to_user(self, inertia):
        return float(np.ldexp(float(inertia), -2 * self.exponent))


def _scale_exponent(amax):
    """_Workspace's rule: scale by a power of two when |x| is so large or so
    small that squared distances could overflow or underflow."""
    if amax > 0 and not 2.0**-60 <= amax <= 2.0**60:
        return -int(np.round(np.log2(amax)))
    return 0


def _same_partition(labels1, labels2, n_clusters):
    """True when two per-block labelings are one partition up to renaming."""
    k = n_clusters
    table = _tree([_call(_pair_counts_task, a, labels1.part, b, labels2.part, k)
                   for a, b in zip(labels1.items, labels2.items)])
    table = table.compute().reshape(k, k)
    return (np.count_nonzero(table) == np.count_nonzero(table.sum(axis=1))
            == np.count_nonzero(table.sum(axis=0)))


def fit_dask(X, n_clusters=8, *, sample_weight=None, init="k-means||",
             n_init="auto", max_iter=300, tol=1e-4, algorithm="auto",
             random_state=None, record_labels=False, copy_x=True,
             n_threads=None, refine=None, persist=None):
    """:func:`kmeanslab.kmeans` for a dask array or Dask DataFrame.

    Parameters
    ----------
    X : dask Array or DataFrame of shape (n_samples, n_features)
        Chunked along rows (columns are merged into one chunk); float32 and
        float64 are kept, other numeric types become float64.
    n_clusters, sample_weight, n_init, max_iter, tol, random_state, record_labels
        As for :func:`kmeanslab.kmeans`; ``sample_weight`` may also be a dask
        array (rechunked to X's rows).
    init : {"k-means||", "random"}, callable or array, default="k-means||"
        "k-means++" runs as "k-means||": k-means++ takes one pass over the
        data per centre and every sample's distance on the client, k-means||
        12 passes whatever ``n_clusters``. A callable gets the dask array.
    algorithm : str, default="auto"
        Checked, then ignored: Lloyd runs (the result "hamerly" would give).
    copy_x : bool, default=True
        Ignored: the data is never centred or copied (only rescaled by a
        power of two, lazily, when its magnitude demands it).
    n_threads : int, default=None
        Checked, then ignored: tasks run serially and Dask runs them in
        parallel.
    refine : None, default=None
        Only None.
    persist : bool or None, default=None
        See :class:`DaskBackend`.

    Returns
    -------
    KMeansResult
        ``labels`` is a 1-D int32 dask array with X's row chunks, already
        computed and held by the workers (or in memory without a Client).

    Raises
    ------
    ValueError, TypeError
        Invalid parameters (before any pass over the data), or NaN,
        infinity or bad weights found by the first pass (the message names
        the first block and its rows).

    See Also
    --------
    predict_dask, transform_dask, kmeanslab.io_chunks.open_chunked

    Notes
    -----
    Passes over the data: one for the statistics (mean variance for ``tol``,
    magnitude, and the NaN, infinity and weight checks, which thus fail
    before any clustering work), 12 for k-means||, one per iteration and
    one at the end (final labels, inertia and counts together). From the
    same initial centres the labels and centres equal the in-memory fit's
    up to floating-point rounding (the partial sums are added in another
    order), whatever the chunking; for a given chunking a fit is bitwise
    reproducible.

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> from kmeanslab.backends._dask import fit_dask
    >>> X = da.from_array(np.array([[1.0, 2.0], [1.0, 4.0], [1.0, 0.0],
    ...                             [10.0, 2.0], [10.0, 4.0], [10.0, 0.0]]),
    ...                   chunks=(4, 2))
    >>> result = fit_dask(X, 2, init=np.array([[0.0, 0.0], [9.0, 0.0]]))
    >>> result.labels.compute().tolist()
    [0, 0, 0, 1, 1, 1]
    >>> result.centers.tolist()
    [[1.0, 2.0], [10.0, 2.0]]
    """
    from ..init import init_centers
    from ..trace import ConvergenceTrace

    X = as_dask_array(X)
    n_samples, n_features = X.shape
    if isinstance(init, str) and init == "k-means++":
        init = "k-means||"
    n_clusters, init, n_init, max_iter, tol, _, _ = v.check_run_params(
        n_samples, n_features, X.dtype, n_clusters=n_clusters, init=init,
        n_init=n_init, max_iter=max_iter, tol=tol, algorithm=algorithm,
        n_threads=n_threads)
    if refine is not None:
        raise ValueError(f"refine={refine!r} is not available for Dask data; "
                         f"use refine=None")
    random_state = check_random_state(random_state)

    backend = DaskBackend(X, sample_weight, persist=persist)
    amax = backend.summary()["amax"]
    exponent = _scale_exponent(amax)
    backend = backend.scaled(exponent)
    ws = _ScaledSpace(X.dtype, exponent, backend.feature_variance_mean())
    if not np.isfinite(ws.variance_mean):
        raise ValueError(f"X has values too large to cluster in {X.dtype} "
                         f"(largest |x| = {amax:.3g}); rescale X")

    best = None
    runs = []
    for run in range(n_init):
        if isinstance(init, str):
            centers0, _ = _SCHEMES[init](backend, n_clusters, random_state)
            centers0 = np.ascontiguousarray(centers0, dtype=backend.dtype)
        else:
            centers0 = init_centers(backend, init, n_clusters, random_state,
                                    to_working=ws.to_working, X_user=X)
        labels, centers, inertia, run_trace = run_single(
            backend, centers0, algorithm="lloyd", max_iter=max_iter,
            tol=ws.variance_mean * tol, run=run, record_labels=record_labels)
        runs.append(run_trace)
        if best is None or (inertia < best[2] and not _same_partition(
                labels, best[0], n_clusters)):
            best = (labels, centers, inertia, run)

    labels, centers, inertia, best_run = best
    counts = backend._inertia_counts(centers, labels)[1]  # known: no pass
    n_distinct = int(np.count_nonzero(counts))
    if n_distinct < n_clusters:
        warnings.warn(
            f"Number of distinct clusters ({n_distinct}) found smaller than "
            f"n_clusters ({n_clusters}). Possibly due to duplicate points in X.",
            ConvergenceWarning, stacklevel=2)
    trace = ConvergenceTrace(runs=tuple(_runs_to_user(runs, ws)),
                             best_run=best_run)
    return KMeansResult(centers=ws.to_user(centers), labels=labels.to_dask(),
                        inertia=ws.inertia_to_user(inertia),
                        n_iter=runs[best_run].n_iter, algorithm="lloyd",
                        trace=trace)


def _prepare_predict(centers, X):
    X = as_dask_array(X)
    centers = np.ascontiguousarray(centers, dtype=X.dtype)
    if centers.ndim != 2 or centers.shape[1] != X.shape[1]:
        raise ValueError(f"X has {X.shape[1]} features, but the centres have "
                         f"shape {centers.shape}")
    return centers, X


def predict_dask(centers, X):
    """Index of the nearest centre for each row of X, as a lazy 1-D int32
    dask array with X's row chunks (a block with NaN or infinity raises
    ValueError when it is computed)."""
    centers, X = _prepare_predict(centers, X)
    return X.map_blocks(_predict_block, centers, dtype=np.int32, drop_axis=1)


def transform_dask(centers, X):
    """Distances from each row of X to every centre, as a lazy dask array of
    shape (n_samples, n_clusters) with X's row chunks."""
    centers, X = _prepare_predict(centers, X)
    return X.map_blocks(_transform_block, centers, dtype=X.dtype,
                        chunks=(X.chunks[0], (centers.shape[0],)))
