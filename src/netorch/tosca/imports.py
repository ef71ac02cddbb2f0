"""Resolving ``imports`` (TOSCA Simple Profile YAML 1.3 §3.6.8, §3.6.8.1) without the network.

Every import of the entry definitions and, transitively, of the files they import is resolved
to a local file before tosca-parser runs:

* a relative path is taken relative to the importing file (and must stay inside the package
  when the source is a CSAR);
* an ETSI SOL001 type-definition URL (``https://forge.etsi.org/rep/nfv/SOL001/raw/<version>/
  etsi_nfv_sol001_<common|vnfd|nsd|pnfd>_types.yaml``, SOL001 §4.2 / SPEC-NOTES §5) is looked
  up, in this order: next to the importing file (the package's own copy), in the local type
  library ``<types_path>/<version>/`` (``NETORCH_TYPES_PATH``), in netorch's built-in SOL001
  types; it is fetched only when the caller allows network access;
* any other URL is fetched only when the caller allows network access.

A file imported with a ``namespace_prefix`` passes it on to the files it imports without one
(their types are part of the namespace the importer sees, TOSCA 1.3 §3.6.8.1).

Each file records where its imports resolved to, so that :mod:`netorch.tosca.staging` can hand
tosca-parser a copy that imports only local files: it never fetches anything.
"""

from __future__ import annotations

import importlib.resources
import logging
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netorch.model.diagnostics import Diagnostic, error
from netorch.tosca.yaml_doc import YamlDocument, read_yaml_file

log = logging.getLogger(__name__)

TYPES_PATH_ENV = "NETORCH_TYPES_PATH"
MAX_FETCH_BYTES = 16 * 1024 * 1024
FETCH_TIMEOUT = 15.0
BUILTIN_LABEL = "netorch built-in SOL001 types"

ETSI_SOL001_URL = re.compile(
    r"^https?://forge\.etsi\.org/rep/nfv/sol001/(?:-/)?raw/"
    r"(?P<version>v?\d+(?:\.\d+)*)/"
    r"(?P<file>etsi_nfv_sol001_(?:common|vnfd|nsd|pnfd)_types\.yaml)$",
    re.IGNORECASE,
)
_URL_SCHEMES = ("http", "https", "ftp", "file")


@dataclass(frozen=True, slots=True)
class ResolvedImport:
    """One import of a file, resolved to the local file it names."""

    path: Path
    namespace_prefix: str | None = None


@dataclass(slots=True)
class ImportedFile:
    """One YAML file of the import graph."""

    path: Path
    doc: YamlDocument
    namespace_prefix: str | None = None
    builtin: bool = False
    """One of netorch's own type files (its positions are not the user's concern)."""
    imports: list[ResolvedImport] = field(default_factory=list)
    """This file's own imports, in order, each resolved to a local file."""


@dataclass(slots=True)
class ImportGraph:
    files: list[ImportedFile] = field(default_factory=list)
    """The entry definitions first, then every imported file once, breadth first."""
    diagnostics: list[Diagnostic] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _ImportRef:
    file: str
    repository: str | None
    namespace_prefix: str | None
    position: tuple[str | int, ...]


def is_url(ref: str) -> bool:
    return urllib.parse.urlsplit(ref).scheme.lower() in _URL_SCHEMES


def builtin_types_dir(stack: ExitStack) -> Path:
    """The directory holding netorch's SOL001 type files (works from an installed wheel)."""
    resource = importlib.resources.files("netorch.tosca") / "types" / "sol001"
    return Path(stack.enter_context(importlib.resources.as_file(resource)))


NETORCH_TYPE_FILES: frozenset[str] = frozenset({"netorch_network_types.yaml"})
"""netorch's own type files, importable by bare name from any template."""


def netorch_types_dir(stack: ExitStack) -> Path:
    """The directory holding netorch's own (non-ETSI) type files."""
    resource = importlib.resources.files("netorch.tosca") / "types" / "netorch"
    return Path(stack.enter_context(importlib.resources.as_file(resource)))


