"""``load``: a service template, CSAR directory or CSAR ZIP -> ServiceModel + diagnostics.

The stages, each of which reports every problem it finds:

1. locate the entry definitions (:mod:`netorch.tosca.csar`; TOSCA 1.3 §4.2, SOL004 §4.1) and
   verify the package (:mod:`netorch.tosca.sol004`);
2. read it keeping source positions (:mod:`netorch.tosca.yaml_doc`);
3. check the header and resolve every import locally (:mod:`netorch.tosca.imports`): the
   package, the local SOL001 type library, netorch's own types, the network only if allowed;
4. the defects of real packages read with a warning (:mod:`netorch.tosca.leniency`), cheap
   structural checks (:mod:`netorch.tosca.precheck`), 1.3 triggers
   (:mod:`netorch.tosca.compat`), files the package refers to
   (:mod:`netorch.tosca.references`), and the given inputs against the declared ones
   (TOSCA 1.3 §3.6.14);
5. validation by tosca-parser (:mod:`netorch.tosca.parser_bridge`) of a staged copy lowered
   to what it handles (:mod:`netorch.tosca.staging`, :mod:`netorch.tosca.compat`), its
   findings reviewed for what is not a TOSCA error;
6. the SOL001 semantic checks an NFVO makes (:mod:`netorch.tosca.sol001_checks`);
7. mapping onto the model (:mod:`netorch.tosca.builder`, :mod:`netorch.tosca.scaling`).

``load`` never raises: anything unexpected becomes an ``internal.error`` diagnostic (the
traceback is logged at DEBUG).  The model is None whenever an error was reported.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

from netorch.model.diagnostics import Diagnostic, Severity, error, has_errors
from netorch.model.service import ServiceModel
from netorch.tosca import parser_bridge, sol001_checks
from netorch.tosca.builder import ModelBuilder, Topology, declared_inputs, input_required
from netorch.tosca.compat import VERSION_FOR_VALIDATOR, Lowering, check_triggers, reviewed
from netorch.tosca.constraints import violations
from netorch.tosca.csar import Source, open_source
from netorch.tosca.imports import TYPES_PATH_ENV, ImportGraph, resolve_imports
from netorch.tosca.leniency import repair
from netorch.tosca.locate import Locator
from netorch.tosca.native.route import routed_load
from netorch.tosca.precheck import (
    check_definitions,
    check_header,
    check_range_properties,
    check_topology,
)
from netorch.tosca.references import check_references
from netorch.tosca.sol004.policy import PackagePolicy
from netorch.tosca.sol004.verify import verify_package
from netorch.tosca.staging import stage
from netorch.tosca.type_registry import TypeRegistry
from netorch.tosca.yaml_doc import YamlDocument, read_yaml_file

log = logging.getLogger(__name__)


def load(source: str | Path, *, inputs: Mapping[str, object] | None = None,
         types_path: Path | None = None, allow_network: bool = False,
         known_vnfds: Mapping[str, set[str]] | None = None,
         security: PackagePolicy | None = None
         ) -> tuple[ServiceModel | None, list[Diagnostic]]:
    """Load a service template (YAML), a CSAR directory or a CSAR ZIP.

    ``inputs`` are the values for the template's inputs; ``types_path`` (or the
    ``NETORCH_TYPES_PATH`` environment variable) is a directory of ``<version>/<file>`` SOL001
    type files that take precedence over netorch's own; the network is used for URL imports
    only when ``allow_network`` is true.  ``known_vnfds`` (VNFD id -> its deployment flavour
    ids, from the onboarded packages) lets an NSD's VNF references be checked.  ``security``
    is the SOL004 package policy (trust anchors, required signature; default from the
    environment, :meth:`PackagePolicy.from_env`).
    """
    try:  # cache -> native path -> tosca-parser path (_load), see docs/onboarding.md
        return routed_load(Path(source), inputs, types_path, allow_network, known_vnfds,
                           security, _load)
    except Exception as exc:  # the contract: never raise, never show a traceback
        log.debug("unexpected error loading %s", source, exc_info=True)
        return None, [error("internal.error",
                            f"unexpected {type(exc).__name__} while loading: {exc}",
                            str(source))]


def _types_path(explicit: Path | None) -> Path | None:
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get(TYPES_PATH_ENV)
    return Path(env) if env else None


def check_inputs(entry: YamlDocument, given: Mapping[str, object] | None
                 ) -> tuple[dict[str, Any], list[Diagnostic]]:
    """Given inputs against the declared ones; returns the values ``get_input`` sees.

    A required input without a value is an ``input.missing`` error when ``given`` is a
    mapping, and a warning when it is None (the template is being validated, not deployed).
    """
    declared = declared_inputs(Topology.of(entry))
    diags: list[Diagnostic] = []
    if given is not None and not isinstance(given, Mapping):
        return {}, [error("input.invalid", "inputs must be a mapping of names to values",
                          entry.file)]
    # Without any inputs (onboarding, validation) a missing value is only worth a warning;
    # once the caller supplies inputs (deployment), every required one must be there.
    severity = Severity.WARNING if given is None else Severity.ERROR
    given = given or {}
    for name in given:
        if name not in declared:
            known = ", ".join(sorted(declared)) or "none"
            diags.append(error("input.unknown",
                               f"input {name!r} is not declared by the template "
                               f"(declared inputs: {known})", entry.file))
    values: dict[str, Any] = {}
    for name, definition in declared.items():
        line, col = entry.where("topology_template", "inputs", name)
        if name in given:
            values[name] = given[name]
            broken = violations(given[name], definition.get("constraints"))
            if broken:
                diags.append(error("input.invalid",
                                   f"input {name!r} = {given[name]!r} violates "
                                   f"{', '.join(broken)}", entry.file, line, col))
        elif "default" in definition:
            values[name] = definition["default"]
        if name not in given and input_required(definition):
            diags.append(Diagnostic(severity, "input.missing",
                                    f"required input {name!r} has no value and no default",
                                    entry.file, line, col))
    return values, diags


def _flavour_docs(graph: ImportGraph) -> list[YamlDocument]:
    """Imported topologies that substitute a node type: candidate deployment flavours."""
    result: list[YamlDocument] = []
    for imported in graph.files[1:]:
        topology = Topology.of(imported.doc)
        if not imported.builtin and topology is not None and \
                isinstance(topology.data.get("substitution_mappings"), dict):
            result.append(imported.doc)
    return result


def _load(path: Path, inputs: Mapping[str, object] | None, types_path: Path | None,
          allow_network: bool, known_vnfds: Mapping[str, set[str]] | None,
          security: PackagePolicy | None = None
          ) -> tuple[ServiceModel | None, list[Diagnostic]]:
    diags: list[Diagnostic] = []
    with ExitStack() as stack:
        src, found = open_source(path, stack)
        diags.extend(found)
        if src is None:
            return None, diags
        diags += verify_package(src, security)
        entry, _raw, found = read_yaml_file(src.entry, src.display_entry)
        diags.extend(found)
        if entry is None:
            return None, diags
        version, found = check_header(entry)
        diags.extend(found)
        if version is None:
            return None, diags
        graph = resolve_imports(src.entry, entry, root=src.root,
                                types_path=_types_path(types_path),
                                allow_network=allow_network, stack=stack, display=src.display)
        diags.extend(graph.diagnostics)
        if has_errors(diags):
            return None, diags
        registry = TypeRegistry(VERSION_FOR_VALIDATOR.get(version, version))
        for imported in reversed(graph.files):
            registry.add_file_types(imported.doc.data, imported.namespace_prefix)
        repairs = repair(graph, registry)  # tolerated defects, as warnings (leniency.py)
        diags.extend(repairs.diagnostics)
        entry = graph.files[0].doc
        flavours = _flavour_docs(graph)
        structural: list[Diagnostic] = []
        for imported in graph.files:
            if not imported.builtin:
                structural.extend(check_definitions(imported.doc))
        for doc in (entry, *flavours):
            structural.extend(check_topology(doc, registry))
            structural.extend(check_triggers(doc))
            structural.extend(check_range_properties(doc, registry))
        if src.root is not None:
            structural.extend(check_references(graph.files, src.root, registry, src.display))
        diags.extend(structural)
        values, found = check_inputs(entry, inputs)
        diags.extend(found)
        if has_errors(structural):
            return None, diags
        locator = Locator(entry, flavours)
        lowering = Lowering(registry, VERSION_FOR_VALIDATOR.get(version, version),
                            [f.doc for f in graph.files if not f.builtin])
        lowering.open_requirements |= repairs.external_links
        staged = stage(graph, lowering, lambda: Path(stack.enter_context(
            tempfile.TemporaryDirectory(prefix="netorch-staged-"))))
        found = parser_bridge.validate(staged.entry, inputs=inputs, locate=locator)
        diags.extend(_renamed(d, staged.renames) for d in reviewed(found, lowering))
        if has_errors(diags):
            return None, diags
        diags.extend(sol001_checks.check(registry, entry, flavours, known_vnfds=known_vnfds))
        if has_errors(diags):
            return None, diags
        model = _build(src, entry, flavours, version, values, registry, diags)
    if has_errors(diags):
        return None, diags
    return model, diags


def _renamed(diag: Diagnostic, renames: Mapping[str, str]) -> Diagnostic:
    """Show the user's file and type names instead of the staged copy's in a message."""
    message = diag.message
    for staged, shown in renames.items():
        message = message.replace(staged, shown)
    return diag if message == diag.message else replace(diag, message=message)


def _build(src: Source, entry: YamlDocument, flavours: list[YamlDocument], version: str,
           values: dict[str, Any], registry: TypeRegistry, diags: list[Diagnostic]
           ) -> ServiceModel:
    default_name = Path(src.label).stem if src.root is not None else src.entry.stem
    builder = ModelBuilder(registry, diags.append)
    return builder.build(entry=entry, flavours=flavours, version=version, input_values=values,
                         source=src.display_entry, content_hash=src.content_hash,
                         default_name=default_name)
