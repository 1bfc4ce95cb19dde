"""Nearest centres of tensor rows with exact labels at any product precision.

The assignment is made in two passes:

1. **Screen**: for every row, the two smallest values of
   ``||c||^2 - 2 x.c`` over the centres (``||x||^2`` is the same for every
   centre, so it is left out), with the products in the precision asked
   for: fp32 ("exact"), TF32 ("fast", tensor cores) or bf16 ("bf16"). On
   CUDA this is the fused Triton kernel
   (:func:`kmeanslab._kernels.triton.assign_top2`), which never writes the
   n x k matrix; elsewhere (CPU tensors, or no Triton) a chunked
   ``torch.matmul`` in fp32 or fp64.
2. **Recheck**: a row whose two smallest screened values are closer than
   twice the screen's error bound (:func:`screen_error`) could have its
   label changed by rounding. With TF32 or 16-bit products ("fast"), those
   rows are first screened again with fp32 products; the rows still near a
   tie in fp32 are measured in float64 with direct differences,
   ``sum((x - c)^2)``, and take the nearest centre of that measure (ties to
   the lowest index). Every other row's label is provably the exact
   nearest centre too, so "exact" and "fast" give the same labels, and both
   equal the float64 nearest centre up to exact ties in float64. "bf16"
   skips the recheck (its labels may differ on rows within the bound).

The error bound: a value ``||c||^2 - 2 x.c`` whose products' inputs are
rounded to a unit roundoff ``u_in`` and whose ``n_features`` terms are
accumulated in a type of unit roundoff ``u`` is off by at most
``2 (2 u_in + u_in^2) ||x|| max||c|| + (n_features + 4) u (||x|| + max||c||)^2``:
rounding (or, as tensor cores on sm_90 do with TF32, truncating) both
inputs of every product costs ``(2 u_in + u_in^2) |x_i c_i|``, summing to
that times ``||x|| ||c||`` (Cauchy-Schwarz), doubled by the factor 2; the
classical ``gamma_n`` bound of the dot product, the squared centre norm and
the final subtraction are each within ``u (||x|| + ||c||)^2`` per term, with
``u`` a whole float32 epsilon for tensor-core products (whose accumulation
may truncate) and half of one for fp32 FMA products. Two such values can
swap order only when they are within twice that.
"""

from __future__ import annotations

import os

import torch

__all__ = ["nearest", "screen_error", "screen_mode", "sq_dists_direct", "use_triton"]

#: Elements of a (rows x centres) block computed at once on the torch path
#: and in the recheck (64 MB of float32): large enough for matmul to run at
#: speed, small next to any GPU's memory.
BLOCK_ELEMENTS = 1 << 24

def screen_mode(precision, x_dtype):
    """How the screen forms its products, for a ``precision`` option and
    the dtype of the rows it reads: ``(products, input_roundoff)``, where
    ``products`` is what :func:`kmeanslab._kernels.triton.assign_top2`
    takes ("ieee": fp32 products, exact for 16-bit rows; "tf32"; "native":
    bf16/fp16 products) and ``input_roundoff`` the unit roundoff of the
    products' inputs (0 when they are exact). TF32 keeps 10 mantissa bits;
    some hardware truncates instead of rounding, so the bound takes 2**-10
    rather than 2**-11."""
    if x_dtype == torch.float64 or precision == "exact":
        return "ieee", 0.0
    if x_dtype == torch.bfloat16:
        return "native", 2.0 ** -8
    if x_dtype == torch.float16:
        return "native", 2.0 ** -11
    # float32 rows: "fast" uses TF32; "bf16" (rows not copied to bfloat16,
    # as on CPU) is bounded as bfloat16 products.
    return ("tf32", 2.0 ** -10) if precision == "fast" else ("ieee", 2.0 ** -8)


def use_triton(X):
    """Whether the screen and the sums run as Triton kernels: on CUDA, and
    on CPU tensors under Triton's interpreter (``TRITON_INTERPRET=1``,
    which tests use to run the whole backend through the kernels)."""
    return X.is_cuda or os.environ.get("TRITON_INTERPRET") == "1"


def screen_error(x_norms, c_max_norm, n_features, input_roundoff, accumulate_dtype):
    """Bound on the error of every screened value of each row.

    Parameters
    ----------
    x_norms : Tensor of shape (n_rows,)
        Row norms ``||x||`` (float32 or float64).
    c_max_norm : float
        Largest centre norm.
    n_features : int
    input_roundoff : float
        Unit roundoff of the products' inputs (see :func:`screen_mode`).
    accumulate_dtype : torch.dtype
        float32 or float64, the type the products are summed in.

    Returns
    -------
    Tensor of shape (n_rows,)
    """
    # Tensor-core products (input_roundoff > 0) may truncate their float32
    # accumulation rather than round it: a whole epsilon per addition.
    u = torch.finfo(accumulate_dtype).eps / (1 if input_roundoff else 2)
    error = (n_features + 4) * u * (x_norms + c_max_norm) ** 2
    if input_roundoff:
        per_product = 2 * input_roundoff + input_roundoff ** 2
        error += 2 * per_product * c_max_norm * x_norms
    return error


