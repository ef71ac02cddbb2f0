"""The checks an NFVO makes on an ETSI SOL001 descriptor once it is valid TOSCA.

They run on every topology of the package, the top-level one and each deployment flavour
(SOL001 §6.9: one topology per flavour, whichever the operator will later select), for
templates that use SOL001 VNF, VDU or NS node types.  Each finding is an error with its own
code and a message naming the node, policy or level:

=====================================  ==========================================================
``sol001.vnf_properties_missing``      the VNF node template of a top-level VNFD that selects
                                       among deployment flavour templates (SOL001 §6.9) does not
                                       state the properties that identify the VNF (§6.8.1:
                                       descriptor_id, descriptor_version, provider,
                                       product_name, software_version, vnfm_info); values only
                                       given as type defaults do not count there, as for Tacker
                                       (a single-template VNFD may pin them in its VNF type)
``sol001.flavour_missing``             the VNF node has no ``flavour_id`` (§6.8.1, §6.9)
``sol001.flavour_unknown``             its ``flavour_id`` is a fixed value no flavour of the
                                       package substitutes (§6.9)
``sol001.substitution_type_mismatch``  a flavour's ``substitution_mappings.node_type`` is not
                                       the type of the VNF node (§6.9, TOSCA 1.3 §2.10)
``sol001.flavour_id_mismatch``         a flavour's mapped ``flavour_id`` is not one the VNF type
                                       allows (its ``valid_values``)
``sol001.instantiation_levels_missing``  ``VduInstantiationLevels`` or
                                       ``VirtualLinkInstantiationLevels`` without an
                                       ``InstantiationLevels`` policy (§6.10.x, Tacker's rule)
``sol001.instantiation_level_unknown``  such a policy names a level that is not defined
``sol001.default_instantiation_level_unknown``  ``default_level`` is not a defined level
``sol001.sw_image_missing``            a VDU that describes a virtual machine (it assigns its
                                       ``virtual_compute`` capability) has neither
                                       ``sw_image_data`` nor a SwImage artifact and does not boot
                                       from a storage that has an image; container VDUs of CNF
                                       packages take their image from their manifests
``sol001.sw_image_data_missing``       a SwImage artifact without image properties (the
                                       SOL001 v2 form) on a VDU without ``sw_image_data``
``sol001.sw_image_duplicate``          more than one SwImage artifact on one node
``sol001.unknown_aspect``              a delta policy or level names an aspect no
                                       ``ScalingAspects`` defines
``sol001.unknown_delta``               an aspect's ``step_deltas`` names a delta its delta
                                       policy does not define
``sol001.policy_without_targets``      a VDU-level policy (initial delta, aspect deltas,
                                       levels) with no targets
``sol001.invalid_policy_target``       a target of such a policy that is not a VDU
``sol001.requirement_target_mismatch``  a requirement of a SOL001 node (a VDU's
                                       ``virtual_storage``, a CP's ``virtual_binding`` or
                                       ``virtual_link``, ...) whose target does not offer the
                                       capability it needs: the NFVO could not realise it
``sol001.unsupported_layer_protocol``  a layer protocol outside ethernet, mpls, odu2, ipv4,
                                       ipv6, pseudo-wire (§6.2 LayerProtocol valid values)
``sol001.invalid_compute_requirements``  a ``compute_requirements`` entry read as a map by
                                       VIMs (``nova_extra_specs``, ``nova_scheduler_hints``)
                                       that is not a map
``sol001.vnfd_reference_missing``      an NSD's VNF node without ``descriptor_id`` or
                                       ``flavour_id`` (§6.x NSD: the VNF is referenced by them)
``sol001.vnfd_unknown``                it names a VNFD that is not onboarded (when the
                                       onboarded VNFDs are supplied)
``sol001.vnf_flavour_unknown``         or a flavour that VNFD does not have
=====================================  ==========================================================
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from netorch.model.diagnostics import Diagnostic, error
from netorch.model.service import NodeTemplate, PolicyDef
from netorch.tosca.builder import TOPOLOGY, ModelBuilder, Topology, declared_inputs
from netorch.tosca.type_registry import TypeRegistry
from netorch.tosca.yaml_doc import YamlDocument

VNF = "tosca.nodes.nfv.VNF"
NS = "tosca.nodes.nfv.NS"
VDU = "tosca.nodes.nfv.Vdu.Compute"
BLOCK_STORAGE = "tosca.nodes.nfv.Vdu.VirtualBlockStorage"
SW_IMAGE = "tosca.artifacts.nfv.SwImage"
CP = "tosca.nodes.nfv.Cp"
VNF_VL = "tosca.nodes.nfv.VnfVirtualLink"
NS_VL = "tosca.nodes.nfv.NsVirtualLink"
SAP = "tosca.nodes.nfv.Sap"

LEVELS = "tosca.policies.nfv.InstantiationLevels"
VDU_LEVELS = "tosca.policies.nfv.VduInstantiationLevels"
VL_LEVELS = "tosca.policies.nfv.VirtualLinkInstantiationLevels"
ASPECTS = "tosca.policies.nfv.ScalingAspects"
VDU_DELTAS = "tosca.policies.nfv.VduScalingAspectDeltas"
VL_DELTAS = "tosca.policies.nfv.VirtualLinkBitrateScalingAspectDeltas"
VDU_INITIAL = "tosca.policies.nfv.VduInitialDelta"

VNF_IDENTITY: tuple[str, ...] = ("descriptor_id", "descriptor_version", "provider",
                                 "product_name", "software_version", "vnfm_info")
LAYER_PROTOCOLS: frozenset[str] = frozenset(
    {"ethernet", "mpls", "odu2", "ipv4", "ipv6", "pseudo-wire"})
STRUCTURED_COMPUTE_REQUIREMENTS: frozenset[str] = frozenset(
    {"nova_extra_specs", "nova_scheduler_hints"})
_VDU_POLICIES: tuple[str, ...] = (VDU_INITIAL, VDU_DELTAS, VDU_LEVELS)
SOL001_NODE_KINDS: tuple[str, ...] = (VNF, NS, VDU, CP, VNF_VL, NS_VL, BLOCK_STORAGE)
"""Node types whose templates make a SOL001 descriptor (and get its checks)."""


@dataclass(slots=True)
class _Topology:
    doc: YamlDocument
    data: Mapping[str, Any]
    nodes: dict[str, NodeTemplate]
    policies: list[tuple[int, PolicyDef]]

    @property
    def mapping(self) -> Mapping[str, Any] | None:
        value = self.data.get("substitution_mappings")
        return value if isinstance(value, dict) else None


@dataclass(slots=True)
class _Checker:
    registry: TypeRegistry
    diags: list[Diagnostic] = field(default_factory=list)

    def report(self, code: str, message: str, doc: YamlDocument, *path: str | int) -> None:
        line, col = doc.where(TOPOLOGY, *path)
        self.diags.append(error(code, message, doc.file, line, col))

    def node(self, code: str, message: str, topo: _Topology, name: str) -> None:
        self.report(code, message, topo.doc, "node_templates", name)

    def policy(self, code: str, message: str, topo: _Topology, index: int,
               name: str) -> None:
        self.report(code, message, topo.doc, "policies", index, name)


def _read(registry: TypeRegistry, doc: YamlDocument) -> _Topology | None:
    topology = Topology.of(doc)
    if topology is None:
        return None
    builder = ModelBuilder(registry, lambda _d: None)  # the loader already reported them
    values = {name: d["default"] for name, d in declared_inputs(topology).items()
              if "default" in d}
    parts = builder.parts(topology, builder.scope(topology, values))
    indexed = [(index, parts.policies[n]) for n, (index, _name, _raw)
               in enumerate(topology.policies())]
    return _Topology(doc, topology.data, parts.nodes, indexed)


def _names_sol001_types(registry: TypeRegistry, doc: YamlDocument) -> bool:
    """A cheap first look: does a node template of ``doc`` have a SOL001 node type?"""
    topology = Topology.of(doc)
    nodes = topology.section("node_templates") if topology is not None else {}
    types = {node.get("type") for node in nodes.values() if isinstance(node, dict)}
    return any(isinstance(t, str) and registry.canonical("node_types", t) is not None and any(
        registry.is_a("node_types", t, kind) for kind in SOL001_NODE_KINDS) for t in types)


def _is_sol001_vnf(registry: TypeRegistry, node: NodeTemplate) -> bool:
    """A SOL001 VNF node (the legacy TOSCA NFV profile has a VNF type of the same name)."""
    return node.is_a(VNF) and "flavour_id" in registry.property_definitions("node_types",
                                                                            node.type)


def _uses_sol001(registry: TypeRegistry, topologies: Iterable[_Topology]) -> bool:
    return any(_is_sol001_vnf(registry, node) or
               any(node.is_a(kind) for kind in SOL001_NODE_KINDS if kind != VNF)
               for topo in topologies for node in topo.nodes.values())


def check(registry: TypeRegistry, entry: YamlDocument, flavours: Sequence[YamlDocument], *,
          known_vnfds: Mapping[str, set[str]] | None = None) -> list[Diagnostic]:
    """Every SOL001 check on the entry definitions and the package's flavour topologies."""
    if not any(_names_sol001_types(registry, doc) for doc in (entry, *flavours)):
        return []
    topologies = [t for t in (_read(registry, d) for d in (entry, *flavours)) if t is not None]
    if not topologies or not _uses_sol001(registry, topologies):
        return []
    checker = _Checker(registry)
    top = topologies[0] if topologies[0].doc is entry else None
    is_nsd = top is not None and _is_nsd(registry, top)
    if top is not None and is_nsd:
        _check_nsd(checker, top, known_vnfds)
    elif top is not None:
        _check_vnfd(checker, top, [t for t in topologies if t is not top])
    for topo in topologies:
        _check_images(checker, topo)
        _check_levels(checker, topo)
        _check_scaling(checker, topo)
        _check_policy_targets(checker, topo)
        _check_requirement_targets(checker, topo)
        _check_protocols(checker, topo)
        _check_compute_requirements(checker, topo)
    return checker.diags


