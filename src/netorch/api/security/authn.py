"""Bearer-token authentication of API requests (RFC 6750 §2.1, SOL013 §8).

A token whose (unverified) ``iss`` is netorch's own is checked by :class:`TokenIssuer`; any other
by the configured external issuer's :class:`JwksVerifier`, when there is one. Failures raise the
ProblemError to answer with (401, or 400 for a malformed ``Authorization`` header); the token
itself never appears in a message or a log line.

Verified tokens are cached for ``cache_s`` seconds (``NETORCH_API_AUTH_CACHE_S``, default 2):
within that window a request with the same token is answered without checking the signature
again or reading the client from the store, so removing a client (or changing its role) takes
effect within ``cache_s`` seconds. ``0`` checks every request. A cached token is never used
past its ``exp``. Requests arriving together with the same unchecked token share one check.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass

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


CACHE_MAX = 4096
"""At most this many verified tokens are remembered (then the expired are dropped, or all)."""


@dataclass(frozen=True, slots=True)
class _Verified:
    principal: Principal
    expires_at: float
    """The token's ``exp`` (epoch seconds)."""
    checked_at: float
    """``time.monotonic()`` of the full check."""


class Authenticator:
    """Turns a request's ``Authorization`` header into a :class:`Principal`."""

    def __init__(self, local: TokenIssuer, external: JwksVerifier | None = None, *,
                 cache_s: float = 2.0) -> None:
        self.local = local
        self.external = external
        self.cache_s = max(0.0, cache_s)
        self._cache: dict[str, _Verified] = {}
        self._checking: dict[str, asyncio.Future[_Verified]] = {}

    def _verify(self, token: str) -> _Verified:
        """The full check: signature, claims and (netorch's tokens) the client in the store."""
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise InvalidToken("the access token is not a JWT") from None
        if claims.get("iss") == ISSUER or self.external is None:
            principal = self.local.verify(token)
        else:
            principal = self.external.verify(token)
        exp = claims.get("exp")
        expires_at = float(exp) if isinstance(exp, int | float) else 0.0
        return _Verified(principal, expires_at, time.monotonic())

    def _cached(self, token: str) -> Principal | None:
        hit = self._cache.get(token)
        if hit is None:
            return None
        if time.monotonic() - hit.checked_at >= self.cache_s or time.time() >= hit.expires_at:
            self._cache.pop(token, None)
            return None
        return hit.principal

    async def _shared_check(self, token: str) -> _Verified:
        """One full check of ``token`` in a worker thread, awaited by every request that asks
        while it runs (when the window of a busy token ends, one check, not one per request)."""
        pending = self._checking.get(token)
        if pending is None:
            pending = asyncio.ensure_future(anyio.to_thread.run_sync(self._verify, token))
            self._checking[token] = pending
            pending.add_done_callback(lambda _done: self._checking.pop(token, None))
        return await asyncio.shield(pending)

    def _remember(self, token: str, verified: _Verified) -> None:
        if self.cache_s <= 0:
            return
        if len(self._cache) >= CACHE_MAX:
            now = time.time()
            for key in [k for k, v in self._cache.items() if v.expires_at <= now]:
                del self._cache[key]
            if len(self._cache) >= CACHE_MAX:
                self._cache.clear()
        self._cache[token] = verified

    async def authenticate(self, authorization: str | None) -> Principal:
        token = bearer_token(authorization)
        if token is None:
            raise unauthorized("an access token is required: get one from POST /oauth2/token "
                               "(OAuth 2.0 client credentials) and send it as "
                               "'Authorization: Bearer <token>'")
        principal = self._cached(token)
        if principal is not None:
            return principal
        try:
            if self.cache_s <= 0:
                verified = await anyio.to_thread.run_sync(self._verify, token)
            else:
                verified = await self._shared_check(token)
        except InvalidToken as exc:
            log.info("rejected an access token: %s", exc)
            raise unauthorized(str(exc), error="invalid_token") from None
        self._remember(token, verified)
        return verified.principal
