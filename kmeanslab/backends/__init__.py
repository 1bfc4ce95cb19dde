"""Data backends behind the one fit driver and engine loop.

``_protocol``
    The protocol every backend implements (:class:`Backend`,
    :class:`RunState`) and the values they return (:class:`StepStats`,
    :class:`DataSummary`); its docstring gives the conventions.
``_cpu``
    Data in memory as a NumPy array, run by the numba kernels.
``_sparse``
    A SciPy CSR matrix or array in memory, run by the sparse numba kernels
    (never centred).
``dask``
    A row-chunked Dask array or DataFrame (the ``dask`` extra).
``torch``
    A PyTorch tensor on CPU or CUDA (the ``torch`` extra).

:func:`get_backend` picks the backend that owns an X.
"""

from __future__ import annotations

import sys

from ._protocol import (Backend, DataSummary, Hint, RunState, StepStats,
                        unsupported)

__all__ = ["Backend", "DataSummary", "Hint", "RunState", "StepStats",
           "get_backend", "is_dask_collection", "is_sparse", "is_torch_tensor",
           "unsupported"]


def is_dask_collection(X):
    """True when X is a Dask collection (array, DataFrame); never imports
    dask itself."""
    return type(X).__module__.startswith("dask")


def is_sparse(X):
    """True when X is a SciPy sparse matrix or array; never imports scipy
    itself."""
    return type(X).__module__.startswith("scipy.sparse")


def is_torch_tensor(X):
    """True when X is a PyTorch tensor; never imports torch itself (a
    tensor exists only once torch is imported)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(X, torch.Tensor)


def get_backend(X, sample_weight):
    """The backend that owns X: Dask for a Dask collection (the ``dask``
    extra; ``sample_weight`` may then be None, a number or an array), the
    sparse backend for a SciPy sparse X (validated by
    :func:`kmeanslab._validation.check_sparse_X`), else the in-memory NumPy
    backend (X a validated float ndarray); sample_weight is then a validated
    ndarray of X's dtype. A PyTorch tensor gets the torch backend (the
    ``torch`` extra; exact precision)."""
    if is_torch_tensor(X):
        from .torch import make_backend

        return make_backend(X, sample_weight)
    if is_dask_collection(X):
        from .dask import DaskBackend

        return DaskBackend(X, sample_weight)
    if is_sparse(X):
        from ._sparse import SparseBackend

        return SparseBackend(X, sample_weight)
    from ._cpu import CPUBackend

    return CPUBackend(X, sample_weight)
