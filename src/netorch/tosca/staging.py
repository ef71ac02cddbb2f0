"""The staged copy of a template's import graph that tosca-parser validates.

tosca-parser merges the ``imports`` lists of the files it reads into one another, then resolves
a relative import against whichever file's list it ended up in; URL imports it would fetch; and
circular imports (which TOSCA Simple Profile YAML 1.3 §3.6.8 allows) make it recurse until the
stack runs out.  All three go away when it is given a flat copy: the staged entry imports every
other file of the graph by absolute path, once, and no other file imports anything.  Each file
is also lowered (:mod:`netorch.tosca.compat`) to the TOSCA constructs tosca-parser handles.

The staged copy is written only when there is something to change: a template without imports
whose lowering changes nothing, and that :mod:`netorch.tosca.leniency` did not repair, is
validated as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from netorch.tosca.compat import Lowering
from netorch.tosca.imports import ImportGraph
from netorch.tosca.type_registry import (
    ALIASES_1_2,
    PREFIXES,
    addition_files,
    netorch_types_file,
)
from netorch.tosca.yaml_doc import parse_yaml


def _dumper() -> type[Any]:
    dumper: type[Any] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return dumper


@dataclass(slots=True)
class Staged:
    """What the validator reads, and how to translate its messages back."""

    entry: Path
    renames: dict[str, str] = field(default_factory=dict)
    """Staged file or type name -> the name the user knows."""


def stage(graph: ImportGraph, lowering: Lowering, make_directory: Callable[[], Path]
          ) -> Staged:
    """Write the staged copy into a directory from ``make_directory`` (only when one is needed,
    see the module doc); otherwise the entry itself is validated."""
    entry = graph.files[0]
    additions: list[tuple[str, Any]] = []
    for name in addition_files(lowering.version):
        doc, _diags = parse_yaml(netorch_types_file(name).read_text(encoding="utf-8"), name)
        if doc is not None and isinstance(doc.data, dict):
            additions.append((name, doc.data))
    lowering.addition_names = frozenset(_spellings(data for _name, data in additions))
    lowered = [lowering.lower(f.doc.data) for f in graph.files]
    if additions and not lowering.uses_additions:
        lowering.uses_additions = _derives_from_additions(graph, lowering, additions)
    # a single file names the types it uses; across files, the additions always come along
    extras = [(name, lowering.lower(data)) for name, data in additions] \
        if lowering.uses_additions or len(graph.files) > 1 else []
    changed = len(graph.files) > 1 or bool(extras) or lowered[0] != entry.doc.data or \
        entry.doc.repaired
    if not changed:
        return Staged(entry.path)
    directory = make_directory()
    renames = lowering.shown_names()
    paths: list[Path] = []
    for index, (name, data) in enumerate(extras):
        target = directory / f"netorch-{index}-{name}"
        _write(target, data)
        paths.append(target)
        renames[str(target)] = f"netorch's {name}"
    for index, (imported, data) in enumerate(zip(graph.files, lowered, strict=True)):
        target = directory / f"{index}.yaml"
        if isinstance(data, dict):
            data = dict(data)
            if index == 0:
                data["imports"] = [str(p) for p in paths] + [
                    str(directory / f"{i}.yaml") for i in range(1, len(graph.files))]
                if not data["imports"]:
                    del data["imports"]
            else:
                data.pop("imports", None)
        _write(target, data)
        renames[str(target)] = imported.doc.file
    return Staged(directory / "0.yaml", renames)


def _spellings(files: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """The names a template may use for the types of ``files``: full, short, ``tosca:``."""
    for data in files:
        for section, prefix in PREFIXES.items():
            defs = data.get(section)
            for name in (defs if isinstance(defs, dict) else ()):
                yield str(name)
                if str(name).startswith(prefix):
                    short = str(name)[len(prefix):]
                    yield short
                    yield f"tosca:{short}"
    for aliases in ALIASES_1_2.values():
        for alias in aliases:
            yield alias
            yield f"tosca:{alias}"


def _derives_from_additions(graph: ImportGraph, lowering: Lowering,
                            additions: list[tuple[str, Any]]) -> bool:
    """Whether a node template's type derives from a type the additions define or change
    (e.g. the 1.0 ``tosca.nodes.Container.Application.Docker`` from the 1.2
    ``tosca.nodes.Container.Application``)."""
    defined = {str(n) for _name, data in additions
               for n in (data.get("node_types") or {})}
    registry = lowering.registry
    for imported in graph.files:
        data = imported.doc.data if isinstance(imported.doc.data, dict) else {}
        topology = data.get("topology_template")
        nodes = topology.get("node_templates") if isinstance(topology, dict) else None
        for node in (nodes.values() if isinstance(nodes, dict) else ()):
            node_type = node.get("type") if isinstance(node, dict) else None
            if isinstance(node_type, str) and \
                    defined.intersection(registry.chain("node_types", node_type)):
                return True
    return False


def _write(target: Path, data: Any) -> None:
    with target.open("w", encoding="utf-8") as fh:
        yaml.dump(data, fh, Dumper=_dumper(), sort_keys=False, allow_unicode=True)
