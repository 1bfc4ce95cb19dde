"""Tests for kmeanslab.selection.choose_k and KSelection: the sweep's table
against direct computations on its stored fits (scikit-learn's metrics,
kmeanslab.kmeans, the standalone gap_statistic and stability), the
progress bar, the plot, and parameter checks."""

import numpy as np
import pytest
from matplotlib.figure import Figure
from sklearn import metrics as skm

import kmeanslab.core
from kmeanslab import kmeans, metrics
from kmeanslab.selection import (
    CRITERIA,
    KSelection,
    SkippedKWarning,
    choose_k,
    gap_statistic,
    stability,
)

# The walkthrough's seed (see conftest.py).
SEED = 117117
KS = range(2, 11)


def test_seed_data_silhouette_picks_four(seed_selection):
    assert isinstance(seed_selection, KSelection)
    assert seed_selection.picks["silhouette"] == 4
    assert seed_selection.recommended_k == 4
    assert seed_selection.ks == tuple(KS)
    assert set(seed_selection.picks) == set(CRITERIA)


def test_criteria_agree_with_direct_computation(seed_X, seed_selection):
    for row in seed_selection.table:
        model = seed_selection.models[row["k"]]
        labels = model.labels
        assert row["skipped"] is None
        assert row["n_iter"] == model.n_iter
        assert row["inertia"] == model.inertia
        direct_inertia = np.sum((seed_X - model.centers[labels]) ** 2)
        assert row["inertia"] == pytest.approx(direct_inertia, rel=1e-9)
        assert row["silhouette"] == pytest.approx(
            skm.silhouette_score(seed_X, labels), rel=1e-9)
        assert row["calinski_harabasz"] == pytest.approx(
            skm.calinski_harabasz_score(seed_X, labels), rel=1e-9)
        assert row["davies_bouldin"] == pytest.approx(
            skm.davies_bouldin_score(seed_X, labels), rel=1e-9)


def test_models_are_the_seeded_fits(seed_X, seed_selection):
    # An int random_state reaches every fit unchanged, as in KMeans(k, random_state).
    for k in (2, 4, 10):
        direct = kmeans(seed_X, k, random_state=SEED)
        np.testing.assert_array_equal(seed_selection.models[k].labels, direct.labels)


def test_gap_and_stability_columns_match_standalone_functions(seed_X):
    sel = choose_k(seed_X, range(2, 7), criteria=("gap", "stability"), n_refs=3,
                   n_runs=3, random_state=SEED, progress=False)
    gap = gap_statistic(seed_X, range(2, 7), n_refs=3, random_state=SEED)
    df = sel.to_pandas()
    np.testing.assert_allclose(df["gap"], gap.gap, rtol=1e-12)
    np.testing.assert_allclose(df["gap_se"], gap.gap_se, rtol=1e-12)
    assert sel.picks["gap"] == gap.best_k
    stab = stability(seed_X, 5, n_runs=3, random_state=SEED)
    assert df.loc[5, "stability"] == stab.mean
    assert df.loc[5, "stability_std"] == stab.std


def test_each_k_is_fitted_once(seed_X, monkeypatch):
    calls = []
    original = kmeanslab.core.kmeans

    def counting(X, n_clusters, **kwargs):
        if X.shape == seed_X.shape:  # not the warm-up on a few rows
            calls.append(n_clusters)
        return original(X, n_clusters, **kwargs)

    monkeypatch.setattr(kmeanslab.core, "kmeans", counting)
    choose_k(seed_X, range(2, 6), criteria=("inertia", "silhouette",
             "calinski_harabasz", "davies_bouldin"), random_state=0, progress=False)
    assert sorted(calls) == [2, 3, 4, 5]


def test_parallel_table_equals_serial(seed_X, seed_selection):
    parallel = choose_k(seed_X, KS, random_state=SEED, progress=False, n_jobs=2)
    serial_df = seed_selection.to_pandas().drop(columns="fit_seconds")
    parallel_df = parallel.to_pandas().drop(columns="fit_seconds")
    assert parallel_df.equals(serial_df)
    assert parallel.picks == seed_selection.picks
    assert parallel.explanation == seed_selection.explanation


def test_simplified_silhouette_uses_fitted_centres(seed_X):
    sel = choose_k(seed_X, range(2, 6), criteria=("silhouette",),
                   silhouette="simplified", random_state=SEED, progress=False)
    for row in sel.table:
        model = sel.models[row["k"]]
        assert row["silhouette"] == metrics.simplified_silhouette(
            seed_X, model.labels, model.centers)


