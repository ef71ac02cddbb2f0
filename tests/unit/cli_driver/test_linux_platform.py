"""``linux`` CLI platform: intent → file-store lines, show output → intent (golden strings)."""

from __future__ import annotations

import pytest

from netorch.drivers.cli.platform import changed
from netorch.drivers.cli.platforms import platform_for
from netorch.drivers.cli.platforms.linux import LinuxPlatform, file_name, key_of_file
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

DEV = DeviceEndpoint("sw1", DeviceDriverKind.CLI, "linux", "127.0.0.1", 2222, "sw1")
LINUX = LinuxPlatform("netorch-config")

V1 = DeviceIntent(
    device=DEV, tag="netorch:svc1",
    interfaces=(SubInterface("eth1", 101, "to fw", "10.1.0.1/24"),),
    vrfs=(Vrf("svc1-blue", rd="65000:1", import_targets=("65000:1", "65000:2"),
              interfaces=("eth1.101",)),),
    chains=(Chain("svc1-web", (ChainHop(2, "nat", ip_address="10.1.0.9"),
                               ChainHop(1, "fw", "eth1.101", "eth1.102"))),))


def test_render_golden() -> None:
    assert LINUX.lines(LINUX.desired(V1, None)) == [
        "mkdir -p \"$HOME/netorch-config\" && printf '%s\\n' 'description=to fw' "
        "ipv4_prefix=10.1.0.1/24 parent=eth1 tag=netorch:svc1 vlan=101 "
        "> \"$HOME/netorch-config\"/interface--eth1.101.conf",
        "mkdir -p \"$HOME/netorch-config\" && printf '%s\\n' export_targets= "
        "import_targets=65000:1,65000:2 interfaces=eth1.101 rd=65000:1 tag=netorch:svc1 "
        "> \"$HOME/netorch-config\"/vrf--svc1-blue.conf",
        "mkdir -p \"$HOME/netorch-config\" && printf '%s\\n' description= hop.1=fw,eth1.101,"
        "eth1.102, hop.2=nat,,,10.1.0.9 tag=netorch:svc1 "
        "> \"$HOME/netorch-config\"/chain--svc1-web.conf",
    ]


def test_removal_of_dropped_entries_only() -> None:
    v2 = DeviceIntent(device=DEV, tag="netorch:svc1",
                      interfaces=(SubInterface("eth1", 101, "to fw", "10.1.0.1/24"),))
    desired = LINUX.desired(v2, previous=V1)
    assert desired["vrf/svc1-blue"] is None and desired["chain/svc1-web"] is None
    running = LINUX.desired(V1, None)             # what v1 left on the device
    assert LINUX.lines(changed(desired, running)) == [
        'rm -f -- "$HOME/netorch-config"/vrf--svc1-blue.conf'
        ' && { rmdir -- "$HOME/netorch-config" 2>/dev/null || true; }',
        'rm -f -- "$HOME/netorch-config"/chain--svc1-web.conf'
        ' && { rmdir -- "$HOME/netorch-config" 2>/dev/null || true; }',
    ]


def test_parse_show_output_back_to_intent() -> None:
    output = "\n".join([
        "interface--eth1.101.conf:description=to fw",
        "interface--eth1.101.conf:ipv4_prefix=10.1.0.1/24",
        "interface--eth1.101.conf:parent=eth1",
        "interface--eth1.101.conf:tag=netorch:svc1",
        "interface--eth1.101.conf:vlan=101",
        "vrf--svc1-blue.conf:rd=65000:1",
        "vrf--svc1-blue.conf:import_targets=65000:1,65000:2",
        "vrf--svc1-blue.conf:export_targets=",
        "vrf--svc1-blue.conf:interfaces=eth1.101",
        "vrf--svc1-blue.conf:tag=netorch:svc1",
        "chain--svc1-web.conf:description=",
        "chain--svc1-web.conf:hop.1=fw,eth1.101,eth1.102,",
        "chain--svc1-web.conf:hop.2=nat,,,10.1.0.9",
        "chain--svc1-web.conf:tag=netorch:svc1",
        "interface--eth9.conf:description=operator's",   # foreign: not named, not returned
        "notes.txt:whatever",
    ])
    keys = list(LINUX.desired(V1, None))
    running = LINUX.parse(keys, [output])
    assert changed(LINUX.desired(V1, None), running) == {}
    read = LINUX.to_intent(V1, running)
    assert read.interfaces == V1.interfaces and read.vrfs == V1.vrfs
    assert read.chains[0].hops == tuple(sorted(V1.chains[0].hops, key=lambda h: h.index))
    absent = LINUX.to_intent(V1, LINUX.parse(keys, [""]))
    assert absent.is_empty()


def test_names_are_safe_file_names() -> None:
    assert file_name("interface/Gi0/1.100") == "interface--Gi0%2F1.100.conf"
    assert key_of_file("interface--Gi0%2F1.100.conf") == "interface/Gi0/1.100"
    assert key_of_file("notes.txt") is None and key_of_file("other--x.conf") is None
    weird = DeviceIntent(device=DEV, interfaces=(SubInterface("eth'1", 5, "a'b; rm -rf ~"),))
    (line,) = LINUX.lines(LINUX.desired(weird, None))
    assert "'description=a'\"'\"'b; rm -rf ~'" in line
    assert "interface--eth%271.5.conf" in line


def test_refuses_values_the_store_cannot_hold() -> None:
    bad = DeviceIntent(device=DEV, interfaces=(SubInterface("eth1", 5, "two\nlines"),))
    with pytest.raises(PermanentError, match="cannot hold"):
        LINUX.desired(bad, None)


def test_platform_registry() -> None:
    assert platform_for("linux").device_type == "linux"
    assert platform_for("cisco_ios").device_type == "cisco_ios"
    with pytest.raises(PermanentError, match="no CLI platform 'junos'"):
        platform_for("junos")
