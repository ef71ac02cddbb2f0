"""Onboarding: validate a template or package, then keep it — content included — in the store.

``netorch onboard`` and (later) the SOL005 REST API (``vnfpkgm`` / ``nsd``, SPEC-NOTES §1.1,
§1.2) call the same functions:

* :func:`onboard` validates (loader and topology checks, :func:`validation.validate`) and, when
  valid, stores the package under its content hash with what SOL005 reports about it
  (``VnfPkgInfo``: ``vnfdId``, ``vnfProvider``, ``vnfdVersion``; ``NsdInfo`` §5.5.2.2:
  ``nsdId``, ``nsdDesigner``, ``nsdVersion``) and its content. Onboarding the same content again
  is idempotent; other content with the same ``vnfdId`` is another version. An NSD is validated
  against the VNF packages already onboarded (``known_vnfds``), so a VNF it references that is
  not onboarded is an error (SOL001 ``tosca.nodes.nfv.NS``
  ``strict_nsd_constituent_onboarding``).
* :func:`list_packages`, :func:`get_package`, :func:`delete_package` — query and delete; a
  package a service instance uses is ``IN_USE`` and cannot be deleted (SOL005 DELETE
  ``vnf_packages/{id}`` / ``ns_descriptors/{id}`` answer 409).
* :func:`resolve_source` — what ``netorch deploy PKG`` loads: a path, or an onboarded package
  written back from the store.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from netorch.model.diagnostics import Diagnostic, error
from netorch.model.errors import ConflictError, NetorchError, NotFoundError
from netorch.model.records import TemplateKind, TemplateRecord
from netorch.model.serialize import model_from_dict, model_to_dict
from netorch.model.service import NodeTemplate, ServiceModel
from netorch.services.context import Context
from netorch.services.package_content import ContentError, pack, unpack
from netorch.services.validation import ValidationResult, validate

log = logging.getLogger(__name__)

VNF_TYPE = "tosca.nodes.nfv.VNF"
"""SOL001 §6.8.1 / legacy NFV profile: the VNF node type a VNFD's VNF node derives from."""
NS_TYPE = "tosca.nodes.nfv.NS"
"""SOL001 §6.8.x: the NS node type."""
NS_ONLY_TYPES = ("tosca.nodes.nfv.NsVirtualLink", "tosca.nodes.nfv.Sap")
"""Node types that occur only in an NSD (SOL001 §6.8.x)."""

SHORT_ID = 12
"""How many hex digits of the content hash the CLI shows as a package's id."""
MIN_PREFIX = 4
_HEX = re.compile(r"[0-9a-f]+")


class OnboardStatus(StrEnum):
    ONBOARDED = "onboarded"
    ALREADY_ONBOARDED = "already-onboarded"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class PackageIdentity:
    """What a model says about itself: its kind and SOL001 identity."""

    kind: TemplateKind
    name: str
    version: str | None = None
    provider: str | None = None
    descriptor_id: str | None = None
    flavours: tuple[str, ...] = ()


@dataclass(slots=True)
class OnboardResult:
    status: OnboardStatus
    diagnostics: list[Diagnostic] = field(default_factory=list)
    record: TemplateRecord | None = None
    validation: ValidationResult | None = None

    @property
    def stored(self) -> bool:
        """The package is in the store (now, or from an earlier onboarding)."""
        return self.record is not None

    def to_dict(self, used_by: list[str] | None = None) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "valid": self.status is not OnboardStatus.INVALID,
            "package": None if self.record is None else package_dict(self.record, used_by or []),
            "diagnostics": [
                {k: d.to_dict()[k] for k in ("severity", "code", "message", "file", "line")}
                for d in self.diagnostics
            ],
        }


