"""Builds the network driver with the device connectors that are installed.

Each device driver package exposes ``make_connector(options: ConnectorOptions)`` in its
``connector`` module: ``netorch.drivers.netconf.connector`` (ncclient) and
``netorch.drivers.cli.connector`` (netmiko); monitoring goes through
``netorch.drivers.snmp.probe.make_prober``. The imports happen here, when a command needs the
network, never at import time.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any

from netorch.drivers.network.base import ConnectorOptions, DeviceConnector
from netorch.drivers.network.driver import NetworkDriver, Prober
from netorch.drivers.network.ledger import Ledger
from netorch.model.network import DeviceDriverKind

log = logging.getLogger(__name__)

_CONNECTORS = {
    DeviceDriverKind.NETCONF: "netorch.drivers.netconf.connector",
    DeviceDriverKind.CLI: "netorch.drivers.cli.connector",
}


def _factory(module: str, name: str) -> Any:
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        log.debug("%s.%s unavailable: %s", module, name, exc)
        return None


def connectors(options: ConnectorOptions) -> dict[DeviceDriverKind, DeviceConnector]:
    out: dict[DeviceDriverKind, DeviceConnector] = {}
    for kind, module in _CONNECTORS.items():
        make = _factory(module, "make_connector")
        if make is not None:
            out[kind] = make(options)
    return out


def prober(options: ConnectorOptions) -> Prober | None:
    make = _factory("netorch.drivers.snmp.probe", "make_prober")
    return None if make is None else make(options)


def open_network_driver(ledger_path: Path, options: ConnectorOptions, *,
                        confirm_timeout_s: int | None = 120) -> NetworkDriver:
    return NetworkDriver(Ledger(ledger_path), connectors(options),
                         confirm_timeout_s=confirm_timeout_s, prober=prober(options))
