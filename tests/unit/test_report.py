"""Tests for kmeanslab.report: the self-contained HTML report (no browser)."""

import base64
import json
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs

from kmeanslab import KMeans, report
from kmeanslab.metrics import silhouette_samples
from kmeanslab.report import write_report
from kmeanslab.selection import choose_k

# choose_k's cheap criteria: the gap statistic and stability refit every k
# many times; the stand-in selection below covers their error-bar columns.
FAST_CRITERIA = ("inertia", "silhouette", "calinski_harabasz", "davies_bouldin")
SECTIONS = ("overview", "replay", "choose-k", "silhouette")


@pytest.fixture(scope="module")
def seed_fit(seed_blobs):
    """The seed's run (1000 samples around 8 blobs, 4 clusters from the
    first 4 samples with X[:, 1] < -8), with every iteration's labels."""
    X, init = seed_blobs
    km = KMeans(4, init=init, record_labels=True).fit(X)
    return X, km


@pytest.fixture(scope="module")
def selection(seed_fit):
    X, _ = seed_fit
    return choose_k(X, range(2, 9), criteria=FAST_CRITERIA, random_state=0,
                    progress=False)


@pytest.fixture(scope="module")
def full_inputs(seed_fit, selection):
    X, km = seed_fit
    return dict(X=X, labels=km.labels_, centers=km.cluster_centers_,
                trace=km.trace_, selection=selection,
                silhouette_values=silhouette_samples(X, km.labels_))


@pytest.fixture(scope="module")
def full_page(full_inputs, tmp_path_factory):
    path = write_report(tmp_path_factory.mktemp("report") / "report.html",
                        **full_inputs)
    return path.read_text(encoding="utf-8")


def _section_ids(page):
    return re.findall(r'<section id="([^"]+)"', page)


def _replay_data(page):
    match = re.search(r'<script type="application/json" data-role="data">(.*?)</script>',
                      page, re.S)
    return json.loads(match.group(1))


def _decode(text, dtype):
    return np.frombuffer(base64.b64decode(text), dtype=dtype)


def test_returns_the_path_and_writes_every_section(full_inputs, tmp_path):
    path = write_report(str(tmp_path / "r.html"), **full_inputs)
    assert path == tmp_path / "r.html"
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert _section_ids(page) == list(SECTIONS)


def test_no_external_resources(full_page):
    assert "http://" not in full_page
    assert "https://" not in full_page
    # Every src/href is a fragment or a data: URL, never a network location.
    for url in re.findall(r'(?:src|href)\s*=\s*["\']([^"\']*)', full_page):
        assert url.startswith(("#", "data:")), url
    assert "<script src" not in full_page
    assert "@import" not in full_page and "url(" not in full_page
    # The policy blocks any request that slips in later.
    assert "default-src 'none'" in full_page


def test_page_stays_small(full_page):
    assert len(full_page.encode("utf-8")) < 500_000


def test_overview_lists_features_and_cluster_sizes(full_page, full_inputs):
    X, labels = full_inputs["X"], full_inputs["labels"]
    assert '<span id="n-samples">1,000</span>' in full_page
    assert '<span id="n-features">2</span>' in full_page
    sizes = re.search(r'<table class="data cluster-sizes">.*?</table>', full_page, re.S)
    counts = [int(c.replace(",", "")) for c in
              re.findall(r"</span>\d+</td><td>([\d,]+)</td>", sizes.group(0))]
    assert counts == np.bincount(labels).tolist()
    assert report._fmt(X[:, 0].min()) in full_page


def test_replay_controls_and_initial_state(full_page, seed_fit):
    _, km = seed_fit
    n_iter = km.n_iter_
    slider = re.search(r'<input type="range" id="iteration-slider"[^>]*>', full_page).group(0)
    assert f'max="{n_iter}"' in slider and f'value="{n_iter}"' in slider
    assert f'id="iteration-label" data-role="label">Iteration {n_iter} of {n_iter}<' in full_page
    assert 'id="play-button"' in full_page
    assert full_page.count('class="center"') == 4


def test_replay_frames_rebuild_the_traced_labels(full_page, seed_fit):
    _, km = seed_fit
    data = _replay_data(full_page)
    frames = data["frames"]
    assert len(frames) == km.n_iter_ + 1  # the initial centres, then each iteration
    labels = _decode(data["labels0"], "<i4").copy()
    assert len(_decode(data["points"], "<f4")) == 2 * 1000
    for t, frame in enumerate(frames[1:], start=1):
        labels[_decode(frame["changed"], "<i4")] = _decode(frame["changed_to"], "<i4")
        np.testing.assert_array_equal(labels, km.trace_.labels_at(t))
        assert frame["label"] == f"Iteration {t} of {km.n_iter_}"
        assert frame["inertia"] == report._fmt(km.trace_[t - 1].inertia)
    # Distinct iterations draw their centres in distinct places.
    assert frames[1]["centers"] != frames[-1]["centers"]


def test_choose_k_panels_and_recommendation(full_page, selection):
    assert selection.recommended_k is not None
    assert f'<strong id="recommended-k">{selection.recommended_k}</strong>' in full_page
    assert report._esc(selection.explanation) in full_page
    for name in FAST_CRITERIA:
        pick = selection.picks[name]
        assert f'data-criterion="{name}" data-pick="{"" if pick is None else pick}"' in full_page
    assert full_page.count('class="pick"') == sum(
        p is not None for p in selection.picks.values())


