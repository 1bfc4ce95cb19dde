"""Saving and loading fitted models without pickle: :func:`save`,
:func:`load` and the ``skops`` trust list (:func:`skops_trusted_types`).

The file format
---------------
A ``.npz`` archive (a zip of uncompressed ``.npy`` arrays; no member ever
needs pickle, so loading a file can never run code from it) holding:

``header``
    A JSON document (UTF-8 bytes as a uint8 array) with ``format``
    (``"kmeanslab-model"``), ``format_version`` (:data:`FORMAT_VERSION`),
    ``kmeanslab_version``, ``class`` (``"KMeans"`` or ``"SphericalKMeans"``),
    ``params`` (``get_params()`` as JSON scalars; an array ``init`` is stored
    as the array ``param_init``; a ``random_state`` that is not an int or
    None is stored as None), ``dtype``, the fitted scalars (``inertia_``,
    ``n_iter_``, ``algorithm_``, ``n_features_in_``, ``_n_init``), ``trace``
    (the convergence trace as JSON whose arrays are ``trace_0``,
    ``trace_1``, ..., or null) and ``arrays``: the dtype, shape and SHA-256
    digest of every other member.
``cluster_centers_``, ``labels_``, ``feature_names_in_`` (when fitted on
named columns), ``param_init``, ``trace_<i>``
    Plain numeric (or unicode) arrays.

:func:`load` checks all of it before building the estimator, and reads
nothing it has not sized first: the zip directory, then the header (at
most :func:`_header_limit` bytes), then for each member the header names
(and only those) its size in the zip directory and its ``.npy`` header
against the dtype and shape the header declares, then the data and its
digest. The content is then checked as ``fit`` checks its parameters
(shapes, dtypes, finite centres, labels in range, the trace's structure).
A truncated, damaged or tampered file, a newer format version or another
class than asked for raises :class:`ModelFileError` with a one-line
message naming the file; the memory and time a refusal costs are bounded
by the file's size.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import io
import json
import numbers
import os
import re
import stat
import struct
import warnings
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
_HEADER_KEYS = {"format", "format_version", "kmeanslab_version", "class",
                "params", "dtype", "scalars", "trace", "arrays"}
# Members besides the header; trace_<i> are the trace's arrays.
_NAMED_ARRAYS = ("cluster_centers_", "labels_", "feature_names_in_", "param_init")
_TRACE_ARRAY = re.compile(r"trace_(0|[1-9][0-9]{0,8})")

# Limits on what a file may declare, far above what save writes: a header
# of 1 MiB plus 2 KiB per member (a trace stores about 0.4 KiB of JSON per
# array: 1.8 MB for 4300 arrays), JSON nested 32 deep (save writes 13),
# integers of 30 digits, .npy headers of 4 KiB (numpy writes 128 bytes for
# these arrays).
_HEADER_BASE_BYTES = 1 << 20
_HEADER_BYTES_PER_MEMBER = 2048
_MAX_JSON_DEPTH = 32
_MAX_INT_DIGITS = 30
_MAX_NPY_HEADER = 4096
_MAX_NDIM = 32
# Zip flag bits this reader refuses: encryption, patched data, strong
# encryption (save writes none of them).
_REFUSED_ZIP_FLAGS = 0x1 | 0x20 | 0x40
# What the zip reader raises for a damaged archive (zipfile's own errors,
# short reads, impossible offsets, bad names, unsupported features).
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError,
               ValueError, NotImplementedError, RuntimeError, struct.error,
               OverflowError)
# dtypes as str(dtype) writes them, and .npy descr strings: booleans,
# integers, floats and unicode (never objects, structures or bytes).
_DTYPE_NAME = re.compile(r"bool|u?int(8|16|32|64)|float(32|64)"
                         r"|[<>|][biuf][1248]|[<>|]U[1-9][0-9]{0,5}")
_NPY_DESCR = re.compile(r"[<>|=][biuf][1248]|[<>|=]U[1-9][0-9]{0,5}")
_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = b"PK\x03\x04"


class ModelFileError(ValueError):
    """A file that is not a complete, untampered kmeanslab model this
    version can read; the message is one line naming the file."""


class _Damaged(Exception):
    """What is wrong with a model file; :func:`load` names the file."""


def _class(name):
    import importlib

    module, attr = _CLASSES[name]
    return getattr(importlib.import_module(module), attr)


def _trace_types():
    from .breathing import MoveRecord
    from .trace import ConvergenceTrace, IterationRecord, Phase, RunTrace

    return {cls.__name__: cls for cls in (ConvergenceTrace, RunTrace,
                                          IterationRecord, Phase, MoveRecord)}


def _short(value, limit=60):
    """repr of a value read from a file, on one line and at most ``limit``
    characters."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _one_line(exc, limit=200):
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[:limit - 3] + "..."


