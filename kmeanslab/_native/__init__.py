"""The compiled core (``_core``, built from ``src/`` by ``pip install``) and
the thin wrappers that allocate its outputs.

The wrappers take arrays the backends have already validated and only
convert what the kernels need (C order, the centres as float64); the
binding checks dtypes, shapes and contiguity once per call.

Instruction sets
----------------
The core has a variant per level, chosen per call: ``"avx512"``,
``"avx2"`` or ``"scalar"`` (the portable reference), the highest this CPU
runs unless the environment variable ``KMEANSLAB_ISA`` (or the ``isa``
argument) names a lower one. Every level gives the same labels,
statistics and inertia to the bit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from . import _core

__all__ = ["ISAS", "LOWD_MAX", "ScreenRows", "available_isas", "lloyd_step",
           "screen_rows", "selected_isa"]

ISAS = ("scalar", "avx2", "avx512")
LOWD_MAX = int(_core.LOWD_MAX)
_BEST = int(_core.best_isa())


def available_isas():
    """The levels this CPU runs, lowest first."""
    return ISAS[:_BEST + 1]


def selected_isa(isa=None):
    """The level a call runs: ``isa`` (or ``KMEANSLAB_ISA``), capped at the
    highest this CPU runs; the highest when neither is given.

    Raises
    ------
    ValueError
        When the name is not one of :data:`ISAS`.
    """
    name = isa if isa is not None else os.environ.get("KMEANSLAB_ISA") or None
    if name is None:
        return ISAS[_BEST]
    if name not in ISAS:
        where = "isa" if isa is not None else "the environment variable KMEANSLAB_ISA"
        raise ValueError(f"{where} must be one of {', '.join(ISAS)}, got {name!r}")
    return ISAS[min(ISAS.index(name), _BEST)]


@dataclass(frozen=True)
class ScreenRows:
    """The rows as the float32 screen reads them, made once per fit.

    Attributes
    ----------
    x32 : ndarray of shape (n_samples, n_features), float32
        X rounded to float32 (X itself when it is float32).
    norm, error : ndarray of shape (n_samples,), float64
        Upper bounds of ``||x32||`` and ``||x - x32||``.
    """

    x32: np.ndarray
    norm: np.ndarray
    error: np.ndarray


def screen_rows(X, n_threads=1):
    """:class:`ScreenRows` of C-contiguous float32/float64 ``X``."""
    n, d = X.shape
    x32 = X if X.dtype == np.float32 else np.empty((n, d), dtype=np.float32)
    norm = np.empty(n, dtype=np.float64)
    error = np.empty(n, dtype=np.float64)
    _core.screen_rows(X, x32 if X.dtype != np.float32 else np.empty((0, 0), np.float32),
                      norm, error, int(n_threads))
    return ScreenRows(x32, norm, error)


_NO_ROWS = ScreenRows(np.empty((0, 0), dtype=np.float32), np.empty(0), np.empty(0))


@dataclass(frozen=True)
class StepResult:
    """Per-block outputs of :func:`lloyd_step` (reduce them in block order)."""

    sums: np.ndarray          # (n_blocks, n_clusters, n_features) float64
    weights: np.ndarray       # (n_blocks, n_clusters) float64
    counts: np.ndarray        # (n_blocks, n_clusters) int64
    n_changed: np.ndarray     # (n_blocks,) int64
    inertia: np.ndarray       # (n_blocks,) float64
    n_rechecked: np.ndarray   # (n_blocks,) int64: rows the screen left undecided
    n_candidates: np.ndarray  # (n_blocks,) int64: centres measured for them


def new_step_result(n_blocks, n_clusters, n_features):
    """Output buffers for :func:`lloyd_step`, to reuse across steps."""
    return StepResult(
        np.empty((n_blocks, n_clusters, n_features), dtype=np.float64),
        np.empty((n_blocks, n_clusters), dtype=np.float64),
        np.empty((n_blocks, n_clusters), dtype=np.int64),
        np.empty(n_blocks, dtype=np.int64), np.empty(n_blocks, dtype=np.float64),
        np.empty(n_blocks, dtype=np.int64), np.empty(n_blocks, dtype=np.int64))


def lloyd_step(X, sample_weight, centers, starts, labels, out, *, screen=None,
               n_threads=1, isa=None):
    """One fused Lloyd step: every row's label by the exact rule (its
    float64-nearest centre, lowest index on ties), and per block the
    weighted sums, weights, counts and inertia of the new labels.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64, C order
    sample_weight : ndarray of shape (n_samples,), X's dtype
    centers : array of shape (n_clusters, n_features)
        Compared as float64 (float32 centres are widened exactly).
    starts : ndarray of shape (n_blocks + 1,), int64
        The fixed partition of the rows into blocks.
    labels : ndarray of shape (n_samples,), int32
        INOUT: the previous labels in (changes are counted), the new out.
    out : StepResult
        OUT, from :func:`new_step_result`.
    screen : ScreenRows, optional
        Needed from :data:`LOWD_MAX` features on (see :func:`screen_rows`).
    n_threads : int, default=1
    isa : str, optional
        See :func:`selected_isa`.
    """
    centers = np.ascontiguousarray(centers, dtype=np.float64)
    if X.shape[1] >= LOWD_MAX and screen is None:
        raise ValueError(f"lloyd_step needs screen rows from {LOWD_MAX} features on")
    screen = screen or _NO_ROWS
    _core.lloyd_step(X, sample_weight, centers, starts, screen.x32, screen.norm,
                     screen.error, labels, out.sums, out.weights, out.counts,
                     out.n_changed, out.inertia, out.n_rechecked, out.n_candidates,
                     ISAS.index(selected_isa(isa)), int(n_threads))
    return out
