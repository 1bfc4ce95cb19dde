"""Collection rules for the doctests run over the package: modules that need
an optional extra are skipped when it is not installed."""

import importlib.util

collect_ignore = ([] if importlib.util.find_spec("dask")
                  else ["kmeanslab/backends/_dask.py", "kmeanslab/io/_chunks.py"])
