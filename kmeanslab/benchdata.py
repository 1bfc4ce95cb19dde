"""Loaders for the clustering benchmark sets used by tests and benchmarks.

* SIPU "clustering basic benchmark" (Fränti & Sieranoja 2018): a1, a2, a3,
  s1..s4, unbalance, birch1, birch2, dim032, with ground-truth centroids.
* The high-dimensional sets of breathing k-means (Fritzke): Norm25-new,
  Cloud, Spam, Intrusion (zipped CSV).

The full files live in a data folder (``$KMEANSLAB_DATA``, else
``../shared/data`` from the working directory or the repository). A1 and S2
ship with the package so tests run without that folder.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SIPU_SETS = ("a1", "a2", "a3", "s1", "s2", "s3", "s4", "unbalance", "dim032",
             "birch1", "birch2")
BKM_SETS = ("Norm25-new", "Cloud", "Spam", "Intrusion")
_PACKAGED = Path(__file__).parent / "data"


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
    """The folder holding ``sipu/`` and ``bkm/``, or None if none is found."""
    candidates = [path, os.environ.get("KMEANSLAB_DATA"), "../shared/data",
                  Path(__file__).resolve().parents[2] / "shared" / "data"]
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

    Examples
    --------
    >>> from kmeanslab.benchdata import load_sipu
    >>> a1 = load_sipu("a1")
    >>> a1.X.shape, a1.n_clusters
    ((3000, 2), 20)
    """
    if name not in SIPU_SETS:
        raise ValueError(f"name must be one of {SIPU_SETS}, got {name!r}")
    root = data_dir(path)
    if root is not None and (root / "sipu" / f"{name}.txt").exists():
        X = np.loadtxt(root / "sipu" / f"{name}.txt")
        centers = np.loadtxt(root / "sipu" / f"{name}-gt.txt")
    elif (_PACKAGED / f"{name}.txt.gz").exists():
        X = np.loadtxt(_PACKAGED / f"{name}.txt.gz")
        centers = np.loadtxt(_PACKAGED / f"{name}-gt.txt")
    else:
        raise FileNotFoundError(
            f"SIPU set {name!r} not found: set KMEANSLAB_DATA to the folder "
            f"holding sipu/ (searched {path or '../shared/data'})")
    return BenchmarkSet(name, X.astype(np.float64), centers.astype(np.float64),
                        len(centers))


def load_bkm(name, *, path=None):
    """Load one of the breathing k-means high-dimensional sets (no ground
    truth); ``name`` is one of BKM_SETS."""
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
