"""A content-hash cache of loads: unchanged content is not parsed or validated again.

A successful :func:`netorch.tosca.load` is stored under a key that covers everything its result
depends on:

* the source as given (its name appears in the model and the diagnostics) and the SHA-256 of
  its content: the file's bytes, or every file of a CSAR directory
  (:func:`netorch.tosca.csar.directory_hash`);
* the inputs (canonical JSON), the type library path, network access, the onboarded VNFDs an
  NSD is checked against, the SOL004 package policy and the YAML / archive limits;
* netorch's version and a fingerprint of its loading code, and tosca-parser's version;

and the entry records every other file the load read (imports outside the package, the SOL001
type library, netorch's own type files) with its SHA-256, and every place an import was looked
for and not found.  A lookup hashes the source, then every recorded file, and checks the empty
places are still empty: that is all the work a hit costs, no YAML is parsed.  Any difference is
a miss.

Not stored: failed loads, loads that fetched an import from the network, packages that carry
signatures or certificates (whether a certificate is valid depends on the day), and loads that
took less than ``NETORCH_LOAD_CACHE_MIN_MS`` (a small template loads faster than a cache entry
is written).

Entries live in memory (the last few, as the very objects loaded: the model is immutable) and
on disk under ``$NETORCH_HOME/cache/load/`` (``~/.netorch`` by default), one JSON file each,
written atomically (a temporary file renamed into place), bounded in total size: the least
recently used (by modification time, refreshed on every hit) go first.

=================================  ==========================================================
``NETORCH_LOAD_CACHE``              ``0`` / ``false`` / ``no`` / ``off``: no cache at all
``NETORCH_LOAD_CACHE_MAX_BYTES``    disk budget (default 256 MiB)
``NETORCH_LOAD_CACHE_MEMORY``       entries kept in memory (default 8; 0: none)
``NETORCH_LOAD_CACHE_MIN_MS``       loads quicker than this are not stored (default 50)
``NETORCH_HOME``                    where the disk cache lives (``<home>/cache/load``)
=================================  ==========================================================
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import hashlib
import importlib.metadata
import json
import logging
import os
import tempfile
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import netorch
from netorch.model import service
from netorch.model.diagnostics import Diagnostic, Severity
from netorch.model.serialize import FORMAT_VERSION, model_from_dict, model_to_dict
from netorch.model.service import ServiceModel
from netorch.tosca.csar import directory_hash
from netorch.tosca.sol004.limits import ArchiveLimits, YamlLimits
from netorch.tosca.sol004.policy import PackagePolicy

log = logging.getLogger(__name__)

DISABLE_ENV = "NETORCH_LOAD_CACHE"
MAX_BYTES_ENV = "NETORCH_LOAD_CACHE_MAX_BYTES"
MEMORY_ENV = "NETORCH_LOAD_CACHE_MEMORY"
MIN_MS_ENV = "NETORCH_LOAD_CACHE_MIN_MS"
DEFAULT_MIN_MS = 50
HOME_ENV = "NETORCH_HOME"
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
DEFAULT_MEMORY_ENTRIES = 8
CACHE_FORMAT = 1
_OFF = {"0", "false", "no", "off"}
_CHUNK = 1024 * 1024
SIGNATURE_SUFFIXES = (".cms", ".cert", ".crt", ".pem", ".der", ".p7s", ".p7b", ".sig")
"""Files that make a package's verification depend on the date (certificate validity)."""

Loaded = tuple[ServiceModel, list[Diagnostic]]


# -- what the key is made of ----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LoadRequest:
    """The arguments of one :func:`netorch.tosca.load` call."""

    source: Path
    inputs: Mapping[str, object] | None = None
    types_path: Path | None = None
    allow_network: bool = False
    known_vnfds: Mapping[str, set[str]] | None = None
    security: PackagePolicy | None = None


@dataclass(slots=True)
class FileRecord:
    """The files a load read besides its source, and the places it found empty."""

    files: dict[str, str] = field(default_factory=dict)
    """Absolute path -> SHA-256 (hex)."""
    absent: list[str] = field(default_factory=list)


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@functools.cache
def code_fingerprint() -> str:
    """netorch's version, a fingerprint of the code and type files loading depends on
    (paths, sizes, modification times) and tosca-parser's version: a cached load made by other
    code is never served."""
    digest = hashlib.sha256(f"netorch {netorch.__version__}".encode())
    base = Path(netorch.__file__).resolve().parent
    for package in ("tosca", "model"):
        for path in sorted((base / package).rglob("*")):
            if path.suffix in (".py", ".yaml") and path.is_file():
                stat = path.stat()
                digest.update(f"{path.relative_to(base)}:{stat.st_size}:{stat.st_mtime_ns}\n"
                              .encode())
    try:
        digest.update(importlib.metadata.version("tosca-parser").encode())
    except importlib.metadata.PackageNotFoundError:
        digest.update(b"no tosca-parser")
    return digest.hexdigest()


