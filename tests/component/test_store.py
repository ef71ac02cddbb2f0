"""The store against SQLite and PostgreSQL: schema, services, operations, templates, events."""

from __future__ import annotations

import itertools
import sqlite3
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from netorch.model.errors import ConflictError, NotFoundError
from netorch.model.operations import OpOccurrence, OpState, OpType
from netorch.model.records import ServiceRecord, TemplateRecord
from netorch.store import Store
from netorch.store.migrate import head_revision
from netorch.store.tables import metadata

pytestmark = pytest.mark.timeout(60)

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def service(name: str = "svc", **overrides: Any) -> ServiceRecord:
    values: dict[str, Any] = {
        "name": name,
        "template": "/srv/templates/chain.yaml",
        "template_hash": "sha256:abc",
        "vim": "sim",
        "status": "NOT_INSTANTIATED",
        "inputs": {"flavor": "m1.small"},
        "model": {"name": "chain", "nodes": []},
        "desired": None,
        "scale_levels": {},
        "instantiation_level": None,
        "generations": {},
        "active_op": None,
        "created_at": T0,
        "updated_at": T0,
    }
    values.update(overrides)
    return ServiceRecord(**values)


def op(op_id: str, svc: str = "svc", *, at: datetime = T0, **overrides: Any) -> OpOccurrence:
    values: dict[str, Any] = {
        "id": op_id,
        "service": svc,
        "type": OpType.INSTANTIATE,
        "state": OpState.PROCESSING,
        "start_time": at,
        "state_entered_time": at,
    }
    values.update(overrides)
    return OpOccurrence(**values)


def begin(store: Store, o: OpOccurrence) -> None:
    store.begin_op(o, desired_before=None, desired_after=None, plan=None)


# -- schema -----------------------------------------------------------------------------------


