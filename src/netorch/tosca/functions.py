"""Evaluating TOSCA functions at load time (TOSCA Simple Profile YAML 1.3 §4.3, §4.4).

``get_input`` and ``get_property`` are substituted; ``concat``, ``join`` and ``token`` are
evaluated once all their arguments are known.  ``get_attribute``, ``get_operation_output``,
``get_artifact`` and ``get_nodes_of_type`` only have a value at run time: they stay as their
function dicts, e.g. ``{"get_attribute": ["server", "private_address"]}``.

A :class:`TopologyScope` evaluates one topology template.  Property values are resolved lazily
and memoized per (node, property), so resolving a template is linear in its size, and a cycle
of ``get_property`` references is detected instead of looping.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from netorch.model.diagnostics import Diagnostic, warning
from netorch.model.service import RequirementAssignment
from netorch.tosca.type_registry import TypeRegistry

RUNTIME_FUNCTIONS: frozenset[str] = frozenset(
    {"get_attribute", "get_operation_output", "get_artifact", "get_nodes_of_type"})
LOAD_TIME_FUNCTIONS: frozenset[str] = frozenset(
    {"get_input", "get_property", "concat", "join", "token"})

HOSTED_ON = "tosca.relationships.HostedOn"
DEPENDS_ON = "tosca.relationships.DependsOn"

NORMATIVE_RELATIONSHIPS: frozenset[str] = frozenset({
    "tosca.relationships.DependsOn",
    "tosca.relationships.HostedOn",
    "tosca.relationships.ConnectsTo",
    "tosca.relationships.AttachesTo",
    "tosca.relationships.RoutesTo",
    "tosca.relationships.network.LinksTo",
    "tosca.relationships.network.BindsTo",
    "tosca.relationships.nfv.VirtualBindsTo",
    "tosca.relationships.nfv.VirtualLinksTo",
    "tosca.relationships.nfv.AttachesTo",
})

_MISSING = object()


class _UnresolvedError(Exception):
    """A function whose value is not known at load time; the dict stays as it is."""


def function_call(value: Any) -> tuple[str, Any] | None:
    """``(name, args)`` when ``value`` is a single-key function dict, else None."""
    if isinstance(value, dict) and len(value) == 1:
        name = next(iter(value))
        if isinstance(name, str) and (name in LOAD_TIME_FUNCTIONS or name in RUNTIME_FUNCTIONS):
            return name, value[name]
    return None


def _index(value: Any, path: list[Any]) -> Any:
    for step in path:
        if (isinstance(value, dict) and step in value) or (
                isinstance(value, list) and isinstance(step, int)
                and -len(value) <= step < len(value)):
            value = value[step]
        else:
            raise _UnresolvedError
    return value


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise _UnresolvedError


class TopologyScope:
    """Function evaluation and requirement resolution for one topology template."""

    def __init__(self, nodes: Mapping[str, Any], registry: TypeRegistry,
                 input_values: Mapping[str, Any], declared_inputs: Mapping[str, Any],
                 relationship_templates: Mapping[str, Any],
                 report: Callable[[Diagnostic], None],
                 locate: Callable[[str], tuple[str | None, int | None]]) -> None:
        self.nodes = nodes
        self.registry = registry
        self.input_values = input_values
        self.declared_inputs = declared_inputs
        self.relationship_templates = relationship_templates
        self._report = report
        self._locate = locate
        self._props: dict[tuple[str, str | None, str], Any] = {}
        self._in_progress: set[tuple[str, str | None, str]] = set()
        self._requirements: dict[str, tuple[RequirementAssignment, ...]] = {}
        self._warned: set[tuple[str, str]] = set()

    # -- types ------------------------------------------------------------------------------
    def node_type(self, name: str) -> str:
        raw = self.nodes.get(name)
        declared = raw.get("type") if isinstance(raw, dict) else None
        if not isinstance(declared, str):
            return ""
        return self.registry.canonical("node_types", declared) or declared

    def _template_section(self, name: str, key: str) -> dict[str, Any]:
        raw = self.nodes.get(name)
        value = raw.get(key) if isinstance(raw, dict) else None
        return value if isinstance(value, dict) else {}

    # -- properties ---------------------------------------------------------------------------
    def property_names(self, node: str) -> list[str]:
        given = self._template_section(node, "properties")
        defaults = self.registry.property_defaults("node_types", self.node_type(node))
        return list(dict.fromkeys([*given, *defaults]))

    def _raw_property(self, node: str, capability: str | None, prop: str) -> Any:
        node_type = self.node_type(node)
        if capability is None:
            given = self._template_section(node, "properties")
            if prop in given:
                return given[prop]
            defaults = self.registry.property_defaults("node_types", node_type)
            return defaults.get(prop, _MISSING)
        caps = self._template_section(node, "capabilities")
        cap = caps.get(capability)
        cap_props = cap.get("properties") if isinstance(cap, dict) else None
        if isinstance(cap_props, dict) and prop in cap_props:
            return cap_props[prop]
        return self.capability_defaults(node, capability).get(prop, _MISSING)

    def capability_defaults(self, node: str, capability: str) -> dict[str, Any]:
        node_type = self.node_type(node)
        defaults: dict[str, Any] = {}
        cap_type = self.registry.capability_type(node_type, capability)
        if cap_type is not None:
            defaults.update(self.registry.property_defaults("capability_types", cap_type))
        definition = self.registry.capability_definitions(node_type).get(capability)
        refined = definition.get("properties") if isinstance(definition, dict) else None
        if isinstance(refined, dict):
            for prop, pdef in refined.items():
                if isinstance(pdef, dict) and "default" in pdef:
                    defaults[prop] = pdef["default"]
        return defaults

    def property_value(self, node: str, prop: str, capability: str | None = None) -> Any:
        """The resolved value, or ``_MISSING`` when the property has no value at all."""
        key = (node, capability, prop)
        if key in self._props:
            return self._props[key]
        raw = self._raw_property(node, capability, prop)
        if raw is _MISSING:
            return _MISSING
        if key in self._in_progress:
            self.warn(node, "tosca.function_cycle",
                      f"property {prop!r} of node template {node!r} refers to itself through "
                      "get_property")
            raise _UnresolvedError
        self._in_progress.add(key)
        try:
            value = self.resolve(raw, node)
        finally:
            self._in_progress.discard(key)
        self._props[key] = value
        return value

    def node_properties(self, node: str) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for prop in self.property_names(node):
            try:
                value = self.property_value(node, prop)
            except _UnresolvedError:
                value = self._raw_property(node, None, prop)
            if value is not _MISSING:
                result[prop] = value
        return result

    def node_capabilities(self, node: str) -> dict[str, dict[str, Any]]:
        """Capabilities assigned in the template, with their type's property defaults."""
        result: dict[str, dict[str, Any]] = {}
        for cap_name, cap in self._template_section(node, "capabilities").items():
            given = cap.get("properties") if isinstance(cap, dict) else None
            names = [*self.capability_defaults(node, cap_name)]
            if isinstance(given, dict):
                names.extend(given)
            values: dict[str, Any] = {}
            for prop in dict.fromkeys(names):
                try:
                    value = self.property_value(node, prop, cap_name)
                except _UnresolvedError:
                    value = self._raw_property(node, cap_name, prop)
                if value is not _MISSING:
                    values[prop] = value
            result[str(cap_name)] = values
        return result

    # -- evaluation ---------------------------------------------------------------------------
    def resolve(self, value: Any, self_node: str | None) -> Any:
        """``value`` with every load-time function evaluated (recursively)."""
        call = function_call(value)
        if call is not None:
            name, args = call
            if name in RUNTIME_FUNCTIONS:
                return value
            try:
                return self._evaluate(name, args, self_node)
            except _UnresolvedError:
                return self._partial(name, args, self_node)
        if isinstance(value, dict):
            return {k: self.resolve(v, self_node) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v, self_node) for v in value]
        return value

    def _partial(self, name: str, args: Any, self_node: str | None) -> Any:
        """An unevaluable function keeps its name; nested arguments are still resolved."""
        if name in ("concat", "join", "token") and isinstance(args, list):
            return {name: [self.resolve(a, self_node) for a in args]}
        return {name: args}

    def _evaluate(self, name: str, args: Any, self_node: str | None) -> Any:
        if name == "get_input":
            return self._get_input(args)
        if name == "get_property":
            return self._get_property(args, self_node)
        values = [self.resolve(a, self_node) for a in args] if isinstance(args, list) else None
        if values is None:
            raise _UnresolvedError
        if name == "concat":
            return "".join(_scalar_text(v) for v in values)
        if name == "join":
            if not values or not isinstance(values[0], list):
                raise _UnresolvedError
            delimiter = _scalar_text(values[1]) if len(values) > 1 else ""
            return delimiter.join(_scalar_text(v) for v in values[0])
        if name == "token" and len(values) == 3 and isinstance(values[2], int):
            text, chars = _scalar_text(values[0]), _scalar_text(values[1])
            if not chars:
                raise _UnresolvedError
            parts = re.split("[" + re.escape(chars) + "]", text)
            if -len(parts) <= values[2] < len(parts):
                return parts[values[2]]
        raise _UnresolvedError

    def _get_input(self, args: Any) -> Any:
        path = list(args) if isinstance(args, list) else [args]
        if not path or not isinstance(path[0], str):
            raise _UnresolvedError
        name = path[0]
        if name in self.input_values:
            return _index(self.input_values[name], path[1:])
        if name in self.declared_inputs:
            return None
        raise _UnresolvedError

    def _entity(self, entity: Any, self_node: str | None) -> str:
        if entity == "SELF" and self_node is not None:
            return self_node
        if isinstance(entity, str) and entity in self.nodes:
            return entity
        raise _UnresolvedError

    def _get_property(self, args: Any, self_node: str | None) -> Any:
        if not isinstance(args, list) or len(args) < 2:
            raise _UnresolvedError
        entity, rest = args[0], list(args[1:])
        if entity == "HOST" and self_node is not None:
            return self._host_property(self_node, rest)
        node = self._entity(entity, self_node)
        return self._lookup(node, rest, self_node)

    def _lookup(self, node: str, rest: list[Any], self_node: str | None) -> Any:
        first = rest[0]
        if not isinstance(first, str):
            raise _UnresolvedError
        if len(rest) >= 2 and isinstance(rest[1], str):
            # [<entity>, <capability or requirement>, <property>, ...]
            if first in self.registry.capability_definitions(self.node_type(node)) or \
                    first in self._template_section(node, "capabilities"):
                value = self.property_value(node, rest[1], first)
                if value is not _MISSING:
                    return _index(value, rest[2:])
            for requirement in self.requirements(node):
                if requirement.name == first:
                    return self._lookup(requirement.target, rest[1:], self_node)
        value = self.property_value(node, first)
        if value is _MISSING:
            self.warn(self_node or node, "tosca.unresolved_function",
                      f"get_property: node template {node!r} has no property {first!r}")
            raise _UnresolvedError
        return _index(value, rest[1:])

    def _host_property(self, node: str, rest: list[Any]) -> Any:
        seen: set[str] = set()
        current = node
        while current not in seen:
            seen.add(current)
            host = next((r.target for r in self.requirements(current)
                         if r.relationship == HOSTED_ON), None)
            if host is None:
                break
            try:
                return self._lookup(host, rest, node)
            except _UnresolvedError:
                current = host
        raise _UnresolvedError

    def warn(self, node: str, code: str, message: str) -> None:
        if (node, message) in self._warned:
            return
        self._warned.add((node, message))
        file, line = self._locate(node)
        self._report(warning(code, message, file, line))

    # -- requirements -----------------------------------------------------------------------
    def normative_relationship(self, relationship_type: str | None) -> str:
        """The nearest normative relationship type in the chain (default DependsOn)."""
        if not relationship_type:
            return DEPENDS_ON
        for name in self.registry.chain("relationship_types", relationship_type):
            if name in NORMATIVE_RELATIONSHIPS:
                return name
        return DEPENDS_ON

    def requirements(self, node: str) -> tuple[RequirementAssignment, ...]:
        """The node's requirement assignments that name a node template, in template order."""
        cached = self._requirements.get(node)
        if cached is not None:
            return cached
        self._requirements[node] = ()  # guards a HOST lookup that reaches this node again
        raw = self.nodes.get(node)
        entries = raw.get("requirements") if isinstance(raw, dict) else None
        result: list[RequirementAssignment] = []
        for entry in entries if isinstance(entries, list) else ():
            if not isinstance(entry, dict) or len(entry) != 1:
                continue
            req_name, value = next(iter(entry.items()))
            assignment = self._assignment(node, str(req_name), value)
            if assignment is not None:
                result.append(assignment)
        resolved = tuple(result)
        self._requirements[node] = resolved
        return resolved

    def _assignment(self, node: str, name: str, value: Any) -> RequirementAssignment | None:
        target: Any = value
        relationship: Any = None
        capability: Any = None
        properties: Any = None
        if isinstance(value, dict):
            target = value.get("node")
            relationship = value.get("relationship")
            capability = value.get("capability")
        if not isinstance(target, str) or target not in self.nodes:
            return None
        rel_type: Any = None
        if isinstance(relationship, str):
            template = self.relationship_templates.get(relationship)
            if isinstance(template, dict):
                rel_type = template.get("type")
                properties = template.get("properties")
            else:
                rel_type = relationship
        elif isinstance(relationship, dict):
            rel_type = relationship.get("type")
            properties = relationship.get("properties")
        definition = self.registry.requirement_definition(self.node_type(node), name)
        if isinstance(definition, dict):
            if rel_type is None:
                declared = definition.get("relationship")
                rel_type = declared.get("type") if isinstance(declared, dict) else declared
            if capability is None:
                capability = definition.get("capability")
        elif isinstance(definition, str) and capability is None:
            capability = definition
        resolved_props = self.resolve(properties, node) if isinstance(properties, dict) else {}
        return RequirementAssignment(
            name=name,
            target=target,
            relationship=self.normative_relationship(rel_type if isinstance(rel_type, str)
                                                     else None),
            capability=capability if isinstance(capability, str) else None,
            properties=resolved_props,
        )
