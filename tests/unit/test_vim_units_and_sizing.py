"""TOSCA scalar-unit.size parsing and flavor selection of the sim VIM."""

from __future__ import annotations

from typing import Any

import pytest

from netorch.drivers.vim.sim import pattern_matches
from netorch.drivers.vim.sim_settings import Flavor, default_flavors
from netorch.drivers.vim.sim_sizing import compute_needs, pick_flavor, volume_size_gib
from netorch.drivers.vim.sim_units import GIB, MIB, parse_size
from netorch.model.errors import PermanentError
from netorch.model.resources import CreateRequest, ResourceKind


def _req(
    kind: ResourceKind = ResourceKind.COMPUTE,
    *,
    properties: dict[str, Any] | None = None,
    capabilities: dict[str, dict[str, Any]] | None = None,
) -> CreateRequest:
    return CreateRequest(
        key="k",
        kind=kind,
        name="vdu",
        service="svc",
        node_id="vdu",
        node_type="t",
        properties=properties or {},
        capabilities=capabilities or {},
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 GB", 2_000_000_000),
        ("512 MB", 512_000_000),
        ("1 GiB", GIB),
        ("512MiB", 512 * MIB),
        ("1.5 kB", 1500),
        ("3 b", 3),
        ("2 gb", 2_000_000_000),
        ("1 TiB", 1024 * GIB),
        (" 0.5 GiB ", GIB // 2),
    ],
)
def test_parse_size_units(text: str, expected: int) -> None:
    assert parse_size(text) == expected


def test_parse_size_bare_number_uses_default_unit() -> None:
    assert parse_size(4096, default_unit="MiB") == 4096 * MIB
    assert parse_size("20", default_unit="GiB") == 20 * GIB


@pytest.mark.parametrize("bad", ["two GB", "2 XB", "", "GB", True, None, [1], "-1 GB"])
def test_parse_size_rejects_garbage(bad: object) -> None:
    with pytest.raises(PermanentError, match="mem"):
        parse_size(bad, what="mem")


FLAVORS = {
    "big": Flavor(vcpus=8, ram_mb=16384, disk_gb=160),
    "small": Flavor(vcpus=1, ram_mb=2048, disk_gb=20),
    "medium": Flavor(vcpus=2, ram_mb=4096, disk_gb=40),
    "ramheavy": Flavor(vcpus=2, ram_mb=32768, disk_gb=40),
}


def test_sol001_virtual_compute_picks_smallest_fitting_flavor() -> None:
    req = _req(
        capabilities={
            "virtual_compute": {
                "virtual_cpu": {"num_virtual_cpu": 2},
                "virtual_memory": {"virtual_mem_size": "4 GB"},
            }
        }
    )
    assert pick_flavor(req, FLAVORS)[0] == "medium"


def test_tosca_host_capability_and_disk() -> None:
    req = _req(capabilities={"host": {"num_cpus": 1, "mem_size": "2 GB", "disk_size": "30 GB"}})
    # 30 GB of disk does not fit "small" (20 GiB), so the next one up is chosen.
    assert pick_flavor(req, FLAVORS)[0] == "medium"


def test_gib_memory_exactly_fits() -> None:
    req = _req(capabilities={"host": {"mem_size": "4 GiB"}})
    assert pick_flavor(req, FLAVORS)[0] == "medium"
    req = _req(capabilities={"host": {"mem_size": "4097 MiB"}})
    # Fewest vCPUs first, then least RAM: 2 vCPU / 32 GiB beats 8 vCPU / 16 GiB.
    assert pick_flavor(req, FLAVORS)[0] == "ramheavy"


def test_memory_heavy_request_gets_the_ram_heavy_flavor() -> None:
    req = _req(capabilities={"host": {"num_cpus": 2, "mem_size": "20 GiB"}})
    assert pick_flavor(req, FLAVORS)[0] == "ramheavy"


def test_no_requirements_gets_the_smallest_flavor() -> None:
    assert pick_flavor(_req(), FLAVORS)[0] == "small"
    assert pick_flavor(_req(), default_flavors())[0] == "m1.tiny"


def test_image_minimums_raise_the_needs() -> None:
    req = _req(properties={"sw_image_data": {"min_disk": "100 GB", "min_ram": "1 GB"}})
    needs = compute_needs(req)
    assert needs.disk_bytes == 100 * 10**9
    assert pick_flavor(req, FLAVORS)[0] == "big"


def test_no_flavor_fits_is_permanent() -> None:
    req = _req(capabilities={"host": {"num_cpus": 64}})
    with pytest.raises(PermanentError, match=r"no flavor fits vdu .*64 vCPU"):
        pick_flavor(req, FLAVORS)


def test_named_flavor_property() -> None:
    assert pick_flavor(_req(properties={"flavor": "big"}), FLAVORS)[0] == "big"
    with pytest.raises(PermanentError, match="unknown flavor 'huge'"):
        pick_flavor(_req(properties={"flavor": "huge"}), FLAVORS)


def test_bad_cpu_count_is_permanent() -> None:
    with pytest.raises(PermanentError, match="num_cpus"):
        compute_needs(_req(capabilities={"host": {"num_cpus": "many"}}))
    with pytest.raises(PermanentError, match="at least 1"):
        compute_needs(_req(capabilities={"host": {"num_cpus": 0}}))


def test_volume_sizes() -> None:
    assert volume_size_gib(_req(ResourceKind.VOLUME, properties={"size": "10 GiB"})) == 10
    # 10 GB = 9.31 GiB, rounded up.
    assert volume_size_gib(_req(ResourceKind.VOLUME, properties={"size": "10 GB"})) == 10
    sol001 = {"virtual_block_storage_data": {"size_of_storage": "5 GiB"}}
    assert volume_size_gib(_req(ResourceKind.VOLUME, properties=sol001)) == 5
    assert volume_size_gib(_req(ResourceKind.VOLUME)) == 1


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("web*[2]", "web_vdu[2]", True),
        ("web*[2]", "web_vdu[1]", False),
        ("upf[0]", "upf[0]", True),
        ("upf[0]", "upf[1]", False),
        ("upf[0]", "upf0", True),  # plain fnmatch reading still applies
        ("db*", "db", True),
        ("db*", "web", False),
    ],
)
def test_pattern_matching(pattern: str, value: str, matches: bool) -> None:
    assert pattern_matches(pattern, value) is matches
