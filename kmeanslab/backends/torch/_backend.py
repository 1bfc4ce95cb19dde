"""The PyTorch backend (:class:`TorchBackend`): data held as a tensor on its
own device, CPU or CUDA, run through the one fit driver and engine loop.

Per Lloyd step the data never leaves its device: the nearest centres come
from :func:`._distances.nearest` (a fused Triton screen on CUDA, exact
labels by a float64 recheck of the rows near a tie), and the per-cluster
sums from :func:`per_cluster_sums` (sorted segment sums on CUDA, with no
atomics; ``index_add_`` in row order on CPU), both deterministic. Only
centres (host, k x d) and the per-cluster statistics cross to the host.
"""

from __future__ import annotations

from contextlib import contextmanager, nullcontext
from types import MappingProxyType

import numpy as np
import torch

from ... import _validation as v
from .._protocol import DataSummary, StepStats, unsupported
from ._distances import BLOCK_ELEMENTS, nearest, use_triton

__all__ = ["DeviceLabels", "TorchBackend", "check_torch_X", "fixed_order_sum",
           "per_cluster_sums"]

_FLOAT_TYPES = (torch.float32, torch.float64, torch.bfloat16, torch.float16)
_NUMPY_DTYPE = {torch.float32: np.float32, torch.float64: np.float64}


#: Values summed by one thread at a time in :func:`fixed_order_sum`: at most
#: PyTorch's parallel grain (32768), below which a CPU reduction is never
#: split between threads.
SUM_BLOCK = 1 << 15


def fixed_order_sum(values):
    """Sum over the last dimension in the same order for any thread count:
    pieces of SUM_BLOCK values (each reduced by one thread), then their
    sums the same way. float64 in, float64 out."""
    while values.shape[-1] > SUM_BLOCK:
        n = values.shape[-1]
        pad = -n % SUM_BLOCK
        if pad:
            values = torch.nn.functional.pad(values, (0, pad))
        values = values.reshape(*values.shape[:-1], -1, SUM_BLOCK).sum(dim=-1)
    return values.sum(dim=-1)


def check_torch_X(X, *, name="X"):
    """A 2-D floating tensor of finite values, C-contiguous, detached.

    Integer and boolean tensors become float64, as integer NumPy arrays do
    (:func:`kmeanslab._validation.check_X`), so the same values give the
    same fit whether they come as a tensor or an array (float32 would round
    integers above 2**24); float32, float64, bfloat16 and float16 are kept.

    Raises
    ------
    ValueError, TypeError
        Naming ``name``: wrong number of dimensions, empty, complex, NaN or
        infinity (with the first row holding one).
    """
    if X.is_complex():
        raise TypeError(f"{name} is a complex tensor ({X.dtype}); k-means needs "
                        f"real numbers")
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D tensor (n_samples, n_features), "
                         f"got shape {tuple(X.shape)}")
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"{name} is empty: shape {tuple(X.shape)}; it needs at "
                         f"least one sample and one feature")
    X = X.detach()
    if X.dtype not in _FLOAT_TYPES:
        X = X.to(torch.float64)
    X = X.contiguous()
    finite = torch.isfinite(X).all(dim=1)
    if not bool(finite.all()):
        row = int(torch.nonzero(~finite)[0, 0])
        raise ValueError(f"{name} contains NaN or infinity (first in row {row})")
    return X


def check_torch_weight(sample_weight, n_samples, device):
    """Validated float64 weights on ``device`` (None: ones)."""
    if isinstance(sample_weight, torch.Tensor):
        sample_weight = sample_weight.detach().cpu().to(torch.float64).numpy()
    sw = v.check_sample_weight(sample_weight, n_samples, np.float64)
    return torch.from_numpy(sw).to(device)


