"""Finding the entry definitions of a service template source.

A source is a YAML file, a CSAR directory or a CSAR ZIP archive (TOSCA Simple Profile YAML 1.3
§4.2 "TOSCA Cloud Service Archive"; ETSI GS NFV-SOL 004 §4.1 for VNF packages):

* with ``TOSCA-Metadata/TOSCA.meta``, its ``Entry-Definitions`` key names the entry file;
* without it, the single YAML file at the archive root is the entry.

ZIP archives are extracted into a temporary directory owned by the caller.  Extraction refuses
absolute paths, ``..`` components and symbolic links, and bounds the number of files and the
number of bytes actually written, so a hostile archive can never write outside that directory.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
import zipfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from netorch.model.diagnostics import Diagnostic, error

META_FILE = "TOSCA-Metadata/TOSCA.meta"
MAX_ARCHIVE_FILES = 10_000
MAX_ARCHIVE_BYTES = 2 * 1024 * 1024 * 1024
_CHUNK = 1024 * 1024
_YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class Source:
    """Where the entry definitions are, and how to name files in diagnostics."""

    entry: Path
    """The entry definitions file on disk (inside a temporary directory for a ZIP)."""
    root: Path | None
    """The package root for a CSAR, None for a plain YAML file."""
    label: str
    """What the user gave, e.g. ``pkg.zip`` or ``service.yaml``."""
    archive: bool
    content_hash: str

    def display(self, path: Path) -> str:
        """How ``path`` is named in diagnostics: relative to the package for a CSAR."""
        if self.root is not None:
            try:
                rel = path.resolve().relative_to(self.root.resolve()).as_posix()
            except ValueError:
                return str(path)
            return f"{self.label}!/{rel}" if self.archive else str(Path(self.label) / rel)
        return str(path)

    @property
    def display_entry(self) -> str:
        return self.display(self.entry) if self.root is not None else self.label


def read_tosca_meta(text: str) -> dict[str, str]:
    """The key/value lines of the first block of TOSCA.meta (SOL004 §4.2, TOSCA 1.3 §4.2.1).

    Keys are returned as written; lookups should be case-insensitive (``Created-by`` is common).
    """
    meta: dict[str, str] = {}
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line:
            if meta:
                break
            continue
        key, sep, value = line.partition(":")
        if sep:
            meta.setdefault(key.strip(), value.strip())
    return meta


def meta_value(meta: dict[str, str], key: str) -> str | None:
    wanted = key.lower()
    for k, v in meta.items():
        if k.lower() == wanted:
            return v
    return None


def _hash_file(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.digest()


def directory_hash(root: Path) -> str:
    """sha256 over every regular file of ``root`` in sorted relative-path order.

    Each file contributes its POSIX relative path and the sha256 of its bytes, so the same
    package hashes the same whether it is given as a directory or as a ZIP.
    """
    files: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in filenames:
            full = Path(dirpath) / name
            if full.is_symlink() or not full.is_file():
                continue
            files.append((full.relative_to(root).as_posix(), full))
    files.sort()
    digest = hashlib.sha256()
    for rel, full in files:
        digest.update(rel.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(_hash_file(full))
    return digest.hexdigest()


def _unsafe_member(name: str) -> str | None:
    if not name or "\0" in name:
        return "an empty or NUL-containing name"
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or (len(normalized) > 1 and normalized[1] == ":"):
        return "an absolute path"
    if ".." in PurePosixPath(normalized).parts:
        return "a '..' path component"
    return None


def extract_zip(archive: Path, target: Path, label: str) -> list[Diagnostic]:
    """Extract ``archive`` into the existing directory ``target``, safely (see module doc)."""
    diags: list[Diagnostic] = []
    target_real = target.resolve()
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            if len(members) > MAX_ARCHIVE_FILES:
                return [error("csar.too_many_files",
                              f"the archive holds {len(members)} entries (limit "
                              f"{MAX_ARCHIVE_FILES})", label)]
            written = 0
            for info in members:
                problem = _unsafe_member(info.filename)
                if problem is not None:
                    diags.append(error("csar.unsafe_path",
                                       f"archive entry {info.filename!r} has {problem}", label))
                    continue
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    diags.append(error("csar.symlink",
                                       f"archive entry {info.filename!r} is a symbolic link",
                                       label))
                    continue
                dest = (target_real / info.filename.replace("\\", "/")).resolve()
                if not dest.is_relative_to(target_real):
                    diags.append(error("csar.unsafe_path",
                                       f"archive entry {info.filename!r} escapes the archive",
                                       label))
                    continue
                if info.is_dir():
                    dest.mkdir(parents=True, exist_ok=True)
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, dest.open("wb") as out:
                    while chunk := src.read(_CHUNK):
                        written += len(chunk)
                        if written > MAX_ARCHIVE_BYTES:
                            return [*diags, error(
                                "csar.too_large",
                                f"the archive expands to more than {MAX_ARCHIVE_BYTES} bytes",
                                label)]
                        out.write(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        return [*diags, error("csar.bad_zip", f"cannot read the archive: {exc}", label)]
    except OSError as exc:
        return [*diags, error("csar.bad_zip", f"cannot extract the archive: {exc}", label)]
    return diags


def _root_yaml_files(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir()
                  if p.is_file() and not p.is_symlink() and p.suffix.lower() in _YAML_SUFFIXES)


def _package_entry(root: Path, label: str, archive: bool) -> tuple[Path | None, list[Diagnostic]]:
    meta_path = root / META_FILE
    meta_label = f"{label}!/{META_FILE}" if archive else str(Path(label) / META_FILE)
    if meta_path.is_file():
        try:
            text = meta_path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            return None, [error("csar.bad_meta", f"cannot read TOSCA.meta: {exc}", meta_label)]
        entry_name = meta_value(read_tosca_meta(text), "Entry-Definitions")
        if not entry_name:
            return None, [error("csar.no_entry_definitions",
                                "TOSCA.meta has no Entry-Definitions key", meta_label)]
        if _unsafe_member(entry_name) is not None:
            return None, [error("csar.unsafe_path",
                                f"Entry-Definitions {entry_name!r} is not a relative path "
                                "inside the package", meta_label)]
        entry = (root / entry_name).resolve()
        if not entry.is_relative_to(root.resolve()) or not entry.is_file():
            return None, [error("csar.entry_not_found",
                                f"the Entry-Definitions file {entry_name!r} does not exist",
                                meta_label)]
        return entry, []
    candidates = _root_yaml_files(root)
    if len(candidates) == 1:
        return candidates[0], []
    if not candidates:
        return None, [error("csar.no_entry_definitions",
                            "the package has neither TOSCA-Metadata/TOSCA.meta nor a YAML file "
                            "at its root", label)]
    names = ", ".join(p.name for p in candidates)
    return None, [error("csar.ambiguous_entry",
                        f"the package has no TOSCA-Metadata/TOSCA.meta and {len(candidates)} "
                        f"YAML files at its root ({names}); exactly one is allowed", label)]


def open_source(source: Path, stack: ExitStack) -> tuple[Source | None, list[Diagnostic]]:
    """Locate the entry definitions of ``source``; temporary files live as long as ``stack``."""
    label = str(source)
    if not source.exists():
        return None, [error("source.not_found", "no such file or directory", label)]
    if source.is_dir():
        entry, diags = _package_entry(source, label, archive=False)
        if entry is None:
            return None, diags
        return Source(entry, source, label, False, directory_hash(source)), diags
    is_zip = zipfile.is_zipfile(source)
    if not is_zip and source.suffix.lower() in (".zip", ".csar"):
        return None, [error("csar.bad_zip", "the file is not a valid ZIP archive", label)]
    if not is_zip:
        try:
            content_hash = hashlib.sha256(source.read_bytes()).hexdigest()
        except OSError as exc:
            return None, [error("source.unreadable", f"cannot read the file: {exc.strerror}",
                                label)]
        return Source(source, None, label, False, content_hash), []
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="netorch-csar-")))
    diags = extract_zip(source, tmp, label)
    if diags:
        return None, diags
    entry, diags = _package_entry(tmp, label, archive=True)
    if entry is None:
        return None, diags
    return Source(entry, tmp, label, True, directory_hash(tmp)), diags
