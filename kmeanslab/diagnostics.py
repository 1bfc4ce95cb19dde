"""Per-point diagnostics of a clustering: how firmly each point belongs.

k-means gives every point one label, and says nothing about the points that
lie almost halfway between two centres. :func:`point_diagnostics` measures
that for every point (distances to the nearest and second-nearest centres,
their margin, a soft membership) and flags the ambiguous ones.
:func:`overlap_experiment` runs the walkthrough's overlap experiment (two
clusters on blobs of growing spread) that
:func:`kmeanslab.plotting.plot_overlap_effect` draws, and
:func:`overlap_table` puts a number on it: the share of ambiguous points
grows as the blobs spread into each other. :func:`principal_plane` is the
two-dimensional view of many-featured data that figures and reports draw.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from ._validation import check_int, check_sparse_X, check_X
from .backends import is_sparse

__all__ = [
    "OverlapRun",
    "PrincipalPlane",
    "ambiguous_share",
    "cluster_sizes",
    "overlap_experiment",
    "overlap_table",
    "point_diagnostics",
    "principal_plane",
    "soft_membership",
]

# Rows per block of the (rows x n_clusters) distance matrix: keeps that
# block under 64 MiB for k <= 128 while leaving each kernel call enough rows
# to spread over the threads.
_CHUNK_ROWS = 1 << 16

_TEMPERATURE_DOC = """temperature : float, default=None
        Scale of the soft membership: point i's membership of cluster j is
        ``exp(-d_ij**2 / T) / sum_l exp(-d_il**2 / T)`` with squared
        Euclidean distances ``d_ij**2``. None uses the mean within-cluster
        squared distance (``inertia / n_samples``, each point to its nearest
        centre), so the scale follows the data's units and spread: a point
        whose squared distance to centre a is smaller than to centre b by
        that mean has e times the membership of a as of b. 0 gives hard
        (one-hot) memberships."""

_AMBIGUITY_DOC = """ambiguity : float, default=0.1
        A point is ambiguous when its relative margin ``(d2 - d1) / d2`` is
        below this: its second-nearest centre is less than ``ambiguity``
        (as a fraction) farther than its nearest. Must be in [0, 1]."""


def _shared_doc(func):
    if func.__doc__:  # None under python -OO
        func.__doc__ = (func.__doc__.replace("%(temperature)s", _TEMPERATURE_DOC)
                        .replace("%(ambiguity)s", _AMBIGUITY_DOC))
    return func


def _check_X_centers(X, centers):
    """X (an ndarray, or canonical CSR when sparse) and centers, checked."""
    X = check_sparse_X(X) if is_sparse(X) else np.ascontiguousarray(check_X(X))
    centers = check_X(centers, name="centers", dtype=X.dtype)
    if centers.shape[1] != X.shape[1]:
        raise ValueError(f"centers must have {X.shape[1]} features like X, got "
                         f"shape {centers.shape}")
    return X, np.ascontiguousarray(centers)


def _check_temperature(temperature):
    if temperature is None:
        return None
    if isinstance(temperature, bool) or not isinstance(temperature, numbers.Real):
        raise TypeError(f"temperature must be a number >= 0 or None, got {temperature!r}")
    if not np.isfinite(temperature) or temperature < 0:
        raise ValueError(f"temperature must be a finite number >= 0, got {temperature}")
    return float(temperature)


def _check_ambiguity(ambiguity):
    if isinstance(ambiguity, bool) or not isinstance(ambiguity, numbers.Real):
        raise TypeError(f"ambiguity must be a number in [0, 1], got {ambiguity!r}")
    if not 0.0 <= ambiguity <= 1.0:
        raise ValueError(f"ambiguity must be in [0, 1], got {ambiguity}")
    return float(ambiguity)


def _sq_dist_blocks(X, centers):
    """Yield (start, stop, sq_dists) over blocks of rows; sq_dists is the
    float64 (stop - start, n_clusters) matrix of squared distances."""
    from ._kernels.common import block_starts, sq_dists_to_centers_dense

    for start in range(0, X.shape[0], _CHUNK_ROWS):
        rows = X[start:start + _CHUNK_ROWS]
        if is_sparse(rows):
            # The sparse backend's distances (measured in float64).
            from .backends._sparse import SparseBackend

            out = SparseBackend(rows, np.ones(rows.shape[0], dtype=X.dtype)
                                ).sq_dists_to_centers(centers)
            yield start, start + rows.shape[0], out.astype(np.float64, copy=False)
            continue
        out = np.empty((rows.shape[0], centers.shape[0]), dtype=X.dtype)
        # The engine's exact kernel (coordinate differences, no BLAS
        # expansion), so labels agree with the fit's final assignment.
        sq_dists_to_centers_dense(rows, centers, block_starts(rows.shape[0]), out)
        yield start, start + rows.shape[0], out.astype(np.float64, copy=False)


def _temperature(X, centers, temperature):
    if temperature is not None:
        return temperature
    total = 0.0
    for _, _, sq_dists in _sq_dist_blocks(X, centers):
        total += float(sq_dists.min(axis=1).sum())
    return total / X.shape[0]


def _softmax(sq_dists, temperature):
    """Row-wise softmax of -sq_dists / temperature (one-hot when it is 0)."""
    nearest = sq_dists.min(axis=1, keepdims=True)
    if temperature == 0.0:
        weights = (sq_dists == nearest).astype(np.float64)
    else:
        # Shifting by the nearest distance keeps exp() from underflowing to
        # 0 / 0 for points far from every centre.
        weights = np.exp(-(sq_dists - nearest) / temperature)
    return weights / weights.sum(axis=1, keepdims=True)


@_shared_doc
def soft_membership(X, centers, temperature=None):
    """Soft (probabilistic) membership of every point in every cluster.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    centers : array-like of shape (n_clusters, n_features)
    %(temperature)s

    Returns
    -------
    ndarray of shape (n_samples, n_clusters), float64
        Rows sum to 1. With the default temperature it equals the
        responsibilities of a Gaussian mixture with these centres, equal
        weights and a shared spherical variance of half the temperature.

    Raises
    ------
    ValueError
        If X or centers is malformed or non-finite, their feature counts
        differ, or ``temperature`` is negative.

    See Also
    --------
    point_diagnostics : the largest membership of each point, with margins.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeanslab.diagnostics import soft_membership
    >>> X = np.array([[0.0], [1.0], [2.0]])
    >>> soft_membership(X, [[0.0], [2.0]], temperature=1.0).round(3)
    array([[0.982, 0.018],
           [0.5  , 0.5  ],
           [0.018, 0.982]])
    """
    X, centers = _check_X_centers(X, centers)
    temperature = _temperature(X, centers, _check_temperature(temperature))
    membership = np.empty((X.shape[0], centers.shape[0]), dtype=np.float64)
    for start, stop, sq_dists in _sq_dist_blocks(X, centers):
        membership[start:stop] = _softmax(sq_dists, temperature)
    return membership


@_shared_doc
def point_diagnostics(X, centers, *, ambiguity=0.1, temperature=None):
    """How firmly each point belongs to its nearest centre.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    centers : array-like of shape (n_clusters, n_features)
        Cluster centres, for example ``KMeans.cluster_centers_``.
    %(ambiguity)s
    %(temperature)s

    Returns
    -------
    pandas.DataFrame
        One row per point, in the order of X, with columns:

        - ``label``: index of the nearest centre (the first on ties);
        - ``distance``: Euclidean distance d1 to it;
        - ``second_distance``: distance d2 to the second-nearest centre
          (inf when there is one centre);
        - ``margin``: d2 - d1, how much farther the runner-up is;
        - ``relative_margin``: (d2 - d1) / d2, in [0, 1]: 0 halfway between
          two centres, 1 on a centre (1 with one centre, 0 when d2 = 0);
        - ``membership``: the largest soft membership (see
          :func:`soft_membership`), in [1 / n_clusters, 1];
        - ``ambiguous``: relative_margin < ambiguity.

    Raises
    ------
    ValueError
        If X or centers is malformed or non-finite, their feature counts
        differ, or ``ambiguity`` or ``temperature`` is out of range.

    See Also
    --------
    ambiguous_share : the share of ambiguous points.
    soft_membership : the full membership matrix.

    Notes
    -----
    Time O(n_samples * n_clusters * n_features) (two passes when the
    temperature is the default); memory O(n_samples) plus one block of at
    most 65,536 x n_clusters distances. Distances are computed in X's
    precision (float32 stays float32) and returned as float64.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeanslab.diagnostics import point_diagnostics
    >>> X = np.array([[0.0, 0.0], [0.95, 0.0], [2.0, 0.0]])
    >>> diag = point_diagnostics(X, [[0.0, 0.0], [2.0, 0.0]])
    >>> diag[["label", "distance", "second_distance", "ambiguous"]]
       label  distance  second_distance  ambiguous
    0      0      0.00             2.00      False
    1      0      0.95             1.05       True
    2      1      0.00             2.00      False
    """
    import pandas as pd

    X, centers = _check_X_centers(X, centers)
    ambiguity = _check_ambiguity(ambiguity)
    temperature = _temperature(X, centers, _check_temperature(temperature))
    n_samples, n_clusters = X.shape[0], centers.shape[0]
    labels = np.empty(n_samples, dtype=np.intp)
    first = np.empty(n_samples, dtype=np.float64)
    second = np.full(n_samples, np.inf)
    membership = np.empty(n_samples, dtype=np.float64)
    for start, stop, sq_dists in _sq_dist_blocks(X, centers):
        labels[start:stop] = sq_dists.argmin(axis=1)
        if n_clusters > 1:
            two = np.partition(sq_dists, 1, axis=1)[:, :2]
            first[start:stop], second[start:stop] = two[:, 0], two[:, 1]
        else:
            first[start:stop] = sq_dists[:, 0]
        membership[start:stop] = _softmax(sq_dists, temperature).max(axis=1)
    distance, second_distance = np.sqrt(first), np.sqrt(second)
    margin = second_distance - distance
    with np.errstate(invalid="ignore", divide="ignore"):
        relative_margin = np.where(
            np.isinf(second_distance), 1.0,
            np.where(second_distance > 0, margin / second_distance, 0.0))
    return pd.DataFrame({
        "label": labels,
        "distance": distance,
        "second_distance": second_distance,
        "margin": margin,
        "relative_margin": relative_margin,
        "membership": membership,
        "ambiguous": relative_margin < ambiguity,
    })


@_shared_doc
def ambiguous_share(X, centers, ambiguity=0.1):
    """Share of points whose two nearest centres are almost equally near.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    centers : array-like of shape (n_clusters, n_features)
    %(ambiguity)s

    Returns
    -------
    float
        The mean of ``point_diagnostics(X, centers, ambiguity=...)["ambiguous"]``,
        in [0, 1].

    Examples
    --------
    >>> from kmeanslab.diagnostics import ambiguous_share
    >>> ambiguous_share([[0.0], [0.95], [2.0], [5.0]], [[0.0], [2.0]])
    0.25
    """
    diagnostics = point_diagnostics(X, centers, ambiguity=ambiguity, temperature=0.0)
    return float(diagnostics["ambiguous"].mean())


def cluster_sizes(labels, n_clusters):
    """Number of points in each cluster, empty clusters included.

    Parameters
    ----------
    labels : array-like of shape (n_samples,)
        Cluster indices in [0, n_clusters).
    n_clusters : int

    Returns
    -------
    ndarray of shape (n_clusters,), int64

    Raises
    ------
    ValueError
        If labels is not 1-D integers in [0, n_clusters).

    Examples
    --------
    >>> from kmeanslab.diagnostics import cluster_sizes
    >>> cluster_sizes([0, 2, 2, 0, 2], 4).tolist()
    [2, 0, 3, 0]
    """
    n_clusters = check_int(n_clusters, "n_clusters")
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {labels.shape}")
    if labels.size and labels.dtype.kind not in "iu":
        if labels.dtype.kind != "f" or not np.array_equal(labels, np.round(labels)):
            raise ValueError(f"labels must be integers, got dtype {labels.dtype}")
    labels = labels.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= n_clusters):
        raise ValueError(f"labels must be in [0, {n_clusters}), got values from "
                         f"{labels.min()} to {labels.max()}")
    return np.bincount(labels, minlength=n_clusters).astype(np.int64)


@dataclass(frozen=True, eq=False)
class OverlapRun:
    """One panel of the overlap experiment: blobs of one spread, two clusters.

    Attributes
    ----------
    cluster_std : float
        Standard deviation of the three blobs.
    X : ndarray of shape (1000, 2)
        ``make_blobs(n_samples=1000, random_state=random_state,
        cluster_std=cluster_std)``.
    labels : ndarray of shape (1000,)
        ``labels_`` of ``KMeans(n_clusters=2, random_state=random_state)``
        fitted on X.
    centers : ndarray of shape (2, 2)
        Its ``cluster_centers_``.
    inertia : float
        Its ``inertia_``.
    """

    cluster_std: float
    X: np.ndarray
    labels: np.ndarray
    centers: np.ndarray
    inertia: float


def overlap_experiment(stds=(1.0, 2.0, 3.0, 4.5), random_state=117117):
    """The walkthrough's overlap experiment: two clusters on three blobs.

    For each ``std``, ``make_blobs(n_samples=1000, random_state=random_state,
    cluster_std=std)`` (three 2-D blobs) is clustered with
    ``KMeans(n_clusters=2, random_state=random_state)``. As the blobs
    spread, the two clusters cut through them in less obvious places.

    Parameters
    ----------
    stds : sequence of float, default=(1.0, 2.0, 3.0, 4.5)
        Blob standard deviations, one run each.
    random_state : int, default=117117
        Seed for both the data and the clustering.

    Returns
    -------
    tuple of OverlapRun
        One per ``std``, in order.

    Raises
    ------
    ValueError
        If ``stds`` is empty or holds a value that is not positive.

    See Also
    --------
    overlap_table : the share of ambiguous points of each run.
    kmeanslab.plotting.plot_overlap_effect : one panel per run.

    Examples
    --------
    >>> from kmeanslab.diagnostics import overlap_experiment
    >>> runs = overlap_experiment(stds=(1.0, 4.5))
    >>> [(run.cluster_std, run.X.shape, len(run.centers)) for run in runs]
    [(1.0, (1000, 2), 2), (4.5, (1000, 2), 2)]
    """
    from sklearn.datasets import make_blobs

    from .estimator import KMeans

    stds = tuple(stds)
    if not stds or any(isinstance(s, bool) or not isinstance(s, numbers.Real)
                       or not s > 0 for s in stds):
        raise ValueError(f"stds must be a non-empty sequence of positive numbers, "
                         f"got {stds!r}")
    runs = []
    for std in stds:
        X, _ = make_blobs(n_samples=1000, random_state=random_state,
                          cluster_std=std)
        model = KMeans(n_clusters=2, random_state=random_state).fit(X)
        runs.append(OverlapRun(cluster_std=float(std), X=X, labels=model.labels_,
                               centers=model.cluster_centers_,
                               inertia=float(model.inertia_)))
    return tuple(runs)


@_shared_doc
def overlap_table(stds=(1, 2, 3, 4.5), random_state=117117, *, ambiguity=0.1):
    """The walkthrough's overlap experiment as numbers.

    Each run of :func:`overlap_experiment` (the clusterings that
    :func:`kmeanslab.plotting.plot_overlap_effect` draws) becomes one row
    saying how many of the points are ambiguous between the two centres.

    Parameters
    ----------
    stds : sequence of float, default=(1, 2, 3, 4.5)
        Blob standard deviations, one row each.
    random_state : int, default=117117
        Seed for both the data and the clustering.
    %(ambiguity)s

    Returns
    -------
    pandas.DataFrame
        Columns ``cluster_std``, ``ambiguous_share`` (see
        :func:`ambiguous_share`), ``mean_membership`` (mean largest soft
        membership) and ``inertia``.

    Raises
    ------
    ValueError
        If ``stds`` is empty or holds a value that is not positive.

    Examples
    --------
    >>> from kmeanslab.diagnostics import overlap_table
    >>> table = overlap_table()
    >>> table["ambiguous_share"].is_monotonic_increasing
    True
    """
    import pandas as pd

    ambiguity = _check_ambiguity(ambiguity)
    rows = []
    for run in overlap_experiment(stds, random_state):
        diagnostics = point_diagnostics(run.X, run.centers, ambiguity=ambiguity)
        rows.append({
            "cluster_std": run.cluster_std,
            "ambiguous_share": float(diagnostics["ambiguous"].mean()),
            "mean_membership": float(diagnostics["membership"].mean()),
            "inertia": run.inertia,
        })
    return pd.DataFrame(rows)


@dataclass(frozen=True, eq=False)
class PrincipalPlane:
    """The plane of the first two principal components of a data set.

    Attributes
    ----------
    mean : ndarray of shape (n_features,)
        The data's mean, the plane's origin.
    components : ndarray of shape (2, n_features)
        Unit directions of the first and second principal component.
    explained_variance_ratio : ndarray of shape (2,)
        Share of the data's variance along each component.
    """

    mean: np.ndarray
    components: np.ndarray
    explained_variance_ratio: np.ndarray

    def transform(self, X):
        """Coordinates of ``X`` in the plane: ``(X - mean) @ components.T``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, 2)
        """
        if is_sparse(X):
            # Centred implicitly: X stays sparse.
            return (np.asarray(X.astype(np.float64) @ self.components.T)
                    - self.mean @ self.components.T)
        return (np.asarray(X, dtype=np.float64) - self.mean) @ self.components.T


def principal_plane(X, random_state=0):
    """The first two principal components of X, for a 2-D view of it.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        At least two samples and two features. Sparse X is centred
        implicitly (scikit-learn's PCA with the "arpack" solver).
    random_state : int or None, default=0
        Seed of scikit-learn's PCA (used by its randomized solver on large
        data), so the same data always gives the same view.

    Returns
    -------
    PrincipalPlane

    Raises
    ------
    ValueError
        If X has fewer than two samples or features.

    Notes
    -----
    ``sklearn.decomposition.PCA(n_components=2)``; the report's replay draws
    its samples and centres in this plane when X has more than two features.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeanslab.diagnostics import principal_plane
    >>> X = np.array([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.0, 1.0, 0.0],
    ...               [2.0, 1.0, 0.0]])
    >>> plane = principal_plane(X)
    >>> np.abs(plane.components).round(6).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    >>> plane.explained_variance_ratio.round(2).tolist()
    [0.8, 0.2]
    """
    from sklearn.decomposition import PCA

    if not is_sparse(X):
        X = np.asarray(X)
    if X.ndim != 2 or min(X.shape) < 2:
        raise ValueError(f"X must have at least two samples and two features, "
                         f"got shape {X.shape}")
    pca = PCA(n_components=2, random_state=random_state).fit(X)
    return PrincipalPlane(mean=pca.mean_, components=pca.components_,
                          explained_variance_ratio=pca.explained_variance_ratio_)
