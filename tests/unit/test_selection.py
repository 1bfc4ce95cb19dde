"""Tests for kmeanslab.selection: find_knee, gap_statistic, stability, choose_k.

choose_k is checked against direct computations on its stored fits
(scikit-learn's metrics, kmeanslab.kmeans, the standalone gap_statistic and
stability), on the walkthrough's data (make_blobs 1000 x 2, 8 centres,
cluster_std=1.5, random_state=117117).
"""

import numpy as np
import pytest
from matplotlib.figure import Figure
from sklearn import metrics as skm
from sklearn.datasets import make_blobs

import kmeanslab.core
from kmeanslab import kmeans, metrics
from kmeanslab.selection import (
    CRITERIA,
    KneeResult,
    KSelection,
    SkippedKWarning,
    _one_se_pick,
    _ReferenceSampler,
    _vote,
    choose_k,
    find_knee,
    gap_statistic,
    stability,
)

SEED = 117117
KS = range(2, 11)
# Results do not depend on the thread count; on small data one thread avoids
# the parallel kernels' start-up cost (large on a busy machine), so the tests
# that make hundreds of small fits use it.
SMALL_DATA_THREADS = 1


@pytest.fixture(scope="module")
def seed_X():
    X, _ = make_blobs(n_samples=1000, centers=8, cluster_std=1.5, random_state=SEED)
    return X


@pytest.fixture(scope="module")
def seed_selection(seed_X):
    return choose_k(seed_X, KS, random_state=SEED, progress=False)


@pytest.fixture(scope="module")
def four_blobs():
    X, _ = make_blobs(n_samples=600, centers=4, cluster_std=0.5, random_state=0)
    return X


# --------------------------------------------------------------------------
# find_knee


def _reference_knee(x, y, curve, direction):
    """Plain NumPy Kneedle for curves with a single bend: the knee is the
    maximum of the difference curve of the normalised, reflected curve."""
    x_n = (x - x.min()) / (x.max() - x.min())
    y_n = (y - y.min()) / (y.max() - y.min())
    if curve == "convex" and direction == "decreasing":
        d = (1 - y_n) - x_n
    elif curve == "convex":
        d = x_n - y_n
    elif direction == "increasing":
        d = y_n - x_n
    else:
        d = y_n + x_n - 1
    return x[int(np.argmax(d))]


def test_knee_of_inverse_curve():
    # y = 1/x on 1..10: normalised difference 1 - y_n - x_n peaks at x = 3
    # (0.519, against 0.444 at 2 and 0.500 at 4) and falls below
    # 0.519 - 1/9 at x = 6.
    x = np.arange(1, 11)
    result = find_knee(x, 1.0 / x)
    assert isinstance(result, KneeResult)
    assert result.knee == 3 and result.knee_index == 2
    assert result.knee_y == pytest.approx(1 / 3)
    assert result.knee == _reference_knee(x, 1.0 / x, "convex", "decreasing")
    assert result.x_normalized[[0, -1]].tolist() == [0.0, 1.0]
    assert result.y_normalized[[0, -1]].tolist() == [1.0, 0.0]


def _corner_curve(curve, direction):
    """Piecewise-linear curve on x = 0..10 with its corner at x = 3 (convex,
    decreasing); reflections give the other shapes, corner at 3 or 7."""
    x = np.arange(11.0)
    base = np.where(x <= 3, 100.0 - 25.0 * x, 25.0 - (x - 3.0))
    if direction == "increasing" and curve == "convex":
        return x, base[::-1], 7
    if direction == "decreasing" and curve == "concave":
        return x, -base[::-1], 7
    if direction == "increasing":
        return x, -base, 3
    return x, base, 3


SHAPES = [("convex", "decreasing"), ("convex", "increasing"),
          ("concave", "increasing"), ("concave", "decreasing")]


@pytest.mark.parametrize("curve,direction", SHAPES, ids=[f"{c}-{d}" for c, d in SHAPES])
def test_knee_at_corner_of_piecewise_linear(curve, direction):
    x, y, corner = _corner_curve(curve, direction)
    result = find_knee(x, y, curve=curve, direction=direction)
    assert result.knee == corner
    assert result.knee == _reference_knee(x, y, curve, direction)
    # Given with x decreasing, the same point is found.
    assert find_knee(x[::-1], y[::-1], curve=curve, direction=direction).knee == corner


def test_knee_of_four_blob_inertia(four_blobs):
    ks = np.arange(1, 11)
    inertia = [kmeans(four_blobs, k, random_state=0, n_threads=SMALL_DATA_THREADS).inertia
               for k in ks]
    assert find_knee(ks, inertia).knee == 4


