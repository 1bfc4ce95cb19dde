"""Tests for ``kmeanslab demo`` and the ``kmeanslab`` group (click CliRunner)."""

import subprocess
import sys
import warnings

import pytest

from kmeanslab.demo import DEMO_FILES

SEED_LINES = [
    "max_iter=1: inertia=20,111.2",
    "max_iter=2: inertia=10,854.9",
    "max_iter=3: inertia=8,260.5",
    "max_iter=10: inertia=7,836.5",
    "Silhouette score peaks at k=4",
]


@pytest.fixture(scope="module")
def english_run(tmp_path_factory, invoke):
    out_dir = tmp_path_factory.mktemp("cli") / "demo-out"
    result = invoke("demo", "--out", out_dir)
    return out_dir, result


def test_demo_prints_the_walkthrough_numbers(english_run):
    out_dir, result = english_run
    assert result.exit_code == 0, result.output
    stdout_lines = result.stdout.splitlines()
    for line in SEED_LINES:
        assert line in stdout_lines
    assert stdout_lines[0].startswith("Data: 1,000 samples x 2 features")
    # The assignments-change table's header.
    assert any(line.split() == ["iteration", "inertia", "center_shift",
                                "n_changed"] for line in stdout_lines)


def test_demo_writes_and_lists_its_files(english_run):
    out_dir, result = english_run
    for name in DEMO_FILES:
        path = out_dir / name
        assert path.stat().st_size > 0
        assert f"  {path}" in result.stdout.splitlines()


def test_demo_shows_progress_on_stderr(english_run):
    assert "kmeanslab demo" in english_run[1].stderr


def test_demo_refuses_to_overwrite_without_force(english_run, invoke,
                                                 assert_one_line_error):
    out_dir, _ = english_run
    before = {name: (out_dir / name).read_bytes() for name in DEMO_FILES}
    result = invoke("demo", "--out", out_dir)
    assert_one_line_error(result, "--force", "01_initial.png")
    assert {name: (out_dir / name).read_bytes() for name in DEMO_FILES} == before


def test_demo_force_quiet_overwrites_and_prints_only_paths(english_run, invoke):
    out_dir, _ = english_run
    stale = out_dir / "assignments.csv"
    stale.write_text("stale")
    result = invoke("demo", "--out", out_dir, "--force", "--quiet")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [str(out_dir / n) for n in DEMO_FILES]
    assert result.stderr == ""
    assert stale.read_text().startswith("iteration,inertia")


def test_demo_in_japanese_has_no_missing_glyphs(tmp_path, invoke):
    with warnings.catch_warnings():
        # A glyph missing from the font is a UserWarning: make it fail.
        warnings.simplefilter("error")
        result = invoke("demo", "--out", tmp_path, "--lang", "ja", "--quiet")
    assert result.exception is None, result.output
    assert result.exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(DEMO_FILES)


def test_demo_without_the_font_extra_fails_cleanly(tmp_path, monkeypatch, invoke):
    monkeypatch.setitem(sys.modules, "matplotlib_fontja", None)
    result = invoke("demo", "--out", tmp_path / "out", "--lang", "ja")
    assert result.exit_code == 2
    assert "pip install kmeanslab[ja]" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_demo_rejects_an_unknown_language(tmp_path, invoke):
    result = invoke("demo", "--out", tmp_path, "--lang", "fr")
    assert result.exit_code == 2
    assert "'fr' is not one of 'en', 'ja'" in result.stderr


@pytest.mark.parametrize("args", [["--help"], ["demo", "--help"], ["-h"]],
                         ids=["group", "demo", "short"])
def test_help(args, invoke):
    result = invoke(*args)
    assert result.exit_code == 0
    assert "Usage:" in result.stdout
    if args[0] == "demo":
        for option in ("--out", "--lang", "--force", "--quiet"):
            assert option in result.stdout
        assert "kmeanslab-demo" in result.stdout
    else:
        assert "demo" in result.stdout


def test_version(invoke):
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == "kmeanslab, version 0.1.0"


def test_help_does_not_import_heavy_modules():
    # pandas is left out: scikit-learn, imported by kmeanslab itself, loads it.
    code = ("import sys\n"
            "from kmeanslab.cli.main import cli\n"
            "try:\n"
            "    cli(['demo', '--help'])\n"
            "except SystemExit:\n"
            "    pass\n"
            "print(sorted(m for m in ('matplotlib', 'tqdm', "
            "'kmeanslab.demo', 'kmeanslab.plotting') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_cli_languages_match_plotting():
    from kmeanslab import plotting
    from kmeanslab.cli import options

    assert options.LANGUAGES == plotting.LANGUAGES


def test_demo_report_is_written(tmp_path, invoke, monkeypatch):
    import kmeanslab.selection
    from kmeanslab import KMeans

    calls = {"choose_k": 0, "KMeans.fit": 0}

    def counting(name, function):
        def counted(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)
        return counted

    monkeypatch.setattr(kmeanslab.selection, "choose_k",
                        counting("choose_k", kmeanslab.selection.choose_k))
    monkeypatch.setattr(KMeans, "fit", counting("KMeans.fit", KMeans.fit))
    report = tmp_path / "demo.html"
    result = invoke("demo", "--out", tmp_path / "out", "--report", report, "--quiet")
    assert result.exit_code == 0, result.output
    # The report draws the demo's own fits: one sweep over k, and KMeans.fit
    # only for the traced run and the four overlap panels.
    assert calls == {"choose_k": 1, "KMeans.fit": 1 + 4}
    page = report.read_text()
    assert 'id="recommended-k"' in page and 'id="iteration-slider"' in page
    assert str(report) in result.output.splitlines()
    again = invoke("demo", "--out", tmp_path / "out2", "--report", report, "--quiet")
    assert again.exit_code == 2 and "--force" in again.output
