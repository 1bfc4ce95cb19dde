"""Exact silhouette: kmeanslab versus scikit-learn, timed in one process.

Run ``python benchmarks/bench_silhouette.py`` (about a minute, most of it in
scikit-learn) or ``--quick`` for a smaller run. Every case prints n_samples,
n_features, n_clusters, dtype and threads; comparisons print both times and
their ratio, measured back to back on the same data and labels. The JIT is
warmed on a small problem of the same dtype first, so compile time is not
counted. Times are the best of ``--repeat`` runs for kmeanslab (one run for
scikit-learn, which takes seconds). The first case also times the floor the
kernel is bound by: n(n-1)/2 vectorised float64 square roots on the same
threads, with no memory traffic at all.
"""

from __future__ import annotations

import argparse
import math
import time

import numba
import numpy as np
from numba import njit, prange
from sklearn.datasets import make_blobs
from sklearn.metrics import silhouette_score as sk_silhouette_score

from kmeanslab.metrics import silhouette_score


def _best_time(func, repeat, with_cpu=False):
    """Best wall time of ``repeat`` calls (and the CPU time of that call, all
    threads: unlike wall time, it barely moves when other jobs share the cores)."""
    best, best_cpu = np.inf, np.nan
    value = None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        value = func()
        wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
        if wall < best:
            best, best_cpu = wall, cpu
    return (best, best_cpu, value) if with_cpu else (best, value)


def _case(n_samples, n_features, n_clusters, dtype, seed=0):
    X, labels = make_blobs(n_samples=n_samples, n_features=n_features,
                           centers=n_clusters, random_state=seed)
    return X.astype(dtype), labels


@njit(parallel=True, fastmath={"reassoc"})
def _sqrt_sum(values, reps, out):
    """The hardware floor: reps passes of vectorised sqrt over an L1-resident
    array, split over threads; no loads from memory, no per-cluster sums."""
    for chunk in prange(out.shape[0]):
        acc = 0.0
        for _ in range(reps):
            for t in range(values.shape[0]):
                acc += math.sqrt(values[t])
        out[chunk] = acc


def sqrt_bound(n_pairs, repeat):
    """Seconds to take ``n_pairs`` float64 square roots and sum them."""
    values = np.linspace(1.0, 2.0, 1024)
    out = np.empty(64)
    reps = max(1, int(n_pairs // (values.size * out.size)))
    _sqrt_sum(values, 1, out)
    seconds, _ = _best_time(lambda: _sqrt_sum(values, reps, out), repeat)
    return seconds * n_pairs / (reps * values.size * out.size)


def _header(X, labels):
    return (f"n_samples={X.shape[0]} n_features={X.shape[1]} "
            f"n_clusters={np.unique(labels).size} dtype={X.dtype} "
            f"threads={numba.get_num_threads()}")


def _warm(n_features, dtype):
    X, labels = _case(500, n_features, 3, dtype)
    silhouette_score(X, labels)


def compare(n_samples, n_features, n_clusters, dtype, repeat):
    """Time kmeanslab and scikit-learn on the same data; print the ratio."""
    _warm(n_features, dtype)
    X, labels = _case(n_samples, n_features, n_clusters, dtype)
    t_ours, cpu_ours, ours = _best_time(lambda: silhouette_score(X, labels), repeat,
                                        with_cpu=True)
    t_sk, cpu_sk, ref = _best_time(lambda: sk_silhouette_score(X, labels), 1,
                                   with_cpu=True)
    print(_header(X, labels))
    print(f"  kmeanslab {t_ours:8.3f} s  (cpu {cpu_ours:7.3f} s)  score={ours:.12f}")
    print(f"  sklearn   {t_sk:8.3f} s  (cpu {cpu_sk:7.3f} s)  score={ref:.12f}  "
          f"(|diff|/|ref| = {abs(ours - ref) / abs(ref):.1e})")
    print(f"  ratio sklearn/kmeanslab = {t_sk / t_ours:.1f}x "
          f"(cpu time ratio {cpu_sk / cpu_ours:.1f}x)")
    return t_ours


def alone(n_samples, n_features, n_clusters, dtype, repeat):
    """Time kmeanslab only (scikit-learn would take minutes)."""
    _warm(n_features, dtype)
    X, labels = _case(n_samples, n_features, n_clusters, dtype)
    t_ours, cpu_ours, ours = _best_time(lambda: silhouette_score(X, labels), repeat,
                                        with_cpu=True)
    print(_header(X, labels))
    print(f"  kmeanslab {t_ours:8.3f} s  (cpu {cpu_ours:7.3f} s)  score={ours:.12f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smaller problems (10,000 x 2, 25,000 x 2, 5,000 x 32)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="kmeanslab runs per case, best time kept (default 3)")
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    args = parser.parse_args(argv)
    dtype = np.dtype(args.dtype)
    scale = 4 if args.quick else 1
    print(f"numba {numba.__version__}, threading layer {numba.config.THREADING_LAYER}, "
          f"threads {numba.get_num_threads()}")
    n_samples = 40_000 // scale
    t_ours = compare(n_samples, 2, 8, dtype, args.repeat)
    n_pairs = n_samples * (n_samples - 1) // 2
    t_bound = sqrt_bound(n_pairs, args.repeat)
    print(f"  sqrt floor: {t_bound:.3f} s for the {n_pairs:.2e} square roots alone "
          f"(each pair once); kmeanslab at {t_bound / t_ours:.0%} of it")
    alone(100_000 // scale, 2, 8, dtype, args.repeat)
    compare(20_000 // scale, 32, 8, dtype, args.repeat)


if __name__ == "__main__":
    main()
