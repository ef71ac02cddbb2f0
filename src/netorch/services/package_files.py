"""Reading an onboarded package's stored content for the SOL005 read resources.

* :func:`open_package` — the CSAR inside a stored blob (SOL004 §4.1), unwrapping a signed
  whole-CSAR delivery (SOL004 §5.3 security option 2: a ZIP holding ``<name>.csar``,
  ``<name>.cms`` and optionally ``<name>.cert``).
* :func:`descriptor_files` — the files that make up the VNFD (SOL005 §9.4.4 ``vnfd``): the
  ``TOSCA-Metadata`` file and the YAML files of the entry definitions' folder.
* :func:`vnf_package_info` — the attributes of ``VnfPkgInfo`` (SOL005 v2.6.1 §9.5.2.5)
  that processing fills in: ``checksum``, ``softwareImages`` (§9.5.3.2
  ``VnfPackageSoftwareImageInfo``) and ``additionalArtifacts`` (§9.5.3.3
  ``VnfPackageArtifactInfo``).
* :func:`parse_range` — one HTTP byte range (RFC 9110 §14.1.2, used by SOL005 for
  ``package_content``, ``nsd_content`` and ``artifacts/{artifactPath}``).

The content was verified when it was onboarded (no path traversal, no links, bounded size,
SOL004 §5 digests and signatures); members are only ever read by name here, never extracted.
"""

from __future__ import annotations

import hashlib
import io
import logging
import posixpath
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from netorch.drivers.vim.sim_units import parse_size
from netorch.model.errors import NetorchError, NotFoundError, PermanentError
from netorch.model.records import ContentFormat, TemplateRecord
from netorch.model.serialize import model_from_dict
from netorch.model.service import ArtifactDef, NodeTemplate
from netorch.tosca.manifest import display_name, read_manifest_entries
from netorch.tosca.sol004.meta import parse_tosca_meta

log = logging.getLogger(__name__)

TOSCA_META = "TOSCA-Metadata/TOSCA.meta"
SW_IMAGE = "tosca.artifacts.nfv.SwImage"
_YAML = (".yaml", ".yml")


class RangeNotSatisfiable(NetorchError):
    """The Range header asks for bytes the representation does not have (HTTP 416)."""

    def __init__(self, message: str, size: int) -> None:
        super().__init__(message)
        self.size = size


@dataclass(frozen=True, slots=True)
class Package:
    """The files of one stored package, by their path inside it."""

    files: Mapping[str, bytes]
    entry: str | None
    """The entry definitions (``Entry-Definitions``, or the single root YAML file)."""
    manifest: str | None

    def read(self, path: str) -> bytes:
        """One file by its path in the package; :class:`NotFoundError` if there is none."""
        key = normalise(path)
        if key is None or key not in self.files:
            raise NotFoundError(f"the package has no artifact {path!r}")
        return self.files[key]


def normalise(path: str) -> str | None:
    """A package-relative POSIX path, or ``None`` when it would leave the package."""
    if not path or "\0" in path or "\\" in path or path.startswith("/"):
        return None
    norm = posixpath.normpath(path)
    if norm in (".", "..") or norm.startswith("../"):
        return None
    return norm


def _zip_files(data: bytes) -> dict[str, bytes]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return {info.filename: zf.read(info) for info in zf.infolist() if not info.is_dir()}
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise PermanentError(f"the stored package is not a readable ZIP archive: {exc}") from exc


def _unwrap_signed(files: dict[str, bytes]) -> dict[str, bytes]:
    """SOL004 security option 2: the CSAR inside ``<name>.csar`` + ``<name>.cms``."""
    csars = [n for n in files if "/" not in n and n.lower().endswith(".csar")]
    if len(csars) != 1:
        return files
    stem = csars[0][: -len(".csar")]
    if f"{stem}.cms" not in files:
        return files
    return _zip_files(files[csars[0]])


def open_package(rec: TemplateRecord, data: bytes) -> Package:
    """The files of a stored blob: a CSAR, a bundle of YAML files, or one YAML file."""
    if rec.content_format == ContentFormat.YAML:
        name = rec.content_name or "descriptor.yaml"
        return Package({name: data}, name, None)
    files = _zip_files(data)
    if rec.content_format == ContentFormat.YAML_BUNDLE:
        return Package(files, rec.content_name, None)
    files = _unwrap_signed(files)
    entry: str | None = None
    manifest: str | None = None
    if TOSCA_META in files:
        meta = parse_tosca_meta(files[TOSCA_META].decode("utf-8", "replace"))
        found = meta.get("Entry-Definitions")
        entry = normalise(found.value) if found else None
        found = meta.get("ETSI-Entry-Manifest")
        manifest = normalise(found.value) if found else None
    else:
        roots = sorted(n for n in files if "/" not in n and n.endswith(_YAML))
        entry = roots[0] if len(roots) == 1 else None
    if manifest is None and entry is not None:
        guess = posixpath.splitext(posixpath.basename(entry))[0] + ".mf"
        manifest = guess if guess in files else None
    if manifest is None:
        root_mf = [n for n in files if "/" not in n and n.endswith(".mf")]
        manifest = root_mf[0] if len(root_mf) == 1 else None
    return Package(files, entry, manifest)


