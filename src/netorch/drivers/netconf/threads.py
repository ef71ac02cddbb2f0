"""The worker threads NETCONF I/O runs on.

ncclient is synchronous, so every RPC, every connect (SSH handshake, RFC 6242) and every
payload build (pyangbind) runs in a worker thread while the event loop waits. Those calls
mostly *wait* (for the device), so the useful number of threads is the number of devices
configured at once, not the number of CPUs: :func:`asyncio.to_thread`'s default executor has
``min(32, cpu + 4)`` threads (6 on 2 cores), which would serialise a 50-device transaction
into rounds of 6 handshakes and RPCs.

One process-wide pool, sized for device fan-out (:data:`MAX_WORKERS`), shared by every
:class:`~netorch.drivers.netconf.connector.NetconfConnector`: its threads start only when
needed, and connectors made per operation do not each leave idle threads behind.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

MAX_WORKERS = 128
"""Blocking NETCONF calls in flight at once (all devices of all running transactions)."""

_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def executor() -> ThreadPoolExecutor:
    """The shared pool (created on first use)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=MAX_WORKERS,
                                       thread_name_prefix="netorch-netconf")
        return _POOL


async def in_thread(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``await fn(*args, **kwargs)`` on the NETCONF pool (like :func:`asyncio.to_thread`,
    context variables included)."""
    loop = asyncio.get_running_loop()
    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
    return await loop.run_in_executor(executor(), call)