def _import_refs(item: Any, index: int) -> tuple[list[_ImportRef], str | None]:
    """The import definitions of one ``imports`` list item (short or extended notation)."""
    pos: tuple[str | int, ...] = ("imports", index)
    if isinstance(item, str):
        return [_ImportRef(item, None, None, pos)], None
    if isinstance(item, dict):
        if "file" in item and isinstance(item.get("file"), str):
            # TOSCA 1.3 extended notation without an import name
            return [_ImportRef(item["file"], _opt_str(item.get("repository")),
                               _opt_str(item.get("namespace_prefix")), pos)], None
        refs: list[_ImportRef] = []
        for name, value in item.items():
            if isinstance(value, str):
                refs.append(_ImportRef(value, None, None, (*pos, str(name))))
            elif isinstance(value, dict) and isinstance(value.get("file"), str):
                refs.append(_ImportRef(value["file"], _opt_str(value.get("repository")),
                                       _opt_str(value.get("namespace_prefix")),
                                       (*pos, str(name))))
            else:
                return [], f"import {name!r} has no 'file'"
        return refs, None
    return [], "an import must be a file name or an import definition"


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _repository_url(doc: YamlDocument, name: str) -> str | None:
    repos = doc.data.get("repositories") if isinstance(doc.data, dict) else None
    if not isinstance(repos, dict):
        return None
    repo = repos.get(name)
    if isinstance(repo, str):
        return repo
    if isinstance(repo, dict) and isinstance(repo.get("url"), str):
        return str(repo["url"])
    return None


class _Resolver:
    def __init__(self, *, root: Path | None, types_path: Path | None, allow_network: bool,
                 stack: ExitStack, display: Callable[[Path], str]) -> None:
        self.root = root.resolve() if root is not None else None
        self.types_path = types_path
        self.allow_network = allow_network
        self.stack = stack
        self.display = display
        self._builtin: Path | None = None
        self._fetch_dir: Path | None = None
        self._fetched = 0

    @property
    def builtin(self) -> Path:
        if self._builtin is None:
            self._builtin = builtin_types_dir(self.stack)
        return self._builtin

    def resolve(self, ref: str, importer: Path) -> tuple[Path | None, list[str], bool, str | None]:
        """(local file, places searched, is_builtin, problem)."""
        if is_url(ref):
            return self._resolve_url(ref, importer)
        candidate = Path(ref)
        if not candidate.is_absolute():
            candidate = importer.parent / candidate
        searched = [self.display(candidate)]
        inside = self.root is not None and importer.resolve().is_relative_to(self.root)
        if inside and self.root is not None and \
                not candidate.resolve().is_relative_to(self.root):
            return None, searched, False, "it points outside the package"
        if candidate.is_file():
            return candidate, searched, False, None
        # A path written relative to a parent of the importing file's directory, e.g.
        # "data/types/b.yaml" imported from data/types/a.yaml (what tosca-parser accepts too).
        head, _, tail = ref.replace("\\", "/").rpartition("/")
        directory = importer.parent.resolve()
        if head and directory.as_posix().endswith("/" + head.strip("/")):
            fallback = directory / tail
            searched.append(self.display(fallback))
            if fallback.is_file():
                return fallback, searched, False, None
        if ref in NETORCH_TYPE_FILES:
            own = netorch_types_dir(self.stack) / ref
            searched.append(f"{BUILTIN_LABEL} ({ref})")
            if own.is_file():
                return own, searched, True, None
        return None, searched, False, None

    def _resolve_url(self, url: str, importer: Path
                     ) -> tuple[Path | None, list[str], bool, str | None]:
        searched: list[str] = []
        match = ETSI_SOL001_URL.match(url)
        if match:
            version, name = match.group("version"), match.group("file").lower()
            sibling = importer.parent / name
            searched.append(self.display(sibling))
            if sibling.is_file() and sibling.resolve() != importer.resolve():
                return sibling, searched, False, None
            if self.types_path is not None:
                bare = version.lstrip("vV")
                for vdir in dict.fromkeys((version, f"v{bare}", bare)):
                    candidate = self.types_path / vdir / name
                    searched.append(str(candidate))
                    if candidate.is_file():
                        return candidate, searched, False, None
            builtin = self.builtin / name
            searched.append(f"{BUILTIN_LABEL} ({name})")
            if builtin.is_file():
                return builtin, searched, True, None
        if urllib.parse.urlsplit(url).scheme.lower() == "file":
            local = Path(urllib.request.url2pathname(urllib.parse.urlsplit(url).path))
            searched.append(str(local))
            return (local if local.is_file() else None), searched, False, None
        if not self.allow_network:
            return None, searched, False, "network access is disabled"
        searched.append(url)
        return self._fetch(url, searched)

    def _fetch(self, url: str, searched: list[str]
               ) -> tuple[Path | None, list[str], bool, str | None]:
        if urllib.parse.urlsplit(url).scheme.lower() not in ("http", "https"):
            return None, searched, False, "only http and https imports can be fetched"
        try:
            with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as resp:
                body = resp.read(MAX_FETCH_BYTES + 1)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            return None, searched, False, f"fetching it failed: {exc}"
        if len(body) > MAX_FETCH_BYTES:
            return None, searched, False, f"it is larger than {MAX_FETCH_BYTES} bytes"
        if self._fetch_dir is None:
            self._fetch_dir = Path(self.stack.enter_context(
                tempfile.TemporaryDirectory(prefix="netorch-imports-")))
        name = os.path.basename(urllib.parse.urlsplit(url).path) or "import.yaml"
        self._fetched += 1
        target = self._fetch_dir / str(self._fetched) / name
        target.parent.mkdir()
        target.write_bytes(body)
        log.debug("fetched import %s into %s", url, target)
        return target, searched, False, None