def descriptor_files(pkg: Package) -> list[str]:
    """The files of the descriptor, in the order to present them: ``TOSCA.meta`` (if any),
    the entry definitions, then the other YAML files of its folder and below."""
    if pkg.entry is None:
        return sorted(n for n in pkg.files if n.endswith(_YAML))
    folder = posixpath.dirname(pkg.entry)
    prefix = f"{folder}/" if folder else ""
    others = sorted(n for n in pkg.files if n != pkg.entry and n.endswith(_YAML)
                    and n.startswith(prefix) and (folder or "/" not in n))
    head = [TOSCA_META] if TOSCA_META in pkg.files else []
    return [*head, pkg.entry, *others]


def zip_of(files: Mapping[str, bytes], names: list[str]) -> bytes:
    """A ZIP archive of ``names`` (SOL005 ``vnfd`` / ``nsd_content`` as application/zip)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, files[name])
    return buf.getvalue()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _algorithm(name: str) -> str:
    try:
        return display_name(name)
    except ValueError:
        return name.upper()


def _size(value: object, what: str) -> int:
    try:
        return parse_size(value, what=what) if value is not None else 0
    except PermanentError:
        return 0


def _images(nodes: Iterator[NodeTemplate]) -> Iterator[tuple[NodeTemplate, ArtifactDef | None]]:
    for node in nodes:
        found = False
        for art in node.artifacts.values():
            if art.type == SW_IMAGE or (art.type or "").endswith(".SwImage"):
                found = True
                yield node, art
        if not found and isinstance(node.properties.get("sw_image_data"), Mapping):
            yield node, None  # SOL001 v2.x: the image described by a property


def _artifact_path(pkg: Package, file: str | None) -> str | None:
    if not file or "://" in file:
        return None
    base = posixpath.dirname(pkg.entry) if pkg.entry else ""
    for candidate in (posixpath.join(base, file), file):
        norm = normalise(candidate)
        if norm is not None and norm in pkg.files:
            return norm
    return normalise(posixpath.join(base, file))


def vnf_package_info(rec: TemplateRecord, data: bytes, provider: str | None) -> dict[str, Any]:
    """``checksum``, ``softwareImages`` and ``additionalArtifacts`` of an onboarded package."""
    pkg = open_package(rec, data)
    model = model_from_dict(rec.model)
    manifest: dict[str, tuple[str, str]] = {}
    if pkg.manifest is not None and pkg.manifest in pkg.files:
        _, entries = read_manifest_entries(pkg.files[pkg.manifest].decode("utf-8", "replace"))
        for item in entries:
            norm = normalise(item.source)
            if norm is not None and item.algorithm and item.hash:
                manifest[norm] = (_algorithm(item.algorithm), item.hash.lower())

    def checksum(path: str | None) -> dict[str, str]:
        if path is not None and path in manifest:
            algorithm, digest = manifest[path]
            return {"algorithm": algorithm, "hash": digest}
        content = pkg.files.get(path or "")
        return {"algorithm": "SHA-256", "hash": _sha256(content) if content is not None else ""}

    images: list[dict[str, Any]] = []
    image_paths: set[str] = set()
    for node, art in _images(iter(model.nodes.values())):
        props: Mapping[str, Any] = art.properties if art is not None else (
            node.properties.get("sw_image_data") or {})
        path = _artifact_path(pkg, art.file if art is not None else None)
        if path is not None:
            image_paths.add(path)
        declared = props.get("checksum")
        if isinstance(declared, Mapping) and declared.get("hash"):
            algo = _algorithm(str(declared.get("algorithm", "sha-256")))
            image_checksum = {"algorithm": algo, "hash": str(declared["hash"]).lower()}
        else:
            image_checksum = checksum(path)
        images.append({
            "id": node.name if art is None else f"{node.name}.{art.name}",
            "name": str(props.get("name") or node.name),
            "provider": str(props.get("provider") or provider or ""),
            "version": str(props.get("version") or ""),
            "checksum": image_checksum,
            "containerFormat": str(props.get("container_format") or "BARE").upper(),
            "diskFormat": str(props.get("disk_format") or "RAW").upper(),
            "createdAt": rec.created_at.isoformat().replace("+00:00", "Z"),
            "minDisk": _size(props.get("min_disk"), "min_disk"),
            "minRam": _size(props.get("min_ram"), "min_ram"),
            "size": _size(props.get("size"), "size"),
            "imagePath": path or str(art.file if art is not None else ""),
        })
    skip = set(descriptor_files(pkg)) | image_paths | ({pkg.manifest} if pkg.manifest else set())
    artifacts = [{"artifactPath": name, "checksum": checksum(name)}
                 for name in sorted(pkg.files) if name not in skip]
    return {"checksum": {"algorithm": "SHA-256", "hash": _sha256(data)},
            "softwareImages": images, "additionalArtifacts": artifacts}


def vnf_identity(rec: TemplateRecord) -> dict[str, Any]:
    """``vnfdId``, ``vnfProvider``, ``vnfProductName``, ``vnfSoftwareVersion``, ``vnfdVersion``
    from the VNFD's VNF node (SOL001 §6.8.1 ``tosca.nodes.nfv.VNF`` properties)."""
    model = model_from_dict(rec.model)
    node = next((n for n in model.nodes.values() if n.is_a("tosca.nodes.nfv.VNF")), None)
    props: Mapping[str, Any] = node.properties if node is not None else {}

    def text(*keys: str) -> str | None:
        for key in keys:
            value = props.get(key)
            if value is not None and not isinstance(value, (dict, list)):
                return str(value)
        return None

    return {
        "vnfdId": rec.descriptor_id,
        "vnfProvider": text("provider", "vendor") or rec.provider,
        "vnfProductName": text("product_name") or rec.name,
        "vnfSoftwareVersion": text("software_version") or rec.version,
        "vnfdVersion": text("descriptor_version", "version") or rec.version,
    }


