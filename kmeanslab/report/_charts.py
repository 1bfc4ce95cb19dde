"""Inline SVG line charts of the report: the replay's inertia per iteration
and each choose-k criterion against k."""

from __future__ import annotations

import numpy as np

from ._html import esc, fmt, fmt_x, tick_texts

__all__ = ["line_chart"]


def _ticks(n_points):
    step = max(1, int(np.ceil(n_points / 10)))
    return range(0, n_points, step)


def line_chart(x, y, *, title, x_label, mark=None, shade=None, err=None,
                marker=False, width=280, height=190):
    """An inline SVG line chart and the pixel position of every point.

    ``mark`` is the x to ring (a criterion's pick), ``shade`` the x to
    highlight (the recommended k), ``err`` (low, high) arrays of error bars,
    ``marker`` adds the replay's moving marker.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    left, right, top, bottom = 58, 10, 22, 34
    finite = np.isfinite(y)
    bounds = [y[finite]]
    if err is not None:
        bounds += [v[np.isfinite(v)] for v in err]
    values = np.concatenate(bounds) if finite.any() else np.zeros(1)
    lo, hi = values.min(), values.max()
    if hi == lo:
        lo, hi = lo - 0.5 * (abs(lo) or 1), hi + 0.5 * (abs(hi) or 1)
    pad = 0.06 * (hi - lo)
    lo, hi = lo - pad, hi + pad
    x_lo, x_hi = (x.min(), x.max()) if len(x) > 1 else (x[0] - 1, x[0] + 1)
    x_pad = 0.05 * (x_hi - x_lo)
    x_lo, x_hi = x_lo - x_pad, x_hi + x_pad

    def px(v):
        return left + (v - x_lo) / (x_hi - x_lo) * (width - left - right)

    def py(v):
        return height - bottom - (v - lo) / (hi - lo) * (height - top - bottom)

    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" role="img" aria-label="{esc(title)}">',
             f'<text class="chart-title" x="{width / 2}" y="14" '
             f'text-anchor="middle">{esc(title)}</text>']
    if shade is not None and shade in x:
        # A column 0.8 of the closest spacing of x wide, centred on shade.
        spacing = np.diff(np.sort(x)).min() if len(x) > 1 else 1.0
        column = 0.8 * (px(spacing) - px(0))
        parts.append(f'<rect class="recommended" x="{px(shade) - column / 2:.1f}" '
                     f'y="{top}" width="{column:.1f}" height="{height - top - bottom}"/>')
    parts.append(f'<rect class="frame" x="{left}" y="{top}" width="{width - left - right}" '
                 f'height="{height - top - bottom}"/>')
    tick_values = [lo, (lo + hi) / 2, hi]
    for value, text in zip(tick_values, tick_texts(tick_values)):
        parts.append(f'<text class="tick" x="{left - 4}" y="{py(value) + 4:.1f}" '
                     f'text-anchor="end">{text}</text>')
    for i in _ticks(len(x)):
        parts.append(f'<text class="tick" x="{px(x[i]):.1f}" y="{height - bottom + 13}" '
                     f'text-anchor="middle">{fmt_x(x[i])}</text>')
    parts.append(f'<text class="axis" x="{(left + width - right) / 2}" y="{height - 4}" '
                 f'text-anchor="middle">{esc(x_label)}</text>')
    if err is not None:
        for xi, low, high in zip(x, *err):
            if np.isfinite(low) and np.isfinite(high):
                parts.append(f'<line class="err" x1="{px(xi):.1f}" x2="{px(xi):.1f}" '
                             f'y1="{py(low):.1f}" y2="{py(high):.1f}"/>')
    # One polyline per run of finite values, so a skipped k breaks the line.
    runs = np.split(np.arange(len(y)), np.flatnonzero(~finite))
    for run in runs:
        run = run[finite[run]]
        if len(run) > 1:
            coords = " ".join(f"{px(x[i]):.1f},{py(y[i]):.1f}" for i in run)
            parts.append(f'<polyline class="line" points="{coords}"/>')
    positions = []
    for xi, yi in zip(x, y):
        if np.isfinite(yi):
            positions.append([round(px(xi), 1), round(py(yi), 1)])
            parts.append(f'<circle class="dot" cx="{px(xi):.1f}" cy="{py(yi):.1f}" r="2.5"/>')
        else:
            positions.append(None)
    if mark is not None and mark in x:
        i = int(np.flatnonzero(x == mark)[0])
        if np.isfinite(y[i]):
            # The label goes above the ring, or below it at the top of the chart.
            label_y = py(y[i]) - 9 if py(y[i]) - 9 > top + 10 else py(y[i]) + 18
            parts.append(f'<circle class="pick" cx="{px(x[i]):.1f}" cy="{py(y[i]):.1f}" r="6"/>'
                         f'<text class="pick-label" x="{px(x[i]):.1f}" y="{label_y:.1f}" '
                         f'text-anchor="middle">k={fmt(mark)}</text>')
    if marker and positions and positions[-1] is not None:
        parts.append(f'<circle class="marker" data-role="marker" cx="{positions[-1][0]}" '
                     f'cy="{positions[-1][1]}" r="5"/>')
    parts.append("</svg>")
    return "".join(parts), positions
