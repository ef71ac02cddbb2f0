"""API clients and the audit log on a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from netorch.model.api_access import AuditEntry, Role
from netorch.model.errors import ConflictError, NotFoundError, ValidationFailed
from netorch.services.api_access import ApiClients, AuditLog
from netorch.store import Store


def test_clients_add_authenticate_list_remove(store: Store) -> None:
    clients = ApiClients(store)
    client, secret = clients.add("ops", "operator")
    assert client.role is Role.OPERATOR
    assert clients.authenticate(client.client_id, secret) == client
    assert clients.authenticate(client.client_id, secret + "x") is None
    assert clients.authenticate("unknown", secret) is None
    assert [c.name for c in clients.list()] == ["ops"]
    assert clients.get(client.client_id) == client
    with pytest.raises(ConflictError):
        clients.add("ops", "reader")
    with pytest.raises(ValidationFailed):
        clients.add("x", "root")
    with pytest.raises(ValidationFailed):
        clients.add("bad name", "reader")
    assert clients.remove(client.client_id).name == "ops"
    with pytest.raises(NotFoundError):
        clients.remove("ops")
    assert clients.authenticate(client.client_id, secret) is None


def test_audit_entries_newest_limited_oldest_first(store: Store) -> None:
    audit = AuditLog(store)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(5):
        audit.record(AuditEntry(time=t0 + timedelta(minutes=n), principal=f"c{n % 2}",
                                method="POST", path=f"/p/{n}", status=201,
                                remote="127.0.0.1:1"))
    assert [e.path for e in audit.entries(limit=3)] == ["/p/2", "/p/3", "/p/4"]
    assert [e.path for e in audit.entries(principal="c1")] == ["/p/1", "/p/3"]
    since = audit.entries(since=t0 + timedelta(minutes=3))
    assert [e.path for e in since] == ["/p/3", "/p/4"] and since[0].time.tzinfo is not None
