"""Shared test configuration."""

import os
import sys

import pytest

# Plot tests draw off-screen: set before anything imports matplotlib (a
# developer's MPLBACKEND would otherwise open windows).
os.environ["MPLBACKEND"] = "Agg"


@pytest.fixture(autouse=True)
def _close_figures():
    """Close pyplot figures a test left open."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
