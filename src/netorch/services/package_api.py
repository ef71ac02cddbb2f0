"""SOL005 v2.6.1 VNF package (§9, ``vnfpkgm/v1``) and NSD (§5, ``nsd/v1``) resources.

The REST API's packages are resources with their own ids, on top of :mod:`onboarding`
(which keeps the content, keyed by its hash). :class:`PackageApi` runs their state machine:

* POST creates a resource in CREATED / DISABLED / NOT_IN_USE (§9.4.2.3.1, §5.4.2.3.1).
* Uploading (PUT ``package_content`` / ``nsd_content``, or POST
  ``package_content/upload_from_uri``) moves CREATED → UPLOADING at once (409 in any other
  state, §9.4.5.3.3) and answers 202; processing then runs in the background: UPLOADING →
  PROCESSING → ONBOARDED, with the operational state ENABLED (as Tacker does; SPEC-NOTES §4.3
  step 8). When uploading or processing fails, the resource goes back to CREATED with
  ``onboardingFailureDetails`` (a ProblemDetails, §9.5.2.5 / §5.5.2.2), and can be uploaded
  again. A hostile archive (zip slip, links, zip bomb), a bad CSAR, a failed SOL004 digest or
  signature check, an NSD whose VNFDs are not onboarded: all fail processing this way.
* PATCH changes ``operationalState`` (only when ONBOARDED, and only to the other state: 409) and
  merges ``userDefinedData`` (RFC 7396); DELETE needs DISABLED and NOT_IN_USE (409).
* Notifications (§9.5.2.8 ``VnfPackageOnboardingNotification``, §9.5.2.9
  ``VnfPackageChangeNotification``, §5.5.2.9 to §5.5.2.12 ``NsdOnBoardingNotification``,
  ``NsdOnBoardingFailureNotification``, ``NsdChangeNotification``,
  ``NsdDeletionNotification``) go through a :class:`Publisher` (``services.notify.Notifier``).

One set of packages (issue 5: the API and the CLI share :mod:`onboarding`, so they agree): a
VNF package or NSD onboarded with ``netorch onboard`` (a template of that kind with a descriptor
id and no resource) is *adopted* when the API next reads its resources: it appears as an
ONBOARDED / ENABLED resource whose id is derived from its kind and content hash (a UUID v5, so
the same id in every process, and two readers adopting at once make one resource). A resource
whose content was deleted with ``netorch packages delete`` is dropped the same way; a resource
deleted through the API takes its content with it (unless another resource shares it), so it
leaves ``netorch packages`` too. Adopting and dropping send no notification (the change
happened outside the API). Content stored while an upload is being processed is not adopted
(it belongs to that upload).

Usage (``usageState`` / ``nsdUsageState``): an NSD is IN_USE while an NS instance refers to it
(:meth:`PackageApi.add_nsd_user` / :meth:`remove_nsd_user`, called by the NS lifecycle) or a
service was deployed from its content; a VNF package is IN_USE while a service was deployed from
it or an NSD in use refers to its VNFD.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import shutil
import uuid
import zipfile
from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from netorch.model.diagnostics import Diagnostic, Severity
from netorch.model.errors import ConflictError, NetorchError, NotFoundError, PermanentError
from netorch.model.records import TemplateKind, TemplateRecord
from netorch.services.context import Context
from netorch.services.onboarding import (
    OnboardStatus,
    describe,
    nsd_references,
    onboard,
)
from netorch.services.package_content import MAX_CONTENT_BYTES
from netorch.services.package_files import (
    Package,
    nsd_identity,
    open_package,
    vnf_identity,
    vnf_package_info,
)
from netorch.store.package_resources import (
    OnboardingState,
    OperationalState,
    PackageResource,
    PackageResources,
    ResourceKind,
)

log = logging.getLogger(__name__)

API_VNFPKGM = "vnfpkgm"
API_NSD = "nsd"
IN_USE = "IN_USE"
NOT_IN_USE = "NOT_IN_USE"
_CHUNK = 1024 * 1024
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")

AttrValue = str | Sequence[str]


_ADOPTED_NAMESPACE = uuid.UUID("6f3c1d52-4a8e-5b7f-9c2d-0e1a2b3c4d5e")
"""UUID v5 namespace of the ids of adopted resources (fixed: the ids must never change)."""

_RESOURCE_KINDS = {TemplateKind.VNF_PACKAGE.value: ResourceKind.VNF_PACKAGE,
                   TemplateKind.NSD.value: ResourceKind.NSD}


def adopted_id(kind: ResourceKind, content_hash: str) -> str:
    """The id of the resource adopted for onboarded content (stable, the same everywhere)."""
    return str(uuid.uuid5(_ADOPTED_NAMESPACE, f"{kind}:{content_hash}"))


class Publisher(Protocol):
    """What :class:`PackageApi` needs of ``services.notify.Notifier``."""

    def publish(self, api: str, notification_type: str, payload: Mapping[str, Any],
                attrs: Mapping[str, AttrValue]) -> int: ...


class UploadRejected(PermanentError):
    """The upload itself failed (too big, unreadable); the resource is CREATED again."""


@dataclass(frozen=True, slots=True)
class ResourceView:
    """A resource with what is computed when it is read."""

    resource: PackageResource
    usage_state: str
    vnf_pkg_ids: tuple[str, ...] = ()
    """NSD only: the VNF package resources that provide the VNFDs it refers to."""


@dataclass(slots=True)
class _Work:
    tasks: set[asyncio.Task[None]] = field(default_factory=set)


def problem(status: int, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    """A ProblemDetails object (RFC 7807, SOL013 §6.4) for ``onboardingFailureDetails``."""
    return {"title": title, "status": status, "detail": detail, **extra}


def _diagnostics_problem(diags: Sequence[Diagnostic], what: str) -> dict[str, Any]:
    errors = [d for d in diags if d.severity is Severity.ERROR]
    shown = errors or list(diags)
    detail = "; ".join(d.message for d in shown[:5]) or f"the {what} is not valid"
    if len(shown) > 5:
        detail += f" (and {len(shown) - 5} more)"
    return problem(422, f"{what} processing failed", detail, diagnostics=[
        {k: d.to_dict()[k] for k in ("severity", "code", "message", "file", "line")}
        for d in shown[:50]])


def merge_patch(target: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """RFC 7396 JSON merge patch of one object into another (``null`` removes a key)."""
    result = dict(target)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merge_patch(result[key], value)
        elif isinstance(value, Mapping):
            result[key] = merge_patch({}, value)
        else:
            result[key] = value
    return result


def safe_file_name(name: str | None, default: str) -> str:
    """A plain file name for a staged upload (the client's name when it is harmless)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return base if _SAFE_NAME.fullmatch(base) and base not in (".", "..") else default


class PackageApi:
    """The package and NSD resources of one context. Thread-safe, like the store.

    Background processing runs on the event loop that called :meth:`upload` /
    :meth:`upload_from_uri` (validation itself in a worker thread); :meth:`drain` waits for it.
    """

    def __init__(self, ctx: Context, publisher: Publisher | None = None, *,
                 api_root: str = "", max_bytes: int = MAX_CONTENT_BYTES,
                 fetch_timeout_s: float = 60.0) -> None:
        self.ctx = ctx
        self.publisher = publisher
        self.api_root = api_root.rstrip("/")
        self.max_bytes = max_bytes
        self.fetch_timeout_s = fetch_timeout_s
        self._resources: PackageResources | None = None
        self._work = _Work()

    @property
    def resources(self) -> PackageResources:
        if self._resources is None:
            self._resources = PackageResources(self.ctx.store)
        return self._resources

    # -- reading -----------------------------------------------------------------------------

    def get(self, kind: ResourceKind, rid: str) -> PackageResource:
        found = self.resources.get(rid, kind)
        if found is None or self._orphaned(found):
            self.sync()
            return self.resources.require(rid, kind)
        return found

    def _orphaned(self, res: PackageResource) -> bool:
        """An ONBOARDED resource whose content is no longer onboarded."""
        if res.onboarding_state is not OnboardingState.ONBOARDED or res.content_hash is None:
            return False
        rec = self.ctx.store.get_template(res.content_hash)
        return rec is None or not rec.onboarded

    def view(self, kind: ResourceKind, rid: str) -> ResourceView:
        return self.views(kind, [self.get(kind, rid)])[0]

    def list_views(self, kind: ResourceKind) -> list[ResourceView]:
        self.sync()
        return self.views(kind, self.resources.find(kind))

    def sync(self) -> None:
        """Make the resources match the onboarded packages: adopt VNF packages and NSDs
        onboarded outside the API, drop resources whose content was deleted outside it (see
        the module docstring). Idempotent and safe to run concurrently."""
        onboarded = {r.content_hash: r for r in self.ctx.store.list_templates() if r.onboarded}
        known = self.resources.find(ResourceKind.VNF_PACKAGE) + \
            self.resources.find(ResourceKind.NSD)
        for res in known:
            if res.onboarding_state is OnboardingState.ONBOARDED and res.content_hash \
                    and res.content_hash not in onboarded:
                gone = self.resources.forget(res.id, res.kind, res.content_hash)
                if gone is not None:
                    log.info("%s %s: its content %s was deleted outside the API", res.kind,
                             res.id, res.content_hash[:12])
                    shutil.rmtree(self._staging(res.id), ignore_errors=True)
        claimed = {(r.kind, r.content_hash) for r in known if r.content_hash}
        busy = [r.updated_at for r in known if r.onboarding_state in (
            OnboardingState.UPLOADING, OnboardingState.PROCESSING)]
        horizon = min(busy) if busy else None
        for rec in onboarded.values():
            kind = _RESOURCE_KINDS.get(rec.kind)
            if kind is None or not rec.descriptor_id or (kind, rec.content_hash) in claimed:
                continue
            if horizon is not None and rec.created_at >= horizon:
                continue  # possibly stored by an upload being processed: not ours to adopt
            rid = adopted_id(kind, rec.content_hash)
            if self.resources.adopt(rid, kind, content_hash=rec.content_hash,
                                    descriptor_id=rec.descriptor_id,
                                    info=self._info(kind, rec), created_at=rec.created_at):
                log.info("%s %s: adopted %s onboarded outside the API", kind, rid,
                         describe(rec))

    def views(self, kind: ResourceKind, items: Sequence[PackageResource]) -> list[ResourceView]:
        """Each resource with its usage state (and, for NSDs, ``vnfPkgIds``)."""
        services = self.ctx.store.template_usage()
        nsds = self.resources.find(ResourceKind.NSD)
        used_vnfds = {vnfd for nsd in nsds if self._nsd_used(nsd, services)
                      for vnfd in nsd.info.get("vnfdIds", ())}
        vnf_by_vnfd: dict[str, list[str]] = {}
        if kind is ResourceKind.NSD:
            for pkg in self.resources.find(ResourceKind.VNF_PACKAGE):
                if pkg.onboarding_state is OnboardingState.ONBOARDED and pkg.descriptor_id:
                    vnf_by_vnfd.setdefault(pkg.descriptor_id, []).append(pkg.id)
        views = []
        for res in items:
            if kind is ResourceKind.NSD:
                used = self._nsd_used(res, services)
                pkg_ids = tuple(pid for vnfd in res.info.get("vnfdIds", ())
                                for pid in vnf_by_vnfd.get(vnfd, ()))
            else:
                used = bool(res.users or (res.content_hash and services.get(res.content_hash))
                            or (res.descriptor_id and res.descriptor_id in used_vnfds))
                pkg_ids = ()
            views.append(ResourceView(res, IN_USE if used else NOT_IN_USE, pkg_ids))
        return views

    @staticmethod
    def _nsd_used(res: PackageResource, services: Mapping[str, list[str]]) -> bool:
        return bool(res.users or (res.content_hash and services.get(res.content_hash)))

    def content(self, kind: ResourceKind, rid: str) -> tuple[TemplateRecord, bytes]:
        """The onboarded content; :class:`ConflictError` unless ONBOARDED (§9.4.5.3.2)."""
        res = self.get(kind, rid)
        if res.onboarding_state is not OnboardingState.ONBOARDED or res.content_hash is None:
            raise ConflictError(f"{_what(kind)} {rid} is {res.onboarding_state}, not ONBOARDED: "
                                "it has no content to read yet")
        rec = self.ctx.store.get_template(res.content_hash)
        data = self.ctx.store.template_content(res.content_hash) if rec is not None else None
        if rec is None or data is None:
            raise NotFoundError(f"the content of {_what(kind)} {rid} is no longer in the store")
        return rec, data

    def package(self, kind: ResourceKind, rid: str) -> Package:
        rec, data = self.content(kind, rid)
        return open_package(rec, data)

    # -- create, modify, delete --------------------------------------------------------------

    def create(self, kind: ResourceKind,
               user_defined_data: Mapping[str, Any] | None = None) -> PackageResource:
        res = self.resources.create(kind, dict(user_defined_data or {}))
        log.info("created %s resource %s", kind, res.id)
        return res

    def modify(self, kind: ResourceKind, rid: str, *, operational_state: str | None = None,
               user_defined_data: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Apply ``VnfPkgInfoModifications`` / ``NsdInfoModifications``; return them as
        applied (§9.4.3.3.4: the 200 body)."""
        res = self.get(kind, rid)
        values: dict[str, Any] = {}
        applied: dict[str, Any] = {}
        state: OperationalState | None = None
        if operational_state is not None:
            try:
                state = OperationalState(operational_state)
            except ValueError:
                raise PermanentError(f"operational state must be ENABLED or DISABLED, not "
                                     f"{operational_state!r}") from None
            if res.onboarding_state is not OnboardingState.ONBOARDED:
                raise ConflictError(f"{_what(kind)} {rid} is {res.onboarding_state}; its "
                                    "operational state can change only once it is ONBOARDED")
            if res.operational_state is state:
                raise ConflictError(f"{_what(kind)} {rid} is already {state}")
            values["operational_state"] = state
            applied["operationalState"] = str(state)
        if user_defined_data is not None:
            values["user_defined_data"] = merge_patch(res.user_defined_data, user_defined_data)
            applied["userDefinedData"] = dict(user_defined_data)
        if not values:
            return applied
        expect_op = None if state is None else [res.operational_state]
        expect_onb = None if state is None else [OnboardingState.ONBOARDED]
        updated = self.resources.update(rid, kind, expect_onboarding=expect_onb,
                                        expect_operational=expect_op, **values)
        if state is not None:
            self._notify_change(updated)
        return applied

    def delete(self, kind: ResourceKind, rid: str) -> PackageResource:
        """Delete a DISABLED resource that is NOT_IN_USE (§9.4.3.3.5 / §5.4.3.3.5: 409
        otherwise), and its onboarded content unless something else still refers to it."""
        view = self.view(kind, rid)
        res = view.resource
        if view.usage_state == IN_USE:
            raise ConflictError(f"{_what(kind)} {rid} is IN_USE; it cannot be deleted")
        if res.operational_state is not OperationalState.DISABLED:
            raise ConflictError(f"{_what(kind)} {rid} is {res.operational_state}; disable it "
                                "before deleting it")
        if kind is ResourceKind.VNF_PACKAGE:
            self._check_vnfd_still_needed(res)
        deleted = self.resources.delete(rid, kind)
        self._forget_content(deleted)
        shutil.rmtree(self._staging(rid), ignore_errors=True)
        self.ctx.store.add_event(f"deleted {_what(kind)} resource {rid}")
        self._notify_deleted(deleted)
        return deleted

    def _check_vnfd_still_needed(self, res: PackageResource) -> None:
        """The last onboarded provider of a VNFD an onboarded NSD refers to cannot go."""
        vnfd = res.descriptor_id
        if not vnfd or res.onboarding_state is not OnboardingState.ONBOARDED:
            return
        others = [p for p in self.resources.find(ResourceKind.VNF_PACKAGE, descriptor_id=vnfd)
                  if p.id != res.id and p.onboarding_state is OnboardingState.ONBOARDED]
        if others:
            return
        users = [n.id for n in self.resources.find(ResourceKind.NSD)
                 if n.onboarding_state is OnboardingState.ONBOARDED
                 and vnfd in n.info.get("vnfdIds", ())]
        if users:
            raise ConflictError(f"VNF package {res.id} provides VNFD {vnfd}, which the "
                                f"onboarded NSD(s) {', '.join(users)} refer to; delete those "
                                "first")

    def _forget_content(self, res: PackageResource) -> None:
        digest = res.content_hash
        if digest is None or self.resources.shares_content(digest, res.id):
            return
        try:
            self.ctx.store.delete_template(digest)
        except (ConflictError, NotFoundError) as exc:
            log.info("keeping template %s of deleted resource %s: %s", digest[:12], res.id, exc)

    # -- usage (for the NS lifecycle) --------------------------------------------------------

    def nsd_in_use(self, nsd_info_id: str) -> bool:
        """Whether the NSD resource is IN_USE (§5.5.2.2 ``nsdUsageState``)."""
        return self.view(ResourceKind.NSD, nsd_info_id).usage_state == IN_USE

    def add_nsd_user(self, nsd_info_id: str, ns_instance_id: str) -> None:
        """Record that an NS instance refers to an NSD (it is IN_USE until removed)."""
        self.resources.add_user(nsd_info_id, ns_instance_id)

    def remove_nsd_user(self, nsd_info_id: str, ns_instance_id: str) -> None:
        self.resources.remove_user(nsd_info_id, ns_instance_id)

    # -- upload and processing ---------------------------------------------------------------

    def _staging(self, rid: str) -> Path:
        return self.ctx.settings.home.expanduser() / "api-uploads" / rid

    async def upload(self, kind: ResourceKind, rid: str, chunks: AsyncIterator[bytes], *,
                     file_name: str | None = None, text: bool = False) -> None:
        """Receive the content (PUT ``package_content`` / ``nsd_content``) and start
        processing it in the background. ``text``: a single YAML file (NSD ``text/plain``).

        :class:`ConflictError` unless CREATED; :class:`UploadRejected` when the body cannot be
        stored (the resource is then CREATED again, with the failure details)."""
        await asyncio.to_thread(self._begin_upload, kind, rid)
        default = ("nsd.yaml" if text else "nsd.zip") if kind is ResourceKind.NSD \
            else "package.zip"
        name = safe_file_name(file_name, default)
        if text and not name.endswith((".yaml", ".yml")):
            name = default
        target = self._staging(rid) / name
        try:
            await asyncio.to_thread(self._reset_staging, rid)
            size = 0
            with target.open("wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise UploadRejected(f"the content is larger than the {self.max_bytes} "
                                             "bytes this NFVO accepts")
                    await asyncio.to_thread(out.write, chunk)
            if size == 0:
                raise UploadRejected("the request carried no content")
        except BaseException as exc:
            detail = str(exc) if isinstance(exc, UploadRejected) else "the upload was interrupted"
            await asyncio.to_thread(self._fail, kind, rid, problem(400, "Upload failed", detail),
                                    expect=OnboardingState.UPLOADING)
            if isinstance(exc, Exception) and not isinstance(exc, UploadRejected):
                raise UploadRejected(detail) from exc
            raise
        self._spawn(self._process(kind, rid, target))

    async def upload_from_uri(self, kind: ResourceKind, rid: str, uri: str, *,
                              user_name: str | None = None, password: str | None = None) -> None:
        """POST ``package_content/upload_from_uri`` (§9.4.6): fetch ``uri`` (HTTP basic
        authentication with ``user_name`` / ``password`` when given) and process it, all in
        the background. :class:`PermanentError` for a URI that is not http(s);
        :class:`ConflictError` unless CREATED."""
        parts = urlsplit(uri)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise PermanentError(f"addressInformation must be an http or https URI, not "
                                 f"{uri!r}")
        await asyncio.to_thread(self._begin_upload, kind, rid)
        self._spawn(self._fetch(kind, rid, uri, user_name, password))

    def _begin_upload(self, kind: ResourceKind, rid: str) -> None:
        self.resources.update(rid, kind, expect_onboarding=[OnboardingState.CREATED],
                              onboarding_state=OnboardingState.UPLOADING, failure_details=None)
        log.info("%s %s: UPLOADING", kind, rid)

    def _reset_staging(self, rid: str) -> None:
        staging = self._staging(rid)
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True, exist_ok=True)

    def _spawn(self, work: Awaitable[None]) -> None:
        async def run() -> None:
            await work

        task = asyncio.get_running_loop().create_task(run())
        self._work.tasks.add(task)
        task.add_done_callback(self._work.tasks.discard)

    async def drain(self) -> None:
        """Wait for every background upload and processing started so far."""
        while self._work.tasks:
            await asyncio.gather(*list(self._work.tasks), return_exceptions=True)

    async def _fetch(self, kind: ResourceKind, rid: str, uri: str, user_name: str | None,
                     password: str | None) -> None:
        default = "nsd.zip" if kind is ResourceKind.NSD else "package.zip"
        try:
            await asyncio.to_thread(self._reset_staging, rid)
            name = safe_file_name(urlsplit(uri).path, default)
            target = self._staging(rid) / name
            auth = httpx.BasicAuth(user_name, password or "") if user_name else None
            size = 0
            async with httpx.AsyncClient(timeout=self.fetch_timeout_s, follow_redirects=True,
                                         auth=auth) as client, \
                    client.stream("GET", uri) as response:
                if response.status_code != 200:
                    raise UploadRejected(f"GET {_shown(uri)} answered "
                                         f"{response.status_code}, not 200")
                with target.open("wb") as out:
                    async for chunk in response.aiter_bytes(_CHUNK):
                        size += len(chunk)
                        if size > self.max_bytes:
                            raise UploadRejected(f"{_shown(uri)} is larger than the "
                                                 f"{self.max_bytes} bytes this NFVO accepts")
                        await asyncio.to_thread(out.write, chunk)
        except (UploadRejected, httpx.HTTPError, OSError) as exc:
            detail = str(exc) if isinstance(exc, UploadRejected) else (
                f"cannot fetch {_shown(uri)}: {type(exc).__name__}")
            log.info("%s %s: upload from URI failed: %s", kind, rid, detail)
            await asyncio.to_thread(self._fail, kind, rid, problem(400, "Upload failed", detail),
                                    expect=OnboardingState.UPLOADING)
            return
        await self._process(kind, rid, target)

    async def _process(self, kind: ResourceKind, rid: str, path: Path) -> None:
        try:
            await asyncio.to_thread(self._process_sync, kind, rid, path)
        except Exception:
            log.exception("processing %s %s failed unexpectedly", kind, rid)
            await asyncio.to_thread(
                self._fail, kind, rid,
                problem(500, "Processing failed", "internal error while processing the content"),
                expect=OnboardingState.PROCESSING)
        finally:
            await asyncio.to_thread(shutil.rmtree, self._staging(rid), True)

    def _process_sync(self, kind: ResourceKind, rid: str, path: Path) -> None:
        self.resources.update(rid, kind, expect_onboarding=[OnboardingState.UPLOADING],
                              onboarding_state=OnboardingState.PROCESSING)
        log.info("%s %s: PROCESSING", kind, rid)
        failure, values = self._onboard(kind, path)
        if failure is not None:
            self._fail(kind, rid, failure, expect=OnboardingState.PROCESSING)
            return
        res = self.resources.update(
            rid, kind, expect_onboarding=[OnboardingState.PROCESSING],
            onboarding_state=OnboardingState.ONBOARDED,
            operational_state=OperationalState.ENABLED, failure_details=None, **values)
        log.info("%s %s: ONBOARDED (%s)", kind, rid, res.content_hash)
        self.ctx.store.add_event(f"onboarded {_what(kind)} resource {rid} "
                                 f"({res.descriptor_id})")
        self._notify_onboarded(res)

    def _onboard(self, kind: ResourceKind,
                 path: Path) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        what = _what(kind)
        if kind is ResourceKind.VNF_PACKAGE and not zipfile.is_zipfile(path):
            return problem(422, f"{what} processing failed",
                           "a VNF package must be a ZIP archive (SOL004 CSAR)"), {}
        try:
            result = onboard(self.ctx, path)
        except NetorchError as exc:
            return problem(422, f"{what} processing failed", str(exc)), {}
        if result.record is None:
            return _diagnostics_problem(result.diagnostics, what), {}
        rec = result.record
        expected = TemplateKind.VNF_PACKAGE if kind is ResourceKind.VNF_PACKAGE \
            else TemplateKind.NSD
        if rec.kind != expected:
            if result.status is OnboardStatus.ONBOARDED:
                self._drop_unclaimed(rec)
            return problem(422, f"{what} processing failed",
                           f"the content is a {rec.kind} ({describe(rec)}), not {_a(what)}"), {}
        if not rec.descriptor_id:
            return problem(422, f"{what} processing failed",
                           f"the {what} declares no descriptor_id"), {}
        return None, {"content_hash": rec.content_hash, "descriptor_id": rec.descriptor_id,
                      "info": self._info(kind, rec)}

    def _info(self, kind: ResourceKind, rec: TemplateRecord) -> dict[str, Any]:
        """What SOL005 reports about onboarded content (``VnfPkgInfo`` / ``NsdInfo``)."""
        if kind is ResourceKind.VNF_PACKAGE:
            data = self.ctx.store.template_content(rec.content_hash) or b""
            return {**vnf_identity(rec), **vnf_package_info(rec, data, rec.provider)}
        return {**nsd_identity(rec), "vnfdIds": sorted(nsd_references(rec.model))}

    def _drop_unclaimed(self, rec: TemplateRecord) -> None:
        """Content this processing stored only to find it is the wrong kind goes again."""
        if self.resources.find(ResourceKind.VNF_PACKAGE, content_hash=rec.content_hash) or \
                self.resources.find(ResourceKind.NSD, content_hash=rec.content_hash):
            return
        with contextlib.suppress(ConflictError, NotFoundError):
            self.ctx.store.delete_template(rec.content_hash)

    def _fail(self, kind: ResourceKind, rid: str, details: dict[str, Any], *,
              expect: OnboardingState) -> None:
        try:
            res = self.resources.update(rid, kind, expect_onboarding=[expect],
                                        onboarding_state=OnboardingState.CREATED,
                                        failure_details=details, content_hash=None)
        except (ConflictError, NotFoundError) as exc:
            log.warning("%s %s: cannot record the failure: %s", kind, rid, exc)
            return
        log.info("%s %s: back to CREATED: %s", kind, rid, details.get("detail"))
        self.ctx.store.add_event(f"onboarding {_what(kind)} resource {rid} failed: "
                                 f"{details.get('detail')}", level="warning")
        if kind is ResourceKind.NSD:
            self._publish(API_NSD, "NsdOnBoardingFailureNotification", {
                "nsdInfoId": res.id, **({"nsdId": res.descriptor_id} if res.descriptor_id
                                        else {}),
                "onboardingFailureDetails": details,
                "_links": {"nsdInfo": {"href": self.href(kind, res.id)}}}, self._attrs(res))

    def recover(self) -> int:
        """Resources a stopped process left UPLOADING or PROCESSING go back to CREATED, with
        failure details saying so (they can be uploaded again). Returns how many."""
        count = 0
        for res in self.resources.interrupted():
            self._fail(res.kind, res.id, problem(
                503, "Onboarding interrupted",
                "the NFVO restarted while this content was being uploaded or processed; "
                "upload it again"), expect=res.onboarding_state)
            count += 1
        return count

    # -- notifications -----------------------------------------------------------------------

    def href(self, kind: ResourceKind, rid: str) -> str:
        if kind is ResourceKind.VNF_PACKAGE:
            return f"{self.api_root}/vnfpkgm/v1/vnf_packages/{rid}"
        return f"{self.api_root}/nsd/v1/ns_descriptors/{rid}"

    def _attrs(self, res: PackageResource) -> dict[str, AttrValue]:
        info = res.info
        if res.kind is ResourceKind.VNF_PACKAGE:
            keys = ("vnfdId", "vnfProvider", "vnfProductName", "vnfSoftwareVersion",
                    "vnfdVersion")
            attrs: dict[str, AttrValue] = {"vnfPkgId": res.id,
                                           "operationalState": str(res.operational_state)}
        else:
            keys = ("nsdId", "nsdName", "nsdVersion", "nsdDesigner", "nsdInvariantId")
            attrs = {"nsdInfoId": res.id, "nsdOperationalState": str(res.operational_state),
                     "nsdOnboardingState": str(res.onboarding_state)}
        attrs.update({k: str(info[k]) for k in keys if info.get(k) is not None})
        return attrs

    def _publish(self, api: str, notification_type: str, payload: dict[str, Any],
                 attrs: Mapping[str, AttrValue]) -> None:
        if self.publisher is None:
            return
        try:
            count = self.publisher.publish(api, notification_type, payload, attrs)
        except Exception:  # a notification problem must not undo the state change
            log.exception("cannot queue %s", notification_type)
            return
        log.debug("queued %s for %d subscription(s)", notification_type, count)

    def _notify_onboarded(self, res: PackageResource) -> None:
        link = {"href": self.href(res.kind, res.id)}
        if res.kind is ResourceKind.VNF_PACKAGE:
            self._publish(API_VNFPKGM, "VnfPackageOnboardingNotification", {
                "vnfPkgId": res.id, "vnfdId": res.descriptor_id,
                "_links": {"vnfPackage": link}}, self._attrs(res))
        else:
            self._publish(API_NSD, "NsdOnBoardingNotification", {
                "nsdInfoId": res.id, "nsdId": res.descriptor_id,
                "_links": {"nsdInfo": link}}, self._attrs(res))

    def _notify_change(self, res: PackageResource) -> None:
        link = {"href": self.href(res.kind, res.id)}
        if res.kind is ResourceKind.VNF_PACKAGE:
            self._publish(API_VNFPKGM, "VnfPackageChangeNotification", {
                "vnfPkgId": res.id, "vnfdId": res.descriptor_id, "changeType": "OP_STATE_CHANGE",
                "operationalState": str(res.operational_state),
                "_links": {"vnfPackage": link}}, self._attrs(res))
        else:
            self._publish(API_NSD, "NsdChangeNotification", {
                "nsdInfoId": res.id, "nsdId": res.descriptor_id,
                "nsdOperationalState": str(res.operational_state),
                "_links": {"nsdInfo": link}}, self._attrs(res))

    def _notify_deleted(self, res: PackageResource) -> None:
        link = {"href": self.href(res.kind, res.id)}
        if res.kind is ResourceKind.VNF_PACKAGE:
            self._publish(API_VNFPKGM, "VnfPackageChangeNotification", {
                "vnfPkgId": res.id, "vnfdId": res.descriptor_id, "changeType": "PKG_DELETE",
                "_links": {"vnfPackage": link}}, self._attrs(res))
        else:
            self._publish(API_NSD, "NsdDeletionNotification", {
                "nsdInfoId": res.id, "nsdId": res.descriptor_id,
                "_links": {"nsdInfo": link}}, self._attrs(res))


def _what(kind: ResourceKind) -> str:
    return "VNF package" if kind is ResourceKind.VNF_PACKAGE else "NSD"


def _a(what: str) -> str:
    return f"an {what}" if what == "NSD" else f"a {what}"


def _shown(uri: str) -> str:
    """A URI without any user information (never echo credentials)."""
    parts = urlsplit(uri)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return parts._replace(netloc=host).geturl()


__all__ = ["API_NSD", "API_VNFPKGM", "IN_USE", "NOT_IN_USE", "OnboardingState",
           "OperationalState", "PackageApi", "PackageResource", "Publisher", "ResourceKind",
           "ResourceView", "UploadRejected", "adopted_id", "merge_patch", "problem",
           "safe_file_name"]
