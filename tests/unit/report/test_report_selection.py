"""Tests for kmeanslab.report._selection: the choose-k charts, picks,
recommendation and table."""

from types import SimpleNamespace

import pandas as pd

from kmeanslab.report import write_report
from kmeanslab.report._html import esc


def test_choose_k_panels_and_recommendation(full_page, selection):
    assert selection.recommended_k is not None
    assert f'<strong id="recommended-k">{selection.recommended_k}</strong>' in full_page
    assert esc(selection.explanation) in full_page
    for name in selection.criteria:
        pick = selection.picks[name]
        assert f'data-criterion="{name}" data-pick="{"" if pick is None else pick}"' in full_page
    assert full_page.count('class="pick"') == sum(
        p is not None for p in selection.picks.values())


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