def _policy(security: PackagePolicy | None) -> dict[str, Any]:
    policy = security or PackagePolicy.from_env()
    return {"anchors": [str(p) for p in policy.trust_anchors],
            "require_signature": policy.require_signature, "strict": policy.strict,
            "check_time": policy.check_time.isoformat() if policy.check_time else None}


def _types_path(explicit: Path | None) -> str | None:
    if explicit is not None:
        return str(Path(explicit).absolute())
    env = os.environ.get("NETORCH_TYPES_PATH")
    return str(Path(env).absolute()) if env else None


def source_digest(source: Path) -> tuple[str, str] | None:
    """(kind, SHA-256 of the content) of a template file, CSAR directory or ZIP; None when it
    cannot be read (the load itself reports why)."""
    try:
        if source.is_dir():
            return "directory", directory_hash(source)
        if source.is_file():
            return "file", file_digest(source)
    except OSError:
        return None
    return None


def request_key(request: LoadRequest) -> str | None:
    """The cache key of ``request``, or None when it cannot be cached (unreadable source,
    inputs that are not JSON data)."""
    found = source_digest(request.source)
    if found is None:
        return None
    kind, digest = found
    known = None if request.known_vnfds is None else {
        str(k): sorted(map(str, v)) for k, v in request.known_vnfds.items()}
    material = {
        "format": CACHE_FORMAT, "code": code_fingerprint(),
        "source": str(request.source), "absolute": os.path.abspath(request.source),
        "kind": kind, "digest": digest,
        "inputs": None if request.inputs is None else dict(request.inputs),
        "types_path": _types_path(request.types_path),
        "allow_network": request.allow_network, "known_vnfds": known,
        "policy": _policy(request.security),
        "limits": [dataclasses.asdict(YamlLimits.from_env()),
                   dataclasses.asdict(ArchiveLimits.from_env())],
    }
    try:
        text = json.dumps(material, sort_keys=True, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return None
    return hashlib.sha256(text.encode()).hexdigest()


# -- packages whose verification depends on the date ---------------------------------------
def _signed_names(names: Iterable[str]) -> bool:
    return any(name.lower().endswith(SIGNATURE_SUFFIXES) for name in names)


def _manifest_signed(text: str) -> bool:
    lowered = text.lower()
    return "begin cms" in lowered or "etsi-entry-certificate" in lowered or any(
        line.strip().lower().startswith(("signature:", "certificate:"))
        for line in text.splitlines())


def carries_signatures(source: Path) -> bool:
    """Whether the package has signatures or certificates (then it is never cached)."""
    try:
        if source.is_dir():
            for dirpath, _dirs, names in os.walk(source):
                if _signed_names(names):
                    return True
                for name in names:
                    if name.lower().endswith((".mf", ".meta")):
                        text = (Path(dirpath) / name).read_text("utf-8", errors="replace")
                        if _manifest_signed(text):
                            return True
            return False
        if zipfile.is_zipfile(source):
            with zipfile.ZipFile(source) as zf:
                names = zf.namelist()
                if _signed_names(names):
                    return True
                for name in names:
                    if name.lower().endswith((".mf", ".meta")) and \
                            zf.getinfo(name).file_size < 64 * 1024 * 1024:
                        text = zf.read(name).decode("utf-8", errors="replace")
                        if _manifest_signed(text):
                            return True
    except (OSError, zipfile.BadZipFile, RuntimeError, ValueError):
        return True
    return False


# -- (de)serialising ----------------------------------------------------------------------
def _diag_to_json(diag: Diagnostic) -> list[Any]:
    return [diag.severity.value, diag.code, diag.message, diag.file, diag.line, diag.column]


def _diag_from_json(item: list[Any]) -> Diagnostic:
    severity, code, message, file, line, column = item
    return Diagnostic(Severity(severity), code, message, file, line, column)


@functools.cache
def _fields_known() -> bool:
    """Whether the model's dataclasses still have the fields :func:`_plain_model` knows (else
    only :func:`~netorch.model.serialize.model_from_dict` is used)."""
    expected: dict[type, str] = {
        service.NodeTemplate: "name type type_chain description properties attributes "
                              "capabilities requirements interfaces artifacts line",
        service.RequirementAssignment: "name target relationship capability properties",
        service.InterfaceDef: "name type operations",
        service.OperationDef: "name implementation inputs",
        service.ArtifactDef: "name type file properties",
        service.InputDef: "name type description default required has_default",
        service.OutputDef: "name value description",
        service.PolicyDef: "name type type_chain targets properties",
        service.GroupDef: "name type members properties",
        service.ScalingAspect: "name max_scale_level deltas description",
        service.InstantiationLevel: "name description instances scale_levels",
        service.ServiceModel: "name tosca_version source description metadata inputs "
                              "input_values nodes policies groups outputs aspects "
                              "initial_instances min_instances max_instances "
                              "instantiation_levels default_instantiation_level content_hash"}
    return FORMAT_VERSION == 1 and all(
        tuple(f.name for f in dataclasses.fields(cls)) == tuple(names.split())
        for cls, names in expected.items())


def _plain_model(d: Mapping[str, Any]) -> ServiceModel:
    """:func:`~netorch.model.serialize.model_from_dict` for a document without tagged values
    (no ``"$..."`` key anywhere, which :func:`_decode_model` checks on the text): every value
    is plain JSON already, so only the dataclasses are rebuilt."""
    node_cls, req_cls = service.NodeTemplate, service.RequirementAssignment
    iface_cls, op_cls, art_cls = service.InterfaceDef, service.OperationDef, service.ArtifactDef
    nodes = {}
    for key, n in d["nodes"].items():
        nodes[key] = node_cls(
            n["name"], n["type"], tuple(n["type_chain"]), n["description"], n["properties"],
            n["attributes"], n["capabilities"],
            tuple(req_cls(r["name"], r["target"], r["relationship"], r["capability"],
                          r["properties"]) for r in n["requirements"]),
            tuple(iface_cls(i["name"], i["type"], tuple(
                op_cls(o["name"], o["implementation"], o["inputs"]) for o in i["operations"]))
                for i in n["interfaces"]),
            {k: art_cls(a["name"], a["type"], a["file"], a["properties"])
             for k, a in n["artifacts"].items()},
            n["line"])
    return ServiceModel(
        name=d["name"], tosca_version=d["tosca_version"], source=d["source"],
        description=d["description"], metadata=d["metadata"],
        inputs={k: service.InputDef(i["name"], i["type"], i["description"], i["default"],
                                    i["required"], i["has_default"])
                for k, i in d["inputs"].items()},
        input_values=d["input_values"], nodes=nodes,
        policies=tuple(service.PolicyDef(p["name"], p["type"], tuple(p["type_chain"]),
                                         tuple(p["targets"]), p["properties"])
                       for p in d["policies"]),
        groups=tuple(service.GroupDef(g["name"], g["type"], tuple(g["members"]),
                                      g["properties"]) for g in d["groups"]),
        outputs={k: service.OutputDef(o["name"], o["value"], o["description"])
                 for k, o in d["outputs"].items()},
        aspects={k: service.ScalingAspect(a["name"], a["max_scale_level"],
                                          {n: tuple(s) for n, s in a["deltas"].items()},
                                          a["description"]) for k, a in d["aspects"].items()},
        initial_instances=d["initial_instances"], min_instances=d["min_instances"],
        max_instances=d["max_instances"],
        instantiation_levels={k: service.InstantiationLevel(
            lv["name"], lv["description"], lv["instances"], lv["scale_levels"])
            for k, lv in d["instantiation_levels"].items()},
        default_instantiation_level=d["default_instantiation_level"],
        content_hash=d["content_hash"])


def _decode_model(text: str) -> ServiceModel:
    enabled = gc.isenabled()
    gc.disable()  # the collector would rescan the growing model again and again
    try:
        body = json.loads(text)
        if '"$' not in text and _fields_known():
            return _plain_model(body)
        return model_from_dict(body)
    finally:
        if enabled:
            gc.enable()


# -- the cache ------------------------------------------------------------------------------
@dataclass(slots=True)
class _Entry:
    record: FileRecord
    model: ServiceModel
    diagnostics: list[Diagnostic]


def cache_home() -> Path:
    raw = os.environ.get(HOME_ENV)
    home = Path(raw).expanduser() if raw else Path("~/.netorch").expanduser()
    return home / "cache" / "load"


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return max(0, int(raw))
    except ValueError:
        log.warning("ignoring %s=%r: not an integer", name, raw)
        return default


class LoadCache:
    """The memory and disk cache (see the module doc)."""

    def __init__(self, directory: Path | None, *, max_bytes: int = DEFAULT_MAX_BYTES,
                 memory_entries: int = DEFAULT_MEMORY_ENTRIES,
                 min_seconds: float = DEFAULT_MIN_MS / 1000) -> None:
        self.directory = directory
        self.min_seconds = min_seconds
        """Loads that took less are not worth storing."""
        self.max_bytes = max_bytes
        self.memory_entries = memory_entries
        self._memory: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    # -- lookup --------------------------------------------------------------------------
    def lookup(self, key: str) -> Loaded | None:
        with self._lock:
            entry = self._memory.get(key)
            if entry is not None:
                self._memory.move_to_end(key)
        if entry is not None:
            if _still_valid(entry.record):
                self._touch(key)
                return entry.model, list(entry.diagnostics)
            self._forget(key)
        return self._from_disk(key)

    def _path(self, key: str) -> Path | None:
        return None if self.directory is None else self.directory / f"{key}.json"

    def _from_disk(self, key: str) -> Loaded | None:
        path = self._path(key)
        if path is None:
            return None
        try:
            with path.open("r", encoding="utf-8") as fh:
                header = json.loads(fh.readline())
                if header.get("format") != CACHE_FORMAT:
                    return None
                record = FileRecord(dict(header["files"]), list(header["absent"]))
                if not _still_valid(record):
                    return None
                diagnostics = [_diag_from_json(d) for d in json.loads(fh.readline())]
                model = _decode_model(fh.read())
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.debug("unreadable load cache entry %s: %s", path, exc)
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        self._touch(key)
        self._remember(key, _Entry(record, model, diagnostics))
        return model, list(diagnostics)

    # -- store ---------------------------------------------------------------------------
    def store(self, key: str, record: FileRecord, model: ServiceModel,
              diagnostics: list[Diagnostic]) -> None:
        self._remember(key, _Entry(record, model, list(diagnostics)))
        path = self._path(key)
        if path is None:
            return
        try:
            header = json.dumps({"format": CACHE_FORMAT, "files": record.files,
                                 "absent": record.absent})
            diags = json.dumps([_diag_to_json(d) for d in diagnostics])
            body = json.dumps(model_to_dict(model), allow_nan=False, separators=(",", ":"))
        except (TypeError, ValueError) as exc:
            log.debug("load of %s not cached: %s", model.source, exc)
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(header + "\n" + diags + "\n" + body)
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            self._evict(keep=path)
        except OSError as exc:
            log.debug("cannot write the load cache in %s: %s", path.parent, exc)

    def _remember(self, key: str, entry: _Entry) -> None:
        if self.memory_entries <= 0:
            return
        with self._lock:
            self._memory[key] = entry
            self._memory.move_to_end(key)
            while len(self._memory) > self.memory_entries:
                self._memory.popitem(last=False)

    def _forget(self, key: str) -> None:
        with self._lock:
            self._memory.pop(key, None)

    def _touch(self, key: str) -> None:
        path = self._path(key)
        if path is not None:
            with contextlib.suppress(OSError):
                os.utime(path)

    def _evict(self, keep: Path) -> None:
        """Delete the least recently used entries until the cache fits its budget."""
        if self.directory is None:
            return
        entries: list[tuple[float, int, Path]] = []
        total = 0
        for path in self.directory.glob("*.json"):
            try:
                stat = path.stat()
            except OSError:
                continue
            entries.append((stat.st_mtime, stat.st_size, path))
            total += stat.st_size
        if total <= self.max_bytes:
            return
        for _mtime, size, path in sorted(entries):
            if total <= self.max_bytes * 0.9:
                break
            if path == keep:
                continue
            with contextlib.suppress(OSError):
                path.unlink()
                total -= size

    def clear_memory(self) -> None:
        with self._lock:
            self._memory.clear()


def _still_valid(record: FileRecord) -> bool:
    for name, digest in record.files.items():
        try:
            if file_digest(Path(name)) != digest:
                return False
        except OSError:
            return False
    return not any(os.path.exists(name) for name in record.absent)


_CACHES: dict[tuple[str, int, int, int], LoadCache] = {}
_CACHES_LOCK = threading.Lock()


def from_env() -> LoadCache | None:
    """The process's cache for the current environment, or None when it is switched off."""
    if os.environ.get(DISABLE_ENV, "").strip().lower() in _OFF:
        return None
    directory = cache_home()
    settings = (str(directory), _int_env(MAX_BYTES_ENV, DEFAULT_MAX_BYTES),
                _int_env(MEMORY_ENV, DEFAULT_MEMORY_ENTRIES), _int_env(MIN_MS_ENV, DEFAULT_MIN_MS))
    with _CACHES_LOCK:
        cache = _CACHES.get(settings)
        if cache is None:
            cache = LoadCache(directory, max_bytes=settings[1], memory_entries=settings[2],
                              min_seconds=settings[3] / 1000)
            _CACHES[settings] = cache
        return cache
