"""netorch.planner: diff desired vs observed into an ordered, serialisable plan."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netorch.model.errors import StalePlanError
from netorch.model.operations import StepOp
from netorch.model.resources import RecordState, ResourceKind, ResourceRecord
from netorch.model.service import (
    NodeTemplate,
    RequirementAssignment,
    ScalingAspect,
    ServiceModel,
)
from netorch.planner import (
    Action,
    Change,
    ObservedResource,
    ObservedState,
    Plan,
    Step,
    plan,
    restrict,
)
from netorch.topology import CycleError, EdgeKind, Node, Topology, build_topology

ROOT = "tosca.nodes.Root"
VDU = ("tosca.nodes.nfv.Vdu.Compute", ROOT)
CP = ("tosca.nodes.nfv.VduCp", "tosca.nodes.nfv.Cp", ROOT)
VL = ("tosca.nodes.nfv.VnfVirtualLink", ROOT)
VOL = ("tosca.nodes.nfv.Vdu.VirtualBlockStorage", ROOT)
APP = ("acme.App", "tosca.nodes.SoftwareComponent", ROOT)


def tmpl(name: str, chain: tuple[str, ...], *reqs: tuple[str, str, str],
         properties: Mapping[str, Any] | None = None) -> NodeTemplate:
    return NodeTemplate(
        name=name, type=chain[0], type_chain=chain, properties=properties or {},
        requirements=tuple(RequirementAssignment(name=r, target=t, relationship=rel)
                           for r, t, rel in reqs))


def vnf(vdu_props: Mapping[str, Any] | None = None,
        app_props: Mapping[str, Any] | None = None) -> ServiceModel:
    """net; vdu (attaches vol), scalable by aspect 'out'; cp bound to vdu, linked to net;
    app hosted on vdu; mon depends on app."""
    nodes = [
        tmpl("net", VL),
        tmpl("vdu", VDU, ("virtual_storage", "vol", "tosca.relationships.nfv.AttachesTo"),
             properties=vdu_props or {"flavour": "small"}),
        tmpl("vol", VOL),
        tmpl("cp", CP, ("virtual_binding", "vdu", "tosca.relationships.nfv.VirtualBindsTo"),
             ("virtual_link", "net", "tosca.relationships.nfv.VirtualLinksTo")),
        tmpl("app", APP, ("host", "vdu", "tosca.relationships.HostedOn"),
             properties=app_props or {"version": "1"}),
        tmpl("mon", APP, ("dependency", "app", "tosca.relationships.DependsOn")),
    ]
    return ServiceModel(
        name="vnf", tosca_version="tosca_simple_yaml_1_3", source="vnf.yaml",
        nodes={n.name: n for n in nodes},
        aspects={"out": ScalingAspect(name="out", max_scale_level=5, deltas={"vdu": (1,)})},
        initial_instances={"vdu": 1})


def desired(level: int = 1, generations: Mapping[str, int] | None = None,
            **kw: Any) -> Topology:
    topo, diags = build_topology(vnf(**kw), scale_levels={"out": level},
                                 generations=generations)
    assert diags == []
    return topo


EMPTY = ObservedState({})


def apply_sim(p: Plan, observed: ObservedState) -> ObservedState:
    """What the engine would record after running ``p`` in its listed order; checks that
    every step runs after its dependencies."""
    done: set[str] = set()
    resources = dict(observed.resources)
    for step in p.steps:
        assert set(step.depends_on) <= done, f"{step.id} listed before its dependencies"
        done.add(step.id)
        if step.op is StepOp.DELETE:
            assert resources[step.node_id].key == step.key
            del resources[step.node_id]
            continue
        assert step.node is not None and step.node.id == step.node_id
        if step.op is StepOp.CREATE:
            assert step.node_id not in resources
            resources[step.node_id] = ObservedResource(
                node_id=step.node_id, key=f"key-{step.node_id}-{step.node.generation}",
                kind=step.kind, spec_hash=step.node.spec_hash(), state=RecordState.CREATED,
                depends_on=step.links, node_type=step.node.type)
        else:
            assert resources[step.node_id].key == step.key
            resources[step.node_id] = dataclasses.replace(
                resources[step.node_id], spec_hash=step.node.spec_hash(),
                depends_on=step.links)
    return ObservedState(resources)


def actions(p: Plan) -> dict[str, Action]:
    return {c.node_id: c.action for c in p.changes if c.action is not Action.NOOP}


def reasons(p: Plan) -> dict[str, str]:
    return {c.node_id: c.reason for c in p.changes}


def test_fresh_instantiate_creates_everything_in_dependency_order() -> None:
    topo = desired(level=1)
    p = plan(topo, EMPTY, service="svc1")
    assert p.service == "svc1"
    assert all(c.action is Action.CREATE for c in p.changes)
    assert len(p.changes) == len(topo)
    assert p.summary() == {"create": 10, "update": 0, "delete": 0, "replace": 0, "noop": 0}
    assert p.waves() == [
        ["create:net", "create:vol[0]", "create:vol[1]"],
        ["create:vdu[0]", "create:vdu[1]"],
        ["create:cp[0]", "create:cp[1]", "create:app[0]", "create:app[1]"],
        ["create:mon"],
    ]
    assert [s.id for s in p.steps] == [i for wave in p.waves() for i in wave]
    cp0 = p.step("create:cp[0]")
    assert cp0.op is StepOp.CREATE and cp0.kind is ResourceKind.PORT
    assert cp0.depends_on == ("create:vdu[0]", "create:net")
    assert cp0.links == ("vdu[0]", "net")
    assert cp0.node == topo.node("cp[0]") and cp0.key is None
    assert p.step("create:mon").depends_on == ("create:app[0]", "create:app[1]")
    assert p.base_fingerprint == EMPTY.fingerprint()
    assert p.desired_fingerprint == topo.fingerprint()
    with pytest.raises(KeyError):
        p.step("create:ghost")


def test_replan_after_apply_is_empty() -> None:
    topo = desired(level=1)
    observed = apply_sim(plan(topo, EMPTY), EMPTY)
    again = plan(topo, observed)
    assert again.is_empty()
    assert again.steps == () and again.waves() == []
    assert again.summary()["noop"] == len(topo)
    assert {c.reason for c in again.changes} == {"up to date"}


def test_scale_out_creates_only_the_new_instances() -> None:
    observed = apply_sim(plan(desired(level=1), EMPTY), EMPTY)
    p = plan(desired(level=2), observed)
    new = {n: Action.CREATE for n in ("vol[2]", "vdu[2]", "cp[2]", "app[2]")}
    # mon depends on every app instance: it is reconfigured in place, not rebuilt.
    assert actions(p) == {**new, "mon": Action.UPDATE}
    assert reasons(p)["mon"] == "its dependencies changed"
    assert p.waves() == [["create:vol[2]"], ["create:vdu[2]"],
                         ["create:cp[2]", "create:app[2]"], ["update:mon"]]
    # net already exists: no step to wait for, but the driver still gets its ref
    assert p.step("create:cp[2]").depends_on == ("create:vdu[2]",)
    assert p.step("create:cp[2]").links == ("vdu[2]", "net")


def test_scale_in_deletes_the_highest_instances_dependents_first() -> None:
    observed = apply_sim(plan(desired(level=3), EMPTY), EMPTY)
    p = plan(desired(level=1), observed)
    gone = ("vdu[3]", "vdu[2]", "vol[3]", "vol[2]", "cp[3]", "cp[2]", "app[3]", "app[2]")
    assert actions(p) == {**dict.fromkeys(gone, Action.DELETE), "mon": Action.UPDATE}
    assert p.waves() == [
        ["delete:cp[2]", "delete:cp[3]", "update:mon"],
        ["delete:app[2]", "delete:app[3]"],
        ["delete:vdu[2]", "delete:vdu[3]"],
        ["delete:vol[2]", "delete:vol[3]"],
    ]
    d = p.step("delete:vdu[3]")
    assert d.key == "key-vdu[3]-0" and d.kind is ResourceKind.COMPUTE and d.node is None
    assert set(d.depends_on) == {"delete:cp[3]", "delete:app[3]"}
    assert reasons(p)["vdu[3]"] == "not in the desired state"
    after = apply_sim(p, observed)
    assert sorted(after.resources) == sorted(n.id for n in desired(level=1).nodes())


def test_heal_by_generation_bump_replaces_the_vm_and_what_is_bound_or_hosted_on_it() -> None:
    observed = apply_sim(plan(desired(level=1), EMPTY), EMPTY)
    p = plan(desired(level=1, generations={"vdu[1]": 1}), observed)
    assert actions(p) == dict.fromkeys(("vdu[1]", "cp[1]", "app[1]"), Action.REPLACE)
    r = reasons(p)
    assert r["vdu[1]"] == "spec changed"
    assert r["cp[1]"] == "its VirtualBindsTo target vdu[1] is replaced"
    assert r["app[1]"] == "its HostedOn target vdu[1] is replaced"
    assert r["vol[1]"] == r["mon"] == "up to date"  # vdu -> vol and mon -DependsOn-> app
    assert p.waves() == [
        ["delete:cp[1]", "delete:app[1]"],
        ["delete:vdu[1]"],
        ["create:vdu[1]"],
        ["create:cp[1]", "create:app[1]"],
    ]
    assert p.step("create:vdu[1]").depends_on == ("delete:vdu[1]",)
    assert p.step("create:vdu[1]").links == ("vol[1]",)
    assert p.step("create:cp[1]").depends_on == ("delete:cp[1]", "create:vdu[1]")
    assert p.step("delete:cp[1]").key == "key-cp[1]-0"
    healed = apply_sim(p, observed)
    assert healed.resources["vdu[1]"].key == "key-vdu[1]-1"
    assert plan(desired(level=1, generations={"vdu[1]": 1}), healed).is_empty()


def test_terminate_deletes_everything_in_reverse_dependency_order() -> None:
    observed = apply_sim(plan(desired(level=1), EMPTY), EMPTY)
    p = plan(Topology("vnf"), observed, service="svc1")
    assert p.summary()["delete"] == 10 and len(p.changes) == 10
    assert p.waves() == [
        ["delete:cp[0]", "delete:cp[1]", "delete:mon"],
        ["delete:app[0]", "delete:app[1]", "delete:net"],
        ["delete:vdu[0]", "delete:vdu[1]"],
        ["delete:vol[0]", "delete:vol[1]"],
    ]
    assert apply_sim(p, observed).resources == {}


def test_property_change_replaces_a_compute_but_updates_software() -> None:
    observed = apply_sim(plan(desired(level=0), EMPTY), EMPTY)
    p = plan(desired(level=0, vdu_props={"flavour": "large"}), observed)
    assert actions(p) == {"vdu[0]": Action.REPLACE, "cp[0]": Action.REPLACE,
                          "app[0]": Action.REPLACE}

    both = plan(desired(level=0, vdu_props={"flavour": "large"}, app_props={"version": "2"}),
                observed)
    assert actions(both)["app[0]"] is Action.REPLACE  # the replace wins over the update
    assert reasons(both)["app[0]"] == "its HostedOn target vdu[0] is replaced"

    p = plan(desired(level=0, app_props={"version": "2"}), observed)
    assert actions(p) == {"app[0]": Action.UPDATE}
    assert reasons(p)["app[0]"] == "spec changed"
    (step,) = p.steps
    assert step.id == "update:app[0]" and step.op is StepOp.UPDATE
    assert step.key == "key-app[0]-0" and step.depends_on == ()
    assert step.node is not None and step.node.properties == {"version": "2"}
    assert step.links == ("vdu[0]",)
    assert plan(desired(level=0, app_props={"version": "2"}), apply_sim(p, observed)).is_empty()


def test_an_update_waits_for_the_creation_of_its_dependencies() -> None:
    observed = apply_sim(plan(desired(level=0), EMPTY), EMPTY)
    resources = dict(observed.resources)
    del resources["vdu[0]"]  # record lost: vdu is created, cp / app cascade to replace
    p = plan(desired(level=0), ObservedState(resources))
    assert actions(p) == {"vdu[0]": Action.CREATE, "cp[0]": Action.REPLACE,
                          "app[0]": Action.REPLACE}
    assert reasons(p)["cp[0]"] == "its VirtualBindsTo target vdu[0] is created"
    assert p.step("create:app[0]").depends_on == ("delete:app[0]", "create:vdu[0]")


@pytest.mark.parametrize(("change", "reason"), [
    ({"healthy": False}, "observed unhealthy"),
    ({"state": RecordState.FAILED}, "recorded state is FAILED"),
    ({"state": RecordState.PENDING_CREATE}, "recorded state is PENDING_CREATE"),
    ({"state": RecordState.PENDING_DELETE}, "recorded state is PENDING_DELETE"),
    ({"kind": ResourceKind.VOLUME}, "kind changed from volume to compute"),
])
def test_broken_or_unhealthy_resources_are_replaced(change: dict[str, Any],
                                                    reason: str) -> None:
    observed = apply_sim(plan(desired(level=0), EMPTY), EMPTY)
    resources = dict(observed.resources)
    resources["vdu[0]"] = dataclasses.replace(resources["vdu[0]"], **change)
    p = plan(desired(level=0), ObservedState(resources))
    assert actions(p) == dict.fromkeys(("vdu[0]", "cp[0]", "app[0]"), Action.REPLACE)
    assert reasons(p)["vdu[0]"] == reason


def test_unhealthy_software_is_replaced_without_touching_its_host() -> None:
    observed = apply_sim(plan(desired(level=0), EMPTY), EMPTY)
    resources = dict(observed.resources)
    resources["app[0]"] = dataclasses.replace(resources["app[0]"], healthy=False)
    p = plan(desired(level=0), ObservedState(resources))
    assert actions(p) == {"app[0]": Action.REPLACE}  # mon only DependsOn app
    assert [s.id for s in p.steps] == ["delete:app[0]", "create:app[0]"]

    topo = desired(level=0)
    topo = topo.with_node(dataclasses.replace(topo.node("mon"), properties={"x": 1}))
    p = plan(topo, ObservedState(resources))
    assert actions(p) == {"app[0]": Action.REPLACE, "mon": Action.UPDATE}
    assert p.step("update:mon").depends_on == ("create:app[0]",)
    assert p.waves() == [["delete:app[0]"], ["create:app[0]"], ["update:mon"]]


def test_stale_plan_is_refused() -> None:
    topo = desired(level=1)
    observed = apply_sim(plan(topo, EMPTY), EMPTY)
    saved = plan(desired(level=2), observed)
    saved.check_current(ObservedState(dict(observed.resources)))  # same state: fine
    moved = dict(observed.resources)
    moved["vdu[0]"] = dataclasses.replace(moved["vdu[0]"], healthy=False)
    current = ObservedState(moved)
    with pytest.raises(StalePlanError) as info:
        saved.check_current(current)
    assert saved.base_fingerprint in str(info.value)
    assert current.fingerprint() in str(info.value)


def test_observed_fingerprint_ignores_order_but_not_content() -> None:
    observed = apply_sim(plan(desired(level=1), EMPTY), EMPTY)
    reversed_state = ObservedState(dict(reversed(list(observed.resources.items()))))
    assert reversed_state.fingerprint() == observed.fingerprint()
    net = observed.resources["net"]
    for variant in (dataclasses.replace(net, key="other"),
                    dataclasses.replace(net, spec_hash="0" * 64),
                    dataclasses.replace(net, state=RecordState.FAILED),
                    dataclasses.replace(net, healthy=False)):
        changed = {**observed.resources, "net": variant}
        assert ObservedState(changed).fingerprint() != observed.fingerprint(), variant


def test_observed_state_from_records() -> None:
    records = [
        ResourceRecord(service="s", node_id="net", key="k1", kind=ResourceKind.NETWORK,
                       vim="sim", state=RecordState.CREATED, spec_hash="h1", node_type="T"),
        ResourceRecord(service="s", node_id="cp", key="k2", kind=ResourceKind.PORT, vim="sim",
                       state=RecordState.FAILED, spec_hash="h2", healthy=False,
                       depends_on=("net",)),
    ]
    state = ObservedState.from_records(records)
    assert state.resources["cp"] == ObservedResource(
        node_id="cp", key="k2", kind=ResourceKind.PORT, spec_hash="h2",
        state=RecordState.FAILED, healthy=False, depends_on=("net",))
    assert state.resources["net"].node_type == "T"
    assert state.dependents() == {"net": ["cp"]}
    with pytest.raises(ValueError, match="two resource records"):
        ObservedState.from_records([*records, records[0]])


def test_observed_dependencies_by_key_also_order_deletes() -> None:
    observed = ObservedState({
        "net": ObservedResource("net", "k-net", ResourceKind.NETWORK, "h", RecordState.CREATED),
        "cp": ObservedResource("cp", "k-cp", ResourceKind.PORT, "h", RecordState.CREATED,
                               depends_on=("k-net",)),
    })
    p = plan(Topology("x"), observed)
    assert p.waves() == [["delete:cp"], ["delete:net"]]


def test_plan_json_round_trip_is_exact() -> None:
    observed = apply_sim(plan(desired(level=1), EMPTY), EMPTY)
    p = plan(desired(level=2, generations={"vdu[0]": 1}, app_props={"v": [1, {"x": None}]}),
             observed, service="svc1")
    assert p.summary()["create"] > 0 and p.summary()["replace"] > 0
    text = p.to_json()
    json.loads(text)  # valid JSON
    back = Plan.from_json(text)
    assert back == p
    assert back.to_json() == text
    assert back.step("create:app[2]").node == p.step("create:app[2]").node
    node = back.step("create:app[2]").node
    assert node is not None and node.spec_hash() == desired(
        level=2, app_props={"v": [1, {"x": None}]}).node("app[2]").spec_hash()
    with pytest.raises(ValueError, match="not a netorch plan"):
        Plan.from_json('{"steps": []}')
    with pytest.raises(ValueError, match="not a netorch plan"):
        Plan.from_json("[]")


def test_plan_with_dangling_or_cyclic_steps_is_rejected() -> None:
    p = plan(desired(level=0), EMPTY)
    data = json.loads(p.to_json())
    data["steps"][0]["depends_on"] = ["create:ghost"]
    with pytest.raises(ValueError, match="unknown"):
        Plan.from_json(json.dumps(data))
    data = json.loads(p.to_json())
    vol = next(s for s in data["steps"] if s["id"] == "create:vol[0]")
    vol["depends_on"] = ["create:mon"]  # mon -> app -> vdu -> vol -> mon
    with pytest.raises(ValueError, match="cycle"):
        Plan.from_json(json.dumps(data))


def test_plan_is_deterministic() -> None:
    observed = apply_sim(plan(desired(level=1), EMPTY), EMPTY)
    shuffled = ObservedState(dict(sorted(observed.resources.items(), reverse=True)))
    target = desired(level=3, generations={"vdu[0]": 2})
    a = plan(target, observed, service="s").to_json()
    b = plan(desired(level=3, generations={"vdu[0]": 2}), shuffled, service="s").to_json()
    assert a == b


def test_cyclic_desired_topology_cannot_be_planned() -> None:
    t = Topology("c")
    for n in ("a", "b"):
        t.add_node(Node(id=n, template=n, type="T", type_chain=("T",),
                        kind=ResourceKind.SOFTWARE))
    t.add_edge("a", "b", EdgeKind.DEPENDS_ON, "r")
    t.add_edge("b", "a", EdgeKind.DEPENDS_ON, "r")
    with pytest.raises(CycleError, match="a -> b -> a"):
        plan(t, EMPTY)


def test_restrict_keeps_only_the_given_nodes() -> None:
    observed = apply_sim(plan(desired(level=1), EMPTY), EMPTY)
    healing = plan(desired(level=1, generations={"vdu[1]": 1}), observed)
    only_cp = restrict(healing, ["cp[1]"])
    assert [c.node_id for c in only_cp.changes] == ["cp[1]"]
    assert [s.id for s in only_cp.steps] == ["delete:cp[1]", "create:cp[1]"]
    assert only_cp.step("create:cp[1]").depends_on == ("delete:cp[1]",)
    assert only_cp.base_fingerprint == healing.base_fingerprint
    assert only_cp.desired_fingerprint == healing.desired_fingerprint
    assert restrict(healing, []).is_empty()
    assert restrict(healing, [c.node_id for c in healing.changes]) == healing


def test_restrict_keeps_order_through_dropped_steps() -> None:
    fresh = plan(desired(level=0), EMPTY)
    # app[0] -> vdu[0] -> vol[0]: with vdu dropped, app still waits for vol
    cut = restrict(fresh, {"app[0]", "vol[0]"})
    assert [s.id for s in cut.steps] == ["create:vol[0]", "create:app[0]"]
    assert cut.step("create:app[0]").depends_on == ("create:vol[0]",)
    assert cut.waves() == [["create:vol[0]"], ["create:app[0]"]]


def test_value_types() -> None:
    assert [a.value for a in Action] == ["create", "update", "delete", "replace", "noop"]
    change = Change("n", Action.CREATE, "r", ResourceKind.SOFTWARE)
    assert Change.from_dict(json.loads(json.dumps(change.to_dict()))) == change
    step = Step(id="delete:n", node_id="n", op=StepOp.DELETE, kind=ResourceKind.PORT,
                depends_on=("delete:m",), key="k")
    assert Step.from_dict(json.loads(json.dumps(step.to_dict()))) == step


# -- properties ---------------------------------------------------------------------------


_PERTURBATIONS = st.sampled_from(["drop", "unhealthy", "failed", "pending_delete", "respec"])


@settings(max_examples=60, deadline=None)
@given(before=st.integers(0, 3), after=st.integers(0, 3),
       damage=st.dictionaries(st.sampled_from(
           ["net", "vdu[0]", "vdu[1]", "vol[0]", "cp[0]", "cp[1]", "app[0]", "app[1]", "mon"]),
           _PERTURBATIONS, max_size=4),
       healed=st.sets(st.sampled_from(["vdu[0]", "vdu[1]", "cp[0]", "net"]), max_size=2),
       terminate=st.booleans())
def test_applying_any_plan_converges(before: int, after: int, damage: dict[str, str],
                                     healed: set[str], terminate: bool) -> None:
    """From any (damaged) observed state, applying the plan reaches the desired state, the
    steps respect their dependencies (checked by apply_sim), deletes of dependents come
    first, and a re-plan is empty."""
    observed = apply_sim(plan(desired(level=before), EMPTY), EMPTY)
    resources = dict(observed.resources)
    for node_id, how in damage.items():
        if node_id not in resources:
            continue
        r = resources[node_id]
        if how == "drop":
            del resources[node_id]
        elif how == "unhealthy":
            resources[node_id] = dataclasses.replace(r, healthy=False)
        elif how == "failed":
            resources[node_id] = dataclasses.replace(r, state=RecordState.FAILED)
        elif how == "pending_delete":
            resources[node_id] = dataclasses.replace(r, state=RecordState.PENDING_DELETE)
        else:
            resources[node_id] = dataclasses.replace(r, spec_hash="stale")
    damaged = ObservedState(resources)
    target = (Topology("vnf") if terminate
              else desired(level=after, generations=dict.fromkeys(healed, 1)))

    p = plan(target, damaged)
    assert Plan.from_json(p.to_json()) == p

    deleted = {s.node_id for s in p.steps if s.op is StepOp.DELETE}
    position = {s.id: i for i, s in enumerate(p.steps)}
    for s in p.steps:
        if s.op is StepOp.DELETE:
            for other in deleted:
                if s.node_id in damaged.resources[other].depends_on and other != s.node_id:
                    assert position[f"delete:{other}"] < position[s.id]
        else:
            assert s.node is not None
            assert s.links == tuple(target.dependencies(s.node_id))
    final = apply_sim(p, damaged)
    assert sorted(final.resources) == sorted(n.id for n in target.nodes())
    for n in target.nodes():
        r = final.resources[n.id]
        assert r.spec_hash == n.spec_hash() and r.healthy and r.state is RecordState.CREATED
    assert plan(target, final).is_empty()


def _big_model(groups: int) -> ServiceModel:
    nodes: list[NodeTemplate] = []
    for g in range(groups):
        nodes += [
            tmpl(f"net{g}", VL),
            tmpl(f"vol{g}", VOL),
            tmpl(f"vdu{g}", VDU, ("storage", f"vol{g}", "tosca.relationships.nfv.AttachesTo")),
            tmpl(f"cp{g}", CP, ("binding", f"vdu{g}", "tosca.relationships.nfv.VirtualBindsTo"),
                 ("link", f"net{(g + 1) % groups}", "tosca.relationships.nfv.VirtualLinksTo")),
            tmpl(f"app{g}", APP, ("host", f"vdu{g}", "tosca.relationships.HostedOn")),
        ]
    return ServiceModel(
        name="big", tosca_version="1.3", source="big.yaml", nodes={n.name: n for n in nodes},
        aspects={"out": ScalingAspect(name="out", max_scale_level=50,
                                      deltas={f"vdu{g}": (1,) for g in range(groups)})})


def test_five_thousand_nodes_build_plan_and_heal() -> None:
    """Size check (timings are measured outside the tests): 50 groups x 25 instances x 4
    followed templates + 50 networks = 5,050 nodes."""
    model = _big_model(50)
    topo, diags = build_topology(model, scale_levels={"out": 24})
    assert diags == [] and len(topo) == 5050
    fresh = plan(topo, EMPTY)
    assert fresh.summary()["create"] == 5050
    assert len(fresh.waves()) == 3
    observed = apply_sim(fresh, EMPTY)
    healed, _ = build_topology(model, scale_levels={"out": 24}, generations={"vdu7[13]": 1})
    p = plan(healed, observed)
    assert actions(p) == dict.fromkeys(("vdu7[13]", "cp7[13]", "app7[13]"), Action.REPLACE)


def _two_net_topology(port_net: str, lb_depends_on: tuple[str, ...] = ()) -> Topology:
    t = Topology(name="svc")
    for nid, kind, typ in (("net1", ResourceKind.NETWORK, "tosca.nodes.network.Network"),
                           ("net2", ResourceKind.NETWORK, "tosca.nodes.network.Network"),
                           ("vm", ResourceKind.COMPUTE, "tosca.nodes.Compute"),
                           ("port", ResourceKind.PORT, "tosca.nodes.network.Port"),
                           ("lb", ResourceKind.COMPUTE, "tosca.nodes.Compute")):
        t.add_node(Node(id=nid, template=nid, type=typ, type_chain=(typ,), kind=kind))
    t.add_edge("port", "vm", EdgeKind.BINDS_TO, "binding")
    t.add_edge("port", port_net, EdgeKind.LINKS_TO, "link")
    for target in lb_depends_on:
        t.add_edge("lb", target, EdgeKind.DEPENDS_ON, "dependency")
    return t


def test_a_port_moved_to_another_network_is_replaced() -> None:
    observed = apply_sim(plan(_two_net_topology("net1"), EMPTY), EMPTY)
    p = plan(_two_net_topology("net2"), observed)
    assert actions(p) == {"port": Action.REPLACE}
    assert reasons(p)["port"] == "now requires net2"
    assert [s.id for s in p.steps] == ["delete:port", "create:port"]
    assert plan(_two_net_topology("net2"), apply_sim(p, observed)).is_empty()


def test_infrastructure_ignores_a_changed_plain_dependency() -> None:
    observed = apply_sim(plan(_two_net_topology("net1", ("vm",)), EMPTY), EMPTY)
    p = plan(_two_net_topology("net1", ("vm", "net2")), observed)
    assert actions(p) == {}  # a DependsOn only orders creation; the VM is not rebuilt
