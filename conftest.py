"""Collection rules for the doctests run over the package: modules and
examples that need an optional extra are skipped when it is not installed."""

import importlib.util

import pytest

_HAS_DASK = importlib.util.find_spec("dask") is not None

_HAS_TORCH = importlib.util.find_spec("torch") is not None
_HAS_TRITON = _HAS_TORCH and importlib.util.find_spec("triton") is not None

collect_ignore = ([] if _HAS_DASK
                  else ["kmeanslab/backends/dask", "kmeanslab/io/_chunks.py"])
if not _HAS_TORCH:
    collect_ignore.append("kmeanslab/backends/torch")
if not _HAS_TRITON:
    collect_ignore.append("kmeanslab/_kernels/triton")
# --doctest-modules would also import every tests/**/conftest.py as a module
# named "conftest", and the second one clashes with the first ("import file
# mismatch"); pytest still loads them as conftests.
collect_ignore_glob = ["tests/*conftest.py"]
# Doctests of functions that live in modules without the extra but need it.
_NEEDS_DASK = {"kmeanslab.core.fit_dask"}


def pytest_collection_modifyitems(config, items):
    if _HAS_DASK:
        return
    skip = pytest.mark.skip(reason="needs the dask extra")
    for item in items:
        if item.name in _NEEDS_DASK:
            item.add_marker(skip)
