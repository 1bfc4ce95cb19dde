"""Hypothesis properties of kmeanslab.selection: the picks and the knee do
not depend on the units of the data."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kmeanslab.selection import choose_k, find_knee

# Continuous data drawn from a seed: exact ties (a point equidistant from two
# centres, two ks with equal scores), which rounding after rescaling could
# break either way, then have probability zero.
blob_data = st.builds(
    lambda seed, n_samples, n_centers: _blobs(seed, n_samples, n_centers),
    st.integers(0, 2**32 - 1), st.integers(30, 80), st.integers(2, 5))


def _blobs(seed, n_samples, n_centers):
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-10, 10, size=(n_centers, 2))
    return centers[rng.integers(n_centers, size=n_samples)] + rng.normal(
        size=(n_samples, 2))


@settings(max_examples=20, deadline=None)
@given(X=blob_data, scale=st.floats(1e-3, 1e3))
def test_picks_unchanged_by_positive_scaling(X, scale):
    kwargs = dict(k_range=range(2, 7), criteria=("inertia", "silhouette"),
                  random_state=0, progress=False, n_threads=1)
    picks = choose_k(X, **kwargs).picks
    assert choose_k(scale * X, **kwargs).picks == picks


@settings(max_examples=100, deadline=None)
@given(y=st.lists(st.floats(-100, 100), min_size=3, max_size=15).filter(
           lambda y: max(y) - min(y) >= 1.0),
       scale_x=st.floats(1e-3, 1e3), shift_x=st.floats(-100, 100),
       scale_y=st.floats(1e-3, 1e3), shift_y=st.floats(-100, 100),
       curve=st.sampled_from(["convex", "concave"]),
       direction=st.sampled_from(["increasing", "decreasing"]))
def test_knee_unchanged_by_positive_affine_rescaling(y, scale_x, shift_x, scale_y,
                                                     shift_y, curve, direction):
    # Shifts proportional to the scale keep the rescaled values within a
    # bounded factor of their range, so rounding stays far below the knee's
    # tie tolerance.
    x = np.arange(len(y), dtype=float)
    y = np.array(y)
    knee = find_knee(x, y, curve=curve, direction=direction)
    moved = find_knee(scale_x * (x + shift_x), scale_y * (y + shift_y),
                      curve=curve, direction=direction)
    assert moved.knee_index == knee.knee_index