def test_silhouette_bands_and_mean(full_page, full_inputs):
    values = full_inputs["silhouette_values"]
    assert full_page.count('<polygon class="band"') == 4
    assert f'<strong id="silhouette-mean">{values.mean():.3f}</strong>' in full_page
    assert 'id="silhouette-mean-line"' in full_page


@pytest.mark.parametrize("left_out, absent", [
    ("trace", "replay"), ("selection", "choose-k"),
    ("silhouette_values", "silhouette"),
], ids=["no-trace", "no-selection", "no-silhouette"])
def test_section_left_out_when_its_input_is_none(full_inputs, tmp_path, left_out, absent):
    inputs = dict(full_inputs, **{left_out: None})
    page = write_report(tmp_path / "r.html", **inputs).read_text(encoding="utf-8")
    assert _section_ids(page) == [s for s in SECTIONS if s != absent]


def test_x_alone_gives_only_the_overview(full_inputs, tmp_path):
    page = write_report(tmp_path / "r.html", X=full_inputs["X"]).read_text(encoding="utf-8")
    assert _section_ids(page) == ["overview"]
    assert "<script" not in page
    assert 'class="data cluster-sizes"' not in page
    assert 'id="recommended-k"' not in page


def test_labels_and_centres_default_to_the_trace(full_inputs, tmp_path):
    page = write_report(tmp_path / "r.html", X=full_inputs["X"],
                        trace=full_inputs["trace"]).read_text(encoding="utf-8")
    assert 'class="data cluster-sizes"' in page and 'class="data centers"' in page


def test_trace_without_labels_replays_centres_only(seed_fit, tmp_path):
    X, _ = seed_fit
    km = KMeans(4, init=seed_fit[1].trace_.best.init_centers).fit(X)
    page = write_report(tmp_path / "r.html", X=X, labels=km.labels_,
                        trace=km.trace_).read_text(encoding="utf-8")
    assert "no per-iteration labels" in page
    data = _replay_data(page)
    assert all(len(_decode(f["changed"], "<i4")) == 0 for f in data["frames"][1:])


def test_large_high_dimensional_data_is_subsampled_and_projected(tmp_path):
    X, _ = make_blobs(n_samples=12_000, n_features=5, centers=4, random_state=0)
    km = KMeans(4, random_state=0, record_labels=True).fit(X)
    page = write_report(tmp_path / "r.html", X=X, trace=km.trace_).read_text(encoding="utf-8")
    assert "Showing 5,000 of 12,000 samples" in page
    assert "first two principal components" in page
    assert len(_decode(_replay_data(page)["points"], "<f4")) == 2 * report.MAX_SHOWN_SAMPLES
    assert len(page.encode("utf-8")) < 1_000_000


def test_stand_in_selection_with_a_dataframe_table(seed_fit, tmp_path):
    X, _ = seed_fit
    table = pd.DataFrame({"k": [2, 3, 4, 5], "inertia": [90.0, 40.0, 20.0, 18.0],
                          "gap": [0.5, 0.9, 1.2, 1.21],
                          "gap_se": [0.05, 0.05, 0.04, 0.05]}).set_index("k")
    stand_in = SimpleNamespace(table=table, picks={"inertia": 4, "gap": 4},
                               recommended_k=4, explanation="k=4 <wins> & more",
                               criteria=("inertia", "gap"))
    page = write_report(tmp_path / "r.html", X=X, selection=stand_in).read_text(encoding="utf-8")
    assert '<strong id="recommended-k">4</strong>' in page
    assert "k=4 &lt;wins&gt; &amp; more" in page
    assert page.count('<line class="err"') == 4


def test_title_is_escaped(seed_fit, tmp_path):
    X, _ = seed_fit
    page = write_report(tmp_path / "r.html", X=X, title="<b>A & B</b>").read_text(encoding="utf-8")
    assert "<title>&lt;b&gt;A &amp; B&lt;/b&gt;</title>" in page
    assert "<b>A" not in page


@pytest.mark.parametrize("inputs, message", [
    (lambda X, km: dict(X=X, labels=km.labels_[:10]), "labels must have shape"),
    (lambda X, km: dict(X=X, centers=np.zeros((4, 3))), "centers must have shape"),
    (lambda X, km: dict(X=X, silhouette_values=np.zeros(len(X))), "needs labels"),
    (lambda X, km: dict(X=X[:, :1], trace=km.trace_), "trace centres have 2 features"),
    (lambda X, km: dict(X=X[:500], trace=km.trace_), "trace labels cover 1000"),
], ids=["labels-length", "centers-features", "silhouette-no-labels",
        "trace-features", "trace-samples"])
def test_rejects_inputs_that_do_not_match_x(seed_fit, tmp_path, inputs, message):
    with pytest.raises(ValueError, match=message):
        write_report(tmp_path / "r.html", **inputs(*seed_fit))
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_overwrite_without_force(seed_fit, tmp_path):
    X, _ = seed_fit
    target = tmp_path / "r.html"
    target.write_text("keep me")
    with pytest.raises(FileExistsError, match=r"r\.html.*--force"):
        write_report(target, X=X)
    assert target.read_text() == "keep me"
    write_report(target, X=X, force=True)
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]


def test_file_created_meanwhile_is_not_overwritten(seed_fit, tmp_path, monkeypatch):
    X, _ = seed_fit
    target = tmp_path / "r.html"
    real_page = report._page

    def page_then_race(*args):
        target.write_text("written by someone else")
        return real_page(*args)

    monkeypatch.setattr(report, "_page", page_then_race)
    with pytest.raises(FileExistsError, match="--force"):
        write_report(target, X=X)
    assert target.read_text() == "written by someone else"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]