def _screen_torch(X, centers, c_sq_norms, start, stop):
    """(labels, best, second) of rows ``start:stop`` by chunked matmul in
    the centres' dtype (bf16/fp16 rows are upcast: their products are then
    exact in fp32)."""
    rows = X[start:stop].to(centers.dtype)
    values = torch.addmm(c_sq_norms[None, :], rows, centers.T, alpha=-2.0)
    labels = torch.argmin(values, dim=1)  # first index of the minimum
    best = values.gather(1, labels[:, None])[:, 0]
    if centers.shape[0] == 1:
        second = torch.full_like(best, float("inf"))
    else:
        values.scatter_(1, labels[:, None], float("inf"))
        second = values.min(dim=1).values
    return labels.to(torch.int32), best, second


def _screen(X, centers, c_sq_norms, products):
    """Screen every row: (labels int32, best, second) on X's device."""
    if use_triton(X) and centers.dtype == torch.float32:
        from ..._kernels.triton import assign_top2

        return assign_top2(X, centers, c_sq_norms, precision=products)
    n, k = X.shape[0], centers.shape[0]
    step = max(1, BLOCK_ELEMENTS // max(k, X.shape[1]))
    parts = [_screen_torch(X, centers, c_sq_norms, s, min(s + step, n))
             for s in range(0, n, step)]
    return tuple(torch.cat(p) for p in zip(*parts))


def sq_dists_direct(rows, centers):
    """Squared distances ``sum((x - c)^2)`` of shape (m, k), in float64,
    from differences (no cancellation), in blocks of BLOCK_ELEMENTS."""
    rows = rows.to(torch.float64)
    centers = centers.to(torch.float64)
    m, d = rows.shape
    k = centers.shape[0]
    out = torch.empty((m, k), dtype=torch.float64, device=rows.device)
    step = max(1, BLOCK_ELEMENTS // max(1, k * d))
    for s in range(0, m, step):
        diff = rows[s:s + step, None, :] - centers[None, :, :]
        out[s:s + step] = (diff * diff).sum(dim=2)
    return out


def nearest(X, x_sq_norms, x_norms, centers, *, precision="exact",
            want_second=False, X_screen=None):
    """Nearest centre of every row, exact up to float64 ties.

    Parameters
    ----------
    X : Tensor of shape (n_samples, n_features)
        float64, float32, bfloat16 or float16, on any device.
    x_sq_norms, x_norms : Tensor of shape (n_samples,)
        ``||x||^2`` and ``||x||`` in float64 (the squared distances are
        ``x_sq_norms + value``).
    centers : Tensor of shape (n_clusters, n_features)
        float64 for float64 X, float32 otherwise, on X's device.
    precision : {"exact", "fast", "bf16"}
        See the module docstring; float64 X always screens in float64.
    want_second : bool
        Also return the squared distance to the second-nearest centre.
    X_screen : Tensor or None
        The rows to screen with when they differ from X (a bfloat16 copy
        of float32 X for ``precision="bf16"``).

    Returns
    -------
    labels : Tensor of shape (n_samples,), int32
    sq_dist : Tensor of shape (n_samples,), float64
        Squared distance to the nearest centre (float64 for the rechecked
        rows, the screen's value, clamped at 0, for the others).
    second : Tensor of shape (n_samples,), float64, only with ``want_second``
    checks : tuple of int
        Rows screened again with fp32 products (after TF32 or 16-bit ones)
        and rows measured in float64.
    """
    X_screen = X if X_screen is None else X_screen
    products, input_roundoff = screen_mode(precision, X_screen.dtype)
    c_sq_norms = (centers.to(torch.float64) ** 2).sum(dim=1).to(centers.dtype)
    labels, best, second = _screen(X_screen, centers, c_sq_norms, products)
    n_rescreened = n_rechecked = 0
    if precision != "bf16" and centers.shape[0] > 1:
        c_max = float(c_sq_norms.max().to(torch.float64).sqrt())
        if input_roundoff:
            # Stage 2: rows near a tie in the low-precision products are
            # screened again with fp32 products (the same kernel and tiles
            # as "exact", so the same values as there).
            rows = _near_ties(best, second, x_norms, c_max, X.shape[1],
                              input_roundoff, centers.dtype)
            n_rescreened = int(rows.numel())
            if n_rescreened:
                again = _screen(X[rows], centers, c_sq_norms, "ieee")
                for out, new in zip((labels, best, second), again):
                    out[rows] = new
        # Stage 3: rows near a tie in fp32 (or float64) products.
        rows = _near_ties(best, second, x_norms, c_max, X.shape[1], 0.0,
                          centers.dtype)
        n_rechecked = int(rows.numel())
    sq_dist = (x_sq_norms + best.to(torch.float64)).clamp_(min=0.0)
    second_sq = (x_sq_norms + second.to(torch.float64)).clamp_(min=0.0)
    if n_rechecked:
        exact = sq_dists_direct(X[rows], centers)
        new_labels = torch.argmin(exact, dim=1)
        labels[rows] = new_labels.to(torch.int32)
        sq_dist[rows] = exact.gather(1, new_labels[:, None])[:, 0]
        if want_second:
            exact.scatter_(1, new_labels[:, None], float("inf"))
            second_sq[rows] = exact.min(dim=1).values
    checks = (n_rescreened, n_rechecked)
    if want_second:
        return labels, sq_dist, second_sq, checks
    return labels, sq_dist, checks


def _near_ties(best, second, x_norms, c_max, n_features, input_roundoff,
               accumulate_dtype):
    """Indices of the rows whose two smallest screened values are within
    twice the screen's error bound."""
    bound = 2 * screen_error(x_norms, c_max, n_features, input_roundoff,
                             accumulate_dtype)
    return torch.nonzero((second - best).to(torch.float64) <= bound)[:, 0]
