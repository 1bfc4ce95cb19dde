"""The report's convergence replay: the samples on a canvas, the centres of
every iteration on an SVG overlay, a slider over the iterations and the
inertia chart; the page's script (``assets/report.js``) redraws it. A
breathing fit replays its first k-means run per iteration, then one frame
per breathing cycle (the centres after its breathe-out run)."""

from __future__ import annotations

import json

import numpy as np

from ._charts import line_chart
from ._html import (COLORS, NO_LABEL_COLOR, b64, cluster_codes, esc, fmt, section,
                    tick_texts)

__all__ = ["MAX_SHOWN_SAMPLES", "replay_section"]

# The replay draws at most this many samples: 5,000 points keep the page
# near 100 kB and the canvas redraw well under a frame (16 ms).
MAX_SHOWN_SAMPLES = 5000
# Scatter plot size in CSS pixels and its margins (left, right, top, bottom).
_SCATTER_SIZE = (560, 420)
_SCATTER_MARGINS = (56, 14, 14, 40)


def _projection(X_shown, feature_names):
    """(mean, components (2, n_features), axis names, note) of the 2-D view."""
    n_features = X_shown.shape[1]
    mean = np.zeros(n_features)
    if n_features <= 2:
        components = np.eye(2, n_features)
        names = [feature_names[0],
                 feature_names[1] if n_features == 2 else "(one feature)"]
        return mean, components, names, ""
    if X_shown.shape[0] < 2 or np.array_equal(X_shown.min(axis=0),
                                               X_shown.max(axis=0)):
        # One point (one sample, or every row the same): no direction of
        # variance to find; any plane shows it, the first two features' too.
        return (X_shown[0], np.eye(2, n_features), feature_names[:2],
                "Every sample is the same point: the data has no variance.")
    from ..diagnostics import principal_plane

    plane = principal_plane(X_shown, random_state=0)
    ratio = plane.explained_variance_ratio
    names = [f"PC{i + 1} ({100 * r:.1f}% of variance)" for i, r in enumerate(ratio)]
    note = (f"X has {n_features} features: the axes are its first two principal "
            f"components, which explain {100 * ratio.sum():.1f}% of the variance.")
    return plane.mean, plane.components, names, note


def _shift(*arrays):
    """The power of two ``e`` that brings the arrays' largest magnitude into
    [0.5, 1) when they are multiplied by ``2**e`` (0 when all are zero):
    squares of the scaled values neither overflow nor underflow."""
    peak = max((float(np.abs(a).max()) for a in arrays if np.size(a)), default=0.0)
    return -int(np.frexp(peak)[1])


def _nearest(points, centers):
    """Nearest centre of each shown sample: the replay's frame 0 colours the
    samples by the initial centres, which the trace records no labels for."""
    # Scaled by a power of two (exact) so that the squares stay finite.
    shift = _shift(points, centers)
    points, centers = np.ldexp(points, shift), np.ldexp(centers, shift)
    # ||x||^2 - 2 x.c + ||c||^2 keeps memory at (n_points, n_clusters).
    sq_dist = (-2.0 * points @ centers.T + (centers ** 2).sum(axis=1)
               + (points ** 2).sum(axis=1)[:, None])
    return sq_dist.argmin(axis=1)


class _PixelMap:
    """Maps projected coordinates to scatter pixels (y grows downwards)."""

    def __init__(self, coords):
        width, height = _SCATTER_SIZE
        left, right, top, bottom = _SCATTER_MARGINS
        lo, hi = coords.min(axis=0), coords.max(axis=0)
        pad = np.where(hi > lo, 0.04 * (hi - lo), 1.0)
        self.lo, self.hi = lo - pad, hi + pad
        self.x0, self.x1 = left, width - right
        self.y0, self.y1 = height - bottom, top

    def __call__(self, coords):
        frac = (coords - self.lo) / (self.hi - self.lo)
        return np.column_stack([self.x0 + frac[:, 0] * (self.x1 - self.x0),
                                self.y0 + frac[:, 1] * (self.y1 - self.y0)])


