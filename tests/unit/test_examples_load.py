"""The shipped example services and VNF packages load cleanly and mean what they say."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from netorch.model.service import ServiceModel
from netorch.tosca import load
from netorch.tosca.manifest import compute_digest, read_manifest_entries

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "service-templates"
PACKAGES = REPO / "vnf-packages"

EXAMPLES = sorted([*TEMPLATES.glob("*.yaml"), *(p for p in PACKAGES.iterdir() if p.is_dir())])

HOSTED_ON = "tosca.relationships.HostedOn"
LINKS_TO = "tosca.relationships.network.LinksTo"
BINDS_TO = "tosca.relationships.network.BindsTo"
DEPENDS_ON = "tosca.relationships.DependsOn"


@functools.cache
def loaded(path: Path) -> ServiceModel:
    model, diags = load(path)
    assert diags == [], [str(d) for d in diags]
    assert model is not None
    return model


def edges(model: ServiceModel, relationship: str) -> set[tuple[str, str]]:
    return {(name, r.target) for name, node in model.nodes.items()
            for r in node.requirements if r.relationship == relationship}


def test_there_are_enough_examples() -> None:
    assert len(list(TEMPLATES.glob("*.yaml"))) >= 3
    assert len([p for p in PACKAGES.iterdir() if p.is_dir()]) >= 2


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_loads_without_any_diagnostic(path: Path) -> None:
    model = loaded(path)
    assert model.nodes
    assert model.description
    for key in ("template_name", "template_author", "template_version"):
        assert model.metadata.get(key), key
    # every requirement is resolved to a node of the model
    for node in model.nodes.values():
        for requirement in node.requirements:
            assert requirement.target in model.nodes
        assert node.type_chain[0] == node.type
        assert node.type_chain[-1] == "tosca.nodes.Root"
        assert node.line is not None


@pytest.mark.parametrize("path", sorted(TEMPLATES.glob("*.yaml")), ids=lambda p: p.name)
def test_service_templates_only_use_normative_or_own_types(path: Path) -> None:
    import yaml

    data = yaml.safe_load(path.read_text())
    assert data["tosca_definitions_version"] == "tosca_simple_yaml_1_3"
    # only netorch's own type library may be imported (by name, resolved from the package)
    assert set(data.get("imports") or []) <= {"netorch_network_types.yaml"}
    own = set(data.get("node_types", {}))
    for node in loaded(path).nodes.values():
        assert (node.type.startswith(("tosca.nodes.", "netorch.nodes.network."))
                or node.type in own)
    assert data["topology_template"]["inputs"]


def test_vcpe() -> None:
    model = loaded(TEMPLATES / "vcpe.yaml")
    computes = {n for n, node in model.nodes.items() if node.is_a("tosca.nodes.Compute")}
    assert computes == {"firewall_vm", "router_vm", "dhcp_vm"}
    assert {"firewall", "router", "dhcp_server"} <= set(model.nodes)
    assert {("firewall", "firewall_vm"), ("router", "router_vm"),
            ("dhcp_server", "dhcp_vm")} == edges(model, HOSTED_ON)
    networks = {n for n, node in model.nodes.items() if node.is_a("tosca.nodes.network.Network")}
    assert networks == {"mgmt_net", "lan_net", "wan_net"}
    links = edges(model, LINKS_TO)
    binds = edges(model, BINDS_TO)
    ports = {n for n, node in model.nodes.items() if node.is_a("tosca.nodes.network.Port")}
    assert len(ports) == 8
    assert {p for p, _ in links} == ports and {p for p, _ in binds} == ports
    # every VM is on the management network
    on_mgmt = {vm for port, vm in binds if (port, "mgmt_net") in links}
    assert on_mgmt == computes
    host = model.nodes["firewall_vm"].capabilities["host"]
    assert host == {"num_cpus": 1, "mem_size": "1 GB", "disk_size": "10 GB"}
    attach = [r for r in model.nodes["firewall_vm"].requirements
              if r.relationship == "tosca.relationships.AttachesTo"]
    assert [(r.target, dict(r.properties)) for r in attach] == [
        ("firewall_logs", {"location": "/var/log/firewall"})]
    assert model.nodes["firewall_logs"].is_a("tosca.nodes.BlockStorage")
    # get_property across nodes
    assert model.nodes["dhcp_server"].properties["subnet"] == "10.20.0.0/24"
    assert model.outputs["firewall_mgmt_address"].value == {
        "get_attribute": ["firewall_vm", "private_address"]}


def test_vcpe_inputs_change_the_model() -> None:
    model, diags = load(TEMPLATES / "vcpe.yaml", inputs={"vm_cpus": 2, "lan_cidr": "10.30.0.0/24"})
    assert diags == [] and model is not None
    assert model.nodes["router_vm"].capabilities["host"]["num_cpus"] == 2
    assert model.nodes["router"].properties["lan_prefix"] == "10.30.0.0/24"
    assert model.outputs["customer_lan"].value == "10.30.0.0/24"


def test_three_tier_chain() -> None:
    model = loaded(TEMPLATES / "three-tier-chain.yaml")
    assert edges(model, DEPENDS_ON) == {("load_balancer", "firewall"), ("firewall", "web")}
    aspect = model.aspects["web_scaling"]
    assert aspect.max_scale_level == 3  # 2 instances at level 0, 5 at level 3
    assert dict(aspect.deltas) == {"web_vm": (1,)}
    assert model.initial_instances == {"web_vm": 2}
    assert model.min_instances == {"web_vm": 1}
    assert model.max_instances == {"web_vm": 5}
    [policy] = model.policies
    assert policy.is_a("tosca.policies.Scaling") and policy.targets == ("web_vm",)
    assert model.nodes["firewall"].properties["allowed_ports"] == [80, 443]


def test_three_tier_chain_scaling_follows_its_input() -> None:
    model, diags = load(TEMPLATES / "three-tier-chain.yaml", inputs={"web_max_instances": 8})
    assert diags == [] and model is not None
    assert model.aspects["web_scaling"].max_scale_level == 6
    assert model.max_instances == {"web_vm": 8}


def test_5g_upf_slice() -> None:
    model = loaded(TEMPLATES / "5g-upf-slice.yaml")
    upfs = {n for n, node in model.nodes.items() if node.type == "netorch.examples.fiveg.Upf"}
    assert upfs == {"upf1", "upf2"}
    smf = model.nodes["smf"]
    connects = [(r.name, r.target) for r in smf.requirements
                if r.relationship == "tosca.relationships.ConnectsTo"]
    assert connects == [("upf", "upf1"), ("upf", "upf2")]
    links = edges(model, LINKS_TO)
    for net in ("n3_net", "n6_net", "n4_net"):
        assert {("upf1_" + net[:2] + "_port", net), ("upf2_" + net[:2] + "_port", net)} <= links
    [policy] = model.policies
    assert policy.is_a("tosca.policies.Placement")
    assert policy.targets == ("upf1_vm", "upf2_vm")
    assert policy.properties == {"scope": "host"}
    assert model.nodes["upf2"].properties["slice"] == {"sst": 1, "sd": "000001"}
    assert model.nodes["upf1"].capabilities["pfcp"]["port"] == 8805
    assert [g.members for g in model.groups] == [("upf1", "upf2")]


def test_vrouter_package() -> None:
    model = loaded(PACKAGES / "vrouter")
    assert model.tosca_version == "tosca_simple_yaml_1_2"
    vnf = model.nodes["vrouter"]
    assert vnf.is_a("tosca.nodes.nfv.VNF")
    assert vnf.properties["provider"] == "netorch" and vnf.properties["flavour_id"] == "standard"
    vdus = {n for n, node in model.nodes.items() if node.is_a("tosca.nodes.nfv.Vdu.Compute")}
    assert vdus == {"control_vdu", "forwarder_vdu"}
    assert model.nodes["forwarder_vdu"].properties["sw_image_data"]["disk_format"] == "qcow2"
    cpu = model.nodes["forwarder_vdu"].capabilities["virtual_compute"]["virtual_cpu"]
    assert cpu == {"num_virtual_cpu": 4}
    assert edges(model, "tosca.relationships.nfv.AttachesTo") == {("control_vdu",
                                                                  "config_volume")}
    assert ("forwarder_access_cp", "forwarder_vdu") in edges(
        model, "tosca.relationships.nfv.VirtualBindsTo")
    assert ("forwarder_access_cp", "access_vl") in edges(
        model, "tosca.relationships.nfv.VirtualLinksTo")
    aspect = model.aspects["forwarding"]
    assert aspect.max_scale_level == 3 and dict(aspect.deltas) == {"forwarder_vdu": (1,)}
    assert model.initial_instances == {"forwarder_vdu": 1, "control_vdu": 1}
    assert model.max_instances == {"forwarder_vdu": 4, "control_vdu": 1}
    assert model.default_instantiation_level == "small"
    large = model.instantiation_levels["large"]
    assert large.instances == {"forwarder_vdu": 3, "control_vdu": 1}
    assert large.scale_levels == {"forwarding": 2}


def test_vfirewall_package() -> None:
    model = loaded(PACKAGES / "vfirewall")
    assert model.tosca_version == "tosca_simple_yaml_1_3"
    image = model.nodes["filter_vdu"].artifacts["sw_image"]
    assert image.type == "tosca.artifacts.nfv.SwImage"
    assert image.file == "../Files/images/vfirewall-fw-2.1.0.qcow2"
    image_file = PACKAGES / "vfirewall" / "Definitions" / image.file
    assert image.properties["checksum"] == {
        "algorithm": "sha-256", "hash": compute_digest(image_file, "SHA-256")}
    aspect = model.aspects["throughput"]
    assert dict(aspect.deltas) == {"filter_vdu": (1, 2)}
    # 2 filters at level 0, then +1, +2, +2: seven at the top level, as the VDU profile allows
    assert model.initial_instances["filter_vdu"] + aspect.added_instances(
        "filter_vdu", aspect.max_scale_level) == model.max_instances["filter_vdu"] == 7
    assert model.instantiation_levels["peak"].instances["filter_vdu"] == 7
    assert model.instantiation_levels["peak"].scale_levels == {"throughput": 3}
    [lcm] = model.nodes["vfirewall"].interfaces
    assert lcm.type == "tosca.interfaces.nfv.Vnflcm"
    [op] = lcm.operations
    assert (op.name, op.implementation, dict(op.inputs)) == (
        "instantiate_end", "configure_rules", {"policy": "drop"})
    assert model.nodes["vfirewall"].artifacts["configure_rules"].file == \
        "../Scripts/configure_rules.sh"


@pytest.mark.parametrize("package", sorted(p for p in PACKAGES.iterdir() if p.is_dir()),
                         ids=lambda p: p.name)
def test_package_manifest_digests_match_the_files(package: Path) -> None:
    meta = (package / "TOSCA-Metadata" / "TOSCA.meta").read_text()
    manifest_name = next(line.split(":", 1)[1].strip() for line in meta.splitlines()
                         if line.startswith("ETSI-Entry-Manifest:"))
    metadata, entries = read_manifest_entries((package / manifest_name).read_text())
    assert set(metadata) == {"vnf_provider_id", "vnf_product_name", "vnf_release_date_time",
                             "vnf_package_version"}
    listed = {entry.source for entry in entries}
    on_disk = {p.relative_to(package).as_posix() for p in package.rglob("*")
               if p.is_file() and p.name != manifest_name}
    assert listed == on_disk
    for entry in entries:
        assert entry.algorithm == "SHA-256"
        assert entry.hash == compute_digest(package / entry.source, entry.algorithm), entry.source
    model = loaded(package)
    vnf = next(n for n in model.nodes.values() if n.is_a("tosca.nodes.nfv.VNF"))
    assert metadata["vnf_provider_id"] == vnf.properties["provider"]
    assert metadata["vnf_product_name"] == vnf.properties["product_name"]
    assert metadata["vnf_package_version"] == vnf.properties["software_version"]
