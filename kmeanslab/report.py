"""A self-contained HTML report of a clustering.

:func:`write_report` writes one HTML file with everything inlined: the data
overview, a replay of the convergence trace (a slider over the iterations,
drawn on a canvas with a small inline script), the choose-k panels and the
silhouette plot (inline SVG). The page loads nothing from anywhere: a
Content-Security-Policy forbids every network request, so it opens the same
offline, from an e-mail attachment or from a CI artefact.
"""

from __future__ import annotations

import html
import json
from base64 import b64encode
from pathlib import Path

import numpy as np

from ._validation import check_X
from .io import write_bytes
from .io._write import exists_error

__all__ = ["write_report"]

# The replay draws at most this many samples: 5,000 points keep the page
# near 100 kB and the canvas redraw well under a frame (16 ms).
MAX_SHOWN_SAMPLES = 5000
# The per-feature table lists at most this many features.
_MAX_FEATURE_ROWS = 50
# Centre coordinates are listed for at most this many features.
_MAX_CENTER_COLUMNS = 10
# Points per cluster band of the silhouette plot: the sorted values are
# resampled at this many quantiles, which keeps its shape and the SVG small.
_MAX_BAND_POINTS = 200
# matplotlib's "tab10", the colours kmeanslab.plotting gives clusters 0..9;
# cluster j gets _COLORS[j % 10].
_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
           "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
_NO_LABEL_COLOR = "#9ca3af"
# Scatter plot size in CSS pixels and its margins (left, right, top, bottom).
_SCATTER_SIZE = (560, 420)
_SCATTER_MARGINS = (56, 14, 14, 40)
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


def write_report(path, *, X, labels=None, centers=None, trace=None,
                 selection=None, silhouette_values=None,
                 title="kmeanslab report", force=False):
    """Write a self-contained HTML report of a clustering.

    Parameters
    ----------
    path : str or os.PathLike
        The HTML file to write; its directory must exist.
    X : array-like of shape (n_samples, n_features)
        The data that was clustered.
    labels : array-like of shape (n_samples,), default=None
        Cluster of each sample (integers 0..n_clusters-1 get the colours of
        :mod:`kmeanslab.plotting`). When None, the last labels of ``trace``
        are used if it recorded them.
    centers : array-like of shape (n_clusters, n_features), default=None
        Final centres, listed in the overview. When None, the last centres
        of ``trace`` are used.
    trace : ConvergenceTrace, default=None
        ``KMeans(record_labels=True).fit(X).trace_``: adds the convergence
        replay (without recorded labels the replay moves the centres over
        the final labels).
    selection : KSelection, default=None
        The result of :func:`kmeanslab.selection.choose_k`: adds one chart
        per criterion with its pick, the recommended k and the explanation.
    silhouette_values : array-like of shape (n_samples,), default=None
        :func:`kmeanslab.metrics.silhouette_samples` of ``X`` and the
        labels: adds the silhouette plot.
    title : str, default="kmeanslab report"
        Page title and heading.
    force : bool, default=False
        Overwrite ``path`` if it exists.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``force`` is False.
    ValueError
        If an input does not match X (row count, feature count) or
        ``silhouette_values`` is given without any labels.

    See Also
    --------
    kmeanslab.plotting : the same views as matplotlib figures.

    Notes
    -----
    The overview (sample and feature counts, per-feature minimum, mean and
    maximum, cluster sizes) is always present; every other section is left
    out when its input is None. The replay shows the first two features, or
    the first two principal components when there are more, of at most
    5,000 samples (a uniform random subsample, the same for every call).
    Labels are stored once plus the changes of each iteration, so a long
    trace adds little to the page. The file is written to a temporary file
    in the same directory and moved into place, so a reader never sees a
    partial page and a failure leaves any earlier report untouched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn.datasets import make_blobs
    >>> from kmeanslab import KMeans
    >>> from kmeanslab.report import write_report
    >>> X, _ = make_blobs(300, centers=3, random_state=0)
    >>> km = KMeans(3, random_state=0, record_labels=True).fit(X)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = write_report(pathlib.Path(tmp) / "report.html", X=X,
    ...                        trace=km.trace_)
    ...     "iteration-slider" in out.read_text()
    True
    """
    target = Path(path)
    if target.exists() and not force:
        raise exists_error(target)
    X = check_X(X)
    n_samples, n_features = X.shape
    iterations = _check_trace(trace, n_features, n_samples)
    if labels is None and iterations and iterations[-1].labels is not None:
        labels = iterations[-1].labels
    if centers is None and iterations:
        centers = iterations[-1].centers
    labels = _check_vector(labels, n_samples, "labels")
    centers = _check_centers(centers, n_features)
    silhouette_values = _check_vector(silhouette_values, n_samples,
                                      "silhouette_values", float)
    if silhouette_values is not None and labels is None:
        raise ValueError("silhouette_values needs labels: pass labels= (or a "
                         "trace fitted with record_labels=True)")

    sections = [_overview_section(X, labels, centers)]
    if trace is not None:
        sections.append(_replay_section(X, trace, iterations, labels))
    if selection is not None:
        sections.append(_selection_section(selection))
    if silhouette_values is not None:
        sections.append(_silhouette_section(silhouette_values, labels))
    page = _page(str(title), sections)
    write_bytes(target, page.encode("utf-8"), force=force)
    return target


