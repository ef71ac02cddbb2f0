"""ProblemDetails (RFC 7807 as profiled by SOL013 §6.4): the body of every API error.

``status`` and ``detail`` are always present; ``title`` defaults to the HTTP reason phrase.
:func:`install_problem_handlers` renders :class:`ProblemError`, Starlette/FastAPI HTTP errors,
request validation errors (as 400, SOL013 §6.4) and netorch's domain errors
(:mod:`netorch.model.errors`) as ``application/problem+json``; 405 responses carry an ``Allow``
header listing every method the path implements.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from netorch.model.errors import (
    ConflictError,
    NetorchError,
    NotFoundError,
    PermanentError,
    TemporaryError,
    ValidationFailed,
)

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class ProblemError(Exception):
    """Raise to answer with a ProblemDetails body (SOL013 §6.4)."""

    def __init__(self, status: int, detail: str, title: str | None = None, *,
                 type: str | None = None, headers: Mapping[str, str] | None = None,
                 extra: Mapping[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title
        self.type = type
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_body(status: int, detail: str, title: str | None = None, *,
                 type: str | None = None, instance: str | None = None,
                 extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ProblemDetails JSON object (SOL013 §6.4: ``status`` and ``detail`` mandatory)."""
    body: dict[str, Any] = {}
    if type is not None:
        body["type"] = type
    body["title"] = title or _reason(status)
    body["status"] = status
    body["detail"] = detail
    if instance is not None:
        body["instance"] = instance
    for key, value in (extra or {}).items():
        body.setdefault(key, value)
    return body


def problem_response(status: int, detail: str, title: str | None = None, *,
                     type: str | None = None, instance: str | None = None,
                     headers: Mapping[str, str] | None = None,
                     extra: Mapping[str, Any] | None = None) -> JSONResponse:
    """A ``application/problem+json`` response."""
    return JSONResponse(
        problem_body(status, detail, title, type=type, instance=instance, extra=extra),
        status_code=status, headers=dict(headers or {}), media_type=PROBLEM_JSON)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Every method some route implements for ``request``'s path (for the 405 ``Allow``):
    each method is tried against the app's routes, as the router would match it."""
    allowed = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in app.router.routes):
            allowed.append(method)
    return allowed


def _validation_detail(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:10]:
        loc = "/".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return "invalid request: " + "; ".join(parts) if parts else "invalid request"


def _domain_status(exc: NetorchError) -> tuple[int, dict[str, str]]:
    if isinstance(exc, NotFoundError):
        return 404, {}
    if isinstance(exc, ConflictError):
        return 409, {}
    if isinstance(exc, ValidationFailed):
        return 422, {}
    if isinstance(exc, TemporaryError):
        delay = max(1, round(exc.delay)) if exc.delay is not None else 5
        return 503, {"Retry-After": str(delay)}
    if isinstance(exc, PermanentError):
        return 400, {}
    return 500, {}


def install_problem_handlers(app: FastAPI) -> None:
    """Render every error as ProblemDetails (SOL013 §6.4)."""

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ProblemError)
        return problem_response(exc.status, exc.detail, exc.title, type=exc.type,
                                instance=str(request.url.path), headers=exc.headers,
                                extra=exc.extra)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        headers = dict(exc.headers or {})
        detail = exc.detail if isinstance(exc.detail, str) else _reason(exc.status_code)
        if exc.status_code == 405:
            allow = allowed_methods(app, request)
            headers["Allow"] = ", ".join(allow)
            detail = (f"method {request.method} is not supported on {request.url.path}; "
                      f"allowed: {', '.join(allow) or 'none'}")
        elif exc.status_code == 404 and detail == "Not Found":
            detail = f"no resource at {request.url.path}"
        return problem_response(exc.status_code, detail, instance=str(request.url.path),
                                headers=headers)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return problem_response(400, _validation_detail(exc), instance=str(request.url.path))

    async def on_domain(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, NetorchError)
        status, headers = _domain_status(exc)
        if status == 500:
            log.error("unhandled %s on %s %s: %s", type(exc).__name__, request.method,
                      request.url.path, exc)
            detail = "internal error"
        else:
            detail = str(exc)
            if isinstance(exc, ValidationFailed) and exc.diagnostics:
                detail += ": " + "; ".join(str(d) for d in exc.diagnostics[:20])
        return problem_response(status, detail, instance=str(request.url.path),
                                headers=headers)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path,
                      exc_info=exc)
        return problem_response(500, "internal error", instance=str(request.url.path))

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(NetorchError, on_domain)
    app.add_exception_handler(Exception, on_unexpected)
