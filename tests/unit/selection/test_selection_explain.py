"""Tests for the verdict of choose_k: each criterion's pick, the vote and the
explanation, on the walkthrough's sweep and on hand-made tables."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from kmeanslab.selection import choose_k, find_knee
from kmeanslab.selection._explain import criterion_picks, explain, vote
from kmeanslab.selection._gap import one_se_pick

# The walkthrough's seed (see conftest.py).
SEED = 117117
KS = range(2, 11)


def _rows(ks, skipped=None, **columns):
    """Table rows as choose_k makes them: ``k``, the given columns and
    ``skipped`` (a dict k -> reason for the ks not scored)."""
    skipped = skipped or {}
    return tuple({"k": k, **{name: float(values[i]) for name, values in columns.items()},
                  "skipped": skipped.get(k)} for i, k in enumerate(ks))


def _verdict(rows, criteria, silhouette="exact"):
    picks, gap_how = criterion_picks(rows, criteria)
    recommended, votes, tied = vote(picks)
    return picks, recommended, explain(rows, picks, recommended, votes, tied,
                                       silhouette, gap_how)


def test_picks_follow_the_table(seed_X, seed_selection):
    df = seed_selection.to_pandas()
    picks = seed_selection.picks
    assert picks["silhouette"] == df["silhouette"].idxmax()
    assert picks["calinski_harabasz"] == df["calinski_harabasz"].idxmax()
    assert picks["davies_bouldin"] == df["davies_bouldin"].idxmin()
    assert picks["stability"] == df["stability"].idxmax()
    assert picks["inertia"] == find_knee(df.index, df["inertia"]).knee
    assert picks["gap"] == one_se_pick(tuple(df.index), df["gap"].to_numpy(),
                                       df["gap_se"].to_numpy())[0]


def test_vote():
    assert vote({"inertia": 3, "silhouette": 4, "gap": 3}) == (3, {3: 2, 4: 1}, [3])
    assert vote({"inertia": 3, "silhouette": 5, "gap": 5, "stability": 3})[0] == 5
    assert vote({"inertia": 6, "silhouette": 2, "gap": 4, "stability": 6,
                 "davies_bouldin": 4})[0] == 4  # tie 4/6 without silhouette: smaller
    assert vote({"inertia": None})[0] is None


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


def test_picks_of_a_hand_made_table():
    # Inertia bends at k=4; NaN scores and skipped rows are passed over.
    rows = _rows([2, 3, 4, 5, 6, 7],
                 inertia=[100.0, 60.0, 20.0, 17.0, 15.0, 14.0],
                 silhouette=[0.3, 0.5, 0.7, 0.6, np.nan, 0.9],
                 calinski_harabasz=[10.0, 30.0, 20.0, 40.0, 5.0, 50.0],
                 davies_bouldin=[0.9, 0.4, 0.5, np.nan, 0.6, 0.1],
                 skipped={7: "the fit found only 6 non-empty clusters"})
    picks, gap_how = criterion_picks(rows, ("inertia", "silhouette",
                                            "calinski_harabasz", "davies_bouldin"))
    assert picks == {"inertia": 4, "silhouette": 4, "calinski_harabasz": 5,
                     "davies_bouldin": 3}
    assert gap_how is None


def test_one_criterion_alone_is_explained():
    rows = _rows([2, 3, 4], inertia=[3.0, 2.0, 1.0], silhouette=[0.5, 0.7, 0.6])
    picks, recommended, text = _verdict(rows, ("inertia", "silhouette"))
    assert picks == {"inertia": None, "silhouette": 3} and recommended == 3
    assert text == ("The elbow needs at least 4 scored ks and only 3 were scored, "
                    "so the inertia curve casts no vote. Only the silhouette "
                    "picked a k: k=3, because the exact silhouette is highest at "
                    "k=3 (0.700).")


@pytest.mark.parametrize("ks, inertia", [([2, 3], [3.0, 1.0]),
                                         ([2, 3, 4], [9.0, 2.0, 1.0])],
                         ids=["two", "three"])
def test_too_few_ks_for_an_elbow_say_how_many_it_needs(ks, inertia):
    rows = _rows(ks, inertia=inertia)
    picks, recommended, text = _verdict(rows, ("inertia",))
    assert picks == {"inertia": None} and recommended is None
    assert text == (f"The elbow needs at least 4 scored ks and only {len(ks)} were "
                    f"scored, so the inertia curve casts no vote. No criterion "
                    f"picked a k.")
    # With four ks the same sharp bend is found.
    picks, _, _ = _verdict(_rows([2, 3, 4, 5], inertia=[9.0, 2.0, 1.5, 1.0]),
                           ("inertia",))
    assert picks == {"inertia": 3}


def test_a_curve_without_a_bend_has_no_clear_elbow():
    rows = _rows([2, 3, 4, 5, 6], inertia=[5.0, 4.0, 3.0, 2.0, 1.0])
    _, _, text = _verdict(rows, ("inertia",))
    assert text.startswith("The inertia curve has no clear elbow, so it casts no vote.")


def test_not_scored_ks_are_grouped_by_reason():
    rows = _rows(range(2, 60), inertia=np.linspace(100.0, 1.0, 58),
                 skipped={k: "X has only 5 distinct points, fewer than k"
                          for k in range(6, 60)})
    _, _, text = _verdict(rows, ("inertia",))
    assert text.endswith("Not scored: k=6..59 (X has only 5 distinct points, "
                         "fewer than k).")


def test_tie_without_a_silhouette_pick_goes_to_the_smaller_k():
    rows = _rows(range(2, 9), inertia=[100.0, 98.0, 96.0, 20.0, 18.0, 17.0, 16.0],
                 calinski_harabasz=[1.0, 2.0, 9.0, 3.0, 4.0, 5.0, 6.0])
    picks, recommended, text = _verdict(rows, ("inertia", "calinski_harabasz"))
    assert picks == {"inertia": 5, "calinski_harabasz": 4} and recommended == 4
    assert text.startswith("The criteria disagree: Calinski-Harabasz picks k=4; "
                           "the elbow of the inertia curve picks k=5.")
    assert "smallest, k=4, is recommended (the simpler model)" in text
