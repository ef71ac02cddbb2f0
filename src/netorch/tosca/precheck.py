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
* no topology keyname (``policies``, ``groups``, ...) sits at the top level of the file.

Each check is one pass over the template.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netorch.model.diagnostics import Diagnostic, error, warning
from netorch.tosca.compat import VERSION_FOR_VALIDATOR
from netorch.tosca.sol001_checks import SOL001_NODE_KINDS
from netorch.tosca.type_registry import TypeRegistry, known_profiles
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


TOPOLOGY_KEYNAMES: frozenset[str] = frozenset(
    {"node_templates", "relationship_templates", "groups", "policies", "inputs", "outputs",
     "substitution_mappings", "workflows"})
"""Keynames of a topology template (§3.9.2), which some tools write at the top level."""


def check_misplaced(doc: YamlDocument) -> list[Diagnostic]:
    """Topology keynames written at the service template's top level (§3.9.3 does not have
    them there): an error naming where they belong, rather than a bare "unknown field"."""
    data = doc.data if isinstance(doc.data, dict) else {}
    diags: list[Diagnostic] = []
    for key in data:
        if key in TOPOLOGY_KEYNAMES:
            line, col = doc.where(key)
            diags.append(error("tosca.misplaced_section",
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
    return checker.check(topology)
