"""What the parts of :mod:`kmeanslab.selection` share: the option lists, the
seed and its derived random streams, and the checks of the parameters every
part takes (the ks, the kmeans() keyword arguments).
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from .. import _validation
from ..backends import is_torch_tensor
# Criterion names as results report them (KSelection.criteria, picks, the
# table's columns), their other spellings ("elbow" names the inertia
# criterion by its pick) and the silhouette methods: one list for the
# library and the command line.
from .._options import CRITERIA, CRITERION_ALIASES, SILHOUETTE_METHODS

REFERENCES = ("uniform", "pca")

# Keys of the derived random streams (numpy.random.default_rng([seed, key, ...])),
# kept together so that no two parts draw from the same stream.
GAP_STREAM = 1
STABILITY_STREAM = 2
SILHOUETTE_STREAM = 3

# Keyword arguments of kmeans() that choose_k, gap_statistic and stability pass on.
KMEANS_KEYS = ("init", "max_iter", "tol", "algorithm", "n_threads", "copy_x")


class SkippedKWarning(UserWarning):
    """Some values of ``k_range`` cannot be scored and were left out."""


def base_seed(random_state):
    """One integer in [0, 2**32) that every random stream derives from."""
    if random_state is None:
        return int(np.random.default_rng().integers(2**32))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**32))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral):
        raise TypeError("random_state must be None, an int, a numpy Generator or "
                        f"RandomState, got {random_state!r}")
    if not 0 <= random_state < 2**32:
        raise ValueError(f"random_state must be in [0, 2**32), got {random_state}")
    return int(random_state)


def stream(seed, *key):
    """The random stream ``key`` (a stream constant, then ks or indices) of ``seed``."""
    return np.random.default_rng([seed, *key])


def child_seed(rng):
    """A seed for one kmeans() fit, drawn from ``rng``."""
    return int(rng.integers(2**32))


def check_fit_params(n_init, kmeans_params):
    """Validated keyword arguments for every kmeans() call of a sweep."""
    unknown = sorted(set(kmeans_params) - set(KMEANS_KEYS))
    if unknown:
        raise TypeError(f"unexpected keyword argument(s) {unknown}; kmeans "
                        f"parameters accepted here are {list(KMEANS_KEYS)}")
    params = dict(kmeans_params)
    init = params.get("init", "k-means++")
    if not (isinstance(init, str) or callable(init)):
        raise ValueError("init must be a method name or a callable here: an array "
                         "of initial centres fixes n_clusters, which varies with k")
    if isinstance(init, str):
        _validation.check_init(init, 1, 1, np.float64)
    params["n_init"] = _validation.check_n_init(n_init, init)
    if "max_iter" in params:
        _validation.check_max_iter(params["max_iter"])
    if "tol" in params:
        _validation.check_tol(params["tol"])
    if "algorithm" in params:
        _validation.check_algorithm(params["algorithm"])
    _validation.check_n_threads(params.get("n_threads"))
    return params


def check_ks(k_range, minimum, maximum, maximum_reason):
    """Sorted distinct ints of ``k_range`` within [minimum, maximum]; warns
    about the others and raises when none remain."""
    try:
        values = list(k_range)
    except TypeError:
        raise TypeError(f"k_range must be an iterable of integers, got {k_range!r}") from None
    if not values:
        raise ValueError("k_range is empty")
    for k in values:
        if isinstance(k, bool) or not isinstance(k, numbers.Integral):
            raise TypeError(f"k_range must contain integers, got {k!r}")
    ks = sorted({int(k) for k in values})
    if len(ks) != len(values):
        raise ValueError(f"k_range has repeated values: {values}")
    kept = [k for k in ks if minimum <= k <= maximum]
    dropped = [k for k in ks if k not in kept]
    if not kept:
        raise ValueError(
            f"k_range={format_ks(ks)} has no k in [{minimum}, {maximum}] "
            f"({maximum_reason})")
    if dropped:
        warnings.warn(
            f"k_range: skipping {len(dropped)} k(s), k={format_ks(dropped)}, outside "
            f"[{minimum}, {maximum}] ({maximum_reason})", SkippedKWarning,
            stacklevel=3)
    return tuple(kept)


# A list of ks longer than this is shortened when printed.
_MAX_SHOWN_KS = 12


def format_ks(ks):
    """The ks as short text: ``"2..10"`` for a run of consecutive ks, the
    list otherwise, with runs of three or more written ``a..b`` and the
    middle of a very long list left out (``"[2, 4, 6, ..., 200, 202] (101
    ks)"``).

    Examples
    --------
    >>> format_ks([2, 3, 4, 5]), format_ks([2, 4, 8]), format_ks([5])
    ('2..5', '[2, 4, 8]', '[5]')
    >>> format_ks([2, 3, 4, 7, 9, 10, 11])
    '[2..4, 7, 9..11]'
    """
    ks = list(ks)
    if len(ks) > 2 and ks == list(range(ks[0], ks[-1] + 1)):
        return f"{ks[0]}..{ks[-1]}"
    parts, start = [], 0
    for end in range(1, len(ks) + 1):
        if end == len(ks) or ks[end] != ks[end - 1] + 1:
            run = ks[start:end]
            parts += [f"{run[0]}..{run[-1]}"] if len(run) > 2 else [str(k) for k in run]
            start = end
    if len(parts) > _MAX_SHOWN_KS:
        half = _MAX_SHOWN_KS // 2
        return (f"[{', '.join(parts[:half])}, ..., {', '.join(parts[-half:])}] "
                f"({len(ks)} ks)")
    return f"[{', '.join(parts)}]"


def n_distinct_rows(X):
    """Number of distinct rows of X (1 without sorting when all are equal);
    X an ndarray, a canonical CSR matrix (sorted indices, no duplicates;
    explicit zeros are ignored) or a torch tensor (counted on its device)."""
    if is_torch_tensor(X):
        import torch

        if bool((X == X[0]).all()):
            return 1
        return int(torch.unique(X, dim=0).shape[0])
    if type(X).__module__.startswith("scipy.sparse"):
        X = X.copy()
        X.eliminate_zeros()
        rows = {(X.indices[a:b].tobytes(), X.data[a:b].tobytes())
                for a, b in zip(X.indptr[:-1], X.indptr[1:])}
        return len(rows)
    first = X[0]
    if (X == first).all():
        return 1
    return int(np.unique(X, axis=0).shape[0])


def check_choice(value, name, choices):
    """``value`` if it is one of ``choices``, else a ValueError naming ``name``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def check_subsample(subsample):
    """``subsample`` as a float in (0, 1]."""
    if isinstance(subsample, bool) or not isinstance(subsample, numbers.Real):
        raise TypeError(f"subsample must be a fraction in (0, 1], got {subsample!r}")
    if not 0.0 < subsample <= 1.0:
        raise ValueError(f"subsample must be in (0, 1], got {subsample}")
    return float(subsample)
