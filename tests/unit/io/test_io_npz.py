"""Reading a sparse matrix written by ``scipy.sparse.save_npz``."""

import numpy as np
import pytest
import scipy.sparse as sp

from kmeanslab.io import load_table, read_table
from kmeanslab.io._read import DataFileError


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_npz_is_read_as_csr(tmp_path, fmt, dtype):
    dense = np.array([[0, 1, 0], [2, 0, 3], [0, 0, 4]], dtype=dtype)
    path = tmp_path / "m.npz"
    sp.save_npz(path, sp.csr_matrix(dense).asformat(fmt))
    table = load_table(path)
    assert table.format == "npz" and table.column_names == ["x0", "x1", "x2"]
    assert sp.issparse(table.X) and table.X.format == "csr"
    assert table.X.dtype == (np.float64 if dtype == np.int64 else dtype)
    np.testing.assert_array_equal(table.X.toarray(), dense)
    X, names = read_table(path, columns="2,0")
    np.testing.assert_array_equal(X.toarray(), dense[:, [2, 0]])
    assert names == ["x2", "x0"]


@pytest.mark.parametrize("content, fragment", [
    (b"not a zip", "is not a .npz file (not a zip archive)"),
    ("arrays", "not a sparse matrix written by scipy.sparse.save_npz"),
    ("nan", "has NaN or infinite value(s) (the first in row 1, column 2)"),
], ids=["garbage", "np.savez", "nan"])
def test_bad_npz_is_one_line_error(tmp_path, content, fragment):
    path = tmp_path / "bad.npz"
    if content == "arrays":
        np.savez(path, a=np.arange(3))
    elif content == "nan":
        sp.save_npz(path, sp.csr_matrix(np.array([[1.0, 0, 0], [0, 0, np.nan]])))
    else:
        path.write_bytes(content)
    with pytest.raises(DataFileError) as info:
        load_table(path)
    assert fragment in str(info.value) and "\n" not in str(info.value)
