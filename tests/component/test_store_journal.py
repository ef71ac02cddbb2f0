"""The store's journal: durable before it returns, group commit, crash (SIGKILL) safety."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from netorch.model.errors import ConflictError, TemporaryError
from netorch.model.operations import (
    OpOccurrence,
    OpState,
    OpType,
    StepOp,
    StepRecord,
    StepState,
)
from netorch.model.records import ServiceRecord
from netorch.model.resources import RecordState, ResourceKind, ResourceRecord
from netorch.store import Store

pytestmark = pytest.mark.timeout(60)

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
OP = "op-1"


def prepare(store: Store, name: str = "svc", op_id: str = OP) -> None:
    """A service with a running operation: what the journal writes under."""
    store.create_service(
        ServiceRecord(
            name,
            "/t.yaml",
            "h",
            "sim",
            "NOT_INSTANTIATED",
            {},
            {},
            None,
            {},
            None,
            {},
            None,
            T0,
            T0,
        )
    )
    store.begin_op(
        OpOccurrence(op_id, name, OpType.INSTANTIATE, OpState.PROCESSING, T0, T0),
        desired_before=None,
        desired_after=None,
        plan=None,
    )


def step(
    node: str, op: StepOp = StepOp.CREATE, state: StepState = StepState.STARTED, **kw: Any
) -> StepRecord:
    return StepRecord(
        OP, f"{op.value.lower()}:{node}", node, op, state, resource_key=f"key-{node}", **kw
    )


def resource(
    node: str, state: RecordState = RecordState.PENDING_CREATE, **kw: Any
) -> ResourceRecord:
    return ResourceRecord(
        "svc",
        node,
        f"key-{node}",
        ResourceKind.COMPUTE,
        "sim",
        state,
        "spec-1",
        node_type="tosca.nodes.Compute",
        spec={"properties": {"flavor": "m1.small"}},
        **kw,
    )


def test_journal_records_are_durable_before_the_call_returns(store_url: str, store: Store) -> None:
    prepare(store)

    async def scenario() -> None:
        journal = store.journal()
        try:
            await journal.step_started(step("vm"), resource("vm", depends_on=("net",)))
            with Store(store_url) as other:  # another process looking at the same database
                [seen] = other.resources("svc")
                assert seen.state is RecordState.PENDING_CREATE
                assert seen.vim_id is None
                assert seen.depends_on == ("net",)
                assert seen.spec == {"properties": {"flavor": "m1.small"}}
                [s] = other.steps(OP)
                assert s.state is StepState.STARTED and s.started_at is not None

            created = resource(
                "vm",
                RecordState.CREATED,
                vim_id="vim-7",
                attributes={"private_address": "10.0.0.5", "ports": [1, 2]},
            )
            await journal.step_finished(step("vm", state=StepState.COMPLETED), created)
            with Store(store_url) as other:
                [seen] = other.resources("svc")
                assert seen.state is RecordState.CREATED
                assert seen.vim_id == "vim-7"
                assert seen.attributes == {"private_address": "10.0.0.5", "ports": [1, 2]}
                [s] = other.steps(OP)
                assert s.state is StepState.COMPLETED
                assert s.ended_at is not None and s.started_at is not None
                assert s.started_at <= s.ended_at

            gone = replace(created, state=RecordState.PENDING_DELETE)
            await journal.step_started(step("vm", StepOp.DELETE), gone)
            assert store.resources("svc")[0].state is RecordState.PENDING_DELETE
            await journal.step_finished(
                step("vm", StepOp.DELETE, StepState.COMPLETED), remove_key="key-vm"
            )
            with Store(store_url) as other:
                assert other.resources("svc") == []
                assert [(s.step_id, s.state) for s in other.steps(OP)] == [
                    ("create:vm", StepState.COMPLETED),
                    ("delete:vm", StepState.COMPLETED),
                ]
        finally:
            await journal.close()

    asyncio.run(scenario())
    op = store.get_op(OP)
    assert op is not None and [s.step_id for s in op.steps] == ["create:vm", "delete:vm"]


def test_replacement_in_one_call_removes_before_it_inserts(store: Store) -> None:
    prepare(store)

    async def scenario() -> None:
        journal = store.journal()
        try:
            await journal.step_started(step("vm"), resource("vm", RecordState.CREATED))
            fresh = replace(resource("vm", RecordState.CREATED), key="key-vm-2", vim_id="v2")
            # Same (service, node_id), new key: only valid if the old row goes first.
            await journal.step_finished(
                step("vm", state=StepState.COMPLETED), fresh, remove_key="key-vm"
            )
        finally:
            await journal.close()

    asyncio.run(scenario())
    assert [(r.key, r.vim_id) for r in store.resources("svc")] == [("key-vm-2", "v2")]


def test_group_commit_200_concurrent_calls_lose_nothing(store: Store) -> None:
    prepare(store)
    nodes = [f"n{i:03d}" for i in range(200)]

    async def scenario() -> tuple[int, int]:
        journal = store.journal()
        try:
            await asyncio.gather(*(journal.step_started(step(n), resource(n)) for n in nodes))
            started_batches = journal.batches
            await asyncio.gather(
                *(
                    journal.step_finished(
                        step(n, state=StepState.COMPLETED),
                        resource(n, RecordState.CREATED, vim_id=f"v-{n}", attributes={"i": i}),
                    )
                    for i, n in enumerate(nodes)
                )
            )
            return started_batches, journal.batches
        finally:
            await journal.close()

    started_batches, total_batches = asyncio.run(scenario())
    records = store.resources("svc")
    assert [r.node_id for r in records] == nodes
    assert all(r.state is RecordState.CREATED for r in records)
    assert [(r.vim_id, r.attributes) for r in records] == [
        (f"v-{n}", {"i": i}) for i, n in enumerate(nodes)
    ]
    steps = store.steps(OP)
    assert len(steps) == 200
    assert all(s.state is StepState.COMPLETED and s.started_at and s.ended_at for s in steps)
    # Group commit: 400 calls were answered by far fewer transactions.
    assert started_batches < 100
    assert total_batches < 200


def test_a_bad_request_fails_alone_without_losing_its_batch(store: Store) -> None:
    prepare(store)

    async def scenario() -> list[BaseException | None]:
        journal = store.journal()
        try:
            calls = [journal.step_started(step(f"ok{i}"), resource(f"ok{i}")) for i in range(20)]
            orphan = replace(resource("bad"), service="no-such-service")
            calls.insert(10, journal.step_started(step("bad"), orphan))
            results = await asyncio.gather(*calls, return_exceptions=True)
            return [r if isinstance(r, BaseException) else None for r in results]
        finally:
            await journal.close()

    results = asyncio.run(scenario())
    assert isinstance(results[10], ConflictError)
    assert [r for i, r in enumerate(results) if i != 10] == [None] * 20
    assert sorted(r.node_id for r in store.resources("svc")) == sorted(f"ok{i}" for i in range(20))
    assert "create:bad" not in {s.step_id for s in store.steps(OP)}


def test_steps_skipped_and_resource_changed(store: Store) -> None:
    prepare(store)

    async def scenario() -> None:
        journal = store.journal()
        try:
            await journal.steps_skipped([step("a", state=StepState.PENDING), step("b")])
            await journal.steps_skipped([])
            await journal.resource_changed(resource("adopted", RecordState.CREATED, vim_id="x"))
            await journal.resource_changed(resource("dropped"))
            await journal.resource_changed(remove_key="key-dropped")
            with pytest.raises(ValueError, match="final step state"):
                await journal.step_finished(step("a"))
        finally:
            await journal.close()
        with pytest.raises(RuntimeError, match="closed"):
            await journal.step_started(step("c"), None)

    asyncio.run(scenario())
    assert [(s.node_id, s.state) for s in store.steps(OP)] == [
        ("a", StepState.SKIPPED),
        ("b", StepState.SKIPPED),
    ]
    assert all(s.ended_at is not None and s.started_at is None for s in store.steps(OP))
    assert [(r.node_id, r.vim_id) for r in store.resources("svc")] == [("adopted", "x")]


def test_retry_attempts_are_separate_step_rows(store: Store) -> None:
    prepare(store)

    async def scenario() -> None:
        journal = store.journal()
        try:
            await journal.step_started(step("vm"), resource("vm"))
            await journal.step_finished(step("vm", state=StepState.FAILED, error="quota"))
            await journal.step_started(step("vm", attempt=2), None)
            await journal.step_finished(step("vm", state=StepState.COMPLETED, attempt=2))
        finally:
            await journal.close()

    asyncio.run(scenario())
    assert [(s.attempt, s.state, s.error) for s in store.steps(OP)] == [
        (1, StepState.FAILED, "quota"),
        (2, StepState.COMPLETED, None),
    ]


def test_store_close_stops_its_journals(store_url: str) -> None:
    s = Store(store_url)
    s.migrate()
    prepare(s)
    journal = s.journal()
    asyncio.run(journal.step_started(step("vm"), resource("vm")))
    s.close()

    async def late() -> None:
        await journal.step_started(step("vm2"), None)

    with pytest.raises(RuntimeError, match="closed"):
        asyncio.run(late())


_CRASHING_WRITER = """
import asyncio, sys
from netorch.model.operations import StepOp, StepRecord, StepState
from netorch.model.resources import RecordState, ResourceKind, ResourceRecord
from netorch.store import Store