# --- Writing -----------------------------------------------------------------

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


def _storable_param(key, value):
    """``value`` as the JSON scalar the header stores for parameter ``key``
    (NumPy scalars become Python ones, as ``GridSearchCV`` leaves them)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    raise ValueError(f"parameter {key}={_short(value)} cannot be stored in a "
                     f"model file (only None, bool, int, float and str can); "
                     f"set_params({key}=...) to one of those before saving")


def _stored_params(model):
    """(the header's params, the ``param_init`` array or None)."""
    params = model.get_params()
    init = params.get("init")
    param_init = None
    if callable(init) and not isinstance(init, str):
        raise ValueError("init is a callable, which a model file cannot hold; "
                         "set_params(init=...) to a name or an array before saving")
    if not isinstance(init, str):
        param_init = np.asarray(init)
        if param_init.dtype.kind not in "biuf":
            raise ValueError(f"init is an array of dtype {param_init.dtype}, which "
                             f"a model file cannot hold; set_params(init=...) to "
                             f"a float array before saving")
        params["init"] = None
    random_state = params.get("random_state")
    if not (random_state is None or isinstance(random_state, numbers.Integral)):
        params["random_state"] = None
    return ({key: _storable_param(key, value) for key, value in params.items()},
            param_init)


def _digest(array):
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def _write_error(exc, path):
    """``exc`` (raised while writing a temporary file beside ``path``) as
    the same kind of error naming ``path``: the temporary name means
    nothing to the caller, and the file is gone by the time they read it."""
    reason = exc.strerror or _one_line(exc)
    for name in (exc.filename, exc.filename2):
        if name is not None and str(name) != str(path):
            reason = reason.replace(str(name), str(path))
    # The temporary file's name (see kmeanslab.io.atomic_write), wherever
    # the message holds it without the filename attribute saying so.
    reason = re.sub(re.escape(f".{path.name}.") + r"[0-9a-f]+\.tmp"
                    + re.escape(path.suffix), path.name, reason)
    error = type(exc)(f"cannot write {path}: {reason}")
    error.errno = exc.errno
    return error


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
        When ``init`` is a callable (code cannot be stored), a parameter is
        not None, a bool, a number or a string, or the model is not fitted.
    OSError
        When the file cannot be written (the message names ``path``);
        FileExistsError when it exists and ``force`` is False.

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
    params, param_init = _stored_params(model)
    if param_init is not None:
        arrays["param_init"] = param_init
    trace_arrays = {}
    trace_json = _encode(model.trace_, trace_arrays) if trace else None
    arrays.update(trace_arrays)
    header = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "kmeanslab_version": __version__, "class": name, "params": params,
        "dtype": str(model.cluster_centers_.dtype),
        "scalars": {key: _encode(getattr(model, key), {}) for key in _SCALARS},
        "trace": trace_json,
        "arrays": {key: {"dtype": str(a.dtype), "shape": list(a.shape),
                         "sha256": _digest(a)} for key, a in arrays.items()},
    }
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False,
             header=np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8),
             **arrays)
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory; cannot write a model "
                                f"file there")
    try:
        return write_bytes(path, buffer.getvalue(), force=force)
    except FileExistsError:
        raise  # its message names path already
    except OSError as exc:
        raise _write_error(exc, path) from None