# --------------------------------------------------------------------------
# Input checks


def _check_vector(values, n_samples, name, dtype=None):
    if values is None:
        return None
    values = np.asarray(values) if dtype is None else np.asarray(values, dtype)
    if values.shape != (n_samples,):
        raise ValueError(f"{name} must have shape ({n_samples},) to match X, "
                         f"got shape {values.shape}")
    if values.dtype.kind == "f" and not np.isfinite(values).all():
        raise ValueError(f"{name} contains NaN or infinity")
    return values


def _check_centers(centers, n_features):
    if centers is None:
        return None
    centers = np.asarray(centers, dtype=np.float64)
    if centers.ndim != 2 or centers.shape[1] != n_features:
        raise ValueError(f"centers must have shape (n_clusters, {n_features}) "
                         f"to match X, got shape {centers.shape}")
    return centers


def _check_trace(trace, n_features, n_samples):
    if trace is None:
        return ()
    iterations = tuple(trace.iterations)
    for record in iterations:
        if np.shape(record.centers)[-1] != n_features:
            raise ValueError(f"trace centres have {np.shape(record.centers)[-1]} "
                             f"features but X has {n_features}")
        if record.labels is not None and len(record.labels) != n_samples:
            raise ValueError(f"trace labels cover {len(record.labels)} samples "
                             f"but X has {n_samples}; pass the X that was fitted")
    return iterations


def _cluster_codes(labels):
    """(codes, names): a colour index per sample, and code -> cluster name
    for every code present.

    Non-negative integer labels are their own colour index, so cluster j has
    the same colour in every section and in kmeanslab.plotting; other labels
    are numbered in sorted order.
    """
    if labels.dtype.kind == "f" and np.array_equal(labels, np.round(labels)):
        labels = labels.astype(np.int64)
    if labels.dtype.kind in "iu" and labels.min() >= 0:
        codes = labels.astype(np.intp)
        return codes, {int(c): int(c) for c in np.flatnonzero(np.bincount(codes))}
    values, codes = np.unique(labels, return_inverse=True)
    return codes, dict(enumerate(values.tolist()))


# --------------------------------------------------------------------------
# Formatting helpers


def _fmt(value, digits=4):
    if value is None:
        return "&mdash;"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    value = float(value)
    if not np.isfinite(value):
        return "&mdash;"
    if value != 0 and 1e-3 <= abs(value) < 1e6:
        decimals = max(0, digits - 1 - int(np.floor(np.log10(abs(value)))))
        return f"{value:,.{decimals}f}"
    return f"{value:.{digits}g}"


def _fmt_x(value):
    """An axis position: integers (iterations, ks) without decimals."""
    return _fmt(int(value)) if float(value).is_integer() else _fmt(value, 3)


def _tick_texts(values):
    """Axis labels for ``values`` with just enough digits to tell them apart."""
    for digits in range(3, 10):
        texts = [_fmt(v, digits) for v in values]
        if len(set(texts)) == len(texts):
            break
    return texts


def _esc(text):
    return html.escape(str(text), quote=True)


