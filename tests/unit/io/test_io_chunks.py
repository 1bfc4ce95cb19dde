"""Tests for kmeanslab.io._chunks: open_chunked's lazy row blocks of .npy and
Parquet data, and an out-of-core fit whose memory stays well below the size
of its data."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytest.importorskip("dask")
from kmeanslab.io import open_chunked  # noqa: E402


@pytest.fixture
def data(random_seed):
    return np.random.default_rng(random_seed).normal(size=(1000, 3))


@pytest.mark.parametrize("order", ["C", "F"])
def test_npy_blocks(tmp_path, data, order):
    path = tmp_path / "x.npy"
    np.save(path, np.asarray(data, order=order))
    X = open_chunked(path, chunk_rows=300)
    assert X.chunks == ((300, 300, 300, 100), (3,))
    np.testing.assert_array_equal(X.compute(), data)
    np.testing.assert_array_equal(open_chunked(path, columns=[2, 0]).compute(),
                                  data[:, [2, 0]])


def test_npy_dtypes(tmp_path, data):
    np.save(tmp_path / "f32.npy", data.astype(np.float32))
    np.save(tmp_path / "i16.npy", (data * 100).astype(np.int16))
    assert open_chunked(tmp_path / "f32.npy").dtype == np.float32
    ints = open_chunked(tmp_path / "i16.npy", chunk_rows=400)
    assert ints.dtype == np.float64
    np.testing.assert_array_equal(ints.compute(), (data * 100).astype(np.int16))


def test_default_chunk_rows_follow_bytes(tmp_path, data, monkeypatch):
    from kmeanslab.io import _chunks

    monkeypatch.setattr(_chunks, "DEFAULT_CHUNK_BYTES", 24 * 100)
    np.save(tmp_path / "x.npy", data)
    assert open_chunked(tmp_path / "x.npy").chunks[0] == (100,) * 10


def test_parquet_directory(tmp_path, data):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    frame = pd.DataFrame(data, columns=["a", "b", "c"])
    (tmp_path / "pq").mkdir()
    frame.iloc[:600].to_parquet(tmp_path / "pq" / "part-0.parquet", row_group_size=100)
    frame.iloc[600:].to_parquet(tmp_path / "pq" / "part-1.parquet", row_group_size=250)
    X = open_chunked(tmp_path / "pq", chunk_rows=300)
    # Row groups are merged within a file up to chunk_rows, never split.
    assert X.chunks[0] == (300, 300, 250, 150)
    np.testing.assert_array_equal(X.compute(), data)
    only_c = open_chunked(tmp_path / "pq", columns=["c"])
    np.testing.assert_array_equal(only_c.compute()[:, 0], data[:, 2])
    f32 = frame.astype("float32")
    f32.to_parquet(tmp_path / "f32.parquet")
    assert open_chunked(tmp_path / "f32.parquet").dtype == np.float32


def test_old_import_path_is_the_same_function():
    from kmeanslab import io_chunks

    assert io_chunks.open_chunked is open_chunked
    assert io_chunks.DEFAULT_CHUNK_BYTES == 16 * 2**20


def test_errors(tmp_path, data):
    pd = pytest.importorskip("pandas")
    with pytest.raises(ValueError, match="does not exist"):
        open_chunked(tmp_path / "missing.npy")
    np.save(tmp_path / "x.npy", data)
    with pytest.raises(ValueError, match="chunk_rows must be >= 1"):
        open_chunked(tmp_path / "x.npy", chunk_rows=0)
    with pytest.raises(TypeError, match="chunk_rows must be an integer"):
        open_chunked(tmp_path / "x.npy", chunk_rows=2.5)
    with pytest.raises(ValueError, match="columns"):
        open_chunked(tmp_path / "x.npy", columns=[3])
    np.save(tmp_path / "v.npy", data[:, 0])
    with pytest.raises(ValueError, match="2-D"):
        open_chunked(tmp_path / "v.npy")
    (tmp_path / "x.csv").write_text("1,2\n")
    with pytest.raises(ValueError, match="neither"):
        open_chunked(tmp_path / "x.csv")
    pd.DataFrame({"a": [1.0], "s": ["x"]}).to_parquet(tmp_path / "s.parquet")
    with pytest.raises(TypeError, match="not numeric.*'s'"):
        open_chunked(tmp_path / "s.parquet")
    with pytest.raises(ValueError, match="not in"):
        open_chunked(tmp_path / "s.parquet", columns=["zz"])


# --- Out of core -------------------------------------------------------------

# The out-of-core fit reads a file of FULL_BYTES * KMEANSLAB_SCALE bytes, never
# under MIN_BYTES, below which the fixed costs of a fit (a few MB) are no longer
# small next to the data. Without KMEANSLAB_SCALE the scale is DEFAULT_SCALE,
# which gives the MIN_BYTES file, so `pytest` and `make test` write no
# hundred-megabyte file; KMEANSLAB_SCALE=1 runs the test at full size.
FULL_BYTES = 300e6
MIN_BYTES = 32e6
DEFAULT_SCALE = 0.1


def _out_of_core_bytes():
    scale = float(os.environ.get("KMEANSLAB_SCALE", DEFAULT_SCALE))
    return int(max(FULL_BYTES * scale, MIN_BYTES))


# Runs in a fresh process so its peak resident memory measures the fit alone.
_FIT_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import psutil, dask
    from kmeanslab.io import open_chunked
    from kmeanslab.core import fit_dask

    def _peak_rss():
        # VmHWM, not getrusage's ru_maxrss: that one is inherited from the
        # parent across fork and exec, and clear_refs does not reset it.
        with open("/proc/self/status") as f:
            line = next(l for l in f if l.startswith("VmHWM:"))
        return int(line.split()[1]) * 1024

    path, init_path, out_path, chunk_rows = sys.argv[1:5]
    init = np.load(init_path)
    with dask.config.set(scheduler="threads", num_workers=2):
        # Warm the JIT (compiling is not what is measured), then reset the
        # peak resident memory to the current one (Linux >= 4.0).
        fit_dask(open_chunked(path, chunk_rows=1000)[:5000], init.shape[0],
                 init=init, max_iter=2)
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            sys.exit(3)
        baseline = psutil.Process().memory_info().rss
        X = open_chunked(path, chunk_rows=int(chunk_rows))
        result = fit_dask(X, init.shape[0], init=init, max_iter=20)
        peak = _peak_rss()
        np.save(out_path + ".labels.npy", result.labels.compute())
    np.save(out_path + ".centers.npy", result.centers)
    json.dump(dict(baseline=baseline, peak=peak, inertia=result.inertia,
                   n_iter=result.n_iter), open(out_path, "w"))
""")


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status")
def test_out_of_core_fit_memory(tmp_path):
    pytest.importorskip("psutil")
    from kmeanslab import kmeans

    n_features, n_clusters = 8, 5
    n_samples = _out_of_core_bytes() // (8 * n_features)
    file_bytes = n_samples * n_features * 8
    path = tmp_path / "x.npy"
    # Written block by block through a memmap so this process stays small too.
    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64,
                                  shape=(n_samples, n_features))
    rng = np.random.default_rng(0)
    means = rng.uniform(-10, 10, size=(n_clusters, n_features))
    for start in range(0, n_samples, 500_000):
        stop = min(start + 500_000, n_samples)
        X[start:stop] = (means[rng.integers(0, n_clusters, stop - start)]
                         + rng.normal(size=(stop - start, n_features)))
    init = np.ascontiguousarray(X[:n_clusters])
    X.flush()
    del X
    np.save(tmp_path / "init.npy", init)

    out = tmp_path / "result.json"
    chunk_rows = max(1000, n_samples // 64)  # about 1/64 of the file per block
    proc = subprocess.run([sys.executable, "-c", _FIT_SCRIPT, str(path),
                           str(tmp_path / "init.npy"), str(out), str(chunk_rows)],
                          timeout=600)
    if proc.returncode == 3:
        pytest.skip("cannot reset the peak RSS (/proc/self/clear_refs)")
    assert proc.returncode == 0
    got = json.loads(out.read_text())
    grown = got["peak"] - got["baseline"]
    assert grown < file_bytes / 3, (
        f"peak RSS grew by {grown / 2**20:.0f} MiB for a "
        f"{file_bytes / 2**20:.0f} MiB file")

    ref = kmeans(np.load(path), n_clusters, init=init, max_iter=20)
    np.testing.assert_array_equal(np.load(str(out) + ".labels.npy"), ref.labels)
    np.testing.assert_allclose(np.load(str(out) + ".centers.npy"), ref.centers,
                               rtol=1e-10, atol=1e-10)
    assert got["inertia"] == pytest.approx(ref.inertia, rel=1e-9)
    assert got["n_iter"] == ref.n_iter
