"""The simulated VIM: resources, attributes, quotas, idempotency and injected faults."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from netorch.drivers.vim.base import VimDriver
from netorch.drivers.vim.sim import InjectedFaultError, SimVim
from netorch.model.errors import NotFoundError, PermanentError, TemporaryError
from netorch.model.resources import (
    CreateRequest,
    ResourceKind,
    ResourceRef,
    ResourceState,
    ResourceStatus,
)

T = TypeVar("T")


def run(coro: Awaitable[T]) -> T:
    async def wrap() -> T:
        return await coro

    return asyncio.run(wrap())


def make_vim(tmp_path: Path, env: dict[str, str] | None = None, **settings: Any) -> SimVim:
    config: dict[str, Any] = {"inventory": "sim.db", "latency_ms": 0, "jitter_ms": 0}
    config.update(settings)
    return SimVim("test-sim", config, tmp_path, env=env or {})


def req(
    key: str,
    kind: ResourceKind = ResourceKind.COMPUTE,
    *,
    name: str | None = None,
    node_id: str | None = None,
    properties: dict[str, Any] | None = None,
    capabilities: dict[str, dict[str, Any]] | None = None,
    links: dict[str, ResourceRef] | None = None,
) -> CreateRequest:
    return CreateRequest(
        key=key,
        kind=kind,
        name=name or key,
        service="svc",
        node_id=node_id or name or key,
        node_type="t",
        properties=properties or {},
        capabilities=capabilities or {},
        links=links or {},
    )


def host(cpus: int, mem: str = "1 GB") -> dict[str, dict[str, Any]]:
    return {"host": {"num_cpus": cpus, "mem_size": mem}}


def test_is_a_vim_driver(tmp_path: Path) -> None:
    vim = make_vim(tmp_path)
    assert isinstance(vim, VimDriver)
    assert ResourceKind.SOFTWARE not in vim.kinds
    with pytest.raises(PermanentError, match="cannot create software"):
        run(vim.create(req("s", ResourceKind.SOFTWARE)))


def test_network_port_compute_volume_attributes(tmp_path: Path) -> None:
    vim = make_vim(tmp_path)

    async def scenario() -> dict[str, ResourceState | None]:
        net = await vim.create(req("n1", ResourceKind.NETWORK, properties={"cidr": "192.0.2.0/24"}))
        auto = await vim.create(req("n2", ResourceKind.NETWORK))
        vol = await vim.create(req("v1", ResourceKind.VOLUME, properties={"size": "10 GiB"}))
        vm = await vim.create(req("c1", capabilities=host(2, "4 GB"), links={"disk": vol.ref}))
        p1 = await vim.create(req("p1", ResourceKind.PORT, links={"vm": vm.ref, "net": net.ref}))
        p2 = await vim.create(
            req(
                "p2",
                ResourceKind.PORT,
                properties={"ip_address": "192.0.2.50"},
                links={"vm": vm.ref, "net": net.ref},
            )
        )
        return {
            "net": net,
            "auto": auto,
            "vol": vol,
            "p1": p1,
            "p2": p2,
            "vm": await vim.read(vm.ref),
        }

    got = run(scenario())
    net, auto, vol, p1, p2, vm = (got[k] for k in ("net", "auto", "vol", "p1", "p2", "vm"))
    assert net is not None and auto is not None and vol is not None
    assert p1 is not None and p2 is not None and vm is not None
    for state in got.values():
        assert state is not None
        assert state.status == ResourceStatus.ACTIVE
        assert state.vim_id and len(state.vim_id) == 36
    assert len({s.vim_id for s in got.values() if s is not None}) == len(got)
    assert net.attributes["cidr"] == "192.0.2.0/24"
    assert net.attributes["gateway_ip"] == "192.0.2.1"
    assert auto.attributes["cidr"].startswith("10.") and auto.attributes["cidr"].endswith("/24")
    assert vol.attributes["size_gb"] == 10
    assert p1.attributes["ip_address"] == "192.0.2.2"  # .1 is the gateway
    assert p2.attributes["ip_address"] == "192.0.2.50"
    assert p1.attributes["mac_address"].startswith("fa:16:3e:")
    assert p1.attributes["network_id"] == net.vim_id
    attrs = vm.attributes
    assert attrs["flavor"] == "m1.medium"
    assert attrs["private_address"] == "192.0.2.2"
    assert attrs["public_address"].startswith("198.1")
    assert attrs["networks"][net.name]["addresses"] == ["192.0.2.2", "192.0.2.50"]
    assert attrs["networks"][net.name]["network_id"] == net.vim_id
    assert set(attrs["ports"]) == {"p1", "p2"}
    assert attrs["volumes"] == [vol.vim_id]


def test_compute_without_ports_has_a_default_address(tmp_path: Path) -> None:
    vim = make_vim(tmp_path)
    a = run(vim.create(req("a")))
    b = run(vim.create(req("b")))
    assert a.attributes["private_address"] != b.attributes["private_address"]
    assert a.attributes["private_address"].startswith("172.16.")
    assert a.attributes["public_address"] != b.attributes["public_address"]


def test_port_addresses_are_reused_after_delete_and_pool_exhausts(tmp_path: Path) -> None:
    vim = make_vim(tmp_path)

    async def scenario() -> None:
        net = await vim.create(req("n", ResourceKind.NETWORK, properties={"cidr": "10.9.0.0/29"}))
        # /29: .1 gateway, .2-.6 usable (5 ports)
        ports = [
            await vim.create(req(f"p{i}", ResourceKind.PORT, links={"n": net.ref}))
            for i in range(5)
        ]
        assert [p.attributes["ip_address"] for p in ports] == [f"10.9.0.{i}" for i in range(2, 7)]
        with pytest.raises(PermanentError, match="no free address"):
            await vim.create(req("p5", ResourceKind.PORT, links={"n": net.ref}))
        with pytest.raises(TemporaryError, match="in use by 5 port"):
            await vim.delete(net.ref)
        await vim.delete(ports[2].ref)
        again = await vim.create(req("p6", ResourceKind.PORT, links={"n": net.ref}))
        assert again.attributes["ip_address"] == "10.9.0.4"
        with pytest.raises(PermanentError, match="already in use"):
            await vim.create(
                req(
                    "p7",
                    ResourceKind.PORT,
                    properties={"ip_address": "10.9.0.2"},
                    links={"n": net.ref},
                )
            )

    run(scenario())


def test_port_on_missing_network_is_permanent(tmp_path: Path) -> None:
    vim = make_vim(tmp_path)
    ghost = ResourceRef(key="ghost", kind=ResourceKind.NETWORK)
    with pytest.raises(PermanentError, match="linked network 'ghost' does not exist"):
        run(vim.create(req("p", ResourceKind.PORT, links={"n": ghost})))
    assert run(vim.list()) == []


def test_create_is_idempotent_on_key(tmp_path: Path) -> None:
    vim = make_vim(tmp_path)
    first = run(vim.create(req("k", capabilities=host(2))))
    second = run(vim.create(req("k", capabilities=host(2))))
    assert second.vim_id == first.vim_id
    assert len(run(vim.list())) == 1
    usage = vim.usage()
    assert usage["instances"] == 1
    assert usage["vcpus"] == 2


def test_delete_is_idempotent_and_read_returns_none(tmp_path: Path) -> None:
    vim = make_vim(tmp_path)
    state = run(vim.create(req("k")))
    run(vim.delete(state.ref))
    assert run(vim.read(state.ref)) is None
    run(vim.delete(state.ref))
    run(vim.delete(ResourceRef(key="never", kind=ResourceKind.PORT)))
    assert run(vim.list()) == []
    assert vim.usage()["instances"] == 0


def test_read_and_delete_fall_back_to_vim_id(tmp_path: Path) -> None:
    vim = make_vim(tmp_path)
    state = run(vim.create(req("k")))
    other_key = ResourceRef(key="unknown", kind=ResourceKind.COMPUTE, vim_id=state.vim_id)
    found = run(vim.read(other_key))
    assert found is not None and found.key == "k"
    run(vim.delete(other_key))
    assert run(vim.list()) == []


def test_quotas_are_enforced_over_the_inventory(tmp_path: Path) -> None:
    vim = make_vim(tmp_path, quotas={"instances": 3, "vcpus": 5, "networks": 1, "volume_gb": 15})

    async def scenario() -> None:
        await vim.create(req("a", capabilities=host(2)))
        await vim.create(req("b", capabilities=host(2)))
        with pytest.raises(PermanentError, match=r"quota exceeded: vcpus 6 > 5"):
            await vim.create(req("c", capabilities=host(2)))
        await vim.create(req("d", capabilities=host(1)))
        with pytest.raises(PermanentError, match=r"quota exceeded: instances 4 > 3"):
            await vim.create(req("e", capabilities=host(1)))
        await vim.create(req("n1", ResourceKind.NETWORK))
        with pytest.raises(PermanentError, match=r"quota exceeded: networks 2 > 1"):
            await vim.create(req("n2", ResourceKind.NETWORK))
        await vim.create(req("v1", ResourceKind.VOLUME, properties={"size": "10 GiB"}))
        with pytest.raises(PermanentError, match=r"quota exceeded: volume_gb 16 > 15"):
            await vim.create(req("v2", ResourceKind.VOLUME, properties={"size": "6 GiB"}))
        # Deleting frees quota.
        await vim.delete(ResourceRef(key="a", kind=ResourceKind.COMPUTE))
        await vim.create(req("c", capabilities=host(2)))

    run(scenario())
    keys = sorted(s.key for s in run(vim.list()))
    assert keys == ["b", "c", "d", "n1", "v1"]
    assert vim.usage() == {
        "instances": 3,
        "vcpus": 5,
        "ram_mb": 2 * 4096 + 2048,  # two m1.medium, one m1.small
        "networks": 1,
        "ports": 0,
        "volumes": 1,
        "volume_gb": 10,
    }


def test_no_flavor_fits_creates_nothing(tmp_path: Path) -> None:
    vim = make_vim(tmp_path)
    with pytest.raises(PermanentError, match="no flavor fits"):
        run(vim.create(req("big", capabilities=host(128))))
    assert run(vim.list()) == []


def _collect_faults(
    vim: SimVim, attempt: Callable[[int], Awaitable[object]], count: int
) -> list[str | None]:
    async def scenario() -> list[str | None]:
        phases: list[str | None] = []
        for i in range(count):
            try:
                await attempt(i)
                phases.append(None)
            except InjectedFaultError as exc:
                phases.append(exc.phase)
        return phases

    return run(scenario())


def test_failure_injection_before_and_after(tmp_path: Path) -> None:
    faulty = make_vim(tmp_path, failure_rate=1.0, failure_seed=7)
    clean = make_vim(tmp_path)  # same inventory, no faults

    phases = _collect_faults(faulty, lambda i: faulty.create(req(f"k{i}")), 20)
    assert None not in phases  # rate 1.0: every call fails
    assert {"before", "after"} <= set(phases)
    listed = {s.key: s for s in run(clean.list())}
    for i, phase in enumerate(phases):
        # "after": the VIM made it although the call failed; "before": nothing was made.
        assert (f"k{i}" in listed) is (phase == "after")

    after_key = f"k{phases.index('after')}"
    again = run(clean.create(req(after_key)))
    assert again.vim_id == listed[after_key].vim_id
    assert len(run(clean.list())) == phases.count("after")
    assert clean.usage()["instances"] == phases.count("after")


def test_failure_injection_is_reproducible_with_a_seed(tmp_path: Path) -> None:
    a = make_vim(tmp_path / "a", failure_rate=0.5, failure_seed=42)
    b = make_vim(tmp_path / "b", failure_rate=0.5, failure_seed=42)
    pa = _collect_faults(a, lambda i: a.create(req(f"k{i}")), 40)
    pb = _collect_faults(b, lambda i: b.create(req(f"k{i}")), 40)
    assert pa == pb
    assert None in pa and "before" in pa and "after" in pa


def test_delete_failure_after_commit_really_deleted(tmp_path: Path) -> None:
    clean = make_vim(tmp_path)
    for i in range(10):
        run(clean.create(req(f"k{i}")))
    faulty = make_vim(tmp_path, failure_rate=1.0, failure_seed=3)
    phases = _collect_faults(
        faulty, lambda i: faulty.delete(ResourceRef(f"k{i}", ResourceKind.COMPUTE)), 10
    )
    remaining = {s.key for s in run(clean.list())}
    assert remaining == {f"k{i}" for i, p in enumerate(phases) if p == "before"}
    assert "after" in phases and "before" in phases


def test_fail_permanently_creates_nothing(tmp_path: Path) -> None:
    vim = make_vim(tmp_path, fail_permanently=["web*[2]"])
    run(vim.create(req("k1", name="web_vdu[1]")))
    with pytest.raises(PermanentError, match=r"injected permanent failure.*web\*\[2\]"):
        run(vim.create(req("k2", name="web_vdu[2]")))
    assert [s.name for s in run(vim.list())] == ["web_vdu[1]"]


def test_dies_after_time(tmp_path: Path) -> None:
    vim = make_vim(tmp_path, dies=[{"match": "upf[0]", "after_s": 0.15}])
    upf0 = run(vim.create(req("u0", name="upf[0]")))
    upf1 = run(vim.create(req("u1", name="upf[1]")))
    assert upf0.status == ResourceStatus.ACTIVE
    time.sleep(0.2)
    dead = run(vim.read(upf0.ref))
    alive = run(vim.read(upf1.ref))
    assert dead is not None and dead.status == ResourceStatus.ERROR
    assert dead.error and "died" in dead.error
    assert alive is not None and alive.status == ResourceStatus.ACTIVE
    statuses = {s.key: s.status for s in run(vim.list())}
    assert statuses == {"u0": ResourceStatus.ERROR, "u1": ResourceStatus.ACTIVE}


def test_kill_marks_error_now(tmp_path: Path) -> None:
    vim = make_vim(tmp_path)
    a = run(vim.create(req("ka", name="vnfc-a")))
    b = run(vim.create(req("kb", name="vnfc-b")))
    run(vim.kill("vnfc-a"))
    run(vim.kill("kb"))
    for ref in (a.ref, b.ref):
        state = run(vim.read(ref))
        assert state is not None and state.status == ResourceStatus.ERROR
        assert state.error and "killed" in state.error
    with pytest.raises(NotFoundError):
        run(vim.kill("nothing-like-this"))
    # ERROR resources are still listed and idempotent create returns them as they are.
    assert len(run(vim.list())) == 2
    assert run(vim.create(req("ka", name="vnfc-a"))).status == ResourceStatus.ERROR


def test_latency_is_applied_without_blocking_the_loop(tmp_path: Path) -> None:
    vim = make_vim(tmp_path, latency_ms=50)

    async def scenario() -> float:
        start = time.perf_counter()
        await asyncio.gather(*(vim.create(req(f"k{i}")) for i in range(10)))
        return time.perf_counter() - start

    elapsed = run(scenario())
    # Ten concurrent calls of 50 ms each overlap: far less than 10 x 50 ms.
    assert 0.05 <= elapsed < 0.3


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    env = {"NETORCH_SIM_LATENCY_MS": "7", "NETORCH_SIM_FAILURE_RATE": "0.25"}
    vim = make_vim(tmp_path, env=env, latency_ms=100, failure_rate=0.0)
    assert vim.settings.latency_ms == 7
    assert vim.settings.failure_rate == 0.25
    with pytest.raises(PermanentError, match=r"failure_rate \(from \$NETORCH_SIM_FAILURE_RATE\)"):
        make_vim(tmp_path, env={"NETORCH_SIM_FAILURE_RATE": "2"})


def test_environment_override_via_process_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETORCH_SIM_LATENCY_MS", "60")
    vim = SimVim("s", {"inventory": "x.db", "latency_ms": 0, "jitter_ms": 0}, tmp_path)
    start = time.perf_counter()
    run(vim.list())
    assert time.perf_counter() - start >= 0.05


def test_sol001_virtual_link_cidr_and_ipv6(tmp_path: Path) -> None:
    vim = make_vim(tmp_path)
    vl_profile = {
        "virtual_link_protocol_data": [
            {"associated_layer_protocol": "ipv4", "l3_protocol_data": {"cidr": "10.77.0.0/24"}}
        ]
    }
    vl = run(vim.create(req("vl", ResourceKind.NETWORK, properties={"vl_profile": vl_profile})))
    assert vl.attributes["cidr"] == "10.77.0.0/24"
    v6 = run(vim.create(req("v6", ResourceKind.NETWORK, properties={"cidr": "2001:db8::/64"})))
    port = run(vim.create(req("p", ResourceKind.PORT, links={"n": v6.ref})))
    assert port.attributes["ip_address"] == "2001:db8::2"
    with pytest.raises(PermanentError, match="invalid cidr"):
        run(vim.create(req("bad", ResourceKind.NETWORK, properties={"cidr": "10.0.0.300/24"})))


def test_deleting_a_server_detaches_its_ports(tmp_path: Path) -> None:
    vim = make_vim(tmp_path)

    async def scenario() -> None:
        net = await vim.create(req("n", ResourceKind.NETWORK))
        vm = await vim.create(req("vm"))
        port = await vim.create(req("p", ResourceKind.PORT, links={"vm": vm.ref, "n": net.ref}))
        await vim.delete(vm.ref)
        left = await vim.read(port.ref)
        assert left is not None and left.attributes["ip_address"] == port.attributes["ip_address"]
        replacement = await vim.create(req("vm2"))
        assert replacement.attributes["ports"] == {}
        await vim.delete(port.ref)
        await vim.delete(net.ref)  # no longer in use
        assert [s.key for s in await vim.list()] == ["vm2"]

    run(scenario())
