"""Reading clusters of text: :func:`top_terms`, the heaviest terms of each
cluster centre of a model fitted on a vectoriser's output."""

from __future__ import annotations

import numpy as np

from ._validation import check_int

__all__ = ["top_terms"]


def top_terms(model, vectorizer, n=10):
    """The ``n`` terms of largest weight in every cluster centre.

    Parameters
    ----------
    model : fitted estimator or KMeansResult
        Anything with ``cluster_centers_`` (:class:`kmeanslab.KMeans`,
        :class:`kmeanslab.SphericalKMeans`, scikit-learn's ``KMeans``) or
        ``centers`` (the result of :func:`kmeanslab.kmeans` or
        :func:`kmeanslab.spherical_kmeans`), fitted on the vectoriser's
        output.
    vectorizer : fitted vectoriser
        With ``get_feature_names_out()`` (``TfidfVectorizer``,
        ``CountVectorizer``, ...), one name per column the model saw.
    n : int, default=10
        Terms per cluster (fewer when the vocabulary is smaller).

    Returns
    -------
    list of list of str
        For each cluster, its terms from the heaviest down (ties in
        vocabulary order).

    Raises
    ------
    ValueError
        When the vocabulary and the centres have different numbers of
        features, or ``n`` is not a positive integer.

    Examples
    --------
    >>> from sklearn.feature_extraction.text import TfidfVectorizer
    >>> from kmeanslab import SphericalKMeans
    >>> from kmeanslab.text import top_terms
    >>> docs = ["red apple pie", "green apple tart", "apple pie recipe",
    ...         "fast red car", "old green car", "car engine repair"]
    >>> vectorizer = TfidfVectorizer()
    >>> X = vectorizer.fit_transform(docs)
    >>> import numpy as np
    >>> km = SphericalKMeans(2, init=X[[0, 3]].toarray(), n_init=1).fit(X)
    >>> [terms[0] for terms in top_terms(km, vectorizer, n=3)]
    ['apple', 'car']
    """
    n = check_int(n, "n")
    centers = getattr(model, "cluster_centers_", None)
    if centers is None:
        centers = getattr(model, "centers", None)
    if centers is None:
        raise TypeError("model must be fitted (cluster_centers_) or a "
                        "KMeansResult (centers)")
    centers = np.asarray(centers, dtype=np.float64)
    names = np.asarray(vectorizer.get_feature_names_out())
    if names.shape[0] != centers.shape[1]:
        raise ValueError(f"the vectorizer has {names.shape[0]} terms but the model's "
                         f"centres have {centers.shape[1]} features")
    n = min(n, names.shape[0])
    # Stable sort of the negated weights: ties keep vocabulary order.
    order = np.argsort(-centers, axis=1, kind="stable")[:, :n]
    return [names[row].tolist() for row in order]