# --- Reading the archive -----------------------------------------------------

def _fail(path, message):
    return ModelFileError(f"{path}: {message}")


def _open(path):
    """(the open zip archive at ``path``, the file it reads, its size in
    bytes); the caller closes both (zipfile leaves a file it was handed
    open)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise _Damaged("no such file") from None
    except (OSError, ValueError) as exc:
        raise _Damaged(f"cannot be read ({getattr(exc, 'strerror', None) or _one_line(exc)})"
                       ) from None
    if not stat.S_ISREG(info.st_mode):
        raise _Damaged("is not a regular file")
    if info.st_size == 0:
        raise _Damaged("is empty, not a kmeanslab model file")
    try:
        stream = open(path, "rb")
    except OSError as exc:
        raise _Damaged(f"cannot be read ({exc.strerror or _one_line(exc)})") from None
    start = b""
    try:
        start = stream.read(len(_NPY_MAGIC))
        if start == _NPY_MAGIC:
            raise _Damaged("is a plain .npy array, not a kmeanslab model file "
                           "(an .npz archive written by save)")
        stream.seek(0)
        return zipfile.ZipFile(stream), stream, info.st_size
    except _Damaged:
        stream.close()
        raise
    except _ZIP_ERRORS:
        stream.close()
        if not start.startswith(_ZIP_MAGIC):
            # Text, an image, a pickle...: nothing of a zip archive at all.
            raise _Damaged("is not a kmeanslab model file (not a zip archive; "
                           "save writes an .npz archive)") from None
        raise _Damaged("not a complete kmeanslab model file (truncated or "
                       "damaged zip archive)") from None


def _members(archive, file_size):
    """Member name (without ".npy") -> ZipInfo, once the directory is
    checked: only stored, unencrypted ``.npy`` members, each once, whose
    data fits in the file."""
    members = {}
    stored_bytes = 0
    for info in archive.infolist():
        name = info.filename
        if not name.endswith(".npy"):
            raise _Damaged(f"holds a member {_short(name)} that is not an array")
        if name[:-4] in members:
            raise _Damaged(f"holds the member {_short(name)} twice")
        if info.flag_bits & _REFUSED_ZIP_FLAGS:
            raise _Damaged(f"its member {_short(name)} is encrypted or patched, "
                           f"which save never writes")
        if info.compress_type != zipfile.ZIP_STORED:
            raise _Damaged(f"its member {_short(name)} is compressed, which save "
                           f"never writes")
        if info.file_size != info.compress_size:
            raise _Damaged(f"its member {_short(name)} declares {info.file_size} "
                           f"bytes but stores {info.compress_size}")
        # Stored data is in the file: no member may declare more than it holds.
        stored_bytes += info.compress_size
        if stored_bytes > file_size:
            raise _Damaged(f"its members declare more bytes than the file holds "
                           f"({file_size}): truncated or tampered with")
        members[name[:-4]] = info
    return members


def _header_limit(n_members):
    """The largest header, in bytes, for a file of ``n_members`` members."""
    return _HEADER_BASE_BYTES + _HEADER_BYTES_PER_MEMBER * n_members


def _npy_header(stream, info):
    """(dtype, shape, fortran_order) from the start of the ``.npy`` member
    ``info``, read without its data; the data fills the rest of the member
    exactly."""
    name = _short(info.filename)
    start = stream.read(len(_NPY_MAGIC) + 2)
    if len(start) < len(_NPY_MAGIC) + 2 or start[:len(_NPY_MAGIC)] != _NPY_MAGIC:
        raise _Damaged(f"its member {name} is not a .npy array")
    major = start[len(_NPY_MAGIC)]
    if major not in (1, 2, 3):
        raise _Damaged(f"its member {name} has an unknown .npy version {major}")
    size_format = "<H" if major == 1 else "<I"
    raw_size = stream.read(struct.calcsize(size_format))
    if len(raw_size) != struct.calcsize(size_format):
        raise _Damaged(f"its member {name} is truncated")
    (header_size,) = struct.unpack(size_format, raw_size)
    if header_size > _MAX_NPY_HEADER:
        raise _Damaged(f"its member {name} has a .npy header of {header_size} "
                       f"bytes (at most {_MAX_NPY_HEADER})")
    raw = stream.read(header_size)
    if len(raw) != header_size:
        raise _Damaged(f"its member {name} is truncated")
    try:
        text = raw.decode("utf-8" if major == 3 else "latin1")
        fields = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise _Damaged(f"its member {name} has a damaged .npy header") from None
    if (not isinstance(fields, dict)
            or set(fields) != {"descr", "fortran_order", "shape"}
            or not isinstance(fields["descr"], str)
            or not _NPY_DESCR.fullmatch(fields["descr"])
            or not isinstance(fields["fortran_order"], bool)
            or not _is_shape(fields["shape"])):
        raise _Damaged(f"its member {name} has a damaged .npy header or an "
                       f"unsupported dtype")
    dtype = np.dtype(fields["descr"])
    data_offset = len(start) + len(raw_size) + header_size
    if data_offset + _nbytes(dtype, fields["shape"]) != info.file_size:
        raise _Damaged(f"its member {name} is not the size its .npy header "
                       f"declares (truncated or tampered with)")
    return dtype, tuple(fields["shape"]), fields["fortran_order"]


def _is_shape(shape):
    return (isinstance(shape, (tuple, list)) and len(shape) <= _MAX_NDIM
            and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0
                    for n in shape))


def _nbytes(dtype, shape):
    count = 1
    for n in shape:
        count *= n
    return count * dtype.itemsize


def _read_member(archive, info, dtype_name=None, shape=None):
    """The array in member ``info``, whose .npy header must declare
    ``dtype_name`` and ``shape`` (when given) before any data is read."""
    with archive.open(info) as stream:
        dtype, npy_shape, fortran = _npy_header(stream, info)
        if ((dtype_name is not None and str(dtype) != dtype_name)
                or (shape is not None and list(npy_shape) != list(shape))):
            raise _Damaged(f"its member {_short(info.filename)} does not have the "
                           f"dtype and shape its header declares (tampered with)")
        flat = np.empty(_nbytes(dtype, npy_shape) // dtype.itemsize, dtype=dtype)
        view = memoryview(flat.view(np.uint8))
        filled = 0
        while filled < len(view):
            count = stream.readinto(view[filled:])
            if not count:
                raise _Damaged(f"its member {_short(info.filename)} is truncated")
            filled += count
        if stream.read(1):  # also makes zipfile check the CRC
            raise _Damaged(f"its member {_short(info.filename)} is longer than "
                           f"its .npy header declares")
    if fortran:
        return flat.reshape(npy_shape[::-1]).T
    return flat.reshape(npy_shape)


def _json_int(text):
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        raise ValueError(f"an integer of {len(text)} digits")
    return int(text)


def _depth(value):
    """How deep lists and dicts nest in ``value`` (counting stops past
    ``_MAX_JSON_DEPTH``); iterative, so any depth json accepts is safe."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth > _MAX_JSON_DEPTH:
                break
            stack.extend((v, depth + 1) for v in
                         (item.values() if isinstance(item, dict) else item))
    return deepest


