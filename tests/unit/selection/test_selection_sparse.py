"""choose_k and stability on sparse X: the same table as on the same rows
dense, without the gap statistic."""

import numpy as np
import pytest
import scipy.sparse as sp

from kmeanslab._options import CRITERIA
from kmeanslab.selection import choose_k, stability
from kmeanslab.selection._common import n_distinct_rows


def _data(seed):
    rng = np.random.RandomState(seed)
    centers = rng.uniform(1.0, 5.0, size=(3, 20)) * (rng.uniform(size=(3, 20)) < 0.4)
    y = rng.randint(3, size=300)
    dense = (centers[y] + rng.normal(scale=0.3, size=(300, 20))) * (centers[y] > 0)
    return sp.csr_matrix(dense), dense


def test_choose_k_sparse_equals_dense_without_gap(random_seed):
    X, dense = _data(random_seed)
    kwargs = dict(random_state=random_seed, progress=False, n_runs=2, copy_x=False)
    on_sparse = choose_k(X, range(2, 6), **kwargs)
    assert on_sparse.criteria == tuple(c for c in CRITERIA if c != "gap")
    on_dense = choose_k(dense, range(2, 6), criteria=on_sparse.criteria, **kwargs)
    assert on_sparse.picks == on_dense.picks
    assert on_sparse.recommended_k == on_dense.recommended_k
    a, b = on_sparse.to_pandas(), on_dense.to_pandas()
    for column in ("inertia", "silhouette", "calinski_harabasz", "davies_bouldin",
                   "stability"):
        np.testing.assert_allclose(a[column], b[column], rtol=1e-8)


def test_gap_is_refused_on_sparse_x():
    X, _ = _data(0)
    with pytest.raises(ValueError, match="'gap' needs dense reference data"):
        choose_k(X, range(2, 4), criteria=("elbow", "gap"), progress=False)


def test_stability_on_sparse_x():
    X, dense = _data(1)
    assert stability(X, 3, random_state=0).mean == pytest.approx(
        stability(dense, 3, random_state=0, copy_x=False).mean)


def test_distinct_rows_of_sparse_x():
    dense = np.array([[0.0, 1.0], [0.0, 1.0], [2.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    X = sp.csr_matrix(dense)
    X.data[X.data == 2.0] = 2.0
    explicit_zero = sp.csr_matrix((np.array([0.0]), np.array([1]), np.array([0, 0, 1])),
                                  shape=(2, 2))
    assert n_distinct_rows(X) == n_distinct_rows(dense) == 3
    assert n_distinct_rows(explicit_zero) == 1
