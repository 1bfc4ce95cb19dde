"""Saving and loading without pickle (``kmeanslab.persistence``): round
trips of KMeans and SphericalKMeans, dense and sparse, and the refusal of
truncated, tampered, newer, foreign and pickled files; skops. The files
crafted for issue 18 (declared sizes, damaged zip and .npy headers,
headers of the wrong layout, content no fit produces) are refused with one
line, cheaply; tests/property/test_fuzz_model_files.py mutates files at
random."""

import errno
import hashlib
import io
import json
import os
import struct
import time
import tracemalloc
import zipfile
import zlib

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from kmeanslab import KMeans, SphericalKMeans, load
from kmeanslab.persistence import (FORMAT_VERSION, ModelFileError,
                                   skops_trusted_types)


def _X(seed=0):
    rng = np.random.RandomState(seed)
    return np.abs(rng.normal(size=(300, 6))) + np.repeat(np.eye(6)[:3] * 4, 100, axis=0)


MODELS = [
    pytest.param(lambda: KMeans(3, random_state=0), False, id="kmeans-dense"),
    pytest.param(lambda: KMeans(3, random_state=0, refine="breathing"), False,
                 id="kmeans-breathing"),
    pytest.param(lambda: SphericalKMeans(3, random_state=0), True,
                 id="spherical-sparse"),
    pytest.param(lambda: KMeans(3, init=_X()[[0, 100, 200]], n_init=1), True,
                 id="kmeans-array-init-sparse"),
]


@pytest.mark.parametrize("make, sparse", MODELS)
@pytest.mark.parametrize("trace", [False, True], ids=["no-trace", "trace"])
def test_round_trip(tmp_path, make, sparse, trace):
    X = sp.csr_matrix(_X()) if sparse else _X()
    model = make().fit(X)
    path = model.save(tmp_path / "model.npz", trace=trace)
    again = load(path)
    assert type(again) is type(model)
    np.testing.assert_array_equal(again.predict(X), model.predict(X))
    np.testing.assert_array_equal(again.transform(X), model.transform(X))
    assert again.score(X) == model.score(X)
    np.testing.assert_array_equal(again.cluster_centers_, model.cluster_centers_)
    np.testing.assert_array_equal(again.labels_, model.labels_)
    assert (again.inertia_, again.n_iter_, again.algorithm_) == (
        model.inertia_, model.n_iter_, model.algorithm_)
    for key, value in model.get_params().items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(again.get_params()[key], value)
        else:
            assert again.get_params()[key] == value
    if trace:
        pd.testing.assert_frame_equal(again.trace_.to_pandas(all_runs=True),
                                      model.trace_.to_pandas(all_runs=True))
        np.testing.assert_array_equal(again.trace_.runs[0].iterations[-1].centers,
                                      model.trace_.runs[0].iterations[-1].centers)
    else:
        assert again.trace_ is None
    assert load(path, expected=type(model)) is not None


def test_float32_and_feature_names(tmp_path):
    frame = pd.DataFrame(_X().astype(np.float32), columns=list("abcdef"))
    model = KMeans(3, random_state=0).fit(frame)
    again = load(model.save(tmp_path / "m.npz"))
    assert again.cluster_centers_.dtype == np.float32
    assert list(again.feature_names_in_) == list("abcdef")
    np.testing.assert_array_equal(again.predict(frame), model.predict(frame))
    with pytest.raises(ValueError, match="feature names"):
        again.predict(frame.rename(columns={"a": "z"}))


def _saved(tmp_path):
    path = KMeans(3, random_state=0).fit(_X()).save(tmp_path / "model.npz", force=True)
    return path, dict(np.load(path, allow_pickle=False))


def _write(path, members):
    buffer = io.BytesIO()
    np.savez(buffer, **members)
    path.write_bytes(buffer.getvalue())
    return path


def _header(members):
    return json.loads(members["header"].tobytes())


