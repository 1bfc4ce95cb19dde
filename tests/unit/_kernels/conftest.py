"""Where the Triton kernel tests run: Triton's CPU interpreter, or the GPU.

The kernels are decorated with ``triton.jit`` at their first launch in each
mode (``kmeanslab/_kernels/triton/_launch.py``), so ``TRITON_INTERPRET`` only
has to be set while a test runs: ``monkeypatch`` sets it for that test alone
and restores the environment afterwards, and tests elsewhere never see it.
"""

import pytest


@pytest.fixture
def triton_mode(request, monkeypatch):
    """Run the test's kernels under the interpreter, or on CUDA for tests
    marked ``gpu`` (those skip without a CUDA device)."""
    if request.node.get_closest_marker("gpu") is None:
        monkeypatch.setenv("TRITON_INTERPRET", "1")
        return "interpreter"
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device (torch.cuda.is_available() is False)")
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    return "cuda"
