"""The native loading path: :func:`netorch.tosca.loader.load`'s stages with netorch's own
validator in the place of tosca-parser.

Stage by stage it is the tosca-parser path's (:func:`netorch.tosca.loader._load`): the same
source location and SOL004 verification, the same header, structural, trigger, range,
reference and input checks, the same SOL001 semantic checks and the same mapping onto the
model (:mod:`netorch.tosca.builder`), so a template both paths accept gives the same
:class:`~netorch.model.service.ServiceModel`.  What differs:

* files are read with :mod:`netorch.tosca.native.fastyaml` and imports through
  :mod:`netorch.tosca.native.importwalk` (type files parsed once per process);
* the validation tosca-parser does (TOSCA Simple Profile YAML 1.3 §3.6-§3.9: keynames, types,
  property values, requirements, functions...) is :mod:`netorch.tosca.native.validate`'s, in
  one linear pass;
* before validating, :mod:`netorch.tosca.native.support` decides whether the template stays
  within what the native validator checks faithfully; when it does not, the result is an
  :class:`Unsupported` naming the reason, and the caller takes the tosca-parser path.

A change to the tosca-parser path's stages must be made here too; ``tests/unit/
test_tosca_native.py`` holds both paths to the same results on the examples and the corpus.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netorch.model.diagnostics import Diagnostic, has_errors
from netorch.model.service import ServiceModel
from netorch.tosca import sol001_checks
from netorch.tosca.compat import VERSION_FOR_VALIDATOR, Lowering, check_triggers, reviewed
from netorch.tosca.csar import open_source
from netorch.tosca.imports import TYPES_PATH_ENV
from netorch.tosca.leniency import repair
from netorch.tosca.native.errors import NotNative
from netorch.tosca.native.fastyaml import gc_paused, read_file
from netorch.tosca.native.importwalk import FilesRead, walk_imports
from netorch.tosca.precheck import (
    check_definitions,
    check_header,
    check_range_properties,
    check_topology,
)
from netorch.tosca.references import check_references
from netorch.tosca.sol004.limits import YamlLimits
from netorch.tosca.sol004.policy import PackagePolicy
from netorch.tosca.sol004.verify import verify_package
from netorch.tosca.type_registry import TypeRegistry

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Unsupported:
    """The template uses something the native validator does not check faithfully."""

    reason: str


@dataclass(slots=True)
class NativeResult:
    """A load by the native path: the model (None on error), the diagnostics, what was read."""

    model: ServiceModel | None
    diagnostics: list[Diagnostic]
    record: FilesRead = field(default_factory=FilesRead)
    root: Path | None = None
    """The package root (a temporary directory for a ZIP, gone once the load is done)."""


def types_path_of(explicit: Path | None) -> Path | None:
    """``types_path`` as the loader takes it: the argument, else ``NETORCH_TYPES_PATH``."""
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get(TYPES_PATH_ENV)
    return Path(env) if env else None


def load_native(path: Path, inputs: Mapping[str, object] | None, types_path: Path | None,
                allow_network: bool, known_vnfds: Mapping[str, set[str]] | None,
                security: PackagePolicy | None = None) -> NativeResult | Unsupported:
    """Load ``path`` by the native path (see the module doc); may raise on a bug (the caller,
    :func:`netorch.tosca.load`, turns that into a diagnostic)."""
    with gc_paused():
        return _load(path, inputs, types_path, allow_network, known_vnfds, security)


def _load(path: Path, inputs: Mapping[str, object] | None, types_path: Path | None,
          allow_network: bool, known_vnfds: Mapping[str, set[str]] | None,
          security: PackagePolicy | None) -> NativeResult | Unsupported:
    # the loader's own helpers, so both paths read inputs and map the model identically
    from netorch.tosca import loader
    from netorch.tosca.native import support, validate

    result = NativeResult(None, [])
    diags = result.diagnostics
    limits = YamlLimits.from_env()
    with ExitStack() as stack:
        src, found = open_source(path, stack)
        diags.extend(found)
        if src is None:
            return result
        result.root = src.root
        diags += verify_package(src, security)
        entry, raw, found = read_file(src.entry, src.display_entry, limits)
        diags.extend(found)
        if raw is not None:
            result.record.add(src.entry, hashlib.sha256(raw).hexdigest())
        if entry is None:
            return result
        version, found = check_header(entry)
        diags.extend(found)
        if version is None:
            return result
        graph = walk_imports(src.entry, entry, root=src.root,
                             types_path=types_path_of(types_path),
                             allow_network=allow_network, stack=stack, display=src.display,
                             record=result.record, limits=limits)
        diags.extend(graph.diagnostics)
        if has_errors(diags):
            return result
        registry = TypeRegistry(VERSION_FOR_VALIDATOR.get(version, version))
        for imported in reversed(graph.files):
            registry.add_file_types(imported.doc.data, imported.namespace_prefix)
        repairs = repair(graph, registry)  # tolerated defects, as warnings
        diags.extend(repairs.diagnostics)
        entry = graph.files[0].doc
        flavours = loader._flavour_docs(graph)
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
        values, found = loader.check_inputs(entry, inputs)
        diags.extend(found)
        if has_errors(structural):
            return result
        lowering = Lowering(registry, VERSION_FOR_VALIDATOR.get(version, version),
                            [f.doc for f in graph.files if not f.builtin])
        lowering.open_requirements |= repairs.external_links
        try:
            support.check(graph, version)
            diags.extend(reviewed(validate.validate(graph, registry, lowering, inputs),
                                  lowering))
        except NotNative as exc:
            log.debug("native path declines %s: %s", path, exc)
            return Unsupported(str(exc))
        if has_errors(diags):
            return result
        diags.extend(sol001_checks.check(registry, entry, flavours, known_vnfds=known_vnfds))
        if has_errors(diags):
            return result
        model = loader._build(src, entry, flavours, version, values, registry, diags)
    if not has_errors(diags):
        result.model = model
    return result


def describe(outcome: NativeResult | Unsupported) -> dict[str, Any]:
    """A short summary for logs and tests."""
    if isinstance(outcome, Unsupported):
        return {"supported": False, "reason": outcome.reason}
    return {"supported": True, "loaded": outcome.model is not None,
            "errors": [d.code for d in outcome.diagnostics if d.severity.value == "error"]}
