"""What the native validator needs to know of a type, worked out once per type and load.

For a node type (TOSCA Simple Profile YAML 1.3 §3.7.9): its property definitions merged along
the derivation chain (the nearest definition wins, §3.7.1), which of them a template must give,
its capabilities with their types and the properties those types define (§3.7.2, §3.7.4), its
requirement definitions with their occurrences (§3.7.3), its interfaces (§3.7.5), and the
problems of the definitions themselves (unknown keynames, unknown types), reported once however
many templates use the type.

Keyname sets are those of TOSCA Simple Profile YAML 1.3 §3.7 and §3.8 as the tosca-parser path
accepts them (it also takes ``metadata`` on node templates and ``copy`` / ``node_filter`` /
``directives``, and refuses ``metadata`` on relationship types).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from netorch.tosca.native.errors import NotNative
from netorch.tosca.native.values import Schema, Values
from netorch.tosca.type_registry import TypeRegistry

NODE_TYPE_KEYS = frozenset({"derived_from", "metadata", "properties", "version", "description",
                            "attributes", "requirements", "capabilities", "interfaces",
                            "artifacts"})
RELATIONSHIP_TYPE_KEYS = frozenset({"derived_from", "valid_target_types", "interfaces",
                                    "attributes", "properties", "description", "version",
                                    "credential"})
POLICY_TYPE_KEYS = frozenset({"derived_from", "metadata", "properties", "version", "description",
                              "targets", "triggers", "type", "reservation"})
GROUP_TYPE_KEYS = frozenset({"derived_from", "version", "metadata", "description", "properties",
                             "members", "interfaces", "attributes"})
INTERFACE_RESERVED = frozenset({"type", "inputs", "derived_from", "version", "description"})
LIFECYCLE = ("tosca.interfaces.node.lifecycle.Standard", "Standard")
CONFIGURE = ("tosca.interfaces.relationship.Configure", "Configure")
LIFECYCLE_OPERATIONS = frozenset({"create", "configure", "start", "stop", "delete"})
CONFIGURE_OPERATIONS = frozenset({"post_configure_source", "post_configure_target",
                                  "add_target", "remove_target"})
UNBOUNDED_COUNT = 9_999_999_999

Problem = tuple[str, str]
"""(code, message) of a problem with a type definition."""


@dataclass(slots=True)
class PropertySet:
    """Property definitions of one entity type, compiled."""

    schemas: dict[str, Schema] = field(default_factory=dict)
    required: list[str] = field(default_factory=list)
    defaults: list[tuple[str, Any]] = field(default_factory=list)
    """(name, default) of the properties whose default is not null: checked as values."""


@dataclass(slots=True)
class CapabilityInfo:
    type: str
    properties: PropertySet
    own_defaults: dict[str, Any]
    """Defaults the capability type itself gives (what an assignment starts from)."""
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class NodeTypeInfo:
    name: str
    chain: tuple[str, ...]
    problems: list[Problem]
    properties: PropertySet
    capabilities: dict[str, CapabilityInfo]
    requirement_defs: list[tuple[str, Any]]
    """(name, definition) merged along the chain, as the validator lists them."""
    requirement_names: frozenset[str]
    interfaces: dict[str, Any]
    """Interface definitions by name, inherited ones without Standard / Configure."""
    attributes: dict[str, Any]
    """Attribute definitions merged along the chain."""
    relationship_problems: list[Problem] | None = None
    """Problems of the relationship types its requirement definitions name (computed the
    first time a template of this type has a requirement to follow)."""


def _problem_unknown_type(name: Any) -> Problem:
    return ("tosca.unknown_type", f'Type "{name}" is not a valid type.')


class TypeInfos:
    """Per-load memo of :class:`NodeTypeInfo` and friends."""

    def __init__(self, registry: TypeRegistry, values: Values) -> None:
        self.registry = registry
        self.values = values
        self._nodes: dict[str, NodeTypeInfo] = {}
        self._caps: dict[str, tuple[PropertySet, dict[str, Any]] | None] = {}
        self._checked_types: dict[tuple[str, str], list[Problem]] = {}

    # -- keynames of type definitions --------------------------------------------------
    def keys_problems(self, section: str, name: str, allowed: frozenset[str], what: str
                      ) -> list[Problem]:
        key = (section, name)
        cached = self._checked_types.get(key)
        if cached is not None:
            return cached
        definition = self.registry.definition(section, name)
        problems: list[Problem] = []
        for keyname in definition or {}:
            if keyname not in allowed:
                problems.append(("tosca.unknown_field",
                                 f'{what} "{name}" contains unknown field "{keyname}".'))
        self._checked_types[key] = problems
        return problems

    # -- property sets -----------------------------------------------------------------
    def property_set(self, merged: Mapping[str, Any], section: str | None = None,
                     chain: tuple[str, ...] = ()) -> PropertySet:
        result = PropertySet()
        for prop, definition in merged.items():
            name = str(prop)
            if section is not None:
                owner = next((t for t in chain if name in (
                    (self.registry.definition(section, t) or {}).get("properties") or {})),
                    None)
                if owner is not None:
                    definition = self.values.with_inherited_type(section, owner, name,
                                                                 definition)
            self.values.property_definition(definition, name, None)
            schema = self.values.schema(definition, name)
            result.schemas[name] = schema
            default = definition.get("default")
            if schema.required and default is None:
                result.required.append(name)
            if default is not None:
                result.defaults.append((name, default))
        return result

    # -- capability types --------------------------------------------------------------
    def capability_type(self, cap_type: str) -> tuple[PropertySet, dict[str, Any]] | None:
        """The properties a capability type (and its ancestors) define, and its own defaults;
        None when the type is unknown."""
        if cap_type in self._caps:
            return self._caps[cap_type]
        canonical = self.registry.canonical("capability_types", cap_type)
        if canonical is None:
            self._caps[cap_type] = None
            return None
        chain = self.registry.chain("capability_types", canonical)
        merged: dict[str, Any] = {}
        origin: dict[str, int] = {}
        for level, name in enumerate(chain):
            definition = self.registry.definition("capability_types", name) or {}
            props = definition.get("properties")
            if props is None:
                continue
            if not isinstance(props, dict):
                raise NotNative(f"the properties of capability type {name} are not a map")
            for prop, pdef in props.items():
                if prop in merged:
                    if origin[prop] > 0 and merged[prop] != pdef:
                        # two ancestors define it: the validator keeps the farther one
                        raise NotNative(f"capability type {canonical} refines {prop!r} twice")
                    continue
                merged[str(prop)] = pdef
                origin[str(prop)] = level
        own = self.registry.definition("capability_types", canonical) or {}
        own_props = own.get("properties") if isinstance(own.get("properties"), dict) else {}
        defaults = {str(p): d["default"] for p, d in (own_props or {}).items()
                    if isinstance(d, dict) and "default" in d}
        result = (self.property_set(merged, "capability_types", chain), defaults)
        self._caps[cap_type] = result
        return result

    # -- node types --------------------------------------------------------------------
    def node(self, node_type: str) -> NodeTypeInfo:
        cached = self._nodes.get(node_type)
        if cached is not None:
            return cached
        registry = self.registry
        chain = registry.chain("node_types", node_type)
        if chain[-1] != "tosca.nodes.Root":
            raise NotNative(f"node type {node_type} does not derive from tosca.nodes.Root")
        problems: list[Problem] = []
        for name in chain:
            problems.extend(self.keys_problems("node_types", name, NODE_TYPE_KEYS, "Nodetype"))
        for name in chain:
            own_props = (registry.definition("node_types", name) or {}).get("properties")
            if own_props is not None and not isinstance(own_props, dict):
                raise NotNative(f"the properties of node type {name} are not a map")
        properties = self.property_set(registry.property_definitions("node_types", node_type),
                                       "node_types", chain)
        capabilities: dict[str, CapabilityInfo] = {}
        for cap_name, cap_def in registry.capability_definitions(node_type).items():
            if not isinstance(cap_def, dict | str):
                raise NotNative(f"capability {cap_name!r} of {node_type} is not a map")
            cap_type = registry.capability_type(node_type, str(cap_name))
            if cap_type is None:
                raise NotNative(f"capability {cap_name!r} of {node_type} has no type")
            found = self.capability_type(cap_type)
            if found is None:
                raise NotNative(f"capability {cap_name!r} of {node_type} has unknown type "
                                f"{cap_type}")  # the validator crashes on it
            canonical_cap = registry.canonical("capability_types", cap_type) or cap_type
            capabilities[str(cap_name)] = CapabilityInfo(
                canonical_cap, *found, attributes={
                    str(k): v for k, v in registry.merged("capability_types", canonical_cap,
                                                          "attributes").items()})
        requirement_defs = self._requirement_defs(chain)
        names: set[str] = {"template"}
        for req_name, definition in requirement_defs:
            names.add(req_name)
            if isinstance(definition, dict):
                names.update(str(k) for k in definition)
        interfaces = self._interfaces(chain)
        attributes = {str(k): v for k, v in registry.merged("node_types", node_type,
                                                              "attributes").items()}
        info = NodeTypeInfo(node_type, chain, problems, properties, capabilities,
                            requirement_defs, frozenset(names), interfaces, attributes)
        self._nodes[node_type] = info
        return info

    def _requirement_defs(self, chain: tuple[str, ...]) -> list[tuple[str, Any]]:
        """The requirement definitions of the chain, nearest first; an inherited entry is
        listed unless the same entry is already there (so a refined one counts twice)."""
        entries: list[Any] = []
        for name in chain:
            definition = self.registry.definition("node_types", name) or {}
            own = definition.get("requirements")
            if own is None:
                continue
            if not isinstance(own, list):
                raise NotNative(f"the requirements of node type {name} are not a list")
            for entry in own:
                if not isinstance(entry, dict) or len(entry) != 1:
                    raise NotNative(f"a requirement definition of {name} is not a single-entry "
                                    "map")
                value = next(iter(entry.values()))
                if not isinstance(value, dict):
                    raise NotNative(f"a requirement definition of {name} in its short form")
                if entry not in entries:
                    entries.append(entry)
        return [(str(k), v) for entry in entries for k, v in entry.items()]

    def _interfaces(self, chain: tuple[str, ...]) -> dict[str, Any]:
        """Interface definitions as the validator sees them: the type's own, plus inherited
        ones other than the lifecycle and configure interfaces."""
        result: dict[str, Any] = {}
        for level, name in enumerate(reversed(chain)):
            definition = self.registry.definition("node_types", name) or {}
            own = definition.get("interfaces")
            if own is None:
                continue
            if not isinstance(own, dict):
                raise NotNative(f"the interfaces of node type {name} are not a map")
            if level < len(chain) - 1:
                own = {k: v for k, v in own.items() if k not in LIFECYCLE and k not in CONFIGURE}
            result.update(own)
        return result

    def occurrences(self, info: NodeTypeInfo) -> list[tuple[str, int, int]]:
        """(requirement, min, max) for every requirement definition."""
        result: list[tuple[str, int, int]] = []
        for req_name, definition in info.requirement_defs:
            bounds = definition.get("occurrences", [1, "UNBOUNDED"])
            if not isinstance(bounds, list) or len(bounds) != 2:
                raise NotNative(f"occurrences of requirement {req_name!r} are not two bounds")
            low, high = bounds
            if high == "UNBOUNDED":
                high = UNBOUNDED_COUNT
            if isinstance(low, bool) or isinstance(high, bool) or not isinstance(low, int) \
                    or not isinstance(high, int):
                raise NotNative(f"occurrences of requirement {req_name!r} are not integers")
            result.append((req_name, low, high))
        return result

    def relationship_problems(self, info: NodeTypeInfo) -> list[Problem]:
        """What following a requirement of this type makes the validator look at: the
        relationship types its requirement definitions name and the node types they target."""
        if info.relationship_problems is not None:
            return info.relationship_problems
        problems: list[Problem] = []
        for _req_name, definition in info.requirement_defs:
            if "relationship" not in definition:
                continue
            relation = definition["relationship"]
            if isinstance(relation, dict):
                relation = relation.get("type") if "type" in relation else relation
            if not isinstance(relation, str):
                raise NotNative("a requirement definition's relationship has no type name")
            rel_type = self.registry.canonical("relationship_types", relation)
            if rel_type is None:
                problems.append(_problem_unknown_type(relation))
            else:
                problems.extend(self.keys_problems("relationship_types", rel_type,
                                                   RELATIONSHIP_TYPE_KEYS, "Relationshiptype"))
            target = definition.get("node")
            if target is not None:
                if not isinstance(target, str):
                    raise NotNative("a requirement definition names a node that is not text")
                node_type = self.registry.canonical("node_types", target)
                if node_type is None:
                    problems.append(_problem_unknown_type(target))
                else:
                    problems.extend(self.keys_problems("node_types", node_type, NODE_TYPE_KEYS,
                                                       "Nodetype"))
        info.relationship_problems = problems
        return problems
