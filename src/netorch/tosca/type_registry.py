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
from importlib.resources.abc import Traversable
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

ROOT_TYPES: Mapping[str, str] = {
    "node_types": "tosca.nodes.Root",
    "relationship_types": "tosca.relationships.Root",
    "capability_types": "tosca.capabilities.Root",
    "policy_types": "tosca.policies.Root",
    "group_types": "tosca.groups.Root",
    "artifact_types": "tosca.artifacts.Root",
}
"""The root type of each section that has one in the normative types (§5)."""

_PROFILE_FILES: Mapping[str, tuple[str, str]] = {
    "tosca_simple_profile_for_nfv_1_0_0": ("toscaparser.extensions.nfv",
                                           "TOSCA_nfv_definition_1_0_0.yaml"),
    "tosca_simple_profile_for_mec_1_0_0": ("toscaparser.extensions.mec",
                                           "TOSCA_mec_definition_1_0_0.yaml"),
}

NORMATIVE_1_2 = "tosca_simple_yaml_1_2_normative.yaml"
"""netorch's own file of the normative types TOSCA 1.2 introduced or changed (types/tosca/)."""

_ADDITIONS: Mapping[str, tuple[str, ...]] = {
    "tosca_simple_yaml_1_2": (NORMATIVE_1_2,),
    "tosca_simple_yaml_1_3": (NORMATIVE_1_2,),
}

_NETWORK_DATA_TYPES: Mapping[str, str] = {
    # the shorthand names of the network data types leave out "network." (§5.3.6-§5.3.9)
    short: f"tosca.datatypes.network.{short}"
    for short in ("NetworkInfo", "PortInfo", "PortDef", "PortSpec")
}

_ALIASES_1_0: Mapping[str, Mapping[str, str]] = {"data_types": _NETWORK_DATA_TYPES}

ALIASES_1_2: Mapping[str, Mapping[str, str]] = {
    "data_types": _NETWORK_DATA_TYPES,
    # TOSCA 1.2 renamed the storage node types; their short names follow (§5.9.10, §5.9.11)
    "node_types": {
        "BlockStorage": "tosca.nodes.Storage.BlockStorage",
        "ObjectStorage": "tosca.nodes.Storage.ObjectStorage",
    },
}

_ALIASES: Mapping[str, Mapping[str, Mapping[str, str]]] = {
    "tosca_simple_yaml_1_2": ALIASES_1_2,
    "tosca_simple_yaml_1_3": ALIASES_1_2,
}

Definition = Mapping[str, Any]


def _read_text_definitions(text: str, name: str) -> dict[str, dict[str, Definition]]:
    doc, _diags = parse_yaml(text, name)
    data = doc.data if doc is not None and isinstance(doc.data, dict) else {}
    return {section: dict(data.get(section) or {}) for section in SECTIONS}


def _read_definitions(package: str, name: str) -> dict[str, dict[str, Definition]]:
    text = (importlib.resources.files(package) / name).read_text(encoding="utf-8")
    return _read_text_definitions(text, name)


def netorch_types_file(name: str) -> Traversable:
    """One of netorch's own TOSCA normative type files (``types/tosca/<name>``)."""
    return importlib.resources.files("netorch.tosca") / "types" / "tosca" / name


def addition_files(version: str | None) -> tuple[str, ...]:
    """netorch's normative type files for ``version`` (names inside ``types/tosca/``)."""
    return _ADDITIONS.get(version or "", ())


@functools.cache
def normative_definitions(version: str | None = None
                          ) -> Mapping[str, Mapping[str, Definition]]:
    """The normative types a template of ``version`` is read against.

    The TOSCA 1.0 Simple Profile types (tosca-parser's copy, read as data), plus a legacy
    profile's types for a profile version, plus netorch's 1.2 additions for 1.2 and 1.3.
    """
    sections = _read_definitions("toscaparser.elements", "TOSCA_definition.yaml")
    if version is not None and version in _PROFILE_FILES:
        package, name = _PROFILE_FILES[version]
        for section, types in _read_definitions(package, name).items():
            sections[section].update(types)
    for name in addition_files(version):
        text = netorch_types_file(name).read_text(encoding="utf-8")
        for section, types in _read_text_definitions(text, name).items():
            sections[section].update(types)
    return sections


def known_profiles() -> frozenset[str]:
    return frozenset(_PROFILE_FILES)


