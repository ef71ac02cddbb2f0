"""Finding the entry definitions of a service template source, and unpacking CSARs safely.

A source is a YAML file, a CSAR directory or a CSAR ZIP archive (TOSCA Simple Profile YAML 1.3
§4.2 "TOSCA Cloud Service Archive"; ETSI GS NFV-SOL 004 §4.1 for VNF packages, SPEC-NOTES
§4.1).  The two layouts are told apart exactly as TOSCA 1.3 §4.2 says:

* if the archive has a ``TOSCA-Metadata`` directory, it must hold ``TOSCA.meta``, whose
  ``Entry-Definitions`` key names the entry file;
* otherwise exactly one YAML file (``.yaml`` / ``.yml``) sits at the archive root and is the
  entry (its ``metadata`` block describes the package, SOL004 §4.1 / TOSCA 1.3 §4.2.2).

SOL004 security option 2 (SPEC-NOTES §4.3) wraps a CSAR in a ZIP that holds only
``<name>.csar``, ``<name>.cms`` and optionally ``<name>.cert``: the inner CSAR is unpacked in its
turn and :attr:`Source.signed_archive` says where the signature is
(:mod:`netorch.tosca.sol004` verifies it).

ZIP archives are extracted into a temporary directory owned by the caller, and only after the
whole central directory has been checked (SPEC-NOTES §4.3 "NFVO onboarding checks" 1): absolute
names (``csar.absolute_path``), ``..`` components (``csar.path_traversal``), symbolic links
(``csar.symlink``) and other special files, duplicate names, too many entries
(``csar.too_many_files``, checked from the end-of-central-directory record before the directory
is read), too many declared bytes (``csar.too_large``) or a suspicious compression ratio
(``csar.compression_ratio``) refuse the archive before anything is written.  While extracting,
the bytes actually written are counted against the same limits.  So a hostile archive can never
write outside that directory nor fill the disk or the memory.
"""

from __future__ import annotations

import hashlib
import os
import stat
import struct
import tempfile
import zipfile
import zlib
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from netorch.model.diagnostics import Diagnostic, error
from netorch.tosca.sol004.limits import ArchiveLimits
from netorch.tosca.sol004.meta import parse_tosca_meta

