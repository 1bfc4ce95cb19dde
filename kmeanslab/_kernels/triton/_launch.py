"""Kernels decorated with ``triton.jit`` at launch time rather than at import.

``triton.jit`` decides when it decorates whether a kernel is compiled for the
GPU or run by Triton's CPU interpreter (``TRITON_INTERPRET=1``). Decorating
at import would freeze that choice at whatever the environment held when the
module was first imported, for example during pytest's doctest collection, so
a test could not switch the interpreter on for itself alone. Here each kernel
is decorated once per mode, on its first launch in that mode: the variable is
read at every launch, and setting it for one test (``monkeypatch.setenv``)
leaks nowhere.
"""

import triton


def interpreting():
    """Whether Triton's interpreter runs kernels (``TRITON_INTERPRET`` set now)."""
    return bool(triton.knobs.runtime.interpret)


class LazyKernel:
    """A kernel function, JIT-decorated on first launch in the current mode.

    Parameters
    ----------
    fn : callable
        The kernel body, written for ``triton.jit`` (module-level, no
        decorator).

    Examples
    --------
    ``LazyKernel(fn)[grid](*args, BLOCK=64)`` launches like ``triton.jit(fn)``.
    """

    def __init__(self, fn):
        self.fn = fn
        self._decorated = {}

    def __getitem__(self, grid):
        mode = interpreting()
        kernel = self._decorated.get(mode)
        if kernel is None:
            kernel = self._decorated[mode] = triton.jit(self.fn)
        return kernel[grid]