def _is_nsd(registry: TypeRegistry, top: _Topology) -> bool:
    """An NSD has an NS node, NS virtual links or SAPs, or substitutes an NS type (an NS
    deployment flavour, SOL001 §6.x NSD)."""
    if any(n.is_a(NS) or n.is_a(NS_VL) or n.is_a(SAP) for n in top.nodes.values()):
        return True
    mapped = registry.canonical("node_types", top.mapping.get("node_type")) \
        if top.mapping else None
    return mapped is not None and registry.is_a("node_types", mapped, NS)


# -- VNF node and deployment flavours -------------------------------------------------------
def _stated_properties(topo: _Topology, name: str) -> Mapping[str, Any]:
    nodes = topo.data.get("node_templates")
    raw = nodes.get(name) if isinstance(nodes, dict) else None
    props = raw.get("properties") if isinstance(raw, dict) else None
    return props if isinstance(props, dict) else {}


def _check_vnfd(checker: _Checker, top: _Topology, flavours: Sequence[_Topology]) -> None:
    vnfs = {name: node for name, node in top.nodes.items()
            if _is_sol001_vnf(checker.registry, node)}
    for name, node in vnfs.items():
        stated = _stated_properties(top, name)
        missing = [p for p in VNF_IDENTITY if stated.get(p) in (None, "", [])]
        if missing and top.mapping is None and flavours:
            checker.node("sol001.vnf_properties_missing",
                         f"VNF node template {name!r} does not state the VNF properties "
                         f"{', '.join(missing)}; they identify the VNF and are mandatory",
                         top, name)
        if "flavour_id" not in node.properties and "flavour_id" not in stated:
            checker.node("sol001.flavour_missing",
                         f"VNF node template {name!r} has no deployment flavour (flavour_id)",
                         top, name)
    for flavour in flavours:
        _check_substitution(checker, flavour, vnfs)
    _check_flavour_selection(checker, top, vnfs, flavours)


