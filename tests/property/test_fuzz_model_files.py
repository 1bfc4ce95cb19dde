"""Model-file mutation: whatever a damaged or crafted file holds, ``load``
raises :class:`~kmeanslab.persistence.ModelFileError` (one line naming the
file) or returns an estimator that predicts consistently, in bounded time
and memory.

Each case starts from a file ``save`` wrote (KMeans without a trace, with
one of two runs and their labels, with a breathing search's trace;
SphericalKMeans with a trace; an array init; feature names) and damages it
one way:

- ``truncate``: cut at a random point;
- ``flip``: flip 1 to 16 random bits;
- ``overwrite``: overwrite a short run of bytes with 0x00, 0xff or noise;
- ``header``: replace, delete or add one value of the JSON header at any
  depth (another type, a huge integer, NaN, a long string, a deep list,
  a foreign class or dataclass), the file otherwise intact;
- ``content``: replace one array (NaN or huge centres, labels of another
  length or out of range, other dtypes and shapes) or one fitted scalar or
  parameter (``n_clusters=10**18``, ...), the header's array entries and
  checksums made to agree, as a careful forger would;
- ``declared``: a member whose zip directory entry declares a huge size,
  or whose ``.npy`` header (and the JSON header with it) declares a huge
  shape or a foreign dtype, over a small payload;
- ``bomb``: a member of 1 GiB of zeros deflated to about 1 MB (the zip
  directory and the headers agreeing with it);
- ``deep``: a header of JSON nested far deeper than Python's stack.

The property: ``load`` raises only ModelFileError, with a one-line message
that names the file, or returns a model whose ``predict`` is the nearest
centre of its ``transform`` and whose trace's tables can be built; either
way within :data:`MAX_SECONDS` and
:data:`MAX_BYTES` (tracemalloc's peak, which counts NumPy's buffers).

The fast subset runs in every test run; the slow marker runs 10x more
cases (``KMEANSLAB_SCALE=1``: 100x).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import struct
import time
import tracemalloc
import warnings
import zipfile
import zlib

import numpy as np
import pandas as pd
import pytest

from kmeanslab import KMeans, SphericalKMeans, load
from kmeanslab.persistence import ModelFileError

# One case of each kind for each saved model.
FAST_CASES = 48
SLOW_CASES = 400 if os.environ.get("KMEANSLAB_SCALE") != "1" else 4000

# Far above what refusing or loading these files costs (milliseconds and
# about a megabyte), far below what unpacking a declared size costs.
MAX_SECONDS = 2.0
MAX_BYTES = 64 << 20

KINDS = ("truncate", "flip", "overwrite", "header", "content", "declared",
         "bomb", "deep")
BOMB_BYTES = 1 << 30


def _data(n=60, d=3):
    rng = np.random.default_rng(0)
    return np.abs(rng.normal(size=(n, d))) + np.repeat(np.eye(d) * 5, n // d, axis=0)


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    """(file bytes, data to predict on) of every model ``save`` wrote."""
    X = _data()
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = [(KMeans(3, random_state=0).fit(X), False, X),
                  (KMeans(3, random_state=0, n_init=2, record_labels=True).fit(X),
                   True, X),
                  (KMeans(3, random_state=0, refine="breathing").fit(X), True, X),
                  (SphericalKMeans(3, random_state=0).fit(X), True, X),
                  (KMeans(3, init=X[[0, 20, 40]], n_init=1).fit(X), False, X),
                  (KMeans(3, random_state=0).fit(frame), False, frame)]
    folder = tmp_path_factory.mktemp("originals")
    out = []
    for i, (model, trace, data) in enumerate(fitted):
        path = model.save(folder / f"model{i}.npz", trace=trace)
        out.append((path.read_bytes(), data))
        # The originals load: any refusal below is the mutation's doing.
        np.testing.assert_array_equal(load(path).predict(data), model.predict(data))
    return out


# --- Building files ----------------------------------------------------------

def _split(data):
    """(header as JSON, arrays) of a valid model file."""
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        members = {key: archive[key] for key in archive.files}
    return json.loads(members.pop("header").tobytes()), members


def _header_array(header):
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return np.frombuffer(text, dtype=np.uint8)


def _pack(header, arrays, *, checksums=False):
    """A model file of ``header`` (a dict or raw bytes) and ``arrays``;
    with ``checksums`` the header's array entries are made to agree with
    the arrays."""
    if checksums:
        header = dict(header, arrays={
            key: {"dtype": str(a.dtype), "shape": list(a.shape),
                  "sha256": hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()}
            for key, a in arrays.items()})
    buffer = io.BytesIO()
    np.savez(buffer, header=_header_array(header), **arrays)
    return buffer.getvalue()


def _npy(descr, shape, payload=b""):
    """``.npy`` bytes declaring ``descr`` and ``shape`` whatever the
    ``payload`` after them."""
    text = repr({"descr": descr, "fortran_order": False, "shape": tuple(shape)})
    text = text.encode("latin1")
    text += b" " * (63 - (10 + len(text)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + payload


def _raw_members(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename[:-4]: archive.read(info) for info in archive.infolist()}


def _zip(entries):
    """A zip archive written by hand from ``(name, method, stored bytes,
    size, crc)``: zipfile would compress a bomb's whole size again."""
    buffer = io.BytesIO()
    central = []
    for name, method, stored, size, crc in entries:
        name = f"{name}.npy".encode()
        offset = buffer.tell()
        buffer.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, method, 0,
                                 0x21, crc, len(stored), size, len(name), 0))
        buffer.write(name + stored)
        central.append(struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0,
                                   method, 0, 0x21, crc, len(stored), size,
                                   len(name), 0, 0, 0, 0, 0, offset) + name)
    start = buffer.tell()
    buffer.write(b"".join(central))
    buffer.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(central),
                             len(central), buffer.tell() - start, start, 0))
    return buffer.getvalue()


