"""The sim VIM places every server on a simulated host and honours affinity / anti-affinity rules
(SOL001 §6.10 AffinityRule / AntiAffinityRule, TOSCA 1.3 §5.11.2 Placement)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import pytest

from netorch.drivers.vim.sim import SimVim
from netorch.model.errors import PermanentError
from netorch.model.resources import CreateRequest, ResourceKind, ResourceRef, ResourceState

T = TypeVar("T")

ANTI = "anti-affinity:host:apart"
TOGETHER = "affinity:host:together"


def run(coro: Awaitable[T]) -> T:
    async def wrap() -> T:
        return await coro

    return asyncio.run(wrap())


def make_vim(tmp_path: Path, **settings: Any) -> SimVim:
    config: dict[str, Any] = {"inventory": "sim.db", "latency_ms": 0, "jitter_ms": 0}
    config.update(settings)
    return SimVim("test-sim", config, tmp_path, env={})


def vm(key: str, *rules: str, service: str = "svc") -> CreateRequest:
    return CreateRequest(key=key, kind=ResourceKind.COMPUTE, name=key, service=service,
                         node_id=key, node_type="tosca.nodes.Compute", placement=rules)


def create(vim: SimVim, *reqs: CreateRequest) -> list[ResourceState]:
    async def scenario() -> list[ResourceState]:
        return [await vim.create(r) for r in reqs]

    return run(scenario())


def host_of(state: ResourceState) -> str:
    host = state.attributes["host"]
    assert isinstance(host, str)
    return host


def test_anti_affinity_spreads_until_the_hosts_run_out(tmp_path: Path) -> None:
    vim = make_vim(tmp_path)  # default: 8 hosts
    # fillers without rules first, so "least loaded" alone would not keep the group apart
    create(vim, vm("f0"), vm("f1"), vm("f2"))
    members = create(vim, *(vm(f"m{i}", ANTI) for i in range(8)))
    assert len({host_of(s) for s in members}) == 8
    assert {host_of(s) for s in members} == {f"host-{i}" for i in range(8)}
    assert all(s.attributes["placement"] == [ANTI] for s in members)
    with pytest.raises(PermanentError,
                       match=r"m8: anti-affinity group apart \(scope host\): 9 members cannot "
                             r"fit on 8 hosts"):
        create(vim, vm("m8", ANTI))
    assert "m8" not in {s.key for s in run(vim.list())}
    assert vim.usage()["instances"] == 11
    run(vim.close())


def test_servers_without_rules_spread_to_the_least_loaded_host(tmp_path: Path) -> None:
    vim = make_vim(tmp_path, hosts=3, zones=1)
    states = create(vim, *(vm(f"v{i}") for i in range(7)))
    counts: dict[str, int] = {}
    for s in states:
        counts[host_of(s)] = counts.get(host_of(s), 0) + 1
        assert s.attributes["zone"] == "zone-0" and "placement" not in s.attributes
    assert counts == {"host-0": 3, "host-1": 2, "host-2": 2}
    run(vim.close())


def test_affinity_co_locates_with_the_first_member(tmp_path: Path) -> None:
    vim = make_vim(tmp_path, hosts=4)
    first = create(vim, vm("f0"), vm("t0", TOGETHER))[1]
    assert host_of(first) == "host-1"  # least loaded when it came
    rest = create(vim, vm("f1"), vm("t1", TOGETHER), vm("f2"), vm("t2", TOGETHER))
    assert host_of(rest[1]) == host_of(rest[3]) == "host-1"
    assert host_of(rest[0]) != "host-1" and host_of(rest[2]) != "host-1"
    run(vim.close())


def test_rules_are_per_service(tmp_path: Path) -> None:
    vim = make_vim(tmp_path, hosts=2)
    create(vim, vm("a0", ANTI, service="s1"), vm("a1", ANTI, service="s1"))
    with pytest.raises(PermanentError, match="3 members cannot fit on 2 hosts"):
        create(vim, vm("a2", ANTI, service="s1"))
    # another service's policy of the same name is another group
    other = create(vim, vm("b0", ANTI, service="s2"), vm("b1", ANTI, service="s2"))
    assert {host_of(s) for s in other} == {"host-0", "host-1"}
    run(vim.close())


def test_zone_scope(tmp_path: Path) -> None:
    vim = make_vim(tmp_path, hosts=6, zones=3)
    rule = "anti-affinity:zone:zones_apart"
    states = create(vim, *(vm(f"z{i}", rule) for i in range(3)))
    assert sorted(s.attributes["zone"] for s in states) == ["zone-0", "zone-1", "zone-2"]
    for s in states:  # host i is in zone i % zones
        assert s.attributes["zone"] == f"zone-{int(host_of(s).split('-')[1]) % 3}"
    with pytest.raises(PermanentError,
                       match=r"anti-affinity group zones_apart \(scope zone\): 4 members "
                             r"cannot fit in 3 zones"):
        create(vim, vm("z3", rule))
    near = create(vim, vm("n0", "affinity:zone:near"), vm("n1", "affinity:zone:near"),
                  vm("n2", "affinity:zone:near"))
    assert len({s.attributes["zone"] for s in near}) == 1
    assert len({host_of(s) for s in near}) > 1  # same zone, still spread over its hosts
    run(vim.close())


def test_site_wide_anti_affinity_has_room_for_one(tmp_path: Path) -> None:
    vim = make_vim(tmp_path)
    create(vim, vm("r0", "anti-affinity:region:one_per_region"))
    with pytest.raises(PermanentError, match=r"2 members cannot fit in 1 region"):
        create(vim, vm("r1", "anti-affinity:region:one_per_region"))
    run(vim.close())


def test_conflicting_rules_and_malformed_rules(tmp_path: Path) -> None:
    vim = make_vim(tmp_path, hosts=3)
    create(vim, vm("a", TOGETHER, ANTI))
    with pytest.raises(PermanentError, match=r"b: no host satisfies all of its placement rules"):
        create(vim, vm("b", TOGETHER, ANTI))
    with pytest.raises(PermanentError, match="malformed placement rule"):
        create(vim, vm("c", "apart"))
    with pytest.raises(PermanentError, match="does not know scope 'rack'"):
        create(vim, vm("d", "anti-affinity:rack:p"))
    with pytest.raises(PermanentError, match="kind must be"):
        create(vim, vm("e", "repel:host:p"))
    assert {s.key for s in run(vim.list())} == {"a"}
    run(vim.close())


def test_delete_frees_the_slot_and_create_stays_idempotent(tmp_path: Path) -> None:
    vim = make_vim(tmp_path, hosts=2)
    a, b = create(vim, vm("a", ANTI), vm("b", ANTI))
    again = create(vim, vm("a", ANTI))[0]
    assert host_of(again) == host_of(a) and again.vim_id == a.vim_id
    with pytest.raises(PermanentError, match="3 members cannot fit on 2 hosts"):
        create(vim, vm("c", ANTI))
    run(vim.delete(ResourceRef("a", ResourceKind.COMPUTE)))
    c = create(vim, vm("c", ANTI))[0]
    assert host_of(c) == host_of(a)
    read = run(vim.read(ResourceRef("c", ResourceKind.COMPUTE)))
    assert read is not None and read.attributes["host"] == host_of(a)
    assert read.attributes["zone"] == c.attributes["zone"]
    listed = {s.key: s.attributes["host"] for s in run(vim.list())}
    assert listed == {"b": host_of(b), "c": host_of(a)}
    run(vim.close())


def test_only_servers_are_placed(tmp_path: Path) -> None:
    vim = make_vim(tmp_path, hosts=1)
    net = CreateRequest(key="n", kind=ResourceKind.NETWORK, name="n", service="svc",
                        node_id="n", node_type="tosca.nodes.network.Network", placement=(ANTI,))
    # two networks with an anti-affinity rule on one host: the rule is not a server's
    states = create(vim, net, replace(net, key="n2", name="n2", node_id="n2"))
    assert all("host" not in s.attributes for s in states)
    run(vim.close())


def test_an_inventory_from_before_placement_keeps_working(tmp_path: Path) -> None:
    vim = make_vim(tmp_path, hosts=2)
    create(vim, vm("old"))
    run(vim.close())
    with sqlite3.connect(tmp_path / "sim.db") as conn:
        conn.execute("DROP TABLE placements")
        conn.execute("DROP TABLE placement_rules")
    vim = make_vim(tmp_path, hosts=2)
    states = create(vim, vm("x", ANTI), vm("y", ANTI))
    assert {host_of(s) for s in states} == {"host-0", "host-1"}
    run(vim.delete(ResourceRef("old", ResourceKind.COMPUTE)))
    assert {s.key for s in run(vim.list())} == {"x", "y"}
    run(vim.close())


def test_hosts_and_zones_settings_are_validated(tmp_path: Path) -> None:
    with pytest.raises(PermanentError, match="hosts"):
        make_vim(tmp_path, hosts=0)
    with pytest.raises(PermanentError, match="zones"):
        make_vim(tmp_path, zones=0)
