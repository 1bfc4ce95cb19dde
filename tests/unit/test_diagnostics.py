"""Tests for kmeanslab.diagnostics."""

import numpy as np
import pytest

from kmeanslab import KMeans
from kmeanslab.diagnostics import (OverlapRun, ambiguous_share, cluster_sizes,
                                   overlap_experiment, overlap_table,
                                   point_diagnostics, principal_plane,
                                   soft_membership)

# Points on a line and centres at 0 and 4: distances are exact by hand.
LINE_X = np.array([[0.0, 0.0], [1.0, 0.0], [1.9, 0.0], [3.0, 0.0], [4.0, 0.0]])
LINE_CENTERS = np.array([[0.0, 0.0], [4.0, 0.0]])


def test_point_diagnostics_hand_computed():
    diag = point_diagnostics(LINE_X, LINE_CENTERS, ambiguity=0.1)
    assert list(diag.columns) == ["label", "distance", "second_distance", "margin",
                                  "relative_margin", "membership", "ambiguous"]
    assert diag["label"].tolist() == [0, 0, 0, 1, 1]
    np.testing.assert_allclose(diag["distance"], [0.0, 1.0, 1.9, 1.0, 0.0])
    np.testing.assert_allclose(diag["second_distance"], [4.0, 3.0, 2.1, 3.0, 4.0])
    np.testing.assert_allclose(diag["margin"], [4.0, 2.0, 0.2, 2.0, 4.0])
    np.testing.assert_allclose(diag["relative_margin"],
                               [1.0, 2 / 3, 0.2 / 2.1, 2 / 3, 1.0])
    assert diag["ambiguous"].tolist() == [False, False, True, False, False]


def test_default_temperature_is_mean_within_cluster_sq_distance():
    sq_dists = ((LINE_X[:, None, :] - LINE_CENTERS[None]) ** 2).sum(-1)
    temperature = sq_dists.min(axis=1).mean()
    weights = np.exp(-sq_dists / temperature)
    expected = weights / weights.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(soft_membership(LINE_X, LINE_CENTERS), expected)
    np.testing.assert_allclose(
        soft_membership(LINE_X, LINE_CENTERS, temperature=temperature), expected)
    diag = point_diagnostics(LINE_X, LINE_CENTERS)
    np.testing.assert_allclose(diag["membership"], expected.max(axis=1))


def test_zero_temperature_gives_hard_memberships():
    membership = soft_membership(LINE_X, LINE_CENTERS, temperature=0)
    np.testing.assert_array_equal(membership, np.eye(2)[[0, 0, 0, 1, 1]])


def test_membership_survives_points_far_from_every_centre():
    X = np.array([[1e6, 0.0], [0.0, 0.0]])
    membership = soft_membership(X, [[0.0, 0.0], [1.0, 0.0]], temperature=1e-3)
    assert np.isfinite(membership).all()
    np.testing.assert_allclose(membership.sum(axis=1), 1.0)


def test_single_centre():
    diag = point_diagnostics(LINE_X, [[2.0, 0.0]])
    assert (diag["label"] == 0).all()
    assert np.isinf(diag["second_distance"]).all()
    assert (diag["relative_margin"] == 1.0).all() and not diag["ambiguous"].any()
    assert (diag["membership"] == 1.0).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_labels_match_the_fit(blobs, random_seed, dtype):
    X = blobs[0].astype(dtype)
    model = KMeans(3, random_state=random_seed).fit(X)
    diag = point_diagnostics(X, model.cluster_centers_)
    np.testing.assert_array_equal(diag["label"], model.labels_)
    np.testing.assert_allclose(
        (diag["distance"] ** 2).sum(), model.inertia_, rtol=1e-4)
    membership = soft_membership(X, model.cluster_centers_)
    assert membership.dtype == np.float64
    np.testing.assert_allclose(membership.sum(axis=1), 1.0)


def test_ambiguous_share_is_the_mean_flag():
    assert ambiguous_share(LINE_X, LINE_CENTERS) == pytest.approx(0.2)
    assert ambiguous_share(LINE_X, LINE_CENTERS, ambiguity=0.7) == pytest.approx(0.6)
    assert ambiguous_share(LINE_X, LINE_CENTERS, ambiguity=0.0) == 0.0


