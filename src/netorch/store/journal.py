"""The apply journal: every step is recorded durably before and after it runs.

Crash safety rests on one rule: a resource row (``PENDING_CREATE`` / ``PENDING_DELETE``) is
committed *before* the VIM is asked to act, so after a crash the store always knows which keys
may exist in the VIM (kopf-style progress storage; SOL005 §6.4.x FAILED_TEMP recovery).

Writes go through ONE writer thread with group commit: callers enqueue a request and await a
future; the writer drains every queued request, applies them in one transaction, commits once
and then resolves all the futures. So each call returns only after its own data is committed,
while 64 parallel steps share one commit (one fsync on PostgreSQL) instead of queueing for 64.
The event loop never touches the database.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, func
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from netorch.model.errors import ConflictError, TemporaryError
from netorch.model.operations import StepRecord, StepState
from netorch.model.resources import ResourceRecord
from netorch.store.columns import utcnow
from netorch.store.connect import dialect_insert, writer
from netorch.store.rows import resource_values, step_values
from netorch.store.tables import resources, steps

log = logging.getLogger(__name__)

MAX_BATCH = 1024
"""Upper bound on requests applied in one transaction (keeps a transaction short)."""

_FINISHED_STATES = frozenset({StepState.COMPLETED, StepState.FAILED, StepState.SKIPPED})


@dataclass(slots=True)
class _Request:
    """One journal call: rows to write atomically, and how to tell the caller."""

    steps: list[StepRecord] = field(default_factory=list)
    upsert: ResourceRecord | None = None
    remove_key: str | None = None
    now: datetime = field(default_factory=utcnow)
    loop: asyncio.AbstractEventLoop | None = None
    future: asyncio.Future[None] | None = None
    stop: bool = False


class _Statements:
    """The hot-path statements, compiled once per engine (Core, executemany-friendly)."""

    def __init__(self, engine: Engine) -> None:
        ins = dialect_insert(engine, steps)
        self.upsert_step = ins.on_conflict_do_update(
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
        updatable = [c.name for c in resources.c if c.name not in ("key", "created_at")]
        self.upsert_resource = rins.on_conflict_do_update(
            index_elements=[resources.c.key],
            set_={name: rins.excluded[name] for name in updatable},
        )
        self.delete_resource = delete(resources).where(resources.c.key == bindparam("rkey"))


def _apply(conn: Connection, stmts: _Statements, batch: list[_Request]) -> None:
    """Write a batch in order-preserving groups: steps, then resource deletes / upserts."""
    step_rows = [step_values(s) for req in batch for s in req.steps]
    if step_rows:
        conn.execute(stmts.upsert_step, step_rows)
    # Resource operations keep their relative order; consecutive ones of the same kind are sent
    # together. Within one request the removal comes first so that a replacement for the same
    # node can take its place.
    kind: str | None = None
    rows: list[dict[str, Any]] = []
    for req in batch:
        for op_kind, row in _resource_ops(req):
            if op_kind != kind and rows:
                _flush(conn, stmts, kind, rows)
                rows = []
            kind = op_kind
            rows.append(row)
    if rows:
        _flush(conn, stmts, kind, rows)


def _resource_ops(req: _Request) -> Iterable[tuple[str, dict[str, Any]]]:
    if req.remove_key is not None:
        yield "delete", {"rkey": req.remove_key}
    if req.upsert is not None:
        yield "upsert", resource_values(req.upsert, req.now)


def _flush(conn: Connection, stmts: _Statements, kind: str | None, rows: list[dict[str, Any]]) -> None:
    if kind == "delete":
        conn.execute(stmts.delete_resource, rows)
    else:
        conn.execute(stmts.upsert_resource, rows)


def _translate(exc: Exception) -> Exception:
    if isinstance(exc, IntegrityError):
        return ConflictError(f"journal write rejected by the database: {exc.orig}")
    if isinstance(exc, OperationalError):
        return TemporaryError(f"journal write failed, database unavailable: {exc.orig}")
    if isinstance(exc, DBAPIError):
        return ConflictError(f"journal write failed: {exc.orig}")
    return exc


def _settle(outcomes: list[tuple[asyncio.Future[None], BaseException | None]]) -> None:
    """Runs on the caller's event loop: resolve the futures of one committed batch."""
    for fut, exc in outcomes:
        if fut.done():  # the caller was cancelled; its data is committed anyway
            continue
        if exc is None:
            fut.set_result(None)
        else:
            fut.set_exception(exc)


