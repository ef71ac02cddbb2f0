"""What the ``vnfpkgm`` and ``nsd`` routes share: the app's :class:`PackageApi`, content
negotiation (RFC 9110 §12.5.1 ``Accept``), byte ranges (RFC 9110 §14: 206 / 416, as SOL005
v2.6.1 requires for ``package_content``, ``nsd_content`` and ``artifacts``), upload bodies
(``multipart/form-data`` with a ``file`` part, or the raw ``application/zip`` / ``text/plain``
body) and entity tags (RFC 9110 §8.8.3 / §13.1.1: ``If-Match`` on PATCH, 412).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from netorch.api.deps import get_state
from netorch.api.sol013.problem import ProblemError
from netorch.api.sol013.query import apply_query
from netorch.services.package_api import PackageApi, ResourceKind, ResourceView
from netorch.services.package_files import RangeNotSatisfiable, parse_range

ZIP = "application/zip"
TEXT = "text/plain"
MULTIPART = "multipart/form-data"
_CHUNK = 1024 * 1024
_EXTRAS_KEY = "package_api"
_create_lock = threading.Lock()


def package_api(request: Request) -> PackageApi:
    """The app's :class:`PackageApi`, made on first use (which also puts resources a stopped
    server left UPLOADING or PROCESSING back to CREATED)."""
    state = get_state(request)
    api = state.extras.get(_EXTRAS_KEY)
    if isinstance(api, PackageApi):
        return api
    with _create_lock:
        api = state.extras.get(_EXTRAS_KEY)
        if not isinstance(api, PackageApi):
            notifier = state.notifier
            api = PackageApi(state.context, notifier,
                             api_root=str(getattr(notifier, "api_root", "") or ""))
            api.recover()
            state.extras[_EXTRAS_KEY] = api
    return api


def base_url(request: Request) -> str:
    """``{apiRoot}`` of this request (scheme, host, port and root path)."""
    return str(request.base_url).rstrip("/")


def _accepted(request: Request) -> list[tuple[str, float]]:
    header = request.headers.get("accept")
    if not header:
        return [("*/*", 1.0)]
    found = []
    for part in header.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media:
            found.append((media.lower(), q))
    return found


def acceptable(request: Request, media_type: str) -> bool:
    """Whether the request's ``Accept`` allows ``media_type`` (no header: anything)."""
    major = media_type.split("/", 1)[0]
    return any(q > 0 and media in (media_type, f"{major}/*", "*/*")
               for media, q in _accepted(request))


def negotiate(request: Request, offered: Sequence[str]) -> str | None:
    """The first of ``offered`` (the server's preference) that ``Accept`` allows."""
    return next((m for m in offered if acceptable(request, m)), None)


def not_acceptable(request: Request, offered: Sequence[str]) -> ProblemError:
    return ProblemError(406, f"this resource is available as {' or '.join(offered)}; the "
                             f"request accepts only {request.headers.get('accept')!r}")


def ranged(request: Request, data: bytes, media_type: str, *,
           file_name: str | None = None) -> Response:
    """``data`` whole (200) or the byte range the ``Range`` header asks for (206); 416 with
    ``Content-Range: bytes */size`` for a range that cannot be served."""
    size = len(data)
    try:
        selected = parse_range(request.headers.get("range"), size)
    except RangeNotSatisfiable as exc:
        raise ProblemError(416, str(exc), headers={"Content-Range": f"bytes */{exc.size}"}
                           ) from None
    headers = {"Accept-Ranges": "bytes"}
    if file_name:
        headers["Content-Disposition"] = f'attachment; filename="{file_name}"'
    if selected is None:
        return Response(data, 200, headers=headers, media_type=media_type)
    start, end = selected
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return Response(data[start:end + 1], 206, headers=headers, media_type=media_type)


@dataclass(slots=True)
class UploadBody:
    chunks: AsyncIterator[bytes]
    file_name: str | None
    text: bool


