"""API clients and the audit log, as the CLI and the API use them (SOL013 §8, RFC 6749 §4.4).

A client is created with a random ``client_id`` and secret; the secret is shown once and stored
only as a salted scrypt hash (RFC 7914), compared in constant time. Authenticating an unknown
client still runs the KDF, so timing does not tell known ids from unknown ones.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
from datetime import UTC, datetime

from netorch.model.api_access import ApiClient, AuditEntry, Role
from netorch.model.errors import ValidationFailed
from netorch.store import Store
from netorch.store.api_security import ApiSecurityStore

log = logging.getLogger(__name__)
audit_log = logging.getLogger("netorch.audit")

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_secret(secret: str, *, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$hash``: a salted scrypt hash of ``secret`` (RFC 7914)."""
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P,
                            dklen=32)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_secret(secret: str, encoded: str) -> bool:
    """Whether ``secret`` matches ``encoded`` (from :func:`hash_secret`); constant-time."""
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        got = hashlib.scrypt(secret.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


_DUMMY_HASH = hash_secret("netorch-no-such-client", salt=b"\0" * 16)


class ApiClients:
    """Registered OAuth 2.0 clients (``netorch api-client add/list/remove``)."""

    def __init__(self, store: Store) -> None:
        self._db = ApiSecurityStore(store)

    def add(self, name: str, role: Role | str) -> tuple[ApiClient, str]:
        """Register a client; return it and its secret (the only time the secret is known)."""
        if not _NAME.match(name):
            raise ValidationFailed(
                f"invalid client name {name!r}: use letters, digits, '.', '_' or '-' "
                "(at most 128 characters, starting with a letter or digit)")
        try:
            role = Role(role)
        except ValueError:
            choices = ", ".join(r.value for r in Role)
            raise ValidationFailed(f"unknown role {role!r}; choose one of {choices}") from None
        secret = secrets.token_urlsafe(32)
        client = ApiClient(client_id=secrets.token_hex(16), name=name, role=role,
                           created_at=datetime.now(UTC))
        self._db.add_client(client, hash_secret(secret))
        log.info("API client %s added (id %s, role %s)", name, client.client_id, role.value)
        return client, secret

    def list(self) -> list[ApiClient]:
        return self._db.clients()

    def get(self, client_id: str) -> ApiClient | None:
        found = self._db.client_with_hash(client_id)
        return None if found is None else found[0]

    def remove(self, name_or_id: str) -> ApiClient:
        client = self._db.remove_client(name_or_id)
        log.info("API client %s removed (id %s)", client.name, client.client_id)
        return client

    def authenticate(self, client_id: str, secret: str) -> ApiClient | None:
        """The client when ``secret`` is its secret, else ``None`` (RFC 6749 §2.3.1)."""
        found = self._db.client_with_hash(client_id)
        if found is None:
            verify_secret(secret, _DUMMY_HASH)  # same work as for a known client
            return None
        client, encoded = found
        return client if verify_secret(secret, encoded) else None


class AuditLog:
    """The audit trail of mutating API requests: who, what, when, result."""

    def __init__(self, store: Store) -> None:
        self._db = ApiSecurityStore(store)

    def record(self, entry: AuditEntry) -> None:
        self._db.append_audit(entry)
        audit_log.info("%s %s %s -> %d", entry.principal, entry.method, entry.path,
                 entry.status)

    def entries(self, *, limit: int = 100, since: datetime | None = None,
                principal: str | None = None) -> list[AuditEntry]:
        return self._db.audit(limit=limit, since=since, principal=principal)
