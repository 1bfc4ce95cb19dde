"""ONNX export of fitted :class:`~kmeanslab.KMeans` and
:class:`~kmeanslab.SphericalKMeans` (the ``onnx`` extra: skl2onnx and
onnxruntime).

:func:`register_converters` registers both estimators with skl2onnx, after
which ``skl2onnx.to_onnx(model, X_sample)`` converts them like any
scikit-learn model; :func:`to_onnx` does both. The graph has scikit-learn's
two clustering outputs:

``label`` (int64, shape (n,))
    The nearest centre (KMeans) or the most similar one
    (SphericalKMeans), the first on ties, as ``predict`` gives it.
``scores`` (float, shape (n, n_clusters))
    ``transform``: Euclidean distances, ``sqrt(max(||x||^2 - 2 x.c +
    ||c||^2, 0))`` (clamped at 0 before the square root, where
    skl2onnx's own KMeans converter can take the root of a tiny negative
    number and give NaN); cosine distances ``1 - cos(x, c)`` for
    SphericalKMeans (rows of zeros at distance 1).
"""

from __future__ import annotations

import numpy as np

__all__ = ["register_converters", "to_onnx"]


def _require():
    try:
        import onnxruntime  # noqa: F401 - checked here, used by the caller
        import skl2onnx
    except ImportError:
        raise ImportError("ONNX export needs skl2onnx and onnxruntime: "
                          "pip install kmeanslab[onnx]") from None
    return skl2onnx


def _float_type(X_type):
    from skl2onnx.common.data_types import DoubleTensorType

    return np.float64 if isinstance(X_type, DoubleTensorType) else np.float32


def _shapes(operator):
    """Output shapes: labels (N,), scores (N, n_clusters)."""
    from skl2onnx.common.data_types import Int64TensorType

    n = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = Int64TensorType([n])
    operator.outputs[1].type = operator.inputs[0].type.__class__(
        [n, operator.raw_operator.cluster_centers_.shape[0]])


def _sq_norms(X, dtype, n_features, opv):
    """Squared norm of every row, shape (N, 1): (X * X) @ ones."""
    from skl2onnx.algebra.onnx_ops import OnnxMatMul, OnnxMul

    return OnnxMatMul(OnnxMul(X, X, op_version=opv),
                      np.ones((n_features, 1), dtype=dtype), op_version=opv)


def _convert_kmeans(scope, operator, container):
    """Euclidean: labels = argmin of the clamped squared distances."""
    from skl2onnx.algebra.onnx_ops import (OnnxAdd, OnnxArgMin, OnnxMatMul,
                                           OnnxMax, OnnxSqrt)

    X = operator.inputs[0]
    out = operator.outputs
    opv = container.target_opset
    dtype = _float_type(X.type)
    centers = operator.raw_operator.cluster_centers_.astype(np.float64)
    c_sq = np.einsum("ij,ij->i", centers, centers).astype(dtype)[None, :]
    products = OnnxMatMul(X, (-2.0 * centers.T).astype(dtype), op_version=opv)
    sq = OnnxAdd(OnnxAdd(products, _sq_norms(X, dtype, centers.shape[1], opv),
                         op_version=opv), c_sq, op_version=opv)
    sq = OnnxMax(sq, np.array([0], dtype=dtype), op_version=opv)
    labels = OnnxArgMin(sq, axis=1, keepdims=0, output_names=out[:1],
                        op_version=opv)
    scores = OnnxSqrt(sq, output_names=out[1:], op_version=opv)
    labels.add_to(scope, container)
    scores.add_to(scope, container)


def _convert_spherical(scope, operator, container):
    """Cosine: rows scaled to unit norm, labels = argmax of the cosines."""
    from skl2onnx.algebra.onnx_ops import (OnnxArgMax, OnnxDiv, OnnxMatMul,
                                           OnnxMax, OnnxSqrt, OnnxSub)

    X = operator.inputs[0]
    out = operator.outputs
    opv = container.target_opset
    dtype = _float_type(X.type)
    centers = operator.raw_operator.cluster_centers_.astype(dtype)
    # A row of zeros divided by the smallest normal number stays zero:
    # every cosine 0, label 0, distance 1, as predict and transform give.
    norms = OnnxMax(OnnxSqrt(_sq_norms(X, dtype, centers.shape[1], opv),
                             op_version=opv),
                    np.array([np.finfo(dtype).tiny], dtype=dtype), op_version=opv)
    cosines = OnnxMatMul(OnnxDiv(X, norms, op_version=opv),
                         np.ascontiguousarray(centers.T), op_version=opv)
    labels = OnnxArgMax(cosines, axis=1, keepdims=0, output_names=out[:1],
                        op_version=opv)
    scores = OnnxSub(np.array([1], dtype=dtype), cosines, output_names=out[1:],
                     op_version=opv)
    labels.add_to(scope, container)
    scores.add_to(scope, container)


def register_converters():
    """Register KMeans and SphericalKMeans with skl2onnx (idempotent).

    Raises
    ------
    ImportError
        Naming the ``onnx`` extra when skl2onnx or onnxruntime is missing.
    """
    skl2onnx = _require()
    from .estimator import KMeans
    from .spherical import SphericalKMeans

    skl2onnx.update_registered_converter(KMeans, "KmeanslabKMeans", _shapes,
                                         _convert_kmeans)
    skl2onnx.update_registered_converter(SphericalKMeans,
                                         "KmeanslabSphericalKMeans", _shapes,
                                         _convert_spherical)


def to_onnx(model, n_features=None, *, dtype=np.float32, target_opset=None):
    """Convert a fitted KMeans or SphericalKMeans to an ONNX model.

    Parameters
    ----------
    model : KMeans or SphericalKMeans
        Fitted.
    n_features : int, default=None
        Columns of the input; ``model.n_features_in_`` when None.
    dtype : {np.float32, np.float64}, default=np.float32
        The input's (and the scores') type.
    target_opset : int, default=None
        skl2onnx's default when None.

    Returns
    -------
    onnx.ModelProto
        Input ``X`` (dtype, shape (None, n_features)); outputs ``label``
        and ``scores`` (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> from kmeanslab import KMeans
    >>> from kmeanslab.onnx_export import to_onnx
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
    >>> km = KMeans(2, random_state=0).fit(X)
    >>> onx = to_onnx(km)  # doctest: +SKIP
    >>> import onnxruntime  # doctest: +SKIP
    >>> session = onnxruntime.InferenceSession(onx.SerializeToString())  # doctest: +SKIP
    >>> labels, distances = session.run(None, {"X": X.astype(np.float32)})  # doctest: +SKIP
    """
    skl2onnx = _require()
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    register_converters()
    n_features = model.n_features_in_ if n_features is None else n_features
    tensor = DoubleTensorType if np.dtype(dtype) == np.float64 else FloatTensorType
    return skl2onnx.to_onnx(model, initial_types=[("X", tensor([None, n_features]))],
                            target_opset=target_opset)
