"""A self-contained copy of a template's import graph for tosca-parser.

tosca-parser merges the ``imports`` lists of the files it reads into one another, and then
resolves a relative import against whichever file's list it ended up in; URL imports it would
fetch.  Both go away when every file it reads imports the others by absolute path: this module
writes such a copy (TOSCA Simple Profile YAML 1.3 §3.6.8 import semantics are unchanged, only
the way each import is spelled).  Templates without imports are not copied.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from netorch.tosca.imports import ImportGraph


def _dumper() -> type[Any]:
    dumper: type[Any] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return dumper


def needs_staging(graph: ImportGraph) -> bool:
    return any(f.imports for f in graph.files)


def stage(graph: ImportGraph, directory: Path) -> tuple[Path, dict[str, str]]:
    """Write the copy into ``directory``; returns the copied entry and copy -> display names."""
    staged = {f.path.resolve(): directory / f"{index}.yaml" for index, f in enumerate(graph.files)}
    names: dict[str, str] = {}
    for imported in graph.files:
        target = staged[imported.path.resolve()]
        data = dict(imported.doc.data) if isinstance(imported.doc.data, dict) else {}
        imports: list[Any] = []
        for number, resolved in enumerate(imported.imports):
            copy = staged.get(resolved.path.resolve())
            if copy is None:
                continue
            if resolved.namespace_prefix:
                imports.append({f"import_{number}": {
                    "file": str(copy), "namespace_prefix": resolved.namespace_prefix}})
            else:
                imports.append(str(copy))
        if "imports" in data:
            data["imports"] = imports
        with target.open("w", encoding="utf-8") as fh:
            yaml.dump(data, fh, Dumper=_dumper(), sort_keys=False, allow_unicode=True)
        names[str(target)] = imported.doc.file
    return staged[graph.files[0].path.resolve()], names
