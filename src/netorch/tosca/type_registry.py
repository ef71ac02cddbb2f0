"""The type system a template is read against: normative types plus the template's own.

Implements the parts of TOSCA Simple Profile YAML 1.3 the model mapping needs: type names and
their short forms (§3.2.4 "TOSCA namespace and alias"), derivation chains (§3.7.1 "Common
keynames in type definitions", ``derived_from``), and inherited property defaults, requirement,
capability, interface and artifact definitions (§3.7.3, §3.6.x refinement rules: the nearest
definition wins).

The normative definitions are tosca-parser's own copy of the Simple Profile types (read as data,
without importing tosca-parser).  Every lookup is memoized, so mapping a large template is linear
in its size.
"""

from __future__ import annotations

import functools
import importlib.resources
from collections.abc import Iterable, Mapping
from typing import Any

from netorch.tosca.yaml_doc import parse_yaml

SECTIONS: tuple[str, ...] = (
    "node_types", "relationship_types", "capability_types", "data_types", "interface_types",
    "policy_types", "group_types", "artifact_types",
)

PREFIXES: Mapping[str, str] = {
    "node_types": "tosca.nodes.",
    "relationship_types": "tosca.relationships.",
    "capability_types": "tosca.capabilities.",
    "data_types": "tosca.datatypes.",
    "interface_types": "tosca.interfaces.",
    "policy_types": "tosca.policies.",
    "group_types": "tosca.groups.",
    "artifact_types": "tosca.artifacts.",
}

_PROFILE_FILES: Mapping[str, tuple[str, str]] = {
    "tosca_simple_profile_for_nfv_1_0_0": ("toscaparser.extensions.nfv",
                                           "TOSCA_nfv_definition_1_0_0.yaml"),
    "tosca_simple_profile_for_mec_1_0_0": ("toscaparser.extensions.mec",
                                           "TOSCA_mec_definition_1_0_0.yaml"),
}

Definition = Mapping[str, Any]


def _read_definitions(package: str, name: str) -> dict[str, dict[str, Definition]]:
    text = (importlib.resources.files(package) / name).read_text(encoding="utf-8")
    doc, _diags = parse_yaml(text, name)
    data = doc.data if doc is not None and isinstance(doc.data, dict) else {}
    return {section: dict(data.get(section) or {}) for section in SECTIONS}


@functools.cache
def normative_definitions(profile: str | None = None) -> Mapping[str, Mapping[str, Definition]]:
    """The TOSCA Simple Profile normative types (plus a legacy profile's types, if named)."""
    sections = _read_definitions("toscaparser.elements", "TOSCA_definition.yaml")
    if profile is not None and profile in _PROFILE_FILES:
        package, name = _PROFILE_FILES[profile]
        for section, types in _read_definitions(package, name).items():
            sections[section].update(types)
    return sections


def known_profiles() -> frozenset[str]:
    return frozenset(_PROFILE_FILES)


