"""The report's data overview: counts, per-feature ranges, cluster sizes
and centres."""

from __future__ import annotations

import numpy as np

from ._html import cluster_codes, esc, fmt, html_table, section, swatch

__all__ = ["overview_section"]

# The per-feature table lists at most this many features.
_MAX_FEATURE_ROWS = 50
# Centre coordinates are listed for at most this many features.
_MAX_CENTER_COLUMNS = 10


def _column_means(X):
    """Each column's mean, computed on the column scaled by the power of two
    that brings its largest magnitude near 1 (exact), so that the sum of
    values from about 1e306 does not overflow."""
    X = np.asarray(X, dtype=np.float64)
    if X.shape[0] == 0:
        return np.full(X.shape[1], np.nan)
    shift = -np.frexp(np.abs(X).max(axis=0))[1]
    with np.errstate(over="ignore"):
        return np.ldexp(np.ldexp(X, shift).mean(axis=0), -shift)


def overview_section(X, labels, centers, feature_names, note=None):
    """The overview: counts, each feature's range and mean, cluster sizes and
    centres, features named ``feature_names`` (values in X's units; ``note``
    says which units those are)."""
    n_samples, n_features = X.shape
    parts = [f'<p class="facts"><span id="n-samples">{n_samples:,}</span> samples, '
             f'<span id="n-features">{n_features:,}</span> features, '
             f"dtype {X.dtype}.</p>"]
    shown = min(n_features, _MAX_FEATURE_ROWS)
    rows = zip(feature_names[:shown], X[:, :shown].min(axis=0),
               _column_means(X[:, :shown]), X[:, :shown].max(axis=0))
    parts.append("<h3>Features</h3>")
    parts.append(html_table(["feature", "min", "mean", "max"],
                        [(esc(name), fmt(lo), fmt(mean), fmt(hi))
                         for name, lo, mean, hi in rows],
                        cls="data features"))
    if shown < n_features:
        parts.append(f'<p class="note">The first {shown} of {n_features:,} features.</p>')
    if labels is not None:
        codes, names = cluster_codes(labels)
        counts = np.bincount(codes)
        size_rows = []
        for code, name in names.items():
            share = counts[code] / n_samples
            bar = f'<span class="bar" style="width:{100 * share:.1f}%"></span>'
            size_rows.append((f"{swatch(code)}{esc(name)}", f"{counts[code]:,}",
                              f"{100 * share:.1f}%", bar))
        parts.append("<h3>Cluster sizes</h3>")
        parts.append(html_table(["cluster", "samples", "share", ""], size_rows,
                            cls="data cluster-sizes"))
    if centers is not None:
        columns = min(n_features, _MAX_CENTER_COLUMNS)
        parts.append("<h3>Centres</h3>")
        parts.append(html_table(["cluster"] + [esc(n) for n in feature_names[:columns]],
                            [[f"{swatch(i)}{i}"] + [fmt(v) for v in row[:columns]]
                             for i, row in enumerate(centers)], cls="data centers"))
        if columns < n_features:
            parts.append(f'<p class="note">The first {columns} of {n_features:,} '
                         f"coordinates.</p>")
    if note:
        parts.append(f'<p class="note" id="units-note">{esc(note)}</p>')
    return section("overview", "Data overview", "\n".join(parts))
