"""Saving and loading without pickle (``kmeanslab.persistence``): round
trips of KMeans and SphericalKMeans, dense and sparse, and the refusal of
truncated, tampered, newer, foreign and pickled files; skops."""

import io
import json
import zipfile

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
    path = KMeans(3, random_state=0).fit(_X()).save(tmp_path / "model.npz")
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
