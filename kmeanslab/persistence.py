"""Saving and loading fitted models without pickle: :func:`save`,
:func:`load` and the ``skops`` trust list (:func:`skops_trusted_types`).

The file format
---------------
A ``.npz`` archive (a zip of ``.npy`` arrays, read with
``np.load(..., allow_pickle=False)``, so loading a file can never run code
from it) holding:

``header``
    A JSON document (UTF-8 bytes as a uint8 array) with ``format``
    (``"kmeanslab-model"``), ``format_version`` (:data:`FORMAT_VERSION`),
    ``kmeanslab_version``, ``class`` (``"KMeans"`` or ``"SphericalKMeans"``),
    ``params`` (``get_params()``; an array ``init`` is stored as the array
    ``param_init``; a ``random_state`` that is not an int or None is stored
    as None), ``dtype``, the fitted scalars (``inertia_``, ``n_iter_``,
    ``algorithm_``, ``n_features_in_``, ``_n_init``), ``trace`` (the
    convergence trace as JSON whose arrays are ``trace_0``, ``trace_1``, ...,
    or null) and ``arrays``: the dtype, shape and SHA-256 digest of every
    other member.
``cluster_centers_``, ``labels_``, ``feature_names_in_`` (when fitted on
named columns), ``param_init``, ``trace_<i>``
    Plain numeric (or unicode) arrays.

:func:`load` checks all of it before building the estimator: a truncated
or tampered file, a newer format version or another class than asked for
raises :class:`ModelFileError` with a one-line message.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import numbers
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["FORMAT_VERSION", "ModelFileError", "load", "save",
           "skops_trusted_types"]

FORMAT = "kmeanslab-model"
#: Version of the file layout written by :func:`save`; :func:`load` reads
#: this version and older ones.
FORMAT_VERSION = 1

# The estimators a file may hold: class name -> (module, class).
_CLASSES = {"KMeans": ("kmeanslab.estimator", "KMeans"),
            "SphericalKMeans": ("kmeanslab.spherical", "SphericalKMeans")}
# Fitted scalars stored in the header, with the type each must have.
_SCALARS = {"inertia_": numbers.Real, "n_iter_": numbers.Integral,
            "algorithm_": str, "n_features_in_": numbers.Integral,
            "_n_init": numbers.Integral}


class ModelFileError(ValueError):
    """A file that is not a complete, untampered kmeanslab model this
    version can read; the message is one line naming the file."""


def _class(name):
    import importlib

    module, attr = _CLASSES[name]
    return getattr(importlib.import_module(module), attr)


def _trace_types():
    from .breathing import MoveRecord
    from .trace import ConvergenceTrace, IterationRecord, Phase, RunTrace

    return {cls.__name__: cls for cls in (ConvergenceTrace, RunTrace,
                                          IterationRecord, Phase, MoveRecord)}


def _encode(value, arrays):
    """JSON-ready form of a trace value; its arrays go to ``arrays``."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"__dataclass__": type(value).__name__,
                "fields": {f.name: _encode(getattr(value, f.name), arrays)
                           for f in dataclasses.fields(value)}}
    if isinstance(value, np.ndarray):
        name = f"trace_{len(arrays)}"
        arrays[name] = value
        return {"__array__": name}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, arrays) for v in value]}
    if isinstance(value, list):
        return [_encode(v, arrays) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} in a model file")


def _decode(value, arrays, types):
    """Inverse of :func:`_encode`; only the trace's own dataclasses."""
    if isinstance(value, dict):
        if "__array__" in value:
            return arrays[value["__array__"]]
        if "__tuple__" in value:
            return tuple(_decode(v, arrays, types) for v in value["__tuple__"])
        cls = types[value["__dataclass__"]]
        return cls(**{k: _decode(v, arrays, types)
                      for k, v in value["fields"].items()})
    if isinstance(value, list):
        return [_decode(v, arrays, types) for v in value]
    return value


def _digest(array):
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def save(model, path, *, trace=False, force=False):
    """Write a fitted :class:`~kmeanslab.KMeans` or
    :class:`~kmeanslab.SphericalKMeans` to ``path`` (see the module
    docstring for the format).

    Parameters
    ----------
    model : KMeans or SphericalKMeans
        Fitted.
    path : str or path-like
        The file to write (``.npz`` is the usual suffix); written
        atomically.
    trace : bool, default=False
        Store ``trace_`` too (every iteration's centres: large for many
        clusters in many dimensions).
    force : bool, default=False
        Overwrite an existing file.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    TypeError
        For another kind of model.
    ValueError
        When ``init`` is a callable (code cannot be stored) or the model is
        not fitted.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from kmeanslab import KMeans, load
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
    >>> km = KMeans(2, random_state=0).fit(X)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = km.save(pathlib.Path(tmp) / "model.npz")
    ...     again = load(path)
    >>> bool((again.predict(X) == km.predict(X)).all())
    True
    """
    from sklearn.utils.validation import check_is_fitted

    from . import __version__
    from .io import write_bytes

    name = type(model).__name__
    if name not in _CLASSES or type(model) is not _class(name):
        raise TypeError(f"save stores KMeans and SphericalKMeans models, got "
                        f"{type(model).__name__}")
    check_is_fitted(model)
    if not hasattr(model, "trace_"):
        raise ValueError("save stores models fitted with fit (this one was "
                         "built by partial_fit)")
    arrays = {"cluster_centers_": np.asarray(model.cluster_centers_),
              "labels_": np.asarray(model.labels_)}
    if hasattr(model, "feature_names_in_"):
        arrays["feature_names_in_"] = np.asarray(model.feature_names_in_, dtype=str)
    params = model.get_params()
    init = params.get("init")
    if callable(init) and not isinstance(init, str):
        raise ValueError("init is a callable, which a model file cannot hold; "
                         "set_params(init=...) to a name or an array before saving")
    if not isinstance(init, str):
        arrays["param_init"] = np.asarray(init)
        params["init"] = None
    random_state = params.get("random_state")
    if not (random_state is None or isinstance(random_state, numbers.Integral)):
        params["random_state"] = None
    elif random_state is not None:
        params["random_state"] = int(random_state)
    trace_arrays = {}
    trace_json = _encode(model.trace_, trace_arrays) if trace else None
    arrays.update(trace_arrays)
    header = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "kmeanslab_version": __version__, "class": name, "params": params,
        "dtype": str(model.cluster_centers_.dtype),
        "scalars": {key: getattr(model, key) for key in _SCALARS},
        "trace": trace_json,
        "arrays": {key: {"dtype": str(a.dtype), "shape": list(a.shape),
                         "sha256": _digest(a)} for key, a in arrays.items()},
    }
    header["scalars"] = {k: (v.item() if isinstance(v, np.generic) else v)
                         for k, v in header["scalars"].items()}
    buffer = io.BytesIO()
    np.savez(buffer, header=np.frombuffer(json.dumps(header).encode("utf-8"),
                                          dtype=np.uint8), **arrays)
    return write_bytes(path, buffer.getvalue(), force=force)


