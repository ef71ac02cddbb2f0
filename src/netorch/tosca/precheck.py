"""Cheap structural checks run before tosca-parser, for what it crashes on or reports vaguely.

* the document is a mapping with a supported ``tosca_definitions_version``
  (TOSCA Simple Profile YAML 1.3 §3.9.3.1);
* the sections the mapping reads have the right shape (§3.9.3 service template, §3.9 topology
  template: ``node_templates`` a map, ``requirements`` a list of single-key maps, ``policies`` a
  list of single-key maps);
* every node, policy and group type is known (§3.8.3 "type" keyname), with the line of the
  template that uses it;
* every requirement names an existing node template (§3.8.2 requirement assignment ``node``)
  that offers the capability the requirement definition asks for (§3.7.3);
* every policy target and group member exists (§3.8.5, §3.8.6);
* the type sections of every file are maps of type definitions (§3.9.3);
* no topology keyname (``policies``, ``groups``, ...) sits at the top level of the file;
* a capability assignment has only its keynames (§3.8.1), and a value declared to be of a
  complex data type is a map (§3.7.6): tosca-parser crashes on either otherwise.

Each check is one pass over the template.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netorch.model.diagnostics import Diagnostic, error, warning
from netorch.tosca.compat import VERSION_FOR_VALIDATOR
from netorch.tosca.sol001_checks import SOL001_NODE_KINDS
from netorch.tosca.type_registry import SECTIONS, TypeRegistry, known_profiles
from netorch.tosca.typed_values import DataValues
from netorch.tosca.yaml_doc import YamlDocument

TOSCA_VERSIONS: frozenset[str] = frozenset(
    {"tosca_simple_yaml_1_0", "tosca_simple_yaml_1_1", "tosca_simple_yaml_1_2",
     "tosca_simple_yaml_1_3"})


def supported_versions() -> frozenset[str]:
    """TOSCA Simple Profile 1.0-1.3 and the legacy profiles (with their short spellings)."""
    return TOSCA_VERSIONS | known_profiles() | frozenset(VERSION_FOR_VALIDATOR)


def check_header(doc: YamlDocument) -> tuple[str | None, list[Diagnostic]]:
    """The template's ``tosca_definitions_version``, or why it cannot be read."""
    data = doc.data
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        return None, [error("tosca.not_a_mapping",
                            f"a service template must be a YAML mapping, this document is {kind}",
                            doc.file, 1, 1)]
    version = data.get("tosca_definitions_version")
    if version is None:
        return None, [error("tosca.missing_version",
                            "the template has no tosca_definitions_version", doc.file, 1, 1)]
    line, col = doc.where("tosca_definitions_version")
    if not isinstance(version, str) or version not in supported_versions():
        hint = ""
        if isinstance(version, str) and version.startswith("tosca_2"):
            hint = " (TOSCA 2.0 is not supported yet)"
        expected = ", ".join(sorted(supported_versions()))
        return None, [error("tosca.unsupported_version",
                            f"unsupported tosca_definitions_version {version!r}{hint}; "
                            f"expected one of {expected}", doc.file, line, col)]
    return version, []