def test_summary_and_pandas(seed_selection):
    text = str(seed_selection)
    assert text == seed_selection.summary()
    assert "recommended k: 4" in text and "silhouette" in text
    df = seed_selection.to_pandas()
    assert df.index.name == "k" and df.index.tolist() == list(KS)
    assert {"gap_se", "stability_std", "n_iter", "fit_seconds"} <= set(df.columns)
    assert "silhouette_low" not in df.columns
    assert "KSelection(ks=" in repr(seed_selection)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_progress_bar_counts_ks_without_a_rate(seed_X, capsys, n_jobs):
    choose_k(seed_X[:100], [2, 3, 4], criteria=("inertia",), progress=True,
             n_jobs=n_jobs)
    err = capsys.readouterr().err
    final = err.replace("\r", "\n").strip().splitlines()[-1]
    assert final.startswith("choose_k: 100%|") and "| 3/3 k [" in final
    # tqdm's rate ("2.5k/s", "s/k", "?k/s") reads as thousands of ks per second.
    assert "/s" not in err and "s/k" not in err
    choose_k(seed_X[:100], [2, 3], criteria=("inertia",), progress=False)
    assert capsys.readouterr().err == ""


def test_elbow_is_the_inertia_criterion(seed_X):
    kwargs = dict(k_range=range(2, 8), random_state=SEED, progress=False)
    elbow = choose_k(seed_X, criteria=["elbow", "silhouette"], **kwargs)
    inertia = choose_k(seed_X, criteria=["inertia", "silhouette"], **kwargs)
    assert elbow.criteria == inertia.criteria == ("inertia", "silhouette")
    assert elbow.picks == inertia.picks and elbow.picks["inertia"] is not None
    assert elbow.recommended_k == inertia.recommended_k
    assert elbow.explanation == inertia.explanation
    assert elbow.to_pandas().drop(columns="fit_seconds").equals(
        inertia.to_pandas().drop(columns="fit_seconds"))
    assert "inertia" in elbow.to_pandas().columns
    assert choose_k(seed_X, criteria="elbow", **kwargs).criteria == ("inertia",)


def test_float32_input(seed_X):
    sel = choose_k(seed_X.astype(np.float32), range(2, 6),
                   criteria=("inertia", "silhouette"), random_state=SEED, progress=False)
    assert sel.models[3].centers.dtype == np.float32
    assert np.isfinite(sel.to_pandas()["silhouette"]).all()


def test_out_of_range_ks_are_skipped_with_warning():
    X = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.warns(SkippedKWarning, match=r"k=\[1, 10, 11\]"):
        sel = choose_k(X, range(1, 12), criteria=("silhouette",), progress=False)
    assert sel.ks == tuple(range(2, 10))


@pytest.mark.parametrize("k_range", [[1], [10, 11], range(12, 20)],
                         ids=["only-1", "above-n-1", "far-above"])
def test_no_valid_k_raises(k_range):
    X = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(ValueError, match="k_range"):
        choose_k(X, k_range, progress=False)


def test_constant_data_raises():
    with pytest.raises(ValueError, match="single distinct point"):
        choose_k(np.ones((20, 3)), progress=False)


def test_k_above_distinct_points_is_marked_skipped():
    X = np.repeat(np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]]), 10, axis=0)
    sel = choose_k(X, range(2, 6), random_state=0, progress=False, n_refs=2, n_runs=2)
    df = sel.to_pandas()
    assert df.loc[[2, 3], "skipped"].isna().all()
    for k in (4, 5):
        assert "3 distinct points" in df.loc[k, "skipped"]
        assert np.isnan(df.loc[k, "silhouette"]) and k not in sel.models
    assert "Not scored" in sel.explanation
    assert sel.picks["silhouette"] == 3
    # k=3 puts each distinct point in its own cluster: W_3 is zero up to
    # rounding, so its gap is NaN rather than a huge number.
    assert np.isnan(df.loc[3, "gap"]) and sel.picks["gap"] == 2
    assert "only k with a finite gap" in sel.explanation


