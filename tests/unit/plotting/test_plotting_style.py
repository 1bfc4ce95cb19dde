"""Tests for kmeanslab.plotting._style: text, languages, fonts, figures."""

import string
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.figure import Figure

from kmeanslab import plotting
from kmeanslab.plotting._style import (FIGSIZES, MESSAGES, check_points,
                                       label_colors, new_figure, panels)


def test_translation_tables_match():
    en, ja = MESSAGES["en"], MESSAGES["ja"]
    assert en.keys() == ja.keys()

    def fields(template):
        return {name for _, name, _, _ in string.Formatter().parse(template)
                if name}

    for key in en:
        assert fields(en[key]) == fields(ja[key]), key


def test_languages_are_the_table_keys():
    assert plotting.LANGUAGES == ("en", "ja") == tuple(MESSAGES)


def test_unknown_lang_is_rejected(data):
    X, _, init = data
    with pytest.raises(ValueError, match="lang must be one of"):
        plotting.plot_initial_configuration(X, init, ax=Figure().subplots(),
                                            lang="fr")


def test_missing_fontja_names_the_extra(data, monkeypatch):
    X, _, init = data
    monkeypatch.setitem(sys.modules, "matplotlib_fontja", None)
    with pytest.raises(ImportError, match=r"pip install kmeanslab\[ja\]"):
        plotting.plot_initial_configuration(X, init, ax=Figure().subplots(),
                                            lang="ja")


def test_plotting_is_imported_without_matplotlib():
    code = ("import sys, kmeanslab, kmeanslab.plotting, kmeanslab.demo; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "False"


def test_new_figure_is_outside_pyplot_with_the_walkthrough_size():
    import matplotlib.pyplot as plt

    fig = new_figure("k_selection")
    assert tuple(fig.get_size_inches()) == FIGSIZES["k_selection"]
    assert tuple(new_figure(figsize=(3.0, 2.0)).get_size_inches()) == (3.0, 2.0)
    assert fig not in map(plt.figure, plt.get_fignums())


def test_panels_hide_the_unused_cell():
    fig, axes = panels(Figure(), 3, "panels")
    assert len(axes) == 3
    assert [ax.get_visible() for ax in fig.axes] == [True, True, True, False]


def test_label_colors_are_fixed_per_cluster_index():
    colors = label_colors([0, 1, 0, 11], 12)
    np.testing.assert_array_equal(colors[0], colors[2])
    assert not np.array_equal(colors[0], colors[1])
    # tab10 up to 10 clusters, then tab20.
    np.testing.assert_array_equal(label_colors([3], 4), label_colors([3], 10))
    assert not np.array_equal(label_colors([3], 4), label_colors([3], 11))


def test_check_points_needs_two_features():
    with pytest.raises(ValueError, match="n_features >= 2"):
        check_points(np.zeros((5, 1)))
