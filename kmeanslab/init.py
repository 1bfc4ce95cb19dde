"""Seeding: choose initial centres, on any backend.

Each scheme is written once against the backend protocol
(:class:`kmeanslab.backends.Backend`): "k-means++" (:func:`plusplus_init`,
needs ``candidate_sq_dists``), "random" (:func:`random_init`, the backend's
``weighted_sample``) and "k-means||" (:func:`parallel_init`: the backend's
candidate rounds, reduced to ``n_clusters`` centres here; on a backend that
``seeds_from_sample``, data large next to ``n_clusters`` is seeded from a
weighted sample instead, :func:`sample_init`).
:func:`init_centers` turns any ``init`` into centres in the working space.

On the in-memory backend the random streams follow scikit-learn's: with the
same ``random_state`` and data, ``kmeans_plusplus`` and ``random_init``
pick the same samples as ``sklearn.cluster.kmeans_plusplus`` and KMeans'
"random" init (up to ties decided by rounding).
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

from ._engine import run_single
from ._validation import (check_init_shape, check_n_clusters,
                          check_sample_weight, check_X)
from .backends import get_backend, is_sparse

# Seeding from a weighted sample (:func:`sample_init`). faiss trains on at
# most 256 rows per centre; on 2M x 2 blobs with 8 centres
# (benchmarks/bench_dask.py), 256 rows per centre clustered with restarts
# reached the full data's best optimum in 8 seeds out of 8 and left 3 to 6
# Lloyd passes over all rows, where k-means|| over all rows costs 7 passes
# (each row against every candidate once) before 10 to 40 Lloyd passes.
SAMPLE_ROWS_PER_CENTER = 256
# ...used only when the data has at least this many times as many samples
# of positive weight as the sample: the sample is then a small part of one
# pass, and the k-means|| rounds it replaces cost several passes.
SAMPLE_MIN_RATIO = 8
# Restarts of the in-memory fit on the sample: as many as fit in this many
# distance evaluations of its k-means++ seedings (about 0.2 s), between 1
# and SAMPLE_MAX_RESTARTS (one bad seeding, 1 in 5 on the blobs above,
# would cost about 10% of inertia).
SAMPLE_SEEDING_BUDGET = 2e8
SAMPLE_MAX_RESTARTS = 10


def kmeans_plusplus(X, n_clusters, *, sample_weight=None, random_state=None,
                    n_local_trials=None):
    """Choose initial centres with greedy k-means++.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    n_clusters : int
    sample_weight : array-like of shape (n_samples,), default=None
        Samples are drawn with probability proportional to weight times
        squared distance.
    random_state : int, RandomState instance or None, default=None
    n_local_trials : int, default=None
        Candidates tried per centre; ``2 + int(log(n_clusters))`` when None.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
    indices : ndarray of shape (n_clusters,)
        Rows of X chosen as centres.

    Notes
    -----
    Arthur & Vassilvitskii (2007), with the greedy local trials of
    scikit-learn: each new centre is the candidate, among ``n_local_trials``
    drawn by D^2 sampling, that most lowers the potential. Costs
    O(n_samples * n_clusters * n_local_trials * n_features).

    Examples
    --------
    >>> import numpy as np
    >>> from kmeanslab import kmeans_plusplus
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [10.0, 10.0], [10.1, 10.0]])
    >>> centers, indices = kmeans_plusplus(X, 2, random_state=0)
    >>> sorted(int(i) // 2 for i in indices)
    [0, 1]
    """
    X = check_X(X)
    n_clusters = check_n_clusters(n_clusters, X.shape[0])
    sw = check_sample_weight(sample_weight, X.shape[0], X.dtype)
    backend = get_backend(np.ascontiguousarray(X), sw)
    return plusplus_init(backend, n_clusters, check_random_state(random_state),
                         n_local_trials)


def plusplus_init(backend, n_clusters, random_state, n_local_trials=None):
    """k-means++ on a backend; returns (centers, indices)."""
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))
    n_samples = backend.n_samples
    sw = np.asarray(backend.sample_weight, dtype=np.float64)
    indices = np.full(n_clusters, -1, dtype=np.int64)
    centers = np.empty((n_clusters, backend.n_features), dtype=backend.dtype)

    first = random_state.choice(n_samples, p=sw / sw.sum())
    indices[0] = first
    centers[0] = backend.take_rows([first])[0]
    inf = np.full(n_samples, np.inf, dtype=backend.dtype)
    closest, pot = backend.candidate_sq_dists(centers[:1], inf)
    closest, current_pot = closest[0], pot[0]

    for c in range(1, n_clusters):
        rand_vals = random_state.uniform(size=n_local_trials) * current_pot
        candidate_ids = backend.draw_by_potential(closest, rand_vals)
        # Potentials first; then the distances of the chosen candidate only
        # (storing all candidates' distances costs more than computing them).
        _, pots = backend.candidate_sq_dists(
            backend.take_rows(candidate_ids), closest, store=False)
        best = int(np.argmin(pots))
        indices[c] = candidate_ids[best]
        centers[c] = backend.take_rows([indices[c]])[0]
        new_closest, new_pot = backend.candidate_sq_dists(centers[c:c + 1], closest)
        closest, current_pot = new_closest[0], new_pot[0]
    return centers, indices


def random_init(backend, n_clusters, random_state):
    """n_clusters distinct samples drawn with probability proportional to
    their weight (the backend's ``weighted_sample``); returns (centers,
    indices)."""
    indices = backend.weighted_sample(n_clusters, random_state)
    return backend.take_rows(indices), indices


def parallel_init(backend, n_clusters, random_state, *, oversampling=2.0,
                  n_rounds=5):
    """k-means|| (Bahmani et al. 2012) on a backend; returns (centers, None).

    The backend runs the candidate rounds (``kmeans_parallel_candidates``):
    one sample drawn in proportion to its weight, then ``n_rounds`` rounds,
    each keeping every sample independently with probability
    ``min(1, l * w * d^2 / phi)`` where ``l = oversampling * n_clusters``,
    ``d`` is the distance to the nearest candidate so far and ``phi`` the
    current weighted potential (about ``l`` new candidates per round). Every
    candidate is weighted by the total sample weight of the samples closest
    to it. Here the candidates are reduced to ``n_clusters`` centres by
    weighted k-means++ followed by weighted Lloyd iterations on the
    candidates alone, in memory. Each round is one pass over the data,
    which is what makes it the seeding for data that does not fit in one
    process.

    On a backend that ``seeds_from_sample`` (the Dask backend), data with at
    least ``SAMPLE_MIN_RATIO`` times as many samples of positive weight as
    ``SAMPLE_ROWS_PER_CENTER * n_clusters`` is seeded by :func:`sample_init`
    instead: one pass instead of ``n_rounds + 2``, and centres that the
    Lloyd iterations over all the data then move little.
    """
    size = SAMPLE_ROWS_PER_CENTER * n_clusters
    if backend.seeds_from_sample and backend.n_positive >= SAMPLE_MIN_RATIO * size:
        return sample_init(backend, n_clusters, random_state)
    candidates, weights, top_up = backend.kmeans_parallel_candidates(
        n_clusters, random_state, oversampling=oversampling, n_rounds=n_rounds)
    keep = weights > 0
    candidates, weights = candidates[keep], weights[keep]
    if len(candidates) <= n_clusters:
        # Too few distinct candidates (tiny or duplicated data): top up with
        # weighted random samples so there are n_clusters centres.
        extra = top_up(n_clusters - len(candidates))
        return np.concatenate([candidates, backend.take_rows(extra)]), None
    small = get_backend(np.ascontiguousarray(candidates, dtype=backend.dtype),
                        weights.astype(backend.dtype))
    seeds, _ = plusplus_init(small, n_clusters, random_state)
    _, centers, _, _ = run_single(small, seeds, algorithm="lloyd", max_iter=30,
                                  tol=0.0)
    return centers, None


def sample_init(backend, n_clusters, random_state):
    """Centres from a weighted sample of the data; returns (centers, None).

    Draws ``SAMPLE_ROWS_PER_CENTER * n_clusters`` distinct samples in
    proportion to their weight (the backend's ``weighted_sample``: one pass
    over the data) and clusters them in memory, each sampled row standing
    for an equal share of the total weight: k-means++ then k-means to
    convergence (tolerance 1e-4 of the sample's mean variance), restarted
    as often as ``SAMPLE_SEEDING_BUDGET`` allows (at most
    ``SAMPLE_MAX_RESTARTS``), keeping the run of lowest inertia on the
    sample. Single-threaded, so that it leaves the cores to a local cluster.

    Notes
    -----
    faiss trains k-means on at most 256 rows per centre in the same way;
    the Lloyd iterations that follow still run on all the data. Costs
    O(restarts * size * n_clusters * (2 + log(n_clusters)) * n_features)
    for the seedings on the client, where ``size`` is the sample size.
    """
    size = SAMPLE_ROWS_PER_CENTER * n_clusters
    rows = backend.take_rows(backend.weighted_sample(size, random_state))
    small = get_backend(np.ascontiguousarray(rows, dtype=backend.dtype),
                        np.ones(size, dtype=backend.dtype))
    trials = 2 + int(np.log(n_clusters))
    restarts = int(np.clip(SAMPLE_SEEDING_BUDGET // (size * n_clusters * trials),
                           1, SAMPLE_MAX_RESTARTS))
    tol = 1e-4 * small.summary().variance_mean
    best = None
    with small.thread_context(1):
        for _ in range(restarts):
            seeds, _ = plusplus_init(small, n_clusters, random_state)
            _, centers, inertia, _ = run_single(small, seeds, algorithm="hamerly",
                                                max_iter=300, tol=tol)
            if best is None or inertia < best[1]:
                best = (centers, inertia)
    return best[0], None


_SCHEMES = {
    "k-means++": plusplus_init,
    "random": random_init,
    "k-means||": parallel_init,
}


def init_centers(backend, init, n_clusters, random_state, *, to_working=None,
                 X_user=None):
    """Initial centres in the backend's working space.

    ``init`` is a scheme name (see ``_SCHEMES``), an array in user space, or
    a callable ``init(X, n_clusters, random_state=...)`` given the user's X.
    ``to_working`` maps user-space centres into the working space.
    """
    if isinstance(init, str):
        try:
            scheme = _SCHEMES[init]
        except KeyError:
            raise ValueError(f"init={init!r} is not available") from None
        centers, _ = scheme(backend, n_clusters, random_state)
        return np.ascontiguousarray(centers, dtype=backend.dtype)
    if callable(init):
        user = init(X_user, n_clusters, random_state=random_state)
        if is_sparse(user):
            user = user.toarray()
        user = check_X(user, name="init (callable result)", dtype=backend.dtype)
        check_init_shape(user.shape, n_clusters, backend.n_features,
                         f"the init callable returned shape {user.shape}, "
                         f"expected ({n_clusters}, {backend.n_features})")
    else:
        user = init
    centers = to_working(user) if to_working is not None else user
    return np.ascontiguousarray(centers, dtype=backend.dtype)
