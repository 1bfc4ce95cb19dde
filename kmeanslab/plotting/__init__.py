"""Figures for k-means: data and seeds, assignments, convergence, choosing k,
silhouettes.

This package is the only part of kmeanslab that imports matplotlib, and it
does so inside the functions, so ``import kmeanslab.plotting`` stays free of
it. Every function draws results it is given (it fits no model), into the
Axes (or Figure) it is given, or creates one with pyplot when given none,
and returns it; none calls ``show()`` or changes the backend or global
rcParams.

All visible text of the walkthrough's figures comes from one translation
table: pass ``lang="ja"`` for Japanese labels, drawn with the IPAexGothic
font of the optional ``matplotlib-fontja`` package
(``pip install kmeanslab[ja]``).

Modules (private; import from ``kmeanslab.plotting``):

- ``_style``: the translation table and fonts, figure and panel helpers,
  cluster colours and the checks of the arrays a figure is given;
- ``_assignments``: :func:`plot_initial_configuration`,
  :func:`plot_clusters`, :func:`plot_overlap_effect`;
- ``_convergence``: :func:`plot_convergence`, :func:`plot_trace`,
  :func:`animate_convergence`;
- ``_selection``: :func:`plot_k_selection`, :func:`plot_selection` and
  :func:`selection_figsize`;
- ``_diagnostics``: :func:`plot_silhouette`.
"""

from ._assignments import (plot_clusters, plot_initial_configuration,
                           plot_overlap_effect)
from ._convergence import animate_convergence, plot_convergence, plot_trace
from ._diagnostics import plot_silhouette
from ._selection import plot_k_selection, plot_selection, selection_figsize
from ._style import LANGUAGES, check_lang

__all__ = [
    "LANGUAGES",
    "animate_convergence",
    "check_lang",
    "plot_clusters",
    "plot_convergence",
    "plot_initial_configuration",
    "plot_k_selection",
    "plot_overlap_effect",
    "plot_selection",
    "plot_silhouette",
    "plot_trace",
    "selection_figsize",
]