def _check_substitution(checker: _Checker, flavour: _Topology,
                        vnfs: Mapping[str, NodeTemplate]) -> None:
    mapping = flavour.mapping
    if mapping is None or not vnfs:
        return
    declared = mapping.get("node_type")
    node_type = checker.registry.canonical("node_types", declared)
    matches = [n for n in vnfs.values() if node_type is not None and n.is_a(node_type)]
    if not matches:
        types = ", ".join(sorted({n.type for n in vnfs.values()}))
        checker.report("sol001.substitution_type_mismatch",
                       f"the substitution mappings of {flavour.doc.file} substitute "
                       f"{declared!r}, which is not the VNF node type ({types})",
                       flavour.doc, "substitution_mappings", "node_type")
        return
    props = mapping.get("properties")
    flavour_id = props.get("flavour_id") if isinstance(props, dict) else None
    if not isinstance(flavour_id, str) or node_type is None:
        return
    definition = checker.registry.property_definitions("node_types", matches[0].type).get(
        "flavour_id")
    allowed = _valid_values(definition)
    if allowed is not None and flavour_id not in allowed:
        checker.report("sol001.flavour_id_mismatch",
                       f"the substitution mappings of {flavour.doc.file} give flavour_id "
                       f"{flavour_id!r}, which VNF type {matches[0].type!r} does not allow "
                       f"({', '.join(map(str, allowed))})",
                       flavour.doc, "substitution_mappings", "properties", "flavour_id")


