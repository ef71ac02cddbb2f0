"""How big a simulated resource must be, read from the node's capabilities and properties.

Compute sizes come from either profile:

* SOL001 §6.8.x ``tosca.nodes.nfv.Vdu.Compute`` — capability ``virtual_compute``
  (``tosca.datatypes.nfv.VirtualCompute``: ``virtual_cpu.num_virtual_cpu``,
  ``virtual_memory.virtual_mem_size``, ``virtual_local_storage[].size_of_storage``) and the
  ``sw_image_data`` property's ``min_ram`` / ``min_disk``;
* TOSCA Simple Profile YAML 1.3 §5.9.2 ``tosca.nodes.Compute`` — capability ``host``
  (``tosca.capabilities.Compute``: ``num_cpus``, ``mem_size``, ``disk_size``).

A ``flavor`` property names a flavor directly. Otherwise the smallest configured flavor that
fits every need is chosen (fewest vCPUs, then least RAM, then least disk).

Volume sizes: TOSCA 1.3 §5.9.5 ``tosca.nodes.Storage.BlockStorage`` ``size``, or SOL001
``tosca.nodes.nfv.Vdu.VirtualBlockStorage`` ``virtual_block_storage_data.size_of_storage``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from netorch.drivers.vim.sim_settings import Flavor
from netorch.drivers.vim.sim_units import GIB, MIB, bytes_to_gib, bytes_to_mib, parse_size
from netorch.model.errors import PermanentError
from netorch.model.resources import CreateRequest

DEFAULT_VOLUME_GIB = 1


@dataclass(frozen=True, slots=True)
class ComputeNeeds:
    """The least a server must have; sizes in bytes."""

    vcpus: int = 1
    ram_bytes: int = 0
    disk_bytes: int = 0

    def describe(self) -> str:
        return (
            f"{self.vcpus} vCPU, {bytes_to_mib(self.ram_bytes)} MiB RAM, "
            f"{bytes_to_gib(self.disk_bytes)} GiB disk"
        )


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PermanentError(f"{what}: {value!r} is not a whole number")
    try:
        number = int(value)
    except ValueError as exc:
        raise PermanentError(f"{what}: {value!r} is not a whole number") from exc
    if number < 1:
        raise PermanentError(f"{what}: must be at least 1, got {number}")
    return number


def compute_needs(req: CreateRequest) -> ComputeNeeds:
    """What ``req`` (a compute node) asks for; the largest figure wins when several sources say."""
    vcpus, ram, disk = 1, 0, 0
    where = req.node_id

    vc = _mapping(req.capabilities.get("virtual_compute"))
    cpu = _mapping(vc.get("virtual_cpu"))
    if cpu.get("num_virtual_cpu") is not None:
        vcpus = max(vcpus, _count(cpu["num_virtual_cpu"], f"{where}: num_virtual_cpu"))
    mem = _mapping(vc.get("virtual_memory"))
    if mem.get("virtual_mem_size") is not None:
        ram = max(
            ram,
            parse_size(
                mem["virtual_mem_size"], default_unit="MiB", what=f"{where}: virtual_mem_size"
            ),
        )
    local = vc.get("virtual_local_storage")
    if isinstance(local, list):
        total = 0
        for item in local:
            size = _mapping(item).get("size_of_storage")
            if size is not None:
                total += parse_size(size, default_unit="GiB", what=f"{where}: size_of_storage")
        disk = max(disk, total)

    host = _mapping(req.capabilities.get("host"))
    if host.get("num_cpus") is not None:
        vcpus = max(vcpus, _count(host["num_cpus"], f"{where}: num_cpus"))
    if host.get("mem_size") is not None:
        ram = max(ram, parse_size(host["mem_size"], default_unit="MiB", what=f"{where}: mem_size"))
    if host.get("disk_size") is not None:
        disk = max(
            disk, parse_size(host["disk_size"], default_unit="GiB", what=f"{where}: disk_size")
        )

    image = _mapping(req.properties.get("sw_image_data"))
    if image.get("min_ram") is not None:
        ram = max(ram, parse_size(image["min_ram"], default_unit="MiB", what=f"{where}: min_ram"))
    if image.get("min_disk") is not None:
        disk = max(
            disk, parse_size(image["min_disk"], default_unit="GiB", what=f"{where}: min_disk")
        )
    return ComputeNeeds(vcpus=vcpus, ram_bytes=ram, disk_bytes=disk)


def fits(flavor: Flavor, needs: ComputeNeeds) -> bool:
    return (
        flavor.vcpus >= needs.vcpus
        and flavor.ram_mb * MIB >= needs.ram_bytes
        and flavor.disk_gb * GIB >= needs.disk_bytes
    )


def pick_flavor(req: CreateRequest, flavors: Mapping[str, Flavor]) -> tuple[str, Flavor]:
    """The flavor for ``req``: the one its ``flavor`` property names, else the smallest
    that fits."""
    named = req.properties.get("flavor")
    if isinstance(named, str) and named:
        flavor = flavors.get(named)
        if flavor is None:
            raise PermanentError(
                f"{req.node_id}: unknown flavor {named!r} (known: {', '.join(sorted(flavors))})"
            )
        return named, flavor
    needs = compute_needs(req)
    candidates = sorted(
        ((f.vcpus, f.ram_mb, f.disk_gb, name) for name, f in flavors.items() if fits(f, needs)),
    )
    if not candidates:
        largest = max(flavors.items(), key=lambda kv: (kv[1].vcpus, kv[1].ram_mb, kv[1].disk_gb))
        raise PermanentError(
            f"no flavor fits {req.node_id} ({needs.describe()}); largest is {largest[0]} "
            f"({largest[1].vcpus} vCPU, {largest[1].ram_mb} MiB RAM, {largest[1].disk_gb} GiB disk)"
        )
    name = candidates[0][3]
    return name, flavors[name]


def volume_size_gib(req: CreateRequest) -> int:
    """The size of a volume in whole GiB (rounded up), :data:`DEFAULT_VOLUME_GIB` if unspecified."""
    size = req.properties.get("size")
    if size is None:
        size = _mapping(req.properties.get("virtual_block_storage_data")).get("size_of_storage")
    if size is None:
        return DEFAULT_VOLUME_GIB
    gib = bytes_to_gib(parse_size(size, default_unit="GiB", what=f"{req.node_id}: volume size"))
    if gib < 1:
        raise PermanentError(f"{req.node_id}: volume size must be positive, got {size!r}")
    return gib
