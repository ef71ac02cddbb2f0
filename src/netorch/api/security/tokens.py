"""netorch's own access tokens: JWTs (RFC 7519) signed with EdDSA, issued by the token
endpoint for the client credentials grant (RFC 6749 §4.4) and checked on every request.

A token names its client (``sub``); the role is read from the store at each check, so removing
a client (or changing its role) takes effect at once, not when its tokens expire.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import jwt

from netorch.api.security.keys import SigningKey
from netorch.api.security.principal import Principal
from netorch.model.api_access import ApiClient
from netorch.services.api_access import ApiClients

ISSUER = "netorch"
AUDIENCE = "netorch-api"
ALGORITHM = "EdDSA"


class InvalidToken(Exception):
    """The token is not one this server accepts (signature, expiry, issuer, client)."""


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    expires_in: int

    def __repr__(self) -> str:
        return f"IssuedToken(access_token='***', expires_in={self.expires_in})"


class TokenIssuer:
    """Issues and checks netorch's JWT access tokens."""

    def __init__(self, key: SigningKey, clients: ApiClients, *, ttl_s: int = 3600) -> None:
        self._key = key
        self._clients = clients
        self.ttl_s = ttl_s

    def issue(self, client: ApiClient) -> IssuedToken:
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": client.client_id, "iat": now,
                  "nbf": now, "exp": now + self.ttl_s, "jti": secrets.token_hex(8),
                  "role": client.role.value, "client_name": client.name}
        token = jwt.encode(claims, self._key.private, algorithm=ALGORITHM,
                           headers={"kid": self._key.kid})
        return IssuedToken(access_token=token, expires_in=self.ttl_s)

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(token, self._key.public, algorithms=[ALGORITHM],
                                audience=AUDIENCE, issuer=ISSUER,
                                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
                                leeway=5)
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"invalid token: {exc}") from None
        client_id = str(claims["sub"])
        current = self._clients.get(client_id)
        if current is None:
            raise InvalidToken("the token's client no longer exists")
        return Principal(client_id=client_id, role=current.role, issuer=ISSUER)
