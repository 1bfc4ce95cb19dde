"""A self-contained HTML report of a clustering.

:func:`write_report` writes one HTML file with everything inlined: the data
overview, a replay of the convergence trace (a slider over the iterations,
drawn on a canvas with a small inline script), the choose-k panels and the
silhouette plot (inline SVG). The page loads nothing from anywhere: a
Content-Security-Policy forbids every network request, so it opens the same
offline, from an e-mail attachment or from a CI artefact. The report draws
the results it is given; it fits no clustering.

Modules (private; import from ``kmeanslab.report``):

- ``_page``: :func:`write_report`, its input checks and the page builder,
  which inlines the package files ``assets/report.css`` and
  ``assets/report.js`` (read with :mod:`importlib.resources`);
- ``_overview``, ``_replay``, ``_selection``, ``_silhouette``: one section
  each;
- ``_charts``: the SVG line charts of the replay and the choose-k section;
- ``_html``: number formats, escaping, tables and the cluster colours.
"""

from ._page import write_report
from ._replay import MAX_SHOWN_SAMPLES

__all__ = ["MAX_SHOWN_SAMPLES", "write_report"]
