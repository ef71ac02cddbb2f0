"""Values of complex data types inside property assignments, found by their declared types.

A property definition (TOSCA Simple Profile YAML 1.3 §3.6.10) gives the property a type; a
complex data type (§3.7.6, derived from ``tosca.datatypes.Root``) gives each of its fields a
type in turn, and ``list`` / ``map`` give their entries one through ``entry_schema``
(§3.6.11).  :class:`DataValues` follows those types down a value and yields every value that
is declared to be of a complex data type, with its path in the document
(:meth:`DataValues.in_topology` does so for a whole topology template).  Types that cannot hold
a wanted data type are not entered (the answer is memoized per type).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from netorch.tosca.type_registry import TypeRegistry
from netorch.tosca.yaml_doc import Path_

DATA_ROOT = "tosca.datatypes.Root"
TOPOLOGY = "topology_template"


@dataclass(slots=True)
class DataValues:
    """Walks property values by their declared types (see the module doc).

    ``wanted(data_type)`` says which complex data types the caller is interested in; every
    complex data type is wanted by default.
    """

    registry: TypeRegistry
    wanted: Callable[[str], bool] = lambda _data_type: True
    _holds: dict[str, bool] = field(default_factory=dict)
    _relevant: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    _capability_types: dict[tuple[str, str], str | None] = field(default_factory=dict)

    def is_complex(self, data_type: Any) -> str | None:
        """The canonical name of ``data_type`` when it is a complex data type, else None.

        A data type derived from a primitive type is not complex, whether it says so with
        ``derived_from: integer`` or, as the normative definitions tosca-parser ships do
        (``tosca.datatypes.network.PortDef``), with ``type: integer`` under the root type.
        """
        canonical = self.registry.canonical("data_types", data_type)
        if canonical is None:
            return None
        chain = self.registry.chain("data_types", canonical)
        if DATA_ROOT not in chain or any(
                isinstance((self.registry.definition("data_types", t) or {}).get("type"), str)
                for t in chain):
            return None
        return canonical

    def holds(self, data_type: str) -> bool:
        """Whether a value of ``data_type`` can be or contain a wanted data type."""
        known = self._holds.get(data_type)
        if known is not None:
            return known
        self._holds[data_type] = False  # a recursive data type: no deeper than this
        canonical = self.is_complex(data_type)
        found = canonical is not None and (self.wanted(canonical) or any(
            self.definition_holds(d)
            for d in self.registry.property_definitions("data_types", canonical).values()))
        self._holds[data_type] = found
        return found

    def definition_holds(self, definition: Any) -> bool:
        if not isinstance(definition, dict):
            return False
        schema = definition.get("entry_schema")
        types = (definition.get("type"), schema.get("type") if isinstance(schema, dict)
                 else schema)
        return any(isinstance(t, str) and self.holds(t) for t in types)

    def relevant(self, section: str, type_name: str) -> dict[str, Any]:
        """The property definitions of ``type_name`` whose values can hold a wanted data type
        (memoized: most types have none)."""
        key = (section, type_name)
        found = self._relevant.get(key)
        if found is None:
            found = {prop: definition for prop, definition
                     in self.registry.property_definitions(section, type_name).items()
                     if self.definition_holds(definition)}
            self._relevant[key] = found
        return found

    def values(self, value: Any, definition: Any, path: Path_
               ) -> Iterator[tuple[str, Any, Path_]]:
        """(data type, value, path) of each wanted complex-typed value within ``value``, the
        value of a property (or field) defined by ``definition``."""
        if not self.definition_holds(definition):
            return
        declared = definition.get("type")
        if declared in ("list", "map"):
            schema = definition.get("entry_schema")
            item_def = schema if isinstance(schema, dict) else {"type": schema}
            if declared == "list" and isinstance(value, list):
                for index, item in enumerate(value):
                    yield from self.values(item, item_def, (*path, index))
            elif declared == "map" and isinstance(value, dict):
                for key, item in value.items():
                    yield from self.values(item, item_def, (*path, key))
            return
        canonical = self.is_complex(declared)
        if canonical is None:
            return
        if self.wanted(canonical):
            yield canonical, value, path
        if isinstance(value, dict):
            fields = self.registry.property_definitions("data_types", canonical)
            for key, item in value.items():
                yield from self.values(item, fields.get(key), (*path, key))

    def in_topology(self, topology: Any) -> Iterator[tuple[str, Any, Path_]]:
        """(data type, value, path) of each wanted value in the property assignments of the
        node templates of ``topology`` (with their capability and artifact assignments), its
        groups and its policies; paths start at ``topology_template``."""
        for section, type_name, assignments, path in self._assignments(topology):
            for prop, definition in self.relevant(section, type_name).items():
                if prop in assignments:
                    yield from self.values(assignments[prop], definition, (*path, prop))

    def _assignments(self, topology: Any) -> Iterator[tuple[str, str, dict[str, Any], Path_]]:
        if not isinstance(topology, dict):
            return
        registry = self.registry
        nodes = topology.get("node_templates")
        for name, node in (nodes.items() if isinstance(nodes, dict) else ()):
            yield from self._node_assignments(str(name), node)
        groups = topology.get("groups")
        for name, group in (groups.items() if isinstance(groups, dict) else ()):
            group_type = registry.canonical("group_types", group.get("type")) \
                if isinstance(group, dict) else None
            if group_type is not None and isinstance(group.get("properties"), dict):
                yield ("group_types", group_type, group["properties"],
                       (TOPOLOGY, "groups", name, "properties"))
        policies = topology.get("policies")
        for index, entry in enumerate(policies if isinstance(policies, list) else ()):
            if not isinstance(entry, dict) or len(entry) != 1:
                continue
            name, policy = next(iter(entry.items()))
            policy_type = registry.canonical("policy_types", policy.get("type")) \
                if isinstance(policy, dict) else None
            if policy_type is not None and isinstance(policy.get("properties"), dict):
                yield ("policy_types", policy_type, policy["properties"],
                       (TOPOLOGY, "policies", index, name, "properties"))

    def _node_assignments(self, name: str, node: Any
                          ) -> Iterator[tuple[str, str, dict[str, Any], Path_]]:
        registry = self.registry
        node_type = registry.canonical("node_types", node.get("type")) \
            if isinstance(node, dict) else None
        if node_type is None:
            return
        base: Path_ = (TOPOLOGY, "node_templates", name)
        if isinstance(node.get("properties"), dict):
            yield "node_types", node_type, node["properties"], (*base, "properties")
        capabilities = node.get("capabilities")
        for cap, assignment in (capabilities.items() if isinstance(capabilities, dict)
                                else ()):
            if not isinstance(assignment, dict) or \
                    not isinstance(assignment.get("properties"), dict):
                continue
            key = (node_type, str(cap))
            if key not in self._capability_types:
                self._capability_types[key] = registry.canonical(
                    "capability_types", registry.capability_type(node_type, str(cap)))
            cap_type = self._capability_types[key]
            if cap_type is not None:
                yield ("capability_types", cap_type, assignment["properties"],
                       (*base, "capabilities", cap, "properties"))
        artifacts = node.get("artifacts")
        for art, assignment in (artifacts.items() if isinstance(artifacts, dict) else ()):
            art_type = registry.canonical("artifact_types", assignment.get("type")) \
                if isinstance(assignment, dict) else None
            if art_type is not None and isinstance(assignment.get("properties"), dict):
                yield ("artifact_types", art_type, assignment["properties"],
                       (*base, "artifacts", art, "properties"))
