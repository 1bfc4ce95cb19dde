"""Tests for kmeanslab.plotting._assignments: the data and its seeds, the
clusters, and the overlap panels."""

import numpy as np
import pytest
from matplotlib.figure import Figure
from sklearn.datasets import make_blobs

from kmeanslab import KMeans, plotting
from kmeanslab.diagnostics import overlap_experiment
from kmeanslab.plotting._style import label_colors


def test_english_is_the_default_and_follows_the_walkthrough(data):
    X, _, init = data
    ax = plotting.plot_initial_configuration(X, init, ax=Figure().subplots())
    assert ax.get_title() == "Initial dataset and centroid seeds"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "samples", "initial centroids"]


def test_initial_configuration_draws_the_centres(data):
    X, y, init = data
    ax = plotting.plot_initial_configuration(X, init, ax=Figure().subplots())
    samples, centers = ax.collections
    np.testing.assert_array_equal(samples.get_offsets(), X[:, :2])
    np.testing.assert_array_equal(centers.get_offsets(), init)
    # Coloured by labels when given: one colour per blob.
    ax = plotting.plot_initial_configuration(X, init, ax=Figure().subplots(),
                                             labels=y)
    assert len(np.unique(ax.collections[0].get_facecolors(), axis=0)) == 8


def test_plot_clusters_title_and_centres(data, traced):
    X = data[0]
    ax = plotting.plot_clusters(X, traced.labels_, ax=Figure().subplots())
    assert ax.get_title() == "Cluster assignments"
    assert len(ax.collections) == 1 and ax.get_legend() is None
    ax = plotting.plot_clusters(X, traced.labels_, traced.cluster_centers_,
                                ax=Figure().subplots(), title="")
    assert ax.get_title() == ""
    np.testing.assert_array_equal(ax.collections[1].get_offsets(),
                                  traced.cluster_centers_)


def test_plot_clusters_rejects_mismatched_labels(data):
    with pytest.raises(ValueError, match="labels must have shape"):
        plotting.plot_clusters(data[0], [0, 1], ax=Figure().subplots())


def test_overlap_effect_panels_are_two_cluster_fits():
    stds = (1.0, 3.0)
    fig = plotting.plot_overlap_effect(stds=stds, fig=Figure())
    for ax, std in zip(fig.axes, stds):
        X, _ = make_blobs(n_samples=1000, random_state=117117, cluster_std=std)
        labels = KMeans(n_clusters=2, random_state=117117).fit_predict(X)
        (points,) = ax.collections
        np.testing.assert_array_equal(points.get_offsets(), X)
        np.testing.assert_array_equal(points.get_facecolors(),
                                      label_colors(labels, 2))
        assert ax.get_title() == f"cluster_std = {std}"


def test_overlap_effect_draws_given_runs_without_fitting(monkeypatch):
    runs = overlap_experiment(stds=(2.0, 4.5), random_state=3)

    def no_fit(*args, **kwargs):
        raise AssertionError("plot_overlap_effect ran the experiment again")

    monkeypatch.setattr("kmeanslab.diagnostics.overlap_experiment", no_fit)
    fig = plotting.plot_overlap_effect(runs=runs, fig=Figure())
    assert [ax.get_title() for ax in fig.axes] == ["cluster_std = 2.0",
                                                   "cluster_std = 4.5"]
    for ax, run in zip(fig.axes, runs):
        (points,) = ax.collections
        np.testing.assert_array_equal(points.get_offsets(), run.X)
        np.testing.assert_array_equal(points.get_facecolors(),
                                      label_colors(run.labels, 2))


@pytest.mark.parametrize("kwargs", [{"stds": ()}, {"runs": ()}],
                         ids=["no-stds", "no-runs"])
def test_overlap_effect_needs_a_run(kwargs):
    with pytest.raises(ValueError, match="stds|runs"):
        plotting.plot_overlap_effect(fig=Figure(), **kwargs)
