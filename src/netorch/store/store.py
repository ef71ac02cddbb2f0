"""The store: templates, service instances, operation occurrences, resources, events.

One class over SQLAlchemy Core, the same code on SQLite (default) and PostgreSQL. Every write
is one transaction; "one operation at a time per service" is a compare-and-set on
``services.active_op`` (SOL005 §6.4.x: a new LCM operation is refused with 409 Conflict while
another one on the same NS instance is not in a final state).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from netorch.model.errors import ConflictError, NotFoundError
from netorch.model.operations import OpOccurrence, OpState, StepRecord
from netorch.model.records import EventRecord, ServiceRecord, TemplateRecord
from netorch.model.resources import ResourceRecord
from netorch.store.columns import utcnow
from netorch.store.connect import dialect_insert, make_engine, writer
from netorch.store.journal import StoreJournal
from netorch.store.migrate import upgrade_to_head
from netorch.store.rows import (
    SERVICE_MUTABLE_FIELDS,
    event_from_row,
    op_from_row,
    op_values,
    resource_from_row,
    service_from_row,
    service_values,
    step_from_row,
    template_from_row,
    template_values,
)
from netorch.store.tables import events, operations, resources, services, steps, templates

log = logging.getLogger(__name__)

_TEMPLATE_COLUMNS = tuple(c for c in templates.c if c.name != "content")
"""Every template column but the content, which only :meth:`Store.template_content` reads."""

_JSON_DICT_FIELDS = frozenset({"inputs", "model", "scale_levels", "generations"})


class Store:
    """Persistent state of netorch. Thread-safe; methods are synchronous.

    ``url`` is a SQLAlchemy URL, ``sqlite:///path.db`` or ``postgresql+psycopg://…``.
    Call :meth:`migrate` once before use (cheap when the schema is current).
    """

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self._engine = make_engine(url, echo=echo)
        self._writer = writer(self._engine)
        self._journals: list[StoreJournal] = []

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def migrate(self) -> None:
        """Upgrade the schema to the newest revision (Alembic ``upgrade head``). Idempotent."""
        upgrade_to_head(self._engine)

    def close(self) -> None:
        """Stop the journals made by this store (committing what they hold), release connections."""
        for journal in list(self._journals):
            journal.close_sync()
        self._engine.dispose()

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, for the store's sibling modules (outbox, API tables)."""
        return self._engine

    def journal(self) -> StoreJournal:
        """A new journal writing to this store; close it (``await journal.close()``) when done."""
        j = StoreJournal(self._engine, on_close=self._journals.remove)
        self._journals.append(j)
        return j

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._writer.begin() as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._engine.connect() as conn:
            yield conn

    # -- templates / packages (SOL005 §5 NSD management, SOL004 packages) ----------------------

    def put_template(self, rec: TemplateRecord) -> TemplateRecord:
        """Store ``rec`` unless its ``content_hash`` is known; return the stored record."""
        stmt = dialect_insert(self._engine, templates).values(template_values(rec))
        with self._write() as conn:
            conn.execute(stmt.on_conflict_do_nothing(index_elements=[templates.c.content_hash]))
            row = (
                conn.execute(
                    select(*_TEMPLATE_COLUMNS).where(templates.c.content_hash == rec.content_hash)
                )
                .mappings()
                .one()
            )
        return template_from_row(row)

    def put_package(self, rec: TemplateRecord, content: bytes) -> tuple[TemplateRecord, bool]:
        """Onboard ``rec`` with its ``content``; return the stored record and whether this call
        stored the content.

        Idempotent on ``content_hash``: when the content is already onboarded the stored record
        is returned unchanged (``False``). A record without content (one written by a deployment
        from a path) takes this record's fields, time and content (``True``).
        """
        values = {**template_values(rec), "content": content, "content_size": len(content)}
        stmt = dialect_insert(self._engine, templates).values(values)
        key = templates.c.content_hash == rec.content_hash
        with self._write() as conn:
            # RETURNING, not rowcount: psycopg reports -1 for INSERT … ON CONFLICT DO NOTHING.
            inserted = conn.execute(
                stmt.on_conflict_do_nothing(index_elements=[templates.c.content_hash])
                .returning(templates.c.content_hash)
            ).first()
            stored = inserted is not None
            if not stored:
                completed = conn.execute(
                    update(templates)
                    .where(key, templates.c.content_format.is_(None))
                    .values({k: v for k, v in values.items()
                             if k != "content_hash"})
                    .returning(templates.c.content_hash)
                ).first()
                stored = completed is not None
            row = conn.execute(select(*_TEMPLATE_COLUMNS).where(key)).mappings().one()
        return template_from_row(row), stored

    def get_template(self, content_hash: str) -> TemplateRecord | None:
        with self._read() as conn:
            row = (
                conn.execute(
                    select(*_TEMPLATE_COLUMNS).where(templates.c.content_hash == content_hash)
                )
                .mappings()
                .first()
            )
        return None if row is None else template_from_row(row)

    def find_templates(self, prefix: str, *, limit: int = 10) -> list[TemplateRecord]:
        """Templates whose ``content_hash`` starts with ``prefix`` (at most ``limit``)."""
        with self._read() as conn:
            rows = conn.execute(
                select(*_TEMPLATE_COLUMNS)
                .where(templates.c.content_hash.startswith(prefix, autoescape=True))
                .order_by(templates.c.content_hash)
                .limit(limit)
            ).mappings()
            return [template_from_row(r) for r in rows]

    def list_templates(self) -> list[TemplateRecord]:
        with self._read() as conn:
            rows = conn.execute(
                select(*_TEMPLATE_COLUMNS).order_by(templates.c.created_at, templates.c.name)
            ).mappings()
            return [template_from_row(r) for r in rows]

    def template_content(self, content_hash: str) -> bytes | None:
        """The onboarded content of a template; ``None`` when it holds none.

        :class:`NotFoundError` when no template has that hash."""
        with self._read() as conn:
            row = conn.execute(
                select(templates.c.content).where(templates.c.content_hash == content_hash)
            ).first()
        if row is None:
            raise NotFoundError(f"no template with content hash {content_hash!r}")
        return None if row.content is None else bytes(row.content)

    def template_usage(self) -> dict[str, list[str]]:
        """``content_hash`` -> names of the services created from (or updated to) it."""
        with self._read() as conn:
            rows = conn.execute(
                select(services.c.template_hash, services.c.name).order_by(services.c.name)
            )
            usage: dict[str, list[str]] = {}
            for template_hash, name in rows:
                usage.setdefault(template_hash, []).append(name)
        return usage

    def delete_template(self, content_hash: str) -> None:
        """Delete a template and its content (SOL005 DELETE vnf_packages/{id}, ns_descriptors/{id}).

        Refused (:class:`ConflictError`) while a service record refers to it by
        ``template_hash``; :class:`NotFoundError` when there is no such template.
        """
        key = templates.c.content_hash == content_hash
        with self._write() as conn:
            if conn.execute(select(templates.c.content_hash).where(key)).first() is None:
                raise NotFoundError(f"no template with content hash {content_hash!r}")
            users = list(
                conn.execute(
                    select(services.c.name)
                    .where(services.c.template_hash == content_hash)
                    .order_by(services.c.name)
                ).scalars()
            )
            if users:
                shown = ", ".join(users[:5]) + (f" and {len(users) - 5} more"
                                                 if len(users) > 5 else "")
                raise ConflictError(
                    f"template {content_hash[:12]} is used by {len(users)} service(s): {shown}; "
                    "delete those services first"
                )
            conn.execute(delete(templates).where(key))

    # -- service instances (SOL005 §6.5.2.10 NsInstance) ----------------------------------------

    def create_service(self, rec: ServiceRecord) -> None:
        """Insert a new service; :class:`ConflictError` if the name is taken."""
        try:
            with self._write() as conn:
                exists = conn.execute(
                    select(services.c.name).where(services.c.name == rec.name)
                ).first()
                if exists is not None:
                    raise ConflictError(f"service {rec.name!r} already exists")
                conn.execute(insert(services).values(service_values(rec)))
        except IntegrityError as exc:  # lost a race with another process
            raise ConflictError(f"service {rec.name!r} already exists") from exc

    def get_service(self, name: str) -> ServiceRecord | None:
        with self._read() as conn:
            row = conn.execute(select(services).where(services.c.name == name)).mappings().first()
        return None if row is None else service_from_row(row)

    def list_services(self) -> list[ServiceRecord]:
        with self._read() as conn:
            rows = conn.execute(select(services).order_by(services.c.name)).mappings()
            return [service_from_row(r) for r in rows]

    def update_service(self, name: str, **fields: Any) -> ServiceRecord:
        """Change some of a service's mutable fields; bumps ``updated_at``.

        ``active_op`` is not among them: it moves only with :meth:`begin_op` /
        :meth:`set_op_state`.
        """
        unknown = set(fields) - SERVICE_MUTABLE_FIELDS
        if unknown:
            raise ValueError(
                f"cannot update service field(s) {sorted(unknown)}; "
                f"mutable fields are {sorted(SERVICE_MUTABLE_FIELDS)}"
            )
        values: dict[str, Any] = {}
        for key, value in fields.items():
            if key in _JSON_DICT_FIELDS or (key == "desired" and value is not None):
                values[key] = dict(value)
            elif key == "status":
                values[key] = str(value)
            else:
                values[key] = value
        values["updated_at"] = utcnow()
        with self._write() as conn:
            result = conn.execute(update(services).where(services.c.name == name).values(values))
            if result.rowcount != 1:
                raise NotFoundError(f"no service named {name!r}")
            row = conn.execute(select(services).where(services.c.name == name)).mappings().one()
        return service_from_row(row)

    def delete_service(self, name: str) -> None:
        """Delete a service record. Its operations and events stay, for audit.

        Refused (:class:`ConflictError`) while an operation holds the service or while any
        resource record remains: those resources may still exist in the VIM.
        """
        with self._write() as conn:
            row = conn.execute(select(services.c.active_op).where(services.c.name == name)).first()
            if row is None:
                raise NotFoundError(f"no service named {name!r}")
            if row.active_op is not None:
                raise ConflictError(
                    f"service {name!r} cannot be deleted: operation {row.active_op} is running"
                )
            count = conn.execute(
                select(func.count()).select_from(resources).where(resources.c.service == name)
            ).scalar_one()
            if count:
                raise ConflictError(
                    f"service {name!r} cannot be deleted: {count} resource record(s) remain; "
                    "terminate it first"
                )
            conn.execute(delete(services).where(services.c.name == name))

    # -- operation occurrences (SOL005 §6.5.2.3 NsLcmOpOcc) -------------------------------------

    def begin_op(
        self,
        op: OpOccurrence,
        *,
        desired_before: dict[str, Any] | None,
        desired_after: dict[str, Any] | None,
        plan: dict[str, Any] | None,
    ) -> None:
        """Record a new operation and make it the service's active one, atomically.

        :class:`ConflictError` if another operation already holds the service (or ``op.id`` is
        taken); :class:`NotFoundError` if the service does not exist.
        """
        values = op_values(op) | {
            "desired_before": desired_before,
            "desired_after": desired_after,
            "plan": plan,
        }
        try:
            with self._write() as conn:
                claimed = conn.execute(
                    update(services)
                    .where(services.c.name == op.service, services.c.active_op.is_(None))
                    .values(active_op=op.id)
                )
                if claimed.rowcount == 1:
                    conn.execute(insert(operations).values(values))
                    return
                holder = conn.execute(
                    select(services.c.active_op).where(services.c.name == op.service)
                ).first()
        except IntegrityError as exc:
            raise ConflictError(f"operation id {op.id!r} is already used") from exc
        if holder is None:
            raise NotFoundError(f"no service named {op.service!r}")
        raise ConflictError(self._busy_message(op.service, holder.active_op))

    def _busy_message(self, service: str, active_id: str) -> str:
        active = self.get_op(active_id, with_steps=False)
        if active is None:
            what = f"operation {active_id}"
        else:
            what = (
                f"operation {active.id} ({active.type}) is {active.state} "
                f"since {active.state_entered_time.isoformat()}"
            )
        return (
            f"service {service} is busy: {what}; wait for it to finish or, if it is stuck "
            "(FAILED_TEMP or its process died), retry, roll back or fail it first"
        )

    def get_op(self, op_id: str, *, with_steps: bool = True) -> OpOccurrence | None:
        """The operation with its steps (in the order they were recorded)."""
        with self._read() as conn:
            row = (
                conn.execute(select(operations).where(operations.c.id == op_id)).mappings().first()
            )
            if row is None:
                return None
            step_recs = self._steps(conn, op_id) if with_steps else ()
        return op_from_row(row, tuple(step_recs))

    def op_payload(self, op_id: str) -> dict[str, Any]:
        """``{"desired_before", "desired_after", "plan"}`` recorded with the operation."""
        with self._read() as conn:
            row = (
                conn.execute(
                    select(
                        operations.c.desired_before, operations.c.desired_after, operations.c.plan
                    ).where(operations.c.id == op_id)
                )
                .mappings()
                .first()
            )
        if row is None:
            raise NotFoundError(f"no operation {op_id!r}")
        return dict(row)

    def set_op_plan(self, op_id: str, plan: dict[str, Any]) -> None:
        with self._write() as conn:
            result = conn.execute(
                update(operations).where(operations.c.id == op_id).values(plan=plan)
            )
            if result.rowcount != 1:
                raise NotFoundError(f"no operation {op_id!r}")

    def list_ops(self, service: str | None = None, *, limit: int = 100) -> list[OpOccurrence]:
        """Newest first; ``steps`` is left empty (use :meth:`get_op`)."""
        query = select(operations).order_by(operations.c.start_time.desc(), operations.c.id.desc())
        if service is not None:
            query = query.where(operations.c.service == service)
        with self._read() as conn:
            rows = conn.execute(query.limit(limit)).mappings()
            return [op_from_row(r) for r in rows]

    def set_op_state(
        self,
        op_id: str,
        state: OpState,
        *,
        error: str | None = None,
        owner_pid: int | None = None,
        owner_host: str | None = None,
    ) -> OpOccurrence:
        """Move an operation to ``state`` (SOL005 §6.4.x state machine).

        ``state_entered_time`` is set when the state changes; ``end_time`` is set iff the state
        is final, and a final state also releases the service (``active_op``) in the same
        transaction. A final operation cannot change state again (:class:`ConflictError`).
        ``error`` / ``owner_*`` left ``None`` keep their previous value.
        """
        now = utcnow()
        with self._write() as conn:
            row = conn.execute(
                select(operations.c.service, operations.c.state)
                .where(operations.c.id == op_id)
                .with_for_update()
            ).first()
            if row is None:
                raise NotFoundError(f"no operation {op_id!r}")
            current = OpState(row.state)
            if current.final and current != state:
                raise ConflictError(
                    f"operation {op_id} is already {current}, a final state; "
                    f"it cannot become {state}"
                )
            values: dict[str, Any] = {}
            if current != state:
                values |= {
                    "state": str(state),
                    "state_entered_time": now,
                    "end_time": now if state.final else None,
                }
            if error is not None:
                values["error"] = error
            if owner_pid is not None:
                values["owner_pid"] = owner_pid
            if owner_host is not None:
                values["owner_host"] = owner_host
            if values:
                conn.execute(update(operations).where(operations.c.id == op_id).values(values))
            if state.final:
                conn.execute(
                    update(services)
                    .where(services.c.name == row.service, services.c.active_op == op_id)
                    .values(active_op=None)
                )
        op = self.get_op(op_id)
        assert op is not None
        return op

    def unfinished_ops(self) -> list[OpOccurrence]:
        """Operations not in a final state (to resume or resolve after a crash), oldest first."""
        final = [str(s) for s in OpState if s.final]
        with self._read() as conn:
            rows = conn.execute(
                select(operations)
                .where(operations.c.state.not_in(final))
                .order_by(operations.c.start_time, operations.c.id)
            ).mappings()
            return [op_from_row(r) for r in rows]

    @staticmethod
    def _steps(conn: Connection, op_id: str) -> list[StepRecord]:
        rows = conn.execute(
            select(steps).where(steps.c.op_id == op_id).order_by(steps.c.seq)
        ).mappings()
        return [step_from_row(r) for r in rows]

    def steps(self, op_id: str) -> list[StepRecord]:
        with self._read() as conn:
            return self._steps(conn, op_id)

    # -- resources (written by the journal) ----------------------------------------------------

    def resources(self, service: str) -> list[ResourceRecord]:
        with self._read() as conn:
            rows = conn.execute(
                select(resources)
                .where(resources.c.service == service)
                .order_by(resources.c.node_id)
            ).mappings()
            return [resource_from_row(r) for r in rows]

    def all_resources(self) -> list[ResourceRecord]:
        with self._read() as conn:
            rows = conn.execute(
                select(resources).order_by(resources.c.service, resources.c.node_id)
            ).mappings()
            return [resource_from_row(r) for r in rows]

    def set_resource_health(self, service: str, node_id: str, healthy: bool) -> None:
        with self._write() as conn:
            result = conn.execute(
                update(resources)
                .where(resources.c.service == service, resources.c.node_id == node_id)
                .values(healthy=healthy, updated_at=utcnow())
            )
            if result.rowcount != 1:
                raise NotFoundError(f"no resource {node_id!r} in service {service!r}")

    # -- events (append-only log) --------------------------------------------------------------

    def add_event(
        self,
        message: str,
        *,
        level: str = "info",
        service: str | None = None,
        op_id: str | None = None,
    ) -> None:
        with self._write() as conn:
            conn.execute(
                insert(events).values(
                    time=utcnow(), service=service, op_id=op_id, level=str(level), message=message
                )
            )

    def events(
        self, *, service: str | None = None, op_id: str | None = None, limit: int = 200
    ) -> list[EventRecord]:
        """The newest ``limit`` matching events, in the order they happened (oldest first)."""
        query = select(events).order_by(events.c.id.desc()).limit(limit)
        if service is not None:
            query = query.where(events.c.service == service)
        if op_id is not None:
            query = query.where(events.c.op_id == op_id)
        with self._read() as conn:
            rows = list(conn.execute(query).mappings())
        return [event_from_row(r) for r in reversed(rows)]