class _Checker:
    def __init__(self, doc: YamlDocument, registry: TypeRegistry,
                 prefix: tuple[str, ...]) -> None:
        self.doc = doc
        self.registry = registry
        self.prefix = prefix
        self.diags: list[Diagnostic] = []

    def err(self, code: str, message: str, *path: str | int) -> None:
        line, col = self.doc.where(*self.prefix, *path)
        if line is None and path:
            line, col = self.doc.where(*self.prefix, *path[:-1])
        self.diags.append(error(code, message, self.doc.file, line, col))

    def section(self, topology: Mapping[str, Any], key: str, kind: type) -> Any:
        value = topology.get(key)
        if value is None:
            return kind()
        if not isinstance(value, kind):
            shape = "a map" if kind is dict else "a list"
            self.err("tosca.invalid_section", f"'{key}' must be {shape}", key)
            return kind()
        return value

    def check(self, topology: Mapping[str, Any]) -> list[Diagnostic]:
        nodes = self.section(topology, "node_templates", dict)
        groups = self.section(topology, "groups", dict)
        for key in ("inputs", "outputs", "relationship_templates"):
            section = self.section(topology, key, dict)
            for name, definition in section.items():
                if not isinstance(definition, dict):
                    self.err("tosca.invalid_section",
                             f"{key[:-1]} {name!r} must be a map", key, name)
                elif key == "inputs" and not isinstance(definition.get("type"), str):
                    # an input is a parameter definition with a type (§3.6.14)
                    self.err("tosca.missing_field", f"input {name!r} has no 'type'",
                             key, name)
        mapping = self.section(topology, "substitution_mappings", dict)
        if "substitution_mappings" in topology and isinstance(topology[
                "substitution_mappings"], dict):
            self.check_mapping(mapping)
        relationship_templates = self.section(topology, "relationship_templates", dict)
        for name, node in nodes.items():
            self.check_node(str(name), node, nodes, relationship_templates)
        for name, group in groups.items():
            self.check_group(str(name), group, nodes)
        policies = topology.get("policies")
        if policies is not None:
            self.check_policies(policies, nodes, groups)
        return self.diags

    def check_node(self, name: str, node: Any, nodes: Mapping[str, Any],
                   relationship_templates: Mapping[str, Any]) -> None:
        where = ("node_templates", name)
        if not isinstance(node, dict):
            self.err("tosca.invalid_node_template", f"node template {name!r} must be a map",
                     *where)
            return
        node_type = node.get("type")
        if not isinstance(node_type, str):
            self.err("tosca.missing_field", f"node template {name!r} has no 'type'", *where)
        elif self.registry.canonical("node_types", node_type) is None:
            self.err("tosca.unknown_type",
                     f"node template {name!r} has unknown node type {node_type!r}", *where)
        for key in ("properties", "capabilities", "interfaces", "artifacts", "attributes"):
            if node.get(key) is not None and not isinstance(node.get(key), dict):
                self.err("tosca.invalid_section",
                         f"'{key}' of node template {name!r} must be a map", *where, key)
        self.check_assignments(name, node, where)
        requirements = node.get("requirements")
        if requirements is None:
            return
        if not isinstance(requirements, list):
            self.err("tosca.invalid_requirements",
                     f"'requirements' of node template {name!r} must be a list",
                     *where, "requirements")
            return
        for index, entry in enumerate(requirements):
            rpath = (*where, "requirements", index)
            if not isinstance(entry, dict) or len(entry) != 1:
                self.err("tosca.invalid_requirements",
                         f"requirement #{index + 1} of node template {name!r} must be a map "
                         "with exactly one requirement name", *rpath)
                continue
            req_name, value = next(iter(entry.items()))
            capability: Any = None
            if isinstance(value, dict):
                target = value.get("node")
                relationship = value.get("relationship")
                capability = value.get("capability")
            else:
                target, relationship = value, None
            if isinstance(target, str) and target in nodes and isinstance(node_type, str):
                self.check_target(name, node_type, str(req_name), capability, target,
                                  nodes[target], rpath)
            if target is not None and not isinstance(target, str):
                self.err("tosca.invalid_requirements",
                         f"requirement {req_name!r} of node template {name!r} must name its "
                         "target node template as a string", *rpath)
            elif (isinstance(target, str) and target not in nodes
                  and self.registry.canonical("node_types", target) is None):
                self.err("tosca.missing_requirement_target",
                         f"requirement {req_name!r} of node template {name!r} targets "
                         f"{target!r}, which is neither a node template nor a node type", *rpath)
            if isinstance(relationship, str) and relationship not in relationship_templates \
                    and self.registry.canonical("relationship_types", relationship) is None:
                self.err("tosca.unknown_type",
                         f"requirement {req_name!r} of node template {name!r} uses unknown "
                         f"relationship {relationship!r}", *rpath)

    def check_mapping(self, mapping: Mapping[str, Any]) -> None:
        """Substitution mappings name the node type they substitute (§3.8.13)."""
        node_type = mapping.get("node_type")
        if not isinstance(node_type, str):
            self.err("tosca.missing_field", "substitution_mappings has no 'node_type'",
                     "substitution_mappings")
        elif self.registry.canonical("node_types", node_type) is None:
            self.err("tosca.unknown_type", f"substitution_mappings substitutes unknown node "
                     f"type {node_type!r}", "substitution_mappings", "node_type")
        for key in ("properties", "capabilities", "requirements", "attributes", "interfaces"):
            if mapping.get(key) is not None and not isinstance(mapping.get(key), dict):
                self.err("tosca.invalid_section", f"'{key}' of substitution_mappings must be a "
                         "map", "substitution_mappings", key)

    def check_assignments(self, name: str, node: Mapping[str, Any],
                          where: tuple[str, ...]) -> None:
        """Capability, artifact and interface assignments have the shapes of §3.8.3 (the
        validator crashes on others)."""
        capabilities = node.get("capabilities")
        for cap, value in (capabilities.items() if isinstance(capabilities, dict) else ()):
            if value is not None and not isinstance(value, dict):
                self.err("tosca.invalid_section", f"capability {cap!r} of node template "
                         f"{name!r} must be a map", *where, "capabilities", cap)
            elif isinstance(value, dict):
                for key in ("properties", "attributes"):
                    if value.get(key) is not None and not isinstance(value.get(key), dict):
                        self.err("tosca.invalid_section", f"'{key}' of capability {cap!r} of "
                                 f"node template {name!r} must be a map",
                                 *where, "capabilities", cap)
                unknown = [str(k) for k in value if k not in CAPABILITY_ASSIGNMENT_KEYNAMES]
                if unknown:
                    self.err("tosca.unknown_field", f"capability {cap!r} of node template "
                             f"{name!r} has {', '.join(map(repr, unknown))}, which "
                             "a capability assignment does not have (properties, attributes, "
                             "occurrences): property values go under 'properties'",
                             *where, "capabilities", cap, unknown[0])
        artifacts = node.get("artifacts")
        for art, value in (artifacts.items() if isinstance(artifacts, dict) else ()):
            if not isinstance(value, str | dict):
                self.err("tosca.invalid_section", f"artifact {art!r} of node template {name!r} "
                         "must be a file name or a map", *where, "artifacts", art)
        interfaces = node.get("interfaces")
        node_type = self.registry.canonical("node_types", node.get("type"))
        declared = self.registry.interface_definitions(node_type) if node_type else {}
        for iname, interface in (interfaces.items() if isinstance(interfaces, dict) else ()):
            problem = _interface_problem(interface)
            if problem is not None:
                self.err("tosca.invalid_section", f"interface {iname!r} of node template "
                         f"{name!r}: {problem}", *where, "interfaces", iname)
            elif node_type is not None and iname not in declared:
                known = ", ".join(sorted(map(str, declared))) or "none"
                self.err("tosca.unknown_interface", f"node template {name!r} assigns interface "
                         f"{iname!r}, which its type {node_type} does not define (it defines "
                         f"{known})", *where, "interfaces", iname)

    def check_target(self, name: str, node_type: str, req_name: str, capability: Any,
                     target: str, target_node: Any, rpath: tuple[str | int, ...]) -> None:
        """The target should offer the capability the requirement asks for (§3.7.3, §3.8.2).

        A warning: the standard's own examples do not always match their normative types
        (TOSCA 1.2 connects a container's Endpoint requirement to a Network).  SOL001
        descriptors get the error form (:mod:`netorch.tosca.sol001_checks`).
        """
        definition = self.registry.requirement_definition(
            self.registry.canonical("node_types", node_type) or node_type, req_name)
        if capability is None:
            capability = definition.get("capability") if isinstance(definition, dict) else \
                definition
        target_type = target_node.get("type") if isinstance(target_node, dict) else None
        wanted = self.registry.canonical("capability_types", capability)
        target_canonical = self.registry.canonical("node_types", target_type)
        source = self.registry.canonical("node_types", node_type)
        if wanted is None or target_canonical is None or source is None or any(
                self.registry.is_a("node_types", source, kind) for kind in SOL001_NODE_KINDS):
            return  # a capability named by its name, an unknown type, or SOL001's own check
        if not self.registry.offers(target_canonical, wanted):
            line, col = self.doc.where(*self.prefix, *rpath)
            self.diags.append(warning(
                "tosca.requirement_target_mismatch",
                f"requirement {req_name!r} of node template {name!r} needs a {wanted} "
                f"capability, which node template {target!r} ({target_type}) does not offer",
                self.doc.file, line, col))

    def check_group(self, name: str, group: Any, nodes: Mapping[str, Any]) -> None:
        where = ("groups", name)
        if not isinstance(group, dict):
            self.err("tosca.invalid_section", f"group {name!r} must be a map", *where)
            return
        group_type = group.get("type")
        if not isinstance(group_type, str):
            self.err("tosca.missing_field", f"group {name!r} has no 'type'", *where)
        elif self.registry.canonical("group_types", group_type) is None:
            self.err("tosca.unknown_type", f"group {name!r} has unknown group type "
                     f"{group_type!r}", *where)
        members = group.get("members")
        if members is None:
            return
        if not isinstance(members, list):
            self.err("tosca.invalid_section", f"'members' of group {name!r} must be a list",
                     *where, "members")
            return
        for member in members:
            if not isinstance(member, str) or member not in nodes:
                self.err("tosca.unknown_group_member",
                         f"group {name!r} member {member!r} is not a node template",
                         *where, "members")

    def check_policies(self, policies: Any, nodes: Mapping[str, Any],
                       groups: Mapping[str, Any]) -> None:
        if not isinstance(policies, list):
            self.err("tosca.invalid_section",
                     "'policies' must be a list of single-entry maps", "policies")
            return
        for index, entry in enumerate(policies):
            ppath = ("policies", index)
            if not isinstance(entry, dict) or len(entry) != 1:
                self.err("tosca.invalid_section",
                         f"policy #{index + 1} must be a map with exactly one policy name",
                         *ppath)
                continue
            name, policy = next(iter(entry.items()))
            if not isinstance(policy, dict):
                self.err("tosca.invalid_section", f"policy {name!r} must be a map", *ppath)
                continue
            policy_type = policy.get("type")
            if not isinstance(policy_type, str):
                self.err("tosca.missing_field", f"policy {name!r} has no 'type'", *ppath, name)
            elif self.registry.canonical("policy_types", policy_type) is None:
                self.err("tosca.unknown_type",
                         f"policy {name!r} has unknown policy type {policy_type!r}",
                         *ppath, name)
            targets = policy.get("targets")
            if targets is None:
                continue
            if not isinstance(targets, list):
                self.err("tosca.invalid_section", f"'targets' of policy {name!r} must be a list",
                         *ppath, name, "targets")
                continue
            for target in targets:
                if not isinstance(target, str) or (target not in nodes and target not in groups):
                    self.err("tosca.unknown_policy_target",
                             f"policy {name!r} target {target!r} is neither a node template "
                             "nor a group", *ppath, name, "targets")


