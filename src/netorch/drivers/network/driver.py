"""The network driver: devices and their configuration as resources the engine applies.

Implements the resource-driver protocol (create / read / delete / update / list) for
:attr:`~netorch.model.resources.ResourceKind.DEVICE` and
:attr:`~netorch.model.resources.ResourceKind.NETCONFIG` nodes:

* a **device** is adopted, never made: ``create`` opens a session (capability discovery, host
  key and credential checks) and reports what the device announced; ``delete`` lets go of it;
* a service's **device configuration** is one resource: ``create`` / ``update`` / ``delete``
  run one all-or-nothing transaction over its devices
  (:mod:`netorch.drivers.network.transaction`), recorded write-ahead in the
  :class:`~netorch.drivers.network.ledger.Ledger` so that terminate, rollback and crash
  recovery remove exactly what netorch added.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from netorch.drivers.network.base import DeviceConnector
from netorch.drivers.network.ledger import Ledger, LedgerEntry
from netorch.drivers.network.transaction import DeviceChange, TransactionFailed, run_transaction
from netorch.model.errors import PermanentError, TemporaryError
from netorch.model.network import (
    DeviceDriverKind,
    DeviceEndpoint,
    DeviceIntent,
    DriftEntry,
    diff_intent,
    empty_like,
    endpoint_from_properties,
    qualify,
)
from netorch.model.resources import (
    NETWORK_KINDS,
    CreateRequest,
    ResourceKind,
    ResourceRef,
    ResourceState,
    ResourceStatus,
)

log = logging.getLogger(__name__)

NETWORK_DRIVER_NAME = "network"

Prober = Callable[[DeviceEndpoint], Awaitable[Mapping[str, Any]]]
"""Reads a device's inventory (SNMP system group) for a monitored-only device."""


def _intents(req: CreateRequest) -> dict[str, DeviceIntent]:
    devices = req.properties.get("devices")
    if not isinstance(devices, Mapping) or not devices:
        raise PermanentError(f"{req.node_id}: no device configuration to apply")
    return {str(name): qualify(DeviceIntent.from_dict(intent), req.service)
            for name, intent in devices.items()}


def _endpoint_key(endpoint: DeviceEndpoint) -> tuple[str, int]:
    return endpoint.host, endpoint.port