def _text(props: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = props.get(key)
        if value is not None and not isinstance(value, (dict, list)):
            return str(value)
    return None


def _flavours(nodes: list[NodeTemplate]) -> tuple[str, ...]:
    found = {_text(n.properties, "flavour_id") for n in nodes}
    return tuple(sorted(f for f in found if f))


def identify(model: ServiceModel) -> PackageIdentity:
    """The kind and identity of a loaded model, from its node types.

    An NS node, an NS-only node (``NsVirtualLink``, ``Sap``) or several VNF nodes make an NSD
    (SOL001 §6); one VNF node makes a VNF package (SOL001 §6.8.1, the VNFD of a SOL004 package);
    anything else is a plain TOSCA template. Name is the model's name; version and provider come
    from the NS / VNF node (SOL001 ``version`` / ``descriptor_version``, ``designer`` /
    ``provider``; the legacy NFV profile's ``version`` / ``vendor``), falling back to the
    template metadata (``template_version``, ``template_author``).
    """
    nodes = list(model.nodes.values())
    ns_nodes = [n for n in nodes if n.is_a(NS_TYPE)]
    vnf_nodes = [n for n in nodes if n.is_a(VNF_TYPE)]
    ns_only = any(n.is_a(t) for n in nodes for t in NS_ONLY_TYPES)
    meta = model.metadata
    version = _text(meta, "template_version")
    provider = _text(meta, "template_author")
    if ns_nodes or (vnf_nodes and (ns_only or len(vnf_nodes) > 1)):
        props: Mapping[str, Any] = ns_nodes[0].properties if ns_nodes else {}
        return PackageIdentity(
            kind=TemplateKind.NSD, name=model.name,
            version=_text(props, "version") or version,
            provider=_text(props, "designer") or provider,
            descriptor_id=_text(props, "descriptor_id"), flavours=_flavours(ns_nodes))
    if vnf_nodes:
        props = vnf_nodes[0].properties
        return PackageIdentity(
            kind=TemplateKind.VNF_PACKAGE, name=model.name,
            version=_text(props, "descriptor_version", "version") or version,
            provider=_text(props, "provider", "vendor") or provider,
            descriptor_id=_text(props, "descriptor_id", "id"), flavours=_flavours(vnf_nodes))
    return PackageIdentity(kind=TemplateKind.TEMPLATE, name=model.name, version=version,
                           provider=provider)


def known_vnfds(ctx: Context) -> dict[str, set[str]]:
    """``vnfd_id`` -> flavour ids, over every onboarded VNF package (all versions)."""
    known: dict[str, set[str]] = {}
    for rec in list_packages(ctx):
        if rec.kind == TemplateKind.VNF_PACKAGE and rec.descriptor_id:
            known.setdefault(rec.descriptor_id, set()).update(rec.flavours)
    return known


def onboard(ctx: Context, path: str | Path, *,
            inputs: Mapping[str, object] | None = None) -> OnboardResult:
    """Validate ``path`` and, when valid, store it with its content. Invalid: nothing stored.

    :class:`NotFoundError` when ``path`` does not exist."""
    source = Path(path)
    if not source.exists():
        raise NotFoundError(f"{source} does not exist")
    result = validate(source, inputs, known_vnfds=known_vnfds(ctx))
    diags = list(result.diagnostics)
    if not result.valid or result.model is None:
        return OnboardResult(OnboardStatus.INVALID, diags, validation=result)
    model = result.model
    try:
        packed = pack(source)
    except ContentError as exc:
        diags.append(error("onboard.content", str(exc), str(source)))
        return OnboardResult(OnboardStatus.INVALID, diags, validation=result)
    ident = identify(model)
    rec, stored = ctx.store.put_package(TemplateRecord(
        content_hash=model.content_hash, name=ident.name, source=str(source.resolve()),
        tosca_version=model.tosca_version, kind=ident.kind.value, model=model_to_dict(model),
        created_at=datetime.now(UTC), version=ident.version, provider=ident.provider,
        descriptor_id=ident.descriptor_id, flavours=ident.flavours,
        content_format=packed.format.value, content_name=packed.name,
        content_size=len(packed.data)), packed.data)
    if stored:
        ctx.store.add_event(f"onboarded {rec.kind} {describe(rec)} from {rec.source}")
        log.info("onboarded %s %s", rec.kind, rec.content_hash)
    status = OnboardStatus.ONBOARDED if stored else OnboardStatus.ALREADY_ONBOARDED
    return OnboardResult(status, diags, rec, validation=result)


def describe(rec: TemplateRecord) -> str:
    """``name version (id)`` for messages."""
    version = f" {rec.version}" if rec.version else ""
    return f"{rec.name}{version} ({rec.content_hash[:SHORT_ID]})"


def list_packages(ctx: Context) -> list[TemplateRecord]:
    """Every onboarded package and template, oldest first (templates recorded by a deployment
    from a path hold no content and are not listed)."""
    return [r for r in ctx.store.list_templates() if r.onboarded]


def package_usage(ctx: Context) -> dict[str, list[str]]:
    """``content_hash`` -> the services that use it."""
    return ctx.store.template_usage()


def get_package(ctx: Context, ref: str) -> TemplateRecord:
    """An onboarded package by its id: the content hash or a unique prefix of it (at least
    4 hex digits). :class:`NotFoundError` when none or several match."""
    key = ref.strip().lower()
    if len(key) < MIN_PREFIX or not _HEX.fullmatch(key):
        raise NotFoundError(f"no onboarded package {ref!r}: a package id is its content hash "
                            f"or a prefix of at least {MIN_PREFIX} hex digits "
                            "(see `netorch packages`)")
    matches = [r for r in ctx.store.find_templates(key) if r.onboarded]
    if not matches:
        raise NotFoundError(f"no onboarded package {ref!r} (see `netorch packages`)")
    if len(matches) > 1:
        ids = ", ".join(r.content_hash[:SHORT_ID] for r in matches)
        raise NotFoundError(f"package id {ref!r} is ambiguous: it matches {ids}; give more "
                            "digits")
    return matches[0]


def nsd_references(model: Mapping[str, Any]) -> set[str]:
    """The ``vnfd_id`` values an onboarded NSD's VNF nodes refer to (SOL001 NSD: each VNF node
    template carries the ``descriptor_id`` of the VNFD it is instantiated from)."""
    nsd = model_from_dict(dict(model))
    return {str(node.properties["descriptor_id"]) for node in nsd.nodes.values()
            if node.is_a("tosca.nodes.nfv.VNF") and node.properties.get("descriptor_id")}


def delete_package(ctx: Context, ref: str) -> TemplateRecord:
    """Delete an onboarded package and its content; :class:`ConflictError` while a service
    instance uses it, or while an onboarded NSD refers to a VNFD that only this package
    provides. Returns the deleted record."""
    rec = get_package(ctx, ref)
    if rec.kind == TemplateKind.VNF_PACKAGE and rec.descriptor_id:
        others = [r for r in list_packages(ctx) if r.content_hash != rec.content_hash]
        still_provided = any(r.kind == TemplateKind.VNF_PACKAGE
                             and r.descriptor_id == rec.descriptor_id for r in others)
        users = [describe(r) for r in others if r.kind == TemplateKind.NSD
                 and rec.descriptor_id in nsd_references(r.model)]
        if users and not still_provided:
            raise ConflictError(
                f"VNF package {describe(rec)} provides VNFD {rec.descriptor_id}, which the "
                f"onboarded NSD(s) {', '.join(users)} refer to; delete those first")
    ctx.store.delete_template(rec.content_hash)
    shutil.rmtree(_materialized_dir(ctx, rec), ignore_errors=True)
    ctx.store.add_event(f"deleted {rec.kind} {describe(rec)}")
    return rec


def _materialized_dir(ctx: Context, rec: TemplateRecord) -> Path:
    return ctx.settings.home.expanduser() / "packages" / rec.content_hash


def materialize(ctx: Context, rec: TemplateRecord) -> Path:
    """Write an onboarded package's content back to ``$NETORCH_HOME/packages/<hash>/`` and
    return the path to load. Content-addressed and written atomically, so concurrent callers
    and later ones (``netorch update`` reloading a service's template) share one copy."""
    if not rec.onboarded or rec.content_format is None or rec.content_name is None:
        raise NotFoundError(f"template {rec.content_hash[:SHORT_ID]} holds no content: it was "
                            f"deployed from {rec.source}, not onboarded")
    if not _HEX.fullmatch(rec.content_hash):
        raise NotFoundError(f"template {rec.content_hash!r} has no usable content hash")
    final = _materialized_dir(ctx, rec)
    entry = final / rec.content_name
    if entry.exists():
        return entry
    data = ctx.store.template_content(rec.content_hash)
    if data is None:
        raise NotFoundError(f"package {describe(rec)} has lost its content")
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=final.parent))
        try:
            unpack(rec.content_format, rec.content_name, data, staging)
            if final.exists() and not entry.exists():  # a damaged copy: replace it
                shutil.rmtree(final, ignore_errors=True)
            try:
                staging.rename(final)
            except OSError:
                if not entry.exists():  # unless a concurrent writer got there first
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except ContentError as exc:
        raise NotFoundError(f"package {describe(rec)}: {exc}") from exc
    except OSError as exc:
        raise NetorchError(f"cannot write package {describe(rec)} to {final}: {exc}") from exc
    return entry


