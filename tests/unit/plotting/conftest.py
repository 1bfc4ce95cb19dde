"""Data shared by the kmeanslab.plotting tests (Agg backend, figures closed
by the root conftest): the walkthrough's data, its initial centres and one
traced fit from them."""

import pytest

from kmeanslab import KMeans
from kmeanslab.datasets import choose_initial_centroids, make_demo_data

# The largest of the walkthrough's iteration caps (1, 2, 3, 10).
MAX_ITER = 10


@pytest.fixture(scope="session")
def data():
    """(X, y, init): the demo data, its true blobs and the 4 initial centres."""
    X, y = make_demo_data()
    return X, y, choose_initial_centroids(X, 4)


@pytest.fixture(scope="session")
def traced(data):
    """KMeans(4) from ``init`` with every iteration's labels recorded."""
    X, _, init = data
    return KMeans(4, init=init, n_init=1, max_iter=MAX_ITER,
                  record_labels=True).fit(X)