CAPABILITY_ASSIGNMENT_KEYNAMES: frozenset[str] = frozenset(
    {"properties", "attributes", "occurrences"})
"""The keynames of a capability assignment (§3.8.1)."""

_INTERFACE_KEYS = frozenset({"type", "description", "metadata"})


def _interface_problem(interface: Any) -> str | None:
    """Why an interface assignment (§3.6.21) is malformed, or None."""
    if not isinstance(interface, dict):
        return "it must be a map"
    for key in ("inputs", "operations", "notifications"):
        if interface.get(key) is not None and not isinstance(interface.get(key), dict):
            return f"'{key}' must be a map"
    nested = interface.get("operations")
    operations = nested if isinstance(nested, dict) else {
        k: v for k, v in interface.items()
        if k not in _INTERFACE_KEYS and k not in ("inputs", "operations", "notifications")}
    for op, value in operations.items():
        if not isinstance(value, str | dict | list):
            return f"operation {op!r} must be an implementation or a map"
        if isinstance(value, dict):
            implementation = value.get("implementation")
            if implementation is not None and not isinstance(implementation, str | dict):
                return f"the implementation of operation {op!r} must be a file or a map"
            if value.get("inputs") is not None and not isinstance(value.get("inputs"), dict):
                return f"the inputs of operation {op!r} must be a map"
    return None


