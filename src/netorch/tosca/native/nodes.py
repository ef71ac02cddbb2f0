"""Node templates (TOSCA Simple Profile YAML 1.3 §3.8.3) as the tosca-parser path checks them:
keynames, the type's own definitions, capability assignments (§3.8.1), requirement
assignments (§3.8.2) and the relationships they name (§3.7.3, §3.8.2.2), properties (§3.6.11),
interface assignments (§3.6.21), the occurrences of each requirement, and the functions in all
of these (:mod:`netorch.tosca.native.intrinsics`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netorch.model.diagnostics import Severity
from netorch.tosca.native.context import TopologyContext
from netorch.tosca.native.errors import NotNative, Where, at
from netorch.tosca.native.keynames import NODE_TEMPLATE_KEYS, OPERATION_KEYS, REQUIREMENT_KEYS
from netorch.tosca.native.typeinfo import (
    CONFIGURE,
    CONFIGURE_OPERATIONS,
    INTERFACE_RESERVED,
    LIFECYCLE,
    LIFECYCLE_OPERATIONS,
    RELATIONSHIP_TYPE_KEYS,
    NodeTypeInfo,
)


class NodeChecks(TopologyContext):
    """The node template checks of one topology."""

    def node(self, name: str, raw: Any) -> None:
        where = self.where("node_templates", name)
        if not isinstance(raw, dict):
            raise NotNative(f"node template {name!r} is not a map")
        self.entity(name, raw, where)
        for key in raw:
            if key not in NODE_TEMPLATE_KEYS:
                self.report.add("tosca.unknown_field", f'Node template "{name}" contains '
                                f'unknown field "{key}".', at(where, key))
        info = self.node_info(name)
        if info is None:
            raise NotNative(f"node template {name!r} has a type the registry does not know")
        if info.name not in self._type_problems_reported:
            self._type_problems_reported.add(info.name)
            for code, message in info.problems:
                self.report.add(code, message, at(where, "type"))
        self.capabilities(name, raw, info, where)
        self.requirements(name, raw, info, where)
        self.properties(name, raw.get("properties"), info.properties, where)
        self.interfaces(name, raw, info, where)
        self.relationships(name, raw, info, where)

    def capabilities(self, name: str, raw: Mapping[str, Any], info: NodeTypeInfo,
                     where: Where) -> None:
        assigned = raw.get("capabilities")
        if not assigned:
            return
        if not isinstance(assigned, dict):
            raise NotNative("capabilities that are not a map")
        for cap_name in assigned:
            if cap_name not in info.capabilities:
                self.report.add("tosca.unknown_field", f'"capabilities" of template "{name}" '
                                f'contains unknown field "{cap_name}".',
                                at(where, "capabilities", cap_name))
        for cap_name, value in assigned.items():
            cap = info.capabilities.get(cap_name)
            if cap is None:
                continue
            cwhere = at(where, "capabilities", cap_name)
            if not isinstance(value, dict) or "properties" not in value:
                raise NotNative(f"capability {cap_name!r} of {name!r} assigned without "
                                "properties")  # the validator crashes on it
            given = value["properties"]
            if given is not None and not isinstance(given, dict):
                raise NotNative("capability properties that are not a map")
            schemas = cap.properties.schemas
            self.fields(name, given, cap.properties, at(cwhere, "properties"))
            for prop, prop_value in (given or {}).items():
                schema = schemas.get(prop)
                if schema is not None:
                    self.values.property(schema, prop_value, cwhere, "properties", prop)
            for prop, default in cap.own_defaults.items():
                # a default the assignment keeps is the same value, with the same finding,
                # in every template: checked once
                if (given and prop in given) or prop not in schemas or \
                        (cap.type, prop) in self._cap_defaults_checked:
                    continue
                self._cap_defaults_checked.add((cap.type, prop))
                self.values.property(schemas[prop], default, cwhere, "properties", prop)
            if cap_name == "scalable" and "default_instances" in schemas and (
                    "default_instances" in (given or {}) or
                    "default_instances" in cap.own_defaults):
                self.scalable(name, given or {}, cwhere)

    def scalable(self, name: str, given: Mapping[str, Any], where: Where) -> None:
        bounds = [given.get(k) for k in ("min_instances", "default_instances",
                                         "max_instances")]
        if not all(isinstance(b, int) and not isinstance(b, bool) for b in bounds):
            raise NotNative("scalable bounds the validator cannot compare")
        low, default, high = (int(b) for b in bounds if b is not None)
        if not low <= default <= high:
            self.report.add("tosca.invalid", f'"properties" of template "{name}": '
                            '"default_instances" value is not between "min_instances" and '
                            '"max_instances".', where)

    def requirements(self, name: str, raw: Mapping[str, Any], info: NodeTypeInfo,
                     where: Where) -> None:
        entries = raw.get("requirements")
        if not entries:
            return
        if not isinstance(entries, list):
            raise NotNative("requirements that are not a list")
        allowed = set(info.requirement_names)
        for index, entry in enumerate(entries):
            rwhere = at(where, "requirements", index)
            if not isinstance(entry, dict):
                raise NotNative("a requirement assignment that is not a map")
            for req_name, value in entry.items():
                if isinstance(value, dict):
                    for key in value:
                        if key not in REQUIREMENT_KEYS:
                            self.report.add("tosca.unknown_field", f'"requirements" of '
                                            f'template "{name}" contains unknown field "{key}".',
                                            at(rwhere, req_name))
                    if "occurrences" in value:
                        raise NotNative("occurrences in a requirement assignment")
                    allowed.add(req_name)
            for req_name in entry:
                if req_name not in allowed:
                    self.report.add("tosca.unknown_field", f'"requirements" of template '
                                    f'"{name}" contains unknown field "{req_name}".', rwhere)

    def interfaces(self, name: str, raw: Mapping[str, Any], info: NodeTypeInfo,
                   where: Where) -> None:
        assigned = raw.get("interfaces")
        if not assigned:
            return
        for iname, value in assigned.items():
            iwhere = at(where, "interfaces", iname)
            if not isinstance(value, dict):
                raise NotNative("an interface assignment that is not a map")
            if "notifications" in value:
                raise NotNative("interface notifications are checked by tosca-parser")
            operations = value["operations"] if "operations" in value else \
                {k: v for k, v in value.items() if k != "inputs"}
            if not isinstance(operations, dict):
                raise NotNative("operations that are not a map")
            if iname in LIFECYCLE:
                allowed: frozenset[str] | set[str] = LIFECYCLE_OPERATIONS
                interface_type = LIFECYCLE[0]
            elif iname in CONFIGURE:
                allowed = CONFIGURE_OPERATIONS
                interface_type = CONFIGURE[0]
            elif iname in info.interfaces:
                allowed, interface_type = self.custom_operations(info, str(iname))
            else:
                self.report.add("tosca.unknown_field", f'"interfaces" of template "{name}" '
                                f'contains unknown field "{iname}".', iwhere)
                continue
            for op in operations:
                if op not in allowed:
                    self.report.add("tosca.unknown_field", f'"interfaces" of template "{name}" '
                                    f'contains unknown field "{op}".', at(iwhere, op))
            if iname not in LIFECYCLE[1:] and iname not in CONFIGURE[1:] and \
                    not self.interface_type_known(interface_type):
                self.report.add("tosca.invalid_value", f'Interface type definition for '
                                f'interface "{interface_type}" not found', iwhere)
            for op, op_def in operations.items():
                if isinstance(op_def, dict):
                    for key in op_def:
                        if key not in OPERATION_KEYS:
                            self.report.add("tosca.unknown_field", f'"interfaces" of template '
                                            f'"{name}" contains unknown field "{key}".',
                                            at(iwhere, op, key))

    def custom_operations(self, info: NodeTypeInfo, iname: str) -> tuple[set[str], str]:
        """Operations a custom interface of the node type allows: those its definition lists
        and those of its interface type."""
        definition = info.interfaces[iname]
        if not isinstance(definition, dict):
            raise NotNative(f"interface {iname!r} of {info.name} is not a map")
        allowed = set(map(str, definition))
        interface_type = definition.get("type")
        if not isinstance(interface_type, str):
            raise NotNative(f"interface {iname!r} of {info.name} has no type")
        if not self.interface_type_known(interface_type):
            raise NotNative(f"interface type {interface_type!r} is unknown")
        type_def = self.registry.definition("interface_types", interface_type) or {}
        if self.registry.is_custom(interface_type):
            nested = type_def.get("operations")
            type_def = nested if isinstance(nested, dict) and nested else type_def
        allowed.update(map(str, type_def))
        return allowed - INTERFACE_RESERVED, interface_type

    def relationships(self, name: str, raw: Mapping[str, Any], info: NodeTypeInfo,
                      where: Where) -> None:
        """Following each requirement: a type name as target is only a warning; the
        relationship types the node type's requirement definitions name are looked at."""
        entries = raw.get("requirements")
        for index, entry in enumerate(entries if isinstance(entries, list) else ()):
            for req_name, value in entry.items():
                target = value.get("node") if isinstance(value, dict) else value
                if not target:
                    continue
                rwhere = at(where, "requirements", index)
                if not isinstance(target, str):
                    raise NotNative("a requirement target that is not a name")
                if self.is_type_name(target):
                    self.report.add("tosca.requirement_by_type", f'Lookup by TOSCA types is not '
                                    f'supported. Requirement node "{target}" for "{name}" can '
                                    'not be full-filled.', rwhere, Severity.WARNING)
                    continue
                if target not in self.nodes:
                    continue
                relationship = value.get("relationship") if isinstance(value, dict) else None
                if not relationship:
                    for def_name, definition in info.requirement_defs:
                        if def_name == req_name:
                            relationship = definition.get("relationship")
                            break
                if not relationship:
                    continue
                for code, message in self.types.relationship_problems(info):
                    self.report.add(code, message, rwhere)
                self.explicit_relationship(relationship, info, rwhere, name, target)

    def explicit_relationship(self, relationship: Any, info: NodeTypeInfo, where: Where,
                              source: str, target: str) -> None:
        """The relationship an assignment names is matched against those its node type's
        requirement definitions name (a custom type also through its direct parent); a matched
        one is looked at: a custom type's keynames, and the operations of the assignment's
        interfaces (§3.8.2.2: keynames, inputs with ``SOURCE`` / ``TARGET``)."""
        assignment = relationship if isinstance(relationship, dict) else None
        name = assignment.get("type") if assignment is not None else relationship
        if not isinstance(name, str):
            return
        custom = name in self._relationship_types
        if not custom and not name.startswith("tosca.relationships."):
            name = "tosca.relationships." + name
        named = self._named_relationships.get(info.name)
        if named is None:
            named = set()
            for _req, definition in info.requirement_defs:
                relation = definition.get("relationship")
                if isinstance(relation, dict):
                    relation = relation.get("type")
                if isinstance(relation, str):
                    named.add(relation if relation in self._relationship_types else
                              self.registry.canonical("relationship_types", relation)
                              or relation)
            self._named_relationships[info.name] = named
        matched = name in named
        if custom and not matched:
            parent = (self.registry.definition("relationship_types", name) or {}).get(
                "derived_from")
            if isinstance(parent, str):
                parent = parent if parent.startswith("tosca.relationships.") else \
                    "tosca.relationships." + parent
                if parent in named:
                    matched = True
                    for code, message in self.types.keys_problems(
                            "relationship_types", name, RELATIONSHIP_TYPE_KEYS,
                            "Relationshiptype"):
                        self.report.add(code, message, where)
        if matched and assignment is not None and assignment.get("interfaces"):
            self.relationship_interfaces(name, assignment["interfaces"], where, source, target)

    def relationship_interfaces(self, rel_type: str, interfaces: Any, where: Where,
                                source: str, target: str) -> None:
        if not isinstance(interfaces, dict):
            raise NotNative("relationship interfaces that are not a map")
        canonical = self.registry.canonical("relationship_types", rel_type)
        if canonical is None:
            raise NotNative(f"relationship type {rel_type} is unknown")
        declared = self.registry.merged("relationship_types", canonical, "interfaces")
        shown = rel_type.lower()
        for iname, value in interfaces.items():
            iwhere = at(where, "relationship", "interfaces", iname)
            if not isinstance(value, dict):
                raise NotNative("a relationship interface that is not a map")
            if "notifications" in value:
                raise NotNative("interface notifications are checked by tosca-parser")
            operations = value["operations"] if "operations" in value else \
                {k: v for k, v in value.items() if k != "inputs"}
            if not isinstance(operations, dict):
                raise NotNative("operations that are not a map")
            if iname in LIFECYCLE[1:] or iname in CONFIGURE[1:]:
                interface_type = LIFECYCLE[0] if iname in LIFECYCLE else CONFIGURE[0]
            else:
                definition = declared.get(iname)
                if not isinstance(definition, dict) or not isinstance(definition.get("type"),
                                                                      str):
                    raise NotNative(f"relationship interface {iname!r} has no known type")
                interface_type = definition["type"]
                if not self.interface_type_known(interface_type):
                    self.report.add("tosca.invalid_value", f'Interface type definition for '
                                    f'interface "{interface_type}" not found', iwhere)
            shared = value.get("inputs")
            for op, op_def in operations.items():
                if isinstance(op_def, dict):
                    for key in op_def:
                        if key not in OPERATION_KEYS:
                            self.report.add("tosca.unknown_field", f'"interfaces" of template '
                                            f'"{shown}" contains unknown field "{key}".',
                                            at(iwhere, op, key))
                own = op_def.get("inputs") if isinstance(op_def, dict) else None
                for inputs in (shared, own):
                    for key, item in (inputs.items() if isinstance(inputs, dict) else ()):
                        self.functions.check(item, shown, at(iwhere, op, "inputs", key),
                                             ends=(source, target))

    def check_occurrences(self) -> None:
        for name, raw in self.nodes.items():
            info = self.node_info(str(name))
            if info is None or not isinstance(raw, dict):
                continue
            entries = raw.get("requirements")
            counts: dict[str, int] = {}
            for entry in entries if isinstance(entries, list) else ():
                for req_name in entry:
                    counts[req_name] = counts.get(req_name, 0) + 1
            bounds = self._occurrences.get(info.name)
            if bounds is None:
                bounds = self._occurrences[info.name] = self.types.occurrences(info)
            for req_name, low, high in bounds:
                count = counts.get(req_name, 0)
                if count < low or count > high:
                    # open requirements are dropped, dangling ones made warnings, by the
                    # review both paths share (compat a)
                    self.report.add("tosca.requirement_occurrences", f'Relationship '
                                    f'"{req_name}" in template "{name}" has a wrong number of '
                                    f'occurrences ({count}, allowed {low} to '
                                    f'{"UNBOUNDED" if high > 10**9 else high})',
                                    self.where("node_templates", name))

    # -- functions -------------------------------------------------------------------------
    def node_functions(self, name: str) -> None:
        """Function values of one node template, where the validator checks them: its
        properties (type defaults included), operation inputs, relationship properties and
        assigned capabilities' properties."""
        raw = self.nodes[name]
        info = self.node_info(name)
        if info is None or not isinstance(raw, dict):
            return
        where = self.where("node_templates", name)
        check = self.functions.check
        given = raw.get("properties")
        schemas = info.properties.schemas
        if isinstance(given, dict):
            for prop, value in given.items():
                if value.__class__ is dict and len(value) == 1 and prop in schemas:
                    check(value, name, at(where, "properties", prop))
        for prop, default in info.properties.defaults:
            if default.__class__ is dict and len(default) == 1 and not (
                    isinstance(given, dict) and prop in given):
                check(default, name, at(where, "properties", prop))
        interfaces = raw.get("interfaces")
        for iname, interface in (interfaces.items() if isinstance(interfaces, dict) else ()):
            operations = interface["operations"] if "operations" in interface else \
                {k: v for k, v in interface.items() if k != "inputs"}
            shared = interface.get("inputs")
            for op, op_def in operations.items():
                own = op_def.get("inputs") if isinstance(op_def, dict) else None
                for source in (shared, own):
                    for key, value in (source.items() if isinstance(source, dict) else ()):
                        check(value, name, at(where, "interfaces", iname, op, "inputs", key))
        entries = raw.get("requirements")
        for index, entry in enumerate(entries if isinstance(entries, list) else ()):
            for value in entry.values():
                relationship = value.get("relationship") if value.__class__ is dict else None
                props = relationship.get("properties") if relationship.__class__ is dict \
                    else None
                for prop_value in (props.values() if isinstance(props, dict) else ()):
                    check(prop_value, name, at(where, "requirements", index), relationship=True)
        assigned = raw.get("capabilities")
        for cap_name, cap_value in (assigned.items() if isinstance(assigned, dict) else ()):
            cap = info.capabilities.get(cap_name)
            if cap is None or not isinstance(cap_value, dict):
                continue
            cap_given = cap_value.get("properties") or {}
            cap_schemas = cap.properties.schemas
            for prop, value in cap_given.items():
                if value.__class__ is dict and len(value) == 1 and prop in cap_schemas:
                    check(value, name, at(where, "capabilities", cap_name, "properties", prop))
            for prop, default in cap.own_defaults.items():
                if default.__class__ is dict and len(default) == 1 and prop not in cap_given \
                        and prop in cap_schemas:
                    check(default, name, at(where, "capabilities", cap_name, "properties",
                                            prop))
