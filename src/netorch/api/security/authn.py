"""Bearer-token authentication of API requests (RFC 6750 §2.1, SOL013 §8).

A token whose (unverified) ``iss`` is netorch's own is checked by :class:`TokenIssuer`; any other
by the configured external issuer's :class:`JwksVerifier`, when there is one. Failures raise the
ProblemError to answer with (401, or 400 for a malformed ``Authorization`` header); the token
itself never appears in a message or a log line.
"""

from __future__ import annotations

import logging
import re

import anyio.to_thread
import jwt

from netorch.api.security.errors import bad_authorization, unauthorized
from netorch.api.security.jwks import JwksVerifier
from netorch.api.security.principal import Principal
from netorch.api.security.tokens import ISSUER, InvalidToken, TokenIssuer

log = logging.getLogger(__name__)

_BEARER = re.compile(r"^Bearer +([A-Za-z0-9\-._~+/]+=*) *$", re.IGNORECASE)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (RFC 6750 §2.1); ``None`` when
    the header is absent; ProblemError 400 when it is not a bearer credential."""
    if authorization is None or not authorization.strip():
        return None
    m = _BEARER.match(authorization.strip())
    if m is None:
        raise bad_authorization("the Authorization header must be 'Bearer <access token>' "
                                "(RFC 6750 §2.1)")
    return m.group(1)


class Authenticator:
    """Turns a request's ``Authorization`` header into a :class:`Principal`."""

    def __init__(self, local: TokenIssuer, external: JwksVerifier | None = None) -> None:
        self.local = local
        self.external = external

    def _verify(self, token: str) -> Principal:
        try:
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError:
            raise InvalidToken("the access token is not a JWT") from None
        if issuer == ISSUER or self.external is None:
            return self.local.verify(token)
        return self.external.verify(token)

    async def authenticate(self, authorization: str | None) -> Principal:
        token = bearer_token(authorization)
        if token is None:
            raise unauthorized("an access token is required: get one from POST /oauth2/token "
                               "(OAuth 2.0 client credentials) and send it as "
                               "'Authorization: Bearer <token>'")
        try:
            return await anyio.to_thread.run_sync(self._verify, token)
        except InvalidToken as exc:
            log.info("rejected an access token: %s", exc)
            raise unauthorized(str(exc), error="invalid_token") from None
