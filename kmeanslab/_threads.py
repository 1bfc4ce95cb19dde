"""Thread-count control that always restores the previous setting."""

from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def thread_limit(n_threads):
    """Run the numba kernels with ``n_threads`` threads inside the block.

    ``None`` leaves the count unchanged; a count above the number of threads
    numba started with (``NUMBA_NUM_THREADS``) is capped there. Results do
    not depend on the count:
    the kernels split rows into blocks by ``n_samples`` alone and reduce the
    per-block results in block order.

    Examples
    --------
    >>> import kmeanslab
    >>> with kmeanslab.thread_limit(1):
    ...     pass
    """
    if n_threads is None:
        yield
        return
    import numbers

    import numba

    if isinstance(n_threads, bool) or not isinstance(n_threads, numbers.Integral):
        raise TypeError(f"n_threads must be a positive integer, got {n_threads!r}")
    if n_threads < 1:
        raise ValueError(f"n_threads must be >= 1, got {n_threads}")
    previous = numba.get_num_threads()
    # More threads than numba started with cannot be used; ask for fewer.
    numba.set_num_threads(min(int(n_threads), numba.config.NUMBA_NUM_THREADS))
    try:
        yield
    finally:
        numba.set_num_threads(previous)


_CONTROLLER = None


@contextmanager
def single_threaded_blas():
    """Keep BLAS to one thread while the numba kernels call it from their
    own threads (otherwise each kernel thread starts a full BLAS pool and
    the cores are oversubscribed several times over)."""
    global _CONTROLLER
    from threadpoolctl import ThreadpoolController

    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    with _CONTROLLER.limit(limits=1, user_api="blas"):
        yield
