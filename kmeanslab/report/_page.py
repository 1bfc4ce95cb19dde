"""The report's page builder: :func:`write_report`, its input checks, and
the page around the sections, with the stylesheet and script read from the
package files ``assets/report.css`` and ``assets/report.js``."""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

import numpy as np

from .._validation import check_X
from ..backends import is_sparse
from ..io import write_bytes
from ..io._write import exists_error
from ._html import esc
from ._overview import overview_section
from ._replay import replay_section
from ._selection import selection_section
from ._silhouette import silhouette_section

__all__ = ["build_page", "read_asset", "write_report"]


def write_report(path, *, X, labels=None, centers=None, trace=None,
                 selection=None, silhouette_values=None,
                 title="kmeanslab report", force=False, feature_names=None,
                 scaler=None):
    """Write a self-contained HTML report of a clustering.

    Parameters
    ----------
    path : str or os.PathLike
        The HTML file to write; its directory must exist.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The data that was clustered. The page draws every sample: sparse X
        is drawn from a dense copy (``X.toarray()``).
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
    feature_names : sequence of str, default=None
        One name per feature (the data file's column names), used in the
        tables and on the replay's axes; default ``x0``, ``x1``, ....
    scaler : fitted transformer, default=None
        What X was transformed with before clustering, such as a fitted
        ``sklearn.preprocessing.StandardScaler``: the overview's features
        and centres are then given in the original units (through its
        ``inverse_transform``), as ``kmeanslab fit`` writes centers.csv, and
        the page says which parts are in the transformed units.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``force`` is False.
    ValueError
        If an input does not match X (row count, feature count, number of
        feature names) or ``silhouette_values`` is given without any labels.

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
    X = check_X(X.toarray() if is_sparse(X) else X)
    n_samples, n_features = X.shape
    iterations = _check_trace(trace, n_features, n_samples)
    final = _final_record(trace)
    if labels is None and final is not None and final.labels is not None:
        labels = final.labels
    if centers is None and final is not None:
        centers = final.centers
    labels = _check_vector(labels, n_samples, "labels")
    centers = _check_centers(centers, n_features)
    silhouette_values = _check_vector(silhouette_values, n_samples,
                                      "silhouette_values", float)
    if silhouette_values is not None and labels is None:
        raise ValueError("silhouette_values needs labels: pass labels= (or a "
                         "trace fitted with record_labels=True)")

    names = _check_names(feature_names, n_features)
    units = _units(scaler)
    if scaler is None:
        sections = [overview_section(X, labels, centers, names)]
    else:
        sections = [overview_section(
            np.asarray(scaler.inverse_transform(X)), labels,
            None if centers is None else np.asarray(scaler.inverse_transform(centers)),
            names, note=f"The data was {units} before clustering; the features "
                        f"and centres above are in the original units, the "
                        f"replay and the silhouettes below in {units} units.")]
    if trace is not None:
        sections.append(replay_section(X, trace, iterations, labels, names,
                                       units=units))
    if selection is not None:
        sections.append(selection_section(selection))
    if silhouette_values is not None:
        sections.append(silhouette_section(silhouette_values, labels))
    page = build_page(str(title), sections)
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


def _check_names(feature_names, n_features):
    if feature_names is None:
        return [f"x{j}" for j in range(n_features)]
    names = [str(name) for name in feature_names]
    if len(names) != n_features:
        raise ValueError(f"feature_names must have one name per feature of X "
                         f"({n_features}), got {len(names)}")
    return names


def _units(scaler):
    """How the page names the transformed units: "standardised" for a
    StandardScaler, "scaled" for one that does not centre (``with_mean=False``,
    as for sparse data), else "transformed"."""
    if scaler is None:
        return None
    if type(scaler).__name__ == "StandardScaler":
        return "standardised" if getattr(scaler, "with_mean", True) else "scaled"
    return "transformed"


def _check_centers(centers, n_features):
    if centers is None:
        return None
    centers = np.asarray(centers, dtype=np.float64)
    if centers.ndim != 2 or centers.shape[1] != n_features:
        raise ValueError(f"centers must have shape (n_clusters, {n_features}) "
                         f"to match X, got shape {centers.shape}")
    return centers


def _final_record(trace):
    """The last iteration of the run whose centres the fit returned: the
    first k-means run, or a breathing fit's last kept cycle."""
    if trace is None:
        return None
    kept = [phase for phase in getattr(trace, "phases", ())
            if phase.index == 0 or phase.accepted]
    if kept and kept[-1].iterations:
        return kept[-1].iterations[-1]
    return trace.iterations[-1] if len(trace.iterations) else None


def _check_trace(trace, n_features, n_samples):
    """The iterations of the trace's first run, after checking every
    recorded iteration against X."""
    if trace is None:
        return ()
    iterations = tuple(trace.iterations)
    best = getattr(trace, "best", None)
    for record in (best.iterations if best is not None else iterations):
        if np.shape(record.centers)[-1] != n_features:
            raise ValueError(f"trace centres have {np.shape(record.centers)[-1]} "
                             f"features but X has {n_features}")
        if record.labels is not None and len(record.labels) != n_samples:
            raise ValueError(f"trace labels cover {len(record.labels)} samples "
                             f"but X has {n_samples}; pass the X that was fitted")
    return iterations


# --------------------------------------------------------------------------
# Page and file


# default-src 'none' blocks every fetch (scripts, styles, images, fonts,
# connections) that is not inline, so the page provably works offline.
_CSP = ("default-src 'none'; script-src 'unsafe-inline'; "
        "style-src 'unsafe-inline'; img-src data:")


@functools.lru_cache(maxsize=None)
def read_asset(name):
    """The text of the package file ``assets/<name>`` (read once).

    Parameters
    ----------
    name : {"report.css", "report.js"}

    Returns
    -------
    str

    Examples
    --------
    >>> from kmeanslab.report._page import read_asset
    >>> read_asset("report.css").startswith("body{")
    True
    """
    return (resources.files(__package__).joinpath("assets").joinpath(name)
            .read_text(encoding="utf-8"))


def build_page(title, sections):
    """The page around ``sections``, a list of (id, heading, body HTML).

    The stylesheet ``assets/report.css`` is inlined in every page; the
    script ``assets/report.js`` (it reads each replay's JSON payload,
    rebuilds every frame's labels from the first frame and the
    per-iteration changes, and redraws on slider input) only in pages with
    a replay.

    Parameters
    ----------
    title : str
        Page title and heading (escaped here).
    sections : list of (str, str, str)
        Each section's id, heading and body HTML, in page order.

    Returns
    -------
    str
        The whole HTML document.
    """
    nav = " ".join(f'<a href="#{i}">{heading}</a>' for i, heading, _ in sections)
    script = (f"<script>\n{read_asset('report.js')}</script>"
              if any(i == "replay" for i, _, _ in sections) else "")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # An empty data: icon stops browsers from requesting /favicon.ico.
        '<link rel="icon" href="data:,">'
        f"<title>{esc(title)}</title><style>\n{read_asset('report.css')}</style></head>\n"
        f"<body><h1>{esc(title)}</h1><nav>{nav}</nav>\n"
        + "\n".join(f'<section id="{i}"><h2>{heading}</h2>\n{body}\n</section>'
                    for i, heading, body in sections)
        + f"\n{script}</body></html>\n")
