"""kmeanslab: fast, traceable k-means clustering.

Public API
----------
KMeans
    scikit-learn compatible estimator with a convergence trace.
kmeans
    The function behind it, returning a KMeansResult.
kmeans_plusplus
    k-means++ seeding.
SphericalKMeans, spherical_kmeans
    Spherical (cosine) k-means for dense or sparse rows (text).
load
    Read a model written by ``model.save(path)`` (no pickle).
ConvergenceTrace, KMeansResult
    What a fit records and returns.
thread_limit
    Context manager for the kernels' thread count.
choose_k, find_knee
    Compare fits over a range of k and recommend one; the Kneedle knee of a
    curve (from :mod:`kmeanslab.selection`).
silhouette_score, centroid_index
    Cluster quality and the distance between two sets of centres (from
    :mod:`kmeanslab.metrics`).

Names are imported on first use, so ``import kmeanslab`` (and the CLI's
``--help``) does not load numba, scikit-learn or pandas.
"""

import importlib

__version__ = "0.1.0"

_LAZY = {
    "ConvergenceTrace": ".trace",
    "KMeans": ".estimator",
    "SphericalKMeans": ".spherical",
    "spherical_kmeans": ".spherical",
    "KMeansResult": ".core",
    "kmeans": ".core",
    "kmeans_plusplus": ".init",
    "load": ".persistence",
    "thread_limit": "._threads",
    "centroid_index": ".metrics",
    "silhouette_score": ".metrics",
    "choose_k": ".selection",
    "find_knee": ".selection",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kmeanslab' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