def _parse_header(raw):
    try:
        header = json.loads(raw.tobytes().decode("utf-8"), parse_int=_json_int)
    except RecursionError:
        raise _Damaged(f"its header nests deeper than {_MAX_JSON_DEPTH} levels "
                       f"(damaged or tampered with)") from None
    except (UnicodeDecodeError, ValueError):
        raise _Damaged("its header is not valid JSON (damaged file)") from None
    if _depth(header) > _MAX_JSON_DEPTH:
        raise _Damaged(f"its header nests deeper than {_MAX_JSON_DEPTH} levels "
                       f"(damaged or tampered with)")
    return header


def _check_header(header):
    """Refuse a header of the wrong format, version or layout (not its
    content: see :func:`_build`)."""
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise _Damaged("not a kmeanslab model file")
    version = header.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _Damaged(f"unknown format version {_short(version)}")
    if version > FORMAT_VERSION:
        written_by = header.get("kmeanslab_version")
        if not (isinstance(written_by, str) and len(written_by) < 40):
            written_by = "(unknown)"
        raise _Damaged(f"written in format version {version} by kmeanslab "
                       f"{_one_line(written_by)}; this kmeanslab reads up to "
                       f"version {FORMAT_VERSION}: upgrade kmeanslab")
    missing = _HEADER_KEYS - {"kmeanslab_version"} - set(header)
    if missing:
        raise _Damaged(f"its header lacks {', '.join(sorted(missing))} (damaged "
                       f"or tampered with)")
    unknown = set(header) - _HEADER_KEYS
    if unknown:
        raise _Damaged(f"its header has unknown entries "
                       f"{_short(sorted(unknown))} (damaged or tampered with)")
    name = header["class"]
    if name not in _CLASSES if isinstance(name, str) else True:
        raise _Damaged(f"holds a {_short(name)}, not one of {sorted(_CLASSES)}")
    for key in ("params", "scalars", "arrays"):
        if not isinstance(header[key], dict):
            raise _Damaged(f"its header's {key} is not a mapping")
    for key, value in header["params"].items():
        if not (value is None or isinstance(value, (bool, int, float, str))):
            raise _Damaged(f"its parameter {_short(key)} is a "
                           f"{type(value).__name__}, not a number, string or null")
    for key, spec in header["arrays"].items():
        if not (key in _NAMED_ARRAYS or _TRACE_ARRAY.fullmatch(key)):
            raise _Damaged(f"its header lists an unknown array {_short(key)}")
        if (not isinstance(spec, dict) or set(spec) != {"dtype", "shape", "sha256"}
                or not isinstance(spec["dtype"], str)
                or not _DTYPE_NAME.fullmatch(spec["dtype"])
                or not _is_shape(spec["shape"]) or not isinstance(spec["shape"], list)
                or not isinstance(spec["sha256"], str)):
            raise _Damaged(f"its header's entry for array {_short(key)} is damaged")
    for key in ("cluster_centers_", "labels_"):
        if key not in header["arrays"]:
            raise _Damaged(f"its arrays do not match its header (no {key})")