_MAP_SECTIONS: tuple[str, ...] = (*SECTIONS, "repositories", "metadata", "dsl_definitions")


def check_definitions(doc: YamlDocument) -> list[Diagnostic]:
    """The type sections of a file (§3.9.3: ``node_types`` ... ``policy_types``, and
    ``repositories``, ``metadata``) are maps, and each type definition is a map."""
    data = doc.data if isinstance(doc.data, dict) else {}
    diags: list[Diagnostic] = []
    for key in _MAP_SECTIONS:
        section = data.get(key)
        if section is None:
            continue
        if not isinstance(section, dict):
            line, col = doc.where(key)
            diags.append(error("tosca.invalid_section", f"'{key}' must be a map", doc.file,
                               line, col))
            continue
        if key not in SECTIONS:
            continue
        for name, definition in section.items():
            if not isinstance(definition, dict):
                line, col = doc.where(key, name)
                diags.append(error("tosca.invalid_section",
                                   f"the definition of {name!r} in '{key}' must be a map",
                                   doc.file, line, col))
    return diags


TOPOLOGY_KEYNAMES: frozenset[str] = frozenset(
    {"node_templates", "relationship_templates", "groups", "policies", "inputs", "outputs",
     "substitution_mappings", "workflows"})
"""Keynames of a topology template (§3.9.2), which some tools write at the top level."""


