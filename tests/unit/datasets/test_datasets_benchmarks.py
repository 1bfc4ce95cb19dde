"""Tests for kmeanslab.datasets._benchmarks: finding the data folder, the
SIPU copies shipped with the package, and the old kmeanslab.benchdata path."""

import gzip
import zipfile

import numpy as np
import pytest

from kmeanslab.datasets import (BKM_SETS, SIPU_SETS, BenchmarkSet, data_dir,
                                load_bkm, load_sipu)
from kmeanslab.datasets import _benchmarks


@pytest.fixture
def no_data_folder(tmp_path, monkeypatch):
    """Hide every data folder, so only the shipped copies are found."""
    monkeypatch.delenv("KMEANSLAB_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(_benchmarks, "_BESIDE_REPOSITORY", tmp_path / "absent")


@pytest.fixture
def data_folder(tmp_path):
    """A data folder with a tiny SIPU set "a2" and a tiny bkm set "Spam"."""
    root = tmp_path / "data"
    (root / "sipu").mkdir(parents=True)
    (root / "bkm").mkdir()
    np.savetxt(root / "sipu" / "a2.txt", [[1, 2], [3, 4], [5, 6]], fmt="%d")
    np.savetxt(root / "sipu" / "a2-gt.txt", [[2, 3], [5, 6]], fmt="%d")
    with zipfile.ZipFile(root / "bkm" / "Spam.zip", "w") as archive:
        archive.writestr("Spam.csv", "1.5,2,3\n4,5,6\n")
    return root


@pytest.mark.parametrize("name, n_samples, n_clusters",
                         [("a1", 3000, 20), ("s2", 5000, 15)])
def test_shipped_sipu_sets_load_without_a_data_folder(no_data_folder, name,
                                                      n_samples, n_clusters):
    assert data_dir() is None
    bench = load_sipu(name)
    assert isinstance(bench, BenchmarkSet) and bench.name == name
    assert bench.X.shape == (n_samples, 2) and bench.X.dtype == np.float64
    assert bench.centers.shape == (n_clusters, 2) and bench.n_clusters == n_clusters


def test_shipped_copy_is_the_original_file(no_data_folder):
    from importlib import resources

    packaged = resources.files("kmeanslab.datasets") / "data" / "a1.txt.gz"
    with packaged.open("rb") as raw, gzip.open(raw, "rt") as text:
        expected = np.loadtxt(text)
    np.testing.assert_array_equal(load_sipu("a1").X, expected)


def test_a_data_folder_is_found_by_path_or_environment(data_folder, no_data_folder,
                                                       monkeypatch):
    assert data_dir(data_folder) == data_folder
    bench = load_sipu("a2", path=data_folder)
    np.testing.assert_array_equal(bench.X, [[1, 2], [3, 4], [5, 6]])
    assert bench.n_clusters == 2
    monkeypatch.setenv("KMEANSLAB_DATA", str(data_folder))
    assert data_dir() == data_folder
    spam = load_bkm("Spam")
    np.testing.assert_array_equal(spam.X, [[1.5, 2, 3], [4, 5, 6]])
    assert spam.centers is None and spam.n_clusters is None


def test_missing_sets_name_the_variable(no_data_folder):
    with pytest.raises(FileNotFoundError, match="KMEANSLAB_DATA"):
        load_sipu("a2")
    with pytest.raises(FileNotFoundError, match="KMEANSLAB_DATA"):
        load_bkm("Cloud")


@pytest.mark.parametrize("loader, names", [(load_sipu, SIPU_SETS),
                                           (load_bkm, BKM_SETS)],
                         ids=["sipu", "bkm"])
def test_unknown_names_are_refused_with_the_known_ones(loader, names):
    with pytest.raises(ValueError, match="name must be one of") as info:
        loader("a0")
    assert str(names) in str(info.value)


def test_old_import_path_is_the_same_module_content():
    from kmeanslab import benchdata

    for name in benchdata.__all__:
        assert getattr(benchdata, name) is getattr(_benchmarks, name)
