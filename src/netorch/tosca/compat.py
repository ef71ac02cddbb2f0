"""What tosca-parser gets wrong about valid TOSCA 1.2 / 1.3, and how netorch avoids it.

tosca-parser 2.x implements the TOSCA Simple Profile 1.0 with parts of 1.2 and 1.3.  netorch
gives it a staged copy of the template (:mod:`netorch.tosca.staging`) in which each valid
TOSCA 1.1-1.3 construct it mishandles is rewritten to an equivalent it handles.  The model is
always built from the user's own files, never from the staged copy.  Each rewrite either keeps
the meaning or hands the check it would defeat to netorch; each is listed with its clause:

1. ``tosca_simple_yaml_1_1`` is validated as 1.0, the nearest version tosca-parser knows; the
   NFV profile's short version ``tosca_simple_profile_for_nfv_1_0`` as ``..._1_0_0``; the 1.3
   service-template ``namespace`` keyname (§3.9.3.1) is dropped.
2. Qualified type names (§3.2.4, §3.6.8.1): ``tosca:Compute`` becomes ``tosca.nodes.Compute``;
   ``prefix:Name`` (a type of a namespaced import) becomes ``Name``, the staged copy importing
   every file without a prefix.
3. The normative types TOSCA 1.2 introduced or changed (``tosca.nodes.Storage.BlockStorage``,
   ``tosca.capabilities.Compute``, ...) come from netorch's own definitions; the two storage
   types get a private staged name because tosca-parser refuses theirs outright.
4. A type without ``derived_from`` (§3.7.1: the keyname is optional) derives from its
   section's root type; a capability definition in its short notation (§3.7.2.2) is written
   out; a refined property or capability definition gets the ``type`` its parent gives it; a
   data type derived from a primitive type gets it as its ``type`` (the validator's spelling);
   an ``in_range`` constraint on a ``range`` property, which crashes the validator, is checked
   by netorch instead (:func:`netorch.tosca.precheck.check_range_properties`).
5. A requirement definition with a relationship but no ``node`` (§3.7.3) names a node type that
   offers the capability (tosca-parser crashes looking one up otherwise).
6. A relationship assignment without ``type`` (§3.8.2) gets the one of its requirement
   definition.
7. Interface-level ``inputs`` of an interface assignment (§3.6.21: they apply to every
   operation) are given to each operation.
8. ``token``'s second argument is a string of separator characters (§4.3.3), not one
   character: the staged copy keeps the first; ``join`` (§4.3.2) is written as the ``concat``
   it amounts to; ``get_nodes_of_type`` (§4.7.1) as the (empty) list it yields at load time.
9. TOSCA 1.3 trigger definitions (§3.6.22: event, condition clauses, activities) are left out;
   netorch checks their shape itself (:func:`check_triggers`); an output's 1.3 ``type``
   keyname (§3.6.15) is left out too.
10. Imports are flattened: the staged entry imports every file of the graph once, so circular
    imports (§3.6.8 allows them) never recurse.
11. A capability assignment without ``properties`` (§3.8.1: ``attributes`` or ``occurrences``
    alone, or nothing at all) gets an empty ``properties`` map: the validator reads that key
    unconditionally.

And the validator findings that are not TOSCA errors (:meth:`Lowering.review`):

a. a missing requirement (occurrences) when the requirement is deliberately left open: it is
   mapped by the topology's ``substitution_mappings`` (§2.10, §3.8.13), or the node is the
   abstract node a substituting topology of the package realizes (a SOL001 VNF node, whose
   requirements are the VNF's external connection points), or it names an external virtual
   link given at instantiation (:mod:`netorch.tosca.leniency`); in a TOSCA 1.3 template, any
   other requirement left open except a host is a warning, ``tosca.dangling_requirement``
   (:meth:`Lowering._dangling`);
b. a normative node type among a policy type's ``targets`` (§3.7.12: node or group types, not
   only the template's own);
c. an input mapped to a property by ``substitution_mappings`` (§3.8.13) without a default: the
   substituted node gives its value;
d. ``valid_values`` of a list-typed property compared element by element: the constraint is on
   the whole value (§3.6.3);
e. a property ``status`` of ``deprecated`` or ``unsupported`` (§3.6.10 allows all four);
f. a required field of a data value that has a default, when the default is false, 0 or empty
   (the validator applies only truthy defaults);
g. an integer given for a ``float`` (§3.3.1 primitive types: a float holds any real number;
   YAML merely spells the integral ones without a fraction).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from netorch.model.diagnostics import Diagnostic, Severity, error
from netorch.tosca.type_registry import ROOT_TYPES, SECTIONS, TypeRegistry
from netorch.tosca.yaml_doc import YamlDocument

VERSION_FOR_VALIDATOR: Mapping[str, str] = {
    "tosca_simple_yaml_1_1": "tosca_simple_yaml_1_0",
    "tosca_simple_profile_for_nfv_1_0": "tosca_simple_profile_for_nfv_1_0_0",
}

STAGED_NAMES: Mapping[str, str] = {
    "tosca.nodes.Storage.BlockStorage": "netorch.staged.nodes.Storage.BlockStorage",
    "tosca.nodes.Storage.ObjectStorage": "netorch.staged.nodes.Storage.ObjectStorage",
}
"""Normative 1.2 names tosca-parser rejects as 'not supported', and what it is shown instead."""


PRIMITIVE_TYPES = frozenset(
    {"string", "integer", "float", "boolean", "timestamp", "null", "version", "range", "list",
     "map", "scalar-unit.size", "scalar-unit.time", "scalar-unit.frequency",
     "scalar-unit.bitrate"})
"""TOSCA 1.3 §3.3 primitive and collection types a data type may derive from."""

_TYPE_KEYS = frozenset({"type", "derived_from", "node", "entry_schema", "valid_source_types",
                        "valid_target_types", "members", "targets", "capability",
                        "relationship"})
"""Keys whose (string or list) values are type names in a type or template definition."""

_QUALIFIED = re.compile(r"^([A-Za-z_][\w-]*):([A-Za-z_][\w.-]*)$")
_OPERATION_RESERVED = frozenset(
    {"type", "inputs", "description", "derived_from", "notifications", "operations", "metadata"})
_OCCURRENCES = re.compile(
    r'^Relationship "(?P<req>[^"]+)" in template "(?P<node>[^"]+)" has a wrong number of '
    r"occurrences")
_POLICY_TYPE_TARGET = re.compile(
    r'^Type ""(?P<target>[^"]+)" defined in targets for policy "[^"]*"" is not a valid type')
_UNMAPPED_INPUT = re.compile(
    r'missing required default value of input "(?P<input>[^"]+)"')
_DATA_MISSING = re.compile(
    r'^Data value of type "(?P<type>[^"]+)" is missing required field "(?P<fields>\[.*\])"')
_STATUS = re.compile(r'has "status" attribute with invalid value "(?P<status>[^"]+)"')
_INTEGER_NOT_FLOAT = re.compile(r'^"-?\d+" is not a float\.$')
_VALID_VALUES = re.compile(
    r'^The value "(?P<value>.*)" of property "(?P<prop>[^"]*)" is not valid\. '
    r'Expected a value from "(?P<allowed>.*)"\.?$')
TOPOLOGY = "topology_template"


@dataclass(slots=True)
class Lowering:
    """Rewrites for one template (see the module doc); one instance per load."""

    registry: TypeRegistry
    version: str
    docs: Sequence[YamlDocument]
    open_requirements: set[tuple[str, str]] = field(default_factory=set)
    open_nodes: set[str] = field(default_factory=set)
    template_names: set[str] = field(default_factory=set)
    mapped_inputs: set[str] = field(default_factory=set)
    addition_names: frozenset[str] = frozenset()
    """Every spelling of the types of netorch's normative additions (see :attr:`uses_additions`)."""
    uses_additions: bool = False
    """Whether a lowered file names one of those types (then the validator needs them too)."""

    def __post_init__(self) -> None:
        self._find_open_requirements()

    # -- false positives --------------------------------------------------------------------
    def _find_open_requirements(self) -> None:
        substituted: set[str] = set()
        templates: list[Mapping[str, Any]] = []
        for doc in self.docs:
            data = doc.data if isinstance(doc.data, dict) else {}
            topology = data.get(TOPOLOGY)
            if not isinstance(topology, dict):
                continue
            templates.append(topology)
            mapping = topology.get("substitution_mappings")
            if not isinstance(mapping, dict):
                continue
            node_type = self.registry.canonical("node_types", mapping.get("node_type"))
            if node_type is not None:
                substituted.add(node_type)
            properties = mapping.get("properties")
            for value in (properties.values() if isinstance(properties, dict) else ()):
                target = value.get("mapping") if isinstance(value, dict) else value
                if isinstance(target, list) and len(target) == 1:
                    self.mapped_inputs.add(str(target[0]))
            requirements = mapping.get("requirements")
            for value in (requirements.values() if isinstance(requirements, dict) else ()):
                target = value.get("mapping") if isinstance(value, dict) else value
                if isinstance(target, list) and len(target) >= 2:
                    self.open_requirements.add((str(target[0]), str(target[1])))
        for topology in templates:
            nodes = topology.get("node_templates")
            for name, node in (nodes.items() if isinstance(nodes, dict) else ()):
                self.template_names.add(str(name))
                node_type = node.get("type") if isinstance(node, dict) else None
                if isinstance(node_type, str) and any(
                        self.registry.is_a("node_types", node_type, s) for s in substituted):
                    self.open_nodes.add(str(name))

    def review(self, diag: Diagnostic) -> Diagnostic | None:
        """The validator finding as netorch reports it: None when it is not a TOSCA error
        (see the module doc), possibly narrowed to what really is one."""
        if diag.severity is not Severity.ERROR:
            return diag
        match = _DATA_MISSING.match(diag.message)
        if match:
            return self._really_missing(diag, match.group("type"), match.group("fields"))
        if self.is_false_positive(diag):
            return None
        match = _OCCURRENCES.match(diag.message)
        if match:
            return self._dangling(diag, match.group("node"), match.group("req"))
        return diag

    def _dangling(self, diag: Diagnostic, node: str, requirement: str) -> Diagnostic:
        """A requirement of a TOSCA 1.3 template assigned fewer times than its lower bound.

        TOSCA Simple Profile YAML 1.3 lets the orchestrator fulfil, at deployment, a requirement
        the template leaves open (a "dangling" requirement: §3.7.3 gives its lower bound,
        §3.8.2 the assignments that would fulfil it in the template): a warning
        (``tosca.dangling_requirement``).  Not for a requirement to be hosted (HostedOn, or a
        Container capability): the node cannot be deployed anywhere without its host.  Earlier
        versions, and a requirement assigned more often than allowed, stay errors.
        """
        if self.version != "tosca_simple_yaml_1_3":
            return diag
        found = self._template(node)
        if found is None:
            return diag
        node_type, template = found
        definition = self.registry.requirement_definition(node_type, requirement)
        if isinstance(definition, str):
            definition = {"capability": definition}
        if not isinstance(definition, dict):
            return diag
        occurrences = definition.get("occurrences")
        lower = occurrences[0] if isinstance(occurrences, list) and occurrences and \
            isinstance(occurrences[0], int) else 1
        assigned = sum(1 for entry in template.get("requirements") or ()
                       if isinstance(entry, dict) and requirement in entry)
        if assigned >= lower or self._needs_host(definition):
            return diag
        return replace(diag, severity=Severity.WARNING, code="tosca.dangling_requirement",
                       message=f'requirement "{requirement}" of node template "{node}" is '
                               f"assigned {assigned} time(s), fewer than its lower bound "
                               f"{lower}: left open (dangling) for the orchestrator to fulfil "
                               "at deployment (TOSCA 1.3)")

    def _needs_host(self, definition: Mapping[str, Any]) -> bool:
        relationship = definition.get("relationship")
        if isinstance(relationship, dict):
            relationship = relationship.get("type")
        found = self.registry.canonical("relationship_types", relationship)
        if found is not None:
            return self.registry.is_a("relationship_types", found, "tosca.relationships.HostedOn")
        capability = self.registry.canonical("capability_types", definition.get("capability"))
        return capability is not None and self.registry.is_a(
            "capability_types", capability, "tosca.capabilities.Container")

    def _template(self, name: str) -> tuple[str, Mapping[str, Any]] | None:
        """(canonical type, definition) of node template ``name`` in the lowered files."""
        for doc in self.docs:
            data = doc.data if isinstance(doc.data, dict) else {}
            topology = data.get(TOPOLOGY)
            nodes = topology.get("node_templates") if isinstance(topology, dict) else None
            node = nodes.get(name) if isinstance(nodes, dict) else None
            if isinstance(node, dict):
                node_type = self.registry.canonical("node_types", node.get("type"))
                return (node_type, node) if node_type is not None else None
        return None

    def _really_missing(self, diag: Diagnostic, data_type: str, fields: str
                        ) -> Diagnostic | None:
        """A required field with a default is not missing, even when the default is false,
        0 or an empty string (tosca-parser only applies truthy defaults)."""
        try:
            names = ast.literal_eval(fields)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return diag
        canonical = self.registry.canonical("data_types", self.shown_names().get(
            data_type, data_type))
        if not isinstance(names, list) or canonical is None:
            return diag
        definitions = self.registry.property_definitions("data_types", canonical)
        missing = [n for n in names if not (isinstance(definitions.get(n), dict)
                                            and "default" in definitions[n])]
        if not missing:
            return None
        if missing == names:
            return diag
        return replace(diag, message=f'Data value of type "{data_type}" is missing required '
                                     f'field "{missing}".')

    def is_false_positive(self, diag: Diagnostic) -> bool:
        """True for a validator finding that is not a TOSCA error (see the module doc)."""
        match = _STATUS.search(diag.message)
        if match:
            return match.group("status") in ("deprecated", "unsupported")
        match = _OCCURRENCES.match(diag.message)
        if match:
            node, req = match.group("node"), match.group("req")
            return node in self.open_nodes or (node, req) in self.open_requirements
        if _INTEGER_NOT_FLOAT.match(diag.message):
            return True
        match = _POLICY_TYPE_TARGET.match(diag.message)
        if match:
            target = match.group("target")
            return self.registry.canonical("node_types", target) is not None or \
                self.registry.canonical("group_types", target) is not None
        match = _UNMAPPED_INPUT.search(diag.message)
        if match:
            return match.group("input") in self.mapped_inputs
        match = _VALID_VALUES.match(diag.message)
        if match:
            try:
                value = ast.literal_eval(match.group("value"))
                allowed = ast.literal_eval(match.group("allowed"))
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                return False
            return isinstance(value, list) and isinstance(allowed, list) and value in allowed
        return False

    def shown_names(self) -> dict[str, str]:
        """Staged type name -> the name the user wrote, for the validator's messages."""
        return {staged: real for real, staged in STAGED_NAMES.items()}

    # -- names --------------------------------------------------------------------------------
    def staged_type(self, name: str) -> str:
        """How tosca-parser is shown the registered type ``name``."""
        if name in STAGED_NAMES:
            return STAGED_NAMES[name]
        match = _QUALIFIED.match(name)
        if match and match.group(1) in self.registry.namespace_prefixes:
            return match.group(2)
        return name

    def _name(self, text: str, parent: str | None) -> str:
        match = _QUALIFIED.match(text)
        if match:
            prefix = match.group(1)
            if prefix == "tosca" or prefix in self.registry.namespace_prefixes:
                found = self.registry.canonical_any(text)
                if found is not None:
                    return self.staged_type(found)
            return text
        if text in STAGED_NAMES:
            return STAGED_NAMES[text]
        if parent in _TYPE_KEYS and text not in self.template_names:
            head, dot, _rest = text.partition(".")
            if dot and head in self.registry.namespace_prefixes:
                found = self.registry.canonical_any(text)
                if found is not None:
                    return self.staged_type(found)
            if self.version in ("tosca_simple_yaml_1_2", "tosca_simple_yaml_1_3"):
                found = self.registry.canonical("node_types", text)
                if found is not None and found in STAGED_NAMES:
                    return STAGED_NAMES[found]
        return text

    def _names(self, value: Any, parent: str | None) -> Any:
        if isinstance(value, str):
            if value in self.addition_names:
                self.uses_additions = True
            return self._name(value, parent)
        if isinstance(value, list):
            return [self._names(item, parent) for item in value]
        if isinstance(value, dict):
            return {key: self._names(item, key if isinstance(key, str) else None)
                    for key, item in value.items()}
        return value

    # -- one file -------------------------------------------------------------------------------
    def lower(self, data: Any) -> Any:
        """The staged form of one file's data (a new object; ``data`` is left alone)."""
        if not isinstance(data, dict):
            return data
        result: dict[str, Any] = self._names(data, None)  # a fresh copy of every container
        version = result.get("tosca_definitions_version")
        if isinstance(version, str) and version in VERSION_FOR_VALIDATOR:
            result["tosca_definitions_version"] = VERSION_FOR_VALIDATOR[version]
        result.pop("namespace", None)
        for section in SECTIONS:
            defs = result.get(section)
            if isinstance(defs, dict):
                result[section] = {STAGED_NAMES.get(str(k), k): v for k, v in defs.items()}
                self._lower_types(section, result[section])
        topology = result.get(TOPOLOGY)
        if isinstance(topology, dict):
            self._lower_topology(topology)
        return result

    def _lower_types(self, section: str, defs: dict[Any, Any]) -> None:
        for name, definition in defs.items():
            if not isinstance(definition, dict):
                continue
            root = ROOT_TYPES.get(section)
            if root is not None and "derived_from" not in definition and \
                    str(name) != root and self.staged_type(str(name)) != root:
                definition["derived_from"] = root
            self._inherit_types(section, str(name), definition)
            _drop_range_in_range(definition)
            if section == "data_types":
                self._lower_primitive_data_type(str(name), definition)
            if section == "node_types":
                self._lower_requirement_definitions(definition.get("requirements"))
            if section == "policy_types":
                _drop_tosca_1_3_triggers(definition)
        _lower_tokens(defs)

    def _lower_primitive_data_type(self, name: str, definition: dict[str, Any]) -> None:
        """A data type derived (directly or not) from a primitive type (§3.7.6, e.g.
        ``derived_from: string`` with constraints) is written the way the validator reads
        such types: derived from the root data type, with the primitive as its ``type``."""
        chain = self.registry.chain("data_types", name)
        last = self.registry.definition("data_types", chain[-1]) if chain else None
        base = last.get("derived_from") if last is not None else None
        if isinstance(base, str) and base in PRIMITIVE_TYPES:
            definition["derived_from"] = "tosca.datatypes.Root"
            definition.setdefault("type", base)

    def _inherit_types(self, section: str, name: str, definition: dict[str, Any]) -> None:
        """A refined property or capability definition may leave out the ``type`` its parent
        gives it (§3.6.10, §3.7.2 refinement): the staged copy writes it out."""
        parent = definition.get("derived_from")
        parent_name = self.registry.canonical(section, parent) if isinstance(
            parent, str) else None
        for key in ("properties", "attributes"):
            own = definition.get(key)
            if not isinstance(own, dict):
                continue
            inherited = self.registry.merged(section, parent_name, key) if parent_name else {}
            for prop, pdef in own.items():
                base = inherited.get(prop)
                if isinstance(pdef, dict) and "type" not in pdef and isinstance(base, dict) \
                        and isinstance(base.get("type"), str):
                    pdef["type"] = self._name(base["type"], "type")
        capabilities = definition.get("capabilities")
        if section == "node_types" and isinstance(capabilities, dict):
            for cap_name, cdef in list(capabilities.items()):
                if isinstance(cdef, str):  # the short notation (§3.7.2.2)
                    capabilities[cap_name] = cdef = {"type": cdef}
                if isinstance(cdef, dict) and "type" not in cdef and parent_name:
                    inherited_type = self.registry.capability_type(parent_name, str(cap_name))
                    if inherited_type is not None:
                        cdef["type"] = self._name(inherited_type, "type")

    def _lower_requirement_definitions(self, requirements: Any) -> None:
        for entry in requirements if isinstance(requirements, list) else ():
            if not isinstance(entry, dict):
                continue
            for value in entry.values():
                if isinstance(value, dict) and "relationship" in value and "node" not in value:
                    value["node"] = self._node_offering(value.get("capability"))

    def _node_offering(self, capability: Any) -> str:
        wanted = self.registry.canonical("capability_types", capability)
        if wanted is not None:
            for node_type in list(self.registry.names("node_types")):
                for cap_name in self.registry.capability_definitions(node_type):
                    offered = self.registry.capability_type(node_type, cap_name)
                    if offered is not None and \
                            self.registry.is_a("capability_types", offered, wanted):
                        return self.staged_type(node_type)
        return "tosca.nodes.Root"

    def _lower_topology(self, topology: dict[str, Any]) -> None:
        outputs = topology.get("outputs")
        for output in (outputs.values() if isinstance(outputs, dict) else ()):
            if isinstance(output, dict):
                output.pop("type", None)
        nodes = topology.get("node_templates")
        for node in (nodes.values() if isinstance(nodes, dict) else ()):
            if not isinstance(node, dict):
                continue
            node_type = node.get("type")
            self._lower_requirement_assignments(node, node_type)
            _lower_interface_inputs(node.get("interfaces"))
            _lower_capability_assignments(node.get("capabilities"))
        relationships = topology.get("relationship_templates")
        for template in (relationships.values() if isinstance(relationships, dict) else ()):
            if isinstance(template, dict):
                _lower_interface_inputs(template.get("interfaces"))
        policies = topology.get("policies")
        for entry in policies if isinstance(policies, list) else ():
            if isinstance(entry, dict):
                for policy in entry.values():
                    if isinstance(policy, dict):
                        _drop_tosca_1_3_triggers(policy)
        _lower_tokens(topology)

    def _lower_requirement_assignments(self, node: dict[str, Any], node_type: Any) -> None:
        requirements = node.get("requirements")
        for entry in requirements if isinstance(requirements, list) else ():
            if not isinstance(entry, dict):
                continue
            for req_name, value in entry.items():
                if not isinstance(value, dict):
                    continue
                relationship = value.get("relationship")
                if isinstance(relationship, dict):
                    if "type" not in relationship:
                        relationship["type"] = self._declared_relationship(node_type, req_name)
                    _lower_interface_inputs(relationship.get("interfaces"))

    def _declared_relationship(self, node_type: Any, requirement: Any) -> str:
        canonical = self.registry.canonical("node_types", node_type) if isinstance(
            node_type, str) else None
        definition = self.registry.requirement_definition(canonical, str(requirement)) \
            if canonical is not None else None
        declared = definition.get("relationship") if isinstance(definition, dict) else None
        if isinstance(declared, dict):
            declared = declared.get("type")
        found = self.registry.canonical("relationship_types", declared)
        return self.staged_type(found) if found else "tosca.relationships.DependsOn"