def _table(header, rows, *, cls="data"):
    head = "".join(f"<th>{cell}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>"
                   for row in rows)
    return (f'<table class="{cls}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


def _swatch(code):
    return f'<span class="swatch" style="background:{_COLORS[code % len(_COLORS)]}"></span>'


def _b64(array, dtype):
    """Base64 of the array's little-endian bytes (decoded by the page's script)."""
    return b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode("ascii")


def _section(section_id, heading, body):
    return section_id, heading, body


# --------------------------------------------------------------------------
# Overview


def _overview_section(X, labels, centers):
    n_samples, n_features = X.shape
    parts = [f'<p class="facts"><span id="n-samples">{n_samples:,}</span> samples, '
             f'<span id="n-features">{n_features:,}</span> features, '
             f"dtype {X.dtype}.</p>"]
    shown = min(n_features, _MAX_FEATURE_ROWS)
    rows = zip(range(shown), X[:, :shown].min(axis=0),
               X[:, :shown].mean(axis=0, dtype=np.float64), X[:, :shown].max(axis=0))
    parts.append("<h3>Features</h3>")
    parts.append(_table(["feature", "min", "mean", "max"],
                        [(j, _fmt(lo), _fmt(mean), _fmt(hi)) for j, lo, mean, hi in rows],
                        cls="data features"))
    if shown < n_features:
        parts.append(f'<p class="note">The first {shown} of {n_features:,} features.</p>')
    if labels is not None:
        codes, names = _cluster_codes(labels)
        counts = np.bincount(codes)
        size_rows = []
        for code, name in names.items():
            share = counts[code] / n_samples
            bar = f'<span class="bar" style="width:{100 * share:.1f}%"></span>'
            size_rows.append((f"{_swatch(code)}{_esc(name)}", f"{counts[code]:,}",
                              f"{100 * share:.1f}%", bar))
        parts.append("<h3>Cluster sizes</h3>")
        parts.append(_table(["cluster", "samples", "share", ""], size_rows,
                            cls="data cluster-sizes"))
    if centers is not None:
        columns = min(n_features, _MAX_CENTER_COLUMNS)
        parts.append("<h3>Centres</h3>")
        parts.append(_table(["cluster"] + [f"x{j}" for j in range(columns)],
                            [[f"{_swatch(i)}{i}"] + [_fmt(v) for v in row[:columns]]
                             for i, row in enumerate(centers)], cls="data centers"))
        if columns < n_features:
            parts.append(f'<p class="note">The first {columns} of {n_features:,} '
                         f"coordinates.</p>")
    return _section("overview", "Data overview", "\n".join(parts))


# --------------------------------------------------------------------------
# Convergence replay


def _projection(X_shown):
    """(mean, components (2, n_features), axis names, note) of the 2-D view."""
    n_features = X_shown.shape[1]
    mean = np.zeros(n_features)
    if n_features <= 2:
        components = np.eye(2, n_features)
        names = ["feature 0", "feature 1" if n_features == 2 else "(one feature)"]
        return mean, components, names, ""
    from sklearn.decomposition import PCA

    pca = PCA(n_components=2, random_state=0).fit(X_shown)
    ratio = pca.explained_variance_ratio_
    names = [f"PC{i + 1} ({100 * r:.1f}% of variance)" for i, r in enumerate(ratio)]
    note = (f"X has {n_features} features: the axes are its first two principal "
            f"components, which explain {100 * ratio.sum():.1f}% of the variance.")
    return pca.mean_, pca.components_, names, note


def _nearest(points, centers):
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


def _scatter_axes(pixels, names):
    width, height = _SCATTER_SIZE
    parts = [f'<rect class="frame" x="{pixels.x0}" y="{pixels.y1}" '
             f'width="{pixels.x1 - pixels.x0}" height="{pixels.y0 - pixels.y1}"/>']
    fracs = (0.0, 0.5, 1.0)
    x_texts = _tick_texts([pixels.lo[0] + f * (pixels.hi[0] - pixels.lo[0]) for f in fracs])
    y_texts = _tick_texts([pixels.lo[1] + f * (pixels.hi[1] - pixels.lo[1]) for f in fracs])
    for frac, x_text, y_text in zip(fracs, x_texts, y_texts):
        x = pixels.x0 + frac * (pixels.x1 - pixels.x0)
        y = pixels.y0 + frac * (pixels.y1 - pixels.y0)
        parts.append(f'<text class="tick" x="{x:.1f}" y="{pixels.y0 + 14}" '
                     f'text-anchor="middle">{x_text}</text>')
        parts.append(f'<text class="tick" x="{pixels.x0 - 4}" y="{y + 4:.1f}" '
                     f'text-anchor="end">{y_text}</text>')
    parts.append(f'<text class="axis" x="{(pixels.x0 + pixels.x1) / 2:.1f}" '
                 f'y="{height - 6}" text-anchor="middle">{_esc(names[0])}</text>')
    parts.append(f'<text class="axis" transform="translate(14 {(pixels.y0 + pixels.y1) / 2:.1f}) '
                 f'rotate(-90)" text-anchor="middle">{_esc(names[1])}</text>')
    return "".join(parts)


def _replay_frames(trace, iterations, shown_X, shown_final):
    """(centres per frame, labels per frame or None, info per frame).

    Frame 0 is the initial centres (labels: nearest initial centre, computed
    here for the shown samples); frame t is iteration t of the trace.
    """
    init_centers = getattr(getattr(trace, "best", None), "init_centers", None)
    centers = [np.asarray(r.centers, dtype=np.float64) for r in iterations]
    # Positions, not r.iteration: a breathing trace restarts the count at
    # each of its k-means runs.
    infos = [{"label": f"Iteration {t} of {len(iterations)}",
              "inertia": _fmt(r.inertia), "n_changed": _fmt(int(r.n_changed)),
              "center_shift": _fmt(r.center_shift),
              "relocated": ", ".join(map(str, r.relocated)) or "none"}
             for t, r in enumerate(iterations, start=1)]
    recorded = bool(iterations) and iterations[0].labels is not None
    labels = [np.asarray(r.labels)[shown_final] for r in iterations] if recorded else None
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


def _replay_section(X, trace, iterations, final_labels):
    n_samples = X.shape[0]
    shown = _shown_samples(n_samples)
    shown_X = np.asarray(X[shown], dtype=np.float64)
    mean, components, names, note = _projection(shown_X)
    centers, frame_labels, infos = _replay_frames(trace, iterations, shown_X, shown)
    if not centers:
        return _section("replay", "Convergence replay",
                        '<p class="note">The trace has no iterations.</p>')

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
                  else _cluster_codes(final_labels)[0][shown])
        frame_labels = [static] * len(centers)

    frames = _encode_frames([pixels(c) for c in projected_centers], infos, frame_labels)
    inertia_chart = ""
    if iterations:
        inertia_chart, positions = _line_chart(
            np.arange(1, len(iterations) + 1), [r.inertia for r in iterations],
            title="Inertia per iteration", x_label="iteration", marker=True)
        # Frame 0 (the initial centres) has no point on the inertia chart.
        for frame, position in zip(frames[len(frames) - len(iterations):], positions):
            frame["marker"] = position
    data = {"points": _b64(np.round(pixels(points), 2), "<f4"),
            "labels0": _b64(frame_labels[0], "<i4"), "colors": _COLORS,
            "no_label_color": _NO_LABEL_COLOR, "frames": frames,
            "size": _SCATTER_SIZE}
    body = (_replay_html(frames, _scatter_axes(pixels, names), inertia_chart)
            + "".join(f'<p class="note">{_esc(n)}</p>' for n in notes)
            + '<script type="application/json" data-role="data">'
            + json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")
            + "</script></div>")
    return _section("replay", "Convergence replay", body)


