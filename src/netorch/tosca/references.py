"""Files a package's templates refer to must be in the package.

A node template's artifacts (TOSCA Simple Profile YAML 1.3 §3.6.7, ``file``) and its
operation implementations (§3.6.17: ``implementation``, ``primary``, ``dependencies``) name
files by a path relative to the template that declares them.  In a CSAR (§4.2, ETSI SOL004
§4.1) each such file must exist inside the package; a URL, a name from an artifact
``repository``, or the name of one of the node's artifacts is not a file reference.

A missing file is a warning, not an error: software images are commonly delivered beside the
package rather than in it (the SOL004 manifest check, which covers every file the package does
hold, is what guarantees its integrity).  Plain YAML templates are not checked: their artifacts
usually live elsewhere until deployment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from netorch.model.diagnostics import Diagnostic, warning
from netorch.tosca.imports import ImportedFile, is_url
from netorch.tosca.type_registry import TypeRegistry

_RESERVED = frozenset(
    {"type", "inputs", "description", "derived_from", "notifications", "metadata"})


def _implementations(interfaces: Any) -> Iterator[tuple[str, str, Any]]:
    """(interface, operation, implementation value) of an interfaces assignment."""
    for iname, interface in (interfaces.items() if isinstance(interfaces, dict) else ()):
        if not isinstance(interface, dict):
            continue
        nested = interface.get("operations")
        operations = nested if isinstance(nested, dict) else {
            k: v for k, v in interface.items() if k not in _RESERVED}
        for oname, operation in operations.items():
            value = operation.get("implementation") if isinstance(operation, dict) \
                else operation
            yield str(iname), str(oname), value


def _paths(implementation: Any) -> Iterator[str]:
    if isinstance(implementation, str):
        yield implementation
    elif isinstance(implementation, dict):
        primary = implementation.get("primary")
        if isinstance(primary, str):
            yield primary
        elif isinstance(primary, dict) and isinstance(primary.get("file"), str) \
                and not primary.get("repository"):
            yield primary["file"]
        dependencies = implementation.get("dependencies")
        for dependency in dependencies if isinstance(dependencies, list) else ():
            if isinstance(dependency, str):
                yield dependency


def check_references(files: list[ImportedFile], root: Path, registry: TypeRegistry,
                     display: Callable[[Path], str]) -> list[Diagnostic]:
    """Every local file the package's node templates name, checked to exist in ``root``."""
    diags: list[Diagnostic] = []
    real_root = root.resolve()
    for imported in files:
        if imported.builtin or not imported.path.resolve().is_relative_to(real_root):
            continue
        data = imported.doc.data if isinstance(imported.doc.data, dict) else {}
        topology = data.get("topology_template")
        nodes = topology.get("node_templates") if isinstance(topology, dict) else None
        for name, node in (nodes.items() if isinstance(nodes, dict) else ()):
            if isinstance(node, dict):
                diags.extend(_check_node(imported, str(name), node, real_root, registry,
                                         display))
    return diags


def _check_node(imported: ImportedFile, name: str, node: dict[str, Any], root: Path,
                registry: TypeRegistry, display: Callable[[Path], str]) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    raw_artifacts = node.get("artifacts")
    artifacts: dict[Any, Any] = raw_artifacts if isinstance(raw_artifacts, dict) else {}
    node_type = registry.canonical("node_types", node.get("type"))
    artifact_names = set(map(str, artifacts))
    if node_type is not None:
        artifact_names |= set(registry.artifact_definitions(node_type))
    where = ("topology_template", "node_templates", name)
    for aname, artifact in artifacts.items():
        file = artifact if isinstance(artifact, str) else (
            artifact.get("file") if isinstance(artifact, dict) else None)
        if isinstance(artifact, dict) and artifact.get("repository"):
            continue
        if isinstance(file, str):
            problem = _missing(imported.path, file, root, display)
            if problem:
                line, col = imported.doc.where(*where, "artifacts", aname)
                diags.append(warning("csar.reference_not_found",
                                   f"artifact {aname!r} of node template {name!r} refers to "
                                   f"{file!r}, {problem}", imported.doc.file, line, col))
    for iname, oname, implementation in _implementations(node.get("interfaces")):
        for path in _paths(implementation):
            if path in artifact_names:
                continue
            problem = _missing(imported.path, path, root, display)
            if problem:
                line, col = imported.doc.where(*where, "interfaces", iname)
                diags.append(warning("csar.reference_not_found",
                                   f"operation {iname}.{oname} of node template {name!r} is "
                                   f"implemented by {path!r}, {problem}", imported.doc.file,
                                   line, col))
    return diags


def _missing(declared_in: Path, reference: str, root: Path,
             display: Callable[[Path], str]) -> str | None:
    """None when ``reference`` is not a local file reference or names an existing file."""
    if not reference or is_url(reference):
        return None
    posix = PurePosixPath(reference.replace("\\", "/"))
    if posix.is_absolute():
        return "an absolute path, which a package cannot hold"
    candidate = (declared_in.parent / Path(*posix.parts)).resolve()
    if not candidate.is_relative_to(root):
        return "which points outside the package"
    if candidate.exists():
        return None
    return f"which is not in the package (looked for {display(candidate)})"
