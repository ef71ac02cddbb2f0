"""Northbound API access: client roles, registered OAuth 2.0 clients, audit entries.

Roles are ordered (SOL013 §8 leaves authorisation policy to the implementation): ``reader`` may
read every resource, ``operator`` may also run LCM tasks and manage subscriptions, ``admin`` may
also manage packages and descriptors. A role allows everything a lower one allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    READER = "reader"
    OPERATOR = "operator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def allows(self, needed: Role) -> bool:
        """Whether a principal holding this role may do what ``needed`` guards."""
        return self.rank >= needed.rank


_RANK = {Role.READER: 0, Role.OPERATOR: 1, Role.ADMIN: 2}


@dataclass(frozen=True, slots=True)
class ApiClient:
    """An OAuth 2.0 client (RFC 6749 §2) registered with ``netorch api-client add``.

    The secret is never held here: the store keeps only its salted KDF hash.
    """

    client_id: str
    name: str
    role: Role
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One mutating API request: who (client id or token subject), what, when, and the result."""

    time: datetime
    principal: str
    method: str
    path: str
    status: int
    remote: str | None = None
    id: int | None = None
