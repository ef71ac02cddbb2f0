"""Journaled, parallel apply of a :class:`~netorch.planner.Plan`.

The plan's steps form a DAG. ``apply`` starts every step whose dependencies are done, up to
``parallelism`` at a time, as soon as they become ready (no wave barriers, so the makespan
tracks the critical path). Each step is journaled before and after its driver call.

Failure semantics (SOL005 §6.4.x / SPEC-NOTES §2, kopf's TemporaryError/PermanentError):

* a :class:`TemporaryError` or a timeout is retried with exponential backoff and jitter, up to
  ``max_attempts`` calls; a :class:`PermanentError` (or any unexpected exception) fails the step
  at once;
* when a step fails, every step that depends on it, transitively, is journaled SKIPPED and never
  started; independent branches run to completion;
* the caller turns "any failure" into the operation state FAILED_TEMP, from where the operator
  retries, rolls back or fails it.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TypeVar

from netorch.engine.attributes import resolve
from netorch.engine.drivers import DriverSet, ResourceDriver, updatable
from netorch.engine.journal import Journal
from netorch.model.errors import PermanentError, TemporaryError
from netorch.model.operations import StepOp, StepRecord, StepState
from netorch.model.resources import (
    CreateRequest,
    RecordState,
    ResourceKind,
    ResourceRecord,
    ResourceRef,
    ResourceState,
    ResourceStatus,
)
from netorch.planner import Plan, Step

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class EngineConfig:
    parallelism: int = 16
    step_timeout_s: float = 120.0
    """Timeout of one driver call; a timed-out call counts as a temporary failure."""
    max_attempts: int = 4
    backoff_initial_s: float = 0.2
    backoff_max_s: float = 5.0


@dataclass(frozen=True, slots=True)
class StepEvent:
    """Progress callback payload: ``state`` is STARTED, COMPLETED, FAILED or SKIPPED."""

    step: Step
    state: StepState
    error: str | None = None
    attempt: int = 1


@dataclass(slots=True)
class ApplyResult:
    completed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped

    def first_error(self) -> str | None:
        for step_id, err in self.failed.items():
            return f"{step_id}: {err}"
        return None


class _Slots:
    """A counting semaphore that wakes the waiter with the highest priority first.

    It bounds concurrent *driver calls* (the VIM's parallelism), not steps: journal writes and
    backoff sleeps happen outside a slot, so a slot is never held while nothing talks to the VIM.
    """

    def __init__(self, size: int) -> None:
        self.free = max(1, size)
        self.waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self.seq = 0

    async def acquire(self, priority: int) -> None:
        if self.free > 0 and not self.waiters:
            self.free -= 1
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.seq += 1
        heapq.heappush(self.waiters, (-priority, self.seq, fut))
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self.release()  # the slot was handed over just as we were cancelled
            raise

    def release(self) -> None:
        while self.waiters:
            _, _, fut = heapq.heappop(self.waiters)
            if not fut.done():
                fut.set_result(None)
                return
        self.free += 1


def _heights(plan: Plan) -> dict[str, int]:
    """Per step: driver calls on the longest chain from it to the end (itself included).

    Starting the steps with the most work below them first is critical-path list scheduling;
    it keeps the tail of a large apply short.
    """
    dependents: dict[str, list[str]] = {s.id: [] for s in plan.steps}
    for s in plan.steps:
        for d in s.depends_on:
            if d in dependents:
                dependents[d].append(s.id)
    heights: dict[str, int] = {}
    for s in reversed(plan.steps):  # plan steps are in topological order
        below = max((heights[d] for d in dependents[s.id]), default=0)
        heights[s.id] = below + (0 if s.kind is ResourceKind.SOFTWARE else 1)
    return heights


class _StepFailed(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class _Run:
    plan: Plan
    service: str
    op_id: str
    phase: str
    attempt: int
    drivers: DriverSet
    journal: Journal
    config: EngineConfig
    records: dict[str, ResourceRecord]
    vim_names: Callable[[ResourceRecord | None, Step], str]
    on_event: Callable[[StepEvent], None] | None
    slots: _Slots
    heights: dict[str, int]
    result: ApplyResult = field(default_factory=ApplyResult)

    def emit(self, step: Step, state: StepState, error: str | None = None) -> None:
        if self.on_event is not None:
            try:
                self.on_event(StepEvent(step, state, error, self.attempt))
            except Exception:  # a display bug must never break an operation
                log.exception("progress callback failed")

    def step_record(self, step: Step, state: StepState, *, key: str | None = None,
                    error: str | None = None, started: datetime | None = None) -> StepRecord:
        return StepRecord(
            op_id=self.op_id, step_id=step.id, node_id=step.node_id, op=step.op, state=state,
            phase=self.phase, attempt=self.attempt, resource_key=key, error=error,
            started_at=started, ended_at=None if state is StepState.STARTED else _now(),
        )

    async def call(self, what: str, fn: Callable[[], Awaitable[T]], priority: int = 0) -> T:
        """Run one driver call with the timeout and the retry policy, each attempt inside a
        parallelism slot."""
        cfg = self.config
        delay = cfg.backoff_initial_s
        for attempt in range(1, cfg.max_attempts + 1):
            try:
                await self.slots.acquire(priority)
                try:
                    async with asyncio.timeout(cfg.step_timeout_s):
                        return await fn()
                finally:
                    self.slots.release()
            except PermanentError as exc:
                raise _StepFailed(f"{what}: {exc}") from exc
            except (TemporaryError, TimeoutError) as exc:
                reason = str(exc) or f"timed out after {cfg.step_timeout_s:g}s"
                if attempt == cfg.max_attempts:
                    raise _StepFailed(
                        f"{what}: {reason} (gave up after {attempt} attempts)"
                    ) from exc
                hint = exc.delay if isinstance(exc, TemporaryError) else None
                wait = min(cfg.backoff_max_s, hint if hint is not None else delay)
                wait *= 0.5 + random.random()  # jitter, so parallel retries do not align
                log.info("%s: temporary failure (%s); retry %d in %.2fs", what, reason,
                         attempt, wait)
                await asyncio.sleep(wait)
                delay = min(cfg.backoff_max_s, delay * 2)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a driver bug is a permanent failure of this step
                log.debug("unexpected driver error", exc_info=True)
                raise _StepFailed(f"{what}: unexpected {type(exc).__name__}: {exc}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def links(self, step: Step) -> dict[str, ResourceRef]:
        refs: dict[str, ResourceRef] = {}
        for node_id in step.links:
            rec = self.records.get(node_id)
            if rec is not None and rec.state is RecordState.CREATED:
                refs[node_id] = ResourceRef(key=rec.key, kind=rec.kind, vim_id=rec.vim_id)
        return refs

    async def run_step(self, step: Step) -> None:
        if step.op is StepOp.CREATE:
            await self.create(step)
        elif step.op is StepOp.DELETE:
            await self.delete(step)
        else:
            await self.update(step)

    async def create(self, step: Step) -> None:
        node = step.node
        if node is None:
            raise _StepFailed(f"create {step.node_id}: the plan carries no desired node")
        driver = self.drivers.for_kind(step.kind)
        key = uuid.uuid4().hex
        started = _now()
        record = ResourceRecord(
            service=self.service, node_id=step.node_id, key=key, kind=step.kind,
            vim=self.vim_names(None, step), state=RecordState.PENDING_CREATE,
            spec_hash=node.spec_hash(), node_type=node.type, depends_on=tuple(step.links),
            spec=node.to_dict(),
        )
        # Write-ahead: the key is durable before the VIM hears of it.
        await self.journal.step_started(
            self.step_record(step, StepState.STARTED, key=key, started=started), record)
        self.emit(step, StepState.STARTED)
        req = CreateRequest(
            key=key, kind=step.kind, name=f"{self.service}-{step.node_id}",
            service=self.service, node_id=step.node_id, node_type=node.type,
            properties=resolve(dict(node.properties), me=step.node_id, records=self.records),
            capabilities=node.capabilities, links=self.links(step),
            placement=node.placement,
        )
        try:
            state = await self.call(f"create {step.node_id}", lambda: driver.create(req),
                                    self.heights.get(step.id, 0))
        except _StepFailed as failure:
            await self.create_failed(step, driver, record, failure.message, started)
            raise
        done = replace(
            record, state=RecordState.CREATED, vim_id=state.vim_id,
            attributes=dict(state.attributes), healthy=state.status is not ResourceStatus.ERROR,
        )
        await self.journal.step_finished(
            self.step_record(step, StepState.COMPLETED, key=key, started=started), done)
        self.records[step.node_id] = done

    async def create_failed(self, step: Step, driver: ResourceDriver, record: ResourceRecord,
                            message: str, started: datetime) -> None:
        """Keep the record if the VIM has something under the key (never orphan it)."""
        existing: ResourceState | None
        try:
            existing = await asyncio.wait_for(driver.read(record.ref),
                                              timeout=self.config.step_timeout_s)
            known = True
        except Exception:
            log.debug("read after failed create", exc_info=True)
            existing, known = None, False
        failed = self.step_record(step, StepState.FAILED, key=record.key, error=message,
                                  started=started)
        if existing is None and known:
            await self.journal.step_finished(failed, remove_key=record.key)
            self.records.pop(step.node_id, None)
        else:
            # It exists (or we cannot tell): keep tracking it so rollback/doctor see it.
            kept = replace(record, state=RecordState.FAILED, healthy=False,
                           vim_id=existing.vim_id if existing else None)
            await self.journal.step_finished(failed, kept)
            self.records[step.node_id] = kept

    async def delete(self, step: Step) -> None:
        record = self.records.get(step.node_id)
        started = _now()
        if record is None:
            # Nothing recorded: nothing to delete (already gone).
            await self.journal.step_started(
                self.step_record(step, StepState.STARTED, started=started), None)
            await self.journal.step_finished(
                self.step_record(step, StepState.COMPLETED, started=started))
            return
        driver = self.drivers.for_kind(record.kind)
        pending = replace(record, state=RecordState.PENDING_DELETE)
        await self.journal.step_started(
            self.step_record(step, StepState.STARTED, key=record.key, started=started), pending)
        self.records[step.node_id] = pending
        self.emit(step, StepState.STARTED)
        ref = ResourceRef(key=record.key, kind=record.kind, vim_id=record.vim_id)
        try:
            await self.call(f"delete {step.node_id}", lambda: driver.delete(ref),
                            self.heights.get(step.id, 0))
        except _StepFailed as failure:
            await self.journal.step_finished(self.step_record(
                step, StepState.FAILED, key=record.key, error=failure.message, started=started),
                pending)
            raise
        await self.journal.step_finished(
            self.step_record(step, StepState.COMPLETED, key=record.key, started=started),
            remove_key=record.key)
        self.records.pop(step.node_id, None)

    async def update(self, step: Step) -> None:
        """In-place update: a new recorded spec; drivers that configure something in place
        (network configuration) are called with the new request, keeping the key."""
        record = self.records.get(step.node_id)
        node = step.node
        started = _now()
        if record is None or node is None:
            raise _StepFailed(f"update {step.node_id}: nothing recorded to update")
        await self.journal.step_started(
            self.step_record(step, StepState.STARTED, key=record.key, started=started), None)
        self.emit(step, StepState.STARTED)
        attributes = dict(record.attributes)
        driver = updatable(self.drivers.for_kind(record.kind))
        if driver is not None:
            req = CreateRequest(
                key=record.key, kind=record.kind, name=f"{self.service}-{step.node_id}",
                service=self.service, node_id=step.node_id, node_type=node.type,
                properties=resolve(dict(node.properties), me=step.node_id,
                                   records=self.records),
                capabilities=node.capabilities, links=self.links(step),
                placement=node.placement,
            )
            ref = record.ref
            try:
                state = await self.call(f"update {step.node_id}",
                                        lambda: driver.update(ref, req),
                                        self.heights.get(step.id, 0))
            except _StepFailed as failure:
                await self.journal.step_finished(self.step_record(
                    step, StepState.FAILED, key=record.key, error=failure.message,
                    started=started), None)
                raise
            attributes = dict(state.attributes)
        updated = replace(record, spec_hash=node.spec_hash(), spec=node.to_dict(),
                          depends_on=tuple(step.links), node_type=node.type,
                          attributes=attributes)
        await self.journal.step_finished(
            self.step_record(step, StepState.COMPLETED, key=record.key, started=started),
            updated)
        self.records[step.node_id] = updated


async def apply(
    plan: Plan,
    *,
    service: str,
    op_id: str,
    drivers: DriverSet,
    journal: Journal,
    records: Mapping[str, ResourceRecord],
    vim_name: Callable[[ResourceRecord | None, Step], str],
    config: EngineConfig | None = None,
    phase: str = "apply",
    attempt: int = 1,
    on_event: Callable[[StepEvent], None] | None = None,
) -> ApplyResult:
    """Apply ``plan``; ``records`` is the store's view of the service's resources by node id."""
    cfg = config or EngineConfig()
    heights = _heights(plan)
    run = _Run(plan=plan, service=service, op_id=op_id, phase=phase, attempt=attempt,
               drivers=drivers, journal=journal, config=cfg, records=dict(records),
               vim_names=vim_name, on_event=on_event, slots=_Slots(cfg.parallelism),
               heights=heights)
    steps = {s.id: s for s in plan.steps}
    waiting: dict[str, int] = {}
    dependents: dict[str, list[str]] = {sid: [] for sid in steps}
    for s in plan.steps:
        deps = [d for d in s.depends_on if d in steps]
        waiting[s.id] = len(deps)
        for d in deps:
            dependents[d].append(s.id)

    # Ready steps, most work below them first. Up to 1.5 x ``parallelism`` steps run at once:
    # while ``parallelism`` of them talk to the VIM, the others write their journal entries
    # (measured in bench/engine.py: more tasks than that only add event-loop overhead).
    ready = [(-heights[sid], i, sid) for i, sid in enumerate(steps) if waiting[sid] == 0]
    heapq.heapify(ready)
    max_running = max(1, cfg.parallelism) + max(8, cfg.parallelism // 2)
    running: dict[asyncio.Task[None], str] = {}
    finished: list[asyncio.Task[None]] = []
    wake = asyncio.Event()
    blocked: set[str] = set()
    t0 = time.monotonic()

    async def guarded(step: Step) -> None:
        await run.run_step(step)
        run.emit(step, StepState.COMPLETED)

    def on_done(task: asyncio.Task[None]) -> None:
        finished.append(task)
        wake.set()

    def block(step_id: str) -> list[str]:
        out: list[str] = []
        stack = list(dependents[step_id])
        while stack:
            sid = stack.pop()
            if sid in blocked:
                continue
            blocked.add(sid)
            out.append(sid)
            stack.extend(dependents[sid])
        return out

    try:
        while ready or running:
            while ready and len(running) < max_running:
                sid = heapq.heappop(ready)[2]
                if sid in blocked:
                    continue
                task = asyncio.create_task(guarded(steps[sid]), name=sid)
                task.add_done_callback(on_done)
                running[task] = sid
            if not running:
                break
            # Completion callbacks fill ``finished``: O(1) per step, unlike asyncio.wait over
            # the whole running set at every completion.
            await wake.wait()
            wake.clear()
            done, finished[:] = list(finished), []
            newly_skipped: list[str] = []
            for task in done:
                sid = running.pop(task)
                exc = task.exception()
                if exc is None:
                    run.result.completed.append(sid)
                    for dep in dependents[sid]:
                        waiting[dep] -= 1
                        if waiting[dep] == 0 and dep not in blocked:
                            heapq.heappush(ready, (-heights[dep], len(ready), dep))
                    continue
                message = exc.message if isinstance(exc, _StepFailed) else (
                    f"{type(exc).__name__}: {exc}")
                if not isinstance(exc, _StepFailed):
                    log.error("step %s crashed", sid, exc_info=exc)
                    try:
                        await journal.step_finished(run.step_record(
                            steps[sid], StepState.FAILED, error=message))
                    except Exception:
                        log.exception("could not journal the failure of %s", sid)
                run.result.failed[sid] = message
                run.emit(steps[sid], StepState.FAILED, message)
                newly_skipped.extend(block(sid))
            if newly_skipped:
                run.result.skipped.extend(newly_skipped)
                await journal.steps_skipped([
                    run.step_record(steps[sk], StepState.SKIPPED,
                                    error="skipped: depends on a failed step")
                    for sk in newly_skipped
                ])
                for sk in newly_skipped:
                    run.emit(steps[sk], StepState.SKIPPED)
    except BaseException:
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
        raise
    log.info("applied %d steps of %s in %.3fs: %d ok, %d failed, %d skipped",
             len(steps), op_id, time.monotonic() - t0, len(run.result.completed),
             len(run.result.failed), len(run.result.skipped))
    return run.result
