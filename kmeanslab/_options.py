"""The names every option accepts, in one place.

The library checks parameters against these lists (``_validation``,
``selection``, ``plotting``) and the command line offers them as choices,
so they cannot drift apart. Pure Python: the CLI imports this module for
``--help``, which must not load NumPy.
"""

from __future__ import annotations

__all__ = ["ALGORITHMS", "CRITERIA", "CRITERION_ALIASES", "INIT_NAMES",
           "LANGUAGES", "PRECISIONS", "REFINE_METHODS", "SILHOUETTE_METHODS", "SILHOUETTE_METRICS",
           "TABLE_FORMATS"]

#: Seeding schemes (``init``).
INIT_NAMES = ("k-means++", "random", "k-means||")
#: ``algorithm`` values; "elkan" runs the bounded variant, "auto" picks one.
ALGORITHMS = ("auto", "lloyd", "hamerly", "yinyang", "elkan")
#: ``precision`` values (distance products of the torch backend).
PRECISIONS = ("exact", "fast", "bf16")
#: ``refine`` values besides None (plain k-means).
REFINE_METHODS = ("breathing",)
#: ``choose_k`` criteria, in the order they are reported.
CRITERIA = ("inertia", "silhouette", "calinski_harabasz", "davies_bouldin",
            "gap", "stability")
#: Other names accepted for a criterion ("elbow" is the inertia's elbow).
CRITERION_ALIASES = {"elbow": "inertia"}
#: ``choose_k(silhouette=...)`` methods.
SILHOUETTE_METHODS = ("exact", "sampled", "simplified")
#: Distances the exact and sampled silhouettes measure (``metric=``).
SILHOUETTE_METRICS = ("euclidean", "cosine")
#: Languages of the figures' text.
LANGUAGES = ("en", "ja")
#: Formats of the tables the commands write.
TABLE_FORMATS = ("csv", "parquet")