class NetworkDriver:
    """Configures devices through per-kind connectors (netconf, cli)."""

    def __init__(self, ledger: Ledger, connectors: Mapping[DeviceDriverKind, DeviceConnector],
                 *, confirm_timeout_s: int | None = 120, prober: Prober | None = None,
                 name: str = NETWORK_DRIVER_NAME) -> None:
        self.name = name
        self.kinds: frozenset[ResourceKind] = NETWORK_KINDS
        self.ledger = ledger
        self.connectors = dict(connectors)
        self.confirm_timeout_s = confirm_timeout_s
        self.prober = prober

    # -- devices -----------------------------------------------------------------------------
    async def _adopt(self, req: CreateRequest) -> ResourceState:
        endpoint = endpoint_from_properties(req.node_id, req.properties)
        attributes: dict[str, Any] = {"driver": endpoint.driver.value,
                                      "platform": endpoint.platform,
                                      "management_address": endpoint.host,
                                      "port": endpoint.port}
        if endpoint.driver is not DeviceDriverKind.SNMP_ONLY:
            connector = self.connectors.get(endpoint.driver)
            if connector is None:
                raise PermanentError(f"{req.node_id}: no {endpoint.driver.value} driver")
            session = await connector.open(endpoint)
            try:
                attributes["capabilities"] = sorted(session.capabilities)
            finally:
                await session.close()
        if self.prober is not None and endpoint.snmp is not None:
            try:
                attributes["snmp"] = dict(await self.prober(endpoint))
            except (TemporaryError, PermanentError) as exc:
                if endpoint.driver is DeviceDriverKind.SNMP_ONLY:
                    raise  # monitoring is all netorch does with it: it must answer
                # Configuration goes over NETCONF / SSH, which answered: a silent SNMP
                # agent costs the inventory, not the service.
                log.warning("%s: SNMP inventory unavailable: %s", req.node_id, exc)
                attributes["snmp"] = {"error": str(exc)}
        self.ledger.remember_device(req.key, attributes)
        return ResourceState(key=req.key, kind=req.kind, name=req.name,
                             status=ResourceStatus.ACTIVE,
                             vim_id=f"{endpoint.host}:{endpoint.port}", attributes=attributes)

    # -- configuration -----------------------------------------------------------------------
    def _check_clashes(self, key: str, intents: Mapping[str, DeviceIntent]) -> None:
        """Refuse a VLAN sub-interface another service already configured on the device."""
        mine = {(_endpoint_key(i.device), s.name): name
                for name, i in intents.items() for s in i.interfaces}
        for entry in self.ledger.entries():
            if entry.key == key:
                continue
            for intent in entry.owned().values():
                for sub in intent.interfaces:
                    device = mine.get((_endpoint_key(intent.device), sub.name))
                    if device is not None:
                        raise PermanentError(
                            f"{device}: {sub.name} is already configured by service "
                            f"{entry.service!r}")

    async def _transact(self, key: str, service: str, node_id: str,
                        intents: dict[str, DeviceIntent],
                        previous: Mapping[str, DeviceIntent]) -> dict[str, DeviceIntent]:
        changes = [DeviceChange(intended=intents.get(d) or empty_like(previous[d]),
                                previous=previous.get(d))
                   for d in sorted({*intents, *previous})]
        self.ledger.begin(key, service, node_id, intents)
        try:
            running = await run_transaction(changes, self.connectors,
                                            confirm_timeout_s=self.confirm_timeout_s)
        except TransactionFailed as exc:
            # Every device was rolled back: what netorch owns is what it owned before.
            self.ledger.settle(key, dict(previous))
            if exc.temporary:
                raise TemporaryError(str(exc)) from exc
            raise PermanentError(str(exc)) from exc
        applied = {d: i for d, i in intents.items() if not i.is_empty()}
        self.ledger.settle(key, applied)
        log.info("network configuration %s applied on %s", node_id, ", ".join(sorted(running)))
        return running

    def _state(self, req_or_ref: CreateRequest | ResourceRef, name: str,
               applied: Mapping[str, DeviceIntent]) -> ResourceState:
        return ResourceState(
            key=req_or_ref.key, kind=ResourceKind.NETCONFIG, name=name,
            status=ResourceStatus.ACTIVE, vim_id=req_or_ref.key,
            attributes={"devices": sorted(applied),
                        "config": {d: i.to_dict() for d, i in sorted(applied.items())}})

    async def create(self, req: CreateRequest) -> ResourceState:
        return await self.update(ResourceRef(key=req.key, kind=req.kind), req)

    async def update(self, ref: ResourceRef, req: CreateRequest) -> ResourceState:
        """Create and update are one thing for configuration: make netorch's entries on the
        devices equal to ``req`` (what the ledger says netorch owns under the key, applied or
        interrupted, is the previous state)."""
        if req.kind is ResourceKind.DEVICE:
            return await self._adopt(req)
        self._require(req.kind)
        intents = _intents(req)
        self._check_clashes(ref.key, intents)
        entry = self.ledger.get(ref.key)
        previous = entry.owned() if entry is not None else {}
        await self._transact(ref.key, req.service, req.node_id, intents, previous)
        return self._state(ref, req.name, intents)

    async def delete(self, ref: ResourceRef) -> None:
        if ref.kind is ResourceKind.DEVICE:
            # netorch never deletes a device (its configuration is a separate resource): it
            # only lets go of it.
            self.ledger.forget_device(ref.key)
            return
        self._require(ref.kind)
        entry = self.ledger.get(ref.key)
        if entry is None:
            return  # nothing configured (or already removed): deletes are idempotent
        owned = entry.owned()
        if owned:
            await self._transact(ref.key, entry.service, entry.node_id, {}, owned)
        self.ledger.remove(ref.key)

    async def read(self, ref: ResourceRef) -> ResourceState | None:
        if ref.kind is ResourceKind.DEVICE:
            attributes = self.ledger.device(ref.key)
            if attributes is None:
                return None  # never adopted (an interrupted create): adopt it again
            return ResourceState(key=ref.key, kind=ref.kind, name=ref.key,
                                 status=ResourceStatus.ACTIVE, vim_id=ref.vim_id,
                                 attributes=attributes)
        self._require(ref.kind)
        entry = self.ledger.get(ref.key)
        if entry is None:
            return None
        state = self._state(ref, entry.node_id, entry.applied)
        if entry.pending is not None:
            return ResourceState(key=state.key, kind=state.kind, name=state.name,
                                 status=ResourceStatus.ERROR, vim_id=state.vim_id,
                                 attributes=state.attributes,
                                 error="a configuration change was interrupted")
        return state

    async def list(self) -> list[ResourceState]:
        return [self._state(ResourceRef(key=e.key, kind=ResourceKind.NETCONFIG), e.node_id,
                            e.applied) for e in self.ledger.entries()]

    async def drift(self, key: str) -> builtins.list[DriftEntry]:
        """Compare each device's running configuration with what netorch applied there."""
        entry = self.ledger.get(key)
        if entry is None:
            return []
        return await self._drift(entry)

    async def _drift(self, entry: LedgerEntry) -> builtins.list[DriftEntry]:
        out: builtins.list[DriftEntry] = []
        for _device, intent in sorted(entry.applied.items()):
            connector = self.connectors.get(intent.device.driver)
            if connector is None:
                continue
            session = await connector.open(intent.device)
            try:
                running = await session.read(intent)
            finally:
                await session.close()
            out.extend(diff_intent(intent, running))
        return out

    def _require(self, kind: ResourceKind) -> None:
        if kind not in self.kinds:
            raise PermanentError(f"the network driver handles devices and their "
                                 f"configuration, not {kind}")

    async def close(self) -> None:
        for connector in self.connectors.values():
            aclose = getattr(connector, "aclose", None)
            if aclose is not None:
                await aclose()
        self.ledger.close()