async def upload_body(request: Request, raw_types: Sequence[str]) -> UploadBody:
    """The content of a PUT ``package_content`` / ``nsd_content``: the ``file`` part of a
    ``multipart/form-data`` body, or the whole body when its type is one of ``raw_types``.
    415 for any other type; 400 for a multipart body without a ``file`` part."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media == MULTIPART:
        form = await request.form(max_files=1, max_fields=10)
        part = form.get("file")
        if not isinstance(part, UploadFile):
            await form.close()
            raise ProblemError(400, "the multipart body has no 'file' part holding the content")
        part_type = (part.content_type or "").split(";", 1)[0].strip().lower()
        name = part.filename or ""

        async def parts() -> AsyncIterator[bytes]:
            try:
                while chunk := await part.read(_CHUNK):
                    yield chunk
            finally:
                await form.close()

        return UploadBody(parts(), name, part_type == TEXT or name.endswith((".yaml", ".yml")))
    if media not in raw_types:
        allowed = ", ".join([*raw_types, MULTIPART])
        raise ProblemError(415, f"the content must be sent as {allowed}, not "
                                f"{media or 'without a Content-Type'}")
    return UploadBody(request.stream(), None, media == TEXT)


def etag(view: ResourceView) -> str:
    """A strong entity tag of the resource as it is now."""
    res = view.resource
    raw = f"{res.id}|{res.updated_at.isoformat()}|{view.usage_state}|{view.vnf_pkg_ids}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def check_if_match(request: Request, view: ResourceView) -> None:
    """412 when ``If-Match`` names no current entity tag (RFC 9110 §13.1.1)."""
    header = request.headers.get("if-match")
    if header is None:
        return
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    if "*" not in tags and etag(view) not in tags:
        raise ProblemError(412, "the resource has changed since it was read (If-Match does "
                                "not match its ETag); read it again")


__all__ = ["MULTIPART", "TEXT", "ZIP", "UploadBody", "acceptable", "base_url",
           "check_if_match", "etag", "negotiate", "not_acceptable", "package_api", "ranged",
           "upload_body"]


# -- the resource-level handlers the two package APIs share (VNF packages §9.4, NSDs §5.4) -----
Render = Callable[[ResourceView, str], dict[str, Any]]


def listed(request: Request, kind: ResourceKind, render: Render, *,
           default_exclude: Collection[str], complex_attrs: Collection[str]) -> JSONResponse:
    """The query of a resource collection: every resource rendered, then SOL013 filters,
    selectors and paging."""
    api = package_api(request)
    base = base_url(request)
    bodies = [render(v, base) for v in api.list_views(kind)]
    items, headers = apply_query(bodies, request, default_exclude=default_exclude,
                                 complex_attrs=complex_attrs)
    return JSONResponse(items, headers=headers)


async def created(request: Request, kind: ResourceKind, user_defined_data: dict[str, Any],
                  render: Render) -> JSONResponse:
    """A new resource: 201 with its body, ``Location`` and ``ETag``."""
    api = package_api(request)
    res = await run_in_threadpool(api.create, kind, user_defined_data)
    view = await run_in_threadpool(api.view, kind, res.id)
    info = render(view, base_url(request))
    return JSONResponse(info, status_code=201,
                        headers={"Location": info["_links"]["self"]["href"], "ETag": etag(view)})


async def modified(request: Request, kind: ResourceKind, rid: str, *,
                   operational_state: Any, user_defined_data: dict[str, Any] | None,
                   state_name: str = "operationalState") -> JSONResponse:
    """Apply a modification (after ``If-Match``): 200 with what changed, the operational
    state under ``state_name``."""
    api = package_api(request)
    check_if_match(request, await run_in_threadpool(api.view, kind, rid))
    applied = await run_in_threadpool(
        lambda: api.modify(kind, rid, operational_state=operational_state,
                           user_defined_data=user_defined_data))
    if "operationalState" in applied and state_name != "operationalState":
        applied[state_name] = applied.pop("operationalState")
    view = await run_in_threadpool(api.view, kind, rid)
    return JSONResponse(applied, headers={"ETag": etag(view)})
