"""The multi-device transaction and the network driver against in-process fake devices
(fast; the same paths run against the real lab in tests/integration/test_stitching.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from fake_network_devices import FakeConnector, FakeDevice
from netorch.drivers.network.driver import NetworkDriver
from netorch.drivers.network.ledger import Ledger
from netorch.drivers.network.transaction import DeviceChange, TransactionFailed, run_transaction
from netorch.model.errors import PermanentError, TemporaryError
from netorch.model.network import (
    Chain,
    ChainHop,
    DeviceDriverKind,
    DeviceEndpoint,
    DeviceIntent,
    SubInterface,
    Vrf,
    diff_intent,
)
from netorch.model.resources import CreateRequest, ResourceKind, ResourceRef


def _endpoint(name: str) -> DeviceEndpoint:
    return DeviceEndpoint(name=name, driver=DeviceDriverKind.NETCONF, platform="fake",
                          host="127.0.0.1", port=1000 + len(name), credentials=name)


def _intent(name: str, vlan: int = 101) -> DeviceIntent:
    return DeviceIntent(
        device=_endpoint(name),
        interfaces=(SubInterface("eth1", vlan, "left"),),
        vrfs=(Vrf("left", rd="65000:1", interfaces=(f"eth1.{vlan}",)),),
        chains=(Chain("c1", (ChainHop(1, "fw"), ChainHop(2, "nat"))),))


FOREIGN = SubInterface("eth9", 999, "not ours")


def _devices(*names: str) -> dict[str, FakeDevice]:
    return {n: FakeDevice(_endpoint(n), DeviceIntent(device=_endpoint(n),
                                                     interfaces=(FOREIGN,)))
            for n in names}


def _run(changes: list[DeviceChange], conn: FakeConnector) -> dict[str, DeviceIntent]:
    return asyncio.run(run_transaction(changes, {DeviceDriverKind.NETCONF: conn}))


def test_all_devices_get_the_change_and_keep_foreign_config() -> None:
    devs = _devices("pe1", "pe2")
    running = _run([DeviceChange(_intent("pe1")), DeviceChange(_intent("pe2"))],
                   FakeConnector(devs))
    assert set(running) == {"pe1", "pe2"}
    for name, dev in devs.items():
        assert not diff_intent(_intent(name), running[name])
        assert FOREIGN in dev.running.interfaces
        assert not dev.locked


@pytest.mark.parametrize("stage", ["prepare", "commit", "confirm"])
def test_a_failure_on_one_device_leaves_every_device_as_it_was(stage: str) -> None:
    devs = _devices("pe1", "pe2", "pe3")
    before = {n: d.running for n, d in devs.items()}
    devs["pe2"].fail_at = stage
    with pytest.raises(TransactionFailed) as info:
        _run([DeviceChange(_intent(n)) for n in devs], FakeConnector(devs))
    assert info.value.device == "pe2" and info.value.stage == stage
    assert f"{stage} refused by pe2" in str(info.value)
    for name, dev in devs.items():
        assert dev.running == before[name], name
        assert not dev.locked


def test_an_unreachable_device_stops_the_change_before_any_device_is_touched() -> None:
    devs = _devices("pe1", "pe2")
    with pytest.raises(TransactionFailed) as info:
        _run([DeviceChange(_intent(n)) for n in devs], FakeConnector(devs, {"pe1"}))
    assert info.value.stage == "connect" and info.value.temporary
    assert devs["pe2"].calls == ["close"]


def test_update_removes_exactly_the_entries_netorch_dropped() -> None:
    devs = _devices("pe1")
    _run([DeviceChange(_intent("pe1", 101))], FakeConnector(devs))
    _run([DeviceChange(_intent("pe1", 102), previous=_intent("pe1", 101))],
         FakeConnector(devs))
    names = {i.name for i in devs["pe1"].running.interfaces}
    assert names == {"eth1.102", FOREIGN.name}


def _driver(tmp_path: Path, devs: dict[str, FakeDevice]) -> NetworkDriver:
    return NetworkDriver(Ledger(tmp_path / "ledger.db"),
                         {DeviceDriverKind.NETCONF: FakeConnector(devs)})


def _req(key: str, service: str, *names: str, vlan: int = 101) -> CreateRequest:
    return CreateRequest(key=key, kind=ResourceKind.NETCONFIG, name="cfg", service=service,
                         node_id="network-config", node_type="netorch.nodes.network.Stitching",
                         properties={"devices": {n: _intent(n, vlan).to_dict() for n in names}})


def test_driver_terminate_removes_only_what_it_added(tmp_path: Path) -> None:
    devs = _devices("pe1", "pe2")
    drv = _driver(tmp_path, devs)
    state = asyncio.run(drv.create(_req("k1", "svc", "pe1", "pe2")))
    assert state.attributes["devices"] == ["pe1", "pe2"]
    vrfs = {v.name for v in devs["pe1"].running.vrfs}
    assert vrfs == {"svc-left"}  # qualified by the service instance name
    assert [s.key for s in asyncio.run(drv.list())] == ["k1"]
    asyncio.run(drv.delete(ResourceRef("k1", ResourceKind.NETCONFIG)))
    for dev in devs.values():
        assert dev.running.interfaces == (FOREIGN,) and not dev.running.vrfs
    assert asyncio.run(drv.read(ResourceRef("k1", ResourceKind.NETCONFIG))) is None
    asyncio.run(drv.delete(ResourceRef("k1", ResourceKind.NETCONFIG)))  # idempotent


def test_driver_failure_is_temporary_or_permanent_and_the_ledger_is_unchanged(
        tmp_path: Path) -> None:
    devs = _devices("pe1", "pe2")
    drv = _driver(tmp_path, devs)
    devs["pe2"].fail_at, devs["pe2"].temporary = "prepare", True
    with pytest.raises(TemporaryError, match="pe2: prepare failed"):
        asyncio.run(drv.create(_req("k1", "svc", "pe1", "pe2")))
    devs["pe2"].temporary = False
    with pytest.raises(PermanentError, match="rolled back on pe1, pe2"):
        asyncio.run(drv.create(_req("k1", "svc", "pe1", "pe2")))
    entry = drv.ledger.get("k1")
    assert entry is not None and entry.applied == {} and entry.pending is None


def test_driver_refuses_a_vlan_another_service_configured(tmp_path: Path) -> None:
    devs = _devices("pe1")
    drv = _driver(tmp_path, devs)
    asyncio.run(drv.create(_req("k1", "svc1", "pe1")))
    with pytest.raises(PermanentError, match="already configured by service 'svc1'"):
        asyncio.run(drv.create(_req("k2", "svc2", "pe1")))


def test_drift_reports_a_changed_entry(tmp_path: Path) -> None:
    devs = _devices("pe1")
    drv = _driver(tmp_path, devs)
    asyncio.run(drv.create(_req("k1", "svc", "pe1")))
    assert asyncio.run(drv.drift("k1")) == []
    r = devs["pe1"].running
    devs["pe1"].running = DeviceIntent(device=r.device, interfaces=r.interfaces,
                                       vrfs=(Vrf("svc-left", rd="1:1",
                                                 interfaces=("eth1.101",)),),
                                       chains=r.chains)
    drift = asyncio.run(drv.drift("k1"))
    assert [(d.path, d.intended, d.running) for d in drift] == [
        ("/vrfs/vrf[name=svc-left]/rd", "65000:1", "1:1")]
