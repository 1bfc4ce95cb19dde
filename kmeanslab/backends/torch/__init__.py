"""The PyTorch backend (the ``torch`` extra): k-means on a ``torch.Tensor``
where it lives, on CPU or CUDA.

``kmeanslab.kmeans(X)`` and ``KMeans().fit(X)`` route a tensor here
(:func:`kmeanslab.backends.get_backend`); the fit driver, seeding, engine
loop and breathing are the same as for NumPy data. Fitted centres and
labels come back as NumPy arrays (scikit-learn's contract); the estimator
also keeps them as tensors on X's device (``cluster_centers_tensor_``,
``labels_tensor_``), and :func:`predict_torch` / :func:`transform_torch`
answer on the device.

Modules: ``_backend`` (:class:`TorchBackend`, input checks, deterministic
per-cluster sums), ``_distances`` (nearest centres with exact labels at any
product precision). The Triton kernels behind them on CUDA are in
:mod:`kmeanslab._kernels.triton`.
"""

from __future__ import annotations

import numpy as np
import torch

from ..._validation import record_features
from ._backend import DeviceLabels, TorchBackend, check_torch_X, check_torch_weight
from ._silhouette import silhouette_samples_torch

__all__ = ["DeviceLabels", "TorchBackend", "make_backend", "predict_torch",
           "silhouette_samples_torch", "transform_torch", "validate_torch_X"]


def validate_torch_X(estimator, X, reset):
    """``KMeans._validate_X`` for a tensor: X checked
    (:func:`check_torch_X`, on its device); sets ``n_features_in_`` when
    ``reset`` (a tensor has no column names), else checks the feature
    count."""
    X = check_torch_X(X)
    record_features(estimator, X.shape[1], reset)
    return X


def make_backend(X, sample_weight=None, *, precision="exact"):
    """A :class:`TorchBackend` over a validated copy of the tensor X."""
    X = check_torch_X(X)
    return TorchBackend(X, check_torch_weight(sample_weight, X.shape[0], X.device),
                        precision=precision)


def _fitted_backend(centers, X, precision):
    backend = make_backend(X, precision=precision)
    centers = np.asarray(centers)
    if centers.shape[1] != backend.n_features:
        raise ValueError(f"X has {backend.n_features} features, but the centres "
                         f"have {centers.shape[1]}")
    return backend, centers.astype(backend.dtype)


def predict_torch(centers, X, *, precision="exact"):
    """Nearest-centre labels of the rows of the tensor X, as an int64
    tensor on X's device (exact up to float64 ties, see
    :mod:`kmeanslab.backends.torch._distances`).

    Examples
    --------
    >>> import numpy as np, torch
    >>> from kmeanslab.backends.torch import predict_torch
    >>> predict_torch(np.array([[0.0, 0.0], [10.0, 10.0]]),
    ...               torch.tensor([[1.0, 1.0], [9.0, 8.0]])).tolist()
    [0, 1]
    """
    backend, centers = _fitted_backend(centers, X, precision)
    labels, _ = backend.assign(centers)
    return labels.tensor.to(torch.int64)


def transform_torch(centers, X):
    """Distances of shape (n_samples, n_clusters) from the rows of the
    tensor X to the centres, a tensor on X's device (float64 for float64
    X, float32 otherwise)."""
    backend, centers = _fitted_backend(centers, X, "exact")
    return backend.sq_dists_to_centers(centers).sqrt_()
