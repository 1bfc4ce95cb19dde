"""Tests for the top-level names of kmeanslab: every name of ``__all__``
resolves, and ``import kmeanslab`` stays lazy."""

import subprocess
import sys

import pytest

import kmeanslab
from kmeanslab import metrics, selection


@pytest.mark.parametrize("name", kmeanslab.__all__)
def test_every_public_name_resolves(name):
    assert getattr(kmeanslab, name) is not None
    assert name in dir(kmeanslab)


@pytest.mark.parametrize("name, module", [
    ("choose_k", selection), ("find_knee", selection),
    ("silhouette_score", metrics), ("centroid_index", metrics)])
def test_selection_and_metric_names_at_the_top_level(name, module):
    assert name in kmeanslab.__all__
    assert getattr(kmeanslab, name) is getattr(module, name)


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'choose_kk'"):
        kmeanslab.choose_kk  # noqa: B018


def test_import_is_lazy():
    # A fresh interpreter: this one has long since imported numba.
    code = ("import sys, kmeanslab\n"
            "heavy = ('numba', 'sklearn', 'pandas', 'matplotlib', 'torch', 'triton')\n"
            "def loaded():\n"
            "    return sorted(m for m in heavy if m in sys.modules)\n"
            "print(loaded())\n"
            "kmeanslab.choose_k, kmeanslab.find_knee\n"
            "print(loaded())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, check=True).stdout.splitlines()
    assert out == ["[]", "[]"]
