"""The import graph of a template (TOSCA Simple Profile YAML 1.3 §3.6.8), read fast and
remembered.

The walk is :func:`netorch.tosca.imports.resolve_imports`'s: the same resolver (the package,
the local SOL001 type library, netorch's own types, the network only when allowed), the same
breadth-first order, the same diagnostics.  Two things differ:

* imported files are read with :mod:`netorch.tosca.native.fastyaml`, and a parsed file is kept
  in this process keyed by the SHA-256 of its bytes (and the name it is shown under), so the
  SOL001 type files a package imports are parsed once per process, not once per load;
* every file read is recorded with its digest, and so is every place a resolution looked at
  and found empty (an ETSI URL is looked up next to the importing file before the type
  library): :mod:`netorch.tosca.cache` verifies both before it serves a cached load.

A cached document is shared between loads: its data must be treated as read-only, which every
stage of the loader does (``netorch.tosca.compat`` lowers a copy).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from netorch.model.diagnostics import Diagnostic, error
from netorch.tosca.imports import (
    ETSI_SOL001_URL,
    ImportGraph,
    is_url,
    resolve_imports,
)
from netorch.tosca.native.fastyaml import read_text
from netorch.tosca.sol004.limits import YamlLimits, read_limited
from netorch.tosca.yaml_doc import YamlDocument, decode_yaml_bytes

MAX_CACHED_FILES = 64
"""Parsed imported files kept per process (type files are a few hundred KiB each)."""


@dataclass(slots=True)
class FilesRead:
    """What a load read from disk: each file with its SHA-256, and the places that were
    looked at and held no file (a later file there would change how imports resolve)."""

    files: dict[str, str] = field(default_factory=dict)
    """Absolute path -> hex digest, in the order the files were read."""
    absent: set[str] = field(default_factory=set)
    fetched: bool = False
    """An import came from the network: the load cannot be cached."""

    def add(self, path: Path, digest: str) -> None:
        self.files.setdefault(str(path.absolute()), digest)


class _DocumentCache:
    """Parsed imported files by (digest, shown name); least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._docs: OrderedDict[tuple[str, str, YamlLimits], YamlDocument] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, YamlLimits]) -> YamlDocument | None:
        with self._lock:
            doc = self._docs.get(key)
            if doc is not None:
                self._docs.move_to_end(key)
            return doc

    def put(self, key: tuple[str, str, YamlLimits], doc: YamlDocument) -> None:
        with self._lock:
            self._docs[key] = doc
            self._docs.move_to_end(key)
            while len(self._docs) > self.size:
                self._docs.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._docs.clear()


DOCUMENTS = _DocumentCache(MAX_CACHED_FILES)


def read_imported(path: Path, shown: str, record: FilesRead, limits: YamlLimits
                  ) -> tuple[YamlDocument | None, list[Diagnostic]]:
    """An imported file, parsed (or from :data:`DOCUMENTS`), its digest recorded."""
    try:
        raw = read_limited(path, limits.max_bytes)
    except OSError as exc:
        return None, [error("source.unreadable", f"cannot read the file: {exc.strerror}",
                            shown)]
    if raw is None:
        return None, [error("yaml.too_large",
                            f"the file is larger than {limits.max_bytes} bytes", shown)]
    digest = hashlib.sha256(raw).hexdigest()
    record.add(path, digest)
    key = (digest, shown, limits)
    cached = DOCUMENTS.get(key)
    if cached is not None:
        return cached, []
    text, diags = decode_yaml_bytes(raw, shown)
    if text is None:
        return None, diags
    doc, diags = read_text(text, shown, limits)
    if doc is not None and not diags:
        DOCUMENTS.put(key, doc)
    return doc, diags


def _probed(ref: str, importer: Path, found: Path, types_path: Path | None) -> list[Path]:
    """The places :class:`~netorch.tosca.imports._Resolver` looks at before ``found``."""
    candidates: list[Path] = []
    match = ETSI_SOL001_URL.match(ref) if is_url(ref) else None
    if match:
        version, name = match.group("version"), match.group("file").lower()
        candidates.append(importer.parent / name)
        if types_path is not None:
            bare = version.lstrip("vV")
            candidates.extend(types_path / vdir / name
                              for vdir in dict.fromkeys((version, f"v{bare}", bare)))
    elif not is_url(ref):
        candidate = Path(ref)
        candidates.append(candidate if candidate.is_absolute() else importer.parent / candidate)
    result: list[Path] = []
    for candidate in candidates:
        if candidate == found:
            break
        result.append(candidate)
    return result


def walk_imports(entry: Path, entry_doc: YamlDocument, *, root: Path | None,
                 types_path: Path | None, allow_network: bool, stack: ExitStack,
                 display: Callable[[Path], str], record: FilesRead,
                 limits: YamlLimits | None = None) -> ImportGraph:
    """:func:`~netorch.tosca.imports.resolve_imports`, reading through the document cache."""
    lim = limits or YamlLimits.from_env()

    def read(path: Path, shown: str) -> tuple[YamlDocument | None, list[Diagnostic]]:
        return read_imported(path, shown, record, lim)

    def on_resolved(target: str, importer: Path, path: Path, fetched: bool) -> None:
        record.fetched = record.fetched or fetched
        record.absent.update(str(p.absolute()) for p in _probed(target, importer, path,
                                                                types_path))

    return resolve_imports(entry, entry_doc, root=root, types_path=types_path,
                           allow_network=allow_network, stack=stack, display=display,
                           read=read, on_resolved=on_resolved)
