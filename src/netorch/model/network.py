"""Network intent: what netorch configures on one network device for one service.

The topology layer turns a service's virtual links, device attachments and service chains into
one :class:`DeviceIntent` per device (see :mod:`netorch.topology.stitching`); the device drivers
turn an intent into a NETCONF payload (YANG bindings, ``yang/``) or CLI lines, and back, so
that what is running on a device can be compared with what was intended (drift).

Every entry netorch adds is named, so removing "exactly what netorch added" is removing these
entries by name and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class DeviceDriverKind(StrEnum):
    """How netorch talks to a device (the ``driver`` property of a device node)."""

    NETCONF = "netconf"
    CLI = "cli"
    SNMP_ONLY = "snmp-only"
    """Monitored only (inventory, health): never configured."""


@dataclass(frozen=True, slots=True)
class SnmpAccess:
    """How to poll a device over SNMP (RFC 3416 GET / GETNEXT; v2c or v3 USM authPriv)."""

    host: str
    port: int = 161
    version: str = "2c"
    """``2c`` or ``3``."""
    credentials: str | None = None
    """Name of the SNMP credentials in the secrets file (community, or v3 user and keys)."""

    def to_dict(self) -> dict[str, Any]:
        return {"host": self.host, "port": self.port, "version": self.version,
                "credentials": self.credentials}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SnmpAccess:
        creds = d.get("credentials")
        return cls(host=str(d["host"]), port=int(d.get("port", 161)),
                   version=str(d.get("version", "2c")),
                   credentials=None if creds is None else str(creds))


@dataclass(frozen=True, slots=True)
class DeviceEndpoint:
    """A managed network device or controller: where it is and how to reach it.

    ``credentials`` is a *reference* (a name in the secrets file or the environment), never
    the secret itself.
    """

    name: str
    driver: DeviceDriverKind
    platform: str
    """``yuma123``, ``linux``, ``cisco_ios``, … (the CLI driver picks its templates by it)."""
    host: str
    port: int
    credentials: str
    snmp: SnmpAccess | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "driver": self.driver.value, "platform": self.platform,
                "host": self.host, "port": self.port, "credentials": self.credentials,
                "snmp": None if self.snmp is None else self.snmp.to_dict()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DeviceEndpoint:
        snmp = d.get("snmp")
        return cls(name=str(d["name"]), driver=DeviceDriverKind(d["driver"]),
                   platform=str(d.get("platform", "")), host=str(d["host"]),
                   port=int(d["port"]), credentials=str(d.get("credentials", d["name"])),
                   snmp=None if not snmp else SnmpAccess.from_dict(snmp))


@dataclass(frozen=True, slots=True)
class SubInterface:
    """A VLAN sub-interface ``<parent>.<vlan>`` (ietf-interfaces, RFC 8343 §5)."""

    parent: str
    vlan: int
    description: str = ""
    ipv4_prefix: str | None = None
    """``10.1.0.1/24`` when the device routes for the link."""

    @property
    def name(self) -> str:
        return f"{self.parent}.{self.vlan}"

    def to_dict(self) -> dict[str, Any]:
        return {"parent": self.parent, "vlan": self.vlan, "description": self.description,
                "ipv4_prefix": self.ipv4_prefix}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SubInterface:
        prefix = d.get("ipv4_prefix")
        return cls(parent=str(d["parent"]), vlan=int(d["vlan"]),
                   description=str(d.get("description", "")),
                   ipv4_prefix=None if prefix is None else str(prefix))


@dataclass(frozen=True, slots=True)
class Vrf:
    """An L3VPN VRF on a PE (RFC 4364): route distinguisher, route targets and the
    sub-interfaces attached to it (by :attr:`SubInterface.name`)."""

    name: str
    rd: str | None = None
    import_targets: tuple[str, ...] = ()
    export_targets: tuple[str, ...] = ()
    interfaces: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "rd": self.rd, "import_targets": list(self.import_targets),
                "export_targets": list(self.export_targets),
                "interfaces": list(self.interfaces)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Vrf:
        rd = d.get("rd")
        return cls(name=str(d["name"]), rd=None if rd is None else str(rd),
                   import_targets=tuple(str(t) for t in d.get("import_targets") or ()),
                   export_targets=tuple(str(t) for t in d.get("export_targets") or ()),
                   interfaces=tuple(str(i) for i in d.get("interfaces") or ()))


@dataclass(frozen=True, slots=True)
class ChainHop:
    """One hop of a service chain: a VNF and the interfaces traffic enters and leaves by."""

    index: int
    vnf: str
    ingress: str | None = None
    egress: str | None = None
    ip_address: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "vnf": self.vnf, "ingress": self.ingress,
                "egress": self.egress, "ip_address": self.ip_address}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ChainHop:
        def opt(key: str) -> str | None:
            value = d.get(key)
            return None if value is None else str(value)

        return cls(index=int(d["index"]), vnf=str(d["vnf"]), ingress=opt("ingress"),
                   egress=opt("egress"), ip_address=opt("ip_address"))


@dataclass(frozen=True, slots=True)
class Chain:
    """An ordered service function chain (the forwarding path of a service)."""

    name: str
    hops: tuple[ChainHop, ...]
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description,
                "hops": [h.to_dict() for h in self.hops]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Chain:
        return cls(name=str(d["name"]), description=str(d.get("description", "")),
                   hops=tuple(ChainHop.from_dict(h) for h in d.get("hops") or ()))


@dataclass(frozen=True, slots=True)
class DeviceIntent:
    """Everything netorch wants on one device for one service."""

    device: DeviceEndpoint
    interfaces: tuple[SubInterface, ...] = ()
    vrfs: tuple[Vrf, ...] = ()
    chains: tuple[Chain, ...] = ()
    tag: str = ""
    """``netorch:<service>``: written into descriptions so an operator can tell netorch's
    entries from the rest of the device's configuration."""

    def is_empty(self) -> bool:
        return not (self.interfaces or self.vrfs or self.chains)

    def to_dict(self) -> dict[str, Any]:
        return {"device": self.device.to_dict(), "tag": self.tag,
                "interfaces": [i.to_dict() for i in self.interfaces],
                "vrfs": [v.to_dict() for v in self.vrfs],
                "chains": [c.to_dict() for c in self.chains]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DeviceIntent:
        return cls(device=DeviceEndpoint.from_dict(d["device"]), tag=str(d.get("tag", "")),
                   interfaces=tuple(SubInterface.from_dict(i) for i in d.get("interfaces") or ()),
                   vrfs=tuple(Vrf.from_dict(v) for v in d.get("vrfs") or ()),
                   chains=tuple(Chain.from_dict(c) for c in d.get("chains") or ()))


@dataclass(frozen=True, slots=True)
class DriftEntry:
    """One difference between what netorch intended on a device and what is running."""

    device: str
    path: str
    """``/vrfs/vrf[name=svc-vl1]/rd`` — where in the intent the difference is."""
    intended: Any
    running: Any

    def to_dict(self) -> dict[str, Any]:
        return {"device": self.device, "path": self.path, "intended": self.intended,
                "running": self.running}


@dataclass(frozen=True, slots=True)
class DeviceError:
    """A device's own account of a failure (its ``rpc-error`` text or CLI error output)."""

    device: str
    stage: str
    """``connect``, ``lock``, ``edit``, ``commit``, ``confirm``, ``verify``, ``remove`` …"""
    message: str

    def __str__(self) -> str:
        return f"{self.device}: {self.stage} failed: {self.message}"


@dataclass(frozen=True, slots=True)
class Credentials:
    """Resolved credentials (from the secrets file or the environment). ``repr`` hides them."""

    username: str
    password: str | None = field(default=None, repr=False)
    key_file: str | None = None


def qualify(intent: DeviceIntent, service: str) -> DeviceIntent:
    """``intent`` with its entry names made unique to one service instance: VRFs and chains
    are prefixed ``<service>-``, descriptions carry the ``netorch:<service>`` tag. Sub-interface
    names are the device's own (``eth1.101``) and stay as they are."""
    tag = f"netorch:{service}"

    def name(n: str) -> str:
        return n if n.startswith(f"{service}-") else f"{service}-{n}"

    return DeviceIntent(
        device=intent.device, tag=tag,
        interfaces=tuple(SubInterface(parent=i.parent, vlan=i.vlan,
                                      description=f"{tag} {i.description}".strip()
                                      if not i.description.startswith(tag) else i.description,
                                      ipv4_prefix=i.ipv4_prefix) for i in intent.interfaces),
        vrfs=tuple(Vrf(name=name(v.name), rd=v.rd, import_targets=v.import_targets,
                       export_targets=v.export_targets, interfaces=v.interfaces)
                   for v in intent.vrfs),
        chains=tuple(Chain(name=name(c.name), hops=c.hops, description=c.description)
                     for c in intent.chains))


def empty_like(intent: DeviceIntent) -> DeviceIntent:
    """An intent for the same device with nothing in it (what terminate wants)."""
    return DeviceIntent(device=intent.device, tag=intent.tag)


def merge_names(a: DeviceIntent, b: DeviceIntent | None) -> DeviceIntent:
    """Every entry of ``a`` plus those of ``b`` that ``a`` does not name (``a`` wins)."""
    if b is None:
        return a
    have_if = {i.name for i in a.interfaces}
    have_vrf = {v.name for v in a.vrfs}
    have_chain = {c.name for c in a.chains}
    return DeviceIntent(
        device=a.device, tag=a.tag or b.tag,
        interfaces=a.interfaces + tuple(i for i in b.interfaces if i.name not in have_if),
        vrfs=a.vrfs + tuple(v for v in b.vrfs if v.name not in have_vrf),
        chains=a.chains + tuple(c for c in b.chains if c.name not in have_chain))


def diff_intent(intended: DeviceIntent, running: DeviceIntent) -> list[DriftEntry]:
    """Where ``running`` differs from ``intended``, entry by entry and field by field.

    Only entries ``intended`` names are compared: what else runs on the device is not
    netorch's. An entry missing on the device is reported with ``running`` ``None``.
    """
    device = intended.device.name
    out: list[DriftEntry] = []

    def compare(path: str, want: Mapping[str, Any], have: Mapping[str, Any] | None) -> None:
        if have is None:
            out.append(DriftEntry(device, path, want, None))
            return
        for key in sorted(want):
            w, h = want[key], have.get(key)
            if isinstance(w, list):
                w, h = sorted(map(str, w)), sorted(map(str, h or []))
            if w != h and not (w in ("", None) and h in ("", None)):
                out.append(DriftEntry(device, f"{path}/{key}", w, h))

    run_if = {i.name: i.to_dict() for i in running.interfaces}
    for i in intended.interfaces:
        compare(f"/interfaces/interface[name={i.name}]", i.to_dict(), run_if.get(i.name))
    run_vrf = {v.name: v.to_dict() for v in running.vrfs}
    for v in intended.vrfs:
        compare(f"/vrfs/vrf[name={v.name}]", v.to_dict(), run_vrf.get(v.name))
    run_chain = {c.name: c for c in running.chains}
    for c in intended.chains:
        path = f"/chains/chain[name={c.name}]"
        have = run_chain.get(c.name)
        if have is None:
            out.append(DriftEntry(device, path, c.to_dict(), None))
            continue
        if c.description != have.description:
            out.append(DriftEntry(device, f"{path}/description", c.description,
                                  have.description))
        run_hops = {h.index: h.to_dict() for h in have.hops}
        for hop in c.hops:
            compare(f"{path}/hop[index={hop.index}]", hop.to_dict(), run_hops.get(hop.index))
        for index in sorted(set(run_hops) - {h.index for h in c.hops}):
            out.append(DriftEntry(device, f"{path}/hop[index={index}]", None, run_hops[index]))
    return out


def endpoint_from_properties(name: str, props: Mapping[str, Any]) -> DeviceEndpoint:
    """The endpoint of a ``netorch.nodes.network.Device`` node from its properties."""
    address = str(props.get("management_address", ""))
    snmp_props = props.get("snmp")
    snmp = None
    if isinstance(snmp_props, Mapping):
        creds = snmp_props.get("credentials")
        snmp = SnmpAccess(host=str(snmp_props.get("address") or address),
                          port=int(snmp_props.get("port", 161)),
                          version=str(snmp_props.get("version", "2c")),
                          credentials=None if creds is None else str(creds))
    return DeviceEndpoint(
        name=name, driver=DeviceDriverKind(str(props.get("driver", "netconf"))),
        platform=str(props.get("platform", "generic")), host=address,
        port=int(props.get("port", 830)), credentials=str(props.get("credentials", name)),
        snmp=snmp)