def _scatter_axes(pixels, names, shift=0):
    """The scatter's frame, ticks and axis names; ``pixels`` maps
    coordinates ``2**shift`` times the data's units, and the ticks give
    the data's units."""
    width, height = _SCATTER_SIZE
    parts = [f'<rect class="frame" x="{pixels.x0}" y="{pixels.y1}" '
             f'width="{pixels.x1 - pixels.x0}" height="{pixels.y0 - pixels.y1}"/>']
    fracs = (0.0, 0.5, 1.0)
    with np.errstate(over="ignore"):  # beyond the largest float: no tick text
        x_texts, y_texts = (
            tick_texts([np.ldexp(pixels.lo[j] + f * (pixels.hi[j] - pixels.lo[j]),
                                 -shift) for f in fracs])
            for j in (0, 1))
    for frac, x_text, y_text in zip(fracs, x_texts, y_texts):
        x = pixels.x0 + frac * (pixels.x1 - pixels.x0)
        y = pixels.y0 + frac * (pixels.y1 - pixels.y0)
        parts.append(f'<text class="tick" x="{x:.1f}" y="{pixels.y0 + 14}" '
                     f'text-anchor="middle">{x_text}</text>')
        parts.append(f'<text class="tick" x="{pixels.x0 - 4}" y="{y + 4:.1f}" '
                     f'text-anchor="end">{y_text}</text>')
    parts.append(f'<text class="axis" x="{(pixels.x0 + pixels.x1) / 2:.1f}" '
                 f'y="{height - 6}" text-anchor="middle">{esc(names[0])}</text>')
    parts.append(f'<text class="axis" transform="translate(14 {(pixels.y0 + pixels.y1) / 2:.1f}) '
                 f'rotate(-90)" text-anchor="middle">{esc(names[1])}</text>')
    return "".join(parts)


def _cycles(trace):
    """The breathe-out phases of the trace's best run (one per cycle)."""
    phases = getattr(trace, "phases", ())
    return [phase for phase in phases if phase.kind == "breathe out"]


def _replay_frames(trace, iterations, shown_X, shown_final):
    """(centres per frame, labels per frame or None, info per frame).

    Frame 0 is the initial centres (labels: nearest initial centre, computed
    here for the shown samples); frame t is iteration t of the trace's
    first run, and after those come the breathing cycles, one frame each.
    """
    init_centers = getattr(getattr(trace, "best", None), "init_centers", None)
    cycles = _cycles(trace)
    records = list(iterations) + [phase.iterations[-1] for phase in cycles]
    centers = [np.asarray(r.centers, dtype=np.float64) for r in records]
    infos = [{"label": f"Iteration {t} of {len(iterations)}",
              "inertia": fmt(r.inertia), "n_changed": fmt(int(r.n_changed)),
              "center_shift": fmt(r.center_shift),
              "relocated": ", ".join(map(str, r.relocated)) or "none"}
             for t, r in enumerate(iterations, start=1)]
    infos += [{"label": (f"Breathing cycle {phase.cycle} of {len(cycles)} "
                         f"(m={phase.m}): "
                         + ("kept" if phase.accepted else
                            "not kept, the search goes on from the centres before it")),
               "inertia": fmt(phase.inertia), "n_changed": "&mdash;",
               "center_shift": "&mdash;", "relocated": "&mdash;"}
              for phase in cycles]
    recorded = bool(records) and all(r.labels is not None for r in records)
    labels = [np.asarray(r.labels)[shown_final] for r in records] if recorded else None
    if init_centers is not None:
        init_centers = np.asarray(init_centers, dtype=np.float64)
        centers.insert(0, init_centers)
        infos.insert(0, {"label": "Initial centres (before iteration 1)",
                         "inertia": "&mdash;", "n_changed": "&mdash;",
                         "center_shift": "&mdash;", "relocated": "none"})
        if labels is not None:
            labels.insert(0, _nearest(shown_X, init_centers))
    return centers, labels, infos


def _shown_samples(n_samples):
    """Indices of the samples the replay draws: all, or a fixed uniform
    subsample of MAX_SHOWN_SAMPLES (the same page for the same data)."""
    if n_samples <= MAX_SHOWN_SAMPLES:
        return np.arange(n_samples)
    rng = np.random.default_rng(0)
    return np.sort(rng.choice(n_samples, MAX_SHOWN_SAMPLES, replace=False))