@pytest.mark.parametrize("kwargs,error,message", [
    ({"criteria": ("silhouette", "bic")}, ValueError, "criteria"),
    ({"criteria": ()}, ValueError, "criteria"),
    ({"criteria": ("elbow", "inertia")}, ValueError, "repeated"),
    ({"silhouette": "approximate"}, ValueError, "silhouette must be"),
    ({"n_jobs": 0}, ValueError, "n_jobs"),
    ({"k_range": [2, 2.5]}, TypeError, "k_range"),
    ({"k_range": [2, 3, 3]}, ValueError, "repeated"),
    ({"sample_weight": np.ones(50)}, TypeError, "unexpected keyword"),
    ({"init": np.zeros((2, 2))}, ValueError, "init"),
    ({"max_iter": 0}, ValueError, "max_iter"),
    ({"random_state": "seed"}, TypeError, "random_state"),
], ids=["unknown-criterion", "no-criteria", "elbow-and-inertia", "silhouette-method",
        "n_jobs", "float-k", "repeated-k", "unknown-kwarg", "init-array", "max_iter",
        "random_state"])
def test_choose_k_rejects_bad_parameters(kwargs, error, message):
    X = np.random.default_rng(0).normal(size=(50, 2))
    with pytest.raises(error, match=message):
        choose_k(X, **{"progress": False, **kwargs})


def test_plot_has_one_axes_per_criterion(seed_selection):
    fig = seed_selection.plot(fig=Figure())
    assert isinstance(fig, Figure)
    assert len(fig.axes) == len(seed_selection.criteria)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith("Inertia") and "Gap" in titles[4]
    silhouette_legend = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert "pick: k = 4" in silhouette_legend
    assert "recommended k = 4" in silhouette_legend
    fig.canvas.draw()


def test_plot_creates_pyplot_figure_for_two_criteria(seed_X):
    sel = choose_k(seed_X, range(2, 6), criteria=("inertia", "silhouette"),
                   silhouette="sampled", silhouette_n_samples=100, random_state=0,
                   progress=False)
    fig = sel.plot()
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    fig.canvas.draw()


def test_table_holds_the_picks_and_the_recommendation(seed_selection):
    df = seed_selection.to_pandas()
    assert df.loc[seed_selection.recommended_k, "recommended"]
    assert df["recommended"].sum() == 1
    for name, k in seed_selection.picks.items():
        assert name in df.loc[k, "picked_by"].split(",")
    assert set(df["picked_by"].str.split(",").sum()) - {""} == set(seed_selection.picks)


def test_first_fit_seconds_excludes_compilation(monkeypatch):
    from kmeanslab.core import resolve_algorithm

    X = np.random.default_rng(0).normal(size=(400, 3))
    calls = []
    real = kmeanslab.core.kmeans

    def record(X_fit, k, **kwargs):
        calls.append((X_fit.shape[0], k, kwargs.get("algorithm", "auto")))
        return real(X_fit, k, **kwargs)

    monkeypatch.setattr(kmeanslab.core, "kmeans", record)
    choose_k(X, [3, 4], criteria=("inertia",), random_state=0, progress=False)
    # A warm-up on a few rows, with the algorithm the timed fits run, first.
    assert calls[0] == (64, 3, resolve_algorithm("auto", 400, 3, 3))
    assert [(n, k) for n, k, _ in calls[1:]] == [(400, 3), (400, 4)]


@pytest.mark.parametrize("criteria, reason", [
    (("silhouette", "davies_bouldin"), "the silhouette and Davies-Bouldin need "
                                       "2 <= k <= n_samples - 1 = 5"),
    (("inertia", "gap"), "choose_k compares 2 <= k <= n_samples - 1 = 5"),
], ids=["silhouette", "elbow-and-gap"])
def test_skipped_ks_give_the_reason_for_the_criteria_asked(criteria, reason):
    X = np.array([[0.0], [0.1], [5.0], [5.1], [9.0], [9.2]])
    with pytest.warns(SkippedKWarning) as caught:
        choose_k(X, range(2, 40), criteria=criteria, random_state=0,
                 progress=False, n_refs=2)
    message = str(caught[0].message)
    assert message.startswith("k_range: skipping 34 k(s), k=6..39, outside [2, 5]")
    assert reason in message


def test_summary_leaves_out_the_rows_not_scored():
    X = np.repeat(np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]]), 10, axis=0)
    sel = choose_k(X, range(2, 25), criteria=("inertia", "silhouette"),
                   random_state=0, progress=False)
    summary = sel.summary()
    table_lines = summary.split("\npicks:")[0].splitlines()[1:]
    assert [line.split()[0] for line in table_lines[2:]] == ["2", "3"]
    assert "k=4..24 (X has only 3 distinct points, fewer than k)" in summary
    assert len(sel.to_pandas()) == 23  # the file keeps every k
