"""The SNMP driver against the session lab's net-snmp ``snmpd`` agents (``netorch lab up``,
see ``lab_fixture``): one per NETCONF device, in the device's network namespace (its ifTable
is the device's ``lo``/``eth0``/``eth1``), sysName = the device name, a v2c community and a
v3 authPriv (SHA/AES) user, both in the lab's secrets file."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest
import yaml
from lab_fixture import lab_device, lab_session_fixture  # noqa: F401

from netorch.drivers.snmp import SnmpDriver
from netorch.drivers.snmp.mapping import IF_DESCR, SYS_NAME
from netorch.drivers.snmp.types import DeviceHealth
from netorch.lab import launcher
from netorch.lab.inventory import Inventory
from netorch.model.errors import PermanentError, TemporaryError
from netorch.model.network import DeviceDriverKind, DeviceEndpoint, SnmpAccess

T = TypeVar("T")

AGENT = "pe1"
LINK_DOWN_DEVICE = "pe3"
"""The device whose ``eth1`` is taken down (and brought back) by the health test."""


@pytest.fixture
def secrets(lab: Inventory) -> dict[str, dict[str, Any]]:
    """The lab's SNMP secrets, plus deliberately wrong ones."""
    snmp: dict[str, dict[str, Any]] = yaml.safe_load(lab.secrets_file.read_text())["snmp"]
    v3 = snmp[f"{AGENT}-snmp-v3"]
    return {"v2c": snmp[f"{AGENT}-snmp"], "v3": v3,
            "v2c-wrong": {"community": "not-the-community"},
            "v3-wrong-auth": {**v3, "auth_key": "wrong-auth-key",
                              "auth_protocol": v3["auth_protocol"].lower(),
                              "priv_protocol": v3["priv_protocol"].lower()}}


def run(secrets: dict[str, dict[str, Any]], body: Callable[[SnmpDriver], Awaitable[T]]) -> T:
    async def main() -> T:
        driver = SnmpDriver(resolver=lambda name: secrets[name], timeout_s=0.5, retries=0)
        try:
            return await body(driver)
        finally:
            await driver.close()

    return asyncio.run(main())


def access(lab: Inventory, creds: str, version: str = "2c", device: str = AGENT) -> SnmpAccess:
    snmp = lab_device(lab, device).endpoint.snmp
    assert snmp is not None, f"{device} has no snmpd in the lab"
    return SnmpAccess(host=snmp.host, port=snmp.port, version=version, credentials=creds)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_v2c_get_and_walk(lab: Inventory, secrets: dict[str, dict[str, Any]]) -> None:
    target = access(lab, "v2c")
    values = run(secrets, lambda d: d.get(target, [SYS_NAME, "1.3.6.1.2.1.1.99.0"]))
    assert values == {SYS_NAME: AGENT, "1.3.6.1.2.1.1.99.0": None}
    rows = run(secrets, lambda d: d.walk(target, IF_DESCR))
    assert rows and all(oid.startswith(IF_DESCR + ".") for oid, _ in rows)
    assert sorted(value for _, value in rows) == ["eth0", "eth1", "lo"]  # the device's ports

    info = run(secrets, lambda d: d.system_info(target))
    assert info.name == AGENT
    assert info.object_id.startswith("1.3.6.1.4.1.8072.")     # net-snmp's enterprise
    assert info.uptime_ticks >= 0 and info.descr.startswith(f"netorch lab device {AGENT}")
    interfaces = run(secrets, lambda d: d.interfaces(target))
    lo = next(i for i in interfaces if i.descr == "lo")
    assert (lo.admin_status, lo.oper_status) == (1, 1)
    assert [i.index for i in interfaces] == sorted(i.index for i in interfaces)


def test_v3_auth_priv_get(lab: Inventory, secrets: dict[str, dict[str, Any]]) -> None:
    values = run(secrets, lambda d: d.get(access(lab, "v3", "3"), [SYS_NAME]))
    assert values == {SYS_NAME: AGENT}


