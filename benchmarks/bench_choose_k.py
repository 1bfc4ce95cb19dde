"""The walkthrough's k sweep (k = 2..10, inertia and exact silhouette), timed
end to end: kmeanslab's ``choose_k`` against the same sweep done with
scikit-learn (``KMeans`` + ``sklearn.metrics.silhouette_score``).

    python benchmarks/bench_choose_k.py          # 100,000 points; sklearn on 20,000
    python benchmarks/bench_choose_k.py --quick  # 20,000 points; sklearn on 5,000

The data is ``make_blobs(n, centers=8, cluster_std=1.5, random_state=117117)``
in 2-D. scikit-learn's exact silhouette builds distance chunks in O(n^2)
time and memory traffic, so it runs on the first rows only (make_blobs
shuffles, so they are a random subset); kmeanslab runs on the same subset as
well, for a like-for-like ratio. Nothing is extrapolated. Every fit uses
``random_state=117117`` and n_init="auto" (one k-means++ run), as in the
walkthrough. The machine is shared: compare numbers from the same run.
"""

from __future__ import annotations

import argparse
import os
import time

import numba
import numpy as np
from sklearn.cluster import KMeans as SKKMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import silhouette_score as sk_silhouette_score

from kmeanslab.selection import choose_k

KS = range(2, 11)
SEED = 117117
TARGET_SECONDS = 60.0


def kmeanslab_sweep(X):
    start = time.perf_counter()
    sel = choose_k(X, KS, criteria=("inertia", "silhouette"), random_state=SEED,
                   progress=False)
    return time.perf_counter() - start, sel.picks["silhouette"], sel.picks["inertia"]


def sklearn_sweep(X):
    start = time.perf_counter()
    silhouettes = []
    for k in KS:
        model = SKKMeans(n_clusters=k, random_state=SEED).fit(X)
        silhouettes.append(sk_silhouette_score(X, model.labels_))
    return time.perf_counter() - start, list(KS)[int(np.argmax(silhouettes))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller data")
    args = parser.parse_args()
    n_full, n_subset = (20_000, 5_000) if args.quick else (100_000, 20_000)

    X, _ = make_blobs(n_samples=n_full, centers=8, cluster_std=1.5, random_state=SEED)
    subset = X[:n_subset]
    print(f"data: make_blobs centers=8 cluster_std=1.5 random_state={SEED}, "
          f"n_features={X.shape[1]}, dtype={X.dtype}, ks={KS.start}..{KS.stop - 1}")
    # Warm the JIT (numba caches compiled kernels, but loading them costs too).
    choose_k(X[:500], range(2, 4), criteria=("inertia", "silhouette"),
             random_state=0, progress=False)
    print(f"threads: numba {numba.get_num_threads()} ({numba.threading_layer()} "
          f"layer), os.cpu_count() {os.cpu_count()}; backend cpu")

    seconds, sil_pick, elbow_pick = kmeanslab_sweep(X)
    verdict = ""
    if not args.quick:
        verdict = (f"; {'meets' if seconds < TARGET_SECONDS else 'MISSES'} the "
                   f"{TARGET_SECONDS:.0f} s target")
    print(f"kmeanslab choose_k   n_samples={n_full:>7,}: {seconds:7.2f} s  "
          f"(silhouette pick k={sil_pick}, elbow k={elbow_pick}{verdict})")
    seconds_sub, sil_pick_sub, _ = kmeanslab_sweep(subset)
    print(f"kmeanslab choose_k   n_samples={n_subset:>7,}: {seconds_sub:7.2f} s  "
          f"(silhouette pick k={sil_pick_sub})")
    seconds_sk, sil_pick_sk = sklearn_sweep(subset)
    print(f"sklearn KMeans+silhouette_score n_samples={n_subset:>7,}: "
          f"{seconds_sk:7.2f} s  (silhouette pick k={sil_pick_sk})")
    print(f"same-size ratio (sklearn / kmeanslab, n_samples={n_subset:,}): "
          f"{seconds_sk / seconds_sub:.1f}x")


if __name__ == "__main__":
    main()