class StoreJournal:
    """Durable step journal over the store, with one writer thread and group commit.

    Implements the engine's ``Journal`` protocol structurally. Every method returns only after
    its data is committed. Create it with :meth:`netorch.store.Store.journal`.
    """

    def __init__(self, engine: Engine, *, on_close: Callable[[StoreJournal], None] | None = None) -> None:
        self._engine = writer(engine)
        self._stmts = _Statements(engine)
        self._queue: queue.SimpleQueue[_Request] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._on_close = on_close
        self.batches = 0
        """Transactions committed so far (how well group commit is batching)."""
        self.requests = 0

    # -- the Journal protocol ------------------------------------------------------------------

    async def step_started(self, step: StepRecord, resource: ResourceRecord | None) -> None:
        """Record that ``step`` started and, if given, the resource it is about to act on."""
        now = utcnow()
        started = replace(step, state=StepState.STARTED, started_at=step.started_at or now)
        await self._submit(_Request(steps=[started], upsert=resource, now=now))

    async def step_finished(
        self,
        step: StepRecord,
        resource: ResourceRecord | None = None,
        *,
        remove_key: str | None = None,
    ) -> None:
        """Record the outcome of ``step``; upsert ``resource`` and/or delete ``remove_key``.

        ``remove_key`` is deleted before ``resource`` is written, all in one transaction.
        """
        if step.state not in _FINISHED_STATES:
            raise ValueError(f"step_finished needs a final step state, got {step.state}")
        now = utcnow()
        ended = replace(step, ended_at=step.ended_at or now)
        await self._submit(_Request(steps=[ended], upsert=resource, remove_key=remove_key, now=now))

    async def steps_skipped(self, steps: list[StepRecord]) -> None:
        """Record steps that will not run (a dependency failed), in one transaction."""
        if not steps:
            return
        now = utcnow()
        rows = [replace(s, state=StepState.SKIPPED, ended_at=s.ended_at or now) for s in steps]
        await self._submit(_Request(steps=rows, now=now))

    async def close(self) -> None:
        """Wait for queued writes to commit, then stop the writer thread."""
        thread = self._begin_close()
        if thread is None:
            return
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        self._queue.put(_Request(stop=True, loop=loop, future=fut))
        await fut
        await asyncio.to_thread(thread.join)

    # -- lifecycle -----------------------------------------------------------------------------

    def close_sync(self) -> None:
        """Like :meth:`close`, for callers outside an event loop (``Store.close``)."""
        thread = self._begin_close()
        if thread is None:
            return
        self._queue.put(_Request(stop=True))
        thread.join()

    def _begin_close(self) -> threading.Thread | None:
        with self._lock:
            if self._closed:
                return None
            self._closed = True
            thread = self._thread
        if self._on_close is not None:
            self._on_close(self)
        return thread

    async def _submit(self, req: _Request) -> None:
        loop = asyncio.get_running_loop()
        req.loop = loop
        req.future = loop.create_future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the journal is closed")
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="netorch-journal-writer", daemon=True
                )
                self._thread.start()
            self._queue.put(req)
        await req.future

    # -- the writer thread ---------------------------------------------------------------------

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch = [self._queue.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stops = [r for r in batch if r.stop]
            work = [r for r in batch if not r.stop]
            stopping = bool(stops)
            outcomes = self._commit(work) if work else []
            outcomes.extend((r, None) for r in stops)
            self._notify(outcomes)
        log.debug("journal writer stopped after %d batches", self.batches)

    def _commit(self, work: list[_Request]) -> list[tuple[_Request, BaseException | None]]:
        try:
            with self._engine.begin() as conn:
                _apply(conn, self._stmts, work)
            self.batches += 1
            self.requests += len(work)
            return [(r, None) for r in work]
        except Exception as exc:
            if len(work) == 1:
                log.warning("journal write failed: %s", exc)
                return [(work[0], _translate(exc))]
            log.info("journal batch of %d failed (%s); retrying one by one", len(work), exc)
        outcomes: list[tuple[_Request, BaseException | None]] = []
        for req in work:
            outcomes.extend(self._commit([req]))
        return outcomes

    @staticmethod
    def _notify(outcomes: list[tuple[_Request, BaseException | None]]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[None], BaseException | None]]] = {}
        for req, exc in outcomes:
            if req.loop is None or req.future is None:
                continue
            by_loop.setdefault(req.loop, []).append((req.future, exc))
        for loop, items in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, items)
            except RuntimeError:  # the caller's loop is closed: nobody is waiting any more
                log.debug("journal caller loop closed before its write was acknowledged")
