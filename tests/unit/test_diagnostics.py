"""Tests for kmeanslab.diagnostics and its silhouette plot."""

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from kmeanslab import KMeans
from kmeanslab._plot_diagnostics import plot_silhouette
from kmeanslab.diagnostics import (ambiguous_share, cluster_sizes, overlap_table,
                                   point_diagnostics, soft_membership)
from kmeanslab.metrics import silhouette_samples

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


def test_plot_silhouette_draws_one_band_per_cluster():
    X = np.array([[0.0], [1.0], [2.0], [10.0], [11.0], [20.0], [21.0], [22.0]])
    labels = np.array([0, 0, 0, 1, 1, 2, 2, 2])
    values = silhouette_samples(X, labels)
    ax = plot_silhouette(X, labels, ax=Figure().subplots())
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 3
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0", "1", "2"]
    (mean_line,) = ax.lines
    assert mean_line.get_linestyle() == "--"
    assert mean_line.get_xdata()[0] == pytest.approx(values.mean())
    # Each band reaches its cluster's largest silhouette.
    for band, cluster in zip(bands, range(3)):
        widest = band.get_paths()[0].vertices[:, 0].max()
        assert widest == pytest.approx(values[labels == cluster].max())


def test_plot_silhouette_uses_given_values_and_checks_them():
    labels = np.array([0, 0, 1, 1])
    ax = plot_silhouette(None, labels, ax=Figure().subplots(),
                         silhouette_values=[0.9, 0.8, 0.7, -0.2])
    assert ax.get_xlim()[0] < -0.2
    assert ax.get_title() == "Silhouette plot of 2 clusters (4 samples)"
    with pytest.raises(ValueError, match="silhouette_values must have shape"):
        plot_silhouette(None, labels, silhouette_values=[0.5])
    with pytest.raises(ValueError, match="at least 2 clusters"):
        plot_silhouette(None, [0, 0], silhouette_values=[0.0, 0.0])


def test_plot_silhouette_in_japanese():
    pytest.importorskip("matplotlib_fontja")
    ax = plot_silhouette(None, [0, 0, 1, 1], ax=Figure().subplots(),
                         silhouette_values=[0.5, 0.4, 0.6, 0.3], lang="ja")
    assert ax.get_xlabel() == "シルエット係数"
    assert ax.xaxis.label.get_fontfamily()[0] != "sans-serif"
