"""Point diagnostics and the principal plane of sparse X: the same values as
for the same rows dense."""

import numpy as np
import pytest
import scipy.sparse as sp

from kmeanslab import diagnostics


@pytest.fixture
def data(random_seed):
    rng = np.random.RandomState(random_seed)
    dense = rng.uniform(size=(300, 12)) * (rng.uniform(size=(300, 12)) < 0.3)
    centers = dense[rng.choice(300, 3, replace=False)]
    return sp.csr_matrix(dense), dense, centers


def test_point_diagnostics_and_membership(data):
    """Sparse distances are expanded (||x||^2 - 2 x.c + ||c||^2, as
    scikit-learn's transform does): a point on a centre is at about
    sqrt(eps) rather than 0, hence atol 1e-7 on distances."""
    X, dense, centers = data
    on_sparse = diagnostics.point_diagnostics(X, centers)
    on_dense = diagnostics.point_diagnostics(dense, centers)
    np.testing.assert_array_equal(on_sparse["label"], on_dense["label"])
    for column in on_dense.select_dtypes("number").columns:
        np.testing.assert_allclose(on_sparse[column], on_dense[column],
                                   rtol=1e-9, atol=1e-7)
    np.testing.assert_allclose(diagnostics.soft_membership(X, centers),
                               diagnostics.soft_membership(dense, centers), rtol=1e-9)
    assert diagnostics.ambiguous_share(X, centers) == diagnostics.ambiguous_share(
        dense, centers)


def test_principal_plane_of_sparse_x(data):
    X, dense, _ = data
    plane = diagnostics.principal_plane(X)
    reference = diagnostics.principal_plane(dense)
    np.testing.assert_allclose(plane.mean, reference.mean, rtol=1e-12)
    np.testing.assert_allclose(plane.explained_variance_ratio,
                               reference.explained_variance_ratio, rtol=1e-6)
    # Components are defined up to their sign.
    np.testing.assert_allclose(np.abs(plane.transform(X)),
                               np.abs(reference.transform(dense)), atol=1e-8)