def _lower_capability_assignments(capabilities: Any) -> None:
    """A capability assignment may leave ``properties`` out (§3.8.1: only ``attributes`` or
    ``occurrences``); the validator reads the key unconditionally, so it gets an empty map."""
    for name, assignment in (capabilities.items() if isinstance(capabilities, dict) else ()):
        if assignment is None:  # written without a value: nothing assigned
            capabilities[name] = {"properties": {}}
        elif isinstance(assignment, dict) and assignment.get("properties") is None:
            assignment["properties"] = {}


def _drop_range_in_range(definition: dict[str, Any]) -> None:
    """An ``in_range`` constraint on a ``range``-typed property makes the validator compare a
    list with a number and crash; the staged copy leaves it to
    :func:`netorch.tosca.precheck.check_range_properties`."""
    props = definition.get("properties")
    for pdef in (props.values() if isinstance(props, dict) else ()):
        if not isinstance(pdef, dict) or pdef.get("type") != "range":
            continue
        constraints = pdef.get("constraints")
        if isinstance(constraints, list):
            pdef["constraints"] = [c for c in constraints
                                   if not (isinstance(c, dict) and "in_range" in c)]


_ACTIVITIES = frozenset({"delegate", "set_state", "call_operation", "inline"})


def is_tosca_1_3_trigger(trigger: Any) -> bool:
    """A TOSCA 1.3 trigger definition (§3.6.22): an ``event`` and a list of activities."""
    return isinstance(trigger, dict) and "event" in trigger and \
        isinstance(trigger.get("action"), list) and \
        all(isinstance(a, dict) for a in trigger["action"])


