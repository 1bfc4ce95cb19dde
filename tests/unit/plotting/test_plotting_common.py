"""What every public kmeanslab.plotting function does: draw into the target
it is given and return it, make a figure when given none, and draw Japanese
text in IPAexGothic without touching global rcParams."""

import io
import logging
import warnings

import matplotlib
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from kmeanslab import plotting


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


# Every public function that takes ``lang``, called on a fresh target;
# returns what the function returned.
def _call_initial(data, traced, lang, target):
    X, y, init = data
    return plotting.plot_initial_configuration(X, init, ax=target, labels=y,
                                               lang=lang)


def _call_clusters(data, traced, lang, target):
    X, _, _ = data
    return plotting.plot_clusters(X, traced.labels_, traced.cluster_centers_,
                                  ax=target, lang=lang)


def _call_silhouette(data, traced, lang, target):
    X, _, _ = data
    return plotting.plot_silhouette(X, traced.labels_, ax=target, lang=lang)


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


SINGLE_AXES = [_call_initial, _call_clusters, _call_trace, _call_silhouette]
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


def test_package_exports_every_public_function():
    for name in plotting.__all__:
        assert getattr(plotting, name) is not None
    assert {"plot_selection", "plot_silhouette", "plot_overlap_effect",
            "plot_convergence"} <= set(plotting.__all__)
