"""The journal's hot-path writes: Core statements compiled once, parameters prepared directly.

Going through SQLAlchemy's per-row bind processing costs more CPU than the database itself
spends on these small upserts, and with 64 parallel steps that CPU is paid under the GIL on
every step's critical path. So the statements are built with Core (``INSERT … ON CONFLICT DO
UPDATE``, the same on SQLite >= 3.24 and PostgreSQL), compiled once for the engine's dialect,
and run with ``executemany`` on parameters prepared here in exactly the form the column types
produce: UTC timestamps (SQLite: the ``DATETIME`` text SQLAlchemy reads back; PostgreSQL:
aware datetimes for ``timestamptz``), JSON as text, enums as their values.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, func
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

from netorch.model.operations import StepRecord, StepState
from netorch.model.resources import ResourceRecord
from netorch.store.connect import dialect_insert
from netorch.store.tables import resources, steps

Params = tuple[Any, ...] | dict[str, Any]

STEP_COLUMNS = (
    "op_id",
    "step_id",
    "phase",
    "attempt",
    "node_id",
    "op",
    "state",
    "resource_key",
    "error",
    "started_at",
    "ended_at",
)
RESOURCE_COLUMNS = (
    "key",
    "service",
    "node_id",
    "kind",
    "vim",
    "state",
    "spec_hash",
    "node_type",
    "vim_id",
    "healthy",
    "depends_on",
    "attributes",
    "spec",
    "created_at",
    "updated_at",
)
_encode = json.JSONEncoder(separators=(",", ":")).encode


def _json(value: Any, empty: str) -> str:
    return _encode(value) if value else empty


def _sqlite_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        value = value.replace(tzinfo=None)
    return value.isoformat(" ", "microseconds")


def _pg_time(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class JournalSql:
    """The three statements the journal runs and their ``executemany`` parameters."""

    def __init__(self, engine: Engine) -> None:
        self._sqlite = engine.dialect.name == "sqlite"
        ins = dialect_insert(engine, steps)
        upsert_step = ins.on_conflict_do_update(
            index_elements=[steps.c.op_id, steps.c.step_id, steps.c.phase, steps.c.attempt],
            set_={
                "node_id": ins.excluded.node_id,
                "op": ins.excluded.op,
                "state": ins.excluded.state,
                "resource_key": func.coalesce(ins.excluded.resource_key, steps.c.resource_key),
                "error": ins.excluded.error,
                "started_at": func.coalesce(ins.excluded.started_at, steps.c.started_at),
                "ended_at": ins.excluded.ended_at,
            },
        )
        rins = dialect_insert(engine, resources)
        upsert_resource = rins.on_conflict_do_update(
            index_elements=[resources.c.key],
            set_={
                name: rins.excluded[name]
                for name in RESOURCE_COLUMNS
                if name not in ("key", "created_at")
            },
        )
        delete_resource = delete(resources).where(resources.c.key == bindparam("key"))

        self.upsert_step, self._step_named = _compile(engine, upsert_step, STEP_COLUMNS)
        self.upsert_resource, self._resource_named = _compile(
            engine, upsert_resource, RESOURCE_COLUMNS
        )
        self.delete_resource, self._delete_named = _compile(engine, delete_resource, ("key",))

    def _time(self, value: datetime | None) -> Any:
        return _sqlite_time(value) if self._sqlite else _pg_time(value)

    def step_params(
        self,
        step: StepRecord,
        *,
        state: StepState | None = None,
        started_at: datetime | None = None,
        ended_at: datetime | None = None,
    ) -> Params:
        """Row for ``step``; ``state`` / times override the record's (times only if it has none)."""
        row = (
            step.op_id,
            step.step_id,
            step.phase,
            step.attempt,
            step.node_id,
            str(step.op),
            str(state if state is not None else step.state),
            step.resource_key,
            step.error,
            self._time(step.started_at or started_at),
            self._time(step.ended_at or ended_at),
        )
        return dict(zip(STEP_COLUMNS, row, strict=True)) if self._step_named else row

    def resource_params(self, rec: ResourceRecord, now: datetime) -> Params:
        stamp = self._time(now)
        row = (
            rec.key,
            rec.service,
            rec.node_id,
            str(rec.kind),
            rec.vim,
            str(rec.state),
            rec.spec_hash,
            rec.node_type,
            rec.vim_id,
            bool(rec.healthy),
            _json(list(rec.depends_on), "[]"),
            _json(dict(rec.attributes), "{}"),
            _json(dict(rec.spec), "{}"),
            stamp,
            stamp,
        )
        return dict(zip(RESOURCE_COLUMNS, row, strict=True)) if self._resource_named else row

    def delete_params(self, key: str) -> Params:
        return {"key": key} if self._delete_named else (key,)

    @staticmethod
    def run(conn: Connection, sql: str, rows: list[Params]) -> None:
        conn.exec_driver_sql(sql, rows)


def _compile(engine: Engine, stmt: ClauseElement, keys: Sequence[str]) -> tuple[str, bool]:
    """Compile ``stmt``; return its SQL and whether it takes named parameters.

    Positional parameters must come in ``keys`` order; anything else is a programming error.
    """
    compiled = stmt.compile(dialect=engine.dialect, column_keys=list(keys))
    if not isinstance(compiled, SQLCompiler):  # pragma: no cover - DML always is
        raise TypeError(f"unexpected compiler {type(compiled).__name__}")
    if compiled.positiontup is None:
        return compiled.string, True
    if tuple(compiled.positiontup) != tuple(keys):
        raise RuntimeError(f"unexpected parameter order {compiled.positiontup} for {keys}")
    return compiled.string, False
