"""Defects of real packages that netorch reads with a warning instead of rejecting them.

Packages that OSM, Tacker or the ETSI mano parser onboard carry a few recurring defects.  An
operator expects them onboarded too, and told, with the file and line, what is wrong: unless
the defect makes the template ambiguous or undeployable.  Each rule below rewrites the
template's data (a copy: the parsed documents are left alone) before any check sees it, and
reports a warning.  Everything else stays an error.

``tosca.misplaced_section``
    ``groups`` or ``policies`` written at the top level of the service template, which TOSCA
    Simple Profile YAML 1.3 §3.9.3 does not define there, are read as the topology template's
    own (§3.9.2: they are keynames of ``topology_template``).  When the topology template has
    its own section of that name too, which one the author means is ambiguous: that stays an
    error, as do other topology keynames at the top level
    (:func:`netorch.tosca.precheck.check_misplaced`).
``tosca.policies_as_map``
    ``policies`` written as a map of policy names to definitions instead of the list of
    single-entry maps §3.9.2 defines: the same definitions, read in the map's order (a map's
    keys are unique, so nothing is lost or ambiguous).
``tosca.external_link``
    A requirement of a SOL001 / NFV profile node (its type derives from a ``tosca.nodes.nfv.*``
    type) whose definition asks for a ``tosca.capabilities.nfv.VirtualLinkable`` capability or
    a ``tosca.relationships.nfv.VirtualLinksTo`` relationship, naming something that is neither
    a node template nor a node type: the name of a network outside the descriptor.  Such
    connectivity is given at instantiation (ETSI GS NFV-SOL 005 InstantiateNsRequest
    ``extVirtualLinks`` / ``sapData``; SOL001 §6.8 external connection points), so the
    requirement is left out of the topology (no edge) and left open for the instantiation
    request.  A requirement of any other kind naming a missing node stays an error
    (``tosca.missing_requirement_target``).
``tosca.unknown_group_member``
    A group member that is not a node template of the topology (§3.8.5: members are node
    template names) is dropped from the group.
``sol001.algorithm_alias``
    A ``tosca.datatypes.nfv.ChecksumData`` ``algorithm`` spelled ``sha224``, ``sha256``,
    ``sha384`` or ``sha512``: the canonical SOL001 values (its ``valid_values`` in the ETSI
    type files, SOL001 §6.2 ChecksumData) are ``sha-224`` ... ``sha-512``; the value is
    normalised before validation.  Any other algorithm name is left for validation to judge.

Positions stay those of the file: moved content is recorded in
:attr:`netorch.tosca.yaml_doc.YamlDocument.moved`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from netorch.model.diagnostics import Diagnostic, warning
from netorch.tosca.imports import ImportGraph
from netorch.tosca.type_registry import TypeRegistry
from netorch.tosca.typed_values import DataValues
from netorch.tosca.yaml_doc import Path_, YamlDocument

TOPOLOGY = "topology_template"
NFV_NODE_PREFIX = "tosca.nodes.nfv."
VIRTUAL_LINKABLE = "tosca.capabilities.nfv.VirtualLinkable"
VIRTUAL_LINKS_TO = "tosca.relationships.nfv.VirtualLinksTo"
CHECKSUM_DATA = "tosca.datatypes.nfv.ChecksumData"
ALGORITHM_ALIASES: Mapping[str, str] = {
    "sha224": "sha-224", "sha256": "sha-256", "sha384": "sha-384", "sha512": "sha-512"}
"""Unhyphenated spellings -> the SOL001 ChecksumData.algorithm value."""

_MISPLACEABLE = ("groups", "policies")


@dataclass(slots=True)
class Repairs:
    """What :func:`repair` did: its warnings, and the requirements it left open."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    external_links: set[tuple[str, str]] = field(default_factory=set)
    """(node template, requirement) pairs read as external virtual links."""


class _Draft:
    """One file being repaired: its data is copied on the first change."""

    def __init__(self, doc: YamlDocument) -> None:
        self.doc = doc
        self.data: Any = doc.data
        self.moved: dict[Path_, Path_] = dict(doc.moved)
        self.changed = False

    def writable(self) -> dict[str, Any]:
        if not self.changed:
            self.data = copy.deepcopy(self.doc.data)
            self.changed = True
        result: dict[str, Any] = self.data
        return result

    def origin(self, path: Path_) -> Path_:
        for size in range(len(path), 0, -1):
            before = self.moved.get(path[:size])
            if before is not None:
                return (*before, *path[size:])
        return path

    def move(self, now: Path_, before: Path_) -> None:
        """The content now at ``now`` is written at ``before`` (a path of the data as it was
        before this move)."""
        self.moved[now] = self.origin(before)

    def warn(self, code: str, message: str, *path: str | int) -> Diagnostic:
        pos = self.doc.positions.get(self.origin(tuple(path)))
        line, col = pos if pos else (None, None)
        return warning(code, message, self.doc.file, line, col)

    def document(self) -> YamlDocument:
        return YamlDocument(self.doc.file, self.data, self.doc.positions, self.moved,
                            repaired=True)


