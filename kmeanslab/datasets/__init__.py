"""Data sets: the walkthrough's demo data and the clustering benchmark sets.

Modules
-------
_demo
    :func:`make_demo_data` (eight Gaussian blobs) and
    :func:`choose_initial_centroids` (the walkthrough's fixed start).
_benchmarks
    :func:`load_sipu` and :func:`load_bkm`: the SIPU basic benchmark and the
    breathing k-means high-dimensional sets, as :class:`BenchmarkSet`.
data/
    The copies of SIPU A1 and S2 shipped with the package.
"""

from ._benchmarks import (BKM_SETS, SIPU_SETS, BenchmarkSet, data_dir, load_bkm,
                          load_sipu)
from ._demo import choose_initial_centroids, make_demo_data

__all__ = [
    "BKM_SETS",
    "SIPU_SETS",
    "BenchmarkSet",
    "choose_initial_centroids",
    "data_dir",
    "load_bkm",
    "load_sipu",
    "make_demo_data",
]
