"""Store side of the northbound API's security (SOL013 §8): OAuth 2.0 clients and the audit log.

Clients are keyed by their ``client_id`` (RFC 6749 §2.2) and unique by name; only the secret's
salted KDF hash is stored. The audit log is append-only: one row per mutating API request.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import RowMapping, delete, insert, or_, select
from sqlalchemy.exc import IntegrityError

from netorch.model.api_access import ApiClient, AuditEntry, Role
from netorch.model.errors import ConflictError, NotFoundError
from netorch.store.connect import writer
from netorch.store.store import Store
from netorch.store.tables import api_clients, audit_log


def _client(row: RowMapping) -> ApiClient:
    return ApiClient(client_id=row["client_id"], name=row["name"], role=Role(row["role"]),
                     created_at=row["created_at"])


class ApiSecurityStore:
    """API clients and audit rows in ``store``'s database. Thread-safe, synchronous."""

    def __init__(self, store: Store) -> None:
        self._engine = store.engine
        self._writer = writer(self._engine)

    # -- clients -------------------------------------------------------------------------------

    def add_client(self, client: ApiClient, secret_hash: str) -> ApiClient:
        """Insert ``client``; :class:`ConflictError` when its name (or id) is taken."""
        try:
            with self._writer.begin() as conn:
                conn.execute(insert(api_clients).values(
                    client_id=client.client_id, name=client.name, role=client.role.value,
                    secret_hash=secret_hash, created_at=client.created_at))
        except IntegrityError:
            raise ConflictError(f"an API client named {client.name!r} already exists") from None
        return client

    def clients(self) -> list[ApiClient]:
        cols = (api_clients.c.client_id, api_clients.c.name, api_clients.c.role,
                api_clients.c.created_at)
        with self._engine.connect() as conn:
            rows = conn.execute(select(*cols).order_by(api_clients.c.name)).mappings()
            return [_client(r) for r in rows]

    def client_with_hash(self, client_id: str) -> tuple[ApiClient, str] | None:
        """The client with ``client_id`` and its stored secret hash, or ``None``."""
        with self._engine.connect() as conn:
            row = conn.execute(
                select(api_clients).where(api_clients.c.client_id == client_id)
            ).mappings().first()
        return None if row is None else (_client(row), str(row["secret_hash"]))

    def remove_client(self, name_or_id: str) -> ApiClient:
        """Delete the client named ``name_or_id`` (or with that id); :class:`NotFoundError`."""
        match = or_(api_clients.c.name == name_or_id, api_clients.c.client_id == name_or_id)
        with self._writer.begin() as conn:
            row = conn.execute(select(api_clients).where(match)).mappings().first()
            if row is None:
                raise NotFoundError(f"no API client named {name_or_id!r}")
            conn.execute(delete(api_clients).where(api_clients.c.client_id == row["client_id"]))
        return _client(row)

    # -- audit log -----------------------------------------------------------------------------

    def append_audit(self, entry: AuditEntry) -> None:
        with self._writer.begin() as conn:
            conn.execute(insert(audit_log).values(
                time=entry.time, principal=entry.principal, method=entry.method,
                path=entry.path, status=entry.status, remote=entry.remote))

    def audit(self, *, limit: int = 100, since: datetime | None = None,
              principal: str | None = None) -> list[AuditEntry]:
        """The newest ``limit`` audit rows (optionally since a time, or of one principal),
        oldest first."""
        stmt = select(audit_log)
        if since is not None:
            stmt = stmt.where(audit_log.c.time >= since)
        if principal is not None:
            stmt = stmt.where(audit_log.c.principal == principal)
        stmt = stmt.order_by(audit_log.c.id.desc()).limit(limit)
        with self._engine.connect() as conn:
            rows = list(conn.execute(stmt).mappings())
        return [AuditEntry(time=r["time"], principal=r["principal"], method=r["method"],
                           path=r["path"], status=r["status"], remote=r["remote"], id=r["id"])
                for r in reversed(rows)]