def _valid_values(definition: Any) -> list[Any] | None:
    constraints = definition.get("constraints") if isinstance(definition, dict) else None
    for clause in constraints if isinstance(constraints, list) else ():
        if isinstance(clause, dict) and isinstance(clause.get("valid_values"), list):
            return list(clause["valid_values"])
    return None


def _check_flavour_selection(checker: _Checker, top: _Topology,
                             vnfs: Mapping[str, NodeTemplate],
                             flavours: Sequence[_Topology]) -> None:
    offered: set[str] = set()
    for flavour in flavours:
        props = flavour.mapping.get("properties") if flavour.mapping else None
        if isinstance(props, dict) and isinstance(props.get("flavour_id"), str):
            offered.add(props["flavour_id"])
    if not offered:
        return
    for name, node in vnfs.items():
        wanted = node.properties.get("flavour_id")
        if isinstance(wanted, str) and wanted not in offered:
            checker.node("sol001.flavour_unknown",
                         f"VNF node template {name!r} selects deployment flavour {wanted!r}, "
                         f"but the package's flavours are {', '.join(sorted(offered))}",
                         top, name)


# -- NSD --------------------------------------------------------------------------------------
def _check_nsd(checker: _Checker, top: _Topology,
               known_vnfds: Mapping[str, set[str]] | None) -> None:
    for name, node in top.nodes.items():
        if not _is_sol001_vnf(checker.registry, node):
            continue
        vnfd_id = node.properties.get("descriptor_id")
        flavour = node.properties.get("flavour_id")
        missing = [k for k, v in (("descriptor_id", vnfd_id), ("flavour_id", flavour))
                   if not isinstance(v, str) or not v]
        if missing:
            checker.node("sol001.vnfd_reference_missing",
                         f"VNF node template {name!r} of the NSD does not say which VNFD it "
                         f"uses: {', '.join(missing)} missing", top, name)
            continue
        if known_vnfds is None:
            continue
        if vnfd_id not in known_vnfds:
            checker.node("sol001.vnfd_unknown",
                         f"VNF node template {name!r} refers to VNFD {vnfd_id!r}, which is not "
                         "onboarded", top, name)
        elif flavour not in known_vnfds[str(vnfd_id)]:
            flavours = ", ".join(sorted(known_vnfds[str(vnfd_id)])) or "none"
            checker.node("sol001.vnf_flavour_unknown",
                         f"VNF node template {name!r} uses flavour {flavour!r} of VNFD "
                         f"{vnfd_id!r}, which has the flavours {flavours}", top, name)


# -- software images ------------------------------------------------------------------------
def _check_images(checker: _Checker, topo: _Topology) -> None:
    for name, node in topo.nodes.items():
        if not (node.is_a(VDU) or node.is_a(BLOCK_STORAGE)):
            continue
        images = [a for a in node.artifacts.values()
                  if a.type is not None and checker.registry.is_a("artifact_types", a.type,
                                                                  SW_IMAGE)]
        if len(images) > 1:
            names = ", ".join(a.name for a in images)
            checker.node("sol001.sw_image_duplicate",
                         f"node template {name!r} has {len(images)} artifacts of type "
                         f"{SW_IMAGE} ({names}); a VDU or storage has at most one image",
                         topo, name)
            continue
        has_data = node.properties.get("sw_image_data") not in (None, {})
        if images and not has_data and not images[0].properties:
            checker.node("sol001.sw_image_data_missing",
                         f"node template {name!r} has the image artifact {images[0].name!r} "
                         "but neither its properties nor the node's sw_image_data describe "
                         "the image", topo, name)
        elif not images and not has_data and node.is_a(VDU) and \
                "virtual_compute" in node.capabilities and not _boots_from_storage(topo, node):
            checker.node("sol001.sw_image_missing",
                         f"VDU {name!r} has no software image: neither sw_image_data nor an "
                         f"artifact of type {SW_IMAGE}", topo, name)