def _encode_frames(pixel_centers, infos, frame_labels):
    """The page's frames: texts, centre pixels, and each frame's label
    changes from the one before (frame 0's labels travel separately)."""
    frame_labels = [np.asarray(lab, dtype=np.int32) for lab in frame_labels]
    frames = []
    for t, (c, info) in enumerate(zip(pixel_centers, infos)):
        frame = dict(info, centers=np.round(c, 2).tolist())
        if t > 0:
            changed = np.flatnonzero(frame_labels[t] != frame_labels[t - 1])
            frame["changed"] = _b64(changed, "<i4")
            frame["changed_to"] = _b64(frame_labels[t][changed], "<i4")
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
        f'fill="{_COLORS[j % len(_COLORS)]}"/>'
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


# --------------------------------------------------------------------------
# SVG line charts


def _ticks(n_points):
    step = max(1, int(np.ceil(n_points / 10)))
    return range(0, n_points, step)


def _line_chart(x, y, *, title, x_label, mark=None, shade=None, err=None,
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
             f'height="{height}" role="img" aria-label="{_esc(title)}">',
             f'<text class="chart-title" x="{width / 2}" y="14" '
             f'text-anchor="middle">{_esc(title)}</text>']
    if shade is not None and shade in x:
        # A column 0.8 of the closest spacing of x wide, centred on shade.
        spacing = np.diff(np.sort(x)).min() if len(x) > 1 else 1.0
        column = 0.8 * (px(spacing) - px(0))
        parts.append(f'<rect class="recommended" x="{px(shade) - column / 2:.1f}" '
                     f'y="{top}" width="{column:.1f}" height="{height - top - bottom}"/>')
    parts.append(f'<rect class="frame" x="{left}" y="{top}" width="{width - left - right}" '
                 f'height="{height - top - bottom}"/>')
    tick_values = [lo, (lo + hi) / 2, hi]
    for value, text in zip(tick_values, _tick_texts(tick_values)):
        parts.append(f'<text class="tick" x="{left - 4}" y="{py(value) + 4:.1f}" '
                     f'text-anchor="end">{text}</text>')
    for i in _ticks(len(x)):
        parts.append(f'<text class="tick" x="{px(x[i]):.1f}" y="{height - bottom + 13}" '
                     f'text-anchor="middle">{_fmt_x(x[i])}</text>')
    parts.append(f'<text class="axis" x="{(left + width - right) / 2}" y="{height - 4}" '
                 f'text-anchor="middle">{_esc(x_label)}</text>')
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
                         f'text-anchor="middle">k={_fmt(mark)}</text>')
    if marker and positions and positions[-1] is not None:
        parts.append(f'<circle class="marker" data-role="marker" cx="{positions[-1][0]}" '
                     f'cy="{positions[-1][1]}" r="5"/>')
    parts.append("</svg>")
    return "".join(parts), positions


