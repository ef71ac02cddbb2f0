"""What a device driver provides, so that a multi-device transaction can be all-or-nothing.

A change to N devices runs in two phases (the coordinator is
:mod:`netorch.drivers.network.transaction`):

1. ``prepare`` on every device: take the lock and stage the edit (NETCONF: ``<lock>`` and
   ``<edit-config>`` on ``candidate``, RFC 6241 §7.2, §7.5, §8.3; without ``:candidate``, the
   pre-image of running is saved so it can be restored);
2. ``commit`` on every device (confirmed where ``:confirmed-commit`` is supported, RFC 6241
   §8.4), then ``confirm`` on every device.

If any device fails at any point, ``abort`` is called on every device that got further than
``open``: discard the candidate, cancel the confirmed commit or restore the pre-image.

Errors are :class:`~netorch.model.errors.TemporaryError` (unreachable, lock held, timeout) or
:class:`~netorch.model.errors.PermanentError` (bad credentials, unknown host key, rejected
configuration); both carry the device's own text (its ``rpc-error`` message or CLI output).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from netorch.model.network import DeviceEndpoint, DeviceIntent


class DeviceSession(Protocol):
    """One open management session to one device, used for one transaction."""

    device: DeviceEndpoint

    @property
    def capabilities(self) -> frozenset[str]:
        """What the device announced (NETCONF ``<hello>`` capabilities; ``cli:<platform>``)."""
        ...

    async def prepare(self, intended: DeviceIntent, previous: DeviceIntent | None) -> None:
        """Lock and stage the change that makes netorch's entries on the device equal to
        ``intended``: entries of ``intended`` are created or replaced, entries of ``previous``
        (what netorch added before) that ``intended`` no longer has are removed. Nothing else
        on the device is touched."""
        ...

    async def commit(self, confirm_timeout_s: int | None) -> None:
        """Make the staged change running (a confirmed commit when ``confirm_timeout_s`` is set
        and the device supports it)."""
        ...

    async def confirm(self) -> None:
        """Make a confirmed commit permanent (no-op where the commit was not confirmed), then
        release the lock."""
        ...

    async def abort(self) -> None:
        """Undo whatever ``prepare`` / ``commit`` did and release the lock. Never raises: a
        failure to undo is logged and reported by :meth:`read` afterwards."""
        ...

    async def read(self, names_of: DeviceIntent) -> DeviceIntent:
        """What is running on the device for the entries *named* in ``names_of`` (absent
        entries are left out), for verification after commit and for drift checks."""
        ...

    async def close(self) -> None: ...


class DeviceConnector(Protocol):
    """Opens sessions to devices of one driver kind (netconf, cli)."""

    async def open(self, device: DeviceEndpoint) -> DeviceSession: ...


@dataclass(frozen=True, slots=True)
class ConnectorOptions:
    """What every device connector is built with (from netorch's settings)."""

    secrets_file: Path
    """Device credentials (YAML, 0600); ``NETORCH_CRED_<NAME>_*`` variables win over it."""
    known_hosts: Path
    """SSH host keys the devices must present (OpenSSH known_hosts format)."""
    tofu: bool = False
    """Trust (and record) an unknown host key on first use instead of refusing it."""
    timeout_s: float = 10.0
    """Connect and per-RPC timeout."""
