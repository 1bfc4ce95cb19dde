"""Tests for kmeanslab.plotting._diagnostics: the silhouette plot."""

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from kmeanslab.metrics import silhouette_samples
from kmeanslab.plotting import plot_silhouette


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