# --------------------------------------------------------------------------
# Choosing k


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


def _selection_section(selection):
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
        svg, _ = _line_chart(ks, values, title=heading, x_label="k", mark=pick,
                             shade=recommended, err=err)
        caption = (f"pick: k={_fmt(pick)}" if pick is not None else "no pick") + \
            (f" ({_esc(rule)})" if rule else "")
        panels.append(f'<figure class="criterion" data-criterion="{_esc(name)}" '
                      f'data-pick="{"" if pick is None else int(pick)}">{svg}'
                      f"<figcaption>{caption}</figcaption></figure>")
    header = ["k"] + [_CRITERIA.get(n, (n,))[0] for n in criteria]
    table_rows = []
    for row in rows:
        cells = [f"<strong>{row['k']}</strong>" if row["k"] == recommended else str(row["k"])]
        for name in criteria:
            text = _fmt(row.get(name))
            cells.append(f'<span class="picked">{text}</span>'
                         if picks.get(name) == row["k"] else text)
        table_rows.append(cells)
    recommended_text = "none" if recommended is None else _fmt(recommended)
    explanation = getattr(selection, "explanation", "") or ""
    body = (f'<p class="recommendation">Recommended number of clusters: '
            f'<strong id="recommended-k">{recommended_text}</strong></p>'
            f'<p id="selection-explanation">{_esc(explanation)}</p>'
            f'<div class="panels">{"".join(panels)}</div>'
            f'<p class="note">Each chart rings its criterion\'s pick; the shaded '
            f"column is the recommended k. Picked values are marked in the table.</p>"
            + _table(header, table_rows, cls="data selection-table"))
    return _section("choose-k", "Choosing k", body)


# --------------------------------------------------------------------------
# Silhouette