def _boots_from_storage(topo: _Topology, vdu: NodeTemplate) -> bool:
    for requirement in vdu.requirements:
        target = topo.nodes.get(requirement.target)
        if target is not None and target.is_a(BLOCK_STORAGE) and (
                target.properties.get("sw_image_data") or target.artifacts):
            return True
    return False


# -- instantiation levels and scaling ---------------------------------------------------------
def _policies(topo: _Topology, kind: str) -> list[tuple[int, PolicyDef]]:
    return [(i, p) for i, p in topo.policies if p.is_a(kind)]


def _check_levels(checker: _Checker, topo: _Topology) -> None:
    level_policies = _policies(topo, LEVELS)
    defined: dict[str, Any] = {}
    for _index, policy in level_policies:
        levels = policy.properties.get("levels")
        if isinstance(levels, dict):
            defined.update({str(k): v for k, v in levels.items()})
    for index, policy in [*_policies(topo, VDU_LEVELS), *_policies(topo, VL_LEVELS)]:
        if not level_policies:
            checker.policy("sol001.instantiation_levels_missing",
                           f"policy {policy.name!r} ({policy.type}) sets per-level values, but "
                           f"no policy of type {LEVELS} defines the InstantiationLevels",
                           topo, index, policy.name)
            continue
        levels = policy.properties.get("levels")
        unknown = sorted(str(k) for k in levels if str(k) not in defined) \
            if isinstance(levels, dict) else []
        if unknown:
            checker.policy("sol001.instantiation_level_unknown",
                           f"policy {policy.name!r} names instantiation level(s) "
                           f"{', '.join(unknown)}, not among the defined levels "
                           f"{', '.join(sorted(defined)) or 'none'}", topo, index, policy.name)
    aspects = _aspects(topo)
    for index, policy in level_policies:
        default = policy.properties.get("default_level")
        if default is not None and str(default) not in defined:
            checker.policy("sol001.default_instantiation_level_unknown",
                           f"default instantiation level {default!r} of policy "
                           f"{policy.name!r} is not among the defined levels "
                           f"{', '.join(sorted(defined)) or 'none'}", topo, index, policy.name)
        levels = policy.properties.get("levels")
        for level_id, level in (levels.items() if isinstance(levels, dict) else ()):
            scale_info = level.get("scale_info") if isinstance(level, dict) else None
            for aspect in (scale_info if isinstance(scale_info, dict) else ()):
                if str(aspect) not in aspects:
                    checker.policy("sol001.unknown_aspect",
                                   f"instantiation level {level_id!r} of policy "
                                   f"{policy.name!r} scales aspect {aspect!r}, which no "
                                   f"{ASPECTS} policy defines", topo, index, policy.name)


def _aspects(topo: _Topology) -> dict[str, Mapping[str, Any]]:
    result: dict[str, Mapping[str, Any]] = {}
    for _index, policy in _policies(topo, ASPECTS):
        aspects = policy.properties.get("aspects")
        for aspect_id, definition in (aspects.items() if isinstance(aspects, dict) else ()):
            result[str(aspect_id)] = definition if isinstance(definition, dict) else {}
    return result


def _check_scaling(checker: _Checker, topo: _Topology) -> None:
    aspects = _aspects(topo)
    for index, policy in [*_policies(topo, VDU_DELTAS), *_policies(topo, VL_DELTAS)]:
        aspect = policy.properties.get("aspect")
        if str(aspect) not in aspects:
            known = ", ".join(sorted(aspects)) or "none"
            checker.policy("sol001.unknown_aspect",
                           f"policy {policy.name!r} gives deltas for aspect {aspect!r}, which "
                           f"no {ASPECTS} policy defines (aspects: {known})",
                           topo, index, policy.name)
            continue
        deltas = policy.properties.get("deltas")
        steps = aspects[str(aspect)].get("step_deltas")
        defined = set(map(str, deltas)) if isinstance(deltas, dict) else set()
        missing = [str(s) for s in steps if str(s) not in defined] \
            if isinstance(steps, list) else []
        if missing:
            checker.policy("sol001.unknown_delta",
                           f"aspect {aspect!r} steps through delta(s) {', '.join(missing)}, "
                           f"which policy {policy.name!r} does not define "
                           f"(it defines {', '.join(sorted(defined)) or 'none'})",
                           topo, index, policy.name)


