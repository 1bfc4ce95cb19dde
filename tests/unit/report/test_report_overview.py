"""Tests for kmeanslab.report._overview: counts, feature ranges, cluster
sizes and centres."""

import re

import numpy as np

from kmeanslab.report import write_report
from kmeanslab.report._html import fmt


def test_overview_lists_features_and_cluster_sizes(full_page, full_inputs):
    X, labels = full_inputs["X"], full_inputs["labels"]
    assert '<span id="n-samples">1,000</span>' in full_page
    assert '<span id="n-features">2</span>' in full_page
    sizes = re.search(r'<table class="data cluster-sizes">.*?</table>', full_page, re.S)
    counts = [int(c.replace(",", "")) for c in
              re.findall(r"</span>\d+</td><td>([\d,]+)</td>", sizes.group(0))]
    assert counts == np.bincount(labels).tolist()
    assert fmt(X[:, 0].min()) in full_page


def test_labels_and_centres_default_to_the_trace(full_inputs, tmp_path):
    page = write_report(tmp_path / "r.html", X=full_inputs["X"],
                        trace=full_inputs["trace"]).read_text(encoding="utf-8")
    assert 'class="data cluster-sizes"' in page and 'class="data centers"' in page


def test_string_labels_are_numbered_in_sorted_order(full_inputs, tmp_path):
    labels = np.where(full_inputs["labels"] % 2 == 0, "even", "odd")
    page = write_report(tmp_path / "r.html", X=full_inputs["X"],
                        labels=labels).read_text(encoding="utf-8")
    sizes = re.search(r'<table class="data cluster-sizes">.*?</table>', page, re.S)
    assert re.findall(r"</span>(\w+)</td>", sizes.group(0)) == ["even", "odd"]
