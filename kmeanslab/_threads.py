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
    import numba

    from ._validation import check_n_threads

    n_threads = check_n_threads(n_threads)
    previous = numba.get_num_threads()
    # More threads than numba started with cannot be used; ask for fewer.
    numba.set_num_threads(min(n_threads, numba.config.NUMBA_NUM_THREADS))
    try:
        yield
    finally:
        numba.set_num_threads(previous)


def current_threads():
    """The thread count the kernels run with now (what :func:`thread_limit`
    set; the native core takes it per call, so both share one setting)."""
    import numba

    return int(numba.get_num_threads())


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
