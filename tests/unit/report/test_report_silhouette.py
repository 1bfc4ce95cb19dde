"""Tests for kmeanslab.report._silhouette: one band per cluster and the mean."""


def test_silhouette_bands_and_mean(full_page, full_inputs):
    values = full_inputs["silhouette_values"]
    assert full_page.count('<polygon class="band"') == 4
    assert f'<strong id="silhouette-mean">{values.mean():.3f}</strong>' in full_page
    assert 'id="silhouette-mean-line"' in full_page
