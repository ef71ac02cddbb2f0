"""``cisco_ios`` CLI platform: intent → IOS lines, running-config → intent (golden strings)."""

from __future__ import annotations

import pytest

from netorch.drivers.cli.platform import changed
from netorch.drivers.cli.platforms.cisco_ios import PLATFORM as IOS
from netorch.drivers.cli.platforms.cisco_ios import vlan_name
from netorch.model.errors import PermanentError
from netorch.model.network import (
    Chain,
    ChainHop,
    DeviceDriverKind,
    DeviceEndpoint,
    DeviceIntent,
    SubInterface,
    Vrf,
)

DEV = DeviceEndpoint("sw2", DeviceDriverKind.CLI, "cisco_ios", "127.0.0.1", 2201, "sw2")
V1 = DeviceIntent(device=DEV, tag="netorch:svc1", interfaces=(
    SubInterface("FastEthernet0/1", 100, "netorch:svc1 uplink", "10.1.0.1/24"),
    SubInterface("FastEthernet0/2", 101, "netorch:svc1 nat")))

RUNNING = """Building configuration...

Current configuration : 531 bytes
version 12.1
!
hostname sw2
!
vlan 1
!
vlan 100
 name netorch-svc1
!
vlan 101
 name netorch-svc1
!
vlan 300
!
interface FastEthernet0/1
 description netorch:svc1 uplink
 switchport access vlan 100
!
interface FastEthernet0/2
 description netorch:svc1 nat
 switchport access vlan 101
!
interface FastEthernet0/3
!
interface Vlan100
 ip address 10.1.0.1 255.255.255.0
!
end
"""


def test_render_golden() -> None:
    assert IOS.lines(IOS.desired(V1, None)) == [
        "vlan 100", "name netorch-svc1", "exit",
        "vlan 101", "name netorch-svc1", "exit",
        "interface FastEthernet0/1", "description netorch:svc1 uplink",
        "switchport access vlan 100", "exit",
        "interface FastEthernet0/2", "description netorch:svc1 nat",
        "switchport access vlan 101", "exit",
        "interface Vlan100", "ip address 10.1.0.1 255.255.255.0", "exit",
    ]


def test_update_removes_only_dropped_entries() -> None:
    v2 = DeviceIntent(device=DEV, tag="netorch:svc1", interfaces=(
        SubInterface("FastEthernet0/1", 100, "netorch:svc1 uplink"),))
    running = IOS.parse(list(IOS.desired(v2, V1)), [RUNNING])
    assert IOS.lines(changed(IOS.desired(v2, V1), running)) == [
        "interface FastEthernet0/2", "no description", "no switchport access vlan", "exit",
        "no interface Vlan100",
        "no vlan 101",
    ]


def test_parse_running_config() -> None:
    keys = ["vlan/100", "vlan/300", "vlan/999", "port/FastEthernet0/1", "port/FastEthernet0/3",
            "port/FastEthernet0/99", "svi/100", "svi/101"]
    assert IOS.parse(keys, [RUNNING]) == {
        "vlan/100": {"name": "netorch-svc1"}, "vlan/300": {}, "vlan/999": None,
        "port/FastEthernet0/1": {"description": "netorch:svc1 uplink", "access_vlan": "100"},
        "port/FastEthernet0/3": {}, "port/FastEthernet0/99": None,
        "svi/100": {"ip_address": "10.1.0.1 255.255.255.0"}, "svi/101": None}
    running = IOS.parse(list(IOS.desired(V1, None)), [RUNNING])
    assert changed(IOS.desired(V1, None), running) == {}
    assert IOS.to_intent(V1, running) == V1


def test_restore_pre_image_lines() -> None:
    pre = {"vlan/100": None, "port/FastEthernet0/1": {"description": "operator"}}
    now = {"vlan/100": {"name": "x"}, "port/FastEthernet0/1": {"access_vlan": "100"}}
    assert IOS.lines(changed(pre, now)) == [
        "interface FastEthernet0/1", "description operator", "no switchport access vlan",
        "exit", "no vlan 100"]


def test_refusals() -> None:
    with pytest.raises(PermanentError, match="VRFs and service chains"):
        IOS.desired(DeviceIntent(device=DEV, vrfs=(Vrf("a"),)), None)
    with pytest.raises(PermanentError, match="VRFs and service chains"):
        IOS.desired(DeviceIntent(device=DEV, chains=(Chain("c", (ChainHop(1, "fw"),)),)), None)
    with pytest.raises(PermanentError, match="outside"):
        IOS.desired(DeviceIntent(device=DEV, interfaces=(SubInterface("Fa0/1", 4095),)), None)
    with pytest.raises(PermanentError, match="two sub-interfaces"):
        IOS.desired(DeviceIntent(device=DEV, interfaces=(
            SubInterface("Fa0/1", 10), SubInterface("Fa0/1", 11))), None)
    with pytest.raises(PermanentError, match="bad ipv4 prefix"):
        IOS.desired(DeviceIntent(device=DEV, interfaces=(
            SubInterface("Fa0/1", 10, ipv4_prefix="10.0.0.300/24"),)), None)


def test_vlan_names() -> None:
    assert vlan_name("netorch:svc 1", 5) == "netorch-svc-1"
    assert vlan_name("", 5) == "netorch-5"
    assert len(vlan_name("netorch:" + "x" * 60, 5)) == 32
