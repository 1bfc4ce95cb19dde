"""This machine's limits and thread control, for the benchmarks.

``measure_limits`` times a large matrix product (the GEMM peak, float32 and
float64, with one thread and with the benchmark's thread count) and a
streaming read of a large array (the memory bandwidth); ``MachineLimits``
turns those into the floor under one Lloyd iteration (reading X once, or
``2·n·k·d`` flops at the GEMM peak). ``limit_threads`` sets one thread count
for every pool a peer may use (BLAS and OpenMP through threadpoolctl, faiss's
OpenMP, numba) and restores the previous counts on exit. ``describe`` lists
the CPU, load and library versions for a report header.
"""

from __future__ import annotations

import os
import platform
import time
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

__all__ = ["MachineLimits", "describe", "limit_threads", "measure_limits", "pools"]


@dataclass(frozen=True)
class MachineLimits:
    """Measured peaks of this machine.

    Parameters
    ----------
    n_threads : int
        The thread count the benchmark runs with.
    gemm_gflops : dict
        ``{(dtype name, n_threads): GFLOP/s}`` of ``np.dot`` on square
        matrices, for 1 and ``n_threads`` threads.
    read_gbps : dict
        ``{n_threads: GB/s}`` of summing a large float64 array, for 1 and
        ``n_threads`` threads.
    """

    n_threads: int
    gemm_gflops: dict
    read_gbps: dict

    def gemm_peak(self, dtype):
        """GFLOP/s of a large GEMM in ``dtype`` with up to ``n_threads``
        threads: the best measured count, since on a loaded machine more
        threads can measure slower than one while the true peak cannot be."""
        name = np.dtype(dtype).name
        return max(v for (d, t), v in self.gemm_gflops.items()
                   if d == name and t <= self.n_threads)

    def read_bandwidth(self):
        """GB/s of a streaming read with up to ``n_threads`` threads (the
        best measured count, as for ``gemm_peak``)."""
        return max(v for t, v in self.read_gbps.items() if t <= self.n_threads)

    def read_seconds(self, nbytes):
        """Seconds to read ``nbytes`` once at the measured bandwidth."""
        return nbytes / (self.read_bandwidth() * 1e9)

    def gemm_seconds(self, n_samples, n_features, n_clusters, dtype):
        """Seconds for Lloyd's ``2·n·k·d`` distance flops at the GEMM peak."""
        flops = 2.0 * n_samples * n_features * n_clusters
        return flops / (self.gemm_peak(dtype) * 1e9)

    def lloyd_floor(self, n_samples, n_features, n_clusters, dtype):
        """The larger of the two floors under one Lloyd iteration.

        Returns
        -------
        seconds : float
        which : {"read", "gemm"}
            The limit that binds.
        """
        itemsize = np.dtype(dtype).itemsize
        read = self.read_seconds(n_samples * n_features * itemsize)
        gemm = self.gemm_seconds(n_samples, n_features, n_clusters, dtype)
        return (read, "read") if read >= gemm else (gemm, "gemm")

    def lines(self):
        """The measured limits as report lines."""
        one, many = 1, self.n_threads
        out = []
        for name in ("float64", "float32"):
            out.append(f"GEMM peak {name}: {self.gemm_gflops[(name, one)]:6.1f} "
                       f"GFLOP/s with 1 thread, {self.gemm_gflops[(name, many)]:6.1f} "
                       f"with {many}")
        out.append(f"streaming read: {self.read_gbps[one]:5.1f} GB/s with 1 thread, "
                   f"{self.read_gbps[many]:5.1f} GB/s with {many}")
        out.append(f"limits used (best of those): GEMM {self.gemm_peak(np.float64):.1f} "
                   f"(float64) and {self.gemm_peak(np.float32):.1f} (float32) GFLOP/s, "
                   f"read {self.read_bandwidth():.1f} GB/s")
        return out


