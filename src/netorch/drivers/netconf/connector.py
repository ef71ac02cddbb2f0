"""Opens NETCONF sessions (RFC 6241 over SSH, RFC 6242): credentials by name, host key
checked against netorch's known-hosts file, capabilities discovered from the ``<hello>``.

The network driver registry builds it with :func:`make_connector`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from netorch.drivers.netconf.errors import translate
from netorch.drivers.netconf.hostkeys import KnownHosts, default_known_hosts, tofu_from_env
from netorch.drivers.netconf.session import NetconfSession
from netorch.drivers.netconf.threads import in_thread
from netorch.drivers.netconf.transport import connect
from netorch.drivers.network.secrets import resolve_credentials
from netorch.model.network import DeviceEndpoint

if TYPE_CHECKING:
    from netorch.drivers.network.base import ConnectorOptions

log = logging.getLogger(__name__)


class NetconfConnector:
    """A :class:`~netorch.drivers.network.base.DeviceConnector` for NETCONF devices."""

    def __init__(self, *, secrets_file: Path | None = None, known_hosts: Path | None = None,
                 tofu: bool | None = None, timeout_s: float = 10.0, wake: bool = True,
                 pool: bool = False) -> None:
        self.secrets_file = secrets_file
        self.pool = pool
        """Keep clean sessions open for the next transaction on the same device (the
        network driver's lifetime: one operation). Adopting a device and configuring it then
        share one SSH session, and a multi-device change pays no handshakes."""
        self._idle: dict[tuple[str, int, str], list[NetconfSession]] = {}
        self._orphaned: list[NetconfSession] = []
        self.known_hosts = KnownHosts(known_hosts or default_known_hosts(),
                                      tofu=tofu_from_env() if tofu is None else tofu)
        self.timeout_s = timeout_s
        self.wake = wake
        """Wake ncclient's transport thread on send (see :mod:`.transport`); False only to
        measure the untuned behaviour."""

    async def open(self, device: DeviceEndpoint) -> NetconfSession:
        """Connect, authenticate and exchange ``<hello>`` (RFC 6241 §8.1).

        Raises :class:`~netorch.model.errors.TemporaryError` when the device cannot be
        reached and :class:`~netorch.model.errors.PermanentError` for bad credentials or an
        unknown host key.
        """
        pooled = self._take(device)
        if pooled is not None:
            return pooled
        credentials = resolve_credentials(device.credentials, self.secrets_file)
        try:
            manager = await in_thread(connect, device, credentials, self.known_hosts,
                                      timeout_s=self.timeout_s, wake=self.wake)
        except Exception as exc:
            raise translate(device.name, "connect", exc) from exc
        session = NetconfSession(device, manager)
        if self.pool:
            session.release = self._give_back
        log.info("%s: NETCONF session %s to %s:%d (candidate=%s, confirmed-commit=%s)",
                 device.name, session.session_id, device.host, device.port,
                 session.has_candidate, session.has_confirmed_commit)
        return session


    @staticmethod
    def _key(device: DeviceEndpoint) -> tuple[str, int, str]:
        return device.host, device.port, device.credentials

    def _take(self, device: DeviceEndpoint) -> NetconfSession | None:
        idle = self._idle.get(self._key(device), [])
        while idle:
            session = idle.pop()
            if session.reusable:
                session.reset_for(device)
                return session
            self._orphaned.append(session)
        return None

    def _give_back(self, session: NetconfSession) -> bool:
        self._idle.setdefault(self._key(session.device), []).append(session)
        return True

    async def aclose(self) -> None:
        """Close every pooled session."""
        sessions = [s for idle in self._idle.values() for s in idle] + self._orphaned
        self._idle.clear()
        self._orphaned = []
        for session in sessions:
            await session.shutdown()


def make_connector(options: ConnectorOptions) -> NetconfConnector:
    """The connector the network driver registry asks for (pooling sessions)."""
    return NetconfConnector(secrets_file=options.secrets_file, known_hosts=options.known_hosts,
                            tofu=options.tofu, timeout_s=options.timeout_s, pool=True)
