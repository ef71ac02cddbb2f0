"""Cooperative cancellation of a running LCM operation (SOL005 v2.6.1 §6.4.x ``cancel`` task,
SPEC-NOTES §2: ``isCancelPending`` / ``cancelMode``; there is no CANCELLING state).

A :class:`CancelToken` is set from the API thread and watched by the operation's own thread:

* GRACEFUL: driver calls already talking to the VIM finish; every step that has not yet called
  its driver fails with "cancelled" (its dependents are skipped), so the journal stays exact;
* FORCEFUL: in addition, the apply is cancelled at once; interrupted calls leave records in
  doubt, which the next retry or rollback settles against the VIM first.

Either way the operation ends in FAILED_TEMP, from where it is retried, rolled back or failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from netorch.engine.drivers import DriverSet, ResourceDriver
from netorch.model.errors import PermanentError
from netorch.model.resources import CreateRequest, ResourceKind, ResourceRef, ResourceState


class CancelMode(StrEnum):
    """SOL005 ``CancelModeType``."""

    GRACEFUL = "GRACEFUL"
    FORCEFUL = "FORCEFUL"


class OperationCancelled(PermanentError):
    """Raised instead of a driver call once the operation is being cancelled."""


@dataclass(slots=True)
class CancelToken:
    """Set once; callbacks run (in the setter's thread) when it is."""

    _event: threading.Event = field(default_factory=threading.Event)
    mode: CancelMode | None = None
    _callbacks: list[Callable[[], None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _reason: str | None = None

    def cancel(self, mode: CancelMode, *, reason: str | None = None) -> None:
        with self._lock:
            if reason is not None:
                self._reason = reason
            if self._event.is_set():
                if mode is CancelMode.FORCEFUL and self.mode is not CancelMode.FORCEFUL:
                    self.mode = mode  # escalation: a GRACEFUL cancel made FORCEFUL
                else:
                    return
            else:
                self.mode = mode
                self._event.set()
            callbacks = list(self._callbacks)
        for cb in callbacks:
            cb()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    @property
    def forceful(self) -> bool:
        return self._event.is_set() and self.mode is CancelMode.FORCEFUL

    def on_cancel(self, cb: Callable[[], None]) -> Callable[[], None]:
        """Call ``cb`` when cancelled (at once if already); returns an unregister function."""
        with self._lock:
            self._callbacks.append(cb)
            already = self._event.is_set()
        if already:
            cb()

        def remove() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._callbacks.remove(cb)
        return remove

    def reason(self) -> str:
        if self._reason is not None:
            return f"stopped: {self._reason}"
        return f"cancelled by the operator ({self.mode or CancelMode.GRACEFUL})"


class _GuardedDriver:
    """A driver whose mutating calls refuse to start once the token is set."""

    def __init__(self, inner: ResourceDriver, token: CancelToken) -> None:
        self._inner = inner
        self._token = token
        self.name = inner.name
        if callable(getattr(inner, "update", None)):
            self.update = self._update

    def _check(self) -> None:
        if self._token.cancelled:
            raise OperationCancelled(self._token.reason())

    async def create(self, req: CreateRequest) -> ResourceState:
        self._check()
        return await self._inner.create(req)

    async def read(self, ref: ResourceRef) -> ResourceState | None:
        return await self._inner.read(ref)

    async def delete(self, ref: ResourceRef) -> None:
        self._check()
        await self._inner.delete(ref)

    async def _update(self, ref: ResourceRef, req: CreateRequest) -> ResourceState:
        self._check()
        result: ResourceState = await self._inner.update(ref, req)  # type: ignore[attr-defined]
        return result


class GuardedDrivers:
    """A :class:`DriverSet` whose drivers honour a :class:`CancelToken`."""

    def __init__(self, inner: DriverSet, token: CancelToken) -> None:
        self._inner = inner
        self._token = token
        self._cache: dict[int, _GuardedDriver] = {}

    def for_kind(self, kind: ResourceKind) -> ResourceDriver:
        driver = self._inner.for_kind(kind)
        guarded = self._cache.get(id(driver))
        if guarded is None:
            guarded = self._cache[id(driver)] = _GuardedDriver(driver, self._token)
        return guarded


def cancel_task_when(token: CancelToken, task: asyncio.Task[object]) -> Callable[[], None]:
    """Cancel ``task`` (from any thread) when the token turns FORCEFUL."""
    loop = task.get_loop()

    def fire() -> None:
        if token.forceful and not loop.is_closed():
            loop.call_soon_threadsafe(task.cancel)
    return token.on_cancel(fire)
