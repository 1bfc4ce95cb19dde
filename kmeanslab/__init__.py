"""kmeanslab: fast, traceable k-means clustering.

Public API
----------
KMeans
    scikit-learn compatible estimator with a convergence trace.
kmeans
    The function behind it, returning a KMeansResult.
kmeans_plusplus
    k-means++ seeding.
thread_limit
    Context manager for the kernels' thread count.
"""

from ._threads import thread_limit
from .core import KMeansResult, kmeans
from .estimator import KMeans
from .init import kmeans_plusplus
from .trace import ConvergenceTrace

__all__ = [
    "ConvergenceTrace",
    "KMeans",
    "KMeansResult",
    "kmeans",
    "kmeans_plusplus",
    "thread_limit",
]

__version__ = "0.1.0"
