"""The SNMP driver against a real net-snmp ``snmpd`` (v2c community and v3 authPriv user)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from cli_snmp_fixtures import (  # noqa: F401
    SNMP_AUTH,
    SNMP_COMMUNITY,
    SNMP_PRIV,
    SNMP_USER,
    Snmpd,
    free_port,
    snmpd,
    start_snmpd,
)

from netorch.drivers.snmp import SnmpDriver
from netorch.drivers.snmp.mapping import IF_DESCR, SYS_NAME
from netorch.model.errors import PermanentError, TemporaryError
from netorch.model.network import DeviceDriverKind, DeviceEndpoint, SnmpAccess

T = TypeVar("T")

SECRETS: dict[str, dict[str, Any]] = {
    "v2c": {"community": SNMP_COMMUNITY},
    "v2c-wrong": {"community": "not-the-community"},
    "v3": {"user": SNMP_USER, "auth_key": SNMP_AUTH, "auth_protocol": "SHA",
           "priv_key": SNMP_PRIV, "priv_protocol": "AES"},
    "v3-wrong-auth": {"user": SNMP_USER, "auth_key": "wrong-auth-key", "auth_protocol": "sha",
                      "priv_key": SNMP_PRIV, "priv_protocol": "aes"},
}


def run(body: Callable[[SnmpDriver], Awaitable[T]]) -> T:
    async def main() -> T:
        driver = SnmpDriver(resolver=lambda name: SECRETS[name], timeout_s=0.5, retries=0)
        try:
            return await body(driver)
        finally:
            await driver.close()

    return asyncio.run(main())


def access(agent: Snmpd, creds: str, version: str = "2c") -> SnmpAccess:
    return SnmpAccess(host="127.0.0.1", port=agent.port, version=version, credentials=creds)


def test_v2c_get_and_walk(snmpd: Snmpd) -> None:  # noqa: F811
    target = access(snmpd, "v2c")
    values = run(lambda d: d.get(target, [SYS_NAME, "1.3.6.1.2.1.1.99.0"]))
    assert values == {SYS_NAME: "netorch-snmpd", "1.3.6.1.2.1.1.99.0": None}
    rows = run(lambda d: d.walk(target, IF_DESCR))
    assert rows and all(oid.startswith(IF_DESCR + ".") for oid, _ in rows)
    assert "lo" in [value for _, value in rows]

    info = run(lambda d: d.system_info(target))
    assert info.name == "netorch-snmpd"
    assert info.object_id.startswith("1.3.6.1.4.1.8072.")     # net-snmp's enterprise
    assert info.uptime_ticks >= 0 and info.descr
    interfaces = run(lambda d: d.interfaces(target))
    lo = next(i for i in interfaces if i.descr == "lo")
    assert (lo.admin_status, lo.oper_status) == (1, 1)
    assert [i.index for i in interfaces] == sorted(i.index for i in interfaces)


def test_v3_auth_priv_get(snmpd: Snmpd) -> None:  # noqa: F811
    values = run(lambda d: d.get(access(snmpd, "v3", "3"), [SYS_NAME]))
    assert values == {SYS_NAME: "netorch-snmpd"}


def test_wrong_community_is_a_timeout(snmpd: Snmpd) -> None:  # noqa: F811
    # an SNMPv2c agent drops requests with an unknown community: only a timeout tells
    with pytest.raises(TemporaryError, match="No SNMP response"):
        run(lambda d: d.get(access(snmpd, "v2c-wrong"), [SYS_NAME]))


def test_wrong_v3_auth_key_is_permanent(snmpd: Snmpd) -> None:  # noqa: F811
    with pytest.raises(PermanentError, match="Wrong SNMP PDU digest"):
        run(lambda d: d.get(access(snmpd, "v3-wrong-auth", "3"), [SYS_NAME]))


def test_unreachable_agent_in_health(snmpd: Snmpd) -> None:  # noqa: F811
    dev = DeviceEndpoint(name="gone", driver=DeviceDriverKind.SNMP_ONLY, platform="", port=22,
                         host="127.0.0.1", credentials="x",
                         snmp=SnmpAccess("127.0.0.1", free_port(), "2c", "v2c"))
    health = run(lambda d: d.health(dev))
    assert not health.reachable and health.error and "No SNMP response" in health.error


def test_interface_down_shows_in_health(snmpd: Snmpd, tmp_path: Path) -> None:  # noqa: F811
    target = access(snmpd, "v2c")
    lo = next(i for i in run(lambda d: d.interfaces(target)) if i.descr == "lo")
    faulty = start_snmpd(tmp_path / "faulty", sys_name="faulty",
                         extra=(f"override .1.3.6.1.2.1.2.2.1.8.{lo.index} integer 2",))
    try:
        def device(agent: Snmpd) -> DeviceEndpoint:
            return DeviceEndpoint(name="pe9", driver=DeviceDriverKind.SNMP_ONLY, platform="",
                                  host="127.0.0.1", port=22, credentials="x",
                                  snmp=access(agent, "v3", "3"))

        healthy = run(lambda d: d.health(device(snmpd)))
        assert healthy.reachable and lo.index not in [i.index for i in healthy.interfaces_down]
        sick = run(lambda d: d.health(device(faulty)))
        assert sick.reachable and not sick.healthy
        assert sick.uptime_s is not None
        down = [i for i in sick.interfaces_down if i.index == lo.index]
        assert down and down[0].descr == "lo" and down[0].oper_status == 2
    finally:
        faulty.stop()


def test_registry_prober_reads_the_secrets_file(snmpd: Snmpd, tmp_path: Path) -> None:  # noqa: F811
    import yaml

    from netorch.drivers.network.base import ConnectorOptions
    from netorch.drivers.network.registry import prober

    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(yaml.safe_dump({"snmp": {"pe1-snmp": SECRETS["v3"]}}))
    secrets.chmod(0o600)
    probe = prober(ConnectorOptions(secrets_file=secrets, known_hosts=tmp_path / "kh"))
    assert probe is not None
    dev = DeviceEndpoint(name="pe1", driver=DeviceDriverKind.NETCONF, platform="yuma123",
                         host="127.0.0.1", port=830, credentials="pe1",
                         snmp=access(snmpd, "pe1-snmp", "3"))
    inventory = asyncio.run(probe(dev))
    assert inventory["name"] == "netorch-snmpd" and inventory["uptime_ticks"] >= 0
