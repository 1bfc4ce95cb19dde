"""Inputs shared by the kmeanslab.report tests: the seed's traced fit, a
choose_k sweep over its data and the full page written from them."""

import pytest

from kmeanslab import KMeans
from kmeanslab.metrics import silhouette_samples
from kmeanslab.report import write_report
from kmeanslab.selection import choose_k

# choose_k's cheap criteria: the gap statistic and stability refit every k
# many times; the stand-in selection of test_report_selection covers their
# error-bar columns.
FAST_CRITERIA = ("inertia", "silhouette", "calinski_harabasz", "davies_bouldin")


@pytest.fixture(scope="session")
def seed_fit(seed_blobs):
    """The seed's run (1000 samples around 8 blobs, 4 clusters from the
    first 4 samples with X[:, 1] < -8), with every iteration's labels."""
    X, init = seed_blobs
    km = KMeans(4, init=init, record_labels=True).fit(X)
    return X, km


@pytest.fixture(scope="session")
def selection(seed_fit):
    """choose_k over k = 2..8 of the seed's data with the cheap criteria."""
    X, _ = seed_fit
    return choose_k(X, range(2, 9), criteria=FAST_CRITERIA, random_state=0,
                    progress=False)


@pytest.fixture(scope="session")
def full_inputs(seed_fit, selection):
    """Every input of write_report."""
    X, km = seed_fit
    return dict(X=X, labels=km.labels_, centers=km.cluster_centers_,
                trace=km.trace_, selection=selection,
                silhouette_values=silhouette_samples(X, km.labels_))


@pytest.fixture(scope="session")
def full_page(full_inputs, tmp_path_factory):
    """The page with every section, as text."""
    path = write_report(tmp_path_factory.mktemp("report") / "report.html",
                        **full_inputs)
    return path.read_text(encoding="utf-8")