@pytest.mark.parametrize("direction", ["increasing", "decreasing"])
@pytest.mark.parametrize("curve", ["convex", "concave"])
def test_no_knee_on_straight_line(curve, direction):
    x = np.linspace(0.0, 7.0, 15)
    y = 3.0 * x + 1.0 if direction == "increasing" else 5.0 - 0.3 * x
    result = find_knee(x, y, curve=curve, direction=direction)
    assert result.knee is None and result.knee_y is None and result.knee_index is None
    assert np.abs(result.difference).max() < 1e-12


def test_no_knee_on_constant_y():
    assert find_knee([1, 2, 3, 4], [2.0, 2.0, 2.0, 2.0]).knee is None


@pytest.mark.parametrize("scale_x,shift_x,scale_y,shift_y", [
    (1.0, 0.0, 1e-6, 0.0), (1e3, -50.0, 1.0, 1e4), (0.1, 7.0, 37.5, -3.0)],
    ids=["tiny-y", "large-shift", "mixed"])
def test_knee_invariant_to_affine_rescaling(scale_x, shift_x, scale_y, shift_y):
    x = np.arange(1, 16, dtype=float)
    y = 1.0 / x + 0.02 * np.sin(x)
    knee = find_knee(x, y)
    moved = find_knee(scale_x * x + shift_x, scale_y * y + shift_y)
    assert moved.knee_index == knee.knee_index is not None
    np.testing.assert_allclose(moved.difference, knee.difference, atol=1e-12)


def test_sensitivity_makes_knee_conservative():
    x = np.arange(1, 11)
    y = 1.0 / x
    assert find_knee(x, y, S=0.0).knee == 3
    assert find_knee(x, y, S=10.0).knee is None


@pytest.mark.parametrize("x,y,kwargs,message", [
    ([1, 2, 3], [1, 2], {}, "same length"),
    ([1, 2], [1, 2], {}, "at least 3"),
    ([1, 2, np.nan], [1, 2, 3], {}, "x contains NaN"),
    ([1, 2, 3], [1, np.inf, 3], {}, "y contains NaN or infinity"),
    ([1, 3, 2], [1, 2, 3], {}, "strictly monotone"),
    ([1, 2, 2], [1, 2, 3], {}, "strictly monotone"),
    ([[1, 2, 3]], [1, 2, 3], {}, "1-D"),
    ([1, 2, 3], [3, 2, 1], {"curve": "wavy"}, "curve"),
    ([1, 2, 3], [3, 2, 1], {"direction": "up"}, "direction"),
    ([1, 2, 3], [3, 2, 1], {"S": -1.0}, "S must be"),
], ids=["lengths", "too-few", "nan-x", "inf-y", "non-monotone", "repeated-x", "2-d",
        "curve", "direction", "negative-S"])
def test_find_knee_rejects_bad_input(x, y, kwargs, message):
    with pytest.raises(ValueError, match=message):
        find_knee(x, y, **kwargs)


# --------------------------------------------------------------------------
# gap statistic


@pytest.mark.parametrize("reference", ["uniform", "pca"])
def test_gap_picks_true_k_on_separated_blobs(four_blobs, reference):
    # Best of 10 starts: with one k-means++ start the k=2 fit of this data
    # lands in a local optimum (inertia 2767 instead of 2205), which lowers
    # Gap(2) below Gap(1) - s_1 and makes the 1-SE rule stop at k=1.
    result = gap_statistic(four_blobs, range(1, 7), n_refs=10, reference=reference,
                           random_state=0, n_init=10, n_threads=SMALL_DATA_THREADS)
    assert result.best_k == 4
    assert result.ks == tuple(range(1, 7))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gap_picks_one_on_uniform_noise(seed):
    # k = 1 is allowed by gap_statistic (not by choose_k, whose silhouette
    # needs k >= 2): it is how the gap says "no cluster structure".
    X = np.random.default_rng(seed).uniform(size=(400, 2))
    result = gap_statistic(X, range(1, 7), n_refs=10, random_state=seed,
                           n_threads=SMALL_DATA_THREADS)
    assert result.best_k == 1


