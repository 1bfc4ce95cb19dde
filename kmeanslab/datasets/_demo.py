"""The walkthrough's data set and its deterministic initial centres.

The walkthrough (``kmeanslab demo``) clusters 1,000 two-dimensional samples
drawn from eight Gaussian blobs and starts k-means from the first points
lying below a horizontal line, so every run shows the same convergence.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_int

__all__ = ["make_demo_data", "choose_initial_centroids"]


def make_demo_data(n_samples=1000, random_state=117117, cluster_std=1.5,
                   n_centers=8):
    """Generate the walkthrough's blobs with ``sklearn.datasets.make_blobs``.

    Parameters
    ----------
    n_samples : int, default=1000
        Total number of samples, split evenly between the blobs.
    random_state : int, RandomState instance or None, default=117117
        Seed for the blob centres and the samples.
    cluster_std : float, default=1.5
        Standard deviation of every blob.
    n_centers : int, default=8
        Number of blobs.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
        The samples.
    y : ndarray of shape (n_samples,)
        The blob each sample was drawn from.

    See Also
    --------
    choose_initial_centroids : the walkthrough's initial centres for this data.

    Examples
    --------
    >>> from kmeanslab.datasets import make_demo_data
    >>> X, y = make_demo_data()
    >>> X.shape, y.shape
    ((1000, 2), (1000,))
    >>> sorted(set(y.tolist())) == list(range(8))
    True
    """
    from sklearn.datasets import make_blobs

    return make_blobs(n_samples=n_samples, random_state=random_state,
                      cluster_std=cluster_std, centers=n_centers)


def choose_initial_centroids(X, n_clusters, threshold=-8.0):
    """The first ``n_clusters`` samples whose second feature is below a threshold.

    This is the walkthrough's deterministic seeding: with the default data it
    puts all initial centres in the bottom of the plot, far from most blobs,
    so the first iterations move the centres a long way.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data with at least two features; the second one (``X[:, 1]``, "y")
        is compared with ``threshold``.
    n_clusters : int
        Number of centres to pick.
    threshold : float, default=-8.0
        Samples with ``X[:, 1] < threshold`` are candidates, taken in row
        order.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
        A copy of the chosen rows.

    Raises
    ------
    ValueError
        If X is not two-dimensional with at least two features, if
        ``n_clusters`` is not a positive integer, or if fewer than
        ``n_clusters`` samples lie below ``threshold`` (the message gives
        both counts).
    TypeError
        If ``n_clusters`` is not an integer.

    See Also
    --------
    make_demo_data : the data this rule was written for.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeanslab.datasets import choose_initial_centroids
    >>> X = np.array([[0.0, -9.0], [1.0, 5.0], [2.0, -10.0], [3.0, -8.5]])
    >>> choose_initial_centroids(X, 2).tolist()
    [[0.0, -9.0], [2.0, -10.0]]
    >>> choose_initial_centroids(X, 4)
    Traceback (most recent call last):
    ...
    ValueError: only 3 points have y < -8.0 (X[:, 1] < threshold), but n_clusters=4 are needed; raise threshold or lower n_clusters
    """
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] < 2:
        raise ValueError(
            f"X must have shape (n_samples, n_features) with n_features >= 2, "
            f"got shape {X.shape}")
    n_clusters = check_int(n_clusters, "n_clusters")
    candidates = X[X[:, 1] < threshold]
    if len(candidates) < n_clusters:
        raise ValueError(
            f"only {len(candidates)} points have y < {threshold} "
            f"(X[:, 1] < threshold), but n_clusters={n_clusters} are needed; "
            f"raise threshold or lower n_clusters")
    return candidates[:n_clusters].copy()