def _best_seconds(fn, repeat):
    fn()
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def gemm_gflops(dtype, n_threads, size=2048, repeat=5):
    """GFLOP/s of ``np.dot`` on two ``size`` x ``size`` matrices, best of
    ``repeat`` after one warm-up, with BLAS limited to ``n_threads``."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size)).astype(dtype)
    b = rng.standard_normal((size, size)).astype(dtype)
    out = np.empty((size, size), dtype=dtype)
    with threadpool_limits(limits=n_threads, user_api="blas"):
        seconds = _best_seconds(lambda: np.dot(a, b, out=out), repeat)
    return 2.0 * size**3 / seconds / 1e9


_SUM_KERNEL = None


def _sum_kernel():
    """A numba kernel summing a float64 array in one block per thread
    (compiled on first use so importing this module stays cheap)."""
    global _SUM_KERNEL
    if _SUM_KERNEL is None:
        import numba

        # fastmath lets LLVM vectorise the sum, so the loop is bound by
        # memory, not by the latency of one serial add chain.
        @numba.njit(parallel=True, fastmath=True)
        def block_sum(x, n_blocks):
            block = (x.size + n_blocks - 1) // n_blocks
            partial = np.zeros(n_blocks)
            for b in numba.prange(n_blocks):
                total = 0.0
                for i in range(b * block, min((b + 1) * block, x.size)):
                    total += x[i]
                partial[b] = total
            return partial.sum()

        _SUM_KERNEL = block_sum
    return _SUM_KERNEL


def read_gbps(n_threads, nbytes=2**30, repeat=5):
    """GB/s of summing a float64 array of ``nbytes`` with ``n_threads``
    numba threads, best of ``repeat`` after one warm-up."""
    import numba

    x = np.ones(nbytes // 8)
    kernel = _sum_kernel()
    previous = numba.get_num_threads()
    numba.set_num_threads(min(n_threads, numba.config.NUMBA_NUM_THREADS))
    try:
        seconds = _best_seconds(lambda: kernel(x, n_threads), repeat)
    finally:
        numba.set_num_threads(previous)
    return x.nbytes / seconds / 1e9


def measure_limits(n_threads, quick=False):
    """Measure GEMM peaks and read bandwidth with 1 and ``n_threads`` threads.

    Parameters
    ----------
    n_threads : int
    quick : bool, default=False
        Smaller matrices (1024 instead of 2048) and array (256 MiB instead
        of 1 GiB), best of 5 instead of 7.

    Returns
    -------
    MachineLimits
    """
    size, nbytes, repeat = (1024, 2**28, 5) if quick else (2048, 2**30, 7)
    counts = sorted({1, n_threads})
    gemm = {(np.dtype(dtype).name, t): gemm_gflops(dtype, t, size, repeat)
            for dtype in (np.float64, np.float32) for t in counts}
    read = {t: read_gbps(t, nbytes, repeat) for t in counts}
    return MachineLimits(n_threads=n_threads, gemm_gflops=gemm, read_gbps=read)


@contextmanager
def limit_threads(n_threads):
    """Run the block with ``n_threads`` threads in every pool.

    BLAS and OpenMP libraries loaded so far (import scikit-learn, faiss and
    scipy first) go through threadpoolctl; faiss's OpenMP count and numba's
    count are set directly. All are restored on exit, even on error.
    """
    import numba
    from threadpoolctl import threadpool_limits

    try:
        import faiss
    except ImportError:  # optional peer
        faiss = None
    numba_before = numba.get_num_threads()
    faiss_before = faiss.omp_get_max_threads() if faiss is not None else None
    with threadpool_limits(limits=n_threads):
        numba.set_num_threads(min(n_threads, numba.config.NUMBA_NUM_THREADS))
        if faiss is not None:
            faiss.omp_set_num_threads(n_threads)
        try:
            yield
        finally:
            numba.set_num_threads(numba_before)
            if faiss is not None:
                faiss.omp_set_num_threads(faiss_before)


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe():
    """Report lines naming the CPU, the load and the libraries' versions."""
    import numba
    import sklearn
    from threadpoolctl import threadpool_info

    try:
        import faiss
        faiss_version = faiss.__version__
    except ImportError:
        faiss_version = "not installed"
    import kmeanslab

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    blas = sorted({f"{i['internal_api']} {i.get('version')} ({i.get('architecture')})"
                   for i in threadpool_info() if i["user_api"] == "blas"})
    return [f"cpu: {_cpu_model()}, {os.cpu_count()} logical cores, load average {load}",
            f"kmeanslab {kmeanslab.__version__}, numpy {np.__version__}, scikit-learn "
            f"{sklearn.__version__}, faiss-cpu {faiss_version}, numba {numba.__version__}",
            f"BLAS: {'; '.join(blas)}"]


def pools():
    """One report line: each loaded BLAS/OpenMP library and its thread count,
    and numba's (to show that ``limit_threads`` reached them all)."""
    import numba
    from threadpoolctl import threadpool_info

    counts = {}
    for info in threadpool_info():
        key = f"{info['internal_api']} ({info['user_api']})"
        counts.setdefault(key, set()).add(info["num_threads"])
    parts = [f"{key}: {'/'.join(map(str, sorted(n)))}" for key, n in sorted(counts.items())]
    return f"thread pools: {', '.join(parts)}, numba: {numba.get_num_threads()}"
