"""Tests for kmeanslab.plotting._selection: the elbow and silhouette pair and
the per-criterion panels of a choose_k result."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from kmeanslab import plotting
from kmeanslab.selection import choose_k


def test_k_selection_titles_follow_the_walkthrough():
    fig = plotting.plot_k_selection([2, 3], [2.0, 1.0], [0.5, 0.4],
                                    fig=Figure())
    assert [ax.get_title() for ax in fig.axes] == [
        "Elbow method (WCSS)", "Silhouette score"]
    assert fig.axes[0].get_xlabel() == "cluster count k"


def test_k_selection_marks_the_best_silhouette():
    fig = plotting.plot_k_selection(range(2, 6), [9.0, 5.0, 4.0, 3.5],
                                    [0.3, 0.5, 0.7, 0.6], fig=Figure())
    elbow_ax, silhouette_ax = fig.axes
    np.testing.assert_array_equal(elbow_ax.lines[0].get_ydata(),
                                  [9.0, 5.0, 4.0, 3.5])
    star = silhouette_ax.lines[1]
    assert (star.get_xdata()[0], star.get_ydata()[0]) == (4, 0.7)
    assert silhouette_ax.get_legend().get_texts()[0].get_text() == "best k = 4"


def test_k_selection_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="one value per k"):
        plotting.plot_k_selection([2, 3], [1.0], [0.5, 0.4], fig=Figure())


def test_k_selection_draws_a_choose_k_result(data):
    selection = choose_k(data[0], range(2, 7), criteria=("inertia", "silhouette"),
                         random_state=0, progress=False)
    ks = [row["k"] for row in selection.table]
    fig = plotting.plot_k_selection(ks, [row["inertia"] for row in selection.table],
                                    [row["silhouette"] for row in selection.table],
                                    fig=Figure())
    legend = fig.axes[1].get_legend().get_texts()[0].get_text()
    assert legend == f"best k = {selection.picks['silhouette']}"


@pytest.mark.parametrize("n_panels, size", [(1, (4.0, 3.2)), (3, (12.0, 3.2)),
                                            (4, (12.0, 6.4)), (6, (12.0, 6.4))])
def test_selection_figsize_is_three_panels_per_row(n_panels, size):
    assert plotting.selection_figsize(n_panels) == pytest.approx(size)


def test_plot_selection_makes_a_figure_of_selection_figsize(data):
    selection = choose_k(data[0], range(2, 6),
                         criteria=("inertia", "silhouette", "davies_bouldin",
                                   "calinski_harabasz"),
                         random_state=0, progress=False)
    fig = plotting.plot_selection(selection)
    assert tuple(fig.get_size_inches()) == pytest.approx(
        plotting.selection_figsize(4))
    assert len(fig.axes) == 4
    assert fig.get_suptitle() == f"recommended k = {selection.recommended_k}"


def test_a_panel_without_pick_or_recommendation_has_no_legend(data):
    import warnings

    selection = choose_k(data[0], range(2, 5), criteria=("inertia",),
                         random_state=0, progress=False)
    assert selection.picks == {"inertia": None} and selection.recommended_k is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib's "No artists with labels"
        fig = plotting.plot_selection(selection, fig=Figure())
    assert fig.axes[0].get_legend() is None
