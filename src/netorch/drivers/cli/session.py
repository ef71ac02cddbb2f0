"""The CLI device driver: :class:`~netorch.drivers.network.base.DeviceConnector` /
:class:`~netorch.drivers.network.base.DeviceSession` for devices without NETCONF.

A CLI device has no candidate datastore and no confirmed commit (RFC 6241 §8.3, §8.4 have no
CLI counterpart), so the two phases are emulated with a pre-image:

* ``prepare``: render the intent for the platform (refusing what it cannot express), read the
  running state of the objects it touches (the pre-image) and work out the lines;
* ``commit``: push the lines one by one, stopping at the first line the device rejects
  (:class:`~netorch.model.errors.PermanentError` with the device's text);
* ``confirm``: read the objects back; running must equal intended;
* ``abort``: read the objects again and push the lines that take them back to the pre-image.

netmiko is synchronous: every device exchange runs in :func:`asyncio.to_thread`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

from netorch.drivers.cli import transport
from netorch.drivers.cli.platform import CliPlatform, Snapshot, changed
from netorch.drivers.cli.platforms import PLATFORMS, platform_for
from netorch.drivers.cli.transport import SshTrust
from netorch.drivers.network.secrets import resolve_credentials
from netorch.model.errors import NetorchError, PermanentError
from netorch.model.network import Credentials, DeviceDriverKind, DeviceEndpoint, DeviceIntent

log = logging.getLogger(__name__)

CredentialResolver = Callable[[str], Credentials]


def default_resolver() -> CredentialResolver:
    """``resolve_credentials`` on the default secrets file (environment first)."""
    return resolve_credentials


class CliSession:
    """One SSH CLI session to one device, for one transaction."""

    def __init__(self, device: DeviceEndpoint, platform: CliPlatform, conn: Any) -> None:
        self.device = device
        self.platform = platform
        self._conn = conn
        self._desired: Snapshot | None = None
        self._pre: Snapshot | None = None
        self._lines: list[str] = []
        self._pushed = False

    @property
    def capabilities(self) -> frozenset[str]:
        return frozenset({f"cli:{self.platform.name}"})

    async def _snapshot(self, keys: list[str]) -> Snapshot:
        outputs = await asyncio.to_thread(transport.show, self._conn,
                                          self.platform.show_commands(keys), self.device.name)
        return self.platform.parse(keys, outputs)

    async def prepare(self, intended: DeviceIntent, previous: DeviceIntent | None) -> None:
        desired = self.platform.desired(intended, previous)
        pre = await self._snapshot(list(desired))
        self._desired, self._pre = desired, pre
        self._lines = self.platform.lines(changed(desired, pre))
        self._pushed = False
        log.info("%s: prepared %d line(s) for %d object(s)", self.device.name, len(self._lines),
                 len(desired))

    async def commit(self, confirm_timeout_s: int | None) -> None:
        """Push the prepared lines (``confirm_timeout_s`` is ignored: no confirmed commit)."""
        if self._desired is None:
            raise PermanentError(f"{self.device.name}: commit without prepare")
        if not self._lines:
            return
        self._pushed = True
        await asyncio.to_thread(transport.push, self._conn, self.platform, self._lines,
                                self.device.name, "commit")

    async def confirm(self) -> None:
        """Verify that every object netorch touched is running as intended."""
        if self._desired is None:
            return
        running = await self._snapshot(list(self._desired))
        wrong = changed(self._desired, running)
        if wrong:
            shown = "; ".join(f"{key}: intended {dict(want) if want is not None else None}, "
                              f"running {_shown(running.get(key))}"
                              for key, want in list(wrong.items())[:3])
            raise transport.failure(self.device.name, "verify", shown)

    async def abort(self) -> None:
        """Return the touched objects to the pre-image; failures are logged, never raised."""
        if self._pre is None or not self._pushed:
            return
        try:
            current = await self._snapshot(list(self._pre))
            lines = self.platform.lines(changed(self._pre, current))
            if lines:
                await asyncio.to_thread(transport.push, self._conn, self.platform, lines,
                                        self.device.name, "restore")
            log.info("%s: pre-image restored (%d line(s))", self.device.name, len(lines))
        except Exception as exc:  # abort never raises; read() shows what is left
            log.warning("%s: restoring the pre-image failed: %s", self.device.name, exc)

    async def read(self, names_of: DeviceIntent) -> DeviceIntent:
        keys = list(self.platform.desired(names_of, None))
        return self.platform.to_intent(names_of, await self._snapshot(keys))

    async def close(self) -> None:
        await asyncio.to_thread(transport.disconnect, self._conn)


def _shown(state: Mapping[str, str] | None) -> object:
    return None if state is None else dict(state)


class CliConnector:
    """Opens :class:`CliSession` s over SSH (netmiko), picking the platform module by
    :attr:`~netorch.model.network.DeviceEndpoint.platform`."""

    kind = DeviceDriverKind.CLI

    def __init__(self, *, resolver: CredentialResolver | None = None,
                 trust: SshTrust | None = None, timeout_s: float = 10.0,
                 platforms: Mapping[str, CliPlatform] | None = None) -> None:
        self._resolver = resolver
        self._trust = trust
        self._timeout_s = timeout_s
        self._platforms = dict(platforms) if platforms is not None else None

    def _platform(self, name: str) -> CliPlatform:
        if self._platforms is None:
            return platform_for(name)
        if name not in self._platforms:
            raise PermanentError(f"no CLI platform {name!r} (known: "
                                 f"{', '.join(sorted(self._platforms))})")
        return self._platforms[name]

    async def open(self, device: DeviceEndpoint) -> CliSession:
        platform = self._platform(device.platform)
        resolver = self._resolver or default_resolver()
        try:
            creds = resolver(device.credentials)
        except NetorchError:
            raise
        except Exception as exc:  # a resolver's own error type: no retry can help
            raise PermanentError(f"{device.name}: cannot resolve credentials "
                                 f"{device.credentials!r}: {type(exc).__name__}") from None
        trust = self._trust or SshTrust.from_env()
        conn = await asyncio.to_thread(transport.connect, device, platform, creds, trust,
                                       self._timeout_s)
        return CliSession(device, platform, conn)


__all__ = ["PLATFORMS", "CliConnector", "CliSession", "CredentialResolver", "default_resolver"]
