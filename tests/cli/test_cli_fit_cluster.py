"""kmeanslab fit on a real Dask cluster: a ``dask scheduler`` and two
``dask worker`` processes on 127.0.0.1 started here, the command run as
its own process with ``--scheduler``.

- A worker killed mid-fit: the same outputs as an undisturbed run.
- A file several times larger than the memory the command may grow by:
  its peak resident memory stays within a bound that does not depend on
  the file's size (the rows and labels stay on the workers). The growth is
  measured against the same command on a file of two blocks
  (``kmeanslab.io.DEFAULT_CHUNK_BYTES`` each) and more rows than the
  cluster figure draws, whose blocks in flight and figure cost what the
  large file's do.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

# The command's peak resident memory may exceed that of the same command
# on a small file by at most this much, whatever the file's size.
RSS_GROWTH_BOUND = 48 * 2**20
# The large file is this many times the bound by default, 4x that with
# KMEANSLAB_SCALE=1.
FILE_OVER_BOUND = 4


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dask_command():
    exe = Path(sys.executable).with_name("dask")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "distributed.cli.dask"]


class LocalProcesses:
    """A scheduler and workers as child processes; ``stop`` ends them all."""

    def __init__(self, tmp_path, n_workers=2):
        self.address = f"tcp://127.0.0.1:{_free_port()}"
        self.tmp = tmp_path
        self.procs = []
        self.workers = []
        port = self.address.rsplit(":", 1)[1]
        self.scheduler = self._start(
            _dask_command() + ["scheduler", "--host", "127.0.0.1", "--port", port,
                               "--no-dashboard"], "scheduler")
        for i in range(n_workers):
            self.add_worker(i)
        with distributed.Client(self.address, timeout=60) as client:
            client.wait_for_workers(n_workers, timeout=120)

    def _start(self, args, name):
        log = open(self.tmp / f"{name}.log", "wb")
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs.append(proc)
        return proc

    def add_worker(self, i):
        worker = self._start(
            _dask_command() + ["worker", self.address, "--nthreads", "1",
                               "--no-nanny", "--no-dashboard",
                               "--name", f"w{i}-{len(self.procs)}",
                               "--local-directory", str(self.tmp / "dask")],
            f"worker{len(self.procs)}")
        self.workers.append(worker)
        return worker

    def stop(self):
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 20
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def cluster(tmp_path):
    procs = LocalProcesses(tmp_path)
    try:
        yield procs
    finally:
        procs.stop()


def _fit(cluster, data, out, *extra):
    """Start ``kmeanslab fit DATA`` on the cluster as a process."""
    args = [sys.executable, "-c", "from kmeanslab.cli.main import cli; cli()",
            "fit", str(data), "--k", "5",
            "--random-state", "0", "--scheduler", cluster.address,
            "--out", str(out), "--quiet", "--force", *extra]
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=env)


def _finish(proc):
    """(exit code, output, peak resident bytes) of a started command."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    output = proc.stdout.read().decode()
    return proc.returncode, output, usage.ru_maxrss * 1024


def _write_blobs(path, n_samples, n_features, seed=0):
    """A .npy of blobs written a block at a time (this process stays small)."""
    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64,
                                  shape=(n_samples, n_features))
    rng = np.random.default_rng(seed)
    means = rng.uniform(-10, 10, size=(5, n_features))
    for start in range(0, n_samples, 200_000):
        stop = min(start + 200_000, n_samples)
        X[start:stop] = (means[rng.integers(0, 5, stop - start)]
                         + rng.normal(size=(stop - start, n_features)))
    X.flush()
    del X
    return path


def _steps_started(client):
    return client.run_on_scheduler(lambda dask_scheduler: sum(
        "group_step_task" in str(key) for key in dask_scheduler.tasks))


@pytest.mark.skipif(sys.platform != "linux", reason="uses os.wait4")
def test_worker_killed_mid_fit_gives_the_same_result(cluster, tmp_path):
    data = _write_blobs(tmp_path / "x.npy", 200_000, 4)
    undisturbed = tmp_path / "undisturbed"
    code, output, _ = _finish(_fit(cluster, data, undisturbed, "--refine", "none"))
    assert code == 0, output

    disturbed = tmp_path / "disturbed"
    proc = _fit(cluster, data, disturbed, "--refine", "none")
    with distributed.Client(cluster.address, timeout=30) as client:
        deadline = time.monotonic() + 120
        while _steps_started(client) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, "the fit ended before a worker could be killed"
        os.kill(cluster.workers[0].pid, signal.SIGKILL)
    code, output, _ = _finish(proc)
    assert code == 0, output
    assert cluster.workers[0].wait(timeout=10) == -signal.SIGKILL
    for name in ("centers.csv", "labels.csv", "trace.csv"):
        if name == "trace.csv":  # its elapsed times differ
            import pandas as pd

            a = pd.read_csv(undisturbed / name).drop(columns="elapsed")
            b = pd.read_csv(disturbed / name).drop(columns="elapsed")
            pd.testing.assert_frame_equal(a, b)
        else:
            assert (undisturbed / name).read_bytes() == (disturbed / name).read_bytes()


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="uses os.wait4")
def test_client_memory_does_not_grow_with_the_file(cluster, tmp_path):
    """A .npy FILE_OVER_BOUND times RSS_GROWTH_BOUND (4x more with
    KMEANSLAB_SCALE=1), labels written as Parquet: the command's peak RSS
    exceeds that of the same command on a file of two blocks by less than
    the bound."""
    from kmeanslab.io import DEFAULT_CHUNK_BYTES

    n_features = 16
    scale = 4 if float(os.environ.get("KMEANSLAB_SCALE", "0")) >= 1 else 1
    file_bytes = FILE_OVER_BOUND * scale * RSS_GROWTH_BOUND
    n_samples = file_bytes // (8 * n_features)
    small = _write_blobs(tmp_path / "small.npy",
                         2 * DEFAULT_CHUNK_BYTES // (8 * n_features), n_features)
    large = _write_blobs(tmp_path / "large.npy", n_samples, n_features)

    code, output, baseline = _finish(_fit(cluster, small, tmp_path / "small-out",
                                          "--format", "parquet"))
    assert code == 0, output
    code, output, peak = _finish(_fit(cluster, large, tmp_path / "large-out",
                                      "--format", "parquet"))
    assert code == 0, output
    grown = peak - baseline
    assert grown < RSS_GROWTH_BOUND, (
        f"peak RSS {peak / 2**20:.0f} MiB, {grown / 2**20:.0f} MiB above the "
        f"{baseline / 2**20:.0f} MiB of a {os.path.getsize(small) / 2**20:.0f} "
        f"MiB file, for a {os.path.getsize(large) / 2**20:.0f} MiB file")
    import pyarrow.parquet as pq

    labels = pq.ParquetFile(tmp_path / "large-out" / "labels.parquet")
    assert labels.metadata.num_rows == n_samples
    assert labels.metadata.num_row_groups > 1
    shutil.rmtree(tmp_path / "large-out")