def test_gap_formulas(four_blobs):
    result = gap_statistic(four_blobs, [2, 3, 4], n_refs=4, random_state=5)
    log_wk = [np.log(kmeans(four_blobs, k, random_state=5).inertia) for k in (2, 3, 4)]
    np.testing.assert_allclose(result.log_wk, log_wk, rtol=1e-12)
    assert result.ref_log_wk.shape == (3, 4)
    np.testing.assert_allclose(result.gap, result.ref_log_wk.mean(axis=1) - result.log_wk)
    np.testing.assert_allclose(result.gap_se,
                               result.ref_log_wk.std(axis=1) * np.sqrt(1 + 1 / 4))


def test_one_standard_error_rule():
    ks = (1, 2, 3, 4)
    se = np.full(4, 0.1)
    # Gap(2) = 0.5 >= Gap(3) - s_3 = 0.45: k = 2 although Gap(3) is larger.
    assert _one_se_pick(ks, np.array([0.1, 0.5, 0.55, 0.5]), se) == (2, "rule")
    # Rising throughout: the largest k, flagged as the edge of the range.
    assert _one_se_pick(ks, np.array([0.1, 0.5, 0.8, 1.2]), se) == (4, "largest")
    # NaN gaps (W_k = 0) are passed over.
    assert _one_se_pick(ks, np.array([0.1, np.nan, 0.05, 0.5]), se) == (1, "rule")
    assert _one_se_pick(ks, np.array([np.nan, 0.3, np.nan, np.nan]), se) == (2, "only")
    assert _one_se_pick(ks, np.full(4, np.nan), se) == (None, None)


@pytest.mark.parametrize("reference", ["uniform", "pca"])
def test_reference_sets_fill_the_bounding_box(reference):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2)) @ np.array([[3.0, 1.0], [0.0, 0.2]])
    sampler = _ReferenceSampler(X, reference)
    Z = sampler.draw(np.random.default_rng(1))
    assert Z.shape == X.shape and Z.dtype == X.dtype
    if reference == "uniform":
        assert (Z.min(axis=0) >= X.min(axis=0)).all()
        assert (Z.max(axis=0) <= X.max(axis=0)).all()
    else:
        rotated = (Z - sampler.mean) @ sampler.axes.T
        assert (rotated.min(axis=0) >= sampler.low - 1e-9).all()
        assert (rotated.max(axis=0) <= sampler.high + 1e-9).all()


def test_gap_rejects_k_above_distinct_rows():
    X = np.repeat(np.eye(3), 5, axis=0)
    with pytest.raises(ValueError, match="only 3 distinct rows"):
        gap_statistic(X, [1, 2, 4], n_refs=2)
    with pytest.raises(ValueError, match="reference"):
        gap_statistic(X, [1, 2], reference="gaussian")


# --------------------------------------------------------------------------
# stability


def test_stability_is_one_at_the_true_k(four_blobs):
    result = stability(four_blobs, 4, n_runs=4, random_state=0)
    assert result.scores.shape == (6,)
    assert result.mean == pytest.approx(1.0)
    assert result.mean == result.scores.mean() and result.std == result.scores.std()
    again = stability(four_blobs, 4, n_runs=4, random_state=0)
    np.testing.assert_array_equal(again.scores, result.scores)


@pytest.mark.parametrize("kwargs,message", [
    ({"n_runs": 1}, "n_runs"), ({"subsample": 0.0}, "subsample"),
    ({"subsample": 1.5}, "subsample"), ({"k": 1}, "k must be"),
    ({"k": 9}, "larger than the subsample size")],
    ids=["one-run", "empty-subsample", "subsample-above-1", "k-1", "k-above-subsample"])
def test_stability_rejects_bad_parameters(kwargs, message):
    X = np.arange(20.0).reshape(10, 2)
    params = {"k": 2, **kwargs}
    with pytest.raises(ValueError, match=message):
        stability(X, **params)


# --------------------------------------------------------------------------
# choose_k: results


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


def test_picks_follow_the_table(seed_X, seed_selection):
    df = seed_selection.to_pandas()
    picks = seed_selection.picks
    assert picks["silhouette"] == df["silhouette"].idxmax()
    assert picks["calinski_harabasz"] == df["calinski_harabasz"].idxmax()
    assert picks["davies_bouldin"] == df["davies_bouldin"].idxmin()
    assert picks["stability"] == df["stability"].idxmax()
    assert picks["inertia"] == find_knee(df.index, df["inertia"]).knee
    assert picks["gap"] == _one_se_pick(tuple(df.index), df["gap"].to_numpy(),
                                        df["gap_se"].to_numpy())[0]


def test_each_k_is_fitted_once(seed_X, monkeypatch):
    calls = []
    original = kmeanslab.core.kmeans

    def counting(X, n_clusters, **kwargs):
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


