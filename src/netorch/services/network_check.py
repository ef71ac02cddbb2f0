"""Drift check of a service's device configuration (``netorch status NAME --check``).

Level-triggered comparison (the observe half of the reconcile loop): each device's running
configuration, read back over its own protocol (NETCONF ``<get-config>`` with a subtree filter,
RFC 6241 §7.1; show commands on CLI devices), against what netorch applied there. Only
netorch's own entries are compared.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from netorch.model.errors import PermanentError, TemporaryError
from netorch.model.network import DriftEntry
from netorch.model.resources import RecordState, ResourceKind
from netorch.services.context import Context


@dataclass(slots=True)
class NetworkCheck:
    service: str
    configured: bool
    """Whether the service configures any device at all."""
    devices: list[str] = field(default_factory=list)
    drift: list[DriftEntry] = field(default_factory=list)
    error: str | None = None

    @property
    def in_sync(self) -> bool:
        return self.error is None and not self.drift

    def to_dict(self) -> dict[str, object]:
        return {"service": self.service, "configured": self.configured,
                "devices": self.devices, "in_sync": self.in_sync, "error": self.error,
                "drift": [d.to_dict() for d in self.drift]}


def check_network(ctx: Context, service: str) -> NetworkCheck:
    """Compare the running configuration of every device the service configures with the
    intended one."""
    records = [r for r in ctx.store.resources(service)
               if r.kind is ResourceKind.NETCONFIG and r.state is RecordState.CREATED]
    if not records:
        return NetworkCheck(service=service, configured=False)
    record = records[0]
    result = NetworkCheck(service=service, configured=True,
                          devices=[str(d) for d in record.attributes.get("devices", [])])

    async def run() -> list[DriftEntry]:
        network = ctx.network_driver()
        try:
            return await network.drift(record.key)
        finally:
            await network.close()

    try:
        result.drift = asyncio.run(run())
    except (TemporaryError, PermanentError, OSError) as exc:
        result.error = str(exc)
    return result