def _silhouette_section(values, labels):
    codes, names = _cluster_codes(labels)
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
        parts.append(f'<polygon class="band" data-cluster="{_esc(name)}" '
                     f'fill="{_COLORS[code % len(_COLORS)]}" points="{" ".join(coords)}"/>')
        parts.append(f'<text class="tick" x="{left - 6}" y="{py(position + size / 2) + 4:.1f}" '
                     f'text-anchor="end">{_esc(name)} (n={size:,})</text>')
        cluster_values = values[codes == code]
        rows.append((f"{_swatch(code)}{_esc(name)}", f"{size:,}",
                     _fmt(cluster_values.mean()), _fmt(cluster_values.min()),
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
            + _table(["cluster", "samples", "mean", "min", "negative"], rows,
                     cls="data silhouette-table"))
    return _section("silhouette", "Silhouette", body)


# --------------------------------------------------------------------------
# Page and file


# default-src 'none' blocks every fetch (scripts, styles, images, fonts,
# connections) that is not inline, so the page provably works offline.
_CSP = ("default-src 'none'; script-src 'unsafe-inline'; "
        "style-src 'unsafe-inline'; img-src data:")

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
 color:#111827;margin:0 auto;max-width:1100px;padding:16px 24px 48px}
h1{font-size:1.6em;margin:.4em 0}h2{border-bottom:1px solid #e5e7eb;
 padding-bottom:.2em;margin-top:1.6em}h3{font-size:1.05em;margin:1em 0 .4em}
nav a{margin-right:1em}
table.data{border-collapse:collapse;margin:.4em 0;font-variant-numeric:tabular-nums}
table.data th,table.data td{padding:2px 10px;border-bottom:1px solid #e5e7eb;
 text-align:right}table.data th:first-child,table.data td:first-child{text-align:left}
.swatch{display:inline-block;width:.8em;height:.8em;border-radius:2px;
 margin-right:.4em;vertical-align:-1px}
.bar{display:inline-block;height:.7em;min-width:1px;background:#60a5fa}
.cluster-sizes td:last-child{width:200px;text-align:left}
.note{color:#4b5563;font-size:.92em}
.controls{display:flex;gap:12px;align-items:center;margin:.5em 0}
.controls input{width:320px}
.replay-body{display:flex;flex-wrap:wrap;gap:20px;align-items:flex-start}
.scatter{position:relative}.scatter canvas,.scatter svg{position:absolute;left:0;top:0}
.stats{display:grid;grid-template-columns:auto auto;gap:2px 12px;margin:0 0 12px}
.stats dt{color:#4b5563}.stats dd{margin:0;font-variant-numeric:tabular-nums}
svg text{font:11px system-ui,sans-serif;fill:#374151}
svg .chart-title{font-weight:600}svg .axis{fill:#111827}
svg .frame{fill:none;stroke:#9ca3af}
svg .line{fill:none;stroke:#2563eb;stroke-width:1.5}svg .dot{fill:#2563eb}
svg .err{stroke:#2563eb;stroke-width:1}
svg .pick{fill:none;stroke:#dc2626;stroke-width:2}svg .pick-label{fill:#dc2626}
svg .recommended{fill:#fde68a;opacity:.7}
svg .marker{fill:#dc2626;stroke:#fff;stroke-width:1.5}
svg .center{stroke:#fff;stroke-width:2.5;
 filter:drop-shadow(0 0 1px #111827) drop-shadow(0 0 1px #111827)}
svg .trails polyline{fill:none;stroke:#111827;stroke-width:1;stroke-dasharray:3 2;opacity:.7}
svg .band{opacity:.85}svg .zero{stroke:#6b7280}
svg .mean{stroke:#dc2626;stroke-dasharray:5 3;stroke-width:1.5}svg .mean-label{fill:#dc2626}
.panels{display:flex;flex-wrap:wrap;gap:8px}
figure.criterion{margin:0}figure.criterion figcaption{font-size:.9em;color:#4b5563}
.recommendation{font-size:1.2em}#recommended-k{font-size:1.3em;color:#b91c1c}
.picked{font-weight:700;color:#b91c1c}
"""

# Reads each replay's JSON payload, rebuilds every frame's labels from the
# first frame and the per-iteration changes, and redraws on slider input.
_SCRIPT = r"""
(function () {
  "use strict";
  function decode(text, Type) {
    var raw = atob(text), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return new Type(bytes.buffer);
  }
  function setup(root) {
    var data = JSON.parse(root.querySelector("[data-role=data]").textContent);
    var find = function (role) { return root.querySelector("[data-role=" + role + "]"); };
    var slider = find("slider"), canvas = find("canvas"), play = find("play");
    var centers = find("centers"), trails = find("trails"), marker = find("marker");
    var points = decode(data.points, Float32Array);
    var frames = data.frames, labels = [decode(data.labels0, Int32Array)];
    for (var t = 1; t < frames.length; t++) {
      var next = labels[t - 1].slice();
      var changed = decode(frames[t].changed, Int32Array);
      var changedTo = decode(frames[t].changed_to, Int32Array);
      for (var i = 0; i < changed.length; i++) next[changed[i]] = changedTo[i];
      labels.push(next);
    }
    var width = data.size[0], height = data.size[1];
    var ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = width + "px";
    canvas.style.height = height + "px";
    var context = canvas.getContext("2d");
    var svgNS = centers.namespaceURI;
    var sameCount = frames.every(function (f) {
      return f.centers.length === frames[0].centers.length;
    });
    function color(label) {
      return label < 0 ? data.no_label_color : data.colors[label % data.colors.length];
    }
    function drawPoints(frameLabels) {
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      context.clearRect(0, 0, width, height);
      context.globalAlpha = 0.65;
      for (var i = 0; i < frameLabels.length; i++) {
        context.fillStyle = color(frameLabels[i]);
        context.fillRect(points[2 * i] - 1.5, points[2 * i + 1] - 1.5, 3, 3);
      }
      context.globalAlpha = 1;
    }
    function drawCenters(t) {
      var frame = frames[t];
      while (centers.childNodes.length > frame.centers.length) {
        centers.removeChild(centers.lastChild);
      }
      frame.centers.forEach(function (c, j) {
        var circle = centers.childNodes[j];
        if (!circle) {
          circle = document.createElementNS(svgNS, "circle");
          circle.setAttribute("class", "center");
          circle.setAttribute("r", "7");
          centers.appendChild(circle);
        }
        circle.setAttribute("data-cluster", String(j));
        circle.setAttribute("fill", color(j));
        circle.setAttribute("cx", String(c[0]));
        circle.setAttribute("cy", String(c[1]));
      });
      while (trails.firstChild) trails.removeChild(trails.firstChild);
      if (!sameCount || t === 0) return;
      frame.centers.forEach(function (c, j) {
        var line = document.createElementNS(svgNS, "polyline");
        var coords = [];
        for (var s = 0; s <= t; s++) coords.push(frames[s].centers[j].join(","));
        line.setAttribute("points", coords.join(" "));
        trails.appendChild(line);
      });
    }
    function show(t) {
      var frame = frames[t];
      drawPoints(labels[t]);
      drawCenters(t);
      ["label", "inertia", "n_changed", "center_shift", "relocated"].forEach(function (key) {
        var element = find(key);
        if (element) element.innerHTML = frame[key];
      });
      if (marker) {
        marker.style.display = frame.marker ? "" : "none";
        if (frame.marker) {
          marker.setAttribute("cx", String(frame.marker[0]));
          marker.setAttribute("cy", String(frame.marker[1]));
        }
      }
    }
    var timer = null;
    function stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      play.textContent = "Play";
      play.setAttribute("aria-pressed", "false");
    }
    function step() {
      var t = Number(slider.value);
      if (t >= frames.length - 1) { stop(); return; }
      slider.value = String(t + 1);
      show(t + 1);
    }
    play.addEventListener("click", function () {
      if (timer !== null) { stop(); return; }
      if (Number(slider.value) >= frames.length - 1) { slider.value = "0"; show(0); }
      play.textContent = "Pause";
      play.setAttribute("aria-pressed", "true");
      timer = setInterval(step, 700);
    });
    slider.addEventListener("input", function () { show(Number(slider.value)); });
    show(Number(slider.value));
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-replay]"), setup);
})();
"""

def _page(title, sections):
    """The page around ``sections``, a list of (id, heading, body HTML)."""
    nav = " ".join(f'<a href="#{i}">{heading}</a>' for i, heading, _ in sections)
    script = (f"<script>{_SCRIPT}</script>"
              if any(i == "replay" for i, _, _ in sections) else "")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # An empty data: icon stops browsers from requesting /favicon.ico.
        '<link rel="icon" href="data:,">'
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head>\n"
        f"<body><h1>{_esc(title)}</h1><nav>{nav}</nav>\n"
        + "\n".join(f'<section id="{i}"><h2>{heading}</h2>\n{body}\n</section>'
                    for i, heading, body in sections)
        + f"\n{script}</body></html>\n")


