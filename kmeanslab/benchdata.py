"""Old path of the benchmark-set loaders, kept so that
``from kmeanslab.benchdata import load_sipu`` keeps working.

The code lives in :mod:`kmeanslab.datasets` (``kmeanslab/datasets/_benchmarks.py``);
import it from there in new code.
"""

from .datasets._benchmarks import (BKM_SETS, SIPU_SETS, BenchmarkSet, data_dir,
                                   load_bkm, load_sipu)

__all__ = ["BKM_SETS", "SIPU_SETS", "BenchmarkSet", "data_dir", "load_bkm",
           "load_sipu"]
