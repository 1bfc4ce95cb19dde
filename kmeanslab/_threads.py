"""Thread-count control that always restores the previous setting."""

from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def thread_limit(n_threads):
    """Run the numba kernels with ``n_threads`` threads inside the block.

    ``None`` leaves the count unchanged. Results do not depend on the count:
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
    import numba

    if int(n_threads) < 1:
        raise ValueError(f"n_threads must be >= 1, got {n_threads}")
    previous = numba.get_num_threads()
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
