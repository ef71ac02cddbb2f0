"""SNMP result mapping: values, system group, ifTable rows, health, credentials, errors."""

from __future__ import annotations

import asyncio

import pytest
from pysnmp.proto import errind, rfc1902, rfc1905

from netorch.drivers.snmp import SnmpDriver
from netorch.drivers.snmp.auth import Community, UsmUser, auth_from_mapping
from netorch.drivers.snmp.client import to_python
from netorch.drivers.snmp.mapping import (
    IF_ADMIN_STATUS,
    IF_DESCR,
    IF_INDEX,
    IF_OPER_STATUS,
    SYS_DESCR,
    SYS_NAME,
    SYS_OBJECT_ID,
    SYS_UPTIME,
    interfaces,
    system_info,
)
from netorch.drivers.snmp.types import DeviceHealth, InterfaceStatus
from netorch.model.errors import PermanentError, TemporaryError
from netorch.model.network import DeviceDriverKind, DeviceEndpoint, SnmpAccess


def test_values_to_python() -> None:
    assert to_python(rfc1902.OctetString(b"eth0")) == "eth0"
    assert to_python(rfc1902.OctetString(b"\x00\x1b")) == "0x001b"
    assert to_python(rfc1902.IpAddress("10.0.0.1")) == "10.0.0.1"
    assert to_python(rfc1902.ObjectIdentifier("1.3.6.1.4.1.8072")) == "1.3.6.1.4.1.8072"
    assert to_python(rfc1902.TimeTicks(4200)) == 4200
    assert to_python(rfc1902.Counter64(2**40)) == 2**40
    assert to_python(rfc1905.NoSuchInstance()) is None
    assert to_python(rfc1905.EndOfMibView()) is None


def test_system_info() -> None:
    info = system_info({SYS_DESCR: "Linux pe1", SYS_OBJECT_ID: "1.3.6.1.4.1.8072.3.2.10",
                        SYS_UPTIME: 12345, SYS_NAME: "pe1"})
    assert (info.name, info.descr, info.object_id, info.uptime_ticks) == (
        "pe1", "Linux pe1", "1.3.6.1.4.1.8072.3.2.10", 12345)
    assert info.uptime_s == pytest.approx(123.45)
    assert system_info({}).name == ""


def test_interface_rows() -> None:
    rows = interfaces({
        IF_INDEX: [(f"{IF_INDEX}.1", 1), (f"{IF_INDEX}.4", 4)],
        IF_DESCR: [(f"{IF_DESCR}.1", "lo"), (f"{IF_DESCR}.4", "eth0")],
        IF_ADMIN_STATUS: [(f"{IF_ADMIN_STATUS}.1", 1), (f"{IF_ADMIN_STATUS}.4", 1)],
        IF_OPER_STATUS: [(f"{IF_OPER_STATUS}.4", 2), (f"{IF_OPER_STATUS}.1", 1),
                         ("1.3.6.1.2.1.2.2.1.80.1", 9)],        # outside the column: ignored
    })
    assert rows == (InterfaceStatus(1, "lo", 1, 1), InterfaceStatus(4, "eth0", 1, 2))
    assert [r.is_down for r in rows] == [False, True]
    assert not InterfaceStatus(5, "eth1", admin_status=2, oper_status=2).is_down
    health = DeviceHealth("pe1", True, 1.0, interfaces_down=(rows[1],))
    assert not health.healthy
    assert health.to_dict()["interfaces_down"][0]["descr"] == "eth0"


def test_credentials_from_secrets() -> None:
    assert auth_from_mapping("2c", {"community": "public"}, "x") == Community("public")
    v3 = auth_from_mapping("3", {"user": "u", "auth_key": "authpass1", "auth_protocol": "md5",
                                 "priv_key": "privpass1", "priv_protocol": "des"}, "x")
    assert v3 == UsmUser("u", "authpass1", "MD5", "privpass1", "DES")
    assert "authpass1" not in repr(v3) and "privpass1" not in repr(v3)
    assert "public" not in repr(Community("public"))
    assert auth_from_mapping("3", {"user": "u"}, "x") == UsmUser("u", None, "NONE", None, "NONE")
    with pytest.raises(PermanentError, match="no community"):
        auth_from_mapping("2c", {}, "x")
    with pytest.raises(PermanentError, match="unknown SNMPv3 privacy protocol"):
        auth_from_mapping("3", {"user": "u", "priv_key": "k", "priv_protocol": "rot13"}, "x")
    with pytest.raises(PermanentError, match="unsupported SNMP version"):
        auth_from_mapping("4", {}, "x")


def test_error_indications() -> None:
    target = SnmpAccess("127.0.0.1", 1161, "3", "v3")
    check = SnmpDriver._check
    with pytest.raises(PermanentError, match="Wrong SNMP PDU digest"):
        check(target, errind.wrongDigest, 0, 0, [])
    with pytest.raises(PermanentError, match="Unknown USM user"):
        check(target, errind.unknownUserName, 0, 0, [])
    with pytest.raises(TemporaryError, match="wrong community"):
        check(target, errind.requestTimedOut, 0, 0, [])
    oid = rfc1902.ObjectName("1.3.6.1.2.1.1.5.0")
    with pytest.raises(PermanentError, match=r"authorizationError at 1\.3\.6\.1\.2\.1\.1\.5\.0"):
        check(target, None, rfc1905.errorStatus.clone(16), 1, [(oid, None)])
    with pytest.raises(TemporaryError, match="genErr"):
        check(target, None, rfc1905.errorStatus.clone(5), 1, [(oid, None)])
    check(target, None, 0, 0, [])


def test_health_needs_snmp_access_and_credentials() -> None:
    dev = DeviceEndpoint("pe1", DeviceDriverKind.NETCONF, "yuma123", "127.0.0.1", 830, "pe1")

    async def main() -> None:
        driver = SnmpDriver(resolver=lambda name: {})
        with pytest.raises(PermanentError, match="no SNMP access"):
            await driver.health(dev)
        with pytest.raises(PermanentError, match="names no credentials"):
            await driver.get(SnmpAccess("127.0.0.1"), [SYS_NAME])
        await driver.close()

    asyncio.run(main())