def _read(path):
    """(header, arrays) of a model file, every check of its structure done
    (raises :class:`_Damaged`)."""
    archive, stream, file_size = _open(path)
    with stream, archive:
        try:
            members = _members(archive, file_size)
            if "header" not in members:
                raise _Damaged("not a kmeanslab model file (no header)")
            limit = _header_limit(len(members))
            if members["header"].file_size > limit:
                raise _Damaged(f"its header declares {members['header'].file_size} "
                               f"bytes, more than a model file's header holds "
                               f"({limit})")
            raw = _read_member(archive, members.pop("header"))
            if raw.dtype != np.uint8 or raw.ndim != 1:
                raise _Damaged("not a kmeanslab model file (no header)")
            header = _parse_header(raw)
            _check_header(header)
            listed = header["arrays"]
            if set(listed) != set(members):
                raise _Damaged("its arrays do not match its header (damaged or "
                               "tampered with)")
            for key, spec in listed.items():
                # Sized from the zip directory before anything is read.
                declared = _nbytes(np.dtype(spec["dtype"]), spec["shape"])
                if not declared < members[key].file_size <= declared + 12 + _MAX_NPY_HEADER:
                    raise _Damaged(f"its member {key!r} is not the size its header "
                                   f"declares (truncated or tampered with)")
            arrays = {}
            for key, spec in listed.items():
                array = _read_member(archive, members[key], spec["dtype"], spec["shape"])
                if _digest(array) != spec["sha256"]:
                    raise _Damaged(f"array {key!r} does not match its checksum "
                                   f"(damaged or tampered with)")
                arrays[key] = array
        except _Damaged:
            raise
        except _ZIP_ERRORS:
            raise _Damaged("not a complete kmeanslab model file (damaged zip "
                           "archive)") from None
    return header, arrays


# --- Checking the content ----------------------------------------------------

