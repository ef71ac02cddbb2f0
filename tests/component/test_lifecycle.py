"""The lifecycle on the real store (SQLite and PostgreSQL) and the real sim VIM: instantiate,
scale, heal, update, terminate, and the FAILED_TEMP answers resume / rollback / fail."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from helpers import DEMO, REPO
from netorch.model.errors import ConflictError, StalePlanError, ValidationFailed
from netorch.model.operations import OpState, OpType, StepState
from netorch.model.resources import RecordState, ResourceKind
from netorch.services.doctor import doctor
from netorch.services.faults import kill_resource
from netorch.services.lifecycle import INSTANTIATED, NOT_INSTANTIATED, Lifecycle
from netorch.topology import Topology

MakeLc = Callable[..., Lifecycle]


def inventory_keys(lc: Lifecycle) -> set[str]:
    async def run() -> set[str]:
        async with lc.ctx.vim(None) as vim:
            return {s.key for s in await vim.list()}

    return asyncio.run(run())


def vim_keys_in_store(lc: Lifecycle, name: str) -> set[str]:
    return {r.key for r in lc.store.resources(name) if r.kind is not ResourceKind.SOFTWARE}


def assert_consistent(lc: Lifecycle) -> None:
    """The VIM holds exactly what the store records, and doctor agrees."""
    report = doctor(lc.ctx)
    assert report.healthy, [(v.vim, v.orphans, v.missing, v.error) for v in report.vims]
    store_keys = {r.key for r in lc.store.all_resources() if r.kind is not ResourceKind.SOFTWARE}
    assert inventory_keys(lc) == store_keys


def test_full_lifecycle(make_lc: MakeLc) -> None:
    lc = make_lc()
    op = lc.instantiate(DEMO, "chain")
    assert op.state is OpState.COMPLETED and op.end_time is not None
    svc = lc.service("chain")
    assert svc.status == INSTANTIATED
    assert svc.desired is not None
    desired = Topology.from_dict(svc.desired)
    assert {r.node_id for r in lc.store.resources("chain")} == {n.id for n in desired.nodes()}
    assert {"web[0]", "web[1]"} <= {n.id for n in desired.nodes()}
    assert_consistent(lc)

    op = lc.scale("chain", "web_tier", 2)
    assert op.state is OpState.COMPLETED
    created = {s.node_id for s in lc.op(op.id).steps if s.state is StepState.COMPLETED}
    assert created == {"web[2]", "web[3]", "web_back[2]", "web_back[3]"}
    assert lc.service("chain").scale_levels["web_tier"] == 2

    op = lc.scale("chain", "web_tier", 1, scale_in=True)
    assert op.state is OpState.COMPLETED
    deleted = [s.step_id for s in lc.op(op.id).steps if s.state is StepState.COMPLETED]
    assert sorted(deleted) == ["delete:web[3]", "delete:web_back[3]"]
    assert_consistent(lc)

    with pytest.raises(ValidationFailed, match=r"outside 0\.\.3"):
        lc.scale("chain", "web_tier", 3)
    with pytest.raises(ValidationFailed, match="no scaling aspect 'nope'"):
        lc.scale("chain", "nope", 1)

    before = {r.node_id: r.key for r in lc.store.resources("chain")}
    op = lc.heal("chain", "fw")
    assert op.state is OpState.COMPLETED
    after = {r.node_id: r.key for r in lc.store.resources("chain")}
    replaced = {n for n in before if before[n] != after[n]}
    assert replaced == {"fw", "fw_front", "fw_back"}  # the VM and the ports bound to it
    assert_consistent(lc)

    op = lc.terminate("chain")
    assert op.state is OpState.COMPLETED
    assert lc.store.resources("chain") == []
    assert lc.service("chain").status == NOT_INSTANTIATED
    assert inventory_keys(lc) == set()
    lc.delete("chain")
    assert lc.store.get_service("chain") is None


def test_heal_finds_what_the_vim_reports_dead(make_lc: MakeLc) -> None:
    lc = make_lc()
    lc.instantiate(DEMO, "chain")
    kill_resource(lc, "chain", "web[1]")
    op = lc.heal("chain")
    assert op.state is OpState.COMPLETED
    assert op.params["targets"] == {"web[1]": pytest.approx(op.params["targets"]["web[1]"])}
    touched = {s.node_id for s in lc.op(op.id).steps}
    assert touched == {"web[1]", "web_back[1]"}
    assert all(r.healthy for r in lc.store.resources("chain"))
    # Nothing unhealthy now: heal completes with no step.
    op = lc.heal("chain")
    assert op.state is OpState.COMPLETED and lc.op(op.id).steps == ()
    assert_consistent(lc)


def test_update_inputs_replaces_only_what_changed(make_lc: MakeLc) -> None:
    lc = make_lc()
    lc.instantiate(DEMO, "chain")
    before = {r.node_id: r.key for r in lc.store.resources("chain")}
    op = lc.update("chain", {"web_flavor_mem": "4 GB"})
    assert op.state is OpState.COMPLETED
    after = {r.node_id: r.key for r in lc.store.resources("chain")}
    changed = {n for n in before if before[n] != after[n]}
    assert changed == {"web[0]", "web[1]", "web_back[0]", "web_back[1]"}
    assert lc.service("chain").inputs["web_flavor_mem"] == "4 GB"
    assert_consistent(lc)


def test_permanent_failure_then_rollback_leaves_nothing(make_lc: MakeLc) -> None:
    lc = make_lc(fail_permanently=["web[1]"])
    op = lc.instantiate(DEMO, "chain")
    assert op.state is OpState.FAILED_TEMP
    assert op.error is not None and "web[1]" in op.error
    steps = {s.step_id: s.state for s in lc.op(op.id).steps}
    assert steps["create:web[1]"] is StepState.FAILED
    assert steps["create:web_back[1]"] is StepState.SKIPPED
    assert_consistent(lc)

    # FAILED_TEMP holds the lock: a new operation is refused with a clear message.
    with pytest.raises(ConflictError, match=r"busy.*FAILED_TEMP"):
        lc.terminate("chain")

    done = lc.rollback(op.id)
    assert done.state is OpState.ROLLED_BACK
    assert lc.store.resources("chain") == []
    assert lc.service("chain").status == NOT_INSTANTIATED
    assert_consistent(lc)
    with pytest.raises(ConflictError, match="only possible in FAILED_TEMP"):
        lc.rollback(op.id)


def test_resume_after_the_fault_is_fixed(make_lc: MakeLc) -> None:
    lc = make_lc(fail_permanently=["fw"])
    op = lc.instantiate(DEMO, "chain")
    assert op.state is OpState.FAILED_TEMP
    made_before = {r.node_id for r in lc.store.resources("chain")}
    assert "fw" not in made_before and "web[0]" not in made_before  # web depends on fw
    lc = make_lc()  # the operator fixes the VIM
    done = lc.resume(op.id)
    assert done.state is OpState.COMPLETED
    retried = [s for s in lc.op(op.id).steps if s.attempt == 2]
    assert {s.node_id for s in retried} >= {"fw", "web[0]", "web[1]"}
    assert not {s.node_id for s in retried} & (made_before - {"fw"})  # done work not redone
    assert lc.service("chain").status == INSTANTIATED
    assert_consistent(lc)


def test_fail_is_final_and_keeps_the_record(make_lc: MakeLc) -> None:
    lc = make_lc(fail_permanently=["web_back[0]"])
    op = lc.instantiate(DEMO, "chain")
    assert op.state is OpState.FAILED_TEMP
    failed = lc.fail(op.id)
    assert failed.state is OpState.FAILED and failed.end_time is not None
    assert lc.store.resources("chain")  # what exists stays recorded
    assert lc.service("chain").active_op is None
    with pytest.raises(ConflictError):
        lc.resume(op.id)
    lc = make_lc()
    assert lc.terminate("chain").state is OpState.COMPLETED
    assert_consistent(lc)


def test_flaky_vim_converges_without_orphans(make_lc: MakeLc) -> None:
    # A third of the calls fail, half of those after the VIM already made the resource.
    lc = make_lc(failure_rate=0.3, failure_seed=7)
    lc.ctx.settings.max_attempts = 8
    op = lc.instantiate(DEMO, "chain")
    if op.state is OpState.FAILED_TEMP:  # unlucky streak: retry is the operator's answer
        op = lc.resume(op.id)
    assert op.state is OpState.COMPLETED
    assert_consistent(lc)
    op = lc.terminate("chain")
    if op.state is OpState.FAILED_TEMP:
        op = lc.resume(op.id)
    assert op.state is OpState.COMPLETED
    assert_consistent(lc)
    assert inventory_keys(lc) == set()


def test_saved_plan_applies_only_to_what_it_was_made_for(make_lc: MakeLc) -> None:
    lc = make_lc()
    saved = lc.preview(DEMO, name="chain")
    lc.instantiate(DEMO, "other")  # another service: chain's own state did not move
    op = lc.instantiate(DEMO, "chain", saved_plan=saved)
    assert op.state is OpState.COMPLETED
    assert lc.ctx.store.op_payload(op.id)["plan"]["base_fingerprint"] == saved.base_fingerprint

    changed_inputs = lc.preview(DEMO, name="c2")
    with pytest.raises(StalePlanError, match="template or inputs changed"):
        lc.instantiate(DEMO, "c2", inputs={"web_flavor_mem": "4 GB"},
                       saved_plan=changed_inputs)
    with pytest.raises(StalePlanError, match="for service 'chain'"):
        lc.instantiate(DEMO, "c3", saved_plan=saved)


def test_second_instantiate_is_refused(make_lc: MakeLc) -> None:
    lc = make_lc()
    lc.instantiate(DEMO, "chain")
    with pytest.raises(ConflictError, match="already instantiated"):
        lc.instantiate(DEMO, "chain")


def test_invalid_template_never_touches_the_vim(make_lc: MakeLc, tmp_path: Path) -> None:
    lc = make_lc()
    bad = tmp_path / "bad.yaml"
    bad.write_text("tosca_definitions_version: tosca_simple_yaml_1_3\n"
                   "topology_template:\n  node_templates:\n    a:\n      type: No.Such.Type\n")
    with pytest.raises(ValidationFailed) as info:
        lc.instantiate(bad, "bad")
    assert info.value.diagnostics
    assert lc.store.get_service("bad") is None
    assert not (tmp_path / "sim.db").exists()


@pytest.mark.parametrize("template", sorted(
    p.name for p in (REPO / "service-templates").glob("*.yaml")
    # services stitched through network devices deploy against the lab
    # (tests/integration/test_stitching.py)
    if "netorch_network_types.yaml" not in p.read_text(encoding="utf-8")))
def test_every_example_service_deploys_scales_and_terminates(make_lc: MakeLc,
                                                             template: str) -> None:
    lc = make_lc()
    op = lc.instantiate(REPO / "service-templates" / template, "ex")
    assert op.state is OpState.COMPLETED, op.error
    model_aspects = list(lc.service("ex").scale_levels)
    for aspect in model_aspects:
        out = lc.scale("ex", aspect, 1)
        assert out.state is OpState.COMPLETED, out.error
    assert_consistent(lc)
    assert lc.terminate("ex").state is OpState.COMPLETED
    assert_consistent(lc)
    assert inventory_keys(lc) == set()


@pytest.mark.parametrize("package", sorted(
    p.name for p in (REPO / "vnf-packages").iterdir() if p.is_dir()))
def test_every_vnf_package_deploys_and_terminates(make_lc: MakeLc, package: str) -> None:
    lc = make_lc()
    op = lc.instantiate(REPO / "vnf-packages" / package, "vnf")
    assert op.state is OpState.COMPLETED, op.error
    kinds = {r.kind for r in lc.store.resources("vnf")}
    assert {ResourceKind.COMPUTE, ResourceKind.PORT, ResourceKind.NETWORK} <= kinds
    assert all(r.state is RecordState.CREATED for r in lc.store.resources("vnf"))
    for aspect in lc.service("vnf").scale_levels:
        assert lc.scale("vnf", aspect, 1).state is OpState.COMPLETED
    assert lc.terminate("vnf").state is OpState.COMPLETED
    assert_consistent(lc)


def test_ops_are_recorded_with_sol005_fields(make_lc: MakeLc) -> None:
    lc = make_lc()
    lc.instantiate(DEMO, "chain")
    lc.scale("chain", "web_tier", 1)
    lc.terminate("chain")
    ops = lc.store.list_ops("chain")
    assert [o.type for o in ops] == [OpType.TERMINATE, OpType.SCALE, OpType.INSTANTIATE]
    for o in ops:
        assert o.state is OpState.COMPLETED
        assert o.end_time is not None and o.end_time >= o.start_time
    events = [e.message for e in lc.store.events(service="chain")]
    assert "INSTANTIATE started" in events and "TERMINATE COMPLETED" in events


def test_outputs_resolve_from_what_exists(make_lc: MakeLc) -> None:
    lc = make_lc()
    lc.instantiate(REPO / "service-templates" / "vcpe.yaml", "cpe")
    outputs = lc.outputs("cpe")
    # The firewall's first NIC (order 0) is on the management network.
    assert outputs["firewall_mgmt_address"].startswith("192.168.100.")
    assert outputs["customer_lan"] == "10.20.0.0/24"
    lc.terminate("cpe")
    assert lc.outputs("cpe")["firewall_mgmt_address"] is None
