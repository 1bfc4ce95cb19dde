"""Default fits and k-means++ seeding against scikit-learn on one thread,
timed in CPU time.

A shared machine's load stretches wall-clock times, and most of all those of
multi-threaded code waiting for a descheduled thread. On one thread, the CPU
time of the calling thread (``time.thread_time``) does not count the time
other jobs held the core, so these ratios stay comparable on a busy machine.
Both libraries run in this process, on the same data, best of 3:

    OPENBLAS_NUM_THREADS=1 NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 \\
        python benchmarks/bench_cpu_time.py

(the variables must be set before the libraries start their thread pools).
"""

from __future__ import annotations

import os
import time
import warnings

import numpy as np
from sklearn.cluster import KMeans as SKKMeans
from sklearn.cluster import kmeans_plusplus as sk_kmeans_plusplus
from sklearn.datasets import load_sample_image, make_blobs

from kmeanslab import KMeans, kmeans_plusplus


def workloads():
    china = load_sample_image("china.jpg").reshape(-1, 3) / 255.0
    return {
        "make_blobs 1M x 2, 8 centres, std 1.5, k=8":
            (make_blobs(1_000_000, n_features=2, centers=8, cluster_std=1.5,
                        random_state=0)[0], 8),
        "china.jpg pixels, k=64": (china, 64),
        "make_blobs 200k x 32, 64 centres, std 6, k=64":
            (make_blobs(200_000, n_features=32, centers=64, cluster_std=6,
                        random_state=0)[0], 64),
    }


def cpu_time(func, repeat=3):
    """Best CPU time of the calling thread over ``repeat`` calls, and the
    last call's result."""
    best, result = np.inf, None
    for _ in range(repeat):
        start = time.thread_time()
        result = func()
        best = min(best, time.thread_time() - start)
    return best, result


def main():
    warnings.simplefilter("ignore")
    for name in ("OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS", "OMP_NUM_THREADS"):
        if os.environ.get(name) != "1":
            raise SystemExit(f"set {name}=1 (see the module docstring)")
    print("one thread, CPU time of the calling thread, best of 3, random_state=0")
    print(f"{'workload':48s} {'kmeanslab':>10s} {'sklearn':>9s} {'ratio':>6s} "
          f"{'n_iter':>7s} {'WCSS rel':>9s} | {'++ kl':>7s} {'++ sk':>7s} {'ratio':>6s}")
    for name, (X, k) in workloads().items():
        KMeans(k, random_state=0).fit(X[:5000])  # compile outside the timing
        t_kl, kl = cpu_time(lambda: KMeans(k, random_state=0).fit(X))
        t_sk, sk = cpu_time(lambda: SKKMeans(k, random_state=0).fit(X))
        s_kl, _ = cpu_time(lambda: kmeans_plusplus(X, k, random_state=0))
        s_sk, _ = cpu_time(lambda: sk_kmeans_plusplus(X, k, random_state=0))
        print(f"{name:48s} {t_kl:9.3f}s {t_sk:8.3f}s {t_sk / t_kl:5.2f}x "
              f"{kl.n_iter_:3d}/{sk.n_iter_:<3d} {kl.inertia_ / sk.inertia_ - 1:9.1e} | "
              f"{s_kl:6.3f}s {s_sk:6.3f}s {s_sk / s_kl:5.2f}x", flush=True)


if __name__ == "__main__":
    main()
