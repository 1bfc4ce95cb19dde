"""The PyTorch backend on a CUDA device (marker ``gpu``; skipped with a
reason where ``torch.cuda.is_available()`` is False): the Triton kernels at
realistic sizes against the NumPy engine, exact labels in every precision
and bitwise repeatable runs."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from kmeanslab import kmeans  # noqa: E402
from kmeanslab.backends.torch import make_backend  # noqa: E402

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(),
                       reason="needs a CUDA device (torch.cuda.is_available() is False)"),
]


def _mixture(n, d, k, spread, seed=0):
    rng = np.random.RandomState(seed)
    means = rng.normal(size=(k, d))
    return (means[rng.randint(k, size=n)]
            + spread * rng.normal(size=(n, d))).astype(np.float32)


@pytest.mark.parametrize("d, k", [(2, 8), (32, 64), (128, 256)])
def test_same_run_as_the_numpy_engine(d, k):
    X = _mixture(200_000, d, k, 0.5)
    init = X[:k].copy()
    params = dict(init=init, n_init=1, tol=0.0, algorithm="lloyd", max_iter=20)
    ours = kmeans(torch.from_numpy(X).cuda(), k, **params)
    theirs = kmeans(X.astype(np.float64), k, **params)
    # float64 engine: the exact nearest centres; ours are exact up to ties.
    assert np.mean(ours.labels == theirs.labels) > 0.9999
    np.testing.assert_allclose(ours.inertia, theirs.inertia, rtol=1e-5)


@pytest.mark.parametrize("precision", ["fast"])
def test_fast_labels_equal_exact_labels(precision):
    X = torch.from_numpy(_mixture(1_000_000, 128, 1024, 1.0)).cuda()
    centers = X[:1024].cpu().numpy()
    exact = make_backend(X, precision="exact").assign(centers)[0].tensor
    other = make_backend(X, precision=precision).assign(centers)[0].tensor
    assert torch.equal(exact, other)
    bf16 = make_backend(X.to(torch.bfloat16), precision="fast").assign(centers)[0].tensor
    direct = make_backend(X.to(torch.bfloat16).float(), precision="exact").assign(centers)[0].tensor
    assert torch.equal(bf16, direct)


def test_runs_are_bitwise_repeatable():
    X = torch.from_numpy(_mixture(500_000, 16, 32, 0.5)).cuda()
    a = kmeans(X, 32, random_state=0)
    b = kmeans(X, 32, random_state=0)
    assert a.centers.tobytes() == b.centers.tobytes()
    assert a.inertia == b.inertia
