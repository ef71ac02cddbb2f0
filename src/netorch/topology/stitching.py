"""The stitching rule: from a service's attachments and service chains to device configuration.

The rule (netorch's network types, ``types/netorch/netorch_network_types.yaml``):

* a **virtual link attached to devices** (``netorch.nodes.network.Attachment`` nodes: a device,
  an interface, a VLAN) becomes, on each device it is attached to, a VLAN sub-interface
  ``<interface>.<vlan>`` (ietf-interfaces, RFC 8343) and a VRF named after the link holding
  the link's sub-interfaces on that device (RFC 4364; route distinguisher and route targets
  from the attachment's ``vrf`` property);
* a **forwarding path** (``netorch.nodes.network.ServiceChain``: ordered hops through VNFs)
  becomes one chain entry on every device the chain requires.

All of a service's device configuration becomes ONE node, :data:`STITCH_NODE_ID`, of kind
:attr:`~netorch.model.resources.ResourceKind.NETCONFIG`, whose ``devices`` property maps each
device node to its :class:`~netorch.model.network.DeviceIntent`. It depends on the devices,
attachments, chains and (through them) the virtual links and VNFs, so it is configured after
they exist and removed before they go; and because it is one node, the engine applies it as
one all-or-nothing multi-device transaction. Entry names are not yet qualified by the service
instance name: the network driver does that, so two instances never share an entry.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from netorch.model.diagnostics import Diagnostic, Severity, error
from netorch.model.network import (
    Chain,
    ChainHop,
    DeviceDriverKind,
    DeviceEndpoint,
    DeviceIntent,
    SubInterface,
    Vrf,
    endpoint_from_properties,
)
from netorch.model.resources import ResourceKind
from netorch.topology.graph import Topology
from netorch.topology.kinds import EdgeKind
from netorch.topology.node import Node

DEVICE_TYPE = "netorch.nodes.network.Device"
ATTACHMENT_TYPE = "netorch.nodes.network.Attachment"
CHAIN_TYPE = "netorch.nodes.network.ServiceChain"
STITCH_TYPE = "netorch.nodes.network.Stitching"
_FUNCTION_MARK = "\x00fn:"
STITCH_NODE_ID = "network-config"
"""The node id of a service's device configuration (one per service)."""


def is_a(node: Node, type_name: str) -> bool:
    return node.type == type_name or type_name in node.type_chain


def device_endpoint(node: Node) -> DeviceEndpoint:
    """The :class:`DeviceEndpoint` of a ``netorch.nodes.network.Device`` node."""
    return endpoint_from_properties(node.id, node.properties)


@dataclass(slots=True)
class _DeviceConfig:
    endpoint: DeviceEndpoint
    interfaces: dict[str, SubInterface] = field(default_factory=dict)
    vrfs: dict[str, Vrf] = field(default_factory=dict)
    chains: dict[str, Chain] = field(default_factory=dict)

    def intent(self) -> DeviceIntent:
        return DeviceIntent(device=self.endpoint,
                            interfaces=tuple(self.interfaces[k] for k in sorted(self.interfaces)),
                            vrfs=tuple(self.vrfs[k] for k in sorted(self.vrfs)),
                            chains=tuple(self.chains[k] for k in sorted(self.chains)))


def _targets(topo: Topology, node_id: str, requirement: str) -> list[str]:
    return [e.target for e in topo.edges_from(node_id) if e.requirement == requirement]


def _str_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return ()


def _attach(topo: Topology, node: Node, configs: dict[str, _DeviceConfig],
            source: str) -> list[Diagnostic]:
    devices = _targets(topo, node.id, "device")
    links = _targets(topo, node.id, "virtual_link")
    if len(devices) != 1 or len(links) != 1:
        return [error("stitching.attachment", f"attachment {node.id!r} must require exactly one "
                      "device and one virtual_link", source)]
    device, link = devices[0], links[0]
    config = configs.get(device)
    if config is None:
        return [error("stitching.attachment", f"attachment {node.id!r} requires {device!r}, "
                      f"which is not a {DEVICE_TYPE}", source)]
    if config.endpoint.driver is DeviceDriverKind.SNMP_ONLY:
        return [error("stitching.snmp_only", f"attachment {node.id!r} needs {device!r} "
                      "configured, but its driver is snmp-only (monitoring only)", source)]
    props = node.properties
    prefix = props.get("ipv4_prefix")
    sub = SubInterface(parent=str(props.get("interface", "")), vlan=int(props.get("vlan", 0)),
                       description=f"netorch {topo.node(link).template}",
                       ipv4_prefix=None if prefix is None else str(prefix))
    if sub.name in config.interfaces:
        return [error("stitching.vlan_clash", f"attachments on {device!r} both use "
                      f"{sub.name} (VLAN {sub.vlan} on {sub.parent})", source)]
    config.interfaces[sub.name] = sub
    vrf_props = props.get("vrf") if isinstance(props.get("vrf"), Mapping) else {}
    assert isinstance(vrf_props, Mapping)
    name = str(vrf_props.get("name") or topo.node(link).template)
    old = config.vrfs.get(name)
    config.vrfs[name] = Vrf(
        name=name,
        rd=(str(vrf_props["rd"]) if vrf_props.get("rd") else (old.rd if old else None)),
        import_targets=_str_list(vrf_props.get("import_targets")) or
        (old.import_targets if old else ()),
        export_targets=_str_list(vrf_props.get("export_targets")) or
        (old.export_targets if old else ()),
        interfaces=tuple(sorted({*(old.interfaces if old else ()), sub.name})))
    return []


