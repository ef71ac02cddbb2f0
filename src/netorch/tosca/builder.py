"""Mapping a validated template onto the normalized :class:`ServiceModel`.

Reads the template's own data (not tosca-parser's object graph) together with the
:class:`TypeRegistry`, so every value is exactly what the template says after function
evaluation (:mod:`netorch.tosca.functions`):

* node templates (TOSCA Simple Profile YAML 1.3 §3.8.3) with their type chain, properties
  (template values over type defaults), assigned capabilities (over capability defaults),
  requirements resolved to a target and the nearest normative relationship type (§3.8.2,
  §5.7), interfaces (§3.6.20, type-level operations merged under template ones) and
  artifacts (§3.6.7);
* inputs (§3.6.14), outputs (§3.6.15), groups (§3.8.5) and policies (§3.8.6);
* SOL001 deployment flavours (SOL001 §6.9, SPEC-NOTES §5.4): an imported topology whose
  ``substitution_mappings`` substitutes a node of the template, and whose ``flavour_id`` matches
  that node's, is merged in; its inputs take the substituted node's property values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from netorch.model.diagnostics import Diagnostic, warning
from netorch.model.service import (
    ArtifactDef,
    GroupDef,
    InputDef,
    InterfaceDef,
    NodeTemplate,
    OperationDef,
    OutputDef,
    PolicyDef,
    ServiceModel,
)
from netorch.tosca.functions import TopologyScope
from netorch.tosca.scaling import scaling_info
from netorch.tosca.type_registry import TypeRegistry
from netorch.tosca.yaml_doc import YamlDocument

_INTERFACE_RESERVED = frozenset(
    {"type", "inputs", "description", "derived_from", "notifications", "operations", "metadata"})
_WELL_KNOWN_INTERFACES: Mapping[str, str] = {
    "Standard": "tosca.interfaces.node.lifecycle.Standard",
    "Configure": "tosca.interfaces.relationship.Configure",
}
TOPOLOGY = "topology_template"


@dataclass(slots=True)
class Topology:
    """One topology template and where it came from."""

    doc: YamlDocument
    data: Mapping[str, Any]

    @classmethod
    def of(cls, doc: YamlDocument) -> Topology | None:
        data = doc.data.get(TOPOLOGY) if isinstance(doc.data, dict) else None
        return cls(doc, data) if isinstance(data, dict) else None

    def section(self, key: str) -> dict[str, Any]:
        value = self.data.get(key)
        return value if isinstance(value, dict) else {}

    def policies(self) -> list[tuple[int, str, dict[str, Any]]]:
        value = self.data.get("policies")
        result: list[tuple[int, str, dict[str, Any]]] = []
        if isinstance(value, list):
            for index, entry in enumerate(value):
                if isinstance(entry, dict) and len(entry) == 1:
                    name, policy = next(iter(entry.items()))
                    if isinstance(policy, dict):
                        result.append((index, str(name), policy))
        return result


def declared_inputs(topology: Topology | None) -> dict[str, dict[str, Any]]:
    if topology is None:
        return {}
    return {str(k): (v if isinstance(v, dict) else {}) for k, v in
            topology.section("inputs").items()}


def input_required(definition: Mapping[str, Any]) -> bool:
    """TOSCA 1.3 §3.6.14: ``required`` defaults to true; a default satisfies it."""
    return definition.get("required", True) is not False and definition.get("default") is None


@dataclass(slots=True)
class _Parts:
    nodes: dict[str, NodeTemplate] = field(default_factory=dict)
    policies: list[PolicyDef] = field(default_factory=list)
    groups: list[GroupDef] = field(default_factory=list)
    group_members: dict[str, list[str]] = field(default_factory=dict)


class ModelBuilder:
    def __init__(self, registry: TypeRegistry, report: Callable[[Diagnostic], None]) -> None:
        self.registry = registry
        self.report = report

    # -- one topology ---------------------------------------------------------------------
    def scope(self, topology: Topology, input_values: Mapping[str, Any]) -> TopologyScope:
        doc = topology.doc

        def locate(node: str) -> tuple[str | None, int | None]:
            return doc.file, doc.line_of(TOPOLOGY, "node_templates", node)

        return TopologyScope(
            nodes=topology.section("node_templates"),
            registry=self.registry,
            input_values=input_values,
            declared_inputs=declared_inputs(topology),
            relationship_templates=topology.section("relationship_templates"),
            report=self.report,
            locate=locate,
        )

    def node(self, scope: TopologyScope, topology: Topology, name: str) -> NodeTemplate:
        raw = scope.nodes[name]
        node_type = scope.node_type(name)
        description = raw.get("description")
        attributes = raw.get("attributes")
        return NodeTemplate(
            name=name,
            type=node_type,
            type_chain=self.registry.chain("node_types", node_type),
            description=description if isinstance(description, str) else None,
            properties=scope.node_properties(name),
            attributes=scope.resolve(attributes, name) if isinstance(attributes, dict) else {},
            capabilities=scope.node_capabilities(name),
            requirements=scope.requirements(name),
            interfaces=self.interfaces(scope, name, node_type),
            artifacts=self.artifacts(scope, name, node_type),
            line=topology.doc.line_of(TOPOLOGY, "node_templates", name),
        )

    @staticmethod
    def _operations(definition: Any) -> dict[str, Any]:
        if not isinstance(definition, dict):
            return {}
        nested = definition.get("operations")
        if isinstance(nested, dict):
            return dict(nested)
        return {k: v for k, v in definition.items() if k not in _INTERFACE_RESERVED}

    @staticmethod
    def _implementation(value: Any) -> str | None:
        if isinstance(value, str):
            return value
        if isinstance(value, dict):
            impl = value.get("implementation")
            if isinstance(impl, str):
                return impl
            if isinstance(impl, dict) and isinstance(impl.get("primary"), str):
                return str(impl["primary"])
        return None

    def interfaces(self, scope: TopologyScope, node: str, node_type: str
                   ) -> tuple[InterfaceDef, ...]:
        type_defs = self.registry.interface_definitions(node_type)
        raw = scope.nodes[node].get("interfaces")
        template_defs = raw if isinstance(raw, dict) else {}
        result: list[InterfaceDef] = []
        for iname in dict.fromkeys([*type_defs, *template_defs]):
            tdef = type_defs.get(iname)
            tpl = template_defs.get(iname)
            declared = (tpl.get("type") if isinstance(tpl, dict) else None) or \
                (tdef.get("type") if isinstance(tdef, dict) else None)
            itype = (self.registry.canonical("interface_types", declared) or declared
                     if isinstance(declared, str) else _WELL_KNOWN_INTERFACES.get(str(iname)))
            base_inputs: dict[str, Any] = {}
            for source in (tdef, tpl):
                if isinstance(source, dict) and isinstance(source.get("inputs"), dict):
                    base_inputs.update(source["inputs"])
            type_ops, tpl_ops = self._operations(tdef), self._operations(tpl)
            operations: list[OperationDef] = []
            for op in dict.fromkeys([*type_ops, *tpl_ops]):
                impl = self._implementation(tpl_ops.get(op)) or \
                    self._implementation(type_ops.get(op))
                inputs = dict(base_inputs)
                for source in (type_ops.get(op), tpl_ops.get(op)):
                    if isinstance(source, dict) and isinstance(source.get("inputs"), dict):
                        inputs.update(source["inputs"])
                operations.append(OperationDef(name=str(op), implementation=impl,
                                               inputs=scope.resolve(inputs, node)))
            if not operations and not isinstance(tpl, dict):
                continue  # a type-level interface the template neither uses nor implements
            result.append(InterfaceDef(name=str(iname), type=itype, operations=tuple(operations)))
        return tuple(result)

    def artifacts(self, scope: TopologyScope, node: str, node_type: str
                  ) -> dict[str, ArtifactDef]:
        raw = scope.nodes[node].get("artifacts")
        merged = dict(self.registry.artifact_definitions(node_type))
        if isinstance(raw, dict):
            merged.update(raw)
        result: dict[str, ArtifactDef] = {}
        for name, value in merged.items():
            if isinstance(value, str):
                result[str(name)] = ArtifactDef(name=str(name), file=value)
            elif isinstance(value, dict):
                declared = value.get("type")
                atype = (self.registry.canonical("artifact_types", declared) or declared
                         if isinstance(declared, str) else None)
                file = value.get("file")
                props = value.get("properties")
                result[str(name)] = ArtifactDef(
                    name=str(name), type=atype, file=file if isinstance(file, str) else None,
                    properties=scope.resolve(props, node) if isinstance(props, dict) else {})
        return result

    def policy(self, scope: TopologyScope, name: str, raw: Mapping[str, Any]) -> PolicyDef:
        declared = raw.get("type")
        ptype = (self.registry.canonical("policy_types", declared) or declared
                 if isinstance(declared, str) else "")
        props = dict(self.registry.property_defaults("policy_types", ptype))
        if isinstance(raw.get("properties"), dict):
            props.update(raw["properties"])
        targets = raw.get("targets")
        return PolicyDef(
            name=name, type=ptype, type_chain=self.registry.chain("policy_types", ptype),
            targets=tuple(str(t) for t in targets) if isinstance(targets, list) else (),
            properties=scope.resolve(props, None))

    def group(self, scope: TopologyScope, name: str, raw: Any) -> GroupDef:
        raw = raw if isinstance(raw, dict) else {}
        declared = raw.get("type")
        gtype = (self.registry.canonical("group_types", declared) or declared
                 if isinstance(declared, str) else "")
        members = raw.get("members")
        props = dict(self.registry.property_defaults("group_types", gtype))
        if isinstance(raw.get("properties"), dict):
            props.update(raw["properties"])
        return GroupDef(name=name, type=gtype,
                        members=tuple(str(m) for m in members) if isinstance(members, list)
                        else (),
                        properties=scope.resolve(props, None))

    def parts(self, topology: Topology, scope: TopologyScope) -> _Parts:
        parts = _Parts()
        for name in scope.nodes:
            if isinstance(scope.nodes[name], dict):
                parts.nodes[str(name)] = self.node(scope, topology, str(name))
        for name, raw in topology.section("groups").items():
            group = self.group(scope, str(name), raw)
            parts.groups.append(group)
            parts.group_members[group.name] = list(group.members)
        for _index, name, raw in topology.policies():
            parts.policies.append(self.policy(scope, name, raw))
        return parts

    # -- flavours ---------------------------------------------------------------------------
    def merge_flavours(self, parts: _Parts, flavours: Sequence[Topology]) -> None:
        for name in list(parts.nodes):
            node = parts.nodes[name]
            candidates: list[tuple[Topology, Any]] = []
            for flavour in flavours:
                mapping = flavour.data.get("substitution_mappings")
                if not isinstance(mapping, dict) or not isinstance(mapping.get("node_type"), str):
                    continue
                if node.is_a(self.registry.canonical("node_types", mapping["node_type"])
                             or mapping["node_type"]):
                    props = mapping.get("properties")
                    flavour_id = props.get("flavour_id") if isinstance(props, dict) else None
                    candidates.append((flavour, flavour_id))
            if not candidates:
                continue
            wanted = node.properties.get("flavour_id")
            chosen = [f for f, fid in candidates if fid is not None and fid == wanted]
            if not chosen and len(candidates) == 1 and candidates[0][1] is None:
                chosen = [candidates[0][0]]
            if len(chosen) != 1:
                self.report(warning(
                    "sol001.flavour_not_selected",
                    f"node template {name!r} has {len(candidates)} candidate deployment "
                    f"flavour(s) and flavour_id {wanted!r} selects {len(chosen)}; "
                    "no flavour is merged"))
                continue
            self._merge_flavour(parts, name, chosen[0])

    def _merge_flavour(self, parts: _Parts, substituted: str, flavour: Topology) -> None:
        outer = parts.nodes[substituted]
        values: dict[str, Any] = {}
        for input_name, definition in declared_inputs(flavour).items():
            if input_name in outer.properties:
                values[input_name] = outer.properties[input_name]
            elif "default" in definition:
                values[input_name] = definition["default"]
        scope = self.scope(flavour, values)
        inner = self.parts(flavour, scope)
        for name, node in inner.nodes.items():
            if name == substituted and node.type == outer.type:
                parts.nodes[name] = _merge_nodes(outer, node, scope.nodes[name])
            elif name in parts.nodes:
                self.report(warning(
                    "tosca.duplicate_node",
                    f"node template {name!r} of deployment flavour {flavour.doc.file} has the "
                    "same name as a node of the top-level template; it is ignored",
                    flavour.doc.file, node.line))
            else:
                parts.nodes[name] = node
        parts.policies.extend(inner.policies)
        parts.groups.extend(inner.groups)
        parts.group_members.update(inner.group_members)

    # -- the whole model ----------------------------------------------------------------------
    def build(self, *, entry: YamlDocument, flavours: Sequence[YamlDocument], version: str,
              input_values: Mapping[str, Any], source: str, content_hash: str,
              default_name: str) -> ServiceModel:
        data: Mapping[str, Any] = entry.data if isinstance(entry.data, dict) else {}
        topology = Topology.of(entry)
        metadata: dict[str, Any] = {}
        for key in ("template_name", "template_author", "template_version"):
            if key in data:
                metadata[key] = data[key]
        if isinstance(data.get("metadata"), dict):
            metadata.update(data["metadata"])
        description = data.get("description")
        if not isinstance(description, str) and topology is not None:
            description = topology.data.get("description")
        name = metadata.get("template_name")
        inputs = {
            name_: InputDef(
                name=name_,
                type=str(d.get("type", "string")),
                description=d.get("description") if isinstance(d.get("description"), str)
                else None,
                default=d.get("default"),
                required=d.get("required", True) is not False,
                has_default="default" in d,
            )
            for name_, d in declared_inputs(topology).items()
        }
        parts = _Parts()
        outputs: dict[str, OutputDef] = {}
        if topology is not None:
            scope = self.scope(topology, input_values)
            parts = self.parts(topology, scope)
            flavour_topologies = [t for t in (Topology.of(d) for d in flavours) if t is not None]
            if flavour_topologies:
                self.merge_flavours(parts, flavour_topologies)
            for out_name, out in topology.section("outputs").items():
                out = out if isinstance(out, dict) else {}
                out_description = out.get("description")
                outputs[str(out_name)] = OutputDef(
                    name=str(out_name), value=scope.resolve(out.get("value"), None),
                    description=out_description if isinstance(out_description, str) else None)
        scaling = scaling_info(parts.nodes, parts.policies, parts.group_members, self.report)
        return ServiceModel(
            name=str(name) if name is not None else default_name,
            tosca_version=version,
            source=source,
            description=description.strip() if isinstance(description, str) else None,
            metadata=metadata,
            inputs=inputs,
            input_values=dict(input_values),
            nodes=parts.nodes,
            policies=tuple(parts.policies),
            groups=tuple(parts.groups),
            outputs=outputs,
            aspects=scaling.aspects,
            initial_instances=scaling.initial_instances,
            min_instances=scaling.min_instances,
            max_instances=scaling.max_instances,
            instantiation_levels=scaling.instantiation_levels,
            default_instantiation_level=scaling.default_instantiation_level,
            content_hash=content_hash,
        )


def _merge_nodes(outer: NodeTemplate, inner: NodeTemplate, inner_raw: Any) -> NodeTemplate:
    """The substituted node completed by its namesake in the flavour (SOL001 §6.9)."""
    explicit = inner_raw.get("properties") if isinstance(inner_raw, dict) else None
    properties = dict(outer.properties)
    if isinstance(explicit, dict):
        properties.update({k: inner.properties[k] for k in explicit if k in inner.properties})
    interfaces = {i.name: i for i in outer.interfaces}
    interfaces.update({i.name: i for i in inner.interfaces})
    return NodeTemplate(
        name=outer.name, type=outer.type, type_chain=outer.type_chain,
        description=outer.description or inner.description,
        properties=properties,
        attributes={**outer.attributes, **inner.attributes},
        capabilities={**outer.capabilities, **inner.capabilities},
        requirements=outer.requirements + inner.requirements,
        interfaces=tuple(interfaces.values()),
        artifacts={**outer.artifacts, **inner.artifacts},
        line=outer.line,
    )
