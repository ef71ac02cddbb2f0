"""``cisco_ios`` platform: an IOS-style L2 switch (also fake-switches ``cisco_generic``).

A sub-interface ``<parent>.<vlan>`` of the intent becomes, on a switch, the VLAN itself
(``vlan N`` / ``name``), the parent port as an access port of that VLAN (``interface X`` /
``description`` / ``switchport access vlan N``) and, when the link is routed, the VLAN's SVI
(``interface VlanN`` / ``ip address A MASK``); IEEE 802.1Q VLAN ids 2..4094. Blocks are left with
``exit`` (fake-switches has no ``end``). Removing an entry deletes its VLAN and SVI and returns
the port to defaults (``no description``, ``no switchport access vlan``); ports are physical and
never deleted. VRFs and service chains are not expressible here and are refused.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from string import Template

from netorch.drivers.cli.platform import ObjectState, Snapshot
from netorch.model.errors import PermanentError
from netorch.model.network import DeviceIntent, SubInterface

VLAN_BLOCK = Template("vlan $vlan")
VLAN_NAME = Template("name $name")
VLAN_REMOVE = Template("no vlan $vlan")
PORT_BLOCK = Template("interface $port")
PORT_DESCRIPTION = Template("description $description")
PORT_ACCESS = Template("switchport access vlan $vlan")
SVI_BLOCK = Template("interface Vlan$vlan")
SVI_ADDRESS = Template("ip address $address $mask")
SVI_REMOVE = Template("no interface Vlan$vlan")
EXIT = "exit"

SHOW_RUNNING = "show running-config"
VLAN_NAME_MAX = 32


def vlan_name(tag: str, vlan: int) -> str:
    """The VLAN's name: the intent's tag made IOS-safe (``netorch:svc-a`` → ``netorch-svc-a``),
    so an operator can tell netorch's VLANs apart."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", tag).strip("-")
    return (safe or f"netorch-{vlan}")[:VLAN_NAME_MAX]


def _address(prefix: str) -> str:
    try:
        iface = ipaddress.IPv4Interface(prefix)
    except ValueError as exc:
        raise PermanentError(f"cisco_ios: bad ipv4 prefix {prefix!r}: {exc}") from exc
    return f"{iface.ip} {iface.netmask}"


def _prefix(address: str) -> str | None:
    ip, _, mask = address.partition(" ")
    try:
        return str(ipaddress.IPv4Interface(f"{ip}/{mask}"))
    except ValueError:
        return None


def _check_line(value: str, what: str) -> str:
    if any(ch in value for ch in "\n\r\x00?"):
        raise PermanentError(f"cisco_ios: {what} {value!r} contains a character IOS cannot take")
    return value


def _port_state(sub: SubInterface) -> dict[str, str]:
    state = {"access_vlan": str(sub.vlan)}
    if sub.description:
        state["description"] = _check_line(sub.description, "description")
    return state


