"""API versions (SOL013 §9.1): the ``Version`` HTTP header and the ``api_versions`` resources.

Every request to an API resource (``/{apiName}/...``) must carry ``Version: MAJOR.MINOR.PATCH``
(optionally ``-impl:<org>:<product>:<n>``): missing or malformed → 400, a version this server
does not serve → 406. Every response under an API carries ``Version: <current>``. Exempt from
the request check: ``{apiName}/api_versions``, ``{apiName}/{major}/api_versions`` and the
paths that are not an API resource (``/oauth2/token``, ``/openapi.json``, ``/docs``).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from netorch.api.sol013.problem import problem_response


@dataclass(frozen=True, slots=True)
class ApiVersion:
    """One SOL005 API as served: its name, URI major version and full version."""

    name: str
    major: str
    version: str

    @property
    def uri_prefix(self) -> str:
        return f"/{self.name}/{self.major}"

    def information(self) -> dict[str, Any]:
        """``ApiVersionInformation`` (SOL013 §9.3.3.1)."""
        return {"uriPrefix": self.uri_prefix,
                "apiVersions": [{"version": self.version, "isDeprecated": False}]}

    def supports(self, major: int, minor: int, patch: int) -> bool:
        """A request for ``major.minor.patch`` is served when the MAJOR matches and it is not
        newer than this server's version (MINOR and PATCH changes are backward compatible,
        SOL013 §9.1)."""
        ours = tuple(int(p) for p in self.version.split("."))
        return major == ours[0] and (minor, patch) <= ours[1:]


# SOL005 v2.6.1 serves these APIs under URI major version v1 (so their MAJOR version is 1).
# The MINOR.PATCH values are [M] in the spec notes (SPEC-NOTES §0.1): check them against the
# v2.6.1 OpenAPI files.
APIS: dict[str, ApiVersion] = {
    "nsd": ApiVersion("nsd", "v1", "1.2.0"),
    "vnfpkgm": ApiVersion("vnfpkgm", "v1", "1.2.0"),
    "nslcm": ApiVersion("nslcm", "v1", "1.2.0"),
}

VERSION_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)(-impl:[^:\s]+:[^:\s]+:[^:\s]+)?$")


class VersionError(ValueError):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def api_of(path: str) -> ApiVersion | None:
    """The API a request path belongs to (its first segment), or ``None``."""
    first = path.lstrip("/").split("/", 1)[0]
    return APIS.get(first)


def is_exempt(path: str) -> bool:
    """Paths whose requests need no ``Version`` header (SOL013 §9.1)."""
    return path.rstrip("/").endswith("/api_versions")


def check_version(api: ApiVersion, value: str | None) -> str:
    """Validate a request's ``Version`` header for ``api``; return the requested version.

    :class:`VersionError` 400 when missing or malformed, 406 when not supported."""
    if value is None or not value.strip():
        raise VersionError(400, "the Version header is required (SOL013 §9.1); this API "
                                f"serves version {api.version}")
    m = VERSION_RE.match(value.strip())
    if m is None:
        raise VersionError(400, f"malformed Version header {value!r}: expected "
                                "MAJOR.MINOR.PATCH[-impl:<org>:<product>:<n>]")
    major, minor, patch = (int(g) for g in m.group(1, 2, 3))
    requested = f"{major}.{minor}.{patch}"
    if not api.supports(major, minor, patch):
        raise VersionError(406, f"version {requested} of the {api.name} API is not supported; "
                                f"this server serves {api.version}")
    return requested


class VersionMiddleware:
    """Enforces the request ``Version`` header and stamps it on every API response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        api = api_of(path)
        if api is None:
            await self.app(scope, receive, send)
            return
        if not is_exempt(path):
            try:
                check_version(api, Headers(scope=scope).get("version"))
            except VersionError as exc:
                response = problem_response(exc.status, exc.detail, instance=path,
                                            headers={"Version": api.version})
                await response(scope, receive, send)
                return

        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Version"] = api.version
            await send(message)

        await self.app(scope, receive, send_with_version)


def _versions_endpoint(info: dict[str, Any]) -> Callable[[], Awaitable[dict[str, Any]]]:
    async def get_versions() -> dict[str, Any]:
        return info

    return get_versions


def api_versions_router() -> APIRouter:
    """``GET {apiName}/api_versions`` and ``GET {apiName}/{major}/api_versions`` for each API
    (SOL013 §9.3.2); any other method answers 405."""
    router = APIRouter(tags=["api_versions"])
    for api in APIS.values():
        get_versions = _versions_endpoint(api.information())
        for path in (f"/{api.name}/api_versions", f"{api.uri_prefix}/api_versions"):
            router.add_api_route(
                path, get_versions, methods=["GET"],
                name=f"{api.name}_api_versions" + ("_major" if api.major in path else ""),
                summary=f"ApiVersionInformation of the {api.name} API (SOL013 §9.3.3)",
                response_model=None)
    return router
