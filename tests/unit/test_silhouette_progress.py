"""silhouette_samples(progress=...): the work in parts with a callback, for
the command line's progress bar, and bitwise the same result."""

import numpy as np
import pytest

from kmeanslab.metrics import silhouette_samples


@pytest.mark.parametrize("n_samples", [5, 3000, 40_000],
                         ids=["one-block", "small", "many-rounds"])
def test_progress_reports_every_part_and_changes_nothing(n_samples):
    rng = np.random.default_rng(n_samples)
    X = rng.normal(size=(n_samples, 3))
    labels = rng.integers(0, 4, n_samples)
    calls = []
    scores = silhouette_samples(X, labels, progress=lambda done, total: calls.append(
        (done, total)))
    np.testing.assert_array_equal(scores, silhouette_samples(X, labels))
    total = calls[-1][1]
    assert calls == [(i, total) for i in range(1, total + 1)]
    if n_samples == 40_000:
        assert total > 10


def test_progress_must_be_callable():
    with pytest.raises(TypeError, match="progress must be a callable"):
        silhouette_samples(np.eye(3), [0, 1, 1], progress=5)
