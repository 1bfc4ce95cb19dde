"""Tests for kmeanslab.demo: the walkthrough reproduced into files."""

import sys

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from kmeanslab import KMeans
from kmeanslab.datasets import choose_initial_centroids, make_demo_data
from kmeanslab.demo import DEMO_FILES, DemoResult, run_demo, write_demo_report

# The walkthrough's printed numbers (sklearn.cluster.KMeans from the same start).
SEED_INERTIA = {1: 20111.198, 2: 10854.941, 3: 8260.499, 10: 7836.466}
PNG_SIZES = {"01_initial.png": (750, 750), "02_convergence.png": (1000, 1000),
             "03_overlap.png": (1000, 1000), "04_choose_k.png": (1200, 400)}


def _counting(calls, name, function):
    """``function``, counting its calls in ``calls[name]``."""
    def counted(*args, **kwargs):
        calls[name] += 1
        return function(*args, **kwargs)

    return counted


@pytest.fixture(scope="module")
def fit_calls():
    """Calls of choose_k and KMeans.fit made by the module's demo run."""
    return {"choose_k": 0, "KMeans.fit": 0}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory, fit_calls):
    import kmeanslab.selection

    out_dir = tmp_path_factory.mktemp("demo") / "out"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kmeanslab.selection, "choose_k", _counting(
            fit_calls, "choose_k", kmeanslab.selection.choose_k))
        patch.setattr(KMeans, "fit", _counting(fit_calls, "KMeans.fit", KMeans.fit))
        result = run_demo(out_dir, progress=False)
    return out_dir, result


def test_writes_every_file_in_order(demo_run):
    out_dir, result = demo_run
    assert isinstance(result, DemoResult)
    assert result.paths == tuple(out_dir / name for name in DEMO_FILES)
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(DEMO_FILES)


@pytest.mark.parametrize("name", sorted(PNG_SIZES))
def test_pngs_are_valid_images(name, demo_run):
    path = demo_run[0] / name
    assert path.stat().st_size > 10_000
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == PNG_SIZES[name]
        # Not a blank canvas.
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 20)) > 10


def test_inertia_by_iteration_cap_reproduces_the_walkthrough(demo_run):
    result = demo_run[1]
    assert list(result.inertia_by_iter) == [1, 2, 3, 10]
    for max_iter, inertia in SEED_INERTIA.items():
        assert round(result.inertia_by_iter[max_iter], 3) == inertia


def test_inertia_by_iteration_cap_equals_separate_fits(demo_run):
    X, _ = make_demo_data()
    init = choose_initial_centroids(X, 4)
    for max_iter, inertia in demo_run[1].inertia_by_iter.items():
        separate = KMeans(4, init=init, n_init=1, max_iter=max_iter).fit(X)
        assert inertia == pytest.approx(separate.inertia_, rel=1e-12)


def test_choose_k_peaks_at_four(demo_run):
    result = demo_run[1]
    assert result.ks == tuple(range(2, 11))
    assert len(result.inertias) == len(result.silhouettes) == 9
    assert result.best_k == 4
    assert result.ks[int(np.argmax(result.silhouettes))] == 4
    assert all(-1 <= s <= 1 for s in result.silhouettes)


def test_the_k_sweep_runs_once(demo_run, fit_calls):
    result = demo_run[1]
    # One choose_k call for every k; KMeans.fit only for the traced run and
    # the four overlap panels, never once per k.
    assert fit_calls == {"choose_k": 1, "KMeans.fit": 1 + 4}
    assert result.selection.ks == result.ks
    table = {row["k"]: row for row in result.selection.table}
    assert result.inertias == tuple(table[k]["inertia"] for k in result.ks)
    assert result.silhouettes == tuple(table[k]["silhouette"] for k in result.ks)
    assert result.best_k == result.selection.picks["silhouette"]


def test_sweep_fits_are_those_of_the_estimator(demo_run):
    result = demo_run[1]
    X, _ = make_demo_data()
    model = KMeans(4, random_state=117117).fit(X)
    assert result.inertias[result.ks.index(4)] == model.inertia_


def test_demo_report_draws_the_demo_fits(demo_run, tmp_path, monkeypatch):
    import kmeanslab.selection

    result = demo_run[1]

    def refit(*args, **kwargs):
        raise AssertionError("the report fitted again")

    monkeypatch.setattr(kmeanslab.selection, "choose_k", refit)
    monkeypatch.setattr(KMeans, "fit", refit)
    path = write_demo_report(result, tmp_path / "reports" / "demo.html")
    assert path == tmp_path / "reports" / "demo.html"
    page = path.read_text(encoding="utf-8")
    assert f'<strong id="recommended-k">{result.selection.recommended_k}</strong>' in page
    assert f'max="{result.n_iter}"' in page
    with pytest.raises(FileExistsError, match="--force"):
        write_demo_report(result, path)


def test_assignments_table_is_the_trace(demo_run):
    out_dir, result = demo_run
    table = pd.read_csv(out_dir / "assignments.csv")
    assert list(table.columns) == ["iteration", "inertia", "center_shift",
                                   "n_changed"]
    pd.testing.assert_frame_equal(table, result.changes.reset_index(drop=True),
                                  check_dtype=False)
    assert table["iteration"].tolist() == list(range(1, result.n_iter + 1))
    assert table["n_changed"].iloc[0] == result.n_samples
    assert (np.diff(table["inertia"]) <= 0).all()
    assert result.n_iter == 6


def test_gif_has_one_frame_per_iteration(demo_run):
    out_dir, result = demo_run
    with Image.open(out_dir / "convergence.gif") as gif:
        assert gif.format == "GIF"
        assert gif.n_frames == result.n_iter == len(result.changes)


def test_report_lines_follow_the_walkthrough(demo_run):
    lines = demo_run[1].report_lines()
    for expected in ["max_iter=1: inertia=20,111.2",
                     "max_iter=2: inertia=10,854.9",
                     "max_iter=3: inertia=8,260.5",
                     "max_iter=10: inertia=7,836.5",
                     "Silhouette score peaks at k=4"]:
        assert expected in lines
    assert lines[0].startswith("Data: 1,000 samples x 2 features")
    assert f"  {demo_run[0] / 'convergence.gif'}" in lines


def test_refuses_to_overwrite_without_force(demo_run):
    out_dir, _ = demo_run
    before = {p.name: p.read_bytes() for p in out_dir.iterdir()}
    with pytest.raises(FileExistsError, match=r"01_initial\.png.*--force"):
        run_demo(out_dir, progress=False)
    assert {p.name: p.read_bytes() for p in out_dir.iterdir()} == before


def test_any_existing_target_stops_the_run_before_writing(tmp_path):
    (tmp_path / "assignments.csv").write_text("mine")
    with pytest.raises(FileExistsError, match=r"assignments\.csv"):
        run_demo(tmp_path, progress=False)
    assert [p.name for p in tmp_path.iterdir()] == ["assignments.csv"]
    assert (tmp_path / "assignments.csv").read_text() == "mine"


def test_bad_lang_and_missing_font_fail_before_writing(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="lang"):
        run_demo(tmp_path / "a", lang="fr", progress=False)
    monkeypatch.setitem(sys.modules, "matplotlib_fontja", None)
    with pytest.raises(ImportError, match=r"pip install kmeanslab\[ja\]"):
        run_demo(tmp_path / "b", lang="ja", progress=False)
    assert not list(tmp_path.iterdir())