def test_wrong_community_is_a_timeout(lab: Inventory,
                                      secrets: dict[str, dict[str, Any]]) -> None:
    # an SNMPv2c agent drops requests with an unknown community: only a timeout tells
    with pytest.raises(TemporaryError, match="No SNMP response"):
        run(secrets, lambda d: d.get(access(lab, "v2c-wrong"), [SYS_NAME]))


def test_wrong_v3_auth_key_is_permanent(lab: Inventory,
                                        secrets: dict[str, dict[str, Any]]) -> None:
    with pytest.raises(PermanentError, match="Wrong SNMP PDU digest"):
        run(secrets, lambda d: d.get(access(lab, "v3-wrong-auth", "3"), [SYS_NAME]))


def test_unreachable_agent_in_health(secrets: dict[str, dict[str, Any]]) -> None:
    dev = DeviceEndpoint(name="gone", driver=DeviceDriverKind.SNMP_ONLY, platform="", port=22,
                         host="127.0.0.1", credentials="x",
                         snmp=SnmpAccess("127.0.0.1", free_udp_port(), "2c", "v2c"))
    health = run(secrets, lambda d: d.health(dev))
    assert not health.reachable and health.error and "No SNMP response" in health.error


@pytest.fixture
def link_restored(lab: Inventory) -> Iterator[str]:
    """``pe3``, whose ``eth1`` the test may take down: brought up again afterwards."""
    lab_device(lab, LINK_DOWN_DEVICE)
    try:
        yield LINK_DOWN_DEVICE
    finally:
        launcher.set_link(lab.lab_dir, LINK_DOWN_DEVICE, "eth1", up=True)


def test_interface_down_shows_in_health(lab: Inventory, secrets: dict[str, dict[str, Any]],
                                        link_restored: str) -> None:
    name = link_restored
    device = DeviceEndpoint(name=name, driver=DeviceDriverKind.SNMP_ONLY, platform="",
                            host="127.0.0.1", port=22, credentials="x",
                            snmp=access(lab, "v3", "3", device=name))

    def health_until(done: Callable[[DeviceHealth], bool]) -> DeviceHealth:
        """snmpd caches its ifTable for a few seconds: poll (at most 15 s)."""
        deadline = time.monotonic() + 15
        while True:
            health = run(secrets, lambda d: d.health(device))
            if done(health) or time.monotonic() > deadline:
                return health
            time.sleep(0.25)

    def eth0_down(h: DeviceHealth) -> bool:
        return any(i.descr == "eth0" for i in h.interfaces_down)

    healthy = health_until(lambda h: h.healthy)
    assert healthy.reachable and healthy.healthy, healthy
    # eth0 and eth1 are the two ends of a veth pair: shutting eth1 (admin down: not a fault)
    # takes eth0's link away while eth0 stays admin up, which is a fault (RFC 2863 §3.1.13).
    launcher.set_link(lab.lab_dir, name, "eth1", up=False)
    sick = health_until(eth0_down)
    assert sick.reachable and not sick.healthy
    assert sick.uptime_s is not None
    assert [(i.descr, i.admin_status) for i in sick.interfaces_down] == [("eth0", 1)], sick
    assert sick.interfaces_down[0].oper_status != 1
    launcher.set_link(lab.lab_dir, name, "eth1", up=True)
    assert health_until(lambda h: h.healthy).healthy


def test_registry_prober_reads_the_secrets_file(lab: Inventory) -> None:
    from netorch.drivers.network.base import ConnectorOptions
    from netorch.drivers.network.registry import prober

    probe = prober(ConnectorOptions(secrets_file=lab.secrets_file,
                                    known_hosts=lab.known_hosts))
    assert probe is not None
    pe1 = lab_device(lab, AGENT).endpoint
    for snmp in (pe1.snmp, access(lab, f"{AGENT}-snmp-v3", "3")):
        dev = DeviceEndpoint(name=pe1.name, driver=pe1.driver, platform=pe1.platform,
                             host=pe1.host, port=pe1.port, credentials=pe1.credentials,
                             snmp=snmp)
        inventory = asyncio.run(probe(dev))
        assert inventory["name"] == AGENT and inventory["uptime_ticks"] >= 0