ReadFn = Callable[[Path, str], tuple[YamlDocument | None, list[Diagnostic]]]
"""Reads one imported file (path, name to show in diagnostics)."""
ResolvedFn = Callable[[str, Path, Path, bool], None]
"""Told of every resolved import: (import target, importing file, resolved file, whether it
was fetched from the network)."""


def _read_from_disk(path: Path, shown: str) -> tuple[YamlDocument | None, list[Diagnostic]]:
    doc, _raw, diags = read_yaml_file(path, shown)
    return doc, diags


def resolve_imports(entry: Path, entry_doc: YamlDocument, *, root: Path | None,
                    types_path: Path | None, allow_network: bool, stack: ExitStack,
                    display: Callable[[Path], str], read: ReadFn | None = None,
                    on_resolved: ResolvedFn | None = None) -> ImportGraph:
    """Walk the import graph from ``entry``; read every file once (linear in the files).

    ``read`` reads one imported file (default: from disk); ``on_resolved`` is told of each
    resolved import. The native loading path passes its document cache and its record of the
    files read."""
    resolver = _Resolver(root=root, types_path=types_path, allow_network=allow_network,
                         stack=stack, display=display)
    reader = read or _read_from_disk
    graph = ImportGraph()
    graph.files.append(ImportedFile(entry, entry_doc))
    visited: set[Path] = {entry.resolve()}
    queue: deque[ImportedFile] = deque(graph.files)
    while queue:
        current = queue.popleft()
        data = current.doc.data
        imports = data.get("imports") if isinstance(data, dict) else None
        if imports is None:
            continue
        if not isinstance(imports, list):
            line, col = current.doc.where("imports")
            graph.diagnostics.append(error("tosca.invalid_imports", "'imports' must be a list",
                                           current.doc.file, line, col))
            continue
        for index, item in enumerate(imports):
            refs, problem = _import_refs(item, index)
            if problem is not None:
                line, col = current.doc.where("imports", index)
                graph.diagnostics.append(error("tosca.invalid_imports", problem,
                                               current.doc.file, line, col))
                continue
            for ref in refs:
                _follow(ref, current, resolver, graph, visited, queue, reader, on_resolved)
    return graph


def _follow(ref: _ImportRef, current: ImportedFile, resolver: _Resolver, graph: ImportGraph,
            visited: set[Path], queue: deque[ImportedFile], read: ReadFn,
            on_resolved: ResolvedFn | None) -> None:
    line, col = current.doc.where(*ref.position)
    target = ref.file
    if ref.repository is not None:
        base = _repository_url(current.doc, ref.repository)
        if base is None:
            graph.diagnostics.append(error(
                "import.not_found",
                f"import {ref.file!r} names repository {ref.repository!r}, which is not defined",
                current.doc.file, line, col))
            return
        target = base.strip().rstrip("/") + "/" + ref.file.lstrip("/")
    path, searched, builtin, problem = resolver.resolve(target, current.path)
    if path is None:
        where = "; searched: " + ", ".join(searched) if searched else ""
        why = f" ({problem})" if problem else ""
        graph.diagnostics.append(error("import.not_found",
                                       f"import {target!r} not found{why}{where}",
                                       current.doc.file, line, col))
        return
    if on_resolved is not None:
        fetched = resolver._fetch_dir is not None and path.is_relative_to(resolver._fetch_dir)
        on_resolved(target, current.path, path, fetched)
    current.imports.append(ResolvedImport(path, ref.namespace_prefix))
    real = path.resolve()
    if real in visited:
        return
    visited.add(real)
    shown = f"{BUILTIN_LABEL}/{path.name}" if builtin else resolver.display(path)
    doc, diags = read(path, shown)
    graph.diagnostics.extend(diags)
    if doc is None:
        return
    if not isinstance(doc.data, dict):
        graph.diagnostics.append(error("import.invalid",
                                       "an imported file must hold a YAML mapping", shown))
        return
    imported = ImportedFile(path, doc, ref.namespace_prefix or current.namespace_prefix, builtin)
    graph.files.append(imported)
    queue.append(imported)
