"""Tests for kmeanslab.selection.stability (pairwise adjusted Rand index of
subsample clusterings)."""

import numpy as np
import pytest

from kmeanslab.selection import stability


def test_stability_is_one_at_the_true_k(four_blobs):
    result = stability(four_blobs, 4, n_runs=4, random_state=0)
    assert result.scores.shape == (6,)
    assert result.mean == pytest.approx(1.0)
    assert result.mean == result.scores.mean() and result.std == result.scores.std()
    again = stability(four_blobs, 4, n_runs=4, random_state=0)
    np.testing.assert_array_equal(again.scores, result.scores)


@pytest.mark.parametrize("kwargs,message", [
    ({"n_runs": 1}, "n_runs"), ({"subsample": 0.0}, "subsample"),
    ({"subsample": 1.5}, "subsample"), ({"k": 1}, "k must be"),
    ({"k": 9}, "larger than the subsample size")],
    ids=["one-run", "empty-subsample", "subsample-above-1", "k-1", "k-above-subsample"])
def test_stability_rejects_bad_parameters(kwargs, message):
    X = np.arange(20.0).reshape(10, 2)
    params = {"k": 2, **kwargs}
    with pytest.raises(ValueError, match=message):
        stability(X, **params)
