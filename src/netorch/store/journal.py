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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from netorch.model.errors import ConflictError, TemporaryError
from netorch.model.operations import StepRecord, StepState
from netorch.model.resources import ResourceRecord
from netorch.store.columns import utcnow
from netorch.store.connect import writer
from netorch.store.journal_sql import JournalSql, Params

log = logging.getLogger(__name__)

MAX_BATCH = 1024
"""Upper bound on requests applied in one transaction (keeps a transaction short)."""

_FINISHED_STATES = frozenset({StepState.COMPLETED, StepState.FAILED, StepState.SKIPPED})


@dataclass(slots=True)
class _Request:
    """One journal call, its rows already prepared by the caller, and how to answer it."""

    step_rows: list[Params]
    resource_ops: list[tuple[str, Params]]
    """``(sql, params)`` for resource deletes / upserts, in the order they must apply."""
    loop: asyncio.AbstractEventLoop | None
    future: asyncio.Future[None] | None
    stop: bool = False
    build: Callable[[], tuple[list[Params], list[tuple[str, Params]]]] | None = None
    """Prepares ``step_rows`` / ``resource_ops`` on the writer thread (JSON encoding and row
    building stay off the caller's event loop)."""


def _apply(conn: Connection, sql: JournalSql, batch: list[_Request]) -> None:
    """Write a batch: all step rows, then the resource operations in their original order.

    Steps and resources are independent tables, so all step rows go in one ``executemany``;
    consecutive resource operations with the same statement are sent together.
    """
    step_rows = [row for req in batch for row in req.step_rows]
    if step_rows:
        sql.run(conn, sql.upsert_step, step_rows)
    current = ""
    rows: list[Params] = []
    for req in batch:
        for stmt, params in req.resource_ops:
            if stmt != current and rows:
                sql.run(conn, current, rows)
                rows = []
            current = stmt
            rows.append(params)
    if rows:
        sql.run(conn, current, rows)


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

    Implements the engine's ``Journal`` protocol (``netorch.engine.journal``) structurally.
    Every method returns only after its data is committed. Create it with
    :meth:`netorch.store.Store.journal`.
    """

    def __init__(
        self, engine: Engine, *, on_close: Callable[[StoreJournal], None] | None = None
    ) -> None:
        self._engine = writer(engine)
        self._sql = JournalSql(engine)
        self._queue: queue.SimpleQueue[_Request] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._conn: Connection | None = None
        """Used by the writer thread only."""
        self._lock = threading.Lock()
        self._closed = False
        self._on_close = on_close
        self.batches = 0
        """Transactions committed so far (how well group commit is batching)."""
        self.requests = 0

    # -- the Journal protocol ------------------------------------------------------------------

    async def step_started(self, step: StepRecord, resource: ResourceRecord | None) -> None:
        """Record that ``step`` started and, if given, the resource it is about to act on.

        The step is written as ``STARTED`` (``started_at`` defaults to now); ``resource`` is
        upserted by key, e.g. ``PENDING_CREATE`` before a VIM create.
        """
        now = utcnow()
        sql = self._sql

        def build() -> tuple[list[Params], list[tuple[str, Params]]]:
            ops = ([] if resource is None
                   else [(sql.upsert_resource, sql.resource_params(resource, now))])
            return [sql.step_params(step, state=StepState.STARTED, started_at=now)], ops

        await self._submit([], [], build)

    async def step_finished(
        self,
        step: StepRecord,
        resource: ResourceRecord | None = None,
        *,
        remove_key: str | None = None,
    ) -> None:
        """Record the outcome of ``step``; upsert ``resource`` and/or delete ``remove_key``.

        ``step.state`` must be COMPLETED, FAILED or SKIPPED (``ended_at`` defaults to now).
        ``remove_key`` is deleted before ``resource`` is written, all in one transaction.
        """
        if step.state not in _FINISHED_STATES:
            raise ValueError(f"step_finished needs a final step state, got {step.state}")
        now = utcnow()

        def build() -> tuple[list[Params], list[tuple[str, Params]]]:
            return ([self._sql.step_params(step, ended_at=now)],
                    self._resource_ops(resource, remove_key, now))

        await self._submit([], [], build)

    async def steps_skipped(self, steps: list[StepRecord]) -> None:
        """Record steps that will not run (e.g. a dependency failed), in one transaction."""
        if not steps:
            return
        now = utcnow()
        rows = [self._sql.step_params(s, state=StepState.SKIPPED, ended_at=now) for s in steps]
        await self._submit(rows, [])

    async def resource_changed(
        self, resource: ResourceRecord | None = None, *, remove_key: str | None = None
    ) -> None:
        """Record a resource outside any step (crash recovery adopting or dropping a record).

        ``remove_key`` is deleted before ``resource`` is written, in one transaction.
        """
        await self._submit([], self._resource_ops(resource, remove_key, utcnow()))

    async def close(self) -> None:
        """Wait for queued writes to commit, then stop the writer thread."""
        thread = self._begin_close()
        if thread is None:
            return
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        self._queue.put(_Request([], [], loop, fut, stop=True))
        await fut
        await asyncio.to_thread(thread.join)

    # -- lifecycle -----------------------------------------------------------------------------

    def close_sync(self) -> None:
        """Like :meth:`close`, for callers outside an event loop (``Store.close``)."""
        thread = self._begin_close()
        if thread is None:
            return
        self._queue.put(_Request([], [], None, None, stop=True))
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

    def _resource_ops(
        self, resource: ResourceRecord | None, remove_key: str | None, now: datetime
    ) -> list[tuple[str, Params]]:
        sql = self._sql
        ops: list[tuple[str, Params]] = []
        if remove_key is not None:
            ops.append((sql.delete_resource, sql.delete_params(remove_key)))
        if resource is not None:
            ops.append((sql.upsert_resource, sql.resource_params(resource, now)))
        return ops

    async def _submit(
        self, step_rows: list[Params], resource_ops: list[tuple[str, Params]],
        build: Callable[[], tuple[list[Params], list[tuple[str, Params]]]] | None = None,
    ) -> None:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the journal is closed")
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="netorch-journal-writer", daemon=True
                )
                self._thread.start()
            self._queue.put(_Request(step_rows, resource_ops, loop, future, build=build))
        await future

    # -- the writer thread ---------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._loop()
        finally:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
        log.debug("journal writer stopped after %d batches", self.batches)

    def _loop(self) -> None:
        stopping = False
        while not stopping:
            batch = [self._queue.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stops = [r for r in batch if r.stop]
            work: list[_Request] = []
            outcomes: list[tuple[_Request, BaseException | None]] = []
            for r in batch:
                if r.stop:
                    continue
                if r.build is not None:
                    try:
                        r.step_rows, r.resource_ops = r.build()
                    except Exception as exc:  # a bad record fails its own caller only
                        outcomes.append((r, exc))
                        continue
                    r.build = None
                work.append(r)
            stopping = bool(stops)
            if work:
                outcomes.extend(self._commit(work))
            outcomes.extend((r, None) for r in stops)
            self._notify(outcomes)

    def _connection(self) -> Connection:
        """The writer's own connection, kept for its whole life (reconnects after a failure)."""
        if self._conn is None or self._conn.closed:
            self._conn = self._engine.connect()
        return self._conn

    def _commit(self, work: list[_Request]) -> list[tuple[_Request, BaseException | None]]:
        """Apply ``work`` in one transaction; if that fails, each request in its own."""
        try:
            conn = self._connection()
            with conn.begin():
                _apply(conn, self._sql, work)
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
        by_loop: dict[
            asyncio.AbstractEventLoop, list[tuple[asyncio.Future[None], BaseException | None]]
        ] = {}
        for req, exc in outcomes:
            if req.loop is None or req.future is None:
                continue
            by_loop.setdefault(req.loop, []).append((req.future, exc))
        for loop, items in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, items)
            except RuntimeError:  # the caller's loop is closed: nobody is waiting any more
                log.debug("journal caller loop closed before its write was acknowledged")
