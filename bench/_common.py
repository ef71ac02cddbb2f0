"""Shared helpers of the benchmarks: generated TOSCA 1.3 service templates, logging, output.

The templates are generated here, from scratch, so a benchmark can choose its size. Their shape
follows a typical multi-tier service (TOSCA Simple Profile YAML 1.3 §5.9 node types, §8.5
networking, §5.7 relationships):

* a few tenant networks (``tosca.nodes.network.Network``, CIDR from ``get_input``);
* tiers of ``tosca.nodes.Compute`` (sizes from ``get_input``), each VM with one
  ``tosca.nodes.network.Port`` bound to it (``BindsTo``) and linked to its tier's network
  (``LinksTo``);
* ``DependsOn`` between tiers: every VM of tier *k* depends on one VM of tier *k + 1* (so the
  dependency chains are as long as there are tiers);
* a software component ``HostedOn`` some of the VMs;
* a few ``tosca.nodes.BlockStorage`` volumes (the name tosca-parser knows) attached
  (``AttachesTo``) to VMs of the last tier.
"""

from __future__ import annotations

import json
import logging
import statistics
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

log = logging.getLogger("bench")

TIER_NAMES = ("edge", "web", "app", "cache", "db")
TIER_WEIGHTS = (0.05, 0.35, 0.30, 0.10, 0.20)
"""Share of the VMs in each tier (front to back)."""


@dataclass(frozen=True, slots=True)
class TemplateShape:
    """How a generated template is built; ``node_count`` says how many node templates it has."""

    computes: int
    networks: int = 4
    volumes: int = 20
    software: int = -1
    """Software components; -1: one on every other VM."""

    @property
    def software_count(self) -> int:
        return self.computes // 2 if self.software < 0 else self.software

    @property
    def node_count(self) -> int:
        return self.networks + self.volumes + 2 * self.computes + self.software_count

    @classmethod
    def with_nodes(cls, nodes: int, *, networks: int = 4, volumes: int = 20) -> TemplateShape:
        """A shape of exactly ``nodes`` node templates (computes ~40 % of them)."""
        rest = nodes - networks - volumes
        if rest < 10:
            raise ValueError(f"{nodes} nodes is too small a template")
        computes = round(rest / 2.5)
        software = rest - 2 * computes
        return cls(computes=computes, networks=networks, volumes=volumes, software=software)


def _tier_sizes(computes: int) -> list[int]:
    sizes = [max(1, int(computes * w)) for w in TIER_WEIGHTS]
    sizes[1] += computes - sum(sizes)  # the web tier absorbs rounding
    if min(sizes) < 1:
        raise ValueError(f"{computes} computes is too few for {len(TIER_WEIGHTS)} tiers")
    return sizes


