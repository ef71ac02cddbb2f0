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
                 tofu: bool | None = None, timeout_s: float = 10.0, wake: bool = True) -> None:
        self.secrets_file = secrets_file
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
        credentials = resolve_credentials(device.credentials, self.secrets_file)
        try:
            manager = await in_thread(connect, device, credentials, self.known_hosts,
                                      timeout_s=self.timeout_s, wake=self.wake)
        except Exception as exc:
            raise translate(device.name, "connect", exc) from exc
        session = NetconfSession(device, manager)
        log.info("%s: NETCONF session %s to %s:%d (candidate=%s, confirmed-commit=%s)",
                 device.name, session.session_id, device.host, device.port,
                 session.has_candidate, session.has_confirmed_commit)
        return session


def make_connector(options: ConnectorOptions) -> NetconfConnector:
    """The connector the network driver registry asks for."""
    return NetconfConnector(secrets_file=options.secrets_file, known_hosts=options.known_hosts,
                            tofu=options.tofu, timeout_s=options.timeout_s)
