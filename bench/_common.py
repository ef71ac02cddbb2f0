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