META_DIR = "TOSCA-Metadata"
META_FILE = "TOSCA-Metadata/TOSCA.meta"
_CHUNK = 1024 * 1024
_YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class SignedArchive:
    """SOL004 security option 2: the outer ZIP's CSAR, its CMS signature and certificate."""

    csar: Path
    cms: Path
    certificate: Path | None
    display_csar: str
    display_cms: str
    display_certificate: str | None


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
    signed_archive: SignedArchive | None = None
    """Set when the CSAR came signed as a whole (security option 2)."""

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
    See :mod:`netorch.tosca.sol004.meta` for the whole file.
    """
    return parse_tosca_meta(text).package.as_dict()


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


def member_problem(name: str) -> tuple[str, str] | None:
    """(code, reason) when ``name`` is not a relative path inside the package."""
    if not name or "\0" in name:
        return "csar.bad_zip", "an empty or NUL-containing name"
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or (len(normalized) > 1 and normalized[1] == ":"):
        return "csar.absolute_path", "an absolute path"
    if ".." in PurePosixPath(normalized).parts:
        return "csar.path_traversal", "a '..' path component"
    return None


_EOCD = struct.Struct("<4s4H2LH")
_EOCD64_LOCATOR = struct.Struct("<4sLQL")
_EOCD64 = struct.Struct("<4sQ2H2L4Q")


def central_directory_summary(archive: Path) -> tuple[int, int] | None:
    """(entry count, central directory size) from the end-of-central-directory record
    (APPNOTE.TXT §4.3.16, ZIP64 §4.3.14), read without loading the directory; None when the
    record cannot be found (``zipfile`` then reports the archive as broken)."""
    try:
        with archive.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            tail_len = min(size, _EOCD.size + 0xFFFF)
            fh.seek(size - tail_len)
            tail = fh.read(tail_len)
            at = tail.rfind(b"PK\x05\x06")
            # the record ends the file but for its comment, whose length it gives
            while at >= 0 and (at + _EOCD.size > len(tail) or
                               at + _EOCD.size + _EOCD.unpack_from(tail, at)[7] != len(tail)):
                at = tail.rfind(b"PK\x05\x06", 0, at)
            if at < 0:
                return None
            fields = _EOCD.unpack_from(tail, at)
            entries, cd_size = fields[4], fields[5]
            if entries == 0xFFFF or cd_size == 0xFFFFFFFF:
                locator_at = size - tail_len + at - _EOCD64_LOCATOR.size
                if locator_at < 0:
                    return None
                fh.seek(locator_at)
                locator = _EOCD64_LOCATOR.unpack(fh.read(_EOCD64_LOCATOR.size))
                if locator[0] != b"PK\x06\x07":
                    return None
                fh.seek(locator[2])
                record = fh.read(_EOCD64.size)
                if len(record) < _EOCD64.size or record[:4] != b"PK\x06\x06":
                    return None
                fields64 = _EOCD64.unpack(record)
                entries, cd_size = fields64[7], fields64[8]
            return entries, cd_size
    except (OSError, struct.error):
        return None


def _check_members(members: list[zipfile.ZipInfo], label: str, limits: ArchiveLimits
                   ) -> list[Diagnostic]:
    """Everything that can be refused from the central directory alone."""
    diags: list[Diagnostic] = []
    if len(members) > limits.max_files:
        return [error("csar.too_many_files",
                      f"the archive holds {len(members)} entries (limit {limits.max_files})",
                      label)]
    seen: set[str] = set()
    declared = 0
    for info in members:
        name = info.filename
        problem = member_problem(name)
        if problem is not None:
            diags.append(error(problem[0], f"archive entry {name!r} has {problem[1]}", label))
            continue
        mode = info.external_attr >> 16
        kind = stat.S_IFMT(mode)
        if stat.S_ISLNK(mode):
            diags.append(error("csar.symlink",
                               f"archive entry {name!r} is a symbolic link", label))
            continue
        if kind and not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
            diags.append(error("csar.special_file",
                               f"archive entry {name!r} is not a regular file or directory "
                               f"(mode {oct(mode)})", label))
            continue
        key = name.replace("\\", "/").rstrip("/")
        if key in seen:
            diags.append(error("csar.duplicate_entry",
                               f"archive entry {name!r} appears more than once", label))
            continue
        seen.add(key)
        declared += info.file_size
        if info.file_size > limits.ratio_min_bytes and \
                info.file_size > limits.max_ratio * max(info.compress_size, 1):
            diags.append(error("csar.compression_ratio",
                               f"archive entry {name!r} expands {info.file_size} bytes from "
                               f"{info.compress_size} (ratio above {limits.max_ratio:g}; a zip "
                               "bomb?)", label))
    if declared > limits.max_total_bytes:
        diags.append(error("csar.too_large",
                           f"the archive declares {declared} uncompressed bytes (limit "
                           f"{limits.max_total_bytes})", label))
    return diags


def extract_zip(archive: Path, target: Path, label: str, limits: ArchiveLimits | None = None
                ) -> list[Diagnostic]:
    """Extract ``archive`` into the existing directory ``target``, safely (see module doc).

    ``limits`` default to :meth:`ArchiveLimits.from_env`.  Nothing is written unless the whole
    central directory passes.
    """
    limits = limits or ArchiveLimits.from_env()
    summary = central_directory_summary(archive)
    if summary is not None:
        entries, cd_size = summary
        if entries > limits.max_files:
            return [error("csar.too_many_files",
                          f"the archive holds {entries} entries (limit {limits.max_files})",
                          label)]
        if cd_size > limits.max_central_directory_bytes:
            return [error("csar.too_large",
                          f"the archive's central directory is {cd_size} bytes (limit "
                          f"{limits.max_central_directory_bytes})", label)]
    target_real = target.resolve()
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            diags = _check_members(members, label, limits)
            if diags:
                return diags
            written = 0
            for info in members:
                dest = (target_real / info.filename.replace("\\", "/")).resolve()
                if not dest.is_relative_to(target_real):
                    return [error("csar.path_traversal",
                                  f"archive entry {info.filename!r} escapes the archive", label)]
                if info.is_dir():
                    dest.mkdir(parents=True, exist_ok=True)
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                entry_bytes = 0
                with zf.open(info) as src, dest.open("xb") as out:
                    while chunk := src.read(_CHUNK):
                        entry_bytes += len(chunk)
                        written += len(chunk)
                        if written > limits.max_total_bytes:
                            return [error("csar.too_large",
                                          f"the archive expands to more than "
                                          f"{limits.max_total_bytes} bytes", label)]
                        if entry_bytes > limits.ratio_min_bytes and \
                                entry_bytes > limits.max_ratio * max(info.compress_size, 1):
                            return [error("csar.compression_ratio",
                                          f"archive entry {info.filename!r} expands beyond "
                                          f"{limits.max_ratio:g} times its compressed size",
                                          label)]
                        out.write(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError,
            RuntimeError, zlib.error) as exc:
        return [error("csar.bad_zip", f"cannot read the archive: {exc}", label)]
    except OSError as exc:
        return [error("csar.bad_zip", f"cannot extract the archive: {exc}", label)]
    return []


def _root_yaml_files(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir()
                  if p.is_file() and not p.is_symlink() and p.suffix.lower() in _YAML_SUFFIXES)


def _package_entry(root: Path, label: str, archive: bool) -> tuple[Path | None, list[Diagnostic]]:
    meta_path = root / META_FILE
    meta_label = f"{label}!/{META_FILE}" if archive else str(Path(label) / META_FILE)
    if (root / META_DIR).is_dir() and not meta_path.is_file():
        return None, [error("csar.bad_meta",
                            f"the package has a {META_DIR} directory without TOSCA.meta "
                            "(TOSCA 1.3 §4.2.1)", meta_label)]
    if meta_path.is_file():
        try:
            text = meta_path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            return None, [error("csar.bad_meta", f"cannot read TOSCA.meta: {exc}", meta_label)]
        entry_name = meta_value(read_tosca_meta(text), "Entry-Definitions")
        if not entry_name:
            return None, [error("csar.no_entry_definitions",
                                "TOSCA.meta has no Entry-Definitions key", meta_label)]
        problem = member_problem(entry_name)
        if problem is not None:
            return None, [error(problem[0],
                                f"Entry-Definitions {entry_name!r} is not a relative path "
                                f"inside the package: it has {problem[1]}", meta_label)]
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


def _signed_layout(root: Path) -> tuple[Path, Path, Path | None] | None:
    """(csar, cms, cert) when ``root`` is exactly a SOL004 option-2 wrapper."""
    entries = list(root.iterdir())
    if not 2 <= len(entries) <= 3 or any(not p.is_file() or p.is_symlink() for p in entries):
        return None
    by_suffix = {p.suffix.lower(): p for p in entries}
    csar, cms, cert = by_suffix.get(".csar"), by_suffix.get(".cms"), by_suffix.get(".cert")
    if csar is None or cms is None or len(by_suffix) != len(entries):
        return None
    if len(entries) == 3 and cert is None:
        return None
    if any(p.stem != csar.stem for p in entries):
        return None
    return csar, cms, cert


def _open_signed(root: Path, label: str, archive: bool, layout: tuple[Path, Path, Path | None],
                 stack: ExitStack, limits: ArchiveLimits) -> tuple[Source | None, list[Diagnostic]]:
    csar, cms, cert = layout

    def shown(path: Path) -> str:
        return f"{label}!/{path.name}" if archive else str(Path(label) / path.name)

    inner_label = shown(csar)
    if not zipfile.is_zipfile(csar):
        return None, [error("csar.bad_zip", "the signed CSAR is not a valid ZIP archive",
                            inner_label)]
    inner = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="netorch-csar-")))
    diags = extract_zip(csar, inner, inner_label, limits)
    if diags:
        return None, diags
    if _signed_layout(inner) is not None:
        return None, [error("csar.bad_zip", "a signed CSAR may not wrap another signed CSAR",
                            inner_label)]
    entry, diags = _package_entry(inner, inner_label, archive=True)
    if entry is None:
        return None, diags
    signed = SignedArchive(csar, cms, cert, inner_label, shown(cms),
                           shown(cert) if cert is not None else None)
    return Source(entry, inner, inner_label, True, directory_hash(inner), signed), diags


def open_source(source: Path, stack: ExitStack, limits: ArchiveLimits | None = None
                ) -> tuple[Source | None, list[Diagnostic]]:
    """Locate the entry definitions of ``source``; temporary files live as long as ``stack``.

    ``limits`` bound ZIP extraction (default: :meth:`ArchiveLimits.from_env`).
    """
    limits = limits or ArchiveLimits.from_env()
    label = str(source)
    if not source.exists():
        return None, [error("source.not_found", "no such file or directory", label)]
    if source.is_dir():
        layout = _signed_layout(source)
        if layout is not None:
            return _open_signed(source, label, False, layout, stack, limits)
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
    diags = extract_zip(source, tmp, label, limits)
    if diags:
        return None, diags
    layout = _signed_layout(tmp)
    if layout is not None:
        return _open_signed(tmp, label, True, layout, stack, limits)
    entry, diags = _package_entry(tmp, label, archive=True)
    if entry is None:
        return None, diags
    return Source(entry, tmp, label, True, directory_hash(tmp)), diags