class TypeRegistry:
    """Type definitions by section; answers chain / inheritance questions with memoization."""

    def __init__(self, version: str | None = None) -> None:
        base = normative_definitions(version)
        self.version = version
        self._types: dict[str, dict[str, Definition]] = {s: dict(base[s]) for s in SECTIONS}
        self._aliases: Mapping[str, Mapping[str, str]] = _ALIASES.get(version or "",
                                                                      _ALIASES_1_0)
        self._anywhere: dict[str, tuple[str, Definition]] = {}
        """Custom types by name, whatever section defined them (see :meth:`canonical`)."""
        self._custom: set[str] = set()
        self.namespace_prefixes: set[str] = set()
        self._chains: dict[tuple[str, str], tuple[str, ...]] = {}
        self._merged: dict[tuple[str, str, str], dict[str, Any]] = {}

    # -- building -----------------------------------------------------------------------
    def add_file_types(self, data: Mapping[str, Any], namespace_prefix: str | None = None) -> None:
        """Add the type definitions of one file (its ``*_types`` sections).

        A file imported with a ``namespace_prefix`` (TOSCA 1.3 §3.6.8.1) defines its types
        under their qualified names ``<prefix>:<name>``; they are also known by their plain
        names, which is how the file itself (and the files it imports) refers to them.
        """
        if namespace_prefix:
            self.namespace_prefixes.add(namespace_prefix)
        for section in SECTIONS:
            defs = data.get(section)
            if not isinstance(defs, dict):
                continue
            for name, definition in defs.items():
                if not isinstance(definition, dict):
                    definition = {}
                keys = [str(name)]
                if namespace_prefix:
                    keys.append(f"{namespace_prefix}:{name}")
                for key in keys:
                    self._types[section][key] = definition
                    self._anywhere[key] = (section, definition)
                    self._custom.add(key)
        self._chains.clear()
        self._merged.clear()

    def is_custom(self, name: str) -> bool:
        """True when ``name`` was defined by one of the template's files (not normative)."""
        return name in self._custom

    # -- names --------------------------------------------------------------------------
    def canonical(self, section: str, name: Any) -> str | None:
        """The registered name for ``name`` (full, ``tosca:Short``, short form, a qualified
        ``prefix:name`` or tosca-parser's ``prefix.name``), or None."""
        if not isinstance(name, str) or not name:
            return None
        types = self._types[section]
        if name in types:
            return name
        short = name[len("tosca:"):] if name.startswith("tosca:") else name
        alias = self._aliases.get(section, {}).get(short)
        if alias is not None and alias in types:
            return alias
        full = PREFIXES[section] + short
        if full in types:
            return full
        head, dot, rest = name.partition(".")
        if dot and head in self.namespace_prefixes and f"{head}:{rest}" in types:
            return f"{head}:{rest}"
        if name in self._anywhere:
            # A type declared under another section (e.g. a policy type listed under
            # node_types): tosca-parser keeps all custom types in one namespace and accepts
            # it, so the registry does too.
            types[name] = self._anywhere[name][1]
            return name
        return None

    def canonical_any(self, name: str) -> str | None:
        """The registered name of ``name`` in whichever section knows it first."""
        for section in SECTIONS:
            found = self.canonical(section, name)
            if found is not None:
                return found
        return None

    def definition(self, section: str, name: str) -> Definition | None:
        canonical = self.canonical(section, name)
        return self._types[section].get(canonical) if canonical else None

    def names(self, section: str) -> Iterable[str]:
        return self._types[section].keys()

    # -- derivation ---------------------------------------------------------------------
    def chain(self, section: str, name: str) -> tuple[str, ...]:
        """``name`` (canonical) followed by its ancestors; stops at an unknown type or a cycle.

        A custom type without ``derived_from`` (TOSCA 1.3 §3.7.1 makes it optional) derives
        from its section's root type, as every normative type does.
        """
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
            if parent is None and current in self._custom and section in ROOT_TYPES:
                parent = ROOT_TYPES[section]
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

    def merged(self, section: str, name: str, key: str) -> dict[str, Any]:
        """A dict-valued keyname (``properties``, ``attributes``, ...) merged along the
        derivation chain of ``name``, the nearest definition winning."""
        return self._merged_section(section, name, key)

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
        """The type of capability ``capability`` of ``node_type``: the nearest definition that
        gives one (a refinement may leave the type out, §3.7.2)."""
        for type_name in self.chain("node_types", node_type):
            definition = self._types["node_types"].get(type_name) or {}
            caps = definition.get("capabilities")
            value = caps.get(capability) if isinstance(caps, dict) else None
            if isinstance(value, str):
                return value
            if isinstance(value, dict) and isinstance(value.get("type"), str):
                return str(value["type"])
        return None

    def offers(self, node_type: str, capability_type: str) -> bool:
        """True when ``node_type`` has a capability of type ``capability_type`` (or derived).

        The 1.0 normative node types offer hosting as ``tosca.capabilities.Container``, which
        TOSCA 1.2 calls ``tosca.capabilities.Compute`` (§5.5.3): either satisfies the other.
        """
        wanted = self.canonical("capability_types", capability_type) or capability_type
        for name in self.capability_definitions(node_type):
            offered = self.capability_type(node_type, name)
            offered = self.canonical("capability_types", offered) if offered else None
            if offered is None:
                continue
            if self.is_a("capability_types", offered, wanted):
                return True
            if wanted == "tosca.capabilities.Compute" and self.is_a(
                    "capability_types", offered, "tosca.capabilities.Container"):
                return True
        return False

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