def _stored(raw):
    return [(key, zipfile.ZIP_STORED, body, len(body), zlib.crc32(body))
            for key, body in raw.items()]


@functools.lru_cache(maxsize=None)
def _zeros_deflated(n_mib):
    """Deflate blocks of ``n_mib`` MiB of zeros, built from one fully
    flushed block repeated: after a full flush the compressor starts
    afresh, so every MiB compresses to the same bytes."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return (compressor.compress(bytes(1 << 20))
            + compressor.flush(zlib.Z_FULL_FLUSH)) * n_mib


def _linear(columns, c):
    """The GF(2)-linear map of 32 ``columns`` applied to the 32 bits of c."""
    out = 0
    for i in range(32):
        if c >> i & 1:
            out ^= columns[i]
    return out


@functools.lru_cache(maxsize=None)
def _zeros_crc_map(n_mib):
    """(columns, constant) of the CRC-32 continued over ``n_mib`` MiB of
    zeros as a function of the CRC before them. That map is affine over
    GF(2), ``f(c) = L c ^ f(0)``: it is found for 1 MiB from 33 CRCs, then
    composed with itself (``f(f(c)) = L L c ^ L f(0) ^ f(0)``) up to
    ``n_mib`` (a power of two), instead of running over a GiB of zeros."""
    chunk = bytes(1 << 20)
    const = zlib.crc32(chunk, 0)
    columns = [zlib.crc32(chunk, 1 << i) ^ const for i in range(32)]
    for _ in range(n_mib.bit_length() - 1):
        const ^= _linear(columns, const)
        columns = [_linear(columns, column) for column in columns]
    return columns, const


def _bomb(prefix, size):
    """(stored bytes, CRC-32) of a deflated member: ``prefix``, then
    ``size`` bytes of zeros (a power of two, in MiB)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = zlib.compressobj(9, zlib.DEFLATED, -15).flush()  # an empty last block
    columns, const = _zeros_crc_map(size >> 20)
    crc = _linear(columns, zlib.crc32(prefix)) ^ const
    return head + _zeros_deflated(size >> 20) + tail, crc


def _patch_central(data, name, compressed, uncompressed):
    """``data`` with the central directory entry of member ``name``
    declaring these sizes (its local header left as it is)."""
    data = bytearray(data)
    target = f"{name}.npy".encode()
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46:at + 46 + name_len]) == target:
            struct.pack_into("<II", data, at + 20, compressed, uncompressed)
            return bytes(data)
        at = data.find(b"PK\x01\x02", at + 4)
    raise AssertionError(f"no member {name}")


# --- Mutations ---------------------------------------------------------------

