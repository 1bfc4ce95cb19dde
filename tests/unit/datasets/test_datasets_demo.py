"""Tests for kmeanslab.datasets._demo: the walkthrough's data and initial centres."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from kmeanslab.datasets import choose_initial_centroids, make_demo_data


def test_make_demo_data_is_the_walkthrough_blobs():
    X, y = make_demo_data()
    X_ref, y_ref = make_blobs(n_samples=1000, random_state=117117,
                              cluster_std=1.5, centers=8)
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)


def test_make_demo_data_passes_its_parameters():
    X, y = make_demo_data(n_samples=90, random_state=3, cluster_std=0.5,
                          n_centers=3)
    X_ref, _ = make_blobs(n_samples=90, random_state=3, cluster_std=0.5,
                          centers=3)
    assert X.shape == (90, 2)
    assert sorted(np.unique(y).tolist()) == [0, 1, 2]
    np.testing.assert_array_equal(X, X_ref)


def test_choose_initial_centroids_takes_first_rows_below_threshold():
    X = np.array([[0.0, -9.0], [1.0, 5.0], [2.0, -10.0], [3.0, -8.0],
                  [4.0, -8.5]])
    centers = choose_initial_centroids(X, 3)
    # -8.0 itself is not below the threshold; row order is kept.
    np.testing.assert_array_equal(centers, X[[0, 2, 4]])


def test_choose_initial_centroids_on_demo_data_matches_the_seed_rule():
    X, _ = make_demo_data()
    centers = choose_initial_centroids(X, 4)
    np.testing.assert_array_equal(centers, X[X[:, 1] < -8][:4])
    assert (centers[:, 1] < -8).all()


def test_choose_initial_centroids_returns_a_copy():
    X = np.array([[0.0, -9.0], [1.0, -9.5]])
    centers = choose_initial_centroids(X, 1)
    centers[0, 0] = 99.0
    assert X[0, 0] == 0.0


def test_choose_initial_centroids_respects_threshold():
    X = np.array([[0.0, -9.0], [1.0, 5.0], [2.0, 4.0]])
    np.testing.assert_array_equal(
        choose_initial_centroids(X, 2, threshold=4.5), X[[0, 2]])


def test_too_few_candidates_message_gives_both_counts():
    X, _ = make_demo_data()
    n_below = int((X[:, 1] < -8).sum())
    with pytest.raises(ValueError) as info:
        choose_initial_centroids(X, n_below + 1)
    message = str(info.value)
    assert f"only {n_below} points have y < -8.0" in message
    assert f"n_clusters={n_below + 1} are needed" in message


@pytest.mark.parametrize(
    "X, n_clusters, error, match",
    [
        (np.zeros(5), 1, ValueError, "shape"),
        (np.zeros((5, 1)), 1, ValueError, "n_features >= 2"),
        (np.full((5, 2), -9.0), 0, ValueError, "n_clusters must be >= 1"),
        (np.full((5, 2), -9.0), 2.0, TypeError, "n_clusters must be an integer"),
        (np.full((5, 2), -9.0), True, TypeError, "n_clusters must be an integer"),
    ],
    ids=["1d", "one-feature", "zero-clusters", "float-clusters", "bool-clusters"],
)
def test_choose_initial_centroids_rejects_bad_input(X, n_clusters, error, match):
    with pytest.raises(error, match=match):
        choose_initial_centroids(X, n_clusters)
