"""Engine construction: one place that knows the SQLite / PostgreSQL differences.

SQLite runs in WAL mode (readers never block the writer and vice versa), ``synchronous=NORMAL``
(a commit survives a crash of the process; WAL is synced at checkpoints), a 30 s busy timeout
and foreign keys on. Transactions that will write begin with ``BEGIN IMMEDIATE`` so that two
writers queue on the busy timeout instead of failing when a read lock cannot be upgraded.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.sql.schema import Table

log = logging.getLogger(__name__)

BUSY_TIMEOUT_S = 30.0
WRITE_OPTION = "netorch_write"
"""Execution option marking a transaction that will write (``BEGIN IMMEDIATE`` on SQLite)."""


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create the engine for ``url``; for a SQLite file, create its parent directory."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file::memory:"):
            raise ValueError(
                "an in-memory SQLite database cannot be shared by the store's connections; "
                "use a file, e.g. sqlite:///./netorch.db"
            )
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            parsed,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_S},
        )
        _configure_sqlite(engine)
        return engine
    if backend != "postgresql":
        log.warning("untested database backend %r; SQLite and PostgreSQL are supported", backend)
    return create_engine(parsed, echo=echo, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy (not the sqlite3 module) decide where transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
            _enable_wal(cur)
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def _enable_wal(cur: sqlite3.Cursor) -> None:
    """Switch the database file to WAL (persistent: done once per file, not per connection).

    The switch needs the database to itself and SQLite reports "database is locked" at once,
    without waiting on the busy timeout, when another connection is using it (e.g. several
    processes opening a new database together), so it is retried here.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    delay = 0.005
    while True:
        if str(cur.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
            return
        try:
            cur.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)


def writer(engine: Engine) -> Engine:
    """The same engine (same pool), marked so its transactions begin as writers."""
    return engine.execution_options(**{WRITE_OPTION: True})


def dialect_insert(engine: Engine, table: Table) -> sqlite.Insert | postgresql.Insert:
    """An ``INSERT`` that supports ``ON CONFLICT`` on both SQLite (>= 3.24) and PostgreSQL."""
    if engine.dialect.name == "sqlite":
        return sqlite.insert(table)
    return postgresql.insert(table)
