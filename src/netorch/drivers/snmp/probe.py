"""The SNMP prober the network driver registry builds (:mod:`netorch.drivers.network.registry`):
the system group (RFC 3418 §2) of a device, as a mapping for the device's attributes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any

from netorch.drivers.network.base import ConnectorOptions
from netorch.drivers.network.secrets import resolve_snmp
from netorch.drivers.snmp.client import SnmpDriver
from netorch.model.network import DeviceEndpoint


def make_prober(options: ConnectorOptions) -> Callable[[DeviceEndpoint],
                                                       Awaitable[Mapping[str, Any]]]:
    """A prober using ``options.secrets_file`` for SNMP credentials. Each call has its own
    :class:`SnmpDriver` (its engine is tied to the running event loop) and closes it."""
    resolver = partial(resolve_snmp, secrets_file=options.secrets_file)

    async def probe(device: DeviceEndpoint) -> Mapping[str, Any]:
        driver = SnmpDriver(resolver=resolver, timeout_s=min(options.timeout_s, 2.0))
        try:
            return await driver.probe(device)
        finally:
            await driver.close()

    return probe