def check_misplaced(doc: YamlDocument) -> list[Diagnostic]:
    """Topology keynames written at the service template's top level (§3.9.3 does not have
    them there): an error naming where they belong, rather than a bare "unknown field".

    ``groups`` and ``policies`` there are read as the topology's own with a warning
    (:mod:`netorch.tosca.leniency`) unless the topology has its own as well: then which one is
    meant is ambiguous, and this check reports it.
    """
    data = doc.data if isinstance(doc.data, dict) else {}
    topology = data.get("topology_template")
    diags: list[Diagnostic] = []
    for key in data:
        if key in TOPOLOGY_KEYNAMES:
            line, col = doc.where(key)
            twice = isinstance(topology, dict) and topology.get(key) is not None
            diags.append(error("tosca.misplaced_section",
                               f"'{key}' is written both at the top level and under "
                               "topology_template: which one is meant is ambiguous; keep the "
                               "one under topology_template" if twice else
                               f"'{key}' is a keyname of topology_template, not of the service "
                               "template; move it under topology_template", doc.file, line, col))
    return diags


def check_topology(doc: YamlDocument, registry: TypeRegistry) -> list[Diagnostic]:
    """Structural checks of ``doc``'s topology_template (see module doc)."""
    data = doc.data
    if not isinstance(data, dict):
        return []
    misplaced = check_misplaced(doc)
    topology = data.get("topology_template")
    if topology is None:
        return misplaced
    checker = _Checker(doc, registry, ("topology_template",))
    checker.diags.extend(misplaced)
    if not isinstance(topology, dict):
        checker.err("tosca.invalid_section", "'topology_template' must be a map")
        return checker.diags
    return checker.check(topology) + check_data_values(doc, registry)


