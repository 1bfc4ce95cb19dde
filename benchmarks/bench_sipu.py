"""Solution quality and time on the SIPU and breathing k-means benchmark sets.

Every method runs in this process on the same data, seed by seed and side by
side (so load on the shared machine hits them alike):

* scikit-learn KMeans, n_init=1 and n_init=10;
* kmeanslab KMeans (defaults), refine="breathing", and refine="breathing"
  with init="k-means||";
* bkmeans.BKMeans (Fritzke's reference breathing k-means, default m), when
  installed (``pip install bkmeans``).

For the SIPU sets (Fränti & Sieranoja 2018; n_clusters = the number of
ground-truth centroids) it reports the success rate (centroid index 0
against the ground truth), the mean centroid index, the mean SSE relative to
that of the ground-truth centroids (each sample assigned to its nearest),
and the mean time per run. For the bkm sets (Norm25-new, Cloud, Spam; no
ground truth) at n_clusters = 25, 50, 100 the SSE is relative to the best
SSE any method reached on that set and n_clusters in this run.

    python benchmarks/bench_sipu.py                  # all sets, 20 seeds
    python benchmarks/bench_sipu.py --quick          # 3 seeds, a few sets
    python benchmarks/bench_sipu.py --only birch1 --only birch2 --seeds 5
    python benchmarks/bench_sipu.py --intrusion      # also Intrusion (494k x 35)
    python benchmarks/bench_sipu.py --birch-ratio --threads 2 --seeds 10

``--birch-ratio`` is the breathing target of issue 10: on Birch1 and Birch2
(k=100), one default scikit-learn fit (``KMeans(100)``: k-means++ and
``n_init="auto"``, one run) against kmeanslab's ``refine="breathing"``,
both with ``--threads`` threads, alternating in this process; each seed's
fits are timed ``--repeats`` times and the best kept, and it prints both
methods' centroid index for every seed and the ratio of the summed best
times (above 1: breathing is faster).

The data come from ``kmeanslab.datasets`` (``$KMEANSLAB_DATA`` or
../shared/data). Each method gets ``--threads`` threads (numba for
kmeanslab, OpenMP for scikit-learn and bkmeans); the default, 1, keeps the
comparison about the algorithms: on a busy 2-core machine idle OpenMP
threads spin and waste more than a second thread gains. Times are means
over seeds of one fit each; compare ratios within one run, not absolute
times across runs.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import warnings
from dataclasses import asdict, dataclass

import numpy as np
import sklearn
from sklearn.cluster import KMeans as SKKMeans
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

import kmeanslab
from kmeanslab import KMeans
from kmeanslab.datasets import BKM_SETS, SIPU_SETS, load_bkm, load_sipu
from kmeanslab.metrics import centroid_index

try:
    from bkmeans import BKMeans
except ImportError:  # optional peer
    BKMeans = None

BKM_DEFAULT = ("Norm25-new", "Cloud", "Spam")
BKM_K = (25, 50, 100)
QUICK_SIPU = ("a1", "s2", "unbalance", "dim032")
QUICK_BKM = ("Cloud", "Norm25-new")
QUICK_K = (25,)
# Rows x centres x features handled at once when computing SSE: about 32 MB
# of float64 temporaries, whatever the set, so memory stays modest.
SSE_CHUNK_ELEMENTS = 4_000_000


# --------------------------------------------------------------------------
# methods


def _methods(threads):
    """{name: factory(n_clusters, seed) -> unfitted estimator}, in table order."""
    methods = {
        "sklearn n_init=1": lambda k, s: SKKMeans(k, n_init=1, random_state=s),
        "sklearn n_init=10": lambda k, s: SKKMeans(k, n_init=10, random_state=s),
        "kmeanslab": lambda k, s: KMeans(k, random_state=s, n_threads=threads),
        "kmeanslab breathing": lambda k, s: KMeans(
            k, random_state=s, refine="breathing", n_threads=threads),
        "kmeanslab breathing k-means||": lambda k, s: KMeans(
            k, random_state=s, refine="breathing", init="k-means||",
            n_threads=threads),
    }
    if BKMeans is not None:
        methods["bkmeans.BKMeans"] = lambda k, s: BKMeans(n_clusters=k, random_state=s)
    return methods


def _warm_up(methods):
    """Compile (or load from numba's cache) every kernel the kmeanslab
    methods use, on small data with few and with many features (the BLAS
    path), before anything is timed."""
    rng = np.random.default_rng(0)
    for n_features in (2, 32):
        X = rng.normal(size=(5000, n_features))
        for name, make in methods.items():
            if name.startswith("kmeanslab"):
                make(8, 0).fit(X)


# --------------------------------------------------------------------------
# SSE


def sse(X, centers):
    """Sum of squared distances of X to the nearest of centers, in float64.

    The nearest centre comes from the BLAS expansion |x|^2 - 2 x.c + |c|^2,
    in chunks of rows; the distance to it is then computed from coordinate
    differences, so cancellation in the expansion cannot bias the sum.
    """
    c = np.asarray(centers, dtype=np.float64)
    c_sq = (c**2).sum(axis=1)
    rows = max(1, SSE_CHUNK_ELEMENTS // max(1, c.shape[0] * c.shape[1]))
    total = 0.0
    for start in range(0, X.shape[0], rows):
        chunk = np.asarray(X[start:start + rows], dtype=np.float64)
        nearest = (c_sq[None, :] - 2.0 * chunk @ c.T).argmin(axis=1)
        total += float(((chunk - c[nearest]) ** 2).sum())
    return total


# --------------------------------------------------------------------------
# runs


@dataclass
class Run:
    family: str
    column: str
    method: str
    seed: int
    time: float
    sse: float
    ci: int | None


def run_set(family, column, X, n_clusters, truth, methods, seeds, threads):
    """Fit every method for every seed on X; return the list of Runs."""
    runs = []
    for seed in range(seeds):
        for name, make in methods.items():
            model = make(n_clusters, seed)
            with threadpool_limits(limits=threads, user_api="openmp"):
                t0 = time.perf_counter()
                model.fit(X)
                elapsed = time.perf_counter() - t0
            centers = model.cluster_centers_
            ci = None if truth is None else centroid_index(centers, truth)
            runs.append(Run(family, column, name, seed, elapsed, sse(X, centers), ci))
    return runs


def _describe(column, X, n_clusters, reference):
    print(f"  {column}: n_samples={X.shape[0]}, n_features={X.shape[1]}, "
          f"n_clusters={n_clusters}, dtype={X.dtype}, {reference}", flush=True)


# --------------------------------------------------------------------------
# tables


def _table(title, runs, methods, columns, metric, fmt):
    width = max(len(m) for m in methods) + 2
    col_w = max(10, max(len(c) for c in columns) + 2)
    print(f"\n{title}")
    print(" " * width + "".join(f"{c:>{col_w}}" for c in columns))
    for m in methods:
        cells = []
        for c in columns:
            sel = [r for r in runs if r.method == m and r.column == c]
            cells.append(fmt(metric(sel)) if sel else "-")
        print(f"{m:<{width}}" + "".join(f"{cell:>{col_w}}" for cell in cells))


def print_family(family, runs, methods, reference_sse):
    runs = [r for r in runs if r.family == family]
    if not runs:
        return
    columns = list(dict.fromkeys(r.column for r in runs))
    seeds = len({r.seed for r in runs})
    print(f"\n=== {family}: {seeds} seed(s) ===")
    if family == "SIPU":
        _table("success rate (CI == 0 vs ground truth)", runs, methods, columns,
               lambda sel: np.mean([r.ci == 0 for r in sel]), lambda v: f"{v:.2f}")
        _table("mean CI", runs, methods, columns,
               lambda sel: np.mean([r.ci for r in sel]), lambda v: f"{v:.2f}")
        what = "SSE of the ground-truth centroids"
    else:
        what = "best SSE of any method"
    _table(f"mean SSE / {what}", runs, methods, columns,
           lambda sel: np.mean([r.sse / reference_sse[(family, sel[0].column)]
                                for r in sel]),
           lambda v: f"{v:.4f}")
    _table("mean time per run (s)", runs, methods, columns,
           lambda sel: np.mean([r.time for r in sel]), _fmt_time)


def _fmt_time(seconds):
    return f"{seconds:.3f}" if seconds < 10 else f"{seconds:.1f}"


def print_birch_ratio(runs):
    parts = []
    for name in ("birch1", "birch2"):
        def mean_time(method, name=name):
            t = [r.time for r in runs if r.column == name and r.method == method]
            return np.mean(t) if t else None

        sk, bk = mean_time("sklearn n_init=1"), mean_time("kmeanslab breathing")
        ratio = f"{sk / bk:.2f}x" if sk is not None and bk else "n/a (not run)"
        parts.append(f"{name} {ratio}")
    print("\nmean time sklearn KMeans n_init=1 / kmeanslab breathing: "
          + ", ".join(parts))


# --------------------------------------------------------------------------
# main


def _selected(names, only):
    if not only:
        return list(names)
    wanted = {o.lower() for o in only}
    return [n for n in names if n.lower() in wanted]


def run_birch_ratio(seeds, threads, repeats):
    """Per seed on Birch1 and Birch2: best-of-``repeats`` time and centroid
    index of scikit-learn's default KMeans(100) and of kmeanslab's
    breathing; prints a table per set and the time ratio."""
    methods = {
        "sklearn KMeans(100)": lambda s: SKKMeans(100, random_state=s),
        "kmeanslab breathing": lambda s: KMeans(
            100, random_state=s, refine="breathing", n_threads=threads),
    }
    print(f"\n=== Birch: best of {repeats} per seed, {threads} thread(s), "
          f"k=100 ===")
    for name in ("birch1", "birch2"):
        data = load_sipu(name)
        best = {m: [] for m in methods}
        ci = {m: [] for m in methods}
        for seed in range(seeds):
            for _ in range(repeats):
                for method, make in methods.items():
                    model = make(seed)
                    with threadpool_limits(limits=threads):
                        t0 = time.perf_counter()
                        model.fit(data.X)
                        elapsed = time.perf_counter() - t0
                    if len(best[method]) == seed:
                        best[method].append(elapsed)
                        ci[method].append(centroid_index(model.cluster_centers_,
                                                         data.centers))
                    best[method][seed] = min(best[method][seed], elapsed)
        print(f"\n{name}: seed, then per method best time (s) and CI")
        for seed in range(seeds):
            print(f"  {seed:3d}  " + "  ".join(
                f"{m}: {best[m][seed]:.3f} s CI={ci[m][seed]}" for m in methods))
        sk, bk = (sum(best[m]) for m in methods)
        print(f"  {name}: sklearn KMeans(100) / kmeanslab breathing = "
              f"{sk / bk:.2f}x; breathing CI = 0 in "
              f"{sum(c == 0 for c in ci['kmeanslab breathing'])}/{seeds} seeds")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="seeds per set")
    parser.add_argument("--quick", action="store_true",
                        help="3 seeds, sets " + ", ".join(QUICK_SIPU + QUICK_BKM)
                        + " and n_clusters=25 only")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="run only this set (repeatable; case-insensitive)")
    parser.add_argument("--intrusion", action="store_true",
                        help="also run Intrusion (494,021 x 35)")
    parser.add_argument("--k", type=int, action="append", metavar="N",
                        help="n_clusters for the bkm sets (repeatable; "
                        "default 25, 50, 100)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per method (default 1, see the docstring)")
    parser.add_argument("--birch-ratio", action="store_true",
                        help="only the breathing target: default scikit-learn "
                        "KMeans(100) against refine='breathing' on Birch1 and "
                        "Birch2, best of --repeats per seed")
    parser.add_argument("--repeats", type=int, default=3,
                        help="timings per seed and method with --birch-ratio "
                        "(the best is kept; default 3)")
    parser.add_argument("--json", metavar="PATH",
                        help="also write every run as JSON to PATH")
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.threads < 1:
        parser.error("--seeds and --threads must be >= 1")

    if args.birch_ratio:
        print(f"kmeanslab {kmeanslab.__version__}, scikit-learn "
              f"{sklearn.__version__}, numpy {np.__version__}, Python "
              f"{platform.python_version()}; backend: cpu")
        warnings.simplefilter("ignore", ConvergenceWarning)
        with kmeanslab.thread_limit(args.threads):
            _warm_up(_methods(args.threads))
            run_birch_ratio(args.seeds, args.threads, max(1, args.repeats))
        return
    seeds = 3 if args.quick else args.seeds
    sipu = QUICK_SIPU if args.quick and not args.only else SIPU_SETS
    bkm = QUICK_BKM if args.quick and not args.only else (
        BKM_SETS if args.intrusion else BKM_DEFAULT)
    ks = tuple(args.k) if args.k else (QUICK_K if args.quick else BKM_K)
    sipu, bkm = _selected(sipu, args.only), _selected(bkm, args.only)
    if not sipu and not bkm:
        parser.error(f"--only matched no set; choose from "
                     f"{', '.join(SIPU_SETS + BKM_SETS)}")

    methods = _methods(args.threads)
    print(f"kmeanslab {kmeanslab.__version__}, scikit-learn {sklearn.__version__}, "
          f"bkmeans {'not installed' if BKMeans is None else BKMeans.get_version()}, "
          f"numpy {np.__version__}, Python {platform.python_version()}")
    print(f"threads per method: {args.threads}; backend: cpu; seeds: {seeds}")
    warnings.simplefilter("ignore", ConvergenceWarning)
    with kmeanslab.thread_limit(args.threads):
        _warm_up(methods)
        runs, reference_sse = [], {}
        if sipu:
            print("\nSIPU sets:")
        for name in sipu:
            data = load_sipu(name)
            reference_sse[("SIPU", name)] = sse(data.X, data.centers)
            _describe(name, data.X, data.n_clusters,
                      f"ground-truth SSE={reference_sse[('SIPU', name)]:.6g}")
            runs += run_set("SIPU", name, data.X, data.n_clusters, data.centers,
                            methods, seeds, args.threads)
        if bkm:
            print("\nbkm sets:")
        for name in bkm:
            X = load_bkm(name).X
            for k in ks:
                column = f"{name} k={k}"
                _describe(column, X, k, "no ground truth")
                new = run_set("bkm", column, X, k, None, methods, seeds,
                              args.threads)
                reference_sse[("bkm", column)] = min(r.sse for r in new)
                runs += new
            del X

    print_family("SIPU", runs, methods, reference_sse)
    print_family("bkm", runs, methods, reference_sse)
    print_birch_ratio(runs)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"seeds": seeds, "threads": args.threads,
                       "reference_sse": {f"{f}/{c}": v
                                         for (f, c), v in reference_sse.items()},
                       "runs": [asdict(r) for r in runs]}, fh, indent=1)


if __name__ == "__main__":
    main()
