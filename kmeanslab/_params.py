"""Descriptions of the fit parameters, written once.

:func:`kmeanslab.kmeans`, :class:`kmeanslab.KMeans`,
:func:`kmeanslab.core.fit_dask` and the ``kmeanslab fit`` options describe
the same parameters: their docstrings are filled from :data:`PARAMS` by
:func:`fill_doc`, and the command line takes its help strings from
:func:`cli_help`. Pure Python (no NumPy): the CLI imports this module for
``--help``.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

from ._options import INIT_NAMES

__all__ = ["PARAMS", "Param", "cli_help", "fill_doc"]


@dataclass(frozen=True)
class Param:
    """One parameter's description.

    Attributes
    ----------
    type : str
        The numpydoc type line, with its default.
    text : str
        Plain text (no markup) that reads right in a docstring and in the
        command line's help.
    api : str
        More text for the Python docstrings only (markup allowed).
    """

    type: str
    text: str
    api: str = ""


PARAMS = {
    "n_clusters": Param("int, default=8", "Number of clusters."),
    "sample_weight": Param(
        "array-like of shape (n_samples,), default=None",
        "Non-negative weights used in seeding, centre updates and inertia."),
    "init": Param(
        "{" + ", ".join(f'"{name}"' for name in INIT_NAMES) + "}, callable or "
        'array of shape (n_clusters, n_features), default="k-means++"',
        "How the initial centres are chosen: 'k-means++' (greedy D^2 "
        "sampling, as scikit-learn does), 'random' (distinct samples drawn "
        "in proportion to their weight) or 'k-means||' (k-means++ on an "
        "oversample drawn in a few passes over the data, the seeding for "
        "data that does not fit in memory).",
        "A callable ``init(X, n_clusters, random_state=...)`` or an array "
        "gives the initial centres itself."),
    "n_init": Param(
        'int or "auto", default="auto"',
        "Runs from different seeds, keeping the one of lowest inertia; "
        "'auto' is 10 for init 'random' or a callable and 1 otherwise."),
    "max_iter": Param("int, default=300", "Most iterations of one run."),
    "tol": Param(
        "float, default=1e-4",
        "Stop a run when the summed squared centre shift is at most tol "
        "times the mean feature variance."),
    "algorithm": Param(
        '{"auto", "lloyd", "hamerly", "yinyang", "elkan"}, default="auto"',
        "'hamerly' (and its alias 'elkan') skips the samples whose distance "
        "bounds prove their label cannot change; 'yinyang' keeps one bound "
        "per group of about ten centres, which pays with many clusters in "
        "few dimensions. Both give the same result as 'lloyd'; 'auto' picks "
        "one by the size of the problem.",
        "See :func:`kmeanslab.core.resolve_algorithm` for the rule."),
    "random_state": Param(
        "int, RandomState instance or None, default=None",
        "Seed for reproducible results (seeding and breathing draw from "
        "it); without one, every fit draws a fresh seed."),
    "record_labels": Param(
        "bool, default=False", "Keep every iteration's labels in the trace."),
    "copy_x": Param(
        "bool, default=True",
        "Work on a centred copy of X (more accurate). Without it, X is used "
        "as it is when it is already C-contiguous float data; X is never "
        "modified."),
    "n_threads": Param(
        "int, default=None",
        "Threads for the kernels; results do not depend on it."),
    "refine": Param(
        '{None, "breathing"}, default=None',
        "'breathing' searches beyond k-means' first local optimum with "
        "breathing k-means: it adds and removes centres around the "
        "converged solution and keeps what lowers the inertia, so the "
        "result is never worse than plain k-means from the same start (it "
        "finds every cluster on the SIPU benchmarks where one k-means++ run "
        "often misses some). Without it, each start runs plain k-means, as "
        "scikit-learn does.",
        "See :mod:`kmeanslab.breathing`; the structural moves are in "
        "``trace.moves``."),
    "precision": Param(
        '{"exact", "fast", "bf16"}, default="exact"',
        "Precision of the distance products for PyTorch tensors (other data "
        "is always measured in its own precision, as 'exact'): 'exact' uses "
        "fp32 products; 'fast' uses TF32 tensor cores on CUDA, then measures "
        "again in float64 the rows whose two nearest centres are closer than "
        "the products' error bound, so its labels equal 'exact''s; 'bf16' "
        "uses bfloat16 products without that check (labels may differ where "
        "two centres are within about 1% of each other).",
        "See :mod:`kmeanslab.backends.torch`."),
}

# A line holding only "{name}" (indented), optionally followed by more text
# for that entry.
_PLACEHOLDER = re.compile(r"^(?P<indent>[ \t]*)\{(?P<name>\w+)\}(?P<more>.*)$",
                          re.MULTILINE)
_WIDTH = 79


def _entry(name, indent, more):
    param = PARAMS[name]
    body = " ".join(part for part in (param.text, param.api, more.strip()) if part)
    wrapped = textwrap.fill(body, width=_WIDTH, initial_indent=indent + "    ",
                            subsequent_indent=indent + "    ",
                            break_on_hyphens=False, break_long_words=False)
    return f"{indent}{name} : {param.type}\n{wrapped}"


def fill_doc(obj):
    """Decorator: replace every line ``{name}`` of ``obj``'s docstring with
    the numpydoc entry of ``PARAMS[name]`` at that indentation (text after
    the placeholder is appended to the entry's description).

    Raises
    ------
    KeyError
        For a placeholder that names no parameter (at import, so a typo
        cannot ship).
    """
    if obj.__doc__:
        obj.__doc__ = _PLACEHOLDER.sub(
            lambda m: _entry(m.group("name"), m.group("indent"), m.group("more")),
            obj.__doc__)
    return obj


def cli_help(name, more=""):
    """``PARAMS[name].text`` for a command-line option, plus ``more``."""
    return " ".join(part for part in (PARAMS[name].text, more) if part)
