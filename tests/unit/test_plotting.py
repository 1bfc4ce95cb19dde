"""Tests for kmeanslab.plotting (Agg backend, figures closed by conftest)."""

import io
import logging
import string
import sys
import warnings

import matplotlib
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from PIL import Image, ImageSequence
from sklearn.datasets import make_blobs

from kmeanslab import KMeans, plotting
from kmeanslab.datasets import choose_initial_centroids, make_demo_data

MAX_ITERS = (1, 2, 3, 10)


@pytest.fixture(scope="module")
def data():
    X, y = make_demo_data()
    return X, y, choose_initial_centroids(X, 4)


@pytest.fixture(scope="module")
def traced(data):
    X, _, init = data
    return KMeans(4, init=init, n_init=1, max_iter=max(MAX_ITERS),
                  record_labels=True).fit(X)


def _draw_all(fig):
    """Render strictly: any warning (a missing glyph, say) fails the test.

    savefig, not canvas.draw(): a Figure made outside pyplot has a base
    canvas whose draw() renders nothing.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.savefig(io.BytesIO(), format="png")


def _font_file(text):
    from matplotlib.font_manager import findfont

    return findfont(text.get_fontproperties())


# Every public function, called on a fresh target; returns (result, target).
def _call_initial(data, traced, lang, target):
    X, y, init = data
    return plotting.plot_initial_configuration(X, init, ax=target, labels=y,
                                               lang=lang)


def _call_clusters(data, traced, lang, target):
    X, _, _ = data
    return plotting.plot_clusters(X, traced.labels_, traced.cluster_centers_,
                                  ax=target, lang=lang)


def _call_convergence(data, traced, lang, target):
    return plotting.plot_convergence(data[0], traced.trace_, fig=target,
                                     lang=lang)


def _call_overlap(data, traced, lang, target):
    return plotting.plot_overlap_effect(stds=(1.0, 4.5), fig=target, lang=lang)


def _call_k_selection(data, traced, lang, target):
    return plotting.plot_k_selection([2, 3, 4], [9.0, 5.0, 4.0],
                                     [0.4, 0.6, 0.5], fig=target, lang=lang)


def _call_trace(data, traced, lang, target):
    return plotting.plot_trace(traced.trace_, ax=target, lang=lang)


SINGLE_AXES = [_call_initial, _call_clusters, _call_trace]
MULTI_PANEL = [_call_convergence, _call_overlap, _call_k_selection]
ALL_CALLS = SINGLE_AXES + MULTI_PANEL


def _ids(call):
    return call.__name__.removeprefix("_call_")


def _new_target(call):
    return Figure().subplots() if call in SINGLE_AXES else Figure()


def _figure_of(result):
    return result.figure if isinstance(result, Axes) else result


@pytest.mark.parametrize("call", ALL_CALLS, ids=_ids)
def test_draws_into_the_given_target_and_returns_it(call, data, traced):
    target = _new_target(call)
    assert call(data, traced, "en", target) is target


@pytest.mark.parametrize("call", ALL_CALLS, ids=_ids)
def test_creates_a_figure_when_given_none(call, data, traced):
    result = call(data, traced, "en", None)
    assert isinstance(result, Axes if call in SINGLE_AXES else Figure)
    _draw_all(_figure_of(result))


@pytest.mark.parametrize("call", ALL_CALLS, ids=_ids)
def test_japanese_text_renders_in_ipaexgothic(call, data, traced, caplog):
    before = dict(matplotlib.rcParams)
    # Axes made before the call: their title and labels already exist.
    fig = _figure_of(call(data, traced, "ja", _new_target(call)))
    with caplog.at_level(logging.WARNING, logger="matplotlib.font_manager"):
        _draw_all(fig)
    assert not [r for r in caplog.records if "findfont" in r.getMessage()]
    texts = [t for t in fig.findobj(matplotlib.text.Text)
             if t.get_visible() and any(ord(ch) > 0x3000 for ch in t.get_text())]
    assert texts, "no Japanese text drawn"
    for text in texts:
        assert _font_file(text).endswith("ipaexg.ttf"), text.get_text()
    # Tick labels get the font too, although they are made at draw time.
    tick_label = fig.axes[0].get_yticklabels()[0]
    assert _font_file(tick_label).endswith("ipaexg.ttf")
    assert dict(matplotlib.rcParams) == before


def test_english_is_the_default_and_follows_the_walkthrough(data, traced):
    X, _, init = data
    ax = plotting.plot_initial_configuration(X, init, ax=Figure().subplots())
    assert ax.get_title() == "Initial dataset and centroid seeds"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "samples", "initial centroids"]
    fig = plotting.plot_convergence(X, traced.trace_, fig=Figure())
    assert fig.get_suptitle() == "Convergence behaviour versus iteration cap"
    fig = plotting.plot_k_selection([2, 3], [2.0, 1.0], [0.5, 0.4],
                                    fig=Figure())
    assert [ax.get_title() for ax in fig.axes] == [
        "Elbow method (WCSS)", "Silhouette score"]
    assert fig.axes[0].get_xlabel() == "cluster count k"


def test_translation_tables_match():
    en, ja = plotting._MESSAGES["en"], plotting._MESSAGES["ja"]
    assert en.keys() == ja.keys()

    def fields(template):
        return {name for _, name, _, _ in string.Formatter().parse(template)
                if name}

    for key in en:
        assert fields(en[key]) == fields(ja[key]), key


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
    import subprocess

    code = ("import sys, kmeanslab, kmeanslab.plotting, kmeanslab.demo; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "False"


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


@pytest.mark.parametrize("max_iter", MAX_ITERS)
def test_convergence_panels_equal_separate_fits(max_iter, data, traced):
    X, _, init = data
    fig = plotting.plot_convergence(X, traced.trace_, MAX_ITERS, fig=Figure())
    ax = fig.axes[MAX_ITERS.index(max_iter)]
    separate = KMeans(4, init=init, n_init=1, max_iter=max_iter).fit(X)
    points, centers = ax.collections
    np.testing.assert_allclose(centers.get_offsets(),
                               separate.cluster_centers_, rtol=1e-12)
    np.testing.assert_array_equal(
        points.get_facecolors(),
        plotting._label_colors(separate.predict(X), 4))
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


def test_overlap_effect_panels_are_two_cluster_fits():
    stds = (1.0, 3.0)
    fig = plotting.plot_overlap_effect(stds=stds, fig=Figure())
    for ax, std in zip(fig.axes, stds):
        X, _ = make_blobs(n_samples=1000, random_state=117117, cluster_std=std)
        labels = KMeans(n_clusters=2, random_state=117117).fit_predict(X)
        (points,) = ax.collections
        np.testing.assert_array_equal(points.get_offsets(), X)
        np.testing.assert_array_equal(points.get_facecolors(),
                                      plotting._label_colors(labels, 2))
        assert ax.get_title() == f"cluster_std = {std}"


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
    assert ax.get_title() == plotting._MESSAGES["ja"]["trace_title"]


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