def _check_params(model, n_samples, n_features, dtype):
    """Validate the parameters as ``fit`` does; returns the (n_clusters,
    n_init, max_iter) a fit with them runs."""
    from sklearn.utils import check_random_state

    from . import _validation as v

    with warnings.catch_warnings():
        # An init array with n_init > 1 warns in fit; here it is only checked.
        warnings.simplefilter("ignore")
        n_clusters, _, n_init, max_iter, *_ = v.check_run_params(
            n_samples, n_features, dtype, n_clusters=model.n_clusters,
            init=model.init, n_init=model.n_init, max_iter=model.max_iter,
            tol=model.tol, algorithm=model.algorithm, n_threads=model.n_threads)
    check_random_state(model.random_state)
    if hasattr(model, "refine"):
        v.check_refine(model.refine)
    if hasattr(model, "precision"):
        v.check_precision(model.precision)
    return n_clusters, n_init, max_iter


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_algorithm_run(name):
    """An ``algorithm_`` fit sets: an algorithm that runs, or two joined by
    "+" (a handover, such as "lloyd+hamerly")."""
    from ._options import ALGORITHMS

    return all(part in ALGORITHMS and part not in ("auto", "elkan")
               for part in name.split("+"))


def _check_scalars(scalars, max_iter):
    unknown = set(scalars) - set(_SCALARS)
    if unknown:
        raise _Damaged(f"its header has unknown fitted scalars "
                       f"{_short(sorted(unknown))} (damaged or tampered with)")
    for key, kind in _SCALARS.items():
        value = scalars.get(key)
        if isinstance(value, bool) or not isinstance(value, kind):
            raise _Damaged(f"its {key} is missing or of the wrong type")
    if not (np.isfinite(scalars["inertia_"]) and scalars["inertia_"] >= 0):
        raise _Damaged(f"its inertia_ is {scalars['inertia_']}, not a finite "
                       f"number >= 0")
    if not 1 <= scalars["n_iter_"] <= max_iter:
        raise _Damaged(f"its n_iter_={scalars['n_iter_']} is not in 1..max_iter={max_iter}")
    if not _is_algorithm_run(scalars["algorithm_"]):
        raise _Damaged(f"its algorithm_ {_short(scalars['algorithm_'])} is not an "
                       f"algorithm a fit runs")
    if scalars["n_features_in_"] < 1:
        raise _Damaged(f"its n_features_in_={scalars['n_features_in_']} is not positive")


def _check_centers(centers, name, n_clusters, n_features, header_dtype):
    if centers.dtype not in (np.float32, np.float64) or str(centers.dtype) != header_dtype:
        raise _Damaged(f"its centres are {centers.dtype}, not the float32 or float64 "
                       f"its header declares ({_short(header_dtype)})")
    if centers.shape != (n_clusters, n_features):
        raise _Damaged(f"its centres have shape {centers.shape}, not (n_clusters, "
                       f"n_features_in_) = ({n_clusters}, {n_features})")
    if not np.isfinite(centers).all():
        raise _Damaged("its centres are not all finite")
    if name == "SphericalKMeans":
        with np.errstate(over="ignore"):  # a huge centre's norm is inf: refused
            norms = np.linalg.norm(centers.astype(np.float64), axis=1)
        # Unit norm up to rounding in float32; a centre of no direction is 0.
        if not ((np.abs(norms - 1) <= 1e-3) | (norms == 0)).all():
            raise _Damaged("its centres are not of unit norm, as spherical "
                           "k-means centres are")


def _check_labels(labels, n_clusters):
    if labels.ndim != 1 or labels.dtype.kind not in "iu" or labels.size == 0:
        raise _Damaged(f"its labels_ are not a 1-D integer array (dtype "
                       f"{labels.dtype}, shape {labels.shape})")
    if labels.min() < 0 or labels.max() >= n_clusters:
        raise _Damaged(f"its labels_ are not all in [0, n_clusters={n_clusters})")


