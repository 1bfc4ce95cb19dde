"""HTML building blocks shared by the report's sections: number formats,
escaping, tables, colour swatches, base64 arrays and the cluster colours."""

from __future__ import annotations

import html
from base64 import b64encode

import numpy as np

__all__ = ["COLORS", "NO_LABEL_COLOR", "b64", "cluster_codes", "esc", "fmt",
           "fmt_x", "html_table", "section", "swatch", "tick_texts"]

# matplotlib's "tab10", the colours kmeanslab.plotting gives clusters 0..9;
# cluster j gets COLORS[j % 10].
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
NO_LABEL_COLOR = "#9ca3af"


def fmt(value, digits=4):
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


def fmt_x(value):
    """An axis position: integers (iterations, ks) without decimals."""
    return fmt(int(value)) if float(value).is_integer() else fmt(value, 3)


def tick_texts(values):
    """Axis labels for ``values`` with just enough digits to tell them apart."""
    for digits in range(3, 10):
        texts = [fmt(v, digits) for v in values]
        if len(set(texts)) == len(texts):
            break
    return texts


def esc(text):
    return html.escape(str(text), quote=True)


def html_table(header, rows, *, cls="data"):
    head = "".join(f"<th>{cell}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>"
                   for row in rows)
    return (f'<table class="{cls}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


def swatch(code):
    return f'<span class="swatch" style="background:{COLORS[code % len(COLORS)]}"></span>'


def b64(array, dtype):
    """Base64 of the array's little-endian bytes (decoded by the page's script)."""
    return b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode("ascii")


def section(section_id, heading, body):
    return section_id, heading, body


def cluster_codes(labels):
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