def check_data_values(doc: YamlDocument, registry: TypeRegistry) -> list[Diagnostic]:
    """A value declared to be of a complex data type is a map of its fields (§3.7.6, §3.6.10).

    Null (a key written without a value), a scalar or a list there is a ``tosca.type_mismatch``
    error: tosca-parser reports it too, then crashes reading the value's fields.
    """
    data = doc.data if isinstance(doc.data, dict) else {}
    walk = DataValues(registry)
    diags: list[Diagnostic] = []
    for data_type, item, where in walk.in_topology(data.get("topology_template")):
        if isinstance(item, dict):
            continue
        shown = "null" if item is None else f"{item!r}"
        line, col = doc.where(*where)
        diags.append(error(
            "tosca.type_mismatch",
            f"{'.'.join(map(str, where[2:]))} is {shown}, but a value of data type "
            f"{data_type} is a map of its fields (leave a field out to give it no value)",
            doc.file, line, col))
    return diags


def _bound(value: Any) -> float | None:
    if value == "UNBOUNDED":
        return float("inf")
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return None


def _range_problem(value: Any, constraints: Any) -> str | None:
    """Why ``value`` is not a valid range for ``constraints`` (TOSCA 1.3 §3.3.3 range:
    ``[lower, upper]`` integers, ``upper`` possibly ``UNBOUNDED``, lower <= upper; an
    ``in_range`` constraint holds both ends), or None."""
    if not isinstance(value, list) or len(value) != 2:
        return "is not a range [lower, upper]"
    lower, upper = _bound(value[0]), _bound(value[1])
    if lower is None or upper is None or value[0] == "UNBOUNDED" or lower > upper:
        return "is not a range of two integers, lower first"
    for clause in constraints if isinstance(constraints, list) else ():
        bounds = clause.get("in_range") if isinstance(clause, dict) else None
        if isinstance(bounds, list) and len(bounds) == 2:
            low, high = _bound(bounds[0]), _bound(bounds[1])
            if low is not None and high is not None and not low <= lower <= upper <= high:
                return f"is not within {bounds}"
    return None


def check_range_properties(doc: YamlDocument, registry: TypeRegistry) -> list[Diagnostic]:
    """Values of ``range``-typed properties of node templates and policies (§3.3.3, §3.6.3).

    The validator cannot check an ``in_range`` constraint on a range (see
    :mod:`netorch.tosca.compat`); this check does, with the shape of the value.
    """
    data = doc.data if isinstance(doc.data, dict) else {}
    topology = data.get("topology_template")
    if not isinstance(topology, dict):
        return []
    entities: list[tuple[str, tuple[str | int, ...], Any]] = []
    nodes = topology.get("node_templates")
    for name, node in (nodes.items() if isinstance(nodes, dict) else ()):
        entities.append(("node_types", ("node_templates", name), node))
    policies = topology.get("policies")
    for index, entry in enumerate(policies if isinstance(policies, list) else ()):
        if isinstance(entry, dict) and len(entry) == 1:
            name, policy = next(iter(entry.items()))
            entities.append(("policy_types", ("policies", index, name), policy))
    diags: list[Diagnostic] = []
    for section, path, entity in entities:
        if not isinstance(entity, dict) or not isinstance(entity.get("properties"), dict):
            continue
        entity_type = registry.canonical(section, entity.get("type"))
        if entity_type is None:
            continue
        definitions = registry.property_definitions(section, entity_type)
        for prop, value in entity["properties"].items():
            pdef = definitions.get(prop)
            if not isinstance(pdef, dict) or pdef.get("type") != "range" or \
                    isinstance(value, dict):  # a function: its value is checked when known
                continue
            problem = _range_problem(value, pdef.get("constraints"))
            if problem is not None:
                line, col = doc.where("topology_template", *path, "properties", prop)
                diags.append(error("tosca.invalid_value",
                                   f"property {prop!r} of {path[-1]!r}: {value!r} {problem}",
                                   doc.file, line, col))
    return diags
