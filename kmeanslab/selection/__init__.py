"""Choosing the number of clusters: the Kneedle elbow, the gap statistic,
subsample stability and a sweep over k that combines them.

:func:`choose_k` fits each k once with :func:`kmeanslab.kmeans` and scores
that one fit with every requested criterion (the inertia's elbow,
silhouette, Calinski-Harabasz, Davies-Bouldin, gap statistic, stability);
the gap statistic and stability need clusterings of their own (reference
data, subsamples) and make them. Each criterion picks a k, a majority vote
recommends one, and :class:`KSelection` explains the choice in words.

Random numbers: an integer ``random_state`` is given unchanged to the fit of
every k (so ``choose_k(X, random_state=s)`` fits the same models as
``KMeans(k, random_state=s)``); the reference sets, subsamples and sampled
silhouettes draw from ``numpy.random.default_rng([seed, <criterion>, ...])``
so every number depends on the seed and k only, never on ``n_jobs`` or the
order in which ks finish.

Modules (private; import from ``kmeanslab.selection``):

- ``_knee``: :func:`find_knee` (Kneedle) and :class:`KneeResult`;
- ``_gap``: :func:`gap_statistic`, :class:`GapResult`, the reference sampler
  and the one-standard-error pick;
- ``_stability``: :func:`stability` and :class:`StabilityResult`;
- ``_sweep``: :func:`choose_k`, :class:`KSelection`, the task for one k and
  the progress bar;
- ``_explain``: each criterion's pick, the vote and the explanation text;
- ``_common``: option lists, random streams and the shared parameter checks.

Importing this package loads numpy only; numba, scikit-learn, pandas and
tqdm are imported when a function runs.
"""

from ._common import CRITERIA, CRITERION_ALIASES, REFERENCES, SILHOUETTE_METHODS
from ._gap import GapResult, gap_statistic
from ._knee import KneeResult, find_knee
from ._stability import StabilityResult, stability
from ._sweep import KSelection, SkippedKWarning, choose_k

__all__ = [
    "GapResult",
    "KneeResult",
    "KSelection",
    "SkippedKWarning",
    "StabilityResult",
    "choose_k",
    "find_knee",
    "gap_statistic",
    "stability",
]
