"""An onboarded template's content: packed into one blob for the store, and written back out.

Onboarding keeps the content itself, so that a package no longer depends on the path it was
onboarded from (the NFVO serves SOL005 ``package_content`` / ``nsd_content`` from its own copy).
Each blob has a :class:`~netorch.model.records.ContentFormat`:

* ``yaml`` — the bytes of a single service template file (TOSCA Simple Profile YAML 1.3 §3.10);
* ``yaml-bundle`` — a ZIP of a template file *and* the local files it imports, with their paths
  relative to the template's folder (TOSCA 1.3 §3.6.8: a relative import is resolved against the
  importing file), so the imports resolve the same way when written back;
* ``zip`` — a CSAR (SOL004 §4.1): the ZIP archive as given, or a ZIP of a CSAR directory's
  regular files. Symbolic links are not part of a package and are left out, as they are from the
  package's content hash, so a directory and its ZIP have the same identity.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml

from netorch.model.records import ContentFormat

log = logging.getLogger(__name__)

MAX_CONTENT_BYTES = 512 * 1024 * 1024
"""The largest content onboarding stores (and writes back): 512 MiB."""

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
"""A fixed member timestamp: the same files always pack to the same bytes."""
_CHUNK = 1024 * 1024


class ContentError(Exception):
    """The content cannot be packed or written back; the message says why."""


@dataclass(frozen=True, slots=True)
class PackedContent:
    format: ContentFormat
    name: str
    """The file name to write the blob back as (the template's path inside a bundle)."""
    data: bytes


def pack(source: Path, *, limit: int = MAX_CONTENT_BYTES) -> PackedContent:
    """Pack a template file, a CSAR ZIP or a CSAR directory (see the module docstring)."""
    try:
        if source.is_dir():
            return PackedContent(ContentFormat.ZIP, f"{source.resolve().name}.zip",
                                 _zip_files(_directory_files(source, limit)))
        size = source.stat().st_size
        _check_size(size, limit, source)
        if zipfile.is_zipfile(source):
            return PackedContent(ContentFormat.ZIP, source.name, source.read_bytes())
        extra = sorted(set(_local_imports(source.resolve())))
        if not extra:
            return PackedContent(ContentFormat.YAML, source.name, source.read_bytes())
        root = source.resolve().parent
        files = [(source.name, source.resolve()), *((p.relative_to(root).as_posix(), p)
                                                    for p in extra)]
        _check_size(sum(p.stat().st_size for _, p in files), limit, source)
        return PackedContent(ContentFormat.YAML_BUNDLE, source.name, _zip_files(files))
    except OSError as exc:
        raise ContentError(f"cannot read {exc.filename or source}: {exc.strerror}") from exc


def unpack(fmt: str, name: str, data: bytes, dest: Path, *,
           limit: int = MAX_CONTENT_BYTES) -> Path:
    """Write a stored blob under ``dest``; return the path to load (file, ZIP or template)."""
    rel = _safe_relative(name)
    target = dest.joinpath(*rel.parts)
    if fmt in (ContentFormat.YAML, ContentFormat.ZIP):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return target
    if fmt != ContentFormat.YAML_BUNDLE:
        raise ContentError(f"unknown stored content format {fmt!r}")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = [m for m in zf.infolist() if not m.is_dir()]
            if sum(m.file_size for m in members) > limit:
                raise ContentError(f"the stored bundle expands beyond {limit} bytes")
            for member in members:
                out = dest.joinpath(*_safe_relative(member.filename).parts)
                out.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(member) as src, out.open("wb") as dst:
                    shutil.copyfileobj(src, dst, _CHUNK)
    except zipfile.BadZipFile as exc:
        raise ContentError(f"the stored bundle is not a valid ZIP archive: {exc}") from exc
    if not target.is_file():
        raise ContentError(f"the stored bundle has no {name!r}")
    return target


def _check_size(size: int, limit: int, source: Path) -> None:
    if size > limit:
        raise ContentError(f"{source} holds {size} bytes, more than the {limit} bytes "
                           "onboarding stores")


def _safe_relative(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if (not name or "\0" in name or "\\" in name or path.is_absolute()
            or any(part in ("", ".", "..") for part in path.parts)):
        raise ContentError(f"unsafe path {name!r} in stored content")
    return path


def _directory_files(root: Path, limit: int) -> list[tuple[str, Path]]:
    files: list[tuple[str, Path]] = []
    total = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in filenames:
            full = Path(dirpath) / name
            if full.is_symlink() or not full.is_file():
                log.debug("not packing %s: not a regular file", full)
                continue
            total += full.stat().st_size
            _check_size(total, limit, root)
            files.append((full.relative_to(root).as_posix(), full))
    return sorted(files)


def _zip_files(files: list[tuple[str, Path]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel, full in files:
            info = zipfile.ZipInfo(rel, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with full.open("rb") as src, zf.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, _CHUNK)
    return buf.getvalue()


def _import_files(doc: object) -> Iterator[str]:
    """The ``file`` of every import definition: TOSCA 1.3 §3.6.8 (a string, or a map with
    ``file``) and the TOSCA 1.0 named form (``- name: file`` / ``- name: {file: …}``).
    Imports through a ``repository`` are remote and left out."""
    imports = doc.get("imports") if isinstance(doc, dict) else None
    if not isinstance(imports, list):
        return
    for item in imports:
        if isinstance(item, str):
            yield item
            continue
        if not isinstance(item, dict):
            continue
        definition: object = item
        if "file" not in item and len(item) == 1:
            (definition,) = item.values()
        if isinstance(definition, str):
            yield definition
        elif (isinstance(definition, dict) and isinstance(definition.get("file"), str)
              and not definition.get("repository")):
            yield definition["file"]


def _local_imports(entry: Path) -> Iterator[Path]:
    """Every local file ``entry`` imports, transitively, inside ``entry``'s folder.

    A URL import is not content, except a copy of the file it names placed beside the importing
    file (how a template ships its own copy of, e.g., the ETSI SOL001 type files)."""
    root = entry.parent
    seen = {entry}
    pending = [entry]
    while pending:
        current = pending.pop()
        try:
            doc = yaml.safe_load(current.read_bytes())
        except (OSError, yaml.YAMLError):
            continue  # not YAML we can read: the loader has reported it if it matters
        for name in _import_files(doc):
            if "://" in name:
                found = current.parent / name.rstrip("/").rsplit("/", 1)[-1]
                if not found.is_file():
                    continue
            else:
                found = current.parent / name
                if not found.is_file():
                    continue
            found = found.resolve()
            if not found.is_relative_to(root):
                raise ContentError(
                    f"{current} imports {name!r}, which is outside the template's folder "
                    f"{root}; onboard the folder as a CSAR instead")
            if found not in seen:
                seen.add(found)
                pending.append(found)
                yield found


__all__ = ["MAX_CONTENT_BYTES", "ContentError", "PackedContent", "pack", "unpack"]