def repair(graph: ImportGraph, registry: TypeRegistry) -> Repairs:
    """Apply every rule of the module doc to the user's files of ``graph``.

    A file that needs a repair is replaced in ``graph.files`` by a repaired copy; the entry
    definitions are ``graph.files[0].doc`` afterwards.
    """
    result = Repairs()
    for index, imported in enumerate(graph.files):
        if imported.builtin or not isinstance(imported.doc.data, dict):
            continue
        draft = _Draft(imported.doc)
        _misplaced_sections(draft, result)
        if not isinstance(draft.data.get(TOPOLOGY), dict):
            continue
        _policies_as_map(draft, result)
        _group_members(draft, result)
        _external_links(draft, registry, result)
        _checksum_aliases(draft, registry, result)
        if draft.changed:
            graph.files[index] = replace(imported, doc=draft.document())
    return result


# -- groups and policies --------------------------------------------------------------------
def _misplaced_sections(draft: _Draft, result: Repairs) -> None:
    """TOSCA 1.3 §3.9.3 / §3.9.2: ``groups`` and ``policies`` belong to the topology."""
    if not isinstance(draft.data.get(TOPOLOGY), dict):
        return  # no topology to move them into: precheck reports the misplaced keyname
    for key in _MISPLACEABLE:
        if key not in draft.data or draft.data[TOPOLOGY].get(key) is not None:
            continue  # absent, or written twice: precheck reports the ambiguity
        data = draft.writable()
        data[TOPOLOGY] = dict(data[TOPOLOGY])
        data[TOPOLOGY][key] = data.pop(key)
        draft.move((TOPOLOGY, key), (key,))
        result.diagnostics.append(draft.warn(
            "tosca.misplaced_section",
            f"'{key}' is a keyname of topology_template, not of the service template; read "
            "as if it were under topology_template (move it there)", TOPOLOGY, key))


def _policies_as_map(draft: _Draft, result: Repairs) -> None:
    """TOSCA 1.3 §3.9.2: ``policies`` is a list of single-entry maps."""
    policies = draft.data[TOPOLOGY].get("policies")
    if not isinstance(policies, dict):
        return
    data = draft.writable()
    names = list(data[TOPOLOGY]["policies"])
    data[TOPOLOGY]["policies"] = [{name: data[TOPOLOGY]["policies"][name]} for name in names]
    for index, name in enumerate(names):
        draft.move((TOPOLOGY, "policies", index, name), (TOPOLOGY, "policies", name))
        draft.move((TOPOLOGY, "policies", index), (TOPOLOGY, "policies", name))
    result.diagnostics.append(draft.warn(
        "tosca.policies_as_map",
        "'policies' is written as a map; TOSCA wants a list of single-entry maps "
        f"(- name: definition): read as that list, in the map's order ({len(names)} "
        "policies)", TOPOLOGY, "policies"))


def _group_members(draft: _Draft, result: Repairs) -> None:
    """TOSCA 1.3 §3.8.5: a group's members are node templates of its topology."""
    topology = draft.data[TOPOLOGY]
    nodes = topology.get("node_templates")
    groups = topology.get("groups")
    if not isinstance(nodes, dict) or not isinstance(groups, dict):
        return
    for name, group in groups.items():
        members = group.get("members") if isinstance(group, dict) else None
        if not isinstance(members, list):
            continue
        unknown = [m for m in members if isinstance(m, str) and m not in nodes]
        if not unknown:
            continue
        kept = [i for i, m in enumerate(members) if not (isinstance(m, str) and m not in nodes)]
        data = draft.writable()
        where: Path_ = (TOPOLOGY, "groups", name, "members")
        data[TOPOLOGY]["groups"][name]["members"] = [members[i] for i in kept]
        for new, old in enumerate(kept):
            if new != old:
                draft.move((*where, new), (*where, old))
        for member in unknown:
            result.diagnostics.append(draft.warn(
                "tosca.unknown_group_member",
                f"group {name!r} lists member {member!r}, which is not a node template of the "
                "topology; it is left out of the group", *where))


