"""The state one topology template is validated with, shared by the checks of
:mod:`netorch.tosca.native.nodes` and :mod:`netorch.tosca.native.sections`: the template, the
registry, the compiled types and values, and how the tosca-parser path names types."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netorch.tosca.compat import Lowering
from netorch.tosca.native.errors import NotNative, Report, Where, at
from netorch.tosca.native.intrinsics import CONTAINER, Functions
from netorch.tosca.native.keynames import TOPOLOGY
from netorch.tosca.native.typeinfo import NodeTypeInfo, PropertySet, TypeInfos
from netorch.tosca.native.values import Values
from netorch.tosca.type_registry import SECTIONS, TypeRegistry
from netorch.tosca.yaml_doc import YamlDocument


class TopologyContext:
    """One topology template being validated (a nested one shares its parent's compiled
    types and values)."""

    def __init__(self, report: Report, registry: TypeRegistry, doc: YamlDocument,
                 topology: Mapping[str, Any], lowering: Lowering,
                 given: Mapping[str, object] | None, substituted: str | None = None,
                 parent: TopologyContext | None = None) -> None:
        self.substituted = substituted
        """The node template of ``parent`` this topology substitutes (a nested template)."""
        self.parent = parent
        self.report = report
        self.registry = registry
        self.doc = doc
        self.topology = topology
        self.lowering = lowering
        self.given = given
        self.values: Values = parent.values if parent else Values(registry, report,
                                                                   self.data_type_name)
        self.types: TypeInfos = parent.types if parent else TypeInfos(registry, self.values)
        nodes = topology.get("node_templates")
        self.nodes: dict[str, Any] = nodes if isinstance(nodes, dict) else {}
        inputs = topology.get("inputs")
        self.inputs: dict[str, Any] = inputs if isinstance(inputs, dict) else {}
        self.functions = Functions(report, self.nodes, self.inputs, self.node_info,
                                   self.is_container, self.data_fields)
        self._node_infos: dict[str, NodeTypeInfo | None] = {}
        self._defaults_checked: set[int] = set()
        self._type_problems_reported: set[str] = set()
        self._container: dict[str, bool] = {}
        self._type_names: set[str] | None = None
        self._occurrences: dict[str, list[tuple[str, int, int]]] = {}
        self._cap_defaults_checked: set[tuple[str, str]] = set()
        self._named_relationships: dict[str, set[str]] = {}
        self._relationship_types = {name for name in registry.names("relationship_types")
                                    if registry.is_custom(name)}

    def where(self, *path: str | int) -> Where:
        return self.doc, (TOPOLOGY, *path)

    # -- names ---------------------------------------------------------------------------
    def data_type_name(self, name: str) -> str | None:
        """How the tosca-parser path finds a data type: a custom type by the name it was
        defined under, a normative one by its full name or, for the network types, the short
        name; another spelling the registry knows is not reproduced."""
        canonical = self.registry.canonical("data_types", name)
        if canonical is None:
            return None
        if name == canonical or name.startswith("tosca:") or \
                canonical == "tosca.datatypes.network." + name:
            return canonical
        raise NotNative(f"data type {name!r} is spelt in a way the validator reads otherwise")

    def data_fields(self, type_name: str) -> Mapping[str, Any]:
        """Field definitions of a data type as ``get_attribute`` paths see them."""
        found = self.values.data_type(type_name, None)
        if found is None:
            raise NotNative(f"get_attribute into unknown data type {type_name}")
        return {name: schema.raw for name, schema in found[0].items()}

    def node_info(self, node: str) -> NodeTypeInfo | None:
        if node in self._node_infos:
            return self._node_infos[node]
        raw = self.nodes.get(node)
        declared = raw.get("type") if isinstance(raw, dict) else None
        canonical = self.registry.canonical("node_types", declared)
        info = self.types.node(canonical) if canonical is not None else None
        self._node_infos[node] = info
        return info

    def is_container(self, cap_type: str) -> bool:
        known = self._container.get(cap_type)
        if known is None:
            known = self.registry.is_a("capability_types", cap_type, CONTAINER)
            self._container[cap_type] = known
        return known

    def interface_type_known(self, interface_type: str) -> bool:
        canonical = self.registry.canonical("interface_types", interface_type)
        if canonical is None:
            return False
        if canonical != interface_type:
            raise NotNative(f"interface type {interface_type!r} spelt in a short form")
        return True

    def is_type_name(self, name: str) -> bool:
        if self._type_names is None:
            self._type_names = {n for section in SECTIONS for n in self.registry.names(section)}
        return name in self._type_names

    def entity(self, name: str, raw: Mapping[str, Any], where: Where) -> None:
        """A template with a ``relationship`` keyname must give it a type (the validator reads
        any entity template that way)."""
        relationship = raw.get("relationship")
        if not relationship or isinstance(relationship, str):
            return
        if not isinstance(relationship, dict):
            raise NotNative("a 'relationship' keyname that is neither a name nor a map")
        if "type" not in relationship:
            self.report.add("tosca.missing_field", f'Template "{name}" is missing required field '
                            '"type".', at(where, "relationship"))

    def fields(self, name: str, given: Any, properties: PropertySet, where: Where) -> None:
        """Unknown and missing properties of one entity (node, capability, policy)."""
        if given:
            for prop in given:
                if prop not in properties.schemas:
                    self.report.add("tosca.unknown_field", f'"properties" of template "{name}" '
                                    f'contains unknown field "{prop}".', at(where, prop))
            missing = [p for p in properties.required if p not in given]
        else:
            missing = list(properties.required)
        if missing:
            self.report.add("tosca.missing_field", f'"properties" of template "{name}" is '
                            f'missing required field "{missing}".', where)

    def properties(self, name: str, given: Any, properties: PropertySet, where: Where) -> None:
        if given is not None and not isinstance(given, dict):
            raise NotNative("properties that are not a map")
        pwhere = at(where, "properties")
        self.fields(name, given, properties, pwhere)
        for prop, value in (given or {}).items():
            schema = properties.schemas.get(prop)
            if schema is not None:
                self.values.property(schema, value, pwhere, prop)
        if id(properties) in self._defaults_checked:
            return
        self._defaults_checked.add(id(properties))
        for prop, default in properties.defaults:
            if not given or prop not in given:
                self.values.property(properties.schemas[prop], default, pwhere)
