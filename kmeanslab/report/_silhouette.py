"""The report's silhouette section: one band per cluster as inline SVG, and
a table of each cluster's silhouettes."""

from __future__ import annotations

import numpy as np

from ._html import COLORS, cluster_codes, esc, fmt, html_table, section, swatch

__all__ = ["silhouette_section"]

# Points per cluster band of the silhouette plot: the sorted values are
# resampled at this many quantiles, which keeps its shape and the SVG small.
_MAX_BAND_POINTS = 200


def silhouette_section(values, labels):
    codes, names = cluster_codes(labels)
    width, left, right, top, bottom = 560, 110, 16, 16, 40
    n_samples = len(values)
    gap = max(1.0, 0.02 * n_samples)
    span = n_samples + gap * (len(names) - 1)
    height = top + bottom + 340
    x_lo, x_hi = min(-0.1, float(values.min())), 1.0

    def px(v):
        return left + (v - x_lo) / (x_hi - x_lo) * (width - left - right)

    def py(position):
        return top + position / span * (height - top - bottom)

    parts = [f'<svg class="chart silhouette" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" aria-label="silhouette plot">',
             f'<rect class="frame" x="{left}" y="{top}" width="{width - left - right}" '
             f'height="{height - top - bottom}"/>']
    rows, position = [], 0.0
    for code, name in names.items():
        band = np.sort(values[codes == code])[::-1]
        size = len(band)
        if size > _MAX_BAND_POINTS:
            band = band[np.linspace(0, size - 1, _MAX_BAND_POINTS).round().astype(int)]
        offsets = np.linspace(0, size, len(band))
        coords = [f"{px(0):.1f},{py(position):.1f}"]
        coords += [f"{px(v):.1f},{py(position + o):.1f}" for v, o in zip(band, offsets)]
        coords.append(f"{px(0):.1f},{py(position + size):.1f}")
        parts.append(f'<polygon class="band" data-cluster="{esc(name)}" '
                     f'fill="{COLORS[code % len(COLORS)]}" points="{" ".join(coords)}"/>')
        parts.append(f'<text class="tick" x="{left - 6}" y="{py(position + size / 2) + 4:.1f}" '
                     f'text-anchor="end">{esc(name)} (n={size:,})</text>')
        cluster_values = values[codes == code]
        rows.append((f"{swatch(code)}{esc(name)}", f"{size:,}",
                     fmt(cluster_values.mean()), fmt(cluster_values.min()),
                     f"{100 * (cluster_values < 0).mean():.1f}%"))
        position += size + gap
    mean = float(values.mean())
    parts.append(f'<line class="zero" x1="{px(0):.1f}" x2="{px(0):.1f}" y1="{top}" '
                 f'y2="{height - bottom}"/>')
    parts.append(f'<line class="mean" id="silhouette-mean-line" x1="{px(mean):.1f}" '
                 f'x2="{px(mean):.1f}" y1="{top}" y2="{height - bottom}"/>'
                 f'<text class="mean-label" x="{px(mean) + 4:.1f}" y="{top + 12}">'
                 f"mean {mean:.3f}</text>")
    # Rounded, and + 0.0 turns -0.0 into 0.0.
    for tick in np.round(np.arange(np.ceil(x_lo * 5) / 5, x_hi + 1e-9, 0.2), 1) + 0.0:
        parts.append(f'<text class="tick" x="{px(tick):.1f}" y="{height - bottom + 14}" '
                     f'text-anchor="middle">{tick:.1f}</text>')
    parts.append(f'<text class="axis" x="{(left + width - right) / 2}" y="{height - 6}" '
                 f'text-anchor="middle">silhouette coefficient</text></svg>')
    body = (f'<p>Mean silhouette: <strong id="silhouette-mean">{mean:.3f}</strong> '
            f"over {n_samples:,} samples. Each band is one cluster's samples sorted "
            f"by their silhouette; the dashed line is the mean.</p>"
            + "".join(parts)
            + html_table(["cluster", "samples", "mean", "min", "negative"], rows,
                     cls="data silhouette-table"))
    return section("silhouette", "Silhouette", body)
