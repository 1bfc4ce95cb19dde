"""kmeanslab's engine against scikit-learn (lloyd, elkan) and faiss-cpu, per iteration.

Every peer runs in this one process, with the same thread count (``--threads``,
default 2: BLAS and OpenMP through threadpoolctl, faiss's OpenMP, numba and
kmeanslab's ``n_threads``), on the same data from the same initial centres
(scikit-learn's k-means++ with seed 0), tol=0 and ``--max-iter`` (default 20).
kmeanslab runs every algorithm it accepts (read from the package, aliases
dropped), scikit-learn runs lloyd and elkan, and faiss-cpu (float32 only)
runs exactly as many iterations as kmeanslab's lloyd. Each fit is timed best
of ``--repeat`` after the JIT is warm, and reported as time per iteration
(fit time / its own ``n_iter_``) with the speed-up of kmeanslab's fastest
algorithm over each peer. The machine's GEMM peak and streaming-read
bandwidth are measured first, and every row shows the fraction of those
limits it reaches. The hard workloads (overlapping clusters, high dimensions)
come first, then the old well-separated ones labelled "easy"; the first three
are also fitted end to end with defaults over ``--seeds`` seeds. ``--grid``
sweeps n_features x n_clusters x spread and reports which kmeanslab algorithm
is fastest in each cell and what ``algorithm="auto"`` picked; ``--crossover``
times Lloyd's direct distances against its BLAS path by n_features. The
machine is shared and noisy: compare ratios within one run. ::

    python benchmarks/bench_engine.py                       # full table
    python benchmarks/bench_engine.py --quick               # a tenth of the rows
    python benchmarks/bench_engine.py --only china-pixels --repeat 5
    python benchmarks/bench_engine.py --grid                # n_features x n_clusters
    python benchmarks/bench_engine.py --grid --quick --spread overlap --spread separated
    python benchmarks/bench_engine.py --crossover
    python benchmarks/bench_engine.py --only blobs-200k-32-std6 --compare-fits lloyd --compare-fits hamerly
    python benchmarks/bench_engine.py --out benchmarks/results/bench_engine.txt
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from _machine import describe, limit_threads, measure_limits, pools
from sklearn.cluster import KMeans as SKKMeans
from sklearn.cluster import kmeans_plusplus
from sklearn.datasets import load_sample_image, make_blobs

from kmeanslab import KMeans

try:
    import faiss
except ImportError:  # optional peer: pip install -e ".[bench]"
    faiss = None

#: Workloads also fitted end to end with default parameters (the first three).
N_END_TO_END = 3
#: Grid axes; spreads are cluster_std as a multiple of the median distance
#: from a centre to its nearest other centre (0.5: neighbours overlap, a point
#: lies on the wrong side of the bisector with probability Phi(-1) = 16%).
GRID_FEATURES = (2, 3, 8, 32, 128, 384)
GRID_CLUSTERS = (8, 64, 256, 1024)
QUICK_GRID_FEATURES = (2, 8, 128)
QUICK_GRID_CLUSTERS = (8, 256)
SPREADS = {"overlap": 0.5, "separated": 0.1}
#: ``algorithm="auto"`` passes a grid cell when within this factor of the fastest.
AUTO_TOLERANCE = 1.10


# --------------------------------------------------------------------------- data

@dataclass(frozen=True)
class Workload:
    """One benchmark data set: ``make(n_samples)`` builds X; ``kind`` is
    "hard" or "easy"."""

    name: str
    kind: str
    n_samples: int
    n_clusters: int
    make: object
    description: str


def _blobs(n_features, centers, cluster_std, dtype):
    def make(n_samples):
        X, _ = make_blobs(n_samples=n_samples, n_features=n_features, centers=centers,
                          cluster_std=cluster_std, random_state=0)
        return X.astype(dtype)
    return make


def _china(n_samples):
    img = load_sample_image("china.jpg")
    X = (img.reshape(-1, 3) / 255.0).astype(np.float64)
    return np.ascontiguousarray(X[:n_samples])


def _embedding_like(n_samples, n_features=384, n_latent=32, n_components=256, seed=0):
    """Unit-norm float32 rows near a 32-d subspace, like sentence embeddings.

    A mixture of ``n_components`` Gaussians in ``n_latent`` dimensions
    (means N(0, 4 I), unit within-component covariance) is mapped to
    ``n_features`` by a Gaussian matrix scaled by 1/sqrt(n_latent), isotropic
    noise of standard deviation 0.25 is added, and rows are normalised.
    """
    rng = np.random.default_rng(seed)
    means = 2.0 * rng.standard_normal((n_components, n_latent))
    latent = means[rng.integers(n_components, size=n_samples)]
    latent += rng.standard_normal((n_samples, n_latent))
    mapping = rng.standard_normal((n_latent, n_features)) / np.sqrt(n_latent)
    X = latent @ mapping + 0.25 * rng.standard_normal((n_samples, n_features))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X.astype(np.float32)


def workloads():
    """Hard workloads first (issue 10's table), then the easy ones."""
    f64, f32 = np.float64, np.float32
    return [
        Workload("blobs-1M-2-std1.5", "hard", 1_000_000, 8, _blobs(2, 8, 1.5, f64),
                 "make_blobs, 8 centres, cluster_std=1.5"),
        Workload("china-pixels", "hard", 273_280, 64, _china,
                 "china.jpg pixels / 255"),
        Workload("blobs-200k-32-std6", "hard", 200_000, 64, _blobs(32, 64, 6.0, f64),
                 "make_blobs, 64 centres, cluster_std=6"),
        Workload("blobs-100k-128-std8", "hard", 100_000, 256, _blobs(128, 50, 8.0, f64),
                 "make_blobs, 50 centres, cluster_std=8"),
        Workload("blobs-100k-128-std8-f32", "hard", 100_000, 256,
                 _blobs(128, 50, 8.0, f32), "make_blobs, 50 centres, cluster_std=8"),
        Workload("embedding-100k-384-f32", "hard", 100_000, 1024, _embedding_like,
                 "unit-norm 32-d Gaussian mixture mapped to 384-d plus noise"),
        Workload("easy-blobs-1M-2", "easy", 1_000_000, 8, _blobs(2, 8, 1.0, f64),
                 "make_blobs, 8 centres, cluster_std=1 (well separated)"),
        Workload("easy-blobs-200k-32", "easy", 200_000, 64, _blobs(32, 64, 1.0, f64),
                 "make_blobs, 64 centres, cluster_std=1 (well separated)"),
        Workload("easy-blobs-100k-128", "easy", 100_000, 256, _blobs(128, 256, 1.0, f64),
                 "make_blobs, 256 centres, cluster_std=1 (well separated)"),
        Workload("easy-blobs-100k-128-f32", "easy", 100_000, 256,
                 _blobs(128, 256, 1.0, f32),
                 "make_blobs, 256 centres, cluster_std=1 (well separated)"),
    ]


def grid_data(n_samples, n_features, n_clusters, spread, dtype):
    """Gaussian clusters around centres uniform in [-10, 10]^d, equally likely,
    with cluster_std = SPREADS[spread] x the median nearest-centre distance.
    The centres depend on (n_features, n_clusters) only, so a pilot with fewer
    rows has the same clusters."""
    rng = np.random.default_rng([0, n_features, n_clusters])
    centres = rng.uniform(-10.0, 10.0, size=(n_clusters, n_features))
    sq_norms = (centres**2).sum(1)
    sq_dist = sq_norms[:, None] - 2.0 * centres @ centres.T + sq_norms[None, :]
    np.fill_diagonal(sq_dist, np.inf)
    nearest = np.sqrt(np.maximum(sq_dist.min(1), 0.0))
    std = SPREADS[spread] * float(np.median(nearest)) if n_clusters > 1 else 1.0
    X = centres[rng.integers(n_clusters, size=n_samples)]
    X += std * rng.standard_normal((n_samples, n_features))
    return X.astype(dtype)


def wcss(X, centers, chunk=8192):
    """Sum of squared distances from each row of X to its nearest centre, in
    float64, the same function for every peer."""
    c = np.asarray(centers, dtype=np.float64)
    c_sq = (c**2).sum(1)
    total = 0.0
    for start in range(0, len(X), chunk):
        x = np.asarray(X[start:start + chunk], dtype=np.float64)
        sq_dist = (x**2).sum(1)[:, None] - 2.0 * x @ c.T + c_sq[None, :]
        total += float(np.maximum(sq_dist.min(1), 0.0).sum())
    return total


# -------------------------------------------------------------------------- peers

@dataclass
class Run:
    """One peer's best fit: total seconds, its own iteration count, centres."""

    label: str
    seconds: float
    n_iter: int
    centers: np.ndarray
    dtype: np.dtype
    is_kmeanslab: bool

    @property
    def per_iter(self):
        return self.seconds / max(self.n_iter, 1)


def best_of(fn, repeat):
    """Best wall time of ``repeat`` calls and the last call's result."""
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def fit_kmeanslab(X, init, algorithm, max_iter, n_threads):
    model = KMeans(len(init), init=init, n_init=1, max_iter=max_iter, tol=0,
                   algorithm=algorithm, n_threads=n_threads).fit(X)
    return model.cluster_centers_, model.n_iter_


def fit_sklearn(X, init, algorithm, max_iter):
    model = SKKMeans(len(init), init=init, n_init=1, max_iter=max_iter, tol=0,
                     algorithm=algorithm).fit(X)
    return model.cluster_centers_, model.n_iter_


def fit_faiss(X32, init32, n_iter):
    """faiss.Kmeans from ``init32`` for exactly ``n_iter`` iterations on every
    row (no subsampling, no minimum cluster size), L2, not spherical."""
    n_samples, n_features = X32.shape
    km = faiss.Kmeans(n_features, len(init32), niter=n_iter, nredo=1, seed=0,
                      spherical=False, min_points_per_centroid=1,
                      max_points_per_centroid=n_samples, verbose=False)
    km.train(X32, init_centroids=init32)
    return km.centroids, len(km.obj)


def kmeanslab_algorithms():
    """Every ``algorithm`` name kmeanslab accepts, except "auto" and aliases
    (names whose fit reports another ``algorithm_``, such as "elkan")."""
    from kmeanslab import _options

    X, _ = make_blobs(n_samples=600, n_features=2, centers=3, random_state=0)
    names = []
    for name in _options.ALGORITHMS:
        if name == "auto":
            continue
        model = KMeans(3, algorithm=name, n_init=1, random_state=0).fit(X)
        if model.algorithm_ == name:
            names.append(name)
    return names


def start_centres(X, n_clusters):
    """scikit-learn's k-means++ with seed 0, in X's dtype. It runs on a
    float64 copy: on float32 input it upcasts chunk by chunk at every step and
    takes about eight times as long, for the same kind of start."""
    init, _ = kmeans_plusplus(np.asarray(X, dtype=np.float64), n_clusters,
                              random_state=0)
    return init.astype(X.dtype)


def auto_pick(X, init, n_threads):
    """The algorithm ``algorithm="auto"`` runs on X (from one short fit;
    "lloyd+hamerly" where it hands over from one to the other)."""
    return KMeans(len(init), init=init, n_init=1, max_iter=1, tol=0,
                  n_threads=n_threads).fit(X).algorithm_


def run_peers(X, init, algorithms, max_iter, repeat, n_threads):
    """Fixed-start runs of every kmeanslab algorithm, scikit-learn lloyd and
    elkan, and faiss for as many iterations as kmeanslab's lloyd.

    Returns
    -------
    runs : list of Run
    faiss_note : str or None
        How faiss got its data, when it ran.
    """
    runs = []
    for name in algorithms:
        t, (centers, n_iter) = best_of(
            lambda name=name: fit_kmeanslab(X, init, name, max_iter, n_threads), repeat)
        runs.append(Run(f"kmeanslab {name}", t, n_iter, centers, X.dtype, True))
    for name in ("lloyd", "elkan"):
        t, (centers, n_iter) = best_of(
            lambda name=name: fit_sklearn(X, init, name, max_iter), repeat)
        runs.append(Run(f"sklearn {name}", t, n_iter, centers, X.dtype, False))
    faiss_note = None
    if faiss is not None:
        lloyd = next(r for r in runs if r.label == "kmeanslab lloyd")
        X32 = np.ascontiguousarray(X, dtype=np.float32)
        init32 = np.ascontiguousarray(init, dtype=np.float32)
        t, (centers, n_iter) = best_of(lambda: fit_faiss(X32, init32, lloyd.n_iter),
                                       repeat)
        label = "faiss-cpu" if X.dtype == np.float32 else "faiss-cpu (f32 copy)"
        runs.append(Run(label, t, n_iter, centers, np.dtype(np.float32), False))
        faiss_note = (f"faiss ran niter={lloyd.n_iter} (kmeanslab lloyd's n_iter_)"
                      + ("" if X.dtype == np.float32 else
                         "; it needs float32, so it got a float32 copy of the "
                         f"{X.dtype} data (conversion not timed)"))
    return runs, faiss_note


# ------------------------------------------------------------------ fixed start

def _fractions(run, n_samples, n_features, n_clusters, limits):
    """(Lloyd-equivalent GFLOP/s, % of GEMM peak, % of the read floor)."""
    flops = 2.0 * n_samples * n_features * n_clusters
    gflops = flops / run.per_iter / 1e9
    read = limits.read_seconds(n_samples * n_features * run.dtype.itemsize)
    return gflops, 100 * gflops / limits.gemm_peak(run.dtype), 100 * read / run.per_iter


def fixed_start(workload, X, args, algorithms, limits):
    """Time every peer on X from one k-means++ start and print the table."""
    n_samples, n_features = X.shape
    k = workload.n_clusters
    init = start_centres(X, k)
    runs, faiss_note = run_peers(X, init, algorithms, args.max_iter, args.repeat,
                                 args.threads)
    picked = auto_pick(X, init, args.threads)
    best = min((r for r in runs if r.is_kmeanslab), key=lambda r: r.per_iter)
    reference = wcss(X, next(r for r in runs if r.label == "kmeanslab lloyd").centers)
    floor, which = limits.lloyd_floor(n_samples, n_features, k, X.dtype)
    read_ms = 1e3 * limits.read_seconds(X.nbytes)
    gemm_ms = 1e3 * limits.gemm_seconds(n_samples, n_features, k, X.dtype)

    print(f"\n== {workload.name} ({workload.kind}: {workload.description})")
    print(f"n_samples={n_samples}, n_features={n_features}, n_clusters={k}, "
          f"dtype={X.dtype}, threads={args.threads}, tol=0, max_iter={args.max_iter}, "
          f"best of {args.repeat}, same k-means++ start (seed 0)")
    print(f"floor under one Lloyd iteration: read X once {read_ms:.2f} ms, 2nkd at "
          f"GEMM peak {gemm_ms:.2f} ms -> {1e3 * floor:.2f} ms ({which})")
    print(f"{'method':<24}{'iters':>6}{'fit s':>9}{'ms/iter':>10}{'GFLOP/s':>9}"
          f"{'%gemm':>7}{'%read':>7}{'best kl x':>11}{'WCSS rel':>11}")
    above = False
    for run in runs:
        gflops, gemm_pct, read_pct = _fractions(run, n_samples, n_features, k, limits)
        above |= gemm_pct > 100
        if run.is_kmeanslab:
            speedup = "best" if run is best else ""
        else:
            speedup = f"{run.per_iter / best.per_iter:.2f}x"
        rel = (wcss(X, run.centers) - reference) / reference
        print(f"{run.label:<24}{run.n_iter:6d}{run.seconds:9.3f}{1e3 * run.per_iter:10.2f}"
              f"{gflops:9.1f}{gemm_pct:6.0f}%{read_pct:6.0f}%{speedup:>11}{rel:11.1e}")
    by_label = {r.label: r for r in runs}
    kl_iter, sk_iter = by_label["kmeanslab lloyd"].n_iter, by_label["sklearn lloyd"].n_iter
    same = "same" if kl_iter == sk_iter else "DIFFERENT: per-iteration times still compare"
    print(f"iterations: kmeanslab lloyd {kl_iter}, sklearn lloyd {sk_iter} ({same}); "
          f"algorithm='auto' picks {picked}")
    if faiss_note:
        print(faiss_note)
    if above:
        print("%gemm counts Lloyd's 2nkd flops: above 100% a method skipped distance "
              "work (bounds) or the GEMM peak was measured low (busy machine)")
    sk_best = min(by_label["sklearn lloyd"].per_iter, by_label["sklearn elkan"].per_iter)
    faiss_run = next((r for r in runs if r.label.startswith("faiss")), None)
    return {"workload": workload, "shape": X.shape, "dtype": X.dtype, "best": best,
            "vs_sklearn": sk_best / best.per_iter,
            "vs_faiss": faiss_run.per_iter / best.per_iter if faiss_run else None,
            "of_floor": floor / best.per_iter, "floor_kind": which}


def print_summary(rows, threads):
    """A Markdown table of the fixed-start results, hard workloads first."""
    print(f"\n== summary: kmeanslab's fastest algorithm per iteration, {threads} "
          "threads; speed-up over the faster of scikit-learn lloyd/elkan and over "
          "faiss-cpu (>1: kmeanslab faster); of floor = Lloyd's floor (read X once "
          "or 2nkd at GEMM peak) / time, which bounded algorithms can pass")
    print("| workload | n x d, k, dtype | kmeanslab ms/iter (algorithm) | vs scikit-learn "
          "| vs faiss-cpu | of floor |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        w, (n, d) = row["workload"], row["shape"]
        faiss_cell = f"{row['vs_faiss']:.2f}x" if row["vs_faiss"] is not None else "-"
        name = w.name + (" (easy)" if w.kind == "easy" and "easy" not in w.name else "")
        print(f"| {name} | {n}x{d}, {w.n_clusters}, {row['dtype']} | "
              f"{1e3 * row['best'].per_iter:.2f} ({row['best'].label.split()[-1]}) | "
              f"{row['vs_sklearn']:.2f}x | {faiss_cell} | "
              f"{100 * row['of_floor']:.0f}% ({row['floor_kind']}) |")


def end_to_end(workload, X, seeds, n_threads, compare=()):
    """Default fits, kmeanslab vs scikit-learn, seed by seed side by side;
    with ``compare``, kmeanslab's default fit also with each of those
    algorithms instead of "auto" (same seeds, same process)."""
    k = workload.n_clusters
    print(f"\n== default fits on {workload.name}: KMeans({k}, random_state=s) "
          f"for s in {list(seeds)}, threads={n_threads}")
    print(f"{'seed':>4}{'kmeanslab s':>13}{'sklearn s':>11}{'speed-up':>10}"
          f"{'kmeanslab WCSS':>17}{'sklearn WCSS':>15}{'rel diff':>10}"
          f"{'algorithm_':>15}{'n_iter_ kl/sk':>15}")
    kl_t, sk_t, kl_w, sk_w = [], [], [], []
    other_t = {}
    for s in seeds:
        t0 = time.perf_counter()
        model = KMeans(k, random_state=s, n_threads=n_threads).fit(X)
        kl_t.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        sk_model = SKKMeans(k, random_state=s).fit(X)
        sk_t.append(time.perf_counter() - t0)
        kl_w.append(wcss(X, model.cluster_centers_))
        sk_w.append(wcss(X, sk_model.cluster_centers_))
        print(f"{s:4d}{kl_t[-1]:13.3f}{sk_t[-1]:11.3f}{sk_t[-1] / kl_t[-1]:9.2f}x"
              f"{kl_w[-1]:17.6g}{sk_w[-1]:15.6g}{(kl_w[-1] - sk_w[-1]) / sk_w[-1]:10.1e}"
              f"{model.algorithm_:>15}{f'{model.n_iter_}/{sk_model.n_iter_}':>15}")
        for name in compare:
            t0 = time.perf_counter()
            other = KMeans(k, random_state=s, n_threads=n_threads,
                           algorithm=name).fit(X)
            t = time.perf_counter() - t0
            other_t.setdefault(name, []).append(t)
            same = np.array_equal(other.labels_, model.labels_)
            print(f"{'':4}  algorithm={name!r}: {t:.3f} s, {t / kl_t[-1]:.2f}x "
                  f"auto's time, n_iter_ {other.n_iter_}, "
                  f"{'same' if same else 'other'} labels")
    for name, times in other_t.items():
        print(f"mean algorithm={name!r}: {np.mean(times):.3f} s, "
              f"{np.mean(times) / np.mean(kl_t):.2f}x auto's time")
    mean_kl, mean_sk = np.mean(kl_w), np.mean(sk_w)
    print(f"mean{np.mean(kl_t):13.3f}{np.mean(sk_t):11.3f}"
          f"{np.mean(sk_t) / np.mean(kl_t):9.2f}x{mean_kl:17.6g}{mean_sk:15.6g}"
          f"{(mean_kl - mean_sk) / mean_sk:10.1e}")


# ----------------------------------------------------------------------- grid

def grid_n_samples(n_features, n_clusters, spread, dtype, args):
    """Rows so that one kmeanslab lloyd iteration takes about
    ``args.grid_target_ms``: timed on a pilot of max(20 k, 20000) rows and
    scaled linearly (x1.2, since the pilot's fixed costs are spread over few
    iterations), at least the pilot's size, at most ``args.grid_max_n``."""
    if args.grid_n:
        return args.grid_n
    n_pilot = max(20 * n_clusters, 20_000)
    X = grid_data(n_pilot, n_features, n_clusters, spread, dtype)
    init = X[:n_clusters].copy()
    t, (_, n_iter) = best_of(
        lambda: fit_kmeanslab(X, init, "lloyd", 5, args.threads), 2)
    scale = 1.2 * args.grid_target_ms / 1e3 / (t / max(n_iter, 1))
    return int(min(max(n_pilot, np.ceil(n_pilot * scale)), args.grid_max_n))


def grid(args, algorithms):
    """Per-iteration time of every peer in each n_features x n_clusters x
    spread cell, the fastest kmeanslab algorithm and auto's pick."""
    quick = args.quick
    features = QUICK_GRID_FEATURES if quick else GRID_FEATURES
    clusters = QUICK_GRID_CLUSTERS if quick else GRID_CLUSTERS
    spreads = args.spread or ["overlap"]
    dtype = np.dtype(args.dtype)
    print(f"\n== grid: ms per iteration, {dtype}, threads={args.threads}, tol=0, "
          f"max_iter={args.max_iter}, best of {args.repeat}, same k-means++ start; "
          + (f"n_samples={args.grid_n}" if args.grid_n else
             f"n_samples sized for a kmeanslab lloyd iteration of about "
             f"{args.grid_target_ms:g} ms (at most {args.grid_max_n})"))
    print("spreads: cluster_std = " + ", ".join(
        f"{s} {SPREADS[s]}" for s in spreads) + " x median nearest-centre distance; "
          "sk/auto uses the faster of sklearn lloyd/elkan"
          + ("; faiss runs on a float32 copy (not timed)"
             if faiss and dtype != np.float32 else ""))
    peers = ["sklearn lloyd", "sklearn elkan"] + (["faiss"] if faiss else [])
    head = (f"{'d':>4}{'k':>6} {'spread':<10}{'n':>9}{'iters':>6} |"
            + "".join(f"{a[:9]:>10}" for a in algorithms) + " |"
            + "".join(f"{p.replace('sklearn', 'sk'):>10}" for p in peers)
            + f" | {'fastest':<9}{'auto':<14}{'auto/fast':>10}{'sk/auto':>9}"
            + (f"{'faiss/auto':>11}" if faiss else ""))
    print(head)
    cells = []
    for spread in spreads:
        for d in features:
            for k in clusters:
                cells.append(grid_cell(d, k, spread, dtype, args, algorithms))
    print_grid_summary(cells, features, clusters, spreads)


def grid_cell(n_features, n_clusters, spread, dtype, args, algorithms):
    """Time every peer in one grid cell, print its row and return what the
    summary counts."""
    n_samples = grid_n_samples(n_features, n_clusters, spread, dtype, args)
    X = grid_data(n_samples, n_features, n_clusters, spread, dtype)
    init = start_centres(X, n_clusters)
    runs, _ = run_peers(X, init, algorithms, args.max_iter, args.repeat, args.threads)
    by_label = {r.label.replace(" (f32 copy)", ""): r for r in runs}
    kl = {a: by_label[f"kmeanslab {a}"].per_iter for a in algorithms}
    fastest = min(kl, key=kl.get)
    picked = auto_pick(X, init, args.threads)
    if picked in kl:
        auto_t = kl[picked]
    else:
        # A combination ("lloyd+hamerly", a handover): time auto itself.
        t, (_, n_iter) = best_of(lambda: fit_kmeanslab(
            X, init, "auto", args.max_iter, args.threads), args.repeat)
        auto_t = t / max(n_iter, 1)
    sk_t = min(by_label["sklearn lloyd"].per_iter, by_label["sklearn elkan"].per_iter)
    faiss_t = by_label["faiss-cpu"].per_iter if faiss else None
    iters = by_label["kmeanslab lloyd"].n_iter
    flag = "" if iters == by_label["sklearn lloyd"].n_iter else "!"
    ratio = auto_t / kl[fastest]
    slow = "" if ratio <= AUTO_TOLERANCE else "!"
    line = (f"{n_features:4d}{n_clusters:6d} {spread:<10}{n_samples:9d}{iters:5d}{flag:1} |"
            + "".join(f"{1e3 * kl[a]:10.2f}" for a in algorithms) + " |"
            + f"{1e3 * by_label['sklearn lloyd'].per_iter:10.2f}"
            + f"{1e3 * by_label['sklearn elkan'].per_iter:10.2f}"
            + (f"{1e3 * faiss_t:10.2f}" if faiss else "")
            + f" | {fastest:<9}{picked:<14}{ratio:9.2f}{slow:1}"
            + f"{sk_t / auto_t:8.2f}x" + (f"{faiss_t / auto_t:10.2f}x" if faiss else ""))
    print(line, flush=True)
    return {"d": n_features, "k": n_clusters, "spread": spread, "fastest": fastest,
            "auto": picked, "auto_ok": ratio <= AUTO_TOLERANCE,
            "beats_sklearn": auto_t <= sk_t,
            "beats_faiss": faiss_t is None or auto_t <= faiss_t}


def print_grid_summary(cells, features, clusters, spreads):
    print("(iters: kmeanslab lloyd's n_iter_, '!' where sklearn lloyd's differs; "
          f"auto/fast: auto's pick over the fastest, '!' above {AUTO_TOLERANCE:.2f}; "
          "sk/auto, faiss/auto > 1: auto faster)")
    for spread in spreads:
        print(f"\nfastest kmeanslab algorithm ({spread}; '[auto: x]' where auto "
              "picks another)")
        print(f"{'d / k':>6}" + "".join(f"  {k:>24}" for k in clusters))
        for d in features:
            row = [c for c in cells if c["d"] == d and c["spread"] == spread]
            text = [c["fastest"] + ("" if c["auto"] == c["fastest"] else
                                    f" [auto: {c['auto']}]") for c in row]
            print(f"{d:>6}" + "".join(f"  {t:>24}" for t in text))
    n = len(cells)
    print(f"\nauto within {100 * (AUTO_TOLERANCE - 1):.0f}% of the fastest: "
          f"{sum(c['auto_ok'] for c in cells)}/{n} cells; at least as fast as "
          f"scikit-learn: {sum(c['beats_sklearn'] for c in cells)}/{n}"
          + (f"; as faiss-cpu: {sum(c['beats_faiss'] for c in cells)}/{n}"
             if faiss else ""))


# ------------------------------------------------------------------ crossover

def crossover(args):
    """Lloyd's direct distances against its BLAS path, by n_features."""
    from kmeanslab._kernels import common

    if not hasattr(common, "BLAS_MIN_FEATURES"):
        sys.exit("--crossover: kmeanslab._kernels.common.BLAS_MIN_FEATURES is gone; "
                 "the engine no longer switches paths on one threshold")
    n_samples = 20_000 if args.quick else 100_000
    print(f"\n== lloyd direct vs BLAS path: ms per iteration, {n_samples} samples, "
          f"k=64, max_iter={args.max_iter}, tol=0, threads={args.threads}, "
          f"best of {args.repeat}; the engine's threshold is "
          f"BLAS_MIN_FEATURES={common.BLAS_MIN_FEATURES}")
    saved = common.BLAS_MIN_FEATURES
    try:
        for d in (2, 4, 8, 12, 16, 24, 32, 64):
            X, _ = make_blobs(n_samples=n_samples, n_features=d, centers=64,
                              random_state=0)
            init, _ = kmeans_plusplus(X, 64, random_state=0)
            out = {}
            for threshold, label in ((10**9, "direct"), (0, "blas")):
                common.BLAS_MIN_FEATURES = threshold
                t, (_, n_iter) = best_of(lambda: fit_kmeanslab(
                    X, init, "lloyd", args.max_iter, args.threads), args.repeat)
                out[label] = 1e3 * t / n_iter
            print(f"  n_features={d:4d}  direct {out['direct']:8.2f}  "
                  f"blas {out['blas']:8.2f}")
    finally:
        common.BLAS_MIN_FEATURES = saved


# ----------------------------------------------------------------------- main

def warm_up(algorithms, n_threads):
    """Compile every kernel a timed fit will use: each algorithm, both dtypes,
    direct and BLAS paths, array and k-means++ starts, and (from a start with
    a repeated centre) the relocation of empty clusters."""
    X, _ = make_blobs(n_samples=3000, n_features=2, centers=16, random_state=0)
    for dtype in (np.float64, np.float32):
        for d in (2, 3, 8, 32, 128):
            Xd = np.ascontiguousarray(np.tile(X, (1, d))[:, :d], dtype=dtype)
            for init in (Xd[:16].copy(), Xd[[0] + list(range(15))].copy()):
                for algorithm in algorithms:
                    fit_kmeanslab(Xd, init, algorithm, 5, n_threads)
            KMeans(16, random_state=0, n_threads=n_threads).fit(Xd)


class _Tee:
    """Writes to several text streams at once (stdout and the --out file)."""

    def __init__(self, *streams):
        self.streams = streams

    def write(self, text):
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self):
        for stream in self.streams:
            stream.flush()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a tenth of the rows (a small grid with --grid), "
                             "max_iter 10, repeat 1, 2 seeds")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="run only this workload (repeatable)")
    parser.add_argument("--repeat", type=int, help="best of this many (default 3)")
    parser.add_argument("--max-iter", "--iterations", type=int, dest="max_iter",
                        help="iteration cap, tol=0 (default 20)")
    parser.add_argument("--seeds", type=int, help="seeds of the default fits (default 3)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--algorithm", action="append", metavar="NAME",
                        help="run only these kmeanslab algorithms (repeatable; "
                             "default: every one the package accepts)")
    parser.add_argument("--out", type=Path, metavar="FILE",
                        help="also write everything printed to FILE")
    parser.add_argument("--grid", action="store_true",
                        help="n_features x n_clusters x spread sweep")
    parser.add_argument("--grid-n", type=int, help="rows per grid cell (default: sized)")
    parser.add_argument("--grid-target-ms", type=float,
                        help="aim for a lloyd iteration this long (default 5, quick 2)")
    parser.add_argument("--grid-max-n", type=int,
                        help="most rows per grid cell (default 2000000, quick 200000)")
    parser.add_argument("--spread", action="append", choices=sorted(SPREADS),
                        help="grid spread (repeatable; default overlap)")
    parser.add_argument("--dtype", default="float64", choices=("float64", "float32"),
                        help="grid dtype")
    parser.add_argument("--compare-fits", action="append", metavar="NAME",
                        help="also time the default fits with this algorithm "
                        "instead of 'auto' (repeatable)")
    parser.add_argument("--crossover", action="store_true",
                        help="lloyd direct vs BLAS path by n_features")
    args = parser.parse_args(argv)
    quick = args.quick
    defaults = {"repeat": 1 if quick else 3, "max_iter": 10 if quick else 20,
                "seeds": 2 if quick else 3, "grid_target_ms": 2.0 if quick else 5.0,
                "grid_max_n": 200_000 if quick else 2_000_000}
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    names = [w.name for w in workloads()]
    unknown = sorted(set(args.only or ()) - set(names))
    if unknown:
        parser.error(f"unknown workload {', '.join(unknown)}; "
                     f"choose from {', '.join(names)}")
    return args