@pytest.mark.parametrize("call, error", [
    (lambda: point_diagnostics(LINE_X, [[0.0, 0.0, 0.0]]), ValueError),
    (lambda: point_diagnostics(LINE_X, LINE_CENTERS, ambiguity=1.5), ValueError),
    (lambda: point_diagnostics(LINE_X, LINE_CENTERS, temperature=-1.0), ValueError),
    (lambda: soft_membership(LINE_X, LINE_CENTERS, temperature="hot"), TypeError),
    (lambda: point_diagnostics([[np.nan, 0.0]], LINE_CENTERS), ValueError),
], ids=["feature-mismatch", "ambiguity", "temperature", "temperature-type", "nan"])
def test_invalid_input(call, error):
    with pytest.raises(error):
        call()


def test_cluster_sizes_count_empty_clusters():
    assert cluster_sizes([0, 2, 2, 0, 2], 4).tolist() == [2, 0, 3, 0]
    assert cluster_sizes(np.array([], dtype=int), 2).tolist() == [0, 0]
    with pytest.raises(ValueError, match=r"in \[0, 2\)"):
        cluster_sizes([0, 2], 2)
    with pytest.raises(ValueError, match="integers"):
        cluster_sizes([0.5], 2)


def test_overlap_table_ambiguity_rises_with_cluster_std():
    table = overlap_table()
    assert list(table.columns) == ["cluster_std", "ambiguous_share",
                                   "mean_membership", "inertia"]
    assert table["cluster_std"].tolist() == [1.0, 2.0, 3.0, 4.5]
    shares = table["ambiguous_share"].to_numpy()
    assert (np.diff(shares) > 0).all(), shares
    assert (np.diff(table["mean_membership"]) < 0).all()


def test_overlap_experiment_runs_are_two_cluster_fits_of_the_blobs():
    from sklearn.datasets import make_blobs

    runs = overlap_experiment(stds=(1, 3.0), random_state=5)
    assert [run.cluster_std for run in runs] == [1.0, 3.0]
    for run, std in zip(runs, (1, 3.0)):
        assert isinstance(run, OverlapRun)
        X, _ = make_blobs(n_samples=1000, random_state=5, cluster_std=std)
        model = KMeans(n_clusters=2, random_state=5).fit(X)
        np.testing.assert_array_equal(run.X, X)
        np.testing.assert_array_equal(run.labels, model.labels_)
        np.testing.assert_array_equal(run.centers, model.cluster_centers_)
        assert run.inertia == model.inertia_


def test_overlap_table_is_the_experiment_in_numbers():
    runs = overlap_experiment(stds=(2.0, 4.5))
    table = overlap_table(stds=(2.0, 4.5))
    assert table["inertia"].tolist() == [run.inertia for run in runs]
    for share, run in zip(table["ambiguous_share"], runs):
        assert share == ambiguous_share(run.X, run.centers)


@pytest.mark.parametrize("stds", [(), (1.0, 0.0), (True,)],
                         ids=["empty", "zero", "bool"])
def test_overlap_experiment_rejects_bad_stds(stds):
    with pytest.raises(ValueError, match="stds must be a non-empty sequence"):
        overlap_experiment(stds)


def test_principal_plane_matches_pca():
    from sklearn.decomposition import PCA

    X = np.random.default_rng(0).normal(size=(200, 5)) * [5.0, 3.0, 1.0, 0.5, 0.1]
    plane = principal_plane(X)
    pca = PCA(n_components=2, random_state=0).fit(X)
    np.testing.assert_array_equal(plane.mean, pca.mean_)
    np.testing.assert_array_equal(plane.components, pca.components_)
    np.testing.assert_array_equal(plane.explained_variance_ratio,
                                  pca.explained_variance_ratio_)
    np.testing.assert_allclose(plane.transform(X), pca.transform(X), atol=1e-12)


def test_principal_plane_needs_two_samples_and_features():
    with pytest.raises(ValueError, match="at least two samples and two features"):
        principal_plane(np.zeros((10, 1)))
