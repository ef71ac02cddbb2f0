"""The native validator: what the tosca-parser path checks of a template, in one linear pass
(TOSCA Simple Profile YAML 1.3 §3.6-§3.9, §4).

It runs after netorch's own structural checks (:mod:`netorch.tosca.precheck`) have passed, so
sections already have their shapes, every type a template names is known, and every
requirement targets a node template or a type.  In order:

1. keynames of the service template (§3.9.3.1) and of every imported file (§3.6.8);
2. the topology template's keynames (§3.9.2) and its inputs (§3.6.14: keynames, a primitive
   type, given values and truthy defaults of that type);
3. every node template (§3.8.3): keynames; its type's definitions (keynames, property
   definitions, capability types); assigned capabilities and their properties (§3.8.1);
   requirement assignments (§3.8.2: keynames, names the type defines); properties (unknown,
   missing required ones, values and constraints, type defaults too); interface assignments
   (§3.6.21: operations the interface defines, operation keynames); the relationship types its
   requirement definitions name (§3.7.3); the number of times each requirement is assigned
   (``occurrences``, default ``[1, UNBOUNDED]``);
4. outputs (§3.6.15), groups (§3.8.5), policies (§3.8.6: keynames, the policy type and its
   ancestors, properties), the topology's substitution mappings (§3.8.13: the substituted type,
   its required properties as inputs, outputs as its attributes);
5. intrinsic functions (:mod:`netorch.tosca.native.intrinsics`).

Every finding the tosca-parser path would drop in review (:mod:`netorch.tosca.compat`, a-g) is
not reported here either.  Anything this module does not reproduce raises
:class:`~netorch.tosca.native.errors.NotNative`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netorch.model.diagnostics import Diagnostic
from netorch.tosca.compat import VERSION_FOR_VALIDATOR, Lowering
from netorch.tosca.imports import ImportGraph
from netorch.tosca.native.errors import NotNative, Report
from netorch.tosca.native.keynames import (
    IMPORTED_KEYS,
    TEMPLATE_KEYS,
    TOPOLOGY,
    TOPOLOGY_KEYS,
    VALIDATOR_VERSIONS,
)
from netorch.tosca.native.nodes import NodeChecks
from netorch.tosca.native.sections import SectionChecks
from netorch.tosca.native.values import is_function, lowered, version_problem
from netorch.tosca.type_registry import TypeRegistry
from netorch.tosca.yaml_doc import YamlDocument


def validate(graph: ImportGraph, registry: TypeRegistry, lowering: Lowering,
             inputs: Mapping[str, object] | None) -> list[Diagnostic]:
    """Every problem the tosca-parser path's validator would report for this template (see
    the module doc), worded so that the review both paths share
    (:func:`netorch.tosca.compat.reviewed`) treats them alike."""
    report = Report()
    entry = graph.files[0].doc
    _keys(report, entry, TEMPLATE_KEYS, "Template")
    for imported in graph.files[1:]:
        _imported(report, imported.doc)
    data = entry.data if isinstance(entry.data, dict) else {}
    topology = data.get(TOPOLOGY)
    if isinstance(topology, dict) and topology:
        top = _Topology(report, registry, entry, topology, lowering, inputs)
        top.repositories(entry)
        top.run()
        for imported in graph.files[1:]:
            top.nested(imported.doc)
    return report.diagnostics


def _keys(report: Report, doc: YamlDocument, allowed: frozenset[str], what: str) -> None:
    data = doc.data if isinstance(doc.data, dict) else {}
    for key in data:
        if key not in allowed:
            report.add("tosca.unknown_field", f'{what} contains unknown field "{key}".',
                       (doc, (key,)))


def _imported(report: Report, doc: YamlDocument) -> None:
    """An imported file's keynames and version (TOSCA 1.3 §3.6.8, §3.9.3.1)."""
    data = doc.data if isinstance(doc.data, dict) else {}
    version = data.get("tosca_definitions_version")
    if version:
        shown = VERSION_FOR_VALIDATOR.get(version, version) if isinstance(version, str) \
            else version
        if shown not in VALIDATOR_VERSIONS:
            report.add("tosca.unsupported_version", f'The template version "{version}" of '
                       f'{doc.file} is invalid.', (doc, ("tosca_definitions_version",)))
    for key in data:
        if key not in IMPORTED_KEYS:
            report.add("tosca.unknown_field", f'Template {doc.file} contains unknown field '
                       f'"{key}".', (doc, (key,)))