def _drop_tosca_1_3_triggers(policy: dict[str, Any]) -> None:
    triggers = policy.get("triggers")
    if isinstance(triggers, dict):
        kept = {k: v for k, v in triggers.items() if not is_tosca_1_3_trigger(v)}
        if kept:
            policy["triggers"] = kept
        else:
            del policy["triggers"]


def _lower_interface_inputs(interfaces: Any) -> None:
    """Give interface-level inputs to each operation of the interface (§3.6.21)."""
    for interface in (interfaces.values() if isinstance(interfaces, dict) else ()):
        if not isinstance(interface, dict) or not isinstance(interface.get("inputs"), dict):
            continue
        shared = interface.pop("inputs")
        nested = interface.get("operations")
        operations = nested if isinstance(nested, dict) else {
            k: v for k, v in interface.items() if k not in _OPERATION_RESERVED}
        target = nested if isinstance(nested, dict) else interface
        for op_name, op in operations.items():
            if isinstance(op, str):
                target[op_name] = {"implementation": op, "inputs": dict(shared)}
            elif isinstance(op, dict):
                own = op.get("inputs")
                op["inputs"] = {**shared, **(own if isinstance(own, dict) else {})}
            elif op is None:
                target[op_name] = {"inputs": dict(shared)}


def _lower_tokens(value: Any) -> None:
    """The TOSCA 1.3 string functions tosca-parser does not know or gets wrong (§4.3).

    ``token``'s separators are a string of characters: the first one is kept.  ``join``
    becomes the ``concat`` of the list items and delimiters it stands for.
    ``get_nodes_of_type`` (§4.7.1, a list of node names at run time) becomes an empty list.
    """
    stack: list[Any] = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            for key, item in list(current.items()):
                lowered = _lowered_call(item)
                if lowered is not None:
                    current[key] = item = lowered
                stack.append(item)
        elif isinstance(current, list):
            for index, item in enumerate(current):
                lowered = _lowered_call(item)
                if lowered is not None:
                    current[index] = item = lowered
                stack.append(item)


