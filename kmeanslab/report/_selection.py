"""The report's choose-k section: one chart per criterion with its pick, the
recommended k, the explanation and the table."""

from __future__ import annotations

import numpy as np

from ._charts import line_chart
from ._html import esc, fmt, html_table, section

__all__ = ["selection_section"]

# Chart title and picking rule of each choose_k criterion.
_CRITERIA = {
    "inertia": ("Inertia (elbow)", "the Kneedle elbow"),
    "silhouette": ("Silhouette", "highest is best"),
    "calinski_harabasz": ("Calinski-Harabasz", "highest is best"),
    "davies_bouldin": ("Davies-Bouldin", "lowest is best"),
    "gap": ("Gap statistic", "one-standard-error rule"),
    "stability": ("Stability (subsample ARI)", "highest is best"),
}
# Columns holding a criterion's symmetric error bar.
_ERROR_COLUMNS = {"gap": "gap_se", "stability": "stability_std"}


def _selection_rows(selection):
    table = getattr(selection, "table", None)
    if table is None and hasattr(selection, "to_pandas"):
        table = selection.to_pandas()
    if hasattr(table, "to_dict"):  # a DataFrame, possibly indexed by k
        if "k" not in table.columns:
            table = table.reset_index()
        return table.to_dict("records")
    return [dict(row) for row in table]


def _column(rows, name):
    return np.array([np.nan if row.get(name) is None else row.get(name) for row in rows],
                    dtype=np.float64)


def selection_section(selection):
    rows = sorted(_selection_rows(selection), key=lambda row: row["k"])
    picks = dict(getattr(selection, "picks", {}) or {})
    criteria = [name for name in (getattr(selection, "criteria", None) or picks)
                if rows and name in rows[0]]
    recommended = getattr(selection, "recommended_k", None)
    ks = [int(row["k"]) for row in rows]
    panels = []
    for name in criteria:
        heading, rule = _CRITERIA.get(name, (name.replace("_", " "), ""))
        values = _column(rows, name)
        err = None
        if name in _ERROR_COLUMNS and _ERROR_COLUMNS[name] in rows[0]:
            spread = _column(rows, _ERROR_COLUMNS[name])
            err = (values - spread, values + spread)
        elif name == "silhouette" and "silhouette_low" in rows[0]:
            err = (_column(rows, "silhouette_low"), _column(rows, "silhouette_high"))
        pick = picks.get(name)
        svg, _ = line_chart(ks, values, title=heading, x_label="k", mark=pick,
                             shade=recommended, err=err)
        caption = (f"pick: k={fmt(pick)}" if pick is not None else "no pick") + \
            (f" ({esc(rule)})" if rule else "")
        panels.append(f'<figure class="criterion" data-criterion="{esc(name)}" '
                      f'data-pick="{"" if pick is None else int(pick)}">{svg}'
                      f"<figcaption>{caption}</figcaption></figure>")
    header = ["k"] + [_CRITERIA.get(n, (n,))[0] for n in criteria]
    table_rows = []
    for row in rows:
        cells = [f"<strong>{row['k']}</strong>" if row["k"] == recommended else str(row["k"])]
        for name in criteria:
            text = fmt(row.get(name))
            cells.append(f'<span class="picked">{text}</span>'
                         if picks.get(name) == row["k"] else text)
        table_rows.append(cells)
    recommended_text = "none" if recommended is None else fmt(recommended)
    explanation = getattr(selection, "explanation", "") or ""
    body = (f'<p class="recommendation">Recommended number of clusters: '
            f'<strong id="recommended-k">{recommended_text}</strong></p>'
            f'<p id="selection-explanation">{esc(explanation)}</p>'
            f'<div class="panels">{"".join(panels)}</div>'
            f'<p class="note">Each chart rings its criterion\'s pick; the shaded '
            f"column is the recommended k. Picked values are marked in the table.</p>"
            + html_table(header, table_rows, cls="data selection-table"))
    return section("choose-k", "Choosing k", body)
