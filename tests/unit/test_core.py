"""Tests for the public fit functions in ``kmeanslab.core``: what
``kmeans`` accepts and where it sends the data. The fit itself is tested in
``test_driver.py``, ``test_engine.py`` and ``test_init.py``."""

import numpy as np
import pytest

from kmeanslab import kmeans
from kmeanslab.core import fit_dask

def test_integer_input_becomes_float64():
    X = np.array([[0, 0], [0, 1], [10, 10], [10, 11]])
    result = kmeans(X, 2, init=np.array([[0, 0], [10, 10]]))
    assert result.centers.dtype == np.float64
    np.testing.assert_allclose(result.centers, [[0, 0.5], [10, 10.5]])


def test_memory_layout_does_not_change_the_result(blobs):
    X, init = blobs
    c = kmeans(np.ascontiguousarray(X), 3, init=init)
    f = kmeans(np.asfortranarray(X), 3, init=init)
    np.testing.assert_array_equal(c.labels, f.labels)
    assert c.centers.tobytes() == f.centers.tobytes()
    assert c.inertia == f.inertia


def test_dask_collections_go_to_the_dask_backend(blobs):
    da = pytest.importorskip("dask.array")
    X, init = blobs
    Xd = da.from_array(X, chunks=(100, 2))
    result = kmeans(Xd, 3, init=init)
    assert isinstance(result.labels, da.Array)
    again = fit_dask(Xd, 3, init=init)
    np.testing.assert_array_equal(result.labels.compute(), again.labels.compute())
    assert result.centers.tobytes() == again.centers.tobytes()