async def main(url):
    store = Store(url)
    journal = store.journal()
    await journal.step_started(
        StepRecord("op-1", "create:vm", "vm", StepOp.CREATE, StepState.STARTED,
                   resource_key="key-vm"),
        ResourceRecord("svc", "vm", "key-vm", ResourceKind.COMPUTE, "sim",
                       RecordState.PENDING_CREATE, "spec-1"),
    )
    sys.stdout.write("recorded\\n")
    sys.stdout.flush()
    await asyncio.sleep(60)  # "calling the VIM" when the process is killed

asyncio.run(main(sys.argv[1]))
"""


def test_sigkill_after_step_started_leaves_the_pending_create_durable(
    store_url: str, store: Store
) -> None:
    prepare(store)
    proc = subprocess.Popen(
        [sys.executable, "-c", _CRASHING_WRITER, store_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.strip() == "recorded", proc.stderr.read() if proc.stderr else ""
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with Store(store_url) as fresh:
        [rec] = fresh.resources("svc")
        assert (rec.key, rec.state) == ("key-vm", RecordState.PENDING_CREATE)
        [s] = fresh.steps(OP)
        assert s.state is StepState.STARTED
        assert [o.id for o in fresh.unfinished_ops()] == [OP]


def test_calls_fail_instead_of_hanging_when_the_database_is_unreachable() -> None:
    unreachable = Store("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")

    async def scenario() -> None:
        journal = unreachable.journal()
        try:
            with pytest.raises(TemporaryError, match="database unavailable"):
                await journal.step_started(step("vm"), resource("vm"))
        finally:
            await journal.close()

    try:
        asyncio.run(scenario())
    finally:
        unreachable.close()
