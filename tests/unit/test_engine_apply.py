"""Engine unit tests: an in-memory journal and an in-process driver (fast; the component tests
run the same engine against the real store and the sim VIM)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from netorch.engine.apply import ApplyResult, EngineConfig, StepEvent, apply
from netorch.engine.drivers import ResourceDriver
from netorch.engine.recovery import observe_health, settle_records
from netorch.model.errors import PermanentError, TemporaryError
from netorch.model.operations import StepRecord, StepState
from netorch.model.resources import (
    CreateRequest,
    RecordState,
    ResourceKind,
    ResourceRecord,
    ResourceRef,
    ResourceState,
    ResourceStatus,
)
from netorch.planner import ObservedState, Plan, Step, plan
from netorch.topology import EdgeKind, Node, Topology


@dataclass
class MemJournal:
    resources: dict[str, ResourceRecord] = field(default_factory=dict)
    steps: list[StepRecord] = field(default_factory=list)

    async def step_started(self, step: StepRecord, resource: ResourceRecord | None) -> None:
        self.steps.append(step)
        if resource is not None:
            self.resources[resource.key] = resource

    async def step_finished(self, step: StepRecord, resource: ResourceRecord | None = None, *,
                            remove_key: str | None = None) -> None:
        self.steps.append(step)
        if remove_key is not None:
            self.resources.pop(remove_key, None)
        if resource is not None:
            self.resources[resource.key] = resource

    async def steps_skipped(self, steps: list[StepRecord]) -> None:
        self.steps.extend(steps)

    async def resource_changed(self, resource: ResourceRecord | None = None, *,
                               remove_key: str | None = None) -> None:
        if remove_key is not None:
            self.resources.pop(remove_key, None)
        if resource is not None:
            self.resources[resource.key] = resource

    def by_node(self) -> dict[str, ResourceRecord]:
        return {r.node_id: r for r in self.resources.values()}


@dataclass
class FakeCloud:
    """An in-process driver with per-node fault scripts."""

    journal: MemJournal
    latency: float = 0.0
    name: str = "fake"
    items: dict[str, ResourceState] = field(default_factory=dict)
    creates: list[str] = field(default_factory=list)
    faults: dict[str, list[Exception]] = field(default_factory=dict)
    create_then_fail: set[str] = field(default_factory=set)
    hang: set[str] = field(default_factory=set)
    active: int = 0
    peak: int = 0

    async def create(self, req: CreateRequest) -> ResourceState:
        # Write-ahead: the journal must already hold the key when the VIM is asked.
        rec = self.journal.resources.get(req.key)
        assert rec is not None and rec.state is RecordState.PENDING_CREATE, req.node_id
        for link in req.links.values():
            assert link.key in self.items, f"{req.node_id} created before its link {link.key}"
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            if req.node_id in self.hang:
                await asyncio.sleep(10)
            await asyncio.sleep(self.latency)
            script = self.faults.get(req.node_id)
            if script:
                raise script.pop(0)
            state = ResourceState(key=req.key, kind=req.kind, name=req.name,
                                  status=ResourceStatus.ACTIVE, vim_id="id-" + req.key[:8],
                                  attributes={"ip": "10.0.0.1"})
            self.items.setdefault(req.key, state)
            self.creates.append(req.node_id)
            if req.node_id in self.create_then_fail:
                raise PermanentError("API error after the server was built")
            return self.items[req.key]
        finally:
            self.active -= 1

    async def read(self, ref: ResourceRef) -> ResourceState | None:
        return self.items.get(ref.key)

    async def delete(self, ref: ResourceRef) -> None:
        await asyncio.sleep(self.latency)
        self.items.pop(ref.key, None)

    async def list(self) -> list[ResourceState]:
        return list(self.items.values())


@dataclass
class OneDriver:
    driver: FakeCloud

    def for_kind(self, kind: ResourceKind) -> ResourceDriver:
        return self.driver


def _node(nid: str, kind: ResourceKind = ResourceKind.COMPUTE, **props: object) -> Node:
    types = {ResourceKind.COMPUTE: "tosca.nodes.Compute",
             ResourceKind.NETWORK: "tosca.nodes.network.Network",
             ResourceKind.PORT: "tosca.nodes.network.Port",
             ResourceKind.SOFTWARE: "tosca.nodes.SoftwareComponent",
             ResourceKind.VOLUME: "tosca.nodes.BlockStorage"}
    return Node(id=nid, template=nid, type=types[kind], type_chain=(types[kind],), kind=kind,
                properties=dict(props))


def chain_topology(width: int = 6) -> Topology:
    """net <- port_i -> vm_i, app_i hosted on vm_i."""
    t = Topology(name="svc")
    t.add_node(_node("net", ResourceKind.NETWORK))
    for i in range(width):
        t.add_node(_node(f"vm{i}"))
        t.add_node(_node(f"port{i}", ResourceKind.PORT))
        t.add_node(_node(f"app{i}", ResourceKind.SOFTWARE))
        t.add_edge(f"port{i}", "net", EdgeKind.LINKS_TO, "link")
        t.add_edge(f"port{i}", f"vm{i}", EdgeKind.BINDS_TO, "binding")
        t.add_edge(f"app{i}", f"vm{i}", EdgeKind.HOSTED_ON, "host")
    return t


def run(p: Plan, journal: MemJournal, cloud: FakeCloud, *, parallelism: int = 8,
        timeout: float = 5.0, attempts: int = 3,
        events: list[StepEvent] | None = None) -> ApplyResult:
    cfg = EngineConfig(parallelism=parallelism, step_timeout_s=timeout, max_attempts=attempts,
                       backoff_initial_s=0.001, backoff_max_s=0.01)

    def vim_name(rec: ResourceRecord | None, step: Step) -> str:
        return "fake"

    return asyncio.run(apply(p, service="svc", op_id="op1", drivers=OneDriver(cloud),
                             journal=journal, records=journal.by_node(), vim_name=vim_name,
                             config=cfg, on_event=events.append if events is not None else None))


def observed(journal: MemJournal) -> ObservedState:
    return ObservedState.from_records(journal.resources.values())


def test_apply_creates_everything_in_dependency_order_within_parallelism() -> None:
    journal = MemJournal()
    cloud = FakeCloud(journal, latency=0.01)
    topo = chain_topology(6)
    result = run(plan(topo, observed(journal), service="svc"), journal, cloud, parallelism=3)
    assert result.ok and len(result.completed) == len(topo)
    assert cloud.peak <= 3
    assert cloud.creates.index("net") < min(cloud.creates.index(f"port{i}") for i in range(6))
    recs = journal.by_node()
    assert set(recs) == {n.id for n in topo.nodes()}
    assert all(r.state is RecordState.CREATED for r in recs.values())
    assert recs["port0"].depends_on and set(recs["port0"].depends_on) == {"net", "vm0"}
    # Re-planning against what now exists is a no-op.
    assert plan(topo, observed(journal), service="svc").is_empty()


def test_temporary_errors_are_retried_then_succeed() -> None:
    journal = MemJournal()
    cloud = FakeCloud(journal, faults={"vm1": [TemporaryError("503"), TemporaryError("503")]})
    result = run(plan(chain_topology(2), observed(journal), service="svc"), journal, cloud,
                 attempts=3)
    assert result.ok
    assert cloud.creates.count("vm1") == 1


def test_permanent_error_fails_at_once_and_skips_only_dependents() -> None:
    journal = MemJournal()
    cloud = FakeCloud(journal, faults={"vm1": [PermanentError("no flavor fits")]})
    events: list[StepEvent] = []
    result = run(plan(chain_topology(3), observed(journal), service="svc"), journal, cloud,
                 events=events)
    assert list(result.failed) == ["create:vm1"]
    assert "no flavor fits" in result.failed["create:vm1"]
    assert sorted(result.skipped) == ["create:app1", "create:port1"]
    # Independent branches completed; the failed VM left no record (nothing exists).
    recs = journal.by_node()
    assert {"vm0", "vm2", "port0", "port2", "app0", "app2", "net"} <= set(recs)
    assert "vm1" not in recs and "port1" not in recs
    assert cloud.creates.count("vm1") == 0
    skipped = [s for s in journal.steps if s.state is StepState.SKIPPED]
    assert {s.step_id for s in skipped} == {"create:app1", "create:port1"}
    assert {e.step.id for e in events if e.state is StepState.FAILED} == {"create:vm1"}


def test_temporary_errors_exhausted_fail_the_step() -> None:
    journal = MemJournal()
    cloud = FakeCloud(journal, faults={"net": [TemporaryError("busy")] * 5})
    result = run(plan(chain_topology(1), observed(journal), service="svc"), journal, cloud,
                 attempts=2)
    assert "gave up after 2 attempts" in result.failed["create:net"]
    assert sorted(result.skipped) == ["create:port0"]


def test_step_timeout_counts_as_temporary_failure() -> None:
    journal = MemJournal()
    cloud = FakeCloud(journal, hang={"vm0"})
    result = run(plan(chain_topology(1), observed(journal), service="svc"), journal, cloud,
                 timeout=0.05, attempts=2)
    assert "timed out" in result.failed["create:vm0"]


def test_a_resource_made_before_the_error_stays_recorded_never_orphaned() -> None:
    journal = MemJournal()
    cloud = FakeCloud(journal, create_then_fail={"vm0"})
    result = run(plan(chain_topology(1), observed(journal), service="svc"), journal, cloud)
    assert "create:vm0" in result.failed
    rec = journal.by_node()["vm0"]
    assert rec.state is RecordState.FAILED and rec.key in cloud.items
    # Every key the cloud holds is known to the journal.
    assert set(cloud.items) <= set(journal.resources)
    # The planner replaces a FAILED record: delete first, then create.
    p = plan(chain_topology(1), observed(journal), service="svc")
    assert [s.id for s in p.steps if s.node_id == "vm0"] == ["delete:vm0", "create:vm0"]
    cloud.create_then_fail.clear()
    assert run(p, journal, cloud).ok
    assert set(cloud.items) == set(journal.resources)


def test_terminate_deletes_in_reverse_order() -> None:
    journal = MemJournal()
    cloud = FakeCloud(journal)
    topo = chain_topology(2)
    assert run(plan(topo, observed(journal), service="svc"), journal, cloud).ok
    events: list[StepEvent] = []
    result = run(plan(Topology(name="svc"), observed(journal), service="svc"), journal, cloud,
                 events=events, parallelism=1)
    assert result.ok
    order = [e.step.node_id for e in events if e.state is StepState.COMPLETED]
    assert order.index("port0") < order.index("vm0") and order.index("port0") < order.index(
        "net")
    assert order.index("app1") < order.index("vm1")
    assert journal.resources == {} and cloud.items == {}


def test_settle_records_adopts_or_drops_in_doubt_records() -> None:
    journal = MemJournal()
    cloud = FakeCloud(journal)
    made = ResourceState(key="k-made", kind=ResourceKind.COMPUTE, name="svc-vm0",
                         status=ResourceStatus.ACTIVE, vim_id="v1")
    cloud.items["k-made"] = made
    base = dict(service="svc", kind=ResourceKind.COMPUTE, vim="fake", spec_hash="h")
    journal.resources = {
        "k-made": ResourceRecord(node_id="vm0", key="k-made", state=RecordState.PENDING_CREATE,
                                 **base),  # type: ignore[arg-type]
        "k-never": ResourceRecord(node_id="vm1", key="k-never",
                                  state=RecordState.PENDING_CREATE, **base),  # type: ignore[arg-type]
    }
    settled = asyncio.run(settle_records(list(journal.resources.values()), OneDriver(cloud),
                                         journal))
    assert {s.node_id: s.outcome for s in settled} == {"vm0": "adopted", "vm1": "dropped"}
    assert journal.resources["k-made"].state is RecordState.CREATED
    assert journal.resources["k-made"].vim_id == "v1"
    assert "k-never" not in journal.resources


def test_observe_health_reports_error_and_missing() -> None:
    journal = MemJournal()
    cloud = FakeCloud(journal)
    assert run(plan(chain_topology(2), observed(journal), service="svc"), journal, cloud).ok
    recs = journal.by_node()
    cloud.items[recs["vm0"].key] = ResourceState(
        key=recs["vm0"].key, kind=ResourceKind.COMPUTE, name="x", status=ResourceStatus.ERROR,
        error="kernel panic")
    del cloud.items[recs["vm1"].key]
    health = asyncio.run(observe_health(
        [r for r in recs.values() if r.kind is not ResourceKind.SOFTWARE], OneDriver(cloud)))
    assert health["vm0"] == "kernel panic"
    assert health["vm1"] == "gone from the VIM"
    assert health["net"] is None


@pytest.mark.parametrize("parallelism", [1, 4, 64])
def test_every_step_is_journaled_started_then_finished(parallelism: int) -> None:
    journal = MemJournal()
    cloud = FakeCloud(journal)
    p = plan(chain_topology(4), observed(journal), service="svc")
    assert run(p, journal, cloud, parallelism=parallelism).ok
    for step in p.steps:
        states = [s.state for s in journal.steps if s.step_id == step.id]
        assert states == [StepState.STARTED, StepState.COMPLETED], step.id
