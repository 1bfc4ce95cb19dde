"""kmeanslab on Dask against dask-ml's KMeans and kmeanslab in memory.

    python benchmarks/bench_dask.py                 # the issue's workload, all parts
    python benchmarks/bench_dask.py --quick         # 10x smaller
    python benchmarks/bench_dask.py --parts fit,iterations --skip-dask-ml

Everything runs on a ``LocalCluster(n_workers=2, threads_per_worker=1,
processes=True)``. The data is ``make_blobs(n, 2, centers=8,
cluster_std=1.5, random_state=0)`` made in this process and persisted on
the workers as ``da.from_array(X, chunks=(250_000, 2))`` (the workload of
issue 13); the in-memory fits get the same array.

Parts (``--parts``):

fit
    Default fits, ``KMeans(8, random_state=seed)``: kmeanslab on Dask,
    dask_ml.cluster.KMeans on the same dask array (``--skip-dask-ml`` to
    leave it out; it is the ``bench`` extra) and kmeanslab in memory (all
    cores). Times are the best of ``--repeat`` with seed 0; every peer's
    WCSS is computed here from its centres (dask-ml's own ``inertia_``
    is not the WCSS). Then the mean WCSS over seeds 0 to 4 of the Dask and
    the in-memory fits. Targets: >= 10x faster than dask-ml, <= 2x the
    in-memory time, mean WCSS within 0.1% of the in-memory fit's.
iterations
    Seconds per iteration on Dask (median over iterations 2 to 10 of the
    trace, tol=0, the same initial centres) against the in-memory engine,
    for 8, 32 and 128 blocks of the same rows: the scheduling cost per
    iteration should not grow with the number of blocks. Target with 8
    blocks: <= 1.5x the in-memory iteration.
scaling
    Seconds per Dask iteration with 8 blocks for n = 2M, 5M, 10M and 20M
    rows (blobs made block by block on the workers): it should grow
    linearly in n.
breathing
    ``refine="breathing"`` on SIPU Birch1 (100,000 x 2, 100 clusters; needs
    the data folder, see ``kmeanslab.datasets.load_sipu``) as a dask array of
    4 blocks, seeds 0 to 4: the Centroid Index to the ground truth and the
    time against the in-memory breathing fit. Target: CI = 0 in 5 of 5
    seeds, <= 3x the in-memory time.

The machine may be shared: compare the ratios within one run.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

N_FEATURES = 2
N_CLUSTERS = 8
CLUSTER_STD = 1.5
CHUNK_ROWS = 250_000
SEEDS = range(5)
PARTS = ("fit", "iterations", "scaling", "breathing")


def blobs(n_samples, seed=0):
    from sklearn.datasets import make_blobs

    X, _ = make_blobs(n_samples=n_samples, n_features=N_FEATURES,
                      centers=N_CLUSTERS, cluster_std=CLUSTER_STD,
                      random_state=seed)
    return X


def persisted(X, chunk_rows):
    import dask.array as da
    from distributed import wait

    Xd = da.from_array(X, chunks=(chunk_rows, X.shape[1])).persist()
    wait(Xd)
    return Xd


def _blobs_block(block_id=None, *, rows, centers, seed):
    """One block of make_blobs around shared centres, seeded by block."""
    from sklearn.datasets import make_blobs

    X, _ = make_blobs(n_samples=rows[block_id[0]], centers=centers,
                      cluster_std=CLUSTER_STD, random_state=seed + block_id[0])
    return X


def blobs_on_workers(n_samples, n_blocks, seed=0):
    """A persisted n_samples x 2 dask array made block by block on the
    workers (only the centres are sent from here)."""
    import dask.array as da
    from distributed import wait

    centers = np.random.default_rng(seed).uniform(-10, 10, (N_CLUSTERS, N_FEATURES))
    rows = tuple(int(r) for r in np.diff(np.linspace(0, n_samples, n_blocks + 1)
                                         .astype(np.int64)))
    X = da.map_blocks(_blobs_block, rows=rows, centers=centers, seed=seed,
                      chunks=(rows, (N_FEATURES,)), dtype=np.float64,
                      meta=np.empty((0, N_FEATURES))).persist()
    wait(X)
    return X


def wcss(X, centers):
    """Sum of squared distances of the rows of X to their nearest centre,
    measured the same way for every peer."""
    from kmeanslab.backends import get_backend

    backend = get_backend(np.ascontiguousarray(X), np.ones(X.shape[0]))
    _, sq_dists = backend.assign(np.asarray(centers, dtype=X.dtype))
    return float(sq_dists.sum(dtype=np.float64))


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def best_time(fn, repeat):
    runs = [timed(fn) for _ in range(repeat)]
    return min(t for t, _ in runs), runs[-1][1]


def part_fit(n_samples, repeat, with_dask_ml):
    from kmeanslab.estimator import KMeans

    X = blobs(n_samples)
    Xd = persisted(X, CHUNK_ROWS // (2_000_000 // n_samples))
    # Warm the JIT on both sides (workers and this process).
    KMeans(N_CLUSTERS, random_state=0).fit(Xd[:20_000])
    KMeans(N_CLUSTERS, random_state=0).fit(X[:20_000])

    def fit(data, seed):
        return lambda: KMeans(N_CLUSTERS, random_state=seed).fit(data)

    rows = []
    t_dask, est = best_time(fit(Xd, 0), repeat)
    rows.append(("kmeanslab-dask", t_dask, est.cluster_centers_, est.n_iter_))
    t_mem, est = best_time(fit(X, 0), repeat)
    rows.append(("kmeanslab-memory", t_mem, est.cluster_centers_, est.n_iter_))
    if with_dask_ml:
        from dask_ml.cluster import KMeans as DaskMLKMeans

        t_ml, est = timed(lambda: DaskMLKMeans(n_clusters=N_CLUSTERS,
                                               random_state=0).fit(Xd))
        rows.append(("dask-ml", t_ml, est.cluster_centers_, int(est.n_iter_)))
    print(f"\n== default fits, seed 0: make_blobs {n_samples:,} x {N_FEATURES}, "
          f"k={N_CLUSTERS}, cluster_std={CLUSTER_STD}, {Xd.numblocks[0]} blocks ==")
    print(f"{'fit':<18}{'seconds':>10}{'n_iter':>8}{'WCSS':>16}")
    for name, t, centers, n_iter in rows:
        print(f"{name:<18}{t:>10.3f}{n_iter:>8d}{wcss(X, centers):>16.7g}")
    print(f"kmeanslab-dask / kmeanslab-memory time: {t_dask / t_mem:.2f}x "
          f"(target <= 2)")
    if with_dask_ml:
        print(f"dask-ml / kmeanslab-dask time:          {t_ml / t_dask:.1f}x "
              f"(target >= 10)")

    totals = {"kmeanslab-dask": [], "kmeanslab-memory": []}
    print(f"\n== WCSS over seeds {SEEDS.start} to {SEEDS.stop - 1} ==")
    print(f"{'seed':>4}{'dask WCSS':>16}{'memory WCSS':>16}{'dask s':>9}{'memory s':>10}")
    for seed in SEEDS:
        t_d, est_d = timed(fit(Xd, seed))
        t_m, est_m = timed(fit(X, seed))
        w_d, w_m = wcss(X, est_d.cluster_centers_), wcss(X, est_m.cluster_centers_)
        totals["kmeanslab-dask"].append((w_d, t_d))
        totals["kmeanslab-memory"].append((w_m, t_m))
        print(f"{seed:>4}{w_d:>16.7g}{w_m:>16.7g}{t_d:>9.3f}{t_m:>10.3f}")
    mean_d = np.mean([w for w, _ in totals["kmeanslab-dask"]])
    mean_m = np.mean([w for w, _ in totals["kmeanslab-memory"]])
    time_d = np.sum([t for _, t in totals["kmeanslab-dask"]])
    time_m = np.sum([t for _, t in totals["kmeanslab-memory"]])
    print(f"mean WCSS dask / memory: {mean_d / mean_m:.5f} (target <= 1.001); "
          f"total time dask / memory: {time_d / time_m:.2f}x")


def _per_iteration(result):
    """Median seconds per iteration, iterations 2 to 10 of the trace (the
    first includes allocating the labels)."""
    elapsed = np.asarray(result.trace.elapsed)
    return float(np.median(np.diff(elapsed[:10])))


def part_iterations(n_samples, n_iter):
    from kmeanslab import kmeans
    from kmeanslab.core import fit_dask

    X = blobs(n_samples)
    init = X[:N_CLUSTERS].copy()
    kmeans(X[:20_000], N_CLUSTERS, init=init, max_iter=3)
    ref = kmeans(X, N_CLUSTERS, init=init, tol=0.0, max_iter=n_iter)
    t_mem = _per_iteration(ref)
    print(f"\n== seconds per iteration, {n_samples:,} x {N_FEATURES}, "
          f"k={N_CLUSTERS}, {ref.algorithm}, tol=0, {n_iter} iterations ==")
    print(f"{'fit':<22}{'blocks':>8}{'s/iter':>10}{'/ memory':>10}")
    print(f"{'kmeanslab-memory':<22}{'-':>8}{t_mem:>10.4f}{1.0:>10.2f}")
    for n_blocks in (8, 32, 128):
        Xd = persisted(X, -(-n_samples // n_blocks))
        fit_dask(Xd[:20_000], N_CLUSTERS, init=init, max_iter=3)
        r = fit_dask(Xd, N_CLUSTERS, init=init, tol=0.0, max_iter=n_iter)
        t = _per_iteration(r)
        target = " (target <= 1.5)" if n_blocks == 8 else ""
        print(f"{'kmeanslab-dask':<22}{Xd.numblocks[0]:>8}{t:>10.4f}"
              f"{t / t_mem:>10.2f}{target}")
        del Xd


def part_scaling(sizes, n_iter):
    from kmeanslab.core import fit_dask

    print(f"\n== seconds per Dask iteration, 8 blocks, tol=0, {n_iter} "
          f"iterations ==")
    print(f"{'n_samples':>12}{'s/iter':>10}{'ns/row':>9}")
    for n in sizes:
        X = blobs_on_workers(n, 8)
        init = X[:N_CLUSTERS].compute()
        r = fit_dask(X, N_CLUSTERS, init=init, tol=0.0, max_iter=n_iter)
        per = _per_iteration(r)
        print(f"{n:>12,}{per:>10.4f}{per / n * 1e9:>9.2f}")
        del X


def part_breathing():
    from kmeanslab import kmeans
    from kmeanslab.core import fit_dask
    from kmeanslab.datasets import load_sipu
    from kmeanslab.metrics import centroid_index

    try:
        data = load_sipu("birch1")
    except FileNotFoundError as exc:
        print(f"\n== breathing: skipped ({exc}) ==")
        return
    Xd = persisted(data.X, -(-data.X.shape[0] // 4))
    fit_dask(Xd[:5000], 10, refine="breathing", random_state=0)
    kmeans(data.X[:5000], 10, refine="breathing", random_state=0)
    print(f"\n== breathing k-means on Birch1 ({data.X.shape[0]:,} x 2, "
          f"k={data.n_clusters}), 4 blocks ==")
    print(f"{'seed':>4}{'dask s':>9}{'CI':>4}{'memory s':>10}{'CI':>4}{'ratio':>7}")
    ratios, found = [], 0
    for seed in SEEDS:
        t_d, r_d = timed(lambda: fit_dask(Xd, data.n_clusters, refine="breathing",
                                          random_state=seed))
        t_m, r_m = timed(lambda: kmeans(data.X, data.n_clusters, refine="breathing",
                                        random_state=seed))
        ci_d = centroid_index(r_d.centers, data.centers)
        ci_m = centroid_index(r_m.centers, data.centers)
        found += ci_d == 0
        ratios.append(t_d / t_m)
        print(f"{seed:>4}{t_d:>9.2f}{ci_d:>4}{t_m:>10.2f}{ci_m:>4}{t_d / t_m:>7.2f}")
    print(f"CI = 0 on Dask in {found} of {len(SEEDS)} seeds (target all); "
          f"time dask / memory: median {np.median(ratios):.2f}x, "
          f"max {max(ratios):.2f}x (target <= 3)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10x smaller sizes")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-dask-ml", action="store_true")
    parser.add_argument("--parts", default=",".join(PARTS),
                        help=f"comma-separated, of {', '.join(PARTS)}")
    args = parser.parse_args()
    parts = args.parts.split(",")
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts: {sorted(unknown)}")

    import dask
    import distributed

    s = 10 if args.quick else 1
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                  processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        print(f"dask {dask.__version__}, distributed {distributed.__version__}, "
              f"2 worker processes x 1 thread, {os.cpu_count()} cores, "
              f"{platform.processor() or platform.machine()}, "
              f"load average {os.getloadavg()[0]:.1f}")
        if "fit" in parts:
            part_fit(2_000_000 // s, args.repeat, not args.skip_dask_ml)
        if "iterations" in parts:
            part_iterations(2_000_000 // s, n_iter=12)
        if "scaling" in parts:
            part_scaling([n // s for n in (2_000_000, 5_000_000, 10_000_000,
                                           20_000_000)], n_iter=8)
        if "breathing" in parts:
            part_breathing()


if __name__ == "__main__":
    main()
