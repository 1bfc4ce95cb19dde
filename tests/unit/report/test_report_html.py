"""Tests for kmeanslab.report._html and _charts: number formats, escaping,
cluster codes and the SVG line chart."""

import numpy as np
import pytest

from kmeanslab.report._charts import line_chart
from kmeanslab.report._html import cluster_codes, esc, fmt, tick_texts


@pytest.mark.parametrize("value, text", [
    (1234, "1,234"), (np.int64(7), "7"), (3.14159, "3.142"), (0.012345, "0.01235"),
    (2.5e7, "2.5e+07"), (float("nan"), "&mdash;"), (None, "&mdash;"),
], ids=["int", "numpy-int", "float", "small", "large", "nan", "none"])
def test_fmt(value, text):
    assert fmt(value) == text


def test_tick_texts_add_digits_until_distinct():
    assert tick_texts([1.0001, 1.0002, 1.0003]) == ["1.0001", "1.0002", "1.0003"]


def test_esc_quotes():
    assert esc('<a href="x">&</a>') == "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"


def test_cluster_codes_keep_integer_labels_and_number_others():
    codes, names = cluster_codes(np.array([3, 0, 3]))
    assert codes.tolist() == [3, 0, 3] and names == {0: 0, 3: 3}
    codes, names = cluster_codes(np.array(["b", "a", "b"]))
    assert codes.tolist() == [1, 0, 1] and names == {0: "a", 1: "b"}


def test_line_chart_breaks_at_missing_values_and_rings_the_pick():
    svg, positions = line_chart([2, 3, 4, 5, 6], [5.0, 4.0, np.nan, 2.0, 1.5],
                                title="t", x_label="k", mark=5, shade=5)
    assert svg.count('<polyline class="line"') == 2
    assert positions[2] is None and all(p is not None for i, p in
                                        enumerate(positions) if i != 2)
    assert svg.count('class="pick"') == 1 and svg.count('class="recommended"') == 1
