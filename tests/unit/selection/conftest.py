"""Data shared by the kmeanslab.selection tests.

The walkthrough's data (make_blobs 1000 x 2, 8 centres, cluster_std=1.5,
random_state=117117, the root conftest's ``seed_blobs``) swept over k = 2..10
with every criterion, and four well separated blobs.
"""

import pytest
from sklearn.datasets import make_blobs

from kmeanslab.selection import choose_k

# The walkthrough's seed, also the random_state of the sweeps over its data.
SEED = 117117


@pytest.fixture(scope="session")
def seed_X(seed_blobs):
    """The walkthrough's 1000 x 2 data."""
    return seed_blobs[0]


@pytest.fixture(scope="session")
def seed_selection(seed_X):
    """choose_k over k = 2..10 with every criterion, random_state=SEED."""
    return choose_k(seed_X, range(2, 11), random_state=SEED, progress=False)


@pytest.fixture(scope="session")
def four_blobs():
    """600 points in 4 well separated 2-D blobs."""
    X, _ = make_blobs(n_samples=600, centers=4, cluster_std=0.5, random_state=0)
    return X