def replay_section(X, trace, iterations, final_labels, feature_names, units=None):
    """The replay of ``trace`` over X, axes named after ``feature_names``
    (``units``: how X was transformed, e.g. "standardised", or None)."""
    n_samples = X.shape[0]
    shown = _shown_samples(n_samples)
    shown_X = np.asarray(X[shown], dtype=np.float64)
    centers, frame_labels, infos = _replay_frames(trace, iterations, shown_X, shown)
    if not centers:
        return section("replay", "Convergence replay",
                        '<p class="note">The trace has no iterations.</p>')
    # The view is computed on the data and centres scaled by a power of two
    # (exact): principal components and pixel spans of values from about
    # 1e154 (or below 1e-154) would overflow (underflow) in the data's
    # units. The ticks are given in the data's units.
    shift = _shift(shown_X, *centers)
    shown_X = np.ldexp(shown_X, shift)
    centers = [np.ldexp(c, shift) for c in centers]
    mean, components, names, note = _projection(shown_X, feature_names)
    if units is not None:
        names = [f"{name} ({units})" if name != "(one feature)" else name
                 for name in names]

    def project(coords):
        return (coords - mean) @ components.T

    points = project(shown_X)
    projected_centers = [project(c) for c in centers]
    pixels = _PixelMap(np.vstack([points] + projected_centers))
    notes = [note] if note else []
    if len(shown) < n_samples:
        notes.append(f"Showing {len(shown):,} of {n_samples:,} samples, chosen "
                     f"uniformly at random; the inertia and changed labels are "
                     f"those of all samples.")
    if frame_labels is None:
        notes.append("The trace has no per-iteration labels (fit with "
                     "record_labels=True to replay them): "
                     + ("points keep their final labels." if final_labels is not None
                        else "points are drawn grey."))
        static = (np.full(len(shown), -1) if final_labels is None
                  else cluster_codes(final_labels)[0][shown])
        frame_labels = [static] * len(centers)

    frames = _encode_frames([pixels(c) for c in projected_centers], infos, frame_labels)
    inertia_chart = ""
    if iterations:
        cycles = _cycles(trace)
        values = [r.inertia for r in iterations] + [p.inertia for p in cycles]
        inertia_chart, positions = line_chart(
            np.arange(1, len(values) + 1), values,
            title="Inertia per iteration" + (", then per breathing cycle"
                                             if cycles else ""),
            x_label="iteration, then breathing cycle" if cycles else "iteration",
            marker=True)
        if cycles:
            notes.append(f"Frames 1 to {len(iterations)} are the iterations of the "
                         f"first k-means run; the {len(cycles)} after them are the "
                         f"breathing cycles, each shown by the centres its "
                         f"breathe-out run ended with.")
        # Frame 0 (the initial centres) has no point on the inertia chart.
        for frame, position in zip(frames[len(frames) - len(values):], positions):
            frame["marker"] = position
    data = {"points": b64(np.round(pixels(points), 2), "<f4"),
            "labels0": b64(frame_labels[0], "<i4"), "colors": COLORS,
            "no_label_color": NO_LABEL_COLOR, "frames": frames,
            "size": _SCATTER_SIZE}
    body = (_replay_html(frames, _scatter_axes(pixels, names, shift), inertia_chart)
            + "".join(f'<p class="note">{esc(n)}</p>' for n in notes)
            + '<script type="application/json" data-role="data">'
            + json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")
            + "</script></div>")
    return section("replay", "Convergence replay", body)


def _encode_frames(pixel_centers, infos, frame_labels):
    """The page's frames: texts, centre pixels, and each frame's label
    changes from the one before (frame 0's labels travel separately)."""
    frame_labels = [np.asarray(lab, dtype=np.int32) for lab in frame_labels]
    frames = []
    for t, (c, info) in enumerate(zip(pixel_centers, infos)):
        frame = dict(info, centers=np.round(c, 2).tolist())
        if t > 0:
            changed = np.flatnonzero(frame_labels[t] != frame_labels[t - 1])
            frame["changed"] = b64(changed, "<i4")
            frame["changed_to"] = b64(frame_labels[t][changed], "<i4")
        frames.append(frame)
    return frames


def _replay_html(frames, axes, inertia_chart):
    """Controls, scatter and statistics, showing the last frame; the page's
    script redraws them for the slider's frame. Left open for the notes and
    the data that follow."""
    last = len(frames) - 1
    width, height = _SCATTER_SIZE
    shown = frames[last]
    stats = "".join(
        f'<dt>{term}</dt><dd id="iteration-{key.replace("_", "-")}" '
        f'data-role="{key}">{shown[key]}</dd>'
        for term, key in (("inertia", "inertia"),
                          ("labels changed in the assignment step", "n_changed"),
                          ("centre shift (sum of squared moves)", "center_shift"),
                          ("relocated empty clusters", "relocated")))
    circles = "".join(
        f'<circle class="center" data-cluster="{j}" cx="{x}" cy="{y}" r="7" '
        f'fill="{COLORS[j % len(COLORS)]}"/>'
        for j, (x, y) in enumerate(shown["centers"]))
    return (
        '<div class="replay" data-replay><div class="controls">'
        '<button type="button" id="play-button" data-role="play" '
        'aria-pressed="false">Play</button>'
        f'<input type="range" id="iteration-slider" data-role="slider" min="0" '
        f'max="{last}" step="1" value="{last}" aria-label="iteration">'
        f'<span id="iteration-label" data-role="label">{shown["label"]}</span></div>'
        f'<div class="replay-body"><div class="scatter" '
        f'style="width:{width}px;height:{height}px">'
        f'<canvas width="{width}" height="{height}" data-role="canvas" '
        f'id="replay-canvas"></canvas>'
        f'<svg class="overlay" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" id="replay-overlay">{axes}'
        f'<g data-role="trails" class="trails"></g>'
        f'<g data-role="centers" id="replay-centers">{circles}</g></svg></div>'
        f'<div class="side"><dl class="stats">{stats}</dl>'
        f'<div class="inertia-chart">{inertia_chart}</div></div></div>')