def _chain(topo: Topology, node: Node, configs: dict[str, _DeviceConfig],
           source: str) -> list[Diagnostic]:
    props = node.properties
    hops_raw = props.get("hops")
    hops: list[ChainHop] = []
    for index, hop in enumerate(hops_raw if isinstance(hops_raw, list) else [], start=1):
        if not isinstance(hop, Mapping) or not hop.get("vnf"):
            return [error("stitching.chain", f"hop {index} of chain {node.id!r} names no vnf",
                          source)]

        def opt(key: str, hop: Mapping[str, Any] = hop) -> str | None:
            value = hop.get(key)
            if isinstance(value, Mapping):  # get_attribute: resolved when it is applied
                return _FUNCTION_MARK + json.dumps(value, sort_keys=True)
            return None if value is None else str(value)

        hops.append(ChainHop(index=index, vnf=str(hop["vnf"]), ingress=opt("ingress"),
                             egress=opt("egress"), ip_address=opt("ip_address")))
    if not hops:
        return [error("stitching.chain", f"chain {node.id!r} has no hops", source)]
    chain = Chain(name=str(props.get("chain_name") or node.template), hops=tuple(hops),
                  description=str(props.get("description") or ""))
    diagnostics: list[Diagnostic] = []
    for device in _targets(topo, node.id, "device"):
        config = configs.get(device)
        if config is None or config.endpoint.driver is DeviceDriverKind.SNMP_ONLY:
            diagnostics.append(error("stitching.chain", f"chain {node.id!r} requires {device!r}"
                                     ", which is not a configurable device", source))
            continue
        config.chains[chain.name] = chain
    return diagnostics


def stitching_node(topo: Topology, source: str | None = None
                   ) -> tuple[Node | None, list[str], list[Diagnostic]]:
    """The service's device-configuration node, the node ids it depends on, and problems.

    ``None`` when the service configures no device.
    """
    configs = {n.id: _DeviceConfig(device_endpoint(n)) for n in topo.nodes()
               if is_a(n, DEVICE_TYPE)}
    diagnostics: list[Diagnostic] = []
    members: list[str] = []
    for node in topo.nodes():
        if is_a(node, ATTACHMENT_TYPE):
            diagnostics.extend(_attach(topo, node, configs, source or topo.name))
            members.append(node.id)
        elif is_a(node, CHAIN_TYPE):
            diagnostics.extend(_chain(topo, node, configs, source or topo.name))
            members.append(node.id)
    intents = {device: config.intent() for device, config in sorted(configs.items())
               if config.interfaces or config.vrfs or config.chains}
    if not intents or any(d.severity is Severity.ERROR for d in diagnostics):
        return None, [], diagnostics
    hop_targets = {hop.vnf for intent in intents.values() for chain in intent.chains
                   for hop in chain.hops}
    properties = {"devices": {device: _unmark(intent.to_dict())
                              for device, intent in intents.items()}}
    referenced = hop_targets | _attribute_targets(properties)
    vnfs = [n.id for n in topo.nodes() if n.template in referenced]
    node = Node(id=STITCH_NODE_ID, template=STITCH_NODE_ID, type=STITCH_TYPE,
                type_chain=(STITCH_TYPE, "tosca.nodes.Root"), kind=ResourceKind.NETCONFIG,
                properties=properties)
    return node, list(dict.fromkeys([*intents, *members, *vnfs])), diagnostics


def _attribute_targets(value: Any) -> set[str]:
    """Templates named by the ``get_attribute`` functions inside ``value``: the
    configuration can only be rendered once they exist."""
    found: set[str] = set()
    if isinstance(value, Mapping):
        args = value.get("get_attribute")
        if len(value) == 1 and isinstance(args, list) and args:
            found.add(str(args[0]))
        else:
            for item in value.values():
                found |= _attribute_targets(item)
    elif isinstance(value, list):
        for item in value:
            found |= _attribute_targets(item)
    return found


def _unmark(value: Any) -> Any:
    """Put back the intrinsic functions (``get_attribute``) kept inside hop fields, so the
    engine resolves them when it applies the node."""
    if isinstance(value, str) and value.startswith(_FUNCTION_MARK):
        return json.loads(value[len(_FUNCTION_MARK):])
    if isinstance(value, dict):
        return {k: _unmark(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unmark(v) for v in value]
    return value


def add_stitching(topo: Topology, source: str | None = None) -> list[Diagnostic]:
    """Add the service's device-configuration node (if it configures any device) to ``topo``."""
    if STITCH_NODE_ID in topo:
        return [error("stitching.reserved", f"node id {STITCH_NODE_ID!r} is reserved for the "
                      "service's device configuration", source or topo.name)]
    node, depends, diagnostics = stitching_node(topo, source)
    if node is None:
        return diagnostics
    topo.add_node(node)
    for target in depends:
        topo.add_edge(STITCH_NODE_ID, target, EdgeKind.DEPENDS_ON, "stitches")
    return diagnostics