def nsd_identity(rec: TemplateRecord) -> dict[str, Any]:
    """``nsdId``, ``nsdName``, ``nsdVersion``, ``nsdDesigner``, ``nsdInvariantId`` (SOL001
    §6.8 ``tosca.nodes.nfv.NS`` properties)."""
    model = model_from_dict(rec.model)
    node = next((n for n in model.nodes.values() if n.is_a("tosca.nodes.nfv.NS")), None)
    props: Mapping[str, Any] = node.properties if node is not None else {}
    invariant = props.get("invariant_id")
    return {
        "nsdId": rec.descriptor_id,
        "nsdName": str(props.get("name") or rec.name),
        "nsdVersion": rec.version,
        "nsdDesigner": rec.provider,
        "nsdInvariantId": None if invariant is None else str(invariant),
    }


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The byte range ``(start, end)`` (inclusive) a ``Range`` header asks for.

    ``None``: serve the whole representation (no header, another unit, or several ranges,
    which RFC 9110 §14.2 lets a server ignore). :class:`RangeNotSatisfiable` for a malformed
    ``bytes`` range or one that starts beyond the end (SOL005: 416)."""
    if not header:
        return None
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes":
        return None
    spec = spec.strip()
    if "," in spec:
        return None
    first, dash, last = spec.partition("-")
    first, last = first.strip(), last.strip()
    try:
        if not dash or (not first and not last):
            raise ValueError(spec)
        if not first:  # suffix: the last N bytes
            count = int(last)
            if count <= 0 or size == 0:
                raise RangeNotSatisfiable(f"range {spec!r} selects no bytes", size)
            return max(0, size - count), size - 1
        start = int(first)
        end = int(last) if last else size - 1
    except ValueError:
        raise RangeNotSatisfiable(f"malformed range {header!r}", size) from None
    if start < 0 or end < start:
        raise RangeNotSatisfiable(f"malformed range {header!r}", size)
    if start >= size:
        raise RangeNotSatisfiable(
            f"range {spec!r} starts beyond the end of the {size}-byte content", size)
    return start, min(end, size - 1)


def first_yaml_document_name(data: bytes) -> str | None:
    """The ``metadata.template_name`` of a YAML descriptor, if it has one (for file names)."""
    try:
        doc = yaml.safe_load(data)
    except yaml.YAMLError:
        return None
    meta = doc.get("metadata") if isinstance(doc, dict) else None
    name = meta.get("template_name") if isinstance(meta, dict) else None
    return str(name) if name else None


__all__ = ["Package", "RangeNotSatisfiable", "descriptor_files", "normalise", "nsd_identity",
           "open_package", "parse_range", "vnf_identity", "vnf_package_info", "zip_of"]
