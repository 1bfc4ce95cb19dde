"""Connecting to a Dask scheduler, and finding the active client."""

from __future__ import annotations

import sys

__all__ = ["active_client", "connect", "scheduler_client"]


def connect(address, timeout=10):
    """A ``distributed.Client`` for the scheduler at ``address``.

    Raises
    ------
    ConnectionError
        When no scheduler answers within ``timeout`` seconds; the one-line
        message names the address.
    """
    from distributed import Client

    try:
        return Client(address, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise ConnectionError(
            f"no Dask scheduler answered at {address!r} within {timeout} s "
            f"({type(exc).__name__})") from None


def active_client():
    """The default ``distributed.Client`` or None (never imports distributed)."""
    if "distributed" not in sys.modules:
        return None
    from distributed import default_client

    try:
        return default_client()
    except ValueError:
        return None


def scheduler_client():
    """The ``distributed.Client`` that ``dask.compute`` would run on now, or
    None (another scheduler is configured, e.g. inside
    ``dask.config.set(scheduler="threads")``, or there is no client)."""
    if "distributed" not in sys.modules:
        return None
    from dask.base import get_scheduler
    from distributed import Client

    client = getattr(get_scheduler(), "__self__", None)
    return client if isinstance(client, Client) else None