# Field annotations of the trace's dataclasses -> what a value must be.
_FIELD_CHECKS = {
    "int": _is_int,
    "float": lambda v: isinstance(v, numbers.Real) and not isinstance(v, bool),
    "str": lambda v: isinstance(v, str),
    "tuple": lambda v: isinstance(v, tuple),
    "np.ndarray": lambda v: isinstance(v, np.ndarray),
    "np.ndarray | None": lambda v: v is None or isinstance(v, np.ndarray),
    "bool | None": lambda v: v is None or isinstance(v, bool),
}


def _decode(value, arrays, types, used):
    """Inverse of :func:`_encode`: only the trace's own dataclasses, with
    exactly their fields, each of its annotated type, and each ``trace_<i>``
    array once (its name goes to ``used``)."""
    if isinstance(value, list):
        return [_decode(v, arrays, types, used) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"__array__"}:
        name = value["__array__"]
        if (not isinstance(name, str) or not _TRACE_ARRAY.fullmatch(name)
                or name not in arrays or name in used):
            raise _Damaged(f"its trace refers to array {_short(name)}, which it "
                           f"does not hold once")
        used.add(name)
        return arrays[name]
    if set(value) == {"__tuple__"} and isinstance(value["__tuple__"], list):
        return tuple(_decode(v, arrays, types, used) for v in value["__tuple__"])
    if set(value) != {"__dataclass__", "fields"} or not isinstance(value["fields"], dict):
        raise _Damaged("its trace is damaged")
    cls = types.get(value["__dataclass__"]) if isinstance(value["__dataclass__"], str) else None
    if cls is None:
        raise _Damaged(f"its trace holds a {_short(value['__dataclass__'])}, not a "
                       f"trace record")
    fields = {f.name: f.type for f in dataclasses.fields(cls)}
    if set(value["fields"]) != set(fields):
        raise _Damaged(f"its trace's {cls.__name__} records have other fields than "
                       f"{cls.__name__}")
    kwargs = {}
    for key, annotation in fields.items():
        kwargs[key] = _decode(value["fields"][key], arrays, types, used)
        check = _FIELD_CHECKS.get(str(annotation))
        if check is not None and not check(kwargs[key]):
            raise _Damaged(f"its trace's {cls.__name__}.{key} is not a {annotation}")
    return cls(**kwargs)


def _check_trace(trace, scalars, n_samples, types):
    """The structure a fit's trace has: ``_n_init`` runs, the best one with
    ``n_iter_`` iterations, centres of ``n_features_in_`` columns."""
    n_features = scalars["n_features_in_"]

    def centers_ok(array):
        return (array.ndim == 2 and array.shape[1] == n_features
                and array.dtype.kind == "f")

    if not isinstance(trace, types["ConvergenceTrace"]):
        raise _Damaged("its trace is not a convergence trace")
    runs = trace.runs
    if (len(runs) != scalars["_n_init"]
            or not all(isinstance(r, types["RunTrace"]) for r in runs)
            or not 0 <= trace.best_run < len(runs)
            or runs[trace.best_run].n_iter != scalars["n_iter_"]):
        raise _Damaged("its trace does not match _n_init and n_iter_")
    if trace.moves and (len(trace.moves) != len(runs) or not all(
            isinstance(m, tuple) and all(isinstance(r, types["MoveRecord"]) for r in m)
            for m in trace.moves)):
        raise _Damaged("its trace's moves do not match its runs")
    for index, run in enumerate(runs):
        if not centers_ok(run.init_centers) or not all(
                isinstance(it, types["IterationRecord"]) and centers_ok(it.centers)
                and all(_is_int(i) for i in it.relocated)
                and (it.labels is None or (it.labels.shape == (n_samples,)
                                           and it.labels.dtype.kind in "iu"))
                for it in run.iterations):
            raise _Damaged("its trace's iterations do not match the model")
        # A run's phases are numbered 0, 1, ... in order, one per move of
        # the breathing search (0 only without one): the trace's views
        # (phases, to_pandas) count up to the last phase, so a crafted
        # phase of 10**20 would keep them busy for ever.
        n_phases = max(len(trace.moves[index]) if trace.moves else 0, 1)
        phases = [it.phase for it in run.iterations]
        if not all(_is_int(p) and 0 <= p < n_phases for p in phases) or any(
                b < a for a, b in zip(phases, phases[1:])):
            raise _Damaged(f"its trace's phases are not in order in 0..{n_phases - 1}")
        for it in run.iterations:
            if it.labels is not None and it.labels.size and (
                    it.labels.min() < 0 or it.labels.max() >= it.centers.shape[0]):
                raise _Damaged("its trace's labels are not all indices of "
                               "their iteration's centres")


