"""Tests for kmeanslab.report._replay: the convergence replay's controls,
frames and data."""

import base64
import json
import re

import numpy as np
from sklearn.datasets import make_blobs

from kmeanslab import KMeans
from kmeanslab.diagnostics import principal_plane
from kmeanslab.report import MAX_SHOWN_SAMPLES, write_report
from kmeanslab.report._html import fmt


def _replay_data(page):
    match = re.search(r'<script type="application/json" data-role="data">(.*?)</script>',
                      page, re.S)
    return json.loads(match.group(1))


def _decode(text, dtype):
    return np.frombuffer(base64.b64decode(text), dtype=dtype)


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
        assert frame["inertia"] == fmt(km.trace_[t - 1].inertia)
    # Distinct iterations draw their centres in distinct places.
    assert frames[1]["centers"] != frames[-1]["centers"]


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
    assert len(_decode(_replay_data(page)["points"], "<f4")) == 2 * MAX_SHOWN_SAMPLES
    assert len(page.encode("utf-8")) < 1_000_000


def test_projection_comes_from_the_library(tmp_path, monkeypatch):
    # The report fits nothing itself: its 2-D view is diagnostics.principal_plane.
    X, _ = make_blobs(n_samples=300, n_features=4, centers=3, random_state=1)
    km = KMeans(3, random_state=0).fit(X)
    calls = []

    def recording_plane(X_shown, random_state=0):
        calls.append(X_shown.shape)
        return principal_plane(X_shown, random_state=random_state)

    monkeypatch.setattr("kmeanslab.diagnostics.principal_plane", recording_plane)
    page = write_report(tmp_path / "r.html", X=X, trace=km.trace_).read_text(encoding="utf-8")
    assert calls == [(300, 4)]
    ratio = principal_plane(X).explained_variance_ratio
    assert f"PC1 ({100 * ratio[0]:.1f}% of variance)" in page
