"""Tokens of an external OAuth 2.0 authorisation server, checked against its JWKS (RFC 7517).

Configured with ``NETORCH_API_JWKS_URL``, ``NETORCH_API_ISSUER`` and ``NETORCH_API_AUDIENCE``;
the caller's role is read from the claim ``NETORCH_API_ROLE_CLAIM`` (default ``netorch_role``;
a dotted name reaches into nested claims, e.g. ``realm_access.roles``). A claim holding a list
grants the highest netorch role in it. Keys are fetched on demand and cached; an unknown ``kid``
triggers one refetch (key rotation).
"""

from __future__ import annotations

from typing import Any

import jwt
from jwt.types import Options

from netorch.api.security.principal import Principal
from netorch.api.security.tokens import InvalidToken
from netorch.model.api_access import Role

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
              "EdDSA"]


def role_from_claims(claims: dict[str, Any], claim: str) -> Role | None:
    """The netorch role a token's ``claim`` grants (highest of a list), or ``None``."""
    value: Any = claims
    for part in claim.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    candidates = value if isinstance(value, list) else [value]
    roles = [Role(v) for v in candidates if isinstance(v, str) and v in Role.__members__.values()]
    return max(roles, key=lambda r: r.rank, default=None)


class JwksVerifier:
    """Checks JWTs of one external issuer."""

    def __init__(self, jwks_url: str, *, issuer: str | None, audience: str | None,
                 role_claim: str = "netorch_role") -> None:
        self.issuer = issuer
        self.audience = audience
        self.role_claim = role_claim
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=False, lifespan=300, timeout=5)

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; :class:`InvalidToken` otherwise. Blocking (it may
        fetch the JWKS): call it from a worker thread."""
        try:
            key = self._jwks.get_signing_key_from_jwt(token)
            options: Options = {"require": ["exp", "sub"],
                                "verify_aud": self.audience is not None,
                                "verify_iss": self.issuer is not None}
            claims = jwt.decode(token, key.key, algorithms=ALGORITHMS, audience=self.audience,
                                issuer=self.issuer, options=options, leeway=5)
        except (jwt.PyJWTError, jwt.PyJWKClientError) as exc:
            raise InvalidToken(f"invalid token: {exc}") from None
        role = role_from_claims(claims, self.role_claim)
        if role is None:
            raise InvalidToken(f"the token grants no netorch role (claim {self.role_claim!r})")
        subject = str(claims.get("client_id") or claims.get("azp") or claims["sub"])
        return Principal(client_id=subject, role=role, issuer=str(claims.get("iss", "external")))
