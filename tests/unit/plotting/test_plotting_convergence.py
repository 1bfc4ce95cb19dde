"""Tests for kmeanslab.plotting._convergence: panels per iteration cap, the
trace plot and the animation."""

import warnings

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image, ImageSequence

from kmeanslab import KMeans, plotting
from kmeanslab.plotting._style import MESSAGES, label_colors

MAX_ITERS = (1, 2, 3, 10)


def test_convergence_title_follows_the_walkthrough(data, traced):
    fig = plotting.plot_convergence(data[0], traced.trace_, fig=Figure())
    assert fig.get_suptitle() == "Convergence behaviour versus iteration cap"


@pytest.mark.parametrize("max_iter", MAX_ITERS)
def test_convergence_panels_equal_separate_fits(max_iter, data, traced):
    X, _, init = data
    fig = plotting.plot_convergence(X, traced.trace_, MAX_ITERS, fig=Figure())
    ax = fig.axes[MAX_ITERS.index(max_iter)]
    separate = KMeans(4, init=init, n_init=1, max_iter=max_iter).fit(X)
    points, centers = ax.collections
    np.testing.assert_allclose(centers.get_offsets(),
                               separate.cluster_centers_, rtol=1e-12)
    np.testing.assert_array_equal(points.get_facecolors(),
                                  label_colors(separate.predict(X), 4))
    assert ax.get_title() == (f"max_iter = {max_iter}\n"
                              f"WCSS = {separate.inertia_:,.1f}")


def test_convergence_caps_beyond_the_run_show_its_last_iteration(data, traced):
    X = data[0]
    trace = traced.trace_
    fig = plotting.plot_convergence(X, trace, (len(trace), 50), fig=Figure())
    last, beyond = (ax.collections[1].get_offsets() for ax in fig.axes)
    np.testing.assert_array_equal(last, beyond)


def test_convergence_with_three_caps_hides_the_spare_panel(data, traced):
    fig = plotting.plot_convergence(data[0], traced.trace_, (1, 2, 3),
                                    fig=Figure())
    assert [ax.get_visible() for ax in fig.axes] == [True, True, True, False]


def test_convergence_needs_recorded_labels(data):
    X, _, init = data
    model = KMeans(4, init=init, n_init=1, max_iter=3).fit(X)
    with pytest.raises(ValueError, match="record_labels=True"):
        plotting.plot_convergence(X, model.trace_, fig=Figure())


@pytest.mark.parametrize("max_iters", [(), (0, 1), (1.5,)],
                         ids=["empty", "zero", "float"])
def test_convergence_rejects_bad_caps(max_iters, data, traced):
    with pytest.raises(ValueError, match="max_iters"):
        plotting.plot_convergence(data[0], traced.trace_, max_iters,
                                  fig=Figure())


def test_plot_trace_shows_inertia_and_changes(traced):
    trace = traced.trace_
    ax = plotting.plot_trace(trace, ax=Figure().subplots())
    iterations = np.arange(1, len(trace) + 1)
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), iterations)
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), trace.inertia)
    twin = [other for other in ax.figure.axes if other is not ax]
    assert len(twin) == 1
    np.testing.assert_array_equal(twin[0].lines[0].get_ydata(),
                                  trace.n_changed)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "inertia (WCSS)", "changed assignments"]


def test_trace_plot_method_uses_plot_trace(traced):
    ax = traced.trace_.plot(ax=Figure().subplots(), lang="ja")
    assert ax.get_title() == MESSAGES["ja"]["trace_title"]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_animation_has_one_frame_per_iteration(lang, data, traced, tmp_path):
    X = data[0]
    trace = traced.trace_
    path = tmp_path / "anim.gif"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        returned = plotting.animate_convergence(X, trace, path, fps=4,
                                                lang=lang)
    assert returned == path
    with Image.open(path) as gif:
        assert gif.format == "GIF"
        assert gif.n_frames == len(trace)
        assert gif.size == (480, 480)
        assert gif.info["duration"] == 250
        frames = [np.asarray(frame.convert("RGB"))
                  for frame in ImageSequence.Iterator(gif)]
    assert not np.array_equal(frames[0], frames[1])


@pytest.mark.parametrize("kwargs, match",
                         [({"path": "anim.png"}, "must end in '.gif'"),
                          ({"fps": 0}, "fps must be a positive number")],
                         ids=["suffix", "fps"])
def test_animation_rejects_bad_arguments(kwargs, match, data, traced, tmp_path):
    kwargs = {"path": "anim.gif", "fps": 2, **kwargs}
    kwargs["path"] = tmp_path / kwargs["path"]
    with pytest.raises(ValueError, match=match):
        plotting.animate_convergence(data[0], traced.trace_, **kwargs)
    assert not list(tmp_path.iterdir())
