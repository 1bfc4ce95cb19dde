"""Tests for kmeanslab.report._page: write_report, its checks, the page
around the sections, the packaged stylesheet and script, and the file."""

import re
import tomllib
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from kmeanslab.report import _page, write_report
from kmeanslab.report._page import read_asset

SECTIONS = ("overview", "replay", "choose-k", "silhouette")
ASSETS = ("report.css", "report.js")


def _section_ids(page):
    return re.findall(r'<section id="([^"]+)"', page)


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


@pytest.mark.parametrize("name", ASSETS)
def test_assets_are_package_files(name):
    asset = resources.files("kmeanslab.report").joinpath("assets").joinpath(name)
    assert asset.is_file()
    assert read_asset(name) == asset.read_text(encoding="utf-8")
    assert read_asset(name).strip()


def test_page_inlines_the_packaged_stylesheet_and_script(full_page, full_inputs,
                                                         tmp_path):
    css, script = read_asset("report.css"), read_asset("report.js")
    assert f"<style>\n{css}</style>" in full_page
    assert f"<script>\n{script}</script>" in full_page
    # The script only where a replay needs it; the stylesheet always.
    page = write_report(tmp_path / "r.html",
                        X=full_inputs["X"]).read_text(encoding="utf-8")
    assert css in page and script not in page


def test_page_is_built_from_the_asset_files(full_inputs, tmp_path, monkeypatch):
    # A changed package file changes the page: nothing is kept in Python.
    monkeypatch.setattr(_page, "read_asset", lambda name: f"/* {name} */\n")
    page = write_report(tmp_path / "r.html", X=full_inputs["X"],
                        trace=full_inputs["trace"]).read_text(encoding="utf-8")
    assert "<style>\n/* report.css */\n</style>" in page
    assert "<script>\n/* report.js */\n</script>" in page


def test_pyproject_ships_the_assets():
    # scikit-build-core puts every file of the listed packages in the wheel,
    # less what wheel.exclude names: the assets must be neither left out
    # nor excluded.
    import fnmatch

    pyproject = Path(__file__).parents[3] / "pyproject.toml"
    build = tomllib.loads(pyproject.read_text())["tool"]["scikit-build"]
    assert "kmeanslab" in build["wheel"]["packages"]
    assets = Path(__file__).parents[3] / "kmeanslab" / "report" / "assets"
    shipped = [f"kmeanslab/report/assets/{p.name}" for p in assets.iterdir()]
    assert shipped
    for pattern in build["wheel"].get("exclude", []):
        assert not any(fnmatch.fnmatch(name, pattern) for name in shipped)


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
    real_build_page = _page.build_page

    def page_then_race(*args):
        target.write_text("written by someone else")
        return real_build_page(*args)

    monkeypatch.setattr(_page, "build_page", page_then_race)
    with pytest.raises(FileExistsError, match="--force"):
        write_report(target, X=X)
    assert target.read_text() == "written by someone else"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]


def test_tables_use_the_feature_names_and_say_when_data_was_standardised(tmp_path):
    from sklearn.preprocessing import StandardScaler

    from kmeanslab import KMeans
    from kmeanslab.report._html import fmt

    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(100.0, 10.0, 90), rng.normal(-5.0, 0.1, 90)])
    scaler = StandardScaler().fit(X)
    X_model = scaler.transform(X)
    km = KMeans(3, random_state=0).fit(X_model)
    page = write_report(tmp_path / "r.html", X=X_model, labels=km.labels_,
                        centers=km.cluster_centers_, trace=km.trace_,
                        feature_names=["height", "depth"],
                        scaler=scaler).read_text(encoding="utf-8")
    features = re.search(r'<table class="data features">.*?</table>', page, re.S).group()
    assert "<td>height</td>" in features and "<td>depth</td>" in features
    # The original units, as centers.csv gives them.
    assert f"<td>{fmt(X[:, 0].mean())}</td>" in features
    centers = re.search(r'<table class="data centers">.*?</table>', page, re.S).group()
    assert "<th>height</th>" in centers and "<th>x0</th>" not in centers
    original = scaler.inverse_transform(km.cluster_centers_)
    assert f"<td>{fmt(original[0, 0])}</td>" in centers
    assert "was standardised before clustering" in page
    assert "height (standardised)" in page


def test_feature_names_must_match_X(tmp_path):
    with pytest.raises(ValueError, match="one name per feature of X"):
        write_report(tmp_path / "r.html", X=np.eye(3), feature_names=["a", "b"])
