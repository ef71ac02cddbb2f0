"""The token endpoint: ``POST /oauth2/token``, OAuth 2.0 client credentials grant
(RFC 6749 §4.4).

The client authenticates with HTTP Basic (RFC 6749 §2.3.1: ``client_id:client_secret``, each
form-urlencoded) or, as the RFC also allows, with ``client_id`` and ``client_secret`` form
fields; never both. The body is ``application/x-www-form-urlencoded`` with
``grant_type=client_credentials``. Errors use the RFC 6749 §5.2 body (``{"error": …}``), not
ProblemDetails; responses are never cached (§5.1).
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any
from urllib.parse import unquote_plus

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from netorch.api.security.errors import REALM
from netorch.api.security.principal import Principal
from netorch.api.state import ApiState

log = logging.getLogger(__name__)

TOKEN_PATH = "/oauth2/token"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_error(status: int, error: str, description: str, *,
                basic_challenge: bool = False) -> JSONResponse:
    """An RFC 6749 §5.2 error response."""
    headers = dict(_NO_STORE)
    if basic_challenge:
        headers["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
    return JSONResponse({"error": error, "error_description": description},
                        status_code=status, headers=headers)


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """``(client_id, client_secret)`` of an HTTP Basic header (RFC 7617, RFC 6749 §2.3.1);
    ``None`` when there is no Basic header; ValueError when it is malformed."""
    if not authorization:
        return None
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError("malformed HTTP Basic credentials") from None
    user, sep, password = decoded.partition(":")
    if not sep:
        raise ValueError("malformed HTTP Basic credentials")
    return unquote_plus(user), unquote_plus(password)


def token_router() -> APIRouter:
    router = APIRouter(tags=["oauth2"])

    @router.post(
        TOKEN_PATH,
        summary="Access token (OAuth 2.0 client credentials grant, RFC 6749 §4.4)",
        responses={200: {"description": "access_token, token_type=Bearer, expires_in"},
                   400: {"description": "RFC 6749 §5.2 error"},
                   401: {"description": "invalid_client"}},
    )
    async def token(request: Request) -> JSONResponse:
        state: ApiState = request.app.state.netorch
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            return oauth_error(400, "invalid_request",
                               "the body must be application/x-www-form-urlencoded")
        form: dict[str, Any] = dict(await request.form())
        try:
            basic = basic_credentials(request.headers.get("authorization"))
        except ValueError as exc:
            return oauth_error(401, "invalid_client", str(exc), basic_challenge=True)
        in_form = "client_id" in form or "client_secret" in form
        if basic is not None and in_form:
            return oauth_error(400, "invalid_request",
                               "use one client authentication method, not both")
        grant = form.get("grant_type")
        if not grant:
            return oauth_error(400, "invalid_request", "grant_type is required")
        if grant != "client_credentials":
            return oauth_error(400, "unsupported_grant_type",
                               "only grant_type=client_credentials is supported")
        if basic is not None:
            client_id, secret = basic
        elif in_form:
            client_id, secret = str(form.get("client_id", "")), str(form.get("client_secret", ""))
        else:
            return oauth_error(401, "invalid_client", "client authentication is required",
                               basic_challenge=True)
        client = await anyio.to_thread.run_sync(state.clients.authenticate, client_id, secret)
        if client is None:
            log.info("token request refused: bad client credentials")
            return oauth_error(401, "invalid_client", "client authentication failed",
                               basic_challenge=basic is not None or not in_form)
        request.state.principal = Principal(client_id=client.client_id, role=client.role)
        issued = state.tokens.issue(client)
        log.info("issued an access token to client %s (%s)", client.name, client.client_id)
        return JSONResponse({"access_token": issued.access_token, "token_type": "Bearer",
                             "expires_in": issued.expires_in}, headers=_NO_STORE)

    return router