class TypeRegistry:
    """Type definitions by section; answers chain / inheritance questions with memoization."""

    def __init__(self, profile: str | None = None) -> None:
        base = normative_definitions(profile)
        self._types: dict[str, dict[str, Definition]] = {s: dict(base[s]) for s in SECTIONS}
        self._anywhere: dict[str, tuple[str, Definition]] = {}
        """Custom types by name, whatever section defined them (see :meth:`canonical`)."""
        self._chains: dict[tuple[str, str], tuple[str, ...]] = {}
        self._merged: dict[tuple[str, str, str], dict[str, Any]] = {}

    # -- building -----------------------------------------------------------------------
    def add_file_types(self, data: Mapping[str, Any], namespace_prefix: str | None = None) -> None:
        """Add the type definitions of one file (its ``*_types`` sections)."""
        for section in SECTIONS:
            defs = data.get(section)
            if not isinstance(defs, dict):
                continue
            for name, definition in defs.items():
                if not isinstance(definition, dict):
                    definition = {}
                key = f"{namespace_prefix}.{name}" if namespace_prefix else str(name)
                self._types[section][key] = definition
                self._anywhere[key] = (section, definition)
        self._chains.clear()
        self._merged.clear()

    # -- names --------------------------------------------------------------------------
    def canonical(self, section: str, name: Any) -> str | None:
        """The registered name for ``name`` (full, ``tosca:Short`` or short form), or None."""
        if not isinstance(name, str) or not name:
            return None
        types = self._types[section]
        if name in types:
            return name
        short = name[len("tosca:"):] if name.startswith("tosca:") else name
        full = PREFIXES[section] + short
        if full in types:
            return full
        if name in self._anywhere:
            # A type declared under another section (e.g. a policy type listed under
            # node_types): tosca-parser keeps all custom types in one namespace and accepts
            # it, so the registry does too.
            types[name] = self._anywhere[name][1]
            return name
        return None

    def definition(self, section: str, name: str) -> Definition | None:
        canonical = self.canonical(section, name)
        return self._types[section].get(canonical) if canonical else None

    def names(self, section: str) -> Iterable[str]:
        return self._types[section].keys()

    # -- derivation ---------------------------------------------------------------------
    def chain(self, section: str, name: str) -> tuple[str, ...]:
        """``name`` (canonical) followed by its ancestors; stops at an unknown type or a cycle."""
        key = (section, name)
        cached = self._chains.get(key)
        if cached is not None:
            return cached
        result: list[str] = []
        seen: set[str] = set()
        current: str | None = self.canonical(section, name)
        if current is None:
            result.append(name)
        while current is not None and current not in seen:
            seen.add(current)
            result.append(current)
            parent = self._types[section][current].get("derived_from")
            current = self.canonical(section, parent) if parent is not None else None
        chain = tuple(result)
        self._chains[key] = chain
        return chain

    def is_a(self, section: str, name: str, ancestor: str) -> bool:
        target = self.canonical(section, ancestor) or ancestor
        return target in self.chain(section, name)

    def _merged_section(self, section: str, name: str, key: str) -> dict[str, Any]:
        """A dict-valued keyname merged along the chain, nearest definition winning."""
        cache_key = (section, name, key)
        cached = self._merged.get(cache_key)
        if cached is not None:
            return cached
        merged: dict[str, Any] = {}
        for type_name in reversed(self.chain(section, name)):
            definition = self._types[section].get(type_name) or {}
            value = definition.get(key)
            if isinstance(value, dict):
                merged.update(value)
        self._merged[cache_key] = merged
        return merged

    def property_definitions(self, section: str, name: str) -> dict[str, Any]:
        return self._merged_section(section, name, "properties")

    def property_defaults(self, section: str, name: str) -> dict[str, Any]:
        """Property name -> default, for properties whose nearest definition has one."""
        return {prop: definition["default"]
                for prop, definition in self.property_definitions(section, name).items()
                if isinstance(definition, dict) and "default" in definition}

    def capability_definitions(self, node_type: str) -> dict[str, Any]:
        """Capability name -> definition (a dict, or a capability type name in short form)."""
        return self._merged_section("node_types", node_type, "capabilities")

    def capability_type(self, node_type: str, capability: str) -> str | None:
        definition = self.capability_definitions(node_type).get(capability)
        if isinstance(definition, str):
            return definition
        if isinstance(definition, dict) and isinstance(definition.get("type"), str):
            return str(definition["type"])
        return None

    def interface_definitions(self, node_type: str) -> dict[str, Any]:
        return self._merged_section("node_types", node_type, "interfaces")

    def artifact_definitions(self, node_type: str) -> dict[str, Any]:
        return self._merged_section("node_types", node_type, "artifacts")

    def requirement_definition(self, node_type: str, requirement: str) -> Any:
        """The nearest definition of requirement ``requirement`` along the node type's chain."""
        for type_name in self.chain("node_types", node_type):
            definition = self._types["node_types"].get(type_name) or {}
            for entry in definition.get("requirements") or ():
                if isinstance(entry, dict) and requirement in entry:
                    return entry[requirement]
        return None
