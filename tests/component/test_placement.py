"""Placement end to end: a template's anti-affinity policy reaches the sim VIM through the
lifecycle, and the operator sees where each VM landed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from helpers import REPO
from netorch.model.operations import OpState, StepState
from netorch.model.resources import ResourceKind, ResourceState
from netorch.services.lifecycle import Lifecycle

MakeLc = Callable[..., Lifecycle]

SLICE = REPO / "service-templates" / "5g-upf-slice.yaml"
RULE = "anti-affinity:host:upf_anti_affinity"


def vim_computes(lc: Lifecycle) -> dict[str, ResourceState]:
    async def run() -> dict[str, ResourceState]:
        async with lc.ctx.vim(None) as vim:
            return {s.key: s for s in await vim.list() if s.kind is ResourceKind.COMPUTE}

    return asyncio.run(run())


def test_the_two_upf_vms_of_the_5g_slice_land_on_different_hosts(make_lc: MakeLc) -> None:
    lc = make_lc(hosts=2)
    op = lc.instantiate(SLICE, "slice")
    assert op.state is OpState.COMPLETED, op.error
    records = {r.node_id: r for r in lc.store.resources("slice")}
    upf1, upf2, smf = records["upf1_vm"], records["upf2_vm"], records["smf_vm"]
    # what the VIM says, not only what the store recorded
    computes = vim_computes(lc)
    assert computes[upf1.key].attributes["host"] != computes[upf2.key].attributes["host"]
    assert computes[upf1.key].attributes["placement"] == [RULE]
    assert computes[upf2.key].attributes["placement"] == [RULE]
    assert "placement" not in computes[smf.key].attributes
    # the store's records show the host too (status / status --json)
    assert upf1.attributes["host"] == computes[upf1.key].attributes["host"]
    assert upf2.attributes["host"] == computes[upf2.key].attributes["host"]

    # a second slice is another group: its UPFs may reuse the hosts of the first one
    op = lc.instantiate(SLICE, "slice2", inputs={"n3_cidr": "10.13.0.0/24",
                                                 "n4_cidr": "10.14.0.0/24",
                                                 "n6_cidr": "10.16.0.0/24"})
    assert op.state is OpState.COMPLETED, op.error


def test_a_slice_that_cannot_be_kept_apart_fails_with_the_reason(make_lc: MakeLc) -> None:
    lc = make_lc(hosts=1)
    op = lc.instantiate(SLICE, "slice")
    assert op.state is OpState.FAILED_TEMP
    failed = [s for s in lc.op(op.id).steps if s.state is StepState.FAILED]
    assert [s.step_id for s in failed] in (["create:upf1_vm"], ["create:upf2_vm"])
    assert failed[0].error is not None
    assert ("anti-affinity group upf_anti_affinity (scope host): 2 members cannot fit on 1 host"
            in failed[0].error)
    # the operator adds a hypervisor and resumes: the missing UPF goes to the new host
    lc = make_lc(hosts=2)
    done = lc.resume(op.id)
    assert done.state is OpState.COMPLETED, done.error
    computes = vim_computes(lc)
    records = {r.node_id: r for r in lc.store.resources("slice")}
    hosts = {computes[records[n].key].attributes["host"] for n in ("upf1_vm", "upf2_vm")}
    assert hosts == {"host-0", "host-1"}