def _build(header, arrays):
    """The fitted estimator a checked header and its arrays describe, its
    content checked as ``fit`` checks what it is given."""
    name = header["class"]
    params = dict(header["params"])
    if "param_init" in arrays:
        if params.get("init") is not None:
            raise _Damaged("its init is both a name and an array")
        params["init"] = arrays.pop("param_init")
    try:
        model = _class(name)(**params)
    except TypeError as exc:
        raise _Damaged(f"its parameters do not fit {name} ({_one_line(exc)})") from None
    centers, labels = arrays["cluster_centers_"], arrays["labels_"]
    scalars = header["scalars"]
    if not _is_int(scalars.get("n_features_in_")):
        raise _Damaged("its n_features_in_ is missing or of the wrong type")
    if centers.ndim != 2 or centers.shape[1] != scalars["n_features_in_"]:
        raise _Damaged("its centres do not match n_features_in_")
    if labels.ndim != 1 or labels.size == 0:
        raise _Damaged(f"its labels_ are not a 1-D array (shape {labels.shape})")
    try:
        n_clusters, n_init, max_iter = _check_params(
            model, labels.shape[0], scalars["n_features_in_"],
            centers.dtype if centers.dtype.kind == "f" else np.float64)
    except (ValueError, TypeError) as exc:
        raise _Damaged(f"its parameters are not valid ({_one_line(exc)})") from None
    _check_scalars(scalars, max_iter)
    if scalars["_n_init"] != n_init:
        raise _Damaged(f"its _n_init={scalars['_n_init']} is not the n_init={n_init} "
                       f"its parameters run")
    _check_centers(centers, name, n_clusters, scalars["n_features_in_"], header["dtype"])
    _check_labels(labels, n_clusters)
    for key, value in scalars.items():
        if key in _SCALARS:
            setattr(model, key, value)
    model.cluster_centers_ = centers
    model.labels_ = labels
    model._n_features_out = n_clusters
    if "feature_names_in_" in arrays:
        names = arrays["feature_names_in_"]
        if names.dtype.kind != "U" or names.shape != (scalars["n_features_in_"],):
            raise _Damaged("its feature_names_in_ are not n_features_in_ strings")
        model.feature_names_in_ = names.astype(object)
    types = _trace_types()
    used = set()
    if header["trace"] is None:
        model.trace_ = None
    else:
        model.trace_ = _decode(header["trace"], arrays, types, used)
        _check_trace(model.trace_, scalars, labels.shape[0], types)
    if used != {key for key in arrays if _TRACE_ARRAY.fullmatch(key)}:
        raise _Damaged("its trace does not use every trace array it holds")
    return model


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
        (a ValueError) For a missing, truncated, damaged, tampered or
        unknown file, content no fit produces, a newer format version, or
        another class than ``expected``; the message is one line naming
        the file.
    TypeError
        When ``expected`` is neither a string nor a class.

    See Also
    --------
    save
    """
    if not (expected is None or isinstance(expected, (str, type))):
        raise TypeError(f"expected must be a class name, a class or None, got "
                        f"{_short(expected)}")
    path = Path(path)
    try:
        header, arrays = _read(path)
        name = header["class"]
        if expected is not None:
            wanted = expected if isinstance(expected, str) else expected.__name__
            if wanted != name:
                raise _Damaged(f"holds a {name}, not a {wanted}")
        return _build(header, arrays)
    except _Damaged as exc:
        raise _fail(path, str(exc)) from None


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