def service_template(shape: TemplateShape, *, name: str = "bench-service") -> str:
    """A TOSCA 1.3 service template (YAML text) of the given shape."""
    if shape.volumes > 0 and shape.computes < len(TIER_WEIGHTS):
        raise ValueError("too few computes")
    sizes = _tier_sizes(shape.computes)
    inputs: dict[str, Any] = {
        "image": {"type": "string", "default": "debian-12-genericcloud"},
        "volume_size": {"type": "scalar-unit.size", "default": "10 GB"},
        "app_workers": {"type": "integer", "default": 4,
                        "constraints": [{"greater_than": 0}]},
    }
    nodes: dict[str, Any] = {}
    for n in range(shape.networks):
        inputs[f"net{n}_cidr"] = {"type": "string", "default": f"10.{n + 1}.0.0/16"}
        nodes[f"net{n}"] = {
            "type": "tosca.nodes.network.Network",
            "properties": {"network_name": f"{name}-net{n}",
                           "cidr": {"get_input": f"net{n}_cidr"}, "ip_version": 4},
        }
    for t, tier in enumerate(TIER_NAMES):
        inputs[f"{tier}_cpus"] = {"type": "integer", "default": 1 + t % 3,
                                  "constraints": [{"in_range": [1, 8]}]}
        inputs[f"{tier}_mem"] = {"type": "scalar-unit.size", "default": f"{1 + t % 2} GB"}
    vm_names = [[f"{tier}_vm{i}" for i in range(size)] for tier, size in zip(
        TIER_NAMES, sizes, strict=True)]
    software_left = shape.software_count
    volume_of: dict[str, str] = {}
    for v in range(shape.volumes):
        vol = f"vol{v}"
        nodes[vol] = {"type": "tosca.nodes.BlockStorage",
                      "properties": {"size": {"get_input": "volume_size"}}}
        last = vm_names[-1]
        volume_of[last[v % len(last)]] = vol
    every = max(1, shape.computes // max(1, software_left)) if software_left else 0
    count = 0
    for t, tier in enumerate(TIER_NAMES):
        network = f"net{t % max(1, shape.networks)}"
        for i, vm in enumerate(vm_names[t]):
            reqs: list[Any] = []
            if t + 1 < len(TIER_NAMES):
                back = vm_names[t + 1]
                reqs.append({"dependency": back[i % len(back)]})
            if vm in volume_of:
                reqs.append({"local_storage": {
                    "node": volume_of[vm],
                    "relationship": {"type": "tosca.relationships.AttachesTo",
                                     "properties": {"location": "/var/lib/data"}}}})
            compute: dict[str, Any] = {
                "type": "tosca.nodes.Compute",
                "capabilities": {
                    "host": {"properties": {"num_cpus": {"get_input": f"{tier}_cpus"},
                                            "mem_size": {"get_input": f"{tier}_mem"},
                                            "disk_size": "10 GB"}},
                    "os": {"properties": {"type": "linux", "distribution": "debian",
                                          "version": "12"}},
                },
            }
            if reqs:
                compute["requirements"] = reqs
            nodes[vm] = compute
            if shape.networks:
                nodes[f"{vm}_port"] = {
                    "type": "tosca.nodes.network.Port",
                    "properties": {"order": 0},
                    "requirements": [{"binding": vm}, {"link": network}],
                }
            if software_left > 0 and count % every == 0:
                software_left -= 1
                nodes[f"{vm}_svc"] = {
                    "type": "netorch.bench.Service",
                    "properties": {"role": tier, "workers": {"get_input": "app_workers"}},
                    "requirements": [{"host": vm}],
                }
            count += 1
    # Whatever software is left (exact node counts) depends on the previous one: a DependsOn
    # chain on the first VM.
    extra = 0
    while software_left > 0:
        svc = f"extra_svc{extra}"
        reqs = [{"host": vm_names[0][0]}]
        if extra:
            reqs.append({"dependency": f"extra_svc{extra - 1}"})
        nodes[svc] = {"type": "netorch.bench.Service", "properties": {"role": "extra"},
                      "requirements": reqs}
        software_left -= 1
        extra += 1
    doc = {
        "tosca_definitions_version": "tosca_simple_yaml_1_3",
        "description": f"Generated benchmark service: {shape.computes} VMs in "
                       f"{len(TIER_NAMES)} tiers, {shape.networks} networks.",
        "metadata": {"template_name": name, "template_author": "netorch bench",
                     "template_version": "1.0.0"},
        "node_types": {
            "netorch.bench.Service": {
                "derived_from": "tosca.nodes.SoftwareComponent",
                "properties": {
                    "role": {"type": "string"},
                    "workers": {"type": "integer", "default": 2,
                                "constraints": [{"greater_than": 0}]},
                },
            },
        },
        "topology_template": {"inputs": inputs, "node_templates": nodes},
    }
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, width=100)