def _deep_list(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value


JUNK = (None, True, False, 0, -1, 1, 3, 2**31, 10**18, 10**40, 0.5, -0.0,
        1e308, float("nan"), float("inf"), "", "x" * 5000, "lloyd", "KMeans",
        "k-means++", "auto", [], [1, 2], {}, {"a": 1}, _deep_list(40),
        {"__array__": "labels_"}, {"__array__": "trace_99999"},
        {"__tuple__": [1, 2]},
        {"__dataclass__": "os.system", "fields": {}},
        {"dtype": "object", "shape": [1], "sha256": ""},
        {"dtype": "<f8", "shape": [10**9, 10**9], "sha256": "0" * 64})


def _paths(value, prefix=()):
    """Every path (a tuple of keys and indices) into a JSON value."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, prefix + (i,))


def _mutate_header(rng, data):
    """One value of the JSON header replaced, deleted or added to."""
    header, arrays = _split(data)
    paths = [p for p in _paths(header) if p]
    path = paths[rng.integers(len(paths))]
    parent = header
    for key in path[:-1]:
        parent = parent[key]
    action = rng.choice(["replace", "replace", "replace", "delete", "add"])
    junk = JUNK[rng.integers(len(JUNK))]
    if action == "delete":
        del parent[path[-1]]
    elif action == "add" and isinstance(parent, dict):
        parent[rng.choice(["extra", "__class__", "n_clusters", "labels_"])] = junk
    elif action == "add":
        parent.insert(int(rng.integers(len(parent) + 1)), junk)
    else:
        parent[path[-1]] = junk
    return f"{action} header{list(path)} with {json.dumps(junk)[:40]}", _pack(header, arrays)


def _mutate_content(rng, data):
    """One array, parameter or fitted scalar changed, checksums recomputed."""
    header, arrays = _split(data)
    k, d = arrays["cluster_centers_"].shape
    n = arrays["labels_"].shape[0]
    centers = arrays["cluster_centers_"]
    choices = {
        "nan centre": lambda: ("cluster_centers_", np.where(np.eye(k, d) > 0, np.nan, centers)),
        "inf centre": lambda: ("cluster_centers_", np.full_like(centers, np.inf)),
        "huge centres": lambda: ("cluster_centers_", centers * 1e300),
        "moved centres": lambda: ("cluster_centers_", rng.normal(size=(k, d))),
        "int centres": lambda: ("cluster_centers_", centers.astype(np.int64)),
        "float16 centres": lambda: ("cluster_centers_", centers.astype(np.float16)),
        "bool centres": lambda: ("cluster_centers_", centers > 1),
        "text centres": lambda: ("cluster_centers_", centers.astype(str)),
        "1-D centres": lambda: ("cluster_centers_", centers.ravel()),
        "3-D centres": lambda: ("cluster_centers_", centers[None]),
        "transposed centres": lambda: ("cluster_centers_", np.ascontiguousarray(centers.T)),
        "fortran centres": lambda: ("cluster_centers_", np.asfortranarray(centers)),
        "extra centre": lambda: ("cluster_centers_", np.vstack([centers, centers[:1] + 1])),
        "no centres": lambda: ("cluster_centers_", centers[:0]),
        "short labels": lambda: ("labels_", arrays["labels_"][:-1]),
        "no labels": lambda: ("labels_", arrays["labels_"][:0]),
        "labels out of range": lambda: ("labels_", np.full(n, k)),
        "negative labels": lambda: ("labels_", np.full(n, -1)),
        "float labels": lambda: ("labels_", arrays["labels_"].astype(float)),
        "2-D labels": lambda: ("labels_", arrays["labels_"][:, None]),
        "names of another count": lambda: ("feature_names_in_", np.array(["a"])),
        "numeric names": lambda: ("feature_names_in_", np.arange(d)),
        "nan init": lambda: ("param_init", np.full((k, d), np.nan)),
        "init of another shape": lambda: ("param_init", np.zeros((k + 1, d))),
    }
    scalar_choices = {
        "n_clusters": [10**18, 0, -1, k + 1, k - 1, 1.5, "3"],
        "n_init": [0, 10**18, "many", 2],
        "max_iter": [0, -5, 1, 10**30],
        "tol": [-1.0, float("nan"), float("inf")],
        "random_state": [-1, 2**40, 0.5],
        "algorithm": ["elkan", "fast", ""],
        "n_threads": [0, -1],
        "inertia_": [float("nan"), float("inf"), -1.0, "0"],
        "n_iter_": [0, 10**9, -1, 2.5],
        "algorithm_": ["auto", "os.system", "lloyd+lloyd", ""],
        "n_features_in_": [0, d + 1, 10**18],
        "_n_init": [0, 7],
        "dtype": ["float32", "object", "int64"],
    }
    if rng.random() < 0.6:
        name = list(choices)[rng.integers(len(choices))]
        key, value = choices[name]()
        if key not in arrays:
            # This model has no such array: it is added, which its
            # parameters do not call for.
            name += " (added)"
        arrays[key] = value
        what = name
    else:
        key = list(scalar_choices)[rng.integers(len(scalar_choices))]
        value = scalar_choices[key][rng.integers(len(scalar_choices[key]))]
        if key in header["params"]:
            header["params"][key] = value
        elif key in header["scalars"]:
            header["scalars"][key] = value
        else:
            header[key] = value
        what = f"{key}={value!r}"
    return what, _pack(header, arrays, checksums=True)


def _mutate_declared(rng, data):
    """A huge size in the zip directory, or a huge shape or foreign dtype
    in a ``.npy`` header (the JSON header agreeing) over a small payload."""
    header, arrays = _split(data)
    raw = _raw_members(data)
    key = ["header", "cluster_centers_", "labels_"][rng.integers(3)]
    way = rng.integers(4)
    if way == 0:
        size = int(rng.choice([1 << 30, (1 << 32) - 1, len(raw[key]) + 1]))
        return (f"{key}: zip directory declares {size} bytes",
                _patch_central(data, key, size, size))
    if way == 1:
        size = int(rng.choice([1 << 30, (1 << 32) - 1]))
        return (f"{key}: zip directory declares {size} bytes stored in fewer",
                _patch_central(data, key, len(raw[key]), size))
    if key == "header":
        key = "cluster_centers_"
    if way == 2:
        shape = [[10**6, 10**6], [2**62, 2], [10**12], [3, -1], [10**18, 10**18, 10**18],
                 [1] * 40][rng.integers(6)]
        descr = "<f8"
    else:
        shape = list(arrays[key].shape)
        descr = ["|O", "<c16", "|V8", ">f8", "<M8[ns]", "|S4", "<U999999999",
                 "<f8"][rng.integers(8)]
    payload = raw[key][-arrays[key].nbytes:] if arrays[key].nbytes else b""
    raw[key] = _npy(descr, shape, payload)
    spec = header["arrays"][key]
    spec["shape"] = shape
    try:
        spec["dtype"] = str(np.dtype(descr))
    except TypeError:
        spec["dtype"] = descr
    raw["header"] = _npy("|u1", (len(json.dumps(header)),), json.dumps(header).encode())
    return f"{key}: .npy declares {descr} {shape}", _zip(_stored(raw))


def _mutate_bomb(rng, data):
    """One member replaced by 1 GiB of zeros deflated, the zip directory,
    the ``.npy`` header and the JSON header all declaring that size."""
    header, arrays = _split(data)
    raw = _raw_members(data)
    key = ["cluster_centers_", "labels_", "header"][rng.integers(3)]
    if key == "header":
        # The header itself: 1 GiB of NUL bytes declared as its text (its
        # size alone must refuse it).
        prefix = _npy("|u1", (BOMB_BYTES,))
    else:
        n_columns = arrays[key].shape[1] if arrays[key].ndim == 2 else 1
        shape = ((BOMB_BYTES // 8 // n_columns, n_columns) if arrays[key].ndim == 2
                 else (BOMB_BYTES // 8,))
        prefix = _npy(arrays[key].dtype.str, shape)
        header["arrays"][key]["shape"] = list(shape)
        text = json.dumps(header).encode()
        raw["header"] = _npy("|u1", (len(text),), text)
    stored, crc = _bomb(prefix, BOMB_BYTES)
    entries = [(name, zipfile.ZIP_DEFLATED, stored, len(prefix) + BOMB_BYTES, crc)
               if name == key else entry for name, entry in zip(raw, _stored(raw))]
    return f"{key}: 1 GiB of zeros deflated", _zip(entries)


def _mutate(rng, kind, data):
    """(description, mutated bytes) of ``data`` damaged one ``kind`` of way."""
    if kind == "truncate":
        at = int(rng.integers(len(data)))
        return f"truncated at {at} of {len(data)}", data[:at]
    if kind == "flip":
        out = bytearray(data)
        bits = rng.integers(len(data) * 8, size=int(rng.integers(1, 17)))
        for bit in bits:
            out[bit // 8] ^= 1 << (bit % 8)
        return f"bits {sorted(bits.tolist())} flipped", bytes(out)
    if kind == "overwrite":
        out = bytearray(data)
        at, length = int(rng.integers(len(data))), int(rng.integers(1, 65))
        fill = rng.choice(["zeros", "ones", "noise"])
        chunk = {"zeros": bytes(length), "ones": b"\xff" * length,
                 "noise": rng.bytes(length)}[fill]
        out[at:at + length] = chunk[:len(out) - at]
        return f"{length} bytes of {fill} at {at}", bytes(out)
    if kind == "header":
        return _mutate_header(rng, data)
    if kind == "content":
        return _mutate_content(rng, data)
    if kind == "declared":
        return _mutate_declared(rng, data)
    if kind == "bomb":
        return _mutate_bomb(rng, data)
    if kind == "deep":
        _, arrays = _split(data)
        depth = int(rng.choice([100, 10_000, 300_000]))
        text = (b"[" * depth + b"]" * depth if rng.random() < 0.5
                else b'{"a":' * depth + b"1" + b"}" * depth)
        return f"header nested {depth} deep", _pack(text, arrays)
    raise AssertionError(kind)


# --- The property ------------------------------------------------------------

def _load_bounded(path):
    """(model or None, ModelFileError or None, seconds, peak bytes). A
    warning is an error: a refusal says all there is to say."""
    model = error = None
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            model = load(path)
    except ModelFileError as exc:
        error = exc
    finally:
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return model, error, seconds, peak


def _check_case(seed, originals, folder):
    rng = np.random.default_rng(seed)
    kind = KINDS[seed % len(KINDS)]
    index = (seed // len(KINDS)) % len(originals)
    data, X = originals[index]
    what, mutated = _mutate(rng, kind, data)
    where = f"seed={seed} model{index} {kind}: {what}"
    path = folder / f"case{seed}.npz"
    path.write_bytes(mutated)
    try:
        model, error, seconds, peak = _load_bounded(path)
    except Exception as exc:  # the property: nothing but ModelFileError
        pytest.fail(f"{where}: {type(exc).__name__}: {exc}"[:2000])
    assert seconds < MAX_SECONDS, f"{where}: {seconds:.2f} s"
    assert peak < MAX_BYTES, f"{where}: {peak / 2**20:.1f} MiB"
    if error is not None:
        message = str(error)
        assert "\n" not in message and message.startswith(f"{path}: "), (where, message)
        assert "allow_pickle" not in message, (where, message)
        return
    labels = model.predict(X)
    dists = model.transform(X)
    n_clusters = model.cluster_centers_.shape[0]
    assert labels.shape == (len(X),) and dists.shape == (len(X), n_clusters), where
    assert ((0 <= labels) & (labels < n_clusters)).all(), where
    assert np.isfinite(dists).all(), where
    nearest = dists[np.arange(len(X)), labels]
    assert (nearest <= dists.min(axis=1) * (1 + 1e-9)).all(), where
    if model.trace_ is not None:
        # The trace's views work on what load accepted, in bounded time.
        start = time.perf_counter()
        model.trace_.to_pandas(all_runs=True)
        model.trace_.runs_to_pandas()
        model.trace_.moves_to_pandas()
        assert time.perf_counter() - start < MAX_SECONDS, where


@pytest.mark.parametrize("seed", range(FAST_CASES))
def test_damaged_model_files(seed, originals, tmp_path):
    _check_case(seed, originals, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(FAST_CASES, FAST_CASES + SLOW_CASES))
def test_damaged_model_files_slow(seed, originals, tmp_path):
    _check_case(seed, originals, tmp_path)


def test_truncated_everywhere(originals, tmp_path):
    """Every cut of one file, 1 byte apart near its ends and structures."""
    data, _ = originals[1]
    path = tmp_path / "cut.npz"
    cuts = sorted(set(range(0, 200)) | set(range(len(data) - 200, len(data)))
                  | set(range(0, len(data), max(1, len(data) // 300))))
    for at in cuts:
        path.write_bytes(data[:at])
        with pytest.raises(ModelFileError) as info:
            load(path)
        assert "\n" not in str(info.value), at