def resolve_source(ctx: Context, ref: str | Path) -> Path:
    """What to load for ``ref``: an existing path as is, else the onboarded package with that
    id, written back from the store. :class:`NotFoundError` when it is neither."""
    path = Path(ref)
    if path.exists():
        return path
    try:
        rec = get_package(ctx, str(ref))
    except NotFoundError as exc:
        raise NotFoundError(f"{ref} does not exist, and {exc}") from None
    return materialize(ctx, rec)


def package_dict(rec: TemplateRecord, used_by: list[str]) -> dict[str, Any]:
    """A package as JSON (SOL005-style camelCase keys)."""
    return {
        "id": rec.content_hash, "kind": rec.kind, "name": rec.name, "version": rec.version,
        "provider": rec.provider, "descriptorId": rec.descriptor_id,
        "flavours": list(rec.flavours), "toscaVersion": rec.tosca_version,
        "source": rec.source, "onboardedAt": rec.created_at.isoformat(),
        "contentFormat": rec.content_format, "contentName": rec.content_name,
        "contentSize": rec.content_size, "usedBy": list(used_by),
    }


__all__ = [
    "OnboardResult", "OnboardStatus", "PackageIdentity", "delete_package", "describe",
    "get_package", "identify", "known_vnfds", "list_packages", "materialize", "onboard",
    "package_dict", "package_usage", "resolve_source",
]
