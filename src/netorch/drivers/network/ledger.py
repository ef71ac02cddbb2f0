"""What netorch has configured on which device, by resource key: the network driver's memory.

Write-ahead, like the engine's journal: the configuration a transaction is about to apply is
recorded (``pending``) before any device hears of it, and becomes ``applied`` only after every
device confirmed it. So after a crash, or when an operator terminates a service, netorch removes
exactly the entries it added (``applied`` plus whatever was ``pending``) and nothing else, and
``list`` reports every device configuration netorch owns, for orphan checks.

One SQLite file (WAL); the store of the service records stays the source of truth for services,
this ledger only for device-side effects.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from netorch.model.network import DeviceIntent, merge_names

_SCHEMA_DEVICES = """
CREATE TABLE IF NOT EXISTS adopted_device (
    key TEXT PRIMARY KEY,
    attributes TEXT NOT NULL,
    updated_at TEXT NOT NULL
)
"""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS device_config (
    key TEXT PRIMARY KEY,
    service TEXT NOT NULL,
    node_id TEXT NOT NULL,
    applied TEXT NOT NULL,
    pending TEXT,
    updated_at TEXT NOT NULL
)
"""


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    key: str
    service: str
    node_id: str
    applied: dict[str, DeviceIntent]
    """Device node id -> the (qualified) intent confirmed on it."""
    pending: dict[str, DeviceIntent] | None
    """What a transaction in flight (or interrupted) was applying."""

    def owned(self) -> dict[str, DeviceIntent]:
        """Everything that may be on the devices because of this key: applied and pending
        entries, merged by name."""
        out = dict(self.applied)
        for device, intent in (self.pending or {}).items():
            out[device] = merge_names(intent, out.get(device))
        return out


def _dump(intents: dict[str, DeviceIntent] | None) -> str | None:
    if intents is None:
        return None
    return json.dumps({d: i.to_dict() for d, i in sorted(intents.items())}, sort_keys=True)


def _load(text: str | None) -> dict[str, DeviceIntent] | None:
    if text is None:
        return None
    return {d: DeviceIntent.from_dict(i) for d, i in json.loads(text).items()}


class Ledger:
    """Thread-safe; every write is committed (fsync'd by SQLite) before it returns."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute(_SCHEMA)
        self._conn.execute(_SCHEMA_DEVICES)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def get(self, key: str) -> LedgerEntry | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT key, service, node_id, applied, pending FROM device_config "
                "WHERE key = ?", (key,)).fetchone()
        return None if row is None else self._entry(row)

    @staticmethod
    def _entry(row: tuple[str, str, str, str, str | None]) -> LedgerEntry:
        return LedgerEntry(key=row[0], service=row[1], node_id=row[2],
                           applied=_load(row[3]) or {}, pending=_load(row[4]))

    def entries(self) -> list[LedgerEntry]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT key, service, node_id, applied, pending FROM device_config "
                "ORDER BY service, key").fetchall()
        return [self._entry(r) for r in rows]

    def begin(self, key: str, service: str, node_id: str,
              pending: dict[str, DeviceIntent]) -> None:
        """Record what is about to be applied (before any device is touched)."""
        now = datetime.now(UTC).isoformat()
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO device_config (key, service, node_id, applied, pending, updated_at)"
                " VALUES (?, ?, ?, '{}', ?, ?) ON CONFLICT(key) DO UPDATE SET "
                "pending = excluded.pending, updated_at = excluded.updated_at",
                (key, service, node_id, _dump(pending), now))

    def settle(self, key: str, applied: dict[str, DeviceIntent]) -> None:
        """The transaction ended; ``applied`` is what is now on the devices."""
        now = datetime.now(UTC).isoformat()
        with self._tx() as conn:
            conn.execute("UPDATE device_config SET applied = ?, pending = NULL, updated_at = ? "
                         "WHERE key = ?", (_dump(applied), now, key))

    def remove(self, key: str) -> None:
        with self._tx() as conn:
            conn.execute("DELETE FROM device_config WHERE key = ?", (key,))

    # -- adopted devices: what netorch saw when it adopted them (capabilities, inventory) ------
    def remember_device(self, key: str, attributes: dict[str, object]) -> None:
        now = datetime.now(UTC).isoformat()
        with self._tx() as conn:
            conn.execute("INSERT INTO adopted_device (key, attributes, updated_at) "
                         "VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
                         "attributes = excluded.attributes, updated_at = excluded.updated_at",
                         (key, json.dumps(attributes, sort_keys=True, default=str), now))

    def device(self, key: str) -> dict[str, object] | None:
        with self._lock:
            row = self._conn.execute("SELECT attributes FROM adopted_device WHERE key = ?",
                                     (key,)).fetchone()
        if row is None:
            return None
        data = json.loads(row[0])
        return data if isinstance(data, dict) else {}

    def forget_device(self, key: str) -> None:
        with self._tx() as conn:
            conn.execute("DELETE FROM adopted_device WHERE key = ?", (key,))

    def close(self) -> None:
        with self._lock:
            self._conn.close()
