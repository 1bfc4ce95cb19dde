"""Text clustering on the docstring corpus: spherical and sparse k-means
against scikit-learn, from the same start.

The corpus is :func:`kmeanslab.datasets.load_docstrings` restricted to numpy,
scipy, scikit-learn and pandas, vectorised with
``TfidfVectorizer(min_df=2, stop_words="english")`` (rows of unit norm,
float64 CSR). For k = 50 and k = 200, from the same k-means++ seeds (drawn
by scikit-learn on the TF-IDF matrix):

- ``SphericalKMeans`` (cosine) against ``sklearn.cluster.KMeans`` on the
  L2-normalised TF-IDF, the usual stand-in for spherical k-means;
- ``kmeanslab.KMeans`` against ``sklearn.cluster.KMeans`` on the same matrix
  (Euclidean, sparse).

Time per iteration is ``(T(max_iter=b) - T(max_iter=a)) / (b - a)`` with
``tol=0`` (both runs of each pair are still iterating at b), the median of
``--repeat`` measurements, so the fixed costs (validation, the first and
last passes) cancel; the JIT is warmed first. The objective is the cosine
objective ``sum(1 - cos(x, c / ||c||))`` of each converged run (tol=1e-4)
over its own labels, so that both estimators are judged by what spherical
k-means minimises.

Run ``python benchmarks/bench_text.py`` (``--threads N`` to set every thread
pool, ``--repeat R``); it prints the table in the README and, with the
``onnx`` extra, how many rows the exported models label as ``predict`` does.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import describe, limit_threads  # noqa: E402

KS = (50, 200)
# Iteration counts of the timed pairs: both below where any of the runs
# converges on this corpus (the fastest, scikit-learn's at k=200, takes 18).
FIRST, LAST = 2, 10


def corpus_matrix():
    """(TF-IDF CSR matrix, vocabulary size) of the four packages' docstrings."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from kmeanslab.datasets import DOCSTRING_PACKAGES, load_docstrings

    corpus = load_docstrings().select(DOCSTRING_PACKAGES)
    vectorizer = TfidfVectorizer(min_df=2, stop_words="english")
    return vectorizer.fit_transform(corpus.documents), corpus


def _seconds(make, X, max_iter):
    start = time.perf_counter()
    make(max_iter).fit(X)
    return time.perf_counter() - start


def per_iteration(make, X, repeat):
    """Median seconds per iteration, fixed costs cancelled."""
    make(2).fit(X)  # warm-up (JIT, caches)
    samples = []
    for _ in range(repeat):
        samples.append((_seconds(make, X, LAST) - _seconds(make, X, FIRST))
                       / (LAST - FIRST))
    return statistics.median(samples)


def cosine_objective(X, centers, labels):
    """sum(1 - cos(x, c)) of the rows (unit norm) to their centres."""
    unit = centers / np.linalg.norm(centers, axis=1, keepdims=True)
    similarity = np.asarray(X.multiply(unit[labels]).sum(axis=1)).ravel()
    return float(np.sum(1.0 - similarity))


def run(X, repeat):
    """One table row per (k, comparison)."""
    from sklearn.cluster import KMeans as SKLearnKMeans
    from sklearn.cluster import kmeans_plusplus

    from kmeanslab import KMeans, SphericalKMeans

    rows = []
    for k in KS:
        init, _ = kmeans_plusplus(X, k, random_state=0)
        pairs = {
            "spherical": (
                lambda m, k=k, init=init: SphericalKMeans(
                    k, init=init, n_init=1, max_iter=m, tol=0.0),
                "SphericalKMeans"),
            "euclidean": (
                lambda m, k=k, init=init: KMeans(
                    k, init=init, n_init=1, max_iter=m, tol=0.0),
                "KMeans (sparse)"),
        }
        sk_make = (lambda m, k=k, init=init: SKLearnKMeans(
            k, init=init, n_init=1, max_iter=m, tol=0.0, algorithm="lloyd"))
        sk_time = per_iteration(sk_make, X, repeat)
        sk_fit = SKLearnKMeans(k, init=init, n_init=1, algorithm="lloyd").fit(X)
        sk_objective = cosine_objective(X, sk_fit.cluster_centers_, sk_fit.labels_)
        for name, (make, label) in pairs.items():
            ours_time = per_iteration(make, X, repeat)
            fitted = make(300)
            fitted.set_params(tol=1e-4).fit(X)
            rows.append(dict(
                k=k, estimator=label, ms_per_iter=1e3 * ours_time,
                sklearn_ms_per_iter=1e3 * sk_time, speedup=sk_time / ours_time,
                n_iter=fitted.n_iter_, sklearn_n_iter=sk_fit.n_iter_,
                objective=cosine_objective(X, fitted.cluster_centers_,
                                           fitted.labels_),
                sklearn_objective=sk_objective,
                algorithm=fitted.algorithm_))
    return rows


def onnx_agreement(X):
    """Share of rows whose ONNX label (float32, onnxruntime) equals predict,
    for SphericalKMeans and KMeans with k=50; None without the onnx extra."""
    try:
        import onnxruntime
    except ImportError:
        return None
    from kmeanslab import KMeans, SphericalKMeans
    from kmeanslab.onnx_export import to_onnx

    out = {}
    for model in (SphericalKMeans(50, random_state=0), KMeans(50, random_state=0)):
        model.fit(X)
        session = onnxruntime.InferenceSession(
            to_onnx(model).SerializeToString(), providers=["CPUExecutionProvider"])
        expected = model.predict(X)
        agree = 0
        for start in range(0, X.shape[0], 1000):
            rows = X[start:start + 1000].toarray().astype(np.float32)
            labels, _ = session.run(None, {"X": rows})
            agree += int(np.sum(labels == expected[start:start + 1000]))
        out[type(model).__name__] = agree / X.shape[0]
    return out


def table(rows):
    """The rows as a Markdown table."""
    lines = ["| k | kmeanslab | ms/iter | scikit-learn ms/iter | speed-up | "
             "objective (1 - cos) | scikit-learn objective | iterations |",
             "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r['k']} | {r['estimator']} ({r['algorithm']}) | "
            f"{r['ms_per_iter']:.1f} | {r['sklearn_ms_per_iter']:.1f} | "
            f"{r['speedup']:.1f}x | {r['objective']:.1f} | "
            f"{r['sklearn_objective']:.1f} | {r['n_iter']} / {r['sklearn_n_iter']} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for every pool (default: as configured)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    import sklearn.cluster  # noqa: F401 - load its thread pools before limiting

    X, corpus = corpus_matrix()
    print(f"docstring corpus: {X.shape[0]} documents x {X.shape[1]} terms, "
          f"{X.nnz} non-zeros, {X.dtype}, CSR; versions {corpus.versions}")
    for line in describe():
        print(line)
    if args.threads is not None:
        with limit_threads(args.threads):
            print(f"threads: {args.threads}")
            rows = run(X, args.repeat)
    else:
        rows = run(X, args.repeat)
    print(table(rows))
    agreement = onnx_agreement(X)
    if agreement is not None:
        print("ONNX (float32) labels equal to predict: " + ", ".join(
            f"{name} {100 * share:.3f}%" for name, share in agreement.items()))


if __name__ == "__main__":
    main()