def _check_policy_targets(checker: _Checker, topo: _Topology) -> None:
    for kind in _VDU_POLICIES:
        for index, policy in _policies(topo, kind):
            if not policy.targets:
                checker.policy("sol001.policy_without_targets",
                               f"policy {policy.name!r} ({policy.type}) has no targets: it "
                               "must name the VDUs it applies to", topo, index, policy.name)
                continue
            for target in policy.targets:
                node = topo.nodes.get(target)
                if node is not None and not node.is_a(VDU):
                    checker.policy("sol001.invalid_policy_target",
                                   f"policy {policy.name!r} ({policy.type}) targets "
                                   f"{target!r}, which is a {node.type}, not a VDU",
                                   topo, index, policy.name)


def _check_requirement_targets(checker: _Checker, topo: _Topology) -> None:
    registry = checker.registry
    for name, node in topo.nodes.items():
        if not any(node.is_a(kind) for kind in SOL001_NODE_KINDS):
            continue
        for requirement in node.requirements:
            target = topo.nodes.get(requirement.target)
            wanted = registry.canonical("capability_types", requirement.capability)
            if target is None or wanted is None or registry.offers(target.type, wanted):
                continue
            checker.node("sol001.requirement_target_mismatch",
                         f"requirement {requirement.name!r} of node template {name!r} needs a "
                         f"{wanted} capability, which {requirement.target!r} ({target.type}) "
                         "does not offer", topo, name)


# -- virtual links and compute requirements -------------------------------------------------
def _protocols(node: NodeTemplate) -> list[Any]:
    found: list[Any] = []
    layer = node.properties.get("layer_protocols")
    if isinstance(layer, list):
        found.extend(layer)
    connectivity = node.properties.get("connectivity_type")
    if isinstance(connectivity, dict) and isinstance(connectivity.get("layer_protocols"), list):
        found.extend(connectivity["layer_protocols"])
    profile = node.properties.get("vl_profile")
    data = profile.get("virtual_link_protocol_data") if isinstance(profile, dict) else None
    for item in data if isinstance(data, list) else ():
        if isinstance(item, dict) and item.get("associated_layer_protocol") is not None:
            found.append(item["associated_layer_protocol"])
    protocol = node.properties.get("protocol")
    for item in protocol if isinstance(protocol, list) else ():
        if isinstance(item, dict) and item.get("associated_layer_protocol") is not None:
            found.append(item["associated_layer_protocol"])
    return found


def _check_protocols(checker: _Checker, topo: _Topology) -> None:
    for name, node in topo.nodes.items():
        if not (node.is_a(CP) or node.is_a(VNF_VL) or node.is_a(NS_VL)):
            continue
        unsupported = sorted({str(p) for p in _protocols(node)
                              if not isinstance(p, dict) and str(p) not in LAYER_PROTOCOLS})
        if unsupported:
            checker.node("sol001.unsupported_layer_protocol",
                         f"node template {name!r} uses layer protocol(s) "
                         f"{', '.join(unsupported)}; supported: "
                         f"{', '.join(sorted(LAYER_PROTOCOLS))}", topo, name)


def _check_compute_requirements(checker: _Checker, topo: _Topology) -> None:
    for name, node in topo.nodes.items():
        compute = node.capabilities.get("virtual_compute") if node.is_a(VDU) else None
        requirements = compute.get("compute_requirements") if compute else None
        for key, value in (requirements.items() if isinstance(requirements, dict) else ()):
            if key in STRUCTURED_COMPUTE_REQUIREMENTS and not _is_map_text(value):
                checker.node("sol001.invalid_compute_requirements",
                             f"compute_requirements {key!r} of VDU {name!r} must be a map "
                             f"(JSON or YAML object text), not {value!r}", topo, name)


def _is_map_text(value: Any) -> bool:
    if isinstance(value, dict):
        return True
    if not isinstance(value, str):
        return False
    try:
        return isinstance(json.loads(value), dict)
    except ValueError:
        pass
    try:
        return isinstance(yaml.safe_load(value), dict)
    except yaml.YAMLError:
        return False
