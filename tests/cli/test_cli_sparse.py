"""The command line on a sparse matrix written by ``scipy.sparse.save_npz``."""

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.datasets import make_blobs


def _npz(tmp_path):
    X, _ = make_blobs(n_samples=150, centers=3, n_features=6, random_state=0)
    X[X < 0] = 0.0
    path = tmp_path / "data.npz"
    sp.save_npz(path, sp.csr_matrix(X))
    return path, X


def test_fit_reads_npz_and_clusters_it_sparse(tmp_path, invoke):
    path, X = _npz(tmp_path)
    out = tmp_path / "out"
    result = invoke("fit", path, "--k", 3, "--random-state", 0, "--out", out,
                    "--quiet")
    assert result.exit_code == 0, result.output
    labels = pd.read_csv(out / "labels.csv")
    assert len(labels) == len(X)
    centers = pd.read_csv(out / "centers.csv")
    assert len(centers) == 3


def test_choose_k_on_npz(tmp_path, invoke):
    path, _ = _npz(tmp_path)
    result = invoke("choose-k", path, "--k", "2..4", "--random-state", 0,
                    "--out", tmp_path / "ck", "--quiet")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "ck" / "k_selection.csv")
    assert "gap" not in table.columns and list(table["k"]) == [2, 3, 4]


def test_unreadable_npz_is_one_line_error(tmp_path, invoke, assert_one_line_error):
    path = tmp_path / "bad.npz"
    np.savez(path, a=np.arange(3))
    result = invoke("fit", path, "--k", 2, "--out", tmp_path / "out")
    assert_one_line_error(result, "not a sparse matrix written by scipy.sparse.save_npz")