def per_cluster_sums(X, weights, labels, n_clusters):
    """Weighted sums (k, d), total weights (k,) and counts of samples of
    positive weight (k,), all float64/int64 on X's device, bitwise the same
    on every run: Triton's sorted segment sums on CUDA, ``index_add_``
    (rows added in order) in blocks of rows on CPU."""
    if use_triton(X):
        from ..._kernels.triton import segment_sums

        return segment_sums(X, weights, labels, n_clusters)
    n, d = X.shape
    sums = torch.zeros((n_clusters, d), dtype=torch.float64)
    totals = torch.zeros(n_clusters, dtype=torch.float64)
    counts = torch.zeros(n_clusters, dtype=torch.int64)
    index = labels.to(torch.int64)
    step = max(1, BLOCK_ELEMENTS // max(d, 1))
    for s in range(0, n, step):
        w = weights[s:s + step]
        rows = X[s:s + step].to(torch.float64) * w[:, None]
        sums.index_add_(0, index[s:s + step], rows)
        totals.index_add_(0, index[s:s + step], w)
        counts.index_add_(0, index[s:s + step], (w > 0).to(torch.int64))
    return sums, totals, counts


class DeviceLabels:
    """A run's labels, kept on the data's device.

    Indexing with host indices gives a host array (what the engine asks of
    native labels); ``np.asarray`` gives all of them on the host;
    ``tensor`` is the int32 tensor itself.
    """

    __slots__ = ("tensor",)

    def __init__(self, tensor):
        self.tensor = tensor

    def __len__(self):
        return self.tensor.shape[0]

    def __getitem__(self, idx):
        index = torch.as_tensor(np.asarray(idx, dtype=np.int64),
                                device=self.tensor.device)
        return self.tensor[index].cpu().numpy()

    def __array__(self, dtype=None, copy=None):
        out = self.tensor.cpu().numpy()
        return out if dtype is None else out.astype(dtype)


def _as_tensor(labels, device):
    """int64 labels on ``device`` from DeviceLabels, a tensor or an array."""
    if isinstance(labels, DeviceLabels):
        labels = labels.tensor
    if not isinstance(labels, torch.Tensor):
        labels = torch.from_numpy(np.asarray(labels))
    return labels.to(device=device, dtype=torch.int64)


class TorchBackend:
    """Data held as a ``torch.Tensor`` on CPU or CUDA (see
    :class:`kmeanslab.backends.Backend`).

    Parameters
    ----------
    X : Tensor of shape (n_samples, n_features)
        Validated (:func:`check_torch_X`): float32, float64, bfloat16 or
        float16, C-contiguous. Centres and distances are float64 for
        float64 X and float32 otherwise (bfloat16 and float16 are
        products' inputs only).
    sample_weight : Tensor of shape (n_samples,)
        Validated float64 weights on X's device.
    precision : {"exact", "fast", "bf16"}, default="exact"
        Precision of the distance products (see
        :mod:`kmeanslab.backends.torch._distances`).

    Notes
    -----
    Runs "lloyd" only: on a GPU a full fused assignment costs about what
    reading a bounded method's per-row state does, and the bounded
    algorithms give Lloyd's result anyway. bfloat16 and float16 data is
    never centred (the centred copy would round again); it is clustered
    where it lies.
    """

    name = "torch"
    algorithms = ("lloyd",)
    init_aliases = MappingProxyType({})
    refinements = ("breathing",)
    seeds_from_sample = False

    def __init__(self, X, sample_weight, *, precision="exact"):
        self.X = X
        self.precision = precision
        self.device = X.device
        self._weights = sample_weight
        self._host_weights = None
        self._x_sq_norms = None
        self._x_screen = None
        positive = sample_weight > 0
        self.n_positive = int(positive.sum())
        self._positive = None if self.n_positive == X.shape[0] else positive
        self.can_center = X.dtype in (torch.float32, torch.float64)

    # --- Shape and type ---------------------------------------------------------

    @property
    def n_samples(self):
        return self.X.shape[0]

    @property
    def n_features(self):
        return self.X.shape[1]

    @property
    def dtype(self):
        return np.dtype(np.float64 if self.X.dtype == torch.float64 else np.float32)

    @property
    def _tdtype(self):
        return torch.float64 if self.X.dtype == torch.float64 else torch.float32

    @property
    def sample_weight(self):
        """Host copy of the weights, in ``dtype``."""
        if self._host_weights is None:
            self._host_weights = self._weights.cpu().numpy().astype(self.dtype)
        return self._host_weights

    @property
    def _norms(self):
        """(||x||^2, ||x||) in float64, computed once."""
        if self._x_sq_norms is None:
            sq = torch.empty(self.n_samples, dtype=torch.float64, device=self.device)
            for s, rows in self._blocks():
                sq[s:s + rows.shape[0]] = (rows * rows).sum(dim=1)
            self._x_sq_norms = (sq, sq.sqrt())
        return self._x_sq_norms

    @property
    def _screen_rows(self):
        """The rows the distance screen reads: a bfloat16 copy of float32
        data for ``precision="bf16"`` on CUDA, else X itself."""
        if (self.precision == "bf16" and self.X.dtype == torch.float32
                and self.X.is_cuda):
            if self._x_screen is None:
                self._x_screen = self.X.to(torch.bfloat16)
            return self._x_screen
        return self.X

    def _blocks(self, dtype=torch.float64):
        """(start, rows) over X in blocks of BLOCK_ELEMENTS values, as
        ``dtype``."""
        step = max(1, BLOCK_ELEMENTS // self.n_features)
        for s in range(0, self.n_samples, step):
            yield s, self.X[s:s + step].to(dtype)

    def _centers(self, centers):
        return torch.as_tensor(np.ascontiguousarray(centers, dtype=self.dtype),
                               device=self.device)

    # --- Preparing the working space --------------------------------------------

    def summary(self):
        """Feature means, mean variance and largest |x|, from float64 sums
        over blocks of rows added in order."""
        n, d = self.X.shape
        total = torch.zeros(d, dtype=torch.float64, device=self.device)
        amax = torch.zeros((), dtype=torch.float64, device=self.device)
        for _, rows in self._blocks():
            total += fixed_order_sum(rows.T)
            amax = torch.maximum(amax, rows.abs().max())
        mean = total / n
        squares = torch.zeros(d, dtype=torch.float64, device=self.device)
        for _, rows in self._blocks():
            diff = rows - mean
            squares += fixed_order_sum((diff * diff).T)
        return DataSummary(mean=mean.cpu().numpy(),
                           variance_mean=float((squares / n).mean()),
                           amax=float(amax))

    def transformed(self, shift, scale):
        """A backend over ``(X - shift) * scale`` on the same device (a
        copy); self when nothing changes."""
        if shift is None and scale == 1.0:
            return self
        out = self.X.clone()
        if shift is not None:
            out -= torch.as_tensor(np.asarray(shift), dtype=out.dtype,
                                   device=self.device)
        if scale != 1.0:
            out *= scale
        return TorchBackend(out, self._weights, precision=self.precision)

    def thread_context(self, n_threads):
        """``n_threads`` intra-op threads for CPU tensors (restored on
        exit); nothing for CUDA."""
        if n_threads is None or self.X.is_cuda:
            return nullcontext()
        return _torch_threads(n_threads)

    # --- Sample access and seeding ----------------------------------------------

    def take_rows(self, idx):
        index = torch.as_tensor(np.asarray(idx, dtype=np.int64), device=self.device)
        return self.X[index].to(self._tdtype).cpu().numpy()

    def weights_of(self, idx):
        return self.sample_weight[np.asarray(idx)]

    def weighted_sample(self, size, random_state):
        """As the in-memory backend draws (the same random stream)."""
        sw = np.asarray(self.sample_weight, dtype=np.float64)
        return random_state.choice(self.n_samples, size=size, replace=False,
                                   p=sw / sw.sum())

    def draw_by_potential(self, closest_sq_dist, targets):
        """Search the float64 running potential on the device."""
        closest = torch.as_tensor(closest_sq_dist, device=self.device)
        cumulative = torch.cumsum(self._weights * closest.to(torch.float64), dim=0)
        ids = torch.searchsorted(cumulative, torch.as_tensor(
            np.asarray(targets, dtype=np.float64), device=self.device))
        return ids.clamp_(max=self.n_samples - 1).cpu().numpy().astype(np.int64)

    def candidate_sq_dists(self, candidates, closest_sq_dist, store=True):
        """min(closest, squared distance to each candidate), measured in
        float64 as ``||x||^2 - 2 x.c + ||c||^2`` (the in-memory backend's
        rule for float32 data in many dimensions), and its weighted sums."""
        cands = torch.as_tensor(np.asarray(candidates, dtype=np.float64),
                                device=self.device)
        closest = torch.as_tensor(closest_sq_dist, device=self.device).to(self._tdtype)
        c_sq = (cands * cands).sum(dim=1)
        x_sq, _ = self._norms
        t = cands.shape[0]
        out = torch.empty((t, self.n_samples), dtype=self._tdtype, device=self.device)
        for s, rows in self._blocks():
            e = s + rows.shape[0]
            sq = torch.addmm(c_sq[:, None] + x_sq[None, s:e], cands, rows.T,
                             alpha=-2.0).clamp_(min=0.0)
            out[:, s:e] = torch.minimum(closest[None, s:e], sq.to(self._tdtype))
        pots = fixed_order_sum(out.to(torch.float64) * self._weights).cpu().numpy()
        return (out if store else None), pots

    def kmeans_parallel_candidates(self, n_clusters, random_state, *,
                                   oversampling, n_rounds):
        """The k-means|| rounds with every sample's distance on the device;
        the random stream is the in-memory backend's (one uniform per
        sample per round, drawn on the host)."""
        sw = np.asarray(self.sample_weight, dtype=np.float64)
        n = self.n_samples
        first = random_state.choice(n, p=sw / sw.sum())
        candidates = [self.take_rows([first])]
        _, closest = self.assign(candidates[0])
        closest = closest.to(torch.float64)
        weights = self._weights
        l = oversampling * n_clusters
        for _ in range(n_rounds):
            phi = float(fixed_order_sum(weights * closest))
            if phi <= 0:
                break
            u = torch.from_numpy(random_state.uniform(size=n)).to(self.device)
            chosen = torch.nonzero(u < l * weights * closest / phi)[:, 0]
            if chosen.numel() == 0:
                continue
            new = self.take_rows(chosen.cpu().numpy())
            candidates.append(new)
            _, d_new = self.assign(new)
            torch.minimum(closest, d_new.to(torch.float64), out=closest)
        candidates = np.concatenate(candidates)
        labels, _ = self.assign(candidates)
        weights_near = np.bincount(np.asarray(labels), weights=sw,
                                   minlength=len(candidates))
        return (candidates, weights_near,
                lambda size: self.weighted_sample(size, random_state))

    # --- Distances ------------------------------------------------------------------

    def _nearest(self, centers, want_second=False):
        x_sq, x_norm = self._norms
        return nearest(self.X, x_sq, x_norm, self._centers(centers),
                       precision=self.precision, want_second=want_second,
                       X_screen=self._screen_rows)

    def assign(self, centers):
        """DeviceLabels and float64 squared distances (a tensor)."""
        labels, sq_dist, _ = self._nearest(centers)
        return DeviceLabels(labels), sq_dist

    def assign_two(self, centers):
        labels, sq_dist, second, _ = self._nearest(centers, want_second=True)
        return (labels.cpu().numpy(), sq_dist.cpu().numpy().astype(self.dtype),
                second.cpu().numpy().astype(self.dtype))

    def _sq_dist_to_assigned(self, centers, labels):
        """float64 tensor: direct squared distance of every sample to its
        centre in ``labels``."""
        c = torch.as_tensor(np.asarray(centers, dtype=np.float64), device=self.device)
        index = _as_tensor(labels, self.device)
        out = torch.empty(self.n_samples, dtype=torch.float64, device=self.device)
        for s, rows in self._blocks():
            diff = rows - c[index[s:s + rows.shape[0]]]
            out[s:s + rows.shape[0]] = (diff * diff).sum(dim=1)
        return out

    def sq_dist_to_assigned(self, centers, labels):
        return self._sq_dist_to_assigned(centers, labels).cpu().numpy().astype(self.dtype)

    def cluster_errors(self, centers, labels):
        """Per-cluster weighted errors and weights, summed on the host in
        row order (``np.bincount``), so they are the same on every run."""
        sq = self._sq_dist_to_assigned(centers, labels).cpu().numpy()
        host_labels = np.asarray(labels)
        sw = np.asarray(self.sample_weight, dtype=np.float64)
        k = centers.shape[0]
        return (np.bincount(host_labels, weights=sw * sq, minlength=k),
                np.bincount(host_labels, weights=sw, minlength=k))

    def removal_utilities(self, centers, hint=None):
        """Per centre: the error its removal would add (``hint`` is not
        used)."""
        labels, sq_dist, second = self.assign_two(centers)
        sw = np.asarray(self.sample_weight, dtype=np.float64)
        return np.bincount(labels, weights=sw * (second.astype(np.float64) - sq_dist),
                           minlength=centers.shape[0])

    def sq_dists_to_centers(self, centers):
        """Squared distances of shape (n_samples, n_clusters) on the device,
        in ``dtype``, from direct differences (``torch.cdist`` without its
        matrix-product shortcut), as the NumPy backend measures them:
        ``||x||^2 - 2 x.c + ||c||^2`` cancels for data far from the origin
        or clusters far smaller than their distance to it."""
        c = self._centers(centers)
        out = torch.empty((self.n_samples, c.shape[0]), dtype=self._tdtype,
                          device=self.device)
        for s, rows in self._blocks(self._tdtype):
            e = s + rows.shape[0]
            out[s:e] = torch.cdist(rows, c, compute_mode="donot_use_mm_for_euclid_dist"
                                   ).square_()
        return out

    def inertia(self, centers, labels):
        """Weighted float64 sum of direct squared distances."""
        sq = self._sq_dist_to_assigned(centers, labels)
        return float(fixed_order_sum(self._weights * sq))

    # --- Runs and their labels --------------------------------------------------------

    def start_run(self, algorithm, n_clusters, hint=None):
        """A Lloyd run state (``hint`` is not used)."""
        if algorithm != "lloyd":
            raise unsupported(self.name, f"algorithm={algorithm!r}", "use 'lloyd'")
        return _LloydRun(self, n_clusters)

    def label_counts(self, labels, n_clusters):
        index = _as_tensor(labels, self.device)
        return torch.bincount(index, minlength=n_clusters).cpu().numpy().astype(np.int64)

    def count_distinct(self, labels1, labels2, n_clusters):
        a = _as_tensor(labels1, self.device)
        b = _as_tensor(labels2, self.device)
        pairs = torch.unique(a * n_clusters + b)
        return (int(pairs.numel()), int(torch.unique(a).numel()),
                int(torch.unique(b).numel()))

    def user_labels(self, labels):
        """Host int32 labels (scikit-learn's contract)."""
        return np.asarray(labels).astype(np.int32, copy=False)


@contextmanager
def _torch_threads(n_threads):
    n_threads = v.check_n_threads(n_threads)
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


class _LloydRun:
    """Lloyd's steps on the device: exact labels, deterministic sums."""

    def __init__(self, backend, n_clusters):
        self.backend = backend
        self.n_clusters = n_clusters
        self._labels = torch.full((backend.n_samples,), -1, dtype=torch.int32,
                                  device=backend.device)
        #: Rows screened again in fp32 and rows measured in float64 at the
        #: last step (see _distances).
        self.checks = (0, 0)

    @property
    def labels(self):
        return DeviceLabels(self._labels)

    def step(self, centers, center_shift=None):
        b = self.backend
        labels, sq_dist, self.checks = b._nearest(centers)
        n_changed = int((labels != self._labels).sum())
        self._labels = labels
        sums, weights, counts = per_cluster_sums(b.X, b._weights, labels,
                                                 self.n_clusters)
        inertia = float(fixed_order_sum(b._weights * sq_dist))
        return StepStats(sums.cpu().numpy(), weights.cpu().numpy(),
                         counts.cpu().numpy(), n_changed, inertia)

    def farthest(self, centers, n):
        """Indices of at most n samples of positive weight farthest from
        their centres and off them (the in-memory backend's rule), farthest
        first, ties to the lower index."""
        b = self.backend
        sq = b._sq_dist_to_assigned(centers, self._labels)
        eps = float(np.finfo(b.dtype).eps)
        c = torch.as_tensor(np.asarray(centers, dtype=np.float64), device=b.device)
        c_sq = (c * c).sum(dim=1)
        x_sq, _ = b._norms
        noise = (16 * eps) ** 2 * (x_sq + c_sq[self._labels.to(torch.int64)])
        keep = sq > noise
        if b._positive is not None:
            keep &= b._positive
        n = min(n, int(keep.sum()))
        if n == 0:
            return np.empty(0, dtype=np.int64)
        sq = torch.where(keep, sq, torch.full_like(sq, -np.inf))
        threshold = torch.topk(sq, n).values[-1]
        top = torch.nonzero(sq >= threshold)[:, 0].cpu().numpy()
        values = sq[torch.as_tensor(top, device=b.device)].cpu().numpy()
        order = np.lexsort((top, -values))[:n]
        return top[order].astype(np.int64)