def test_sampled_silhouette_has_intervals_and_flags_overlap(seed_X):
    sel = choose_k(seed_X, KS, criteria=("inertia", "silhouette"), silhouette="sampled",
                   silhouette_n_samples=200, random_state=SEED, progress=False)
    df = sel.to_pandas()
    assert (df["silhouette_low"] <= df["silhouette"]).all()
    assert (df["silhouette"] <= df["silhouette_high"]).all()
    best = df.loc[sel.picks["silhouette"]]
    others = df.drop(index=sel.picks["silhouette"])
    assert (others["silhouette_high"] >= best["silhouette_low"]).any()
    assert "uncertain" in sel.explanation


def test_simplified_silhouette_uses_fitted_centres(seed_X):
    sel = choose_k(seed_X, range(2, 6), criteria=("silhouette",),
                   silhouette="simplified", random_state=SEED, progress=False)
    for row in sel.table:
        model = sel.models[row["k"]]
        assert row["silhouette"] == metrics.simplified_silhouette(
            seed_X, model.labels, model.centers)


def test_explanation_when_criteria_agree():
    X, _ = make_blobs(n_samples=300, centers=3, cluster_std=0.4, random_state=3)
    sel = choose_k(X, range(2, 7), criteria=("inertia", "silhouette",
                   "calinski_harabasz", "davies_bouldin"), random_state=0,
                   progress=False)
    assert set(sel.picks.values()) == {3}
    assert "agree on k=3" in sel.explanation


def test_explanation_names_dissenters(seed_selection):
    text = seed_selection.explanation
    assert "disagree" in text
    assert "breaks the tie" in text  # 3 votes for k=4, 3 for k=6 on this data
    assert "Davies-Bouldin index" in text


def test_vote():
    assert _vote({"inertia": 3, "silhouette": 4, "gap": 3}) == (3, {3: 2, 4: 1}, [3])
    assert _vote({"inertia": 3, "silhouette": 5, "gap": 5, "stability": 3})[0] == 5
    assert _vote({"inertia": 6, "silhouette": 2, "gap": 4, "stability": 6,
                  "davies_bouldin": 4})[0] == 4  # tie 4/6 without silhouette: smaller
    assert _vote({"inertia": None})[0] is None


def test_summary_and_pandas(seed_selection):
    text = str(seed_selection)
    assert text == seed_selection.summary()
    assert "recommended k: 4" in text and "silhouette" in text
    df = seed_selection.to_pandas()
    assert df.index.name == "k" and df.index.tolist() == list(KS)
    assert {"gap_se", "stability_std", "n_iter", "fit_seconds"} <= set(df.columns)
    assert "silhouette_low" not in df.columns
    assert "KSelection(ks=" in repr(seed_selection)


def test_progress_bar(seed_X, capsys):
    choose_k(seed_X[:100], [2, 3], criteria=("inertia",), progress=True)
    assert "choose_k" in capsys.readouterr().err
    choose_k(seed_X[:100], [2, 3], criteria=("inertia",), progress=False)
    assert capsys.readouterr().err == ""


def test_float32_input(seed_X):
    sel = choose_k(seed_X.astype(np.float32), range(2, 6),
                   criteria=("inertia", "silhouette"), random_state=SEED, progress=False)
    assert sel.models[3].centers.dtype == np.float32
    assert np.isfinite(sel.to_pandas()["silhouette"]).all()


# --------------------------------------------------------------------------
# choose_k: validation and degenerate data


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
    ({"silhouette": "approximate"}, ValueError, "silhouette must be"),
    ({"n_jobs": 0}, ValueError, "n_jobs"),
    ({"k_range": [2, 2.5]}, TypeError, "k_range"),
    ({"k_range": [2, 3, 3]}, ValueError, "repeated"),
    ({"sample_weight": np.ones(50)}, TypeError, "unexpected keyword"),
    ({"init": np.zeros((2, 2))}, ValueError, "init"),
    ({"max_iter": 0}, ValueError, "max_iter"),
    ({"random_state": "seed"}, TypeError, "random_state"),
], ids=["unknown-criterion", "no-criteria", "silhouette-method", "n_jobs", "float-k",
        "repeated-k", "unknown-kwarg", "init-array", "max_iter", "random_state"])
def test_choose_k_rejects_bad_parameters(kwargs, error, message):
    X = np.random.default_rng(0).normal(size=(50, 2))
    with pytest.raises(error, match=message):
        choose_k(X, **{"progress": False, **kwargs})


# --------------------------------------------------------------------------
# plot


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
