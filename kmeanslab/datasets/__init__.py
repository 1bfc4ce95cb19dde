"""Data sets: the walkthrough's demo data and the clustering benchmark sets.

Modules
-------
_demo
    :func:`make_demo_data` (eight Gaussian blobs) and
    :func:`choose_initial_centroids` (the walkthrough's fixed start).
_benchmarks
    :func:`load_sipu` and :func:`load_bkm`: the SIPU basic benchmark and the
    breathing k-means high-dimensional sets, as :class:`BenchmarkSet`.
_docstrings
    :func:`load_docstrings`: a text corpus of the docstrings of the
    standard library and of numpy, scipy, scikit-learn and pandas
    (:class:`DocstringCorpus`), built on first use and cached.
data/
    The copies of SIPU A1 and S2 shipped with the package.
"""

from ._benchmarks import (BKM_SETS, SIPU_SETS, BenchmarkSet, data_dir, load_bkm,
                          load_sipu)
from ._demo import choose_initial_centroids, make_demo_data
from ._docstrings import DOCSTRING_PACKAGES, DocstringCorpus, load_docstrings

__all__ = [
    "BKM_SETS",
    "SIPU_SETS",
    "BenchmarkSet",
    "DOCSTRING_PACKAGES",
    "DocstringCorpus",
    "choose_initial_centroids",
    "data_dir",
    "load_bkm",
    "load_docstrings",
    "load_sipu",
    "make_demo_data",
]