# -- external virtual links -------------------------------------------------------------------
def _is_nfv_node(registry: TypeRegistry, node_type: str) -> bool:
    return any(t.startswith(NFV_NODE_PREFIX) for t in registry.chain("node_types", node_type))


def _links_virtually(registry: TypeRegistry, node_type: str, requirement: str) -> bool:
    """Whether the requirement definition asks for virtual-link connectivity."""
    definition = registry.requirement_definition(node_type, requirement)
    if isinstance(definition, str):
        definition = {"capability": definition}
    if not isinstance(definition, dict):
        return False
    capability = registry.canonical("capability_types", definition.get("capability"))
    if capability is not None and registry.is_a("capability_types", capability,
                                                VIRTUAL_LINKABLE):
        return True
    relationship = definition.get("relationship")
    if isinstance(relationship, dict):
        relationship = relationship.get("type")
    found = registry.canonical("relationship_types", relationship)
    return found is not None and registry.is_a("relationship_types", found, VIRTUAL_LINKS_TO)


def _external_links(draft: _Draft, registry: TypeRegistry, result: Repairs) -> None:
    nodes = draft.data[TOPOLOGY].get("node_templates")
    if not isinstance(nodes, dict):
        return
    for name, node in nodes.items():
        node_type = registry.canonical("node_types", node.get("type")) \
            if isinstance(node, dict) else None
        requirements = node.get("requirements") if isinstance(node, dict) else None
        if node_type is None or not isinstance(requirements, list) or \
                not _is_nfv_node(registry, node_type):
            continue
        external: list[tuple[int, str, str]] = []
        for index, entry in enumerate(requirements):
            if not isinstance(entry, dict) or len(entry) != 1:
                continue
            req_name, value = next(iter(entry.items()))
            target = value.get("node") if isinstance(value, dict) else value
            if isinstance(target, str) and target not in nodes and \
                    registry.canonical("node_types", target) is None and \
                    _links_virtually(registry, node_type, str(req_name)):
                external.append((index, str(req_name), target))
        if external:
            _drop_requirements(draft, str(name), external, result)


def _drop_requirements(draft: _Draft, name: str, external: list[tuple[int, str, str]],
                       result: Repairs) -> None:
    where: Path_ = (TOPOLOGY, "node_templates", name, "requirements")
    for index, req_name, target in external:
        result.external_links.add((name, req_name))
        result.diagnostics.append(draft.warn(
            "tosca.external_link",
            f"requirement {req_name!r} of node template {name!r} names {target!r}, which is "
            "not a node template: read as an external virtual link, to be given at "
            "instantiation (extVirtualLinks / sapData); the requirement is left open",
            *where, index))
    dropped = {index for index, _req, _target in external}
    data = draft.writable()
    node = dict(data[TOPOLOGY]["node_templates"][name])
    requirements = node["requirements"]
    kept = [i for i in range(len(requirements)) if i not in dropped]
    node["requirements"] = [requirements[i] for i in kept]
    data[TOPOLOGY]["node_templates"][name] = node
    for new, old in enumerate(kept):
        if new != old:
            draft.move((*where, new), (*where, old))


# -- checksum algorithm ---------------------------------------------------------------------
def _checksum_aliases(draft: _Draft, registry: TypeRegistry, result: Repairs) -> None:
    """SOL001 ChecksumData.algorithm: sha-224, sha-256, sha-384, sha-512."""
    checksum = registry.canonical("data_types", CHECKSUM_DATA)
    if checksum is None:
        return
    walk = DataValues(registry, lambda data_type: registry.is_a("data_types", data_type,
                                                                checksum))
    found: list[tuple[Path_, str]] = []
    for _type, data, where in walk.in_topology(draft.data[TOPOLOGY]):
        algorithm = data.get("algorithm") if isinstance(data, dict) else None
        if isinstance(algorithm, str) and algorithm in ALGORITHM_ALIASES:
            found.append((where, algorithm))
    if not found:
        return
    data = draft.writable()
    for where, algorithm in found:
        target: Any = data
        for key in where:
            target = target[key]
        target["algorithm"] = ALGORITHM_ALIASES[algorithm]
        result.diagnostics.append(draft.warn(
            "sol001.algorithm_alias",
            f"checksum algorithm {algorithm!r} at {'.'.join(map(str, where[2:]))} is read as "
            f"{ALGORITHM_ALIASES[algorithm]!r}, the name SOL001 ChecksumData gives it",
            *where, "algorithm"))