def _with_header(members, header):
    out = dict(members)
    out["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    return out


def test_truncated_file(tmp_path):
    path, _ = _saved(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(ModelFileError, match="not a complete kmeanslab model file"):
        load(path)


def test_tampered_array(tmp_path):
    path, members = _saved(tmp_path)
    members["cluster_centers_"] = members["cluster_centers_"] + 1.0
    with pytest.raises(ModelFileError, match="'cluster_centers_' does not match "
                       "its checksum"):
        load(_write(path, members))


def test_extra_or_missing_arrays(tmp_path):
    path, members = _saved(tmp_path)
    with pytest.raises(ModelFileError, match="do not match its header"):
        load(_write(path, dict(members, extra=np.zeros(3))))
    del members["labels_"]
    with pytest.raises(ModelFileError, match="do not match its header"):
        load(_write(path, members))


def test_newer_format_version(tmp_path):
    path, members = _saved(tmp_path)
    header = _header(members)
    header["format_version"] = FORMAT_VERSION + 1
    with pytest.raises(ModelFileError, match="upgrade kmeanslab"):
        load(_write(path, _with_header(members, header)))


def test_other_class(tmp_path):
    path, members = _saved(tmp_path)
    with pytest.raises(ModelFileError, match="holds a KMeans, not a SphericalKMeans"):
        load(path, expected=SphericalKMeans)
    header = _header(members)
    header["class"] = "os.system"
    with pytest.raises(ModelFileError, match="holds a 'os.system', not one of"):
        load(_write(path, _with_header(members, header)))


def test_not_a_model_file(tmp_path):
    with pytest.raises(ModelFileError, match="no such file"):
        load(tmp_path / "missing.npz")
    with pytest.raises(ModelFileError, match="no header"):
        load(_write(tmp_path / "plain.npz", dict(a=np.arange(3))))
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ModelFileError):
        load(tmp_path / "text.npz")


def test_pickled_payload_never_runs(tmp_path):
    """An object array in the archive would need pickle: refused unread."""
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path, members = _saved(tmp_path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for key, array in members.items():
            with archive.open(f"{key}.npy", "w") as stream:
                np.lib.format.write_array(stream, array)
        with archive.open("evil.npy", "w") as stream:
            np.lib.format.write_array(stream, np.array([Payload()], dtype=object),
                                      allow_pickle=True)
    path.write_bytes(buffer.getvalue())
    with pytest.raises(ModelFileError):
        load(path)
    assert not marker.exists()


def test_what_save_refuses(tmp_path):
    with pytest.raises(ValueError, match="init is a callable"):
        KMeans(2, init=lambda X, k, random_state: X[:k], n_init=1).fit(_X()).save(
            tmp_path / "m.npz")
    with pytest.raises(ValueError, match="partial_fit"):
        KMeans(2, random_state=0).partial_fit(_X()).save(tmp_path / "m.npz")
    path = KMeans(2, random_state=0).fit(_X()).save(tmp_path / "m.npz")
    with pytest.raises(FileExistsError):
        KMeans(2, random_state=0).fit(_X()).save(path)
    KMeans(2, random_state=1).fit(_X()).save(path, force=True)


@pytest.mark.parametrize("make", [lambda: KMeans(3, random_state=0),
                                  lambda: SphericalKMeans(3, random_state=0),
                                  lambda: KMeans(3, random_state=0, refine="breathing")],
                         ids=["kmeans", "spherical", "breathing"])
def test_skops_lists_only_kmeanslab_types(tmp_path, make):
    sio = pytest.importorskip("skops.io")
    model = make().fit(_X())
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert untrusted and set(untrusted) <= set(skops_trusted_types())
    again = sio.load(path, trusted=skops_trusted_types())
    np.testing.assert_array_equal(again.predict(_X()), model.predict(_X()))
    np.testing.assert_array_equal(again.transform(_X()), model.transform(_X()))


# --- Issue 18 ----------------------------------------------------------------
# Helpers that write crafted files: members as raw bytes, zip directory
# fields patched, checksums made to agree (as a careful forger would).

def _consistent(path, header, members):
    """Write ``members`` with a header whose array entries and checksums
    agree with them."""
    header = dict(header)
    arrays = {key: a for key, a in members.items() if key != "header"}
    header["arrays"] = {
        key: {"dtype": str(a.dtype), "shape": list(a.shape),
              "sha256": hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()}
        for key, a in arrays.items()}
    return _write(path, _with_header(arrays, header))


def _npy_bytes(descr, shape, payload=b""):
    """A .npy member declaring ``descr`` and ``shape`` whatever follows."""
    text = repr({"descr": descr, "fortran_order": False, "shape": tuple(shape)}).encode()
    text += b" " * (63 - (10 + len(text)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + payload


def _raw_zip(path, raw, compressed=()):
    """Write a zip of raw member bytes (``name`` -> bytes)."""
    with zipfile.ZipFile(path, "w") as archive:
        for key, body in raw.items():
            archive.writestr(f"{key}.npy", body, compress_type=(
                zipfile.ZIP_DEFLATED if key in compressed else zipfile.ZIP_STORED))
    return path


def _raw_members(path):
    with zipfile.ZipFile(path) as archive:
        return {i.filename[:-4]: archive.read(i) for i in archive.infolist()}


def _patch_central(path, name, offset, fmt, value):
    """Patch the field at ``offset`` (struct ``fmt``) of member ``name``'s
    entry in the zip central directory."""
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        length = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46:at + 46 + length]) == f"{name}.npy".encode():
            struct.pack_into(fmt, data, at + offset, *value)
            path.write_bytes(bytes(data))
            return path
        at = data.find(b"PK\x01\x02", at + 4)
    raise AssertionError(name)


def _refused_cheaply(path, match, seconds=1.0, peak=16 << 20):
    """load(path) raises ModelFileError matching ``match``, one line naming
    the file, within ``seconds`` and a tracemalloc peak of ``peak``."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ModelFileError, match=match) as info:
            load(path)
        elapsed, used = time.perf_counter() - start, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    assert elapsed < seconds and used < peak, (elapsed, used)
    return message


def test_numpy_scalar_parameters_are_saved(tmp_path):
    # Issue 18 (3): GridSearchCV sets n_clusters to an np.int64 from the
    # grid; the header stores it as a plain int.
    from sklearn.model_selection import GridSearchCV

    search = GridSearchCV(KMeans(random_state=0), {"n_clusters": np.arange(2, 6)},
                          cv=2).fit(_X())
    best = search.best_estimator_
    assert isinstance(best.n_clusters, np.integer)
    again = load(best.save(tmp_path / "best.npz"))
    assert again.n_clusters == best.n_clusters and type(again.n_clusters) is int
    np.testing.assert_array_equal(again.predict(_X()), best.predict(_X()))
    model = KMeans(3, random_state=np.int32(0), tol=np.float32(1e-3),
                   max_iter=np.uint16(50), copy_x=np.bool_(True)).fit(_X())
    again = load(model.save(tmp_path / "scalars.npz"))
    assert (again.random_state, again.max_iter, again.copy_x) == (0, 50, True)
    assert again.tol == pytest.approx(1e-3)


def test_unstorable_parameter_is_named(tmp_path):
    model = KMeans(3, random_state=0).fit(_X())
    model.set_params(verbose=object())
    with pytest.raises(ValueError, match="parameter verbose=<object"):
        model.save(tmp_path / "m.npz")
    assert not list(tmp_path.iterdir())


def test_bomb_member_is_refused_unread(tmp_path):
    # Issue 18 (4): a 1 MB file with a member declaring 1 GiB cost 3.3 s and
    # 1.3 GB before it was refused. Here 1 GiB of zeros deflated: one fully
    # flushed MiB block repeated (the compressor starts afresh after a full
    # flush). Its CRC is not that of the data: a reader that unpacked it
    # would spend the GiB before noticing, and fail the bounds.
    path, members = _saved(tmp_path)
    raw = _raw_members(path)
    prefix = _npy_bytes("<i8", (1 << 27,))
    zeros = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = zeros.compress(bytes(1 << 20)) + zeros.flush(zlib.Z_FULL_FLUSH)
    head = zlib.compressobj(9, zlib.DEFLATED, -15)
    stored = (head.compress(prefix) + head.flush(zlib.Z_FULL_FLUSH) + block * 1024
              + zlib.compressobj(9, zlib.DEFLATED, -15).flush())
    # Written stored, then given the deflated bytes and, in the central
    # directory (which readers follow), the method and size they declare.
    raw["labels_"] = b"x" * len(stored)
    data = bytearray(_raw_zip(path, raw).read_bytes())
    at = data.index(raw["labels_"])
    data[at:at + len(stored)] = stored
    path.write_bytes(bytes(data))
    _patch_central(path, "labels_", 10, "<H", (zipfile.ZIP_DEFLATED,))
    _patch_central(path, "labels_", 24, "<I", ((1 << 30) + len(prefix),))
    assert path.stat().st_size < 2 << 20
    _refused_cheaply(path, "labels_.npy' is compressed")


@pytest.mark.parametrize("member", ["labels_", "header"])
def test_declared_size_beyond_the_file_is_refused(tmp_path, member):
    # Issue 18 (4): sizes come from the zip directory before any data.
    path, _ = _saved(tmp_path)
    _patch_central(path, member, 20, "<II", (1 << 30, 1 << 30))
    _refused_cheaply(path, "declare more bytes than the file holds")
    path, _ = _saved(tmp_path)
    _patch_central(path, member, 24, "<I", (1 << 30,))
    _refused_cheaply(path, f"{member}.npy' declares 1073741824 bytes but stores")


def test_header_member_declaring_too_much_is_refused(tmp_path):
    path, members = _saved(tmp_path)
    members["header"] = np.concatenate(
        [members["header"], np.full(3 << 20, ord(" "), dtype=np.uint8)])
    _refused_cheaply(_write(path, members), "more than a model file's header holds")


def test_huge_declared_shape_is_no_memory_error(tmp_path):
    # Issue 18 (4): a .npy header (and the JSON header with it) declaring
    # (10**6, 10**6) over a few bytes used to raise a bare MemoryError.
    path, members = _saved(tmp_path)
    header = _header(members)
    raw = _raw_members(path)
    header["arrays"]["cluster_centers_"]["shape"] = [10**6, 10**6]
    text = json.dumps(header).encode()
    raw["header"] = _npy_bytes("|u1", (len(text),), text)
    raw["cluster_centers_"] = _npy_bytes("<f8", (10**6, 10**6), b"\0" * 144)
    _refused_cheaply(_raw_zip(path, raw), "'cluster_centers_' is not the size its "
                                          "header declares")
    # The .npy header alone declaring more than the member holds.
    path, _ = _saved(tmp_path)
    raw = _raw_members(path)
    raw["labels_"] = _npy_bytes("<i8", (2**62,), b"\0" * 2400)
    _refused_cheaply(_raw_zip(path, raw), "not the size its .npy header declares")


def test_npy_header_must_match_the_json_header(tmp_path):
    # Same bytes, another shape or dtype: refused before the data is read.
    path, members = _saved(tmp_path)
    raw = _raw_members(path)
    centers = members["cluster_centers_"]
    raw["cluster_centers_"] = _npy_bytes("<f8", (centers.size,), centers.tobytes())
    _refused_cheaply(_raw_zip(path, raw), "does not have the dtype and shape its "
                                          "header declares")
    raw["cluster_centers_"] = _npy_bytes("<i8", centers.shape, centers.tobytes())
    _refused_cheaply(_raw_zip(path, raw), "does not have the dtype and shape")
    raw["cluster_centers_"] = _npy_bytes("|O", centers.shape, centers.tobytes())
    _refused_cheaply(_raw_zip(path, raw), "unsupported dtype")


def test_only_the_members_the_header_names_are_read(tmp_path):
    # An unlisted member is refused from the directory: its (damaged) data
    # is never read, so the message is about the listing, not the data.
    path, members = _saved(tmp_path)
    raw = _raw_members(path)
    raw["extra"] = b"not an array at all"
    _refused_cheaply(_raw_zip(path, raw), "its arrays do not match its header")
    path, _ = _saved(tmp_path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("notes.txt", "hello")
    _refused_cheaply(path, "holds a member 'notes.txt' that is not an array")


def test_plain_npy_file(tmp_path):
    # Issue 18 (5): TypeError "'numpy.ndarray' object does not support the
    # context manager protocol".
    path = tmp_path / "plain.npy"
    np.save(path, np.arange(3))
    _refused_cheaply(path, "is a plain .npy array, not a kmeanslab model file")


def test_text_file_never_speaks_of_pickle(tmp_path):
    # Issue 18 (16): numpy's advice to load "unsafely using allow_pickle="
    # is the wrong one for a model file.
    path = tmp_path / "notes.npz"
    path.write_text("cluster_centers_ = [[1, 2], [3, 4]]\n")
    message = _refused_cheaply(path, "is not a kmeanslab model file "
                                     r"\(not a zip archive")
    assert "pickle" not in message
    path.write_bytes(b"")
    _refused_cheaply(path, "is empty")
    with pytest.raises(ModelFileError, match="is not a regular file"):
        load(tmp_path)


@pytest.mark.parametrize("field, fmt, value, match", [
    (8, "<H", (0x1,), "encrypted or patched"),       # RuntimeError "is encrypted"
    (8, "<H", (0x40,), "encrypted or patched"),      # strong encryption
    (10, "<H", (99,), "is compressed"),              # NotImplementedError (AES)
    (10, "<H", (zipfile.ZIP_LZMA,), "is compressed"),
    (42, "<I", (10**9,), "damaged zip archive"),     # local header offset
], ids=["encrypted", "strong-encryption", "method-99", "lzma", "offset"])
def test_damaged_zip_directory(tmp_path, field, fmt, value, match):
    # Issue 18 (5): these escaped as RuntimeError, NotImplementedError, ...
    path, _ = _saved(tmp_path)
    _refused_cheaply(_patch_central(path, "labels_", field, fmt, value), match)


def test_damaged_npy_header(tmp_path):
    # Issue 18 (5): numpy's header parser let tokenize's TokenError out.
    path, _ = _saved(tmp_path)
    raw = _raw_members(path)
    body = raw["labels_"]
    for broken in (b"{'descr': '<i8", b"{'descr': '<i8', 'fortran_order': False, "
                   b"'shape': (300,), 'x': 1}", b"(" * 3000, b"[1, 2]"):
        text = broken + b" " * (117 - len(broken) % 64) + b"\n"
        raw["labels_"] = (b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text
                          + body[-2400:])
        _refused_cheaply(_raw_zip(path, raw), "labels_.npy' (has a damaged|is not the)")


def test_bit_flips_in_the_directory(tmp_path):
    # Issue 18 (5): about 2% of bit flips escaped as raw exceptions; here
    # every byte of the central directory and its end record, one bit each.
    path, _ = _saved(tmp_path)
    data = path.read_bytes()
    rng = np.random.default_rng(0)
    for at in range(data.index(b"PK\x01\x02"), len(data)):
        flipped = bytearray(data)
        flipped[at] ^= 1 << int(rng.integers(8))
        path.write_bytes(bytes(flipped))
        try:
            again = load(path)
        except ModelFileError as exc:
            assert "\n" not in str(exc) and str(path) in str(exc), at
        else:  # a flip in a field the reader does not use
            np.testing.assert_array_equal(again.predict(_X()), again.labels_)


@pytest.mark.parametrize("header, match", [
    (b"[]", "not a kmeanslab model file"),
    (b'"kmeanslab-model"', "not a kmeanslab model file"),
    (b"[" * 100_000 + b"]" * 100_000, "nests deeper than"),        # RecursionError
    (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "nests deeper than"),
    (b'{"format": "kmeanslab-model", "format_version": 1, "x": '
     + b"[" * 40 + b"]" * 40 + b"}", "nests deeper than"),
    (b'{"format": "kmeanslab-model", "format_version": 1e400}', "unknown format version"),
    (b'{"format": "kmeanslab-model", "format_version": ' + b"9" * 5000 + b"}",
     "not valid JSON"),
    (b'\xff\xfe{"format"', "not valid JSON"),
], ids=["list", "string", "deep-list", "deep-dict", "deep-inside", "inf-version",
        "long-int", "not-utf8"])
def test_crafted_header_text(tmp_path, header, match):
    # Issue 18 (5): RecursionError from deeply nested JSON.
    path, members = _saved(tmp_path)
    members["header"] = np.frombuffer(header, dtype=np.uint8)
    _refused_cheaply(_write(path, members), match)


def _edit(key, value):
    def edit(header):
        node = header
        for part in key[:-1]:
            node = node[part]
        if value is _DELETE:
            del node[key[-1]]
        else:
            node[key[-1]] = value
    return edit


_DELETE = object()


@pytest.mark.parametrize("edit, match", [
    (_edit(("arrays",), []), "arrays is not a mapping"),            # AttributeError
    (_edit(("params",), [3]), "params is not a mapping"),
    (_edit(("scalars",), None), "scalars is not a mapping"),
    (_edit(("arrays",), _DELETE), "lacks arrays"),                  # KeyError
    (_edit(("class",), _DELETE), "lacks class"),
    (_edit(("class",), ["KMeans"]), r"holds a \['KMeans'\]"),
    (_edit(("arrays", "labels_"), "x"), "entry for array 'labels_' is damaged"),
    (_edit(("arrays", "labels_", "shape"), [-1]), "entry for array 'labels_'"),
    (_edit(("arrays", "labels_", "dtype"), "object"), "entry for array 'labels_'"),
    (_edit(("params", "n_clusters"), {"a": 1}), "parameter 'n_clusters' is a dict"),
    (_edit(("params", "colour"), "red"), "parameters do not fit KMeans"),
    (_edit(("scalars", "inertia_"), _DELETE), "inertia_ is missing"),
    (_edit(("scalars", "extra"), 1), "unknown fitted scalars"),
    (_edit(("trace",), {"__dataclass__": "ConvergenceTrace"}), "trace is damaged"),
    (_edit(("trace",), {"__dataclass__": "os.system", "fields": {}}),
     "trace holds a 'os.system'"),
    (_edit(("trace",), [1, 2]), "not a convergence trace"),
    (_edit(("format_version",), True), "unknown format version True"),
    (_edit(("extra",), 1), "unknown entries"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_crafted_header_layout(tmp_path, edit, match):
    # Issue 18 (5): AttributeError and KeyError from headers of the wrong
    # layout; each is now one line.
    path, members = _saved(tmp_path)
    header = _header(members)
    edit(header)
    _refused_cheaply(_write(path, _with_header(members, header)), match)


def _traced(tmp_path, **params):
    model = KMeans(3, random_state=0, **params).fit(_X())
    path = model.save(tmp_path / "traced.npz", trace=True)
    return path, dict(np.load(path, allow_pickle=False))


@pytest.mark.parametrize("edit, match", [
    (_edit(("params", "n_clusters"), 10**18), "n_clusters=1000000000000000000 is "
                                              "larger than n_samples=300"),
    (_edit(("params", "n_clusters"), 0), "n_clusters must be >= 1"),
    (_edit(("params", "n_clusters"), 4), r"centres have shape \(3, 6\), not"),
    (_edit(("params", "tol"), float("nan")), "tol must be a finite number"),
    (_edit(("params", "max_iter"), 1), "n_iter_=.* is not in 1..max_iter=1"),
    (_edit(("params", "algorithm"), "fastest"), "algorithm must be one of"),
    (_edit(("params", "random_state"), -1), "parameters are not valid"),
    (_edit(("params", "n_init"), 5), "_n_init=1 is not the n_init=5"),
    (_edit(("params", "refine"), "yes"), "refine must be"),
    (_edit(("scalars", "inertia_"), float("nan")), "inertia_ is nan"),
    (_edit(("scalars", "inertia_"), -1.0), "inertia_ is -1.0, not a finite number >= 0"),
    (_edit(("scalars", "n_iter_"), 0), "n_iter_=0 is not in 1..max_iter"),
    (_edit(("scalars", "algorithm_"), "auto"), "algorithm_ 'auto' is not"),
    (_edit(("scalars", "n_features_in_"), 7), "centres do not match n_features_in_"),
    (_edit(("dtype",), "float32"), "float32 or float64 its header declares"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_self_consistent_crafted_parameters(tmp_path, edit, match):
    # Issue 18 (13): checksums agree, the content is what no fit produces;
    # the parameters are checked by fit's own rules (_validation).
    path, members = _saved(tmp_path)
    header = _header(members)
    edit(header)
    _refused_cheaply(_consistent(path, header, members), match)


@pytest.mark.parametrize("array, make, match", [
    ("cluster_centers_", lambda c, l: np.where(np.eye(*c.shape) > 0, np.nan, c),
     "centres are not all finite"),
    ("cluster_centers_", lambda c, l: np.full_like(c, np.inf), "not all finite"),
    ("cluster_centers_", lambda c, l: c[:2], r"shape \(2, 6\), not \(n_clusters"),
    ("cluster_centers_", lambda c, l: c.astype(np.float16),
     "entry for array .cluster_centers_. is damaged"),
    ("cluster_centers_", lambda c, l: c.astype(np.int64), "centres are int64"),
    ("labels_", lambda c, l: l[:2], "larger than n_samples=2"),
    ("labels_", lambda c, l: np.full_like(l, 3), r"not all in \[0, n_clusters=3\)"),
    ("labels_", lambda c, l: np.full_like(l, -1), "not all in"),
    ("labels_", lambda c, l: l.astype(float), "not a 1-D integer array"),
    ("labels_", lambda c, l: l[:, None], "not a 1-D array"),
    ("feature_names_in_", lambda c, l: np.array(["a", "b"]), "not n_features_in_ strings"),
    ("param_init", lambda c, l: c, "init is both a name and an array"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_self_consistent_crafted_arrays(tmp_path, array, make, match):
    # Issue 18 (13): NaN centres or labels of the wrong length loaded and
    # predicted.
    path, members = _saved(tmp_path)
    members[array] = make(members["cluster_centers_"], members["labels_"])
    _refused_cheaply(_consistent(path, _header(members), members), match)


def test_labels_must_match_the_recorded_trace(tmp_path):
    # Labels of another length than the trace's recorded labels.
    path, members = _traced(tmp_path, record_labels=True)
    members["labels_"] = members["labels_"][:-1]
    _refused_cheaply(_consistent(path, _header(members), members),
                     "trace's iterations do not match the model")


def test_crafted_trace_phase(tmp_path):
    # A phase of 10**20 would keep trace_.to_pandas() counting for ever.
    path, members = _traced(tmp_path)
    header = _header(members)
    header["trace"]["fields"]["runs"]["__tuple__"][0]["fields"]["iterations"][
        "__tuple__"][0]["fields"]["phase"] = 10**20
    _refused_cheaply(_write(path, _with_header(members, header)),
                     r"trace's phases are not in order in 0..0")


def test_spherical_centres_must_be_unit_norm(tmp_path):
    path = SphericalKMeans(3, random_state=0).fit(_X()).save(tmp_path / "s.npz")
    members = dict(np.load(path, allow_pickle=False))
    members["cluster_centers_"] = members["cluster_centers_"] * 2
    _refused_cheaply(_consistent(path, _header(members), members), "not of unit norm")


def test_consistent_edit_of_the_centres_loads(tmp_path):
    # Content a fit could produce loads: the centres in another order (and
    # the labels with them) predict by that order.
    path, members = _saved(tmp_path)
    members["cluster_centers_"] = members["cluster_centers_"][::-1].copy()
    members["labels_"] = 2 - members["labels_"]
    again = load(_consistent(path, _header(members), members))
    expected = 2 - KMeans(3, random_state=0).fit(_X()).predict(_X())
    np.testing.assert_array_equal(again.predict(_X()), expected)
    np.testing.assert_array_equal(again.labels_, expected)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_load_leaves_no_file_open(tmp_path):
    path, members = _saved(tmp_path)
    (tmp_path / "text.npz").write_text("hello")
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(5):
        load(path)
        with pytest.raises(ModelFileError):
            load(tmp_path / "text.npz")
    assert len(os.listdir("/proc/self/fd")) == before


def test_save_errors_name_the_target(tmp_path, monkeypatch):
    # Issue 18 (16): the message named the temporary file beside the
    # target, which is gone by then.
    model = KMeans(3, random_state=0).fit(_X())
    target = tmp_path / "missing" / "model.npz"
    with pytest.raises(FileNotFoundError) as info:
        model.save(target)
    assert str(info.value) == f"cannot write {target}: No such file or directory"
    with pytest.raises(IsADirectoryError, match=f"{tmp_path} is a directory"):
        model.save(tmp_path)

    # Errors from the temporary file, as the atomic writer meets them: with
    # the name in ``filename`` and a reason, or only in the text.
    import kmeanslab.io

    target = tmp_path / "model.npz"
    tmp = tmp_path / ".model.npz.0123abcd.tmp.npz"
    for error, expected in [
            (OSError(errno.ENOSPC, "No space left on device", str(tmp)),
             f"cannot write {target}: No space left on device"),
            (PermissionError(f"quota exceeded while writing {tmp}"),
             f"cannot write {target}: quota exceeded while writing {target}"),
            (OSError("cannot fsync .model.npz.0123abcd.tmp.npz"),
             f"cannot write {target}: cannot fsync model.npz")]:
        def fail(path, data, *, force=False, error=error):
            raise error

        monkeypatch.setattr(kmeanslab.io, "write_bytes", fail)
        with pytest.raises(type(error)) as info:
            model.save(target)
        assert str(info.value) == expected
        assert info.value.errno == error.errno
    assert not list(tmp_path.iterdir())