def test_migrate_is_idempotent_and_matches_the_table_definitions(store_url: str) -> None:
    with Store(store_url) as s:
        s.migrate()
        s.migrate()
    with Store(store_url) as again:
        again.migrate()
    engine = create_engine(store_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            assert ctx.get_current_heads() == (head_revision(),)
            assert compare_metadata(ctx, metadata) == []
    finally:
        engine.dispose()


def test_sqlite_store_creates_its_directory_and_runs_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "netorch.db"
    with Store(f"sqlite:///{path}") as s:
        s.migrate()
    assert path.is_file()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_sqlite_in_memory_is_refused() -> None:
    with pytest.raises(ValueError, match="in-memory"):
        Store("sqlite://")


def test_foreign_keys_are_enforced(store: Store) -> None:
    # A step of an unknown operation must be rejected on both backends (SQLite: PRAGMA on).
    import asyncio

    from netorch.model.operations import StepOp, StepRecord, StepState

    async def write() -> None:
        journal = store.journal()
        try:
            await journal.steps_skipped(
                [StepRecord("no-such-op", "s", "n", StepOp.CREATE, StepState.SKIPPED)]
            )
        finally:
            await journal.close()

    with pytest.raises(ConflictError):
        asyncio.run(write())


# -- services ---------------------------------------------------------------------------------


def test_service_create_get_list_update_delete(store: Store) -> None:
    store.create_service(service("b"))
    store.create_service(service("a", inputs={"n": 1}))
    with pytest.raises(ConflictError, match="already exists"):
        store.create_service(service("a"))

    assert [s.name for s in store.list_services()] == ["a", "b"]
    got = store.get_service("a")
    assert got == service("a", inputs={"n": 1})
    assert store.get_service("missing") is None

    updated = store.update_service(
        "a",
        status="INSTANTIATED",
        desired={"nodes": {"vm": {"type": "tosca.nodes.Compute"}}},
        scale_levels={"vdu": 2},
        generations={"vm": 3},
        instantiation_level="big",
    )
    assert updated.status == "INSTANTIATED"
    assert updated.desired == {"nodes": {"vm": {"type": "tosca.nodes.Compute"}}}
    assert updated.scale_levels == {"vdu": 2}
    assert updated.generations == {"vm": 3}
    assert updated.instantiation_level == "big"
    assert updated.created_at == T0
    assert updated.updated_at > T0
    assert store.get_service("a") == updated

    assert store.update_service("a", desired=None).desired is None
    with pytest.raises(ValueError, match="active_op"):
        store.update_service("a", active_op="x")
    with pytest.raises(NotFoundError):
        store.update_service("missing", status="INSTANTIATED")

    store.delete_service("b")
    assert store.get_service("b") is None
    with pytest.raises(NotFoundError):
        store.delete_service("b")


def test_delete_service_is_refused_while_busy_and_keeps_the_audit_trail(store: Store) -> None:
    store.create_service(service())
    begin(store, op("op-1"))
    store.add_event("instantiate started", service="svc", op_id="op-1")
    with pytest.raises(ConflictError, match="op-1"):
        store.delete_service("svc")
    store.set_op_state("op-1", OpState.COMPLETED)
    store.delete_service("svc")
    assert store.get_service("svc") is None
    assert store.get_op("op-1") is not None
    assert [e.message for e in store.events(service="svc")] == ["instantiate started"]


# -- operations -------------------------------------------------------------------------------


def test_begin_op_allows_one_operation_at_a_time(store: Store) -> None:
    store.create_service(service())
    begin(store, op("op-1"))
    assert store.get_service("svc").active_op == "op-1"  # type: ignore[union-attr]

    with pytest.raises(ConflictError) as busy:
        begin(store, op("op-2", type=OpType.SCALE))
    message = str(busy.value)
    assert "service svc is busy" in message
    assert "op-1 (INSTANTIATE) is PROCESSING since 2024-05-01T12:00:00+00:00" in message
    assert store.get_op("op-2") is None

    store.set_op_state("op-1", OpState.FAILED_TEMP, error="VIM timeout")
    with pytest.raises(ConflictError, match="is FAILED_TEMP since"):
        begin(store, op("op-2"))

    store.set_op_state("op-1", OpState.FAILED)
    assert store.get_service("svc").active_op is None  # type: ignore[union-attr]
    begin(store, op("op-2", type=OpType.TERMINATE))
    assert store.get_service("svc").active_op == "op-2"  # type: ignore[union-attr]


def test_begin_op_errors(store: Store) -> None:
    with pytest.raises(NotFoundError):
        begin(store, op("op-1", svc="nobody"))
    store.create_service(service("s1"))
    store.create_service(service("s2"))
    begin(store, op("op-1", svc="s1"))
    store.set_op_state("op-1", OpState.COMPLETED)
    with pytest.raises(ConflictError, match="already used"):
        begin(store, op("op-1", svc="s2"))
    assert store.get_service("s2").active_op is None  # type: ignore[union-attr]


def test_two_threads_racing_begin_op_exactly_one_wins(store_url: str, store: Store) -> None:
    store.create_service(service())
    other = Store(store_url)  # a second Store: as if another process
    try:
        for round_ in range(8):
            barrier = threading.Barrier(2)
            outcome: dict[str, str] = {}

            def race(
                s: Store, op_id: str, barrier: threading.Barrier, outcome: dict[str, str]
            ) -> None:
                barrier.wait()
                try:
                    begin(s, op(op_id))
                    outcome[op_id] = "won"
                except ConflictError:
                    outcome[op_id] = "busy"

            ids = (f"r{round_}-a", f"r{round_}-b")
            threads = [
                threading.Thread(target=race, args=(s, i, barrier, outcome))
                for s, i in zip((store, other), ids, strict=True)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            assert sorted(outcome.values()) == ["busy", "won"], outcome
            winner = next(i for i, v in outcome.items() if v == "won")
            loser = next(i for i, v in outcome.items() if v == "busy")
            assert store.get_service("svc").active_op == winner  # type: ignore[union-attr]
            assert store.get_op(loser) is None
            store.set_op_state(winner, OpState.COMPLETED)
    finally:
        other.close()


def test_set_op_state_times_errors_and_release(store: Store) -> None:
    store.create_service(service())
    begin(store, op("op-1"))

    failed = store.set_op_state(
        "op-1", OpState.FAILED_TEMP, error="boom", owner_pid=4242, owner_host="h1"
    )
    assert failed.state is OpState.FAILED_TEMP
    assert failed.end_time is None
    assert failed.state_entered_time > T0
    assert failed.state_entered_time.tzinfo is not None
    assert failed.error == "boom"
    assert (failed.owner_pid, failed.owner_host) == (4242, "h1")
    assert store.get_service("svc").active_op == "op-1"  # type: ignore[union-attr]

    rolling = store.set_op_state("op-1", OpState.ROLLING_BACK, owner_pid=5151)
    assert rolling.error == "boom"  # SOL005: the error stays after FAILED_TEMP
    assert (rolling.owner_pid, rolling.owner_host) == (5151, "h1")
    assert rolling.state_entered_time >= failed.state_entered_time

    same = store.set_op_state("op-1", OpState.ROLLING_BACK)
    assert same.state_entered_time == rolling.state_entered_time

    done = store.set_op_state("op-1", OpState.ROLLED_BACK)
    assert done.end_time is not None
    assert done.end_time == done.state_entered_time
    assert store.get_service("svc").active_op is None  # type: ignore[union-attr]
    assert store.unfinished_ops() == []

    with pytest.raises(ConflictError, match="final"):
        store.set_op_state("op-1", OpState.PROCESSING)
    assert store.set_op_state("op-1", OpState.ROLLED_BACK).end_time == done.end_time
    with pytest.raises(NotFoundError):
        store.set_op_state("missing", OpState.FAILED)


def test_list_ops_unfinished_ops_and_payload(store: Store) -> None:
    store.create_service(service("s1"))
    store.create_service(service("s2"))
    begin(store, op("a", svc="s1", at=T0))
    store.set_op_state("a", OpState.COMPLETED)
    begin(store, op("b", svc="s1", at=T0 + timedelta(minutes=1), type=OpType.SCALE))
    store.begin_op(
        op("c", svc="s2", at=T0 + timedelta(minutes=2), params={"scale": {"vdu": [1, 2]}}),
        desired_before={"nodes": {}},
        desired_after={"nodes": {"vm": {"props": {"n": [1, {"x": None}]}}}},
        plan=None,
    )

    assert [o.id for o in store.list_ops()] == ["c", "b", "a"]
    assert [o.id for o in store.list_ops("s1")] == ["b", "a"]
    assert [o.id for o in store.list_ops(limit=1)] == ["c"]
    assert [o.id for o in store.unfinished_ops()] == ["b", "c"]
    assert store.get_op("c").params == {"scale": {"vdu": [1, 2]}}  # type: ignore[union-attr]

    assert store.op_payload("c") == {
        "desired_before": {"nodes": {}},
        "desired_after": {"nodes": {"vm": {"props": {"n": [1, {"x": None}]}}}},
        "plan": None,
    }
    plan = {"actions": [{"node": "vm", "action": "CREATE", "after": []}], "waves": [["vm"]]}
    store.set_op_plan("c", plan)
    assert store.op_payload("c")["plan"] == plan
    with pytest.raises(NotFoundError):
        store.op_payload("missing")
    with pytest.raises(NotFoundError):
        store.set_op_plan("missing", plan)


# -- templates, events, JSON, time ------------------------------------------------------------


def test_put_template_is_idempotent_on_content_hash(store: Store) -> None:
    first = TemplateRecord(
        "sha256:1",
        "chain",
        "/t/chain.yaml",
        "tosca_simple_yaml_1_3",
        "template",
        {"nodes": {"vm": {"type": "Compute"}}},
        T0,
    )
    assert store.put_template(first) == first
    again = TemplateRecord(
        "sha256:1",
        "renamed",
        "/t/other.yaml",
        "tosca_simple_yaml_1_3",
        "template",
        {},
        T0 + timedelta(hours=1),
    )
    assert store.put_template(again) == first
    other = TemplateRecord(
        "sha256:2",
        "vnf",
        "/p/vnf",
        "tosca_simple_yaml_1_3",
        "vnf-package",
        {"vnfd": True},
        T0 + timedelta(hours=2),
    )
    store.put_template(other)
    assert store.list_templates() == [first, other]
    assert store.get_template("sha256:2") == other
    assert store.get_template("sha256:3") is None


def test_events_are_returned_in_order_with_filters_and_limit(store: Store) -> None:
    for i in range(5):
        store.add_event(f"e{i}", service="s1" if i % 2 == 0 else "s2", op_id=f"op{i % 2}")
    store.add_event("global warning", level="warning")

    everything = store.events()
    assert [e.message for e in everything] == ["e0", "e1", "e2", "e3", "e4", "global warning"]
    assert [e.id for e in everything] == sorted(e.id for e in everything)
    assert all(a.time <= b.time for a, b in itertools.pairwise(everything))
    assert everything[-1].level == "warning" and everything[-1].service is None
    assert [e.message for e in store.events(service="s1")] == ["e0", "e2", "e4"]
    assert [e.message for e in store.events(op_id="op1")] == ["e1", "e3"]
    assert [e.message for e in store.events(limit=2)] == ["e4", "global warning"]
    assert [e.message for e in store.events(service="s1", op_id="op0", limit=2)] == ["e2", "e4"]


def test_nested_json_round_trips(store: Store) -> None:
    model = {
        "nodes": {
            "vm": {
                "properties": {"mem": 2.5, "tags": ["a", "ü", "日本"], "flag": True, "none": None},
                "requirements": [{"link": {"node": "net", "props": {"cidr": "10.0.0.0/24"}}}],
            }
        },
        "depth": {"a": {"b": {"c": {"d": [[1, 2], [3, [4, {"e": 5}]]]}}}},
    }
    store.create_service(service(model=model, inputs={"x": [1, "two", 3.0]}, desired=model))
    got = store.get_service("svc")
    assert got is not None
    assert got.model == model
    assert got.desired == model
    assert got.inputs == {"x": [1, "two", 3.0]}


def test_timestamps_come_back_as_aware_utc(store: Store) -> None:
    plus_two = timezone(timedelta(hours=2))
    created = datetime(2024, 5, 1, 14, 0, 0, 123456, tzinfo=plus_two)
    store.create_service(service(created_at=created, updated_at=datetime(2024, 5, 1, 12, 30)))
    got = store.get_service("svc")
    assert got is not None
    assert got.created_at == datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
    assert got.created_at.utcoffset() == timedelta(0)
    assert got.updated_at == datetime(2024, 5, 1, 12, 30, tzinfo=UTC)  # naive is taken as UTC


def test_concurrent_first_migrations_do_not_collide(store_url: str) -> None:
    stores = [Store(store_url) for _ in range(4)]
    barrier = threading.Barrier(len(stores))
    errors: list[BaseException] = []

    def migrate(s: Store) -> None:
        barrier.wait()
        try:
            s.migrate()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=migrate, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    try:
        assert errors == []
        stores[0].create_service(service())
        assert [s.name for s in stores[-1].list_services()] == ["svc"]
    finally:
        for s in stores:
            s.close()


def test_fast_path_head_matches_the_migration_scripts() -> None:
    from netorch.store.migrate import HEAD

    assert head_revision() == HEAD
