"""kmeanslab's engine against scikit-learn (lloyd, elkan) and faiss-cpu.

Every peer runs in this process on the same data from the same initial
centres for a fixed number of iterations (tol=0), so times are comparable
as ratios within one run. Then default end-to-end fits are compared over
seeds (time and inertia).

    python benchmarks/bench_engine.py            # full table
    python benchmarks/bench_engine.py --quick    # smaller data
    python benchmarks/bench_engine.py --only blobs-1M-2
    python benchmarks/bench_engine.py --crossover  # lloyd direct vs BLAS by n_features

Times are the best of --repeat runs. The machine is shared and noisy:
compare the printed ratios, not absolute times across runs.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.cluster import KMeans as SKKMeans
from sklearn.cluster import kmeans_plusplus
from sklearn.datasets import load_sample_image, make_blobs

import kmeanslab
from kmeanslab import KMeans

try:
    import faiss
except ImportError:  # optional peer
    faiss = None

try:
    from sklearnex.cluster import KMeans as ExKMeans
except ImportError:  # optional peer
    ExKMeans = None


def workloads(quick):
    s = 10 if quick else 1

    def blobs(n, d, k, dtype):
        X, _ = make_blobs(n_samples=n // s, n_features=d, centers=k, random_state=0)
        return X.astype(dtype)

    def china():
        img = load_sample_image("china.jpg")
        X = (img.reshape(-1, 3) / 255.0).astype(np.float64)
        return X[: len(X) // s]

    return {
        "blobs-1M-2": (lambda: blobs(1_000_000, 2, 8, np.float64), 8),
        "china-pixels": (china, 64),
        "blobs-200k-32": (lambda: blobs(200_000, 32, 64, np.float64), 64),
        "blobs-100k-128": (lambda: blobs(100_000, 128, 256, np.float64), 256),
        "blobs-100k-128-f32": (lambda: blobs(100_000, 128, 256, np.float32), 256),
    }


def best_time(fn, repeat):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def wcss(X, centers):
    X64 = X.astype(np.float64)
    c = centers.astype(np.float64)
    d = (X64**2).sum(1)[:, None] - 2 * X64 @ c.T + (c**2).sum(1)[None, :]
    return float(np.maximum(d.min(1), 0).sum())


def fixed_iterations(name, X, k, n_iter, repeat):
    init, _ = kmeans_plusplus(X, k, random_state=0)
    rows = []

    def kl(algorithm):
        def run():
            m = KMeans(k, init=init, n_init=1, max_iter=n_iter, tol=0,
                       algorithm=algorithm).fit(X)
            return m.cluster_centers_, m.n_iter_
        return run

    def sk(algorithm):
        def run():
            m = SKKMeans(k, init=init, n_init=1, max_iter=n_iter, tol=0,
                         algorithm=algorithm).fit(X)
            return m.cluster_centers_, m.n_iter_
        return run

    peers = [("sklearn lloyd", sk("lloyd")), ("sklearn elkan", sk("elkan")),
             ("kmeanslab lloyd", kl("lloyd")), ("kmeanslab hamerly", kl("hamerly")),
             ("kmeanslab auto", kl("auto"))]
    if ExKMeans is not None:
        def ex():
            m = ExKMeans(k, init=init, n_init=1, max_iter=n_iter, tol=0).fit(X)
            return m.cluster_centers_, m.n_iter_
        peers.append(("sklearnex", ex))
    if faiss is not None:
        X32 = np.ascontiguousarray(X, dtype=np.float32)
        init32 = np.ascontiguousarray(init, dtype=np.float32)

        def fa():
            km = faiss.Kmeans(X.shape[1], k, niter=n_iter, seed=0,
                              max_points_per_centroid=10**9)
            km.train(X32, init_centroids=init32)
            return km.centroids, n_iter
        peers.append(("faiss-cpu (f32)", fa))

    times = {}
    for label, fn in peers:
        t, (centers, iters) = best_time(fn, repeat)
        times[label] = t
        rows.append((label, t, iters, wcss(X, centers)))
    ref = times["sklearn lloyd"]
    print(f"\n== {name}: n_samples={X.shape[0]}, n_features={X.shape[1]}, "
          f"n_clusters={k}, dtype={X.dtype}, {n_iter} iterations (tol=0), "
          f"threads={_threads()}")
    print(f"{'method':<20}{'time s':>10}{'iters':>7}{'vs sklearn lloyd':>18}"
          f"{'vs faiss':>10}{'inertia':>16}")
    for label, t, iters, inertia in rows:
        vs_faiss = (f"{times['faiss-cpu (f32)'] / t:9.2f}x"
                    if "faiss-cpu (f32)" in times else "       -")
        print(f"{label:<20}{t:10.3f}{iters:7d}{ref / t:17.2f}x{vs_faiss:>10}"
              f"{inertia:16.6g}")
    return times


def end_to_end(name, X, k, seeds, repeat):
    kl_t, sk_t, kl_i, sk_i = [], [], [], []
    for s in seeds:
        t, m = best_time(lambda: KMeans(k, random_state=s).fit(X), repeat)
        kl_t.append(t)
        kl_i.append(m.inertia_)
        t, m = best_time(lambda: SKKMeans(k, random_state=s).fit(X), repeat)
        sk_t.append(t)
        sk_i.append(m.inertia_)
    print(f"\n== default fit {name}: KMeans({k}, random_state=s) for s in {list(seeds)}")
    print(f"  kmeanslab {np.mean(kl_t):.3f} s   sklearn {np.mean(sk_t):.3f} s   "
          f"speed-up {np.mean(sk_t) / np.mean(kl_t):.2f}x   mean inertia ratio "
          f"(kmeanslab/sklearn) {np.mean(kl_i) / np.mean(sk_i):.6f}")


def crossover(repeat):
    """Lloyd direct distances vs the BLAS path, by n_features."""
    from kmeanslab._kernels import common

    print("\n== lloyd direct vs BLAS path (100k samples, k=64, 10 iterations)")
    for d in (2, 4, 8, 12, 16, 24, 32, 64):
        X, _ = make_blobs(n_samples=100_000, n_features=d, centers=64, random_state=0)
        init, _ = kmeans_plusplus(X, 64, random_state=0)
        out = {}
        for threshold, label in ((10**9, "direct"), (0, "blas")):
            common.BLAS_MIN_FEATURES = threshold
            out[label], _ = best_time(lambda: KMeans(64, init=init, max_iter=10, tol=0,
                                                     algorithm="lloyd").fit(X), repeat)
        print(f"  n_features={d:4d} direct {out['direct']:.3f} s  blas {out['blas']:.3f} s")
    common.BLAS_MIN_FEATURES = 16


def _threads():
    import numba

    return numba.get_num_threads()


def warm_up():
    X, _ = make_blobs(n_samples=3000, n_features=2, centers=4, random_state=0)
    for dtype in (np.float64, np.float32):
        for d in (2, 32):
            Xd = np.tile(X.astype(dtype), (1, d // 2))
            for algorithm in ("lloyd", "hamerly"):
                KMeans(4, algorithm=algorithm, random_state=0).fit(Xd)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", action="append")
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--crossover", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    warm_up()
    print(f"kmeanslab {kmeanslab.__version__}, faiss "
          f"{'yes' if faiss is not None else 'not installed'}, sklearnex "
          f"{'yes' if ExKMeans is not None else 'not installed'}")
    if args.crossover:
        crossover(args.repeat)
        return
    for name, (make, k) in workloads(args.quick).items():
        if args.only and name not in args.only:
            continue
        X = make()
        fixed_iterations(name, X, k, args.iterations, args.repeat)
        if name in ("blobs-1M-2", "china-pixels", "blobs-200k-32"):
            end_to_end(name, X, k, range(args.seeds), 1)


if __name__ == "__main__":
    main()