def _as_checked(value_type: str, value: Any) -> Any:
    """A property value as the validator leaves it after checking it."""
    value = lowered(value)
    if is_function(value):
        return value
    if value_type == "string":
        return str(value)
    if value_type == "integer" and not isinstance(value, int):
        try:
            return int(value)
        except (TypeError, ValueError, OverflowError):
            return value
    if value_type == "boolean" and isinstance(value, str) and value.lower() in ("true",
                                                                                "false"):
        return value.lower() == "true"
    if value_type == "version":
        return _as_version(value)
    if value_type in ("list", "map", "string", "integer", "float", "boolean", "number",
                      "range") or value_type.startswith("scalar-unit"):
        return value
    raise NotNative(f"a {value_type} property passed to a nested template")


def _as_version(value: Any) -> Any:
    """A version as the validator writes it back: ``major`` alone becomes ``major.0``, an
    all-zero version none."""
    text = str(value)
    if version_problem(text):
        return text
    if text in ("0", "0.0", "0.0.0"):
        return None
    major, _dot, rest = text.partition(".")
    if not rest and "-" not in text and major != "0":
        return f"{major}.0"
    return text


def _operations_count(interfaces: Any) -> int:
    count = 0
    for value in interfaces.values() if isinstance(interfaces, dict) else ():
        if isinstance(value, dict):
            ops = value.get("operations") if "operations" in value else value
            count += len([k for k in ops if k != "inputs"]) if isinstance(ops, dict) else 0
            notifications = value.get("notifications")
            count += len(notifications) if isinstance(notifications, dict) else 0
    return count


class _Topology(NodeChecks, SectionChecks):
    """One topology template: the order the checks run in, and nested templates."""

    def run(self) -> None:
        topology = self.topology
        for key in topology:
            if key not in TOPOLOGY_KEYS:
                self.report.add("tosca.unknown_field", f'Template contains unknown field '
                                f'"{key}".', self.where(key))
        if topology.get("relationship_templates"):
            raise NotNative("relationship templates are checked by tosca-parser")
        self.check_inputs()
        for name, node in self.nodes.items():
            self.node(str(name), node)
        self.check_outputs()
        self.check_groups()
        self.check_policies()
        mapping = topology.get("substitution_mappings")
        if mapping:
            self.check_substitution(mapping)
        for name in self.nodes:
            self.node_functions(str(name))
        if self.parent is None:
            self.check_occurrences()

    def nested(self, doc: YamlDocument) -> None:
        """An imported topology whose substitution mappings substitute a node template of
        this one that has no interface operations is validated as a nested template, its
        inputs taking that node's property values (TOSCA 1.3 §2.10, §3.8.13)."""
        data = doc.data if isinstance(doc.data, dict) else {}
        topology = data.get(TOPOLOGY)
        mapping = topology.get("substitution_mappings") if isinstance(topology, dict) else None
        if not isinstance(topology, dict) or not isinstance(mapping, dict) or \
                not mapping.get("node_type"):
            return
        declared = mapping["node_type"]
        if not isinstance(declared, str) or ":" in declared:
            raise NotNative("a substituted node type the validator names otherwise")
        substituted = self.registry.canonical("node_types", declared)
        for name, node in self.nodes.items():
            if not isinstance(node, dict) or _operations_count(node.get("interfaces")):
                continue
            if self.registry.canonical("node_types", node.get("type")) != substituted:
                continue
            if node.get("type") != declared:
                raise NotNative("a substituted node type spelt differently in the two files")
            params = dict(self.given or {})
            params.update(self.parameters(str(name)))
            _Topology(self.report, self.registry, doc, topology, self.lowering, params,
                      substituted=str(name), parent=self).run()

    def parameters(self, node: str) -> dict[str, Any]:
        """The values a nested topology's inputs take from the substituted node template: its
        properties as the validator has them once checked (a string property as text, an
        integer or boolean property converted)."""
        info = self.node_info(node)
        if info is None:
            return {}
        result: dict[str, Any] = {}
        for prop, value in self.functions.properties_of(node).items():
            result[prop] = _as_checked(info.properties.schemas[prop].type, value)
        return result
