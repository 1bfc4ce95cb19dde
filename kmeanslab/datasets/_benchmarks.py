"""Loaders for the clustering benchmark sets used by tests and benchmarks.

* SIPU "clustering basic benchmark" (Fränti & Sieranoja 2018): a1, a2, a3,
  s1..s4, unbalance, birch1, birch2, dim032, with ground-truth centroids.
* The high-dimensional sets of breathing k-means (Fritzke): Norm25-new,
  Cloud, Spam, Intrusion (zipped CSV).

The full files live in a data folder (``$KMEANSLAB_DATA``, else
``../shared/data`` from the working directory or the repository). A1 and S2
ship with the package (``kmeanslab/datasets/data/``, read through
:mod:`importlib.resources`) so tests run without that folder.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

__all__ = ["BKM_SETS", "SIPU_SETS", "BenchmarkSet", "data_dir", "load_bkm",
           "load_sipu"]

SIPU_SETS = ("a1", "a2", "a3", "s1", "s2", "s3", "s4", "unbalance", "dim032",
             "birch1", "birch2")
BKM_SETS = ("Norm25-new", "Cloud", "Spam", "Intrusion")
# The folder beside the repository checkout (this file is
# <repository>/kmeanslab/datasets/_benchmarks.py) where shared data may live.
_BESIDE_REPOSITORY = Path(__file__).resolve().parents[3] / "shared" / "data"


@dataclass(frozen=True)
class BenchmarkSet:
    """A benchmark data set.

    Attributes
    ----------
    name : str
    X : ndarray of shape (n_samples, n_features), float64
    centers : ndarray of shape (n_clusters, n_features) or None
        Ground-truth centroids (SIPU sets only).
    n_clusters : int or None
        Number of ground-truth clusters (SIPU sets only).
    """

    name: str
    X: np.ndarray
    centers: np.ndarray | None
    n_clusters: int | None


def data_dir(path=None):
    """The folder holding ``sipu/`` and ``bkm/``.

    Parameters
    ----------
    path : str or Path, default=None
        Tried first; then ``$KMEANSLAB_DATA``, ``../shared/data`` from the
        working directory and ``shared/data`` beside the repository.

    Returns
    -------
    pathlib.Path or None
        The first candidate that has a ``sipu/`` folder, or None.
    """
    candidates = [path, os.environ.get("KMEANSLAB_DATA"), "../shared/data",
                  _BESIDE_REPOSITORY]
    for c in candidates:
        if c and (Path(c) / "sipu").is_dir():
            return Path(c)
    return None


def load_sipu(name, *, path=None):
    """Load a SIPU set with its ground-truth centroids.

    Parameters
    ----------
    name : str
        One of SIPU_SETS.
    path : str or Path, default=None
        Folder containing ``sipu/``; searched for when None. A1 and S2 fall
        back to the copies shipped with kmeanslab.

    Returns
    -------
    BenchmarkSet

    Raises
    ------
    ValueError
        If ``name`` is not one of SIPU_SETS.
    FileNotFoundError
        If no data folder holds it and no copy ships with kmeanslab.

    Examples
    --------
    >>> from kmeanslab.datasets import load_sipu
    >>> a1 = load_sipu("a1")
    >>> a1.X.shape, a1.n_clusters
    ((3000, 2), 20)
    """
    if name not in SIPU_SETS:
        raise ValueError(f"name must be one of {SIPU_SETS}, got {name!r}")
    root = data_dir(path)
    packaged = resources.files(__package__) / "data"
    if root is not None and (root / "sipu" / f"{name}.txt").exists():
        X = np.loadtxt(root / "sipu" / f"{name}.txt")
        centers = np.loadtxt(root / "sipu" / f"{name}-gt.txt")
    elif (packaged / f"{name}.txt.gz").is_file():
        # as_file: a real path even from a zipped install; np.loadtxt picks
        # gzip from the ".gz" suffix.
        with resources.as_file(packaged / f"{name}.txt.gz") as points:
            X = np.loadtxt(points)
        with resources.as_file(packaged / f"{name}-gt.txt") as truth:
            centers = np.loadtxt(truth)
    else:
        raise FileNotFoundError(
            f"SIPU set {name!r} not found: set KMEANSLAB_DATA to the folder "
            f"holding sipu/ (searched {path or '../shared/data'})")
    return BenchmarkSet(name, X.astype(np.float64), centers.astype(np.float64),
                        len(centers))


def load_bkm(name, *, path=None):
    """Load one of the breathing k-means high-dimensional sets.

    Parameters
    ----------
    name : str
        One of BKM_SETS.
    path : str or Path, default=None
        Folder containing ``bkm/``; searched for as in :func:`data_dir` when
        None.

    Returns
    -------
    BenchmarkSet
        With ``centers`` and ``n_clusters`` None (these sets have no ground
        truth).

    Raises
    ------
    ValueError
        If ``name`` is not one of BKM_SETS.
    FileNotFoundError
        If no data folder holds ``bkm/<name>.zip``.
    """
    if name not in BKM_SETS:
        raise ValueError(f"name must be one of {BKM_SETS}, got {name!r}")
    root = data_dir(path)
    zpath = root / "bkm" / f"{name}.zip" if root is not None else None
    if zpath is None or not zpath.exists():
        raise FileNotFoundError(
            f"{name}.zip not found: set KMEANSLAB_DATA to the folder holding bkm/")
    with zipfile.ZipFile(zpath) as zf, zf.open(f"{name}.csv") as fh:
        X = np.loadtxt(fh, delimiter=",")
    return BenchmarkSet(name, X.astype(np.float64), None, None)
