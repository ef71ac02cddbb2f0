"""vnf-packages/edge-ns-nsd.yaml, the NSD of the docs/api.md curl walkthrough: a SOL001 NSD
that loads cleanly, refers to the vrouter package's VNFD and has the scaling aspect the
walkthrough scales."""

from __future__ import annotations

from pathlib import Path

from netorch.tosca import load

REPO = Path(__file__).resolve().parents[3]

NSD = REPO / "vnf-packages" / "edge-ns-nsd.yaml"
VRouter = REPO / "vnf-packages" / "vrouter"


def test_the_walkthrough_nsd_loads_and_uses_the_vrouter_vnfd() -> None:
    model, diags = load(NSD)
    assert diags == [], [str(d) for d in diags]
    assert model is not None
    ns = model.nodes["ns"]
    assert ns.is_a("tosca.nodes.nfv.NS")
    assert ns.properties["descriptor_id"] == "3c9d5e7a-1f2b-4c6d-8e0f-a1b2c3d4e5f6"
    vnfd, vnfd_diags = load(VRouter)
    assert vnfd is not None and vnfd_diags == []
    vrouter_id = vnfd.nodes["vrouter"].properties["descriptor_id"]
    assert model.nodes["router"].properties["descriptor_id"] == vrouter_id
    aspect = model.aspects["routing"]
    assert aspect.max_scale_level == 2 and dict(aspect.deltas) == {"router": (1, 2)}
    assert model.initial_instances == {"router": 1}
    for key in ("template_name", "template_author", "template_version"):
        assert model.metadata.get(key), key
