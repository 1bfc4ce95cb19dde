"""Shared test configuration."""

import os
import sys

import pytest

# Plot tests draw off-screen: set before anything imports matplotlib (a
# developer's MPLBACKEND would otherwise open windows).
os.environ["MPLBACKEND"] = "Agg"


@pytest.fixture(autouse=True)
def _close_figures():
    """Close pyplot figures a test left open."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


# --- Core k-means fixtures -------------------------------------------------
# Seeds come from ``random_seed`` (never the global RNG). Tests using it must
# pass for every seed in 0..99: run e.g. ``KMEANSLAB_TEST_SEED=17 pytest``.

import importlib.util as _importlib_util
from pathlib import Path as _Path

import numpy as _np


@pytest.fixture
def random_seed():
    """Seed for a test's random data (KMEANSLAB_TEST_SEED, default 0)."""
    return int(os.environ.get("KMEANSLAB_TEST_SEED", "0"))


@pytest.fixture(scope="session")
def reference():
    """The plain NumPy reference k-means (tests/reference.py), loaded by path
    so it works whatever the import mode or the current directory."""
    path = _Path(__file__).with_name("reference.py")
    spec = _importlib_util.spec_from_file_location("kmeanslab_tests_reference", path)
    module = _importlib_util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def blobs(random_seed):
    """(X, init): 300 samples around 3 well separated 2-D blobs, float64,
    and an init of 3 samples, one from each blob."""
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n_samples=300, centers=3, cluster_std=1.0,
                      random_state=random_seed)
    init = _np.stack([X[_np.flatnonzero(y == c)[0]] for c in range(3)])
    return X, init


@pytest.fixture(scope="session")
def seed_blobs():
    """(X, init) of the seed's fixed-centroid run: 1000 samples, 8 blobs,
    init = the first 4 samples with X[:, 1] < -8."""
    from sklearn.datasets import make_blobs

    X, _ = make_blobs(n_samples=1000, centers=8, cluster_std=1.5,
                      random_state=117117)
    return X, X[X[:, 1] < -8][:4].copy()


@pytest.fixture
def tiny_case():
    """A hand-computed run (see tests/unit/test_engine.py::test_tiny_hand_computed)."""
    X = _np.array([[0.0, 1.0], [1.0, 1.0], [3.0, 1.0], [9.0, 1.0], [12.0, 1.0]])
    init = _np.array([[0.0, 1.0], [1.0, 1.0]])
    return X, init