def run(args):
    warnings.simplefilter("ignore")
    for line in describe():
        print(line)
    with limit_threads(args.threads):
        algorithms = kmeanslab_algorithms()
        if args.algorithm:
            unknown = sorted(set(args.algorithm) - set(algorithms))
            if unknown:
                raise SystemExit(f"--algorithm: unknown {unknown}; choose from "
                                 f"{', '.join(algorithms)}")
            algorithms = [a for a in algorithms if a in args.algorithm]
        warm_up(algorithms, args.threads)
        print(f"threads: {args.threads} for every peer (threadpoolctl for BLAS and "
              f"OpenMP, faiss.omp_set_num_threads, numba, kmeanslab n_threads); "
              f"kmeanslab algorithms: {', '.join(algorithms)}")
        print(pools())
        if args.crossover:
            crossover(args)
            return
        if args.grid:
            grid(args, algorithms)
            return
        limits = measure_limits(args.threads, quick=args.quick)
        for line in limits.lines():
            print(line)
        scale = 10 if args.quick else 1
        rows = []
        for index, workload in enumerate(workloads()):
            if args.only and workload.name not in args.only:
                continue
            X = workload.make(workload.n_samples // scale)
            rows.append(fixed_start(workload, X, args, algorithms, limits))
            if index < N_END_TO_END:
                end_to_end(workload, X, range(args.seeds), args.threads,
                           args.compare_fits or ())
        print_summary(rows, args.threads)
    print("\nload average at the end: "
          + ", ".join(f"{x:.2f}" for x in os.getloadavg()))


def main(argv=None):
    args = parse_args(argv)
    if args.out is None:
        run(args)
        return
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w") as f, contextlib.redirect_stdout(_Tee(sys.stdout, f)):
        run(args)


if __name__ == "__main__":
    main()