def _fail(path, message):
    return ModelFileError(f"{path}: {message}")


def _read(path):
    """(header, arrays) of a model file, every check done."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            members = {key: archive[key] for key in archive.files}
    except FileNotFoundError:
        raise _fail(path, "no such file") from None
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        raise _fail(path, f"not a complete kmeanslab model file "
                          f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
                    ) from None
    raw = members.pop("header", None)
    if raw is None or raw.dtype != np.uint8 or raw.ndim != 1:
        raise _fail(path, "not a kmeanslab model file (no header)")
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _fail(path, "its header is not valid JSON (damaged file)") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise _fail(path, "not a kmeanslab model file")
    version = header.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise _fail(path, f"unknown format version {version!r}")
    if version > FORMAT_VERSION:
        raise _fail(path, f"written in format version {version} by kmeanslab "
                          f"{header.get('kmeanslab_version')}; this kmeanslab reads "
                          f"up to version {FORMAT_VERSION}: upgrade kmeanslab")
    listed = header.get("arrays")
    if not isinstance(listed, dict) or set(listed) != set(members):
        raise _fail(path, "its arrays do not match its header (damaged or "
                          "tampered with)")
    for key, array in members.items():
        spec = listed[key]
        if (str(array.dtype) != spec.get("dtype")
                or list(array.shape) != spec.get("shape")
                or _digest(array) != spec.get("sha256")):
            raise _fail(path, f"array {key!r} does not match its checksum "
                              f"(damaged or tampered with)")
    return header, members


def load(path, expected=None):
    """Read a model written by :func:`save` (or ``model.save``).

    Parameters
    ----------
    path : str or path-like
    expected : {"KMeans", "SphericalKMeans"} or class, default=None
        Refuse a file holding another class.

    Returns
    -------
    KMeans or SphericalKMeans
        Fitted: ``predict``, ``transform`` and ``score`` give what the
        saved model gave; ``trace_`` when it was saved, else None.

    Raises
    ------
    ModelFileError
        (a ValueError) For a missing, truncated, tampered or unknown file, a
        newer format version, or another class than ``expected``.

    See Also
    --------
    save
    """
    path = Path(path)
    header, arrays = _read(path)
    name = header.get("class")
    if name not in _CLASSES:
        raise _fail(path, f"holds a {name!r}, not one of {sorted(_CLASSES)}")
    if expected is not None:
        wanted = expected if isinstance(expected, str) else expected.__name__
        if wanted != name:
            raise _fail(path, f"holds a {name}, not a {wanted}")
    cls = _class(name)
    params = dict(header.get("params") or {})
    if "param_init" in arrays:
        params["init"] = arrays.pop("param_init")
    try:
        model = cls(**params)
    except TypeError as exc:
        raise _fail(path, f"its parameters do not fit {name} ({exc})") from None
    scalars = header.get("scalars") or {}
    for key, kind in _SCALARS.items():
        if not isinstance(scalars.get(key), kind):
            raise _fail(path, f"its {key} is missing or of the wrong type")
        setattr(model, key, scalars[key])
    centers = arrays["cluster_centers_"]
    if centers.ndim != 2 or centers.shape[1] != scalars["n_features_in_"]:
        raise _fail(path, "its centres do not match n_features_in_")
    model.cluster_centers_ = centers
    model.labels_ = arrays["labels_"]
    model._n_features_out = centers.shape[0]
    if "feature_names_in_" in arrays:
        model.feature_names_in_ = arrays["feature_names_in_"].astype(object)
    trace = header.get("trace")
    try:
        model.trace_ = (None if trace is None
                        else _decode(trace, arrays, _trace_types()))
    except (KeyError, TypeError):
        raise _fail(path, "its trace is damaged") from None
    return model


def skops_trusted_types():
    """The kmeanslab types a skops file of a fitted model holds.

    ``skops.io.get_untrusted_types(file=path)`` lists exactly these for a
    ``KMeans`` or ``SphericalKMeans`` saved with ``skops.io.dump``; loading
    then takes one line that trusts kmeanslab and nothing else::

        skops.io.load(path, trusted=kmeanslab.persistence.skops_trusted_types())

    Returns
    -------
    list of str
    """
    return sorted([f"{module}.{attr}" for module, attr in _CLASSES.values()]
                  + [f"{cls.__module__}.{cls.__name__}"
                     for cls in _trace_types().values()])
