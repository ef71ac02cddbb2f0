"""ncclient over SSH (RFC 6242), with netorch's host key policy and without the poll delay.

**Why a session subclass.** ncclient's transport thread (``Session.run``) sends queued
requests only when it comes round its loop, and it blocks in ``select`` on the SSH channel for
up to ``ncclient.transport.session.TICK`` (0.1 s) between rounds. A synchronous RPC queued
while the thread waits therefore sits idle for up to 0.1 s: about 10 RPCs per second on one
session, whatever the device can do (lab RECIPES, gotcha 6). Lowering the module-global
``TICK`` helps, but it changes every ncclient session in the process and turns the idle
thread into a busy poll. Instead, :class:`WakingSSHSession` adds a wake-up socket to the
thread's selector and writes one byte to it whenever a request is queued (:meth:`send`), so
the thread returns from ``select`` at once and sends the request; ``TICK`` stays as it is and
only matters when nothing is happening. The selector wrapper drains the wake-up bytes and
hides them from the loop, which then sees "no channel data" and goes round again.

Host keys are checked by :class:`~netorch.drivers.netconf.hostkeys.KnownHosts` (not
``~/.ssh/known_hosts``), before any credential is sent.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
from typing import Any

import paramiko
from ncclient import manager as nc_manager
from ncclient.transport.ssh import SSHSession

from netorch.drivers.netconf.hostkeys import KnownHosts, host_entry
from netorch.model.network import Credentials, DeviceEndpoint


class WakingSSHSession(SSHSession):  # type: ignore[misc]
    """An ncclient SSH session whose transport thread wakes as soon as a request is queued."""

    def __init__(self, device_handler: Any, known_hosts: KnownHosts, device: DeviceEndpoint,
                 *, wake: bool = True) -> None:
        super().__init__(device_handler)
        self._wake = wake
        """False only to measure ncclient's own behaviour (bench/netconf_session.py)."""
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._netorch_known_hosts = known_hosts
        self._netorch_device = device

    # -- host keys ---------------------------------------------------------------------------
    def load_known_hosts(self, filename: str | None = None) -> None:
        """Called by ``connect`` before the key exchange instead of reading
        ``~/.ssh/known_hosts``: only the keys netorch's file records for this device (so
        that their key type is the one negotiated). The decision is :meth:`check_host_key`."""
        del filename
        device = self._netorch_device
        entry = host_entry(device.host, device.port)
        for key_type, key in self._netorch_known_hosts.recorded(device.host,
                                                                device.port).items():
            self._host_keys.add(entry, key_type, key)

    def check_host_key(self, host: str, fingerprint: str) -> bool:
        """ncclient's ``unknown_host_cb``: called when the presented key is not one recorded;
        raises (mismatch, unknown) or records it (trust on first use)."""
        del host, fingerprint
        key: paramiko.PKey = self._transport.get_remote_server_key()
        device = self._netorch_device
        self._netorch_known_hosts.verify(device.name, device.host, device.port, key)
        return True

    # -- waking the transport thread ---------------------------------------------------------
    def send(self, message: str) -> None:
        super().send(message)
        if not self._wake:
            return
        with contextlib.suppress(BlockingIOError, OSError):
            self._wake_w.send(b"\0")

    def _transport_register(self, selector: selectors.BaseSelector, event: int) -> None:
        super()._transport_register(selector, event)
        selector.register(self._wake_r, selectors.EVENT_READ)
        select = selector.select
        wake = self._wake_r

        def select_hiding_wakeups(timeout: float | None = None,
                                  ) -> list[tuple[selectors.SelectorKey, int]]:
            ready = []
            for key, mask in select(timeout):
                if key.fileobj is wake:
                    with contextlib.suppress(BlockingIOError, OSError):
                        while wake.recv(4096):
                            pass
                else:
                    ready.append((key, mask))
            return ready

        selector.select = select_hiding_wakeups  # type: ignore[method-assign]

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._wake_w.close()
            self._wake_r.close()


def connect(device: DeviceEndpoint, credentials: Credentials, known_hosts: KnownHosts, *,
            timeout_s: float, wake: bool = True) -> Any:
    """Open an ncclient ``Manager`` to ``device`` (blocking: run it in a thread)."""
    handler = nc_manager.make_device_handler({})
    session = WakingSSHSession(handler, known_hosts, device, wake=wake)
    try:
        session.connect(
            host=device.host, port=device.port, timeout=timeout_s,
            unknown_host_cb=session.check_host_key, username=credentials.username,
            password=credentials.password, key_filename=credentials.key_file,
            allow_agent=False, look_for_keys=False, hostkey_verify=True)
    except BaseException:
        if session.transport is not None:
            with contextlib.suppress(Exception):
                session.close()
        session._wake_r.close()
        session._wake_w.close()
        raise
    return nc_manager.Manager(session, handler, timeout=timeout_s)