class CiscoIosPlatform:
    """IOS line rendering (netmiko ``cisco_ios``)."""

    name: str = "cisco_ios"
    device_type: str = "cisco_ios"
    uses_enable: bool = True
    config_mode: bool = True
    error_markers: tuple[str, ...] = (
        "% Invalid", "% Unknown", "% Incomplete", "% Ambiguous", "% Error", "No such command",
        "Command rejected")

    def desired(self, intended: DeviceIntent, previous: DeviceIntent | None) -> Snapshot:
        if intended.vrfs or intended.chains:
            raise PermanentError("cisco_ios: VRFs and service chains cannot be configured on this "
                                 "platform (only VLAN sub-interfaces)")
        target: Snapshot = {}
        if previous is not None:
            for sub in previous.interfaces:
                target[f"vlan/{sub.vlan}"] = None
                target[f"port/{sub.parent}"] = {}
                if sub.ipv4_prefix:
                    target[f"svi/{sub.vlan}"] = None
        parents: set[str] = set()
        for sub in intended.interfaces:
            if not 2 <= sub.vlan <= 4094:
                raise PermanentError(f"cisco_ios: VLAN {sub.vlan} of {sub.name} is outside "
                                     "2..4094")
            if sub.parent in parents:
                raise PermanentError(f"cisco_ios: port {sub.parent} carries two sub-interfaces; "
                                     "an access port has one VLAN")
            parents.add(_check_line(sub.parent, "port"))
            target[f"vlan/{sub.vlan}"] = {"name": vlan_name(intended.tag, sub.vlan)}
            target[f"port/{sub.parent}"] = _port_state(sub)
            if sub.ipv4_prefix:
                target[f"svi/{sub.vlan}"] = {"ip_address": _address(sub.ipv4_prefix)}
        return target

    def lines(self, changes: Mapping[str, ObjectState]) -> list[str]:
        def of(kind: str, present: bool) -> list[tuple[str, Mapping[str, str] | None]]:
            return [(key.partition("/")[2], state) for key, state in changes.items()
                    if key.partition("/")[0] == kind and (state is not None) == present]

        out: list[str] = []
        for vlan, state in of("vlan", True):
            out.append(VLAN_BLOCK.substitute(vlan=vlan))
            if state and state.get("name"):
                out.append(VLAN_NAME.substitute(name=state["name"]))
            out.append(EXIT)
        for port, state in of("port", True):
            state = state or {}
            out.append(PORT_BLOCK.substitute(port=port))
            out.append(PORT_DESCRIPTION.substitute(description=state["description"])
                       if state.get("description") else "no description")
            out.append(PORT_ACCESS.substitute(vlan=state["access_vlan"])
                       if state.get("access_vlan") else "no switchport access vlan")
            out.append(EXIT)
        for vlan, state in of("svi", True):
            out.append(SVI_BLOCK.substitute(vlan=vlan))
            if state and state.get("ip_address"):
                address, _, mask = state["ip_address"].partition(" ")
                out.append(SVI_ADDRESS.substitute(address=address, mask=mask))
            else:
                out.append("no ip address")
            out.append(EXIT)
        out.extend(SVI_REMOVE.substitute(vlan=vlan) for vlan, _ in of("svi", False))
        out.extend(VLAN_REMOVE.substitute(vlan=vlan) for vlan, _ in of("vlan", False))
        return out

    def show_commands(self, keys: Sequence[str]) -> list[str]:
        return [SHOW_RUNNING]

    def parse(self, keys: Sequence[str], outputs: Sequence[str]) -> Snapshot:
        blocks = _blocks("\n".join(outputs))
        out: Snapshot = {}
        for key in keys:
            kind, _, ident = key.partition("/")
            if kind == "vlan":
                body = blocks.get(f"vlan {ident}")
                out[key] = None if body is None else _attrs(body, {"name": "name"})
            elif kind == "port":
                body = blocks.get(f"interface {ident}")
                out[key] = None if body is None else _attrs(
                    body, {"description": "description", "switchport access vlan": "access_vlan"})
            elif kind == "svi":
                body = blocks.get(f"interface Vlan{ident}")
                out[key] = None if body is None else _attrs(body, {"ip address": "ip_address"})
            else:
                out[key] = None
        return out

    def to_intent(self, names_of: DeviceIntent, running: Snapshot) -> DeviceIntent:
        found: list[SubInterface] = []
        for sub in names_of.interfaces:
            vlan = running.get(f"vlan/{sub.vlan}")
            port = running.get(f"port/{sub.parent}")
            if vlan is None or port is None or port.get("access_vlan") != str(sub.vlan):
                continue
            svi = running.get(f"svi/{sub.vlan}")
            address = None if svi is None else svi.get("ip_address")
            found.append(SubInterface(parent=sub.parent, vlan=sub.vlan,
                                      description=port.get("description", ""),
                                      ipv4_prefix=None if address is None else _prefix(address)))
        return DeviceIntent(device=names_of.device, interfaces=tuple(found), tag=names_of.tag)


def _blocks(text: str) -> dict[str, list[str]]:
    """Top-level blocks of an IOS running-config: header line → its indented lines."""
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line or line.startswith("!"):
            current = None
        elif line[0].isspace():
            if current is not None:
                current.append(line.strip())
        else:
            current = blocks.setdefault(line, [])
    return blocks


def _attrs(body: Sequence[str], wanted: Mapping[str, str]) -> dict[str, str]:
    state: dict[str, str] = {}
    for line in body:
        for prefix, attr in wanted.items():
            if line.startswith(prefix + " "):
                state[attr] = line[len(prefix) + 1:]
    return state


PLATFORM = CiscoIosPlatform()