def _lowered_call(value: Any) -> Any:
    if not isinstance(value, dict) or len(value) != 1:
        return None
    name, args = next(iter(value.items()))
    if name == "token" and isinstance(args, list) and len(args) == 3 and \
            isinstance(args[1], str) and len(args[1]) > 1:
        return {"token": [args[0], args[1][0], args[2]]}
    if name == "join" and isinstance(args, list) and args:
        items = args[0] if isinstance(args[0], list) else [args[0]]
        delimiter = args[1] if len(args) > 1 else ""
        joined: list[Any] = []
        for index, item in enumerate(items):
            if index and delimiter != "":
                joined.append(delimiter)
            joined.append(item)
        return {"concat": joined or [""]}
    if name == "get_nodes_of_type":
        return []
    return None


def check_triggers(doc: YamlDocument) -> list[Diagnostic]:
    """TOSCA 1.3 trigger definitions of a topology's policies (§3.6.22, §3.6.23).

    tosca-parser only knows the 1.0 trigger grammar, so the staged copy leaves the 1.3 ones
    out (see :func:`is_tosca_1_3_trigger`) and this check stands in for it: every activity is a
    single-entry map naming one of ``delegate``, ``set_state``, ``call_operation``,
    ``inline``, and the condition, when there is one, is a map or a list of clauses.
    """
    data = doc.data if isinstance(doc.data, dict) else {}
    topology = data.get(TOPOLOGY)
    policies = topology.get("policies") if isinstance(topology, dict) else None
    diags: list[Diagnostic] = []
    for index, entry in enumerate(policies if isinstance(policies, list) else ()):
        if not isinstance(entry, dict) or len(entry) != 1:
            continue
        name, policy = next(iter(entry.items()))
        triggers = policy.get("triggers") if isinstance(policy, dict) else None
        if not isinstance(triggers, dict):
            continue
        for trigger_name, trigger in triggers.items():
            if not is_tosca_1_3_trigger(trigger):
                continue
            problem = _trigger_problem(trigger)
            if problem is not None:
                line, col = doc.where(TOPOLOGY, "policies", index, name, "triggers",
                                      trigger_name)
                diags.append(error("tosca.invalid_trigger",
                                   f"trigger {trigger_name!r} of policy {name!r} {problem}",
                                   doc.file, line, col))
    return diags


def _trigger_problem(trigger: Mapping[str, Any]) -> str | None:
    if not isinstance(trigger.get("event"), str | dict):
        return "has an 'event' that is neither a name nor a map"
    condition = trigger.get("condition")
    if condition is not None and not isinstance(condition, list | dict):
        return "has a 'condition' that is neither a map nor a list of clauses"
    for activity in trigger["action"]:
        if len(activity) != 1 or next(iter(activity)) not in _ACTIVITIES:
            known = ", ".join(sorted(_ACTIVITIES))
            return f"has an activity {activity!r} that is not one of {known}"
    return None


def reviewed(diags: Iterable[Diagnostic], lowering: Lowering) -> list[Diagnostic]:
    """The validator's findings as netorch reports them (:meth:`Lowering.review`)."""
    result: list[Diagnostic] = []
    for diag in diags:
        kept = lowering.review(diag)
        if kept is not None:
            result.append(kept)
    return result
