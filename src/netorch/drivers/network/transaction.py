"""All-or-nothing configuration of several devices (a two-phase commit over NETCONF / CLI).

For N devices (RFC 6241 §8.3 candidate, §8.4 confirmed commit, §7.5 lock):

1. open a session to every device, in parallel;
2. **prepare** every device: lock, stage the edit (candidate, or running with a saved
   pre-image where the device has no candidate);
3. **commit** every device, confirmed with a timeout where supported: if netorch dies now, the
   devices roll themselves back when the timeout expires;
4. **verify** every device: read back what is running for netorch's entries and compare it
   with the intent;
5. **confirm** every device (and unlock).

If any device fails at any step, every device that got past ``open`` is aborted (candidate
discarded, confirmed commit cancelled, pre-image restored), and the transaction raises the
failing device's error, with its own text, naming the devices rolled back. A device that had
already confirmed when another one failed to confirm gets a compensating transaction back to
its previous configuration.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from netorch.drivers.network.base import DeviceConnector, DeviceSession
from netorch.model.errors import PermanentError, TemporaryError
from netorch.model.network import DeviceDriverKind, DeviceIntent, diff_intent, empty_like

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DeviceChange:
    """One device's part of a transaction: make netorch's entries equal to ``intended``;
    ``previous`` is what netorch had put there before (removed where ``intended`` drops it)."""

    intended: DeviceIntent
    previous: DeviceIntent | None = None

    @property
    def device(self) -> str:
        return self.intended.device.name


class TransactionFailed(Exception):
    """Carries the first device failure; every other device was rolled back."""

    def __init__(self, device: str, stage: str, error: BaseException,
                 rolled_back: list[str]) -> None:
        self.device, self.stage, self.error, self.rolled_back = device, stage, error, rolled_back
        others = f"; rolled back on {', '.join(rolled_back)}" if rolled_back else ""
        text = str(error)
        # Device drivers already say which device and stage failed (DeviceError wording).
        head = text if text.startswith(f"{device}: ") else f"{device}: {stage} failed: {text}"
        super().__init__(f"{head}{others}")

    @property
    def temporary(self) -> bool:
        return isinstance(self.error, TemporaryError | TimeoutError | OSError)


Failure = tuple[str, BaseException]


async def _each(sessions: Mapping[str, DeviceSession], stage: str,
                call: Callable[[str, DeviceSession], Awaitable[None]]) -> Failure | None:
    """Run ``call`` on every session at once; the first failure by device order, if any."""
    names = list(sessions)
    results = await asyncio.gather(*(call(n, sessions[n]) for n in names),
                                   return_exceptions=True)
    failures = [(n, r) for n, r in zip(names, results, strict=True)
                if isinstance(r, BaseException)]
    for name, exc in failures:
        log.warning("device %s: %s failed: %s", name, stage, exc)
    for _, exc in failures:
        if isinstance(exc, asyncio.CancelledError):
            raise exc
    return failures[0] if failures else None


async def _abort_all(sessions: Mapping[str, DeviceSession]) -> list[str]:
    await asyncio.gather(*(s.abort() for s in sessions.values()), return_exceptions=True)
    return list(sessions)


async def _close_all(sessions: Mapping[str, DeviceSession]) -> None:
    await asyncio.gather(*(s.close() for s in sessions.values()), return_exceptions=True)


async def run_transaction(
    changes: list[DeviceChange],
    connectors: Mapping[DeviceDriverKind, DeviceConnector],
    *,
    confirm_timeout_s: int | None = 120,
) -> dict[str, DeviceIntent]:
    """Apply ``changes`` all-or-nothing; returns what is running on each device afterwards
    (read back and verified). Raises :class:`TransactionFailed`."""
    if not changes:
        return {}
    by_device = {c.device: c for c in changes}
    sessions: dict[str, DeviceSession] = {}

    async def open_one(name: str) -> DeviceSession:
        endpoint = by_device[name].intended.device
        connector = connectors.get(endpoint.driver)
        if connector is None:
            raise PermanentError(f"no driver can configure a {endpoint.driver.value} device")
        return await connector.open(endpoint)

    names = list(by_device)
    opened = await asyncio.gather(*(open_one(n) for n in names), return_exceptions=True)
    first: tuple[str, BaseException] | None = None
    for name, result in zip(names, opened, strict=True):
        if isinstance(result, BaseException):
            log.warning("device %s: connect failed: %s", name, result)
            first = first or (name, result)
        else:
            sessions[name] = result
    if first is not None:
        await _close_all(sessions)
        raise TransactionFailed(first[0], "connect", first[1], [])

    confirmed: list[str] = []
    try:
        async def prepare(name: str, s: DeviceSession) -> None:
            await s.prepare(by_device[name].intended, by_device[name].previous)

        failed = await _each(sessions, "prepare", prepare)
        if failed is not None:
            raise TransactionFailed(failed[0], "prepare", failed[1], await _abort_all(sessions))

        async def commit(name: str, s: DeviceSession) -> None:
            await s.commit(confirm_timeout_s)

        failed = await _each(sessions, "commit", commit)
        if failed is not None:
            raise TransactionFailed(failed[0], "commit", failed[1], await _abort_all(sessions))

        running: dict[str, DeviceIntent] = {}

        async def verify(name: str, s: DeviceSession) -> None:
            intended = by_device[name].intended
            have = await s.read(intended)
            drift = diff_intent(intended, have)
            if drift:
                shown = "; ".join(f"{d.path}: intended {d.intended!r}, running {d.running!r}"
                                  for d in drift[:3])
                raise PermanentError(f"running configuration differs after commit: {shown}")
            running[name] = have

        failed = await _each(sessions, "verify", verify)
        if failed is not None:
            raise TransactionFailed(failed[0], "verify", failed[1], await _abort_all(sessions))

        async def confirm(name: str, s: DeviceSession) -> None:
            await s.confirm()
            confirmed.append(name)

        failed = await _each(sessions, "confirm", confirm)
        if failed is not None:
            pending = {n: s for n, s in sessions.items() if n not in confirmed}
            rolled = await _abort_all(pending)
            rolled += await _compensate([by_device[n] for n in confirmed], connectors)
            raise TransactionFailed(failed[0], "confirm", failed[1], rolled)
        return running
    finally:
        await _close_all(sessions)


async def _compensate(done: list[DeviceChange],
                      connectors: Mapping[DeviceDriverKind, DeviceConnector]) -> list[str]:
    """Put devices that already confirmed back to their previous configuration."""
    if not done:
        return []
    back = [DeviceChange(intended=c.previous or empty_like(c.intended), previous=c.intended)
            for c in done]
    try:
        await run_transaction(back, connectors, confirm_timeout_s=None)
    except TransactionFailed as exc:
        log.error("compensating rollback failed: %s", exc)
        return []
    return [c.device for c in done]