# -- measurement helpers ----------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def setup_logging(verbose: bool) -> None:
    """Logs go to stderr only (stdout is the table or the JSON object)."""
    logging.basicConfig(stream=sys.stderr, level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def emit(figures: Mapping[str, Any], *, as_json: bool, title: str,
         notes: Sequence[str] = ()) -> None:
    """Print the figures: one JSON object on stdout, or a table (notes under it)."""
    if as_json:
        sys.stdout.write(json.dumps(dict(figures), sort_keys=False) + "\n")
        return
    con = Console()
    table = Table(title=title)
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in figures.items():
        if isinstance(value, float):
            text = f"{value:.4g}"
        elif isinstance(value, Mapping | list):
            text = json.dumps(value)
        else:
            text = str(value)
        table.add_row(key, text)
    con.print(table)
    for note in notes:
        con.print(f"[dim]{note}[/]")


# -- a SOL001 VNFD ----------------------------------------------------------------------------
SOL001_TYPE_FILES = ("etsi_nfv_sol001_common_types.yaml", "etsi_nfv_sol001_vnfd_types.yaml")
"""The ETSI type files a generated VNFD imports (copied next to it from netorch's own)."""


def vnfd_template(vdus: int, *, name: str = "bench-vnf") -> str:
    """A single-file ETSI SOL001 VNFD (YAML text) with ``vdus`` VDUs, importing the SOL001
    common and VNFD type files by relative path (SOL001 §6.8-§6.10 node types and policies).

    Each VDU (``tosca.nodes.nfv.Vdu.Compute`` with its software image and virtual compute) has
    a virtual block storage and two connection points (management, data); the VDUs share a
    management and a data virtual link, exposed as external connection points.  Every VDU has
    its own scaling aspect (one instance per step, up to three), initial delta, aspect deltas
    and instantiation levels (two levels, the default one first).
    """
    if vdus < 1:
        raise ValueError("a VNFD needs at least one VDU")
    descriptor = "0f3b2d1c-9a8e-4f7d-b6c5-a4e3d2c1b0a9"
    nodes: dict[str, Any] = {
        "vnf": {"type": "netorch.bench.VNF", "properties": {
            "flavour_description": "generated flavour",
            "configurable_properties": {"is_autoscale_enabled": True}}}}
    for vl in ("mgmt_vl", "data_vl"):
        nodes[vl] = {"type": "tosca.nodes.nfv.VnfVirtualLink", "properties": {
            "connectivity_type": {"layer_protocols": ["ipv4"]},
            "vl_profile": {"max_bitrate_requirements": {"root": 10_000_000_000},
                           "min_bitrate_requirements": {"root": 1_000_000_000},
                           "virtual_link_protocol_data": [{
                               "associated_layer_protocol": "ipv4",
                               "l3_protocol_data": {"ip_version": "ipv4",
                                                    "cidr": "10.10.0.0/16"}}]}}}
        nodes[f"{vl}_ext"] = {"type": "tosca.nodes.nfv.VnfExtCp",
                              "properties": {"layer_protocols": ["ipv4"]},
                              "requirements": [{"internal_virtual_link": vl}]}
    policies: list[dict[str, Any]] = []
    aspects: dict[str, Any] = {}
    for v in range(vdus):
        vdu = f"vdu{v}"
        nodes[vdu] = {
            "type": "tosca.nodes.nfv.Vdu.Compute",
            "properties": {
                "name": f"{name}-{vdu}", "description": f"generated VDU {v}",
                "vdu_profile": {"min_number_of_instances": 1, "max_number_of_instances": 4},
                "sw_image_data": {
                    "name": f"image-{v}", "version": "1.0.0",
                    "checksum": {"algorithm": "sha-256", "hash": f"{v:064x}"},
                    "container_format": "bare", "disk_format": "qcow2", "min_disk": "4 GB",
                    "min_ram": "1 GB", "size": "800 MB", "operating_system": "linux"}},
            "capabilities": {"virtual_compute": {"properties": {
                "virtual_memory": {"virtual_mem_size": "2 GB"},
                "virtual_cpu": {"num_virtual_cpu": 1 + v % 4},
                "virtual_local_storage": [{"size_of_storage": "8 GB"}]}}},
            "requirements": [{"virtual_storage": f"{vdu}_volume"}],
        }
        nodes[f"{vdu}_volume"] = {"type": "tosca.nodes.nfv.Vdu.VirtualBlockStorage",
                                  "properties": {"virtual_block_storage_data": {
                                      "size_of_storage": "2 GB", "rdma_enabled": False}}}
        for order, vl in enumerate(("mgmt_vl", "data_vl")):
            nodes[f"{vdu}_{vl[:4]}_cp"] = {
                "type": "tosca.nodes.nfv.VduCp",
                "properties": {"layer_protocols": ["ipv4"], "order": order},
                "requirements": [{"virtual_binding": vdu}, {"virtual_link": vl}]}
        aspect = f"{vdu}_aspect"
        aspects[aspect] = {"name": aspect, "description": f"capacity of {vdu}",
                           "max_scale_level": 3, "step_deltas": ["delta_1"]}
        policies += [
            {f"{vdu}_initial_delta": {"type": "tosca.policies.nfv.VduInitialDelta",
                                      "properties": {"initial_delta": {
                                          "number_of_instances": 1}}, "targets": [vdu]}},
            {f"{vdu}_scaling_deltas": {"type": "tosca.policies.nfv.VduScalingAspectDeltas",
                                       "properties": {"aspect": aspect, "deltas": {
                                           "delta_1": {"number_of_instances": 1}}},
                                       "targets": [vdu]}},
            {f"{vdu}_levels": {"type": "tosca.policies.nfv.VduInstantiationLevels",
                               "properties": {"levels": {
                                   "small": {"number_of_instances": 1},
                                   "large": {"number_of_instances": 2}}}, "targets": [vdu]}},
        ]
    policies.insert(0, {"scaling_aspects": {"type": "tosca.policies.nfv.ScalingAspects",
                                            "properties": {"aspects": aspects}}})
    policies.append({"instantiation_levels": {
        "type": "tosca.policies.nfv.InstantiationLevels",
        "properties": {"levels": {
            "small": {"description": "one instance each",
                      "scale_info": {a: {"scale_level": 0} for a in aspects}},
            "large": {"description": "two instances each",
                      "scale_info": {a: {"scale_level": 1} for a in aspects}}},
            "default_level": "small"}}})
    pinned = {"descriptor_id": descriptor, "descriptor_version": "1.0.0", "provider": "netorch",
              "product_name": name, "software_version": "1.0.0", "flavour_id": "default"}
    vnf_properties: dict[str, Any] = {
        key: {"type": "string", "constraints": [{"valid_values": [value]}], "default": value}
        for key, value in pinned.items()}
    vnf_properties["vnfm_info"] = {"type": "list", "entry_schema": {"type": "string"},
                                   "default": ["netorch"]}
    doc = {
        "tosca_definitions_version": "tosca_simple_yaml_1_2",
        "description": f"Generated benchmark VNFD: {vdus} VDUs (ETSI GS NFV-SOL 001 v2.6.1).",
        "metadata": {"template_name": name, "template_author": "netorch bench",
                     "template_version": "1.0.0"},
        "imports": list(SOL001_TYPE_FILES),
        "node_types": {"netorch.bench.VNF": {"derived_from": "tosca.nodes.nfv.VNF",
                                             "properties": vnf_properties}},
        "topology_template": {"node_templates": nodes, "policies": policies},
    }
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, width=100)
