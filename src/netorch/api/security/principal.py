"""Who is calling: the authenticated principal of one API request."""

from __future__ import annotations

from dataclasses import dataclass

from netorch.model.api_access import Role


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated API caller: its client id (or the external token's subject), its role,
    and the token issuer that vouched for it (``netorch`` for netorch's own tokens)."""

    client_id: str
    role: Role
    issuer: str = "netorch"

    def allows(self, needed: Role) -> bool:
        return self.role.allows(needed)


ANONYMOUS_ADMIN = Principal(client_id="anonymous", role=Role.ADMIN, issuer="auth-off")
"""The principal of every request when authentication is switched off (NETORCH_API_AUTH=off)."""
