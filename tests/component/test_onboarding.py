"""Onboarding on the real store (SQLite and PostgreSQL): kinds, identity, idempotency, versions,
invalid input, deployment from the stored content, deletion while in use, and migration 0002."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import zipfile
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import inspect, text

from helpers import REPO
from netorch.model.errors import ConflictError, NotFoundError
from netorch.model.operations import OpState
from netorch.model.records import ContentFormat, TemplateKind, TemplateRecord
from netorch.services import onboarding
from netorch.services.context import Context
from netorch.services.lifecycle import Lifecycle
from netorch.services.onboarding import (
    OnboardStatus,
    delete_package,
    get_package,
    known_vnfds,
    list_packages,
    materialize,
    onboard,
    package_usage,
    resolve_source,
)
from netorch.services.validation import ValidationResult
from netorch.store import Store
from netorch.store.connect import make_engine
from netorch.store.migrate import alembic_config
from netorch.tosca import load

pytestmark = pytest.mark.timeout(120)

MakeLc = Callable[..., Lifecycle]
VROUTER = REPO / "vnf-packages" / "vrouter"
VFIREWALL = REPO / "vnf-packages" / "vfirewall"
VROUTER_ID = "6f1e4a4c-0b0e-4d5e-9c1a-2f2a8e0f7a11"
NSD_ID = "8a1b2c3d-0000-4000-8000-000000000001"

# What the example files declare (their VNF node / metadata), and the kind each one is.
EXAMPLES: dict[str, dict[str, Any]] = {
    "service-templates/5g-upf-slice.yaml": {
        "kind": "template", "name": "5g-upf-slice", "version": "1.0.0",
        "provider": "netorch project", "descriptor_id": None, "flavours": ()},
    "service-templates/three-tier-chain.yaml": {
        "kind": "template", "name": "three-tier-chain", "version": "1.0.0",
        "provider": "netorch project", "descriptor_id": None, "flavours": ()},
    "service-templates/vcpe.yaml": {
        "kind": "template", "name": "vcpe", "version": "1.0.0",
        "provider": "netorch project", "descriptor_id": None, "flavours": ()},
    "vnf-packages/vfirewall": {
        "kind": "vnf-package", "name": "vfirewall-vnfd", "version": "2.1.0",
        "provider": "netorch", "descriptor_id": "0c6f7a52-3d1b-4b8e-a2f4-7d9e1c5b3a60",
        "flavours": ("default",)},
    "vnf-packages/vrouter": {
        "kind": "vnf-package", "name": "vrouter-vnfd", "version": "1.0.0",
        "provider": "netorch", "descriptor_id": VROUTER_ID, "flavours": ("standard",)},
}

NSD = f"""tosca_definitions_version: tosca_simple_yaml_1_3
description: An edge NS with one vRouter.
metadata:
  template_name: edge-ns
imports:
  - https://forge.etsi.org/rep/nfv/SOL001/raw/v3.3.1/etsi_nfv_sol001_nsd_types.yaml
topology_template:
  node_templates:
    ns:
      type: tosca.nodes.nfv.NS
      properties:
        descriptor_id: {NSD_ID}
        designer: edge-team
        version: "1.4"
        name: edge
        invariant_id: 8a1b2c3d-0000-4000-8000-000000000002
        flavour_id: small
    router:
      type: tosca.nodes.nfv.VNF
      properties:
        descriptor_id: {{vnfd_id}}
        descriptor_version: 1.0.0
        provider: netorch
        product_name: vRouter
        software_version: 1.0.0
        vnfm_info: [ netorch ]
        flavour_id: standard
        flavour_description: standard
      requirements:
        - virtual_link: access
    access:
      type: tosca.nodes.nfv.NsVirtualLink
      properties:
        connectivity_type:
          layer_protocols: [ ipv4 ]
        vl_profile:
          max_bitrate_requirements: {{{{ root: 1000 }}}}
          min_bitrate_requirements: {{{{ root: 100 }}}}
"""

BUNDLED_MAIN = """tosca_definitions_version: tosca_simple_yaml_1_3
metadata:
  template_name: bundled
  template_author: tests
  template_version: "2.0"
imports:
  - types/web.yaml
topology_template:
  node_templates:
    vm:
      type: example.nodes.WebServer
      capabilities:
        host:
          properties: { num_cpus: 1, mem_size: 1 GB, disk_size: 1 GB }
"""
BUNDLED_TYPES = """tosca_definitions_version: tosca_simple_yaml_1_3
node_types:
  example.nodes.WebServer:
    derived_from: tosca.nodes.Compute
"""

BAD = """tosca_definitions_version: tosca_simple_yaml_1_3
topology_template:
  node_templates:
    server:
      type: tosca.nodes.Compute
      requirements:
        - dependency: nowhere
"""


@pytest.fixture
def ctx(make_lc: MakeLc) -> Context:
    return make_lc().ctx


def write_nsd(path: Path, vnfd_id: str = VROUTER_ID) -> Path:
    path.write_text(NSD.format(vnfd_id=vnfd_id))
    return path


def copy_of(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


def zip_dir(src: Path, dest: Path) -> Path:
    with zipfile.ZipFile(dest, "w") as zf:
        for f in sorted(src.rglob("*")):
            if f.is_file():
                zf.write(f, f.relative_to(src).as_posix())
    return dest


def reload_hash(path: Path) -> str:
    model, diags = load(path)
    assert model is not None, [str(d) for d in diags]
    return model.content_hash


# -- kinds and identity -------------------------------------------------------------------------


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_every_example_onboards_with_its_kind_and_identity(ctx: Context, example: str) -> None:
    result = onboard(ctx, REPO / example)
    assert result.status is OnboardStatus.ONBOARDED, [str(d) for d in result.diagnostics]
    rec = result.record
    assert rec is not None
    expected = EXAMPLES[example]
    assert {k: getattr(rec, k) for k in expected} == expected
    assert rec.content_hash == reload_hash(REPO / example)
    assert rec.source == str((REPO / example).resolve())
    is_dir = (REPO / example).is_dir()
    assert rec.content_format == (ContentFormat.ZIP if is_dir else ContentFormat.YAML)
    stored = ctx.store.template_content(rec.content_hash)
    assert stored is not None and len(stored) == rec.content_size
    if not is_dir:
        assert stored == (REPO / example).read_bytes()
    assert [r.content_hash for r in list_packages(ctx)] == [rec.content_hash]
    assert get_package(ctx, rec.content_hash[:8]) == rec
    # What is stored loads back to the same identity, wherever it is written.
    assert reload_hash(materialize(ctx, rec)) == rec.content_hash


def test_an_nsd_is_onboarded_as_an_nsd(ctx: Context, tmp_path: Path) -> None:
    assert onboard(ctx, VROUTER).status is OnboardStatus.ONBOARDED
    result = onboard(ctx, write_nsd(tmp_path / "nsd.yaml"))
    assert result.status is OnboardStatus.ONBOARDED, [str(d) for d in result.diagnostics]
    rec = result.record
    assert rec is not None
    assert (rec.kind, rec.name, rec.version, rec.provider, rec.descriptor_id, rec.flavours) == (
        TemplateKind.NSD, "edge-ns", "1.4", "edge-team", NSD_ID, ("small",))
    assert [r.kind for r in list_packages(ctx)] == ["vnf-package", "nsd"]


def test_nsd_onboarding_validates_against_the_onboarded_vnf_packages(
        ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Mapping[str, set[str]] | None] = []
    real = onboarding.validate

    def spy(source: str | Path, inputs: Mapping[str, object] | None = None, *,
            known_vnfds: Mapping[str, set[str]] | None = None) -> ValidationResult:
        seen.append(None if known_vnfds is None else dict(known_vnfds))
        return real(source, inputs, known_vnfds=known_vnfds)

    monkeypatch.setattr(onboarding, "validate", spy)
    nsd = write_nsd(tmp_path / "nsd.yaml")
    onboard(ctx, nsd)
    assert seen == [{}]  # nothing onboarded yet: every VNF reference is unresolved
    onboard(ctx, VROUTER)
    onboard(ctx, VFIREWALL)
    nsd.write_text(nsd.read_text() + "\n# edited\n")
    onboard(ctx, nsd)
    assert seen[-1] == {VROUTER_ID: {"standard"},
                        EXAMPLES["vnf-packages/vfirewall"]["descriptor_id"]: {"default"}}
    assert known_vnfds(ctx) == seen[-1]


def test_an_nsd_referencing_a_vnf_that_is_not_onboarded_is_rejected(ctx: Context,
                                                                    tmp_path: Path) -> None:
    onboard(ctx, VROUTER)
    result = onboard(ctx, write_nsd(tmp_path / "nsd.yaml",
                                    vnfd_id="00000000-0000-4000-8000-0000000000ff"))
    assert result.status is OnboardStatus.INVALID
    assert any("00000000-0000-4000-8000-0000000000ff" in d.message for d in result.diagnostics)
    assert [r.kind for r in list_packages(ctx)] == ["vnf-package"]


# -- idempotency, versions, invalid input -------------------------------------------------------


def test_onboarding_the_same_content_again_is_idempotent(ctx: Context, tmp_path: Path) -> None:
    first = onboard(ctx, VROUTER)
    assert first.status is OnboardStatus.ONBOARDED and first.record is not None
    again = onboard(ctx, copy_of(VROUTER, tmp_path / "elsewhere"))
    assert again.status is OnboardStatus.ALREADY_ONBOARDED
    assert again.record == first.record  # the first source and time stay
    as_zip = onboard(ctx, zip_dir(VROUTER, tmp_path / "vrouter.zip"))
    assert as_zip.status is OnboardStatus.ALREADY_ONBOARDED
    assert as_zip.record == first.record
    assert len(list_packages(ctx)) == 1
    events = [e.message for e in ctx.store.events()]
    assert sum(m.startswith("onboarded vnf-package") for m in events) == 1


def test_a_csar_zip_is_stored_as_given(ctx: Context, tmp_path: Path) -> None:
    archive = zip_dir(VFIREWALL, tmp_path / "fw.csar")
    result = onboard(ctx, archive)
    assert result.record is not None and result.status is OnboardStatus.ONBOARDED
    assert (result.record.content_format, result.record.content_name) == ("zip", "fw.csar")
    assert ctx.store.template_content(result.record.content_hash) == archive.read_bytes()
    assert result.record.content_hash == reload_hash(VFIREWALL)


def test_the_same_vnfd_id_with_other_content_is_a_new_version(ctx: Context,
                                                              tmp_path: Path) -> None:
    v1 = onboard(ctx, VROUTER).record
    pkg = copy_of(VROUTER, tmp_path / "vrouter-1.1")
    vnfd = pkg / "Definitions" / "vrouter_vnfd.yaml"
    block = ("      descriptor_version:\n        type: string\n"
             "        constraints: [ valid_values: [ {v} ] ]\n        default: {v}\n")
    assert vnfd.read_text().count(block.format(v="1.0.0")) == 1
    vnfd.write_text(vnfd.read_text().replace(block.format(v="1.0.0"), block.format(v="1.1.0")))
    # The manifest lists the VNFD's digest (SOL004): keep the package consistent.
    mf = pkg / "vrouter.mf"
    digest = hashlib.sha256(vnfd.read_bytes()).hexdigest()
    mf.write_text(re.sub(r"(Source: Definitions/vrouter_vnfd.yaml\nAlgorithm: SHA-256\nHash: )"
                         r"[0-9a-f]+", lambda m: m.group(1) + digest, mf.read_text()))
    result = onboard(ctx, pkg)
    assert result.status is OnboardStatus.ONBOARDED, [str(d) for d in result.diagnostics]
    v2 = result.record
    assert v1 is not None and v2 is not None and v1.content_hash != v2.content_hash
    listed = list_packages(ctx)
    assert [(r.descriptor_id, r.version) for r in listed] == [(VROUTER_ID, "1.0.0"),
                                                              (VROUTER_ID, "1.1.0")]
    assert known_vnfds(ctx) == {VROUTER_ID: {"standard"}}


def test_invalid_input_stores_nothing_and_returns_the_diagnostics(ctx: Context,
                                                                  tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD)
    result = onboard(ctx, bad)
    assert result.status is OnboardStatus.INVALID and result.record is None
    assert any(d.severity.value == "error" and "nowhere" in d.message
               for d in result.diagnostics)
    assert ctx.store.list_templates() == []
    assert result.to_dict()["valid"] is False
    with pytest.raises(NotFoundError):
        onboard(ctx, tmp_path / "absent.yaml")
    assert ctx.store.list_templates() == []


# -- deployment from the stored content, deletion -----------------------------------------------


def test_deploy_from_an_onboarded_package_whose_source_is_gone(make_lc: MakeLc,
                                                               tmp_path: Path) -> None:
    lc = make_lc()
    pkg = copy_of(VFIREWALL, tmp_path / "fw")
    rec = onboard(lc.ctx, pkg).record
    assert rec is not None
    shutil.rmtree(pkg)
    source = resolve_source(lc.ctx, rec.content_hash[:10])
    assert not source.is_relative_to(tmp_path / "fw")
    op = lc.instantiate(source, "fw1")
    assert op.state is OpState.COMPLETED, op.error
    assert lc.service("fw1").template_hash == rec.content_hash
    assert package_usage(lc.ctx) == {rec.content_hash: ["fw1"]}
    # The written-back copy is shared and stays: update reloads the service's template from it.
    assert resolve_source(lc.ctx, rec.content_hash) == source
    assert lc.update("fw1", {}).state is OpState.COMPLETED

    with pytest.raises(ConflictError, match="fw1"):
        delete_package(lc.ctx, rec.content_hash[:10])
    assert get_package(lc.ctx, rec.content_hash) == rec
    assert lc.terminate("fw1").state is OpState.COMPLETED
    lc.delete("fw1")
    assert delete_package(lc.ctx, rec.content_hash[:10]) == rec
    assert list_packages(lc.ctx) == [] and lc.store.get_template(rec.content_hash) is None
    assert not source.exists()
    with pytest.raises(NotFoundError):
        resolve_source(lc.ctx, rec.content_hash[:10])


def test_a_template_with_local_imports_is_stored_with_them(make_lc: MakeLc,
                                                           tmp_path: Path) -> None:
    lc = make_lc()
    src = tmp_path / "src"
    (src / "types").mkdir(parents=True)
    (src / "main.yaml").write_text(BUNDLED_MAIN)
    (src / "types" / "web.yaml").write_text(BUNDLED_TYPES)
    (src / "unrelated.txt").write_text("not imported")
    rec = onboard(lc.ctx, src / "main.yaml").record
    assert rec is not None
    assert (rec.kind, rec.content_format, rec.version) == ("template", "yaml-bundle", "2.0")
    content = lc.store.template_content(rec.content_hash)
    assert content is not None
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        assert sorted(zf.namelist()) == ["main.yaml", "types/web.yaml"]
    shutil.rmtree(src)
    source = resolve_source(lc.ctx, rec.content_hash[:6])
    assert lc.instantiate(source, "web").state is OpState.COMPLETED
    assert lc.store.resources("web")[0].node_type == "example.nodes.WebServer"


def test_a_damaged_written_back_copy_is_written_again(ctx: Context) -> None:
    vcpe = REPO / "service-templates" / "vcpe.yaml"
    rec = onboard(ctx, vcpe).record
    assert rec is not None
    path = materialize(ctx, rec)
    assert path.read_bytes() == vcpe.read_bytes()
    path.unlink()  # the folder stays, the template is gone
    (path.parent / "junk").write_text("left over")
    again = materialize(ctx, rec)
    assert again == path and again.read_bytes() == vcpe.read_bytes()
    assert not (path.parent / "junk").exists()


def test_onboarding_completes_a_template_first_recorded_by_a_deployment(make_lc: MakeLc) -> None:
    lc = make_lc()
    assert lc.instantiate(VROUTER, "r1").state is OpState.COMPLETED
    (recorded,) = lc.store.list_templates()
    assert not recorded.onboarded and list_packages(lc.ctx) == []
    with pytest.raises(NotFoundError):
        get_package(lc.ctx, recorded.content_hash)
    result = onboard(lc.ctx, VROUTER)
    assert result.status is OnboardStatus.ONBOARDED and result.record is not None
    assert (result.record.kind, result.record.descriptor_id) == ("vnf-package", VROUTER_ID)
    assert result.record.content_hash == recorded.content_hash
    assert onboard(lc.ctx, VROUTER).status is OnboardStatus.ALREADY_ONBOARDED
    assert package_usage(lc.ctx)[recorded.content_hash] == ["r1"]


def test_package_ids_must_be_unique_hex_prefixes(ctx: Context) -> None:
    now = datetime.now(UTC)
    for digest in ("abcd1" + "0" * 59, "abcd2" + "0" * 59):
        ctx.store.put_package(TemplateRecord(
            digest, "t", "/x", "tosca_simple_yaml_1_3", "template", {}, now,
            content_format="yaml", content_name="t.yaml"), b"tosca_definitions_version: x\n")
    with pytest.raises(NotFoundError, match="ambiguous"):
        get_package(ctx, "abcd")
    assert get_package(ctx, "ABCD2").content_hash.startswith("abcd2")
    for ref in ("abc", "xyz12", "abcd3", "%"):
        with pytest.raises(NotFoundError):
            get_package(ctx, ref)
    with pytest.raises(NotFoundError):
        delete_package(ctx, "abcd")
    assert len(list_packages(ctx)) == 2


# -- the store and migration 0002 ---------------------------------------------------------------


def test_put_package_is_idempotent_and_keeps_content_out_of_listings(store: Store) -> None:
    now = datetime.now(UTC)
    rec = TemplateRecord("f" * 64, "pkg", "/p", "tosca_simple_yaml_1_2", "vnf-package",
                         {"nodes": {}}, now, version="1", provider="acme", descriptor_id="d-1",
                         flavours=("a", "b"), content_format="zip", content_name="p.zip")
    stored, created = store.put_package(rec, b"\x00\x01binary")
    assert created and stored.content_size == 8 and stored.flavours == ("a", "b")
    again, created = store.put_package(rec, b"other bytes")
    assert not created and again == stored
    assert store.template_content(rec.content_hash) == b"\x00\x01binary"
    assert store.list_templates() == [stored] and store.get_template(rec.content_hash) == stored
    with pytest.raises(NotFoundError):
        store.template_content("0" * 64)
    with pytest.raises(NotFoundError):
        store.delete_template("0" * 64)


def test_migration_0002_upgrades_an_existing_0001_database(store_url: str) -> None:
    engine = make_engine(store_url)
    cfg = alembic_config()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0001")
        with engine.begin() as conn:
            assert "content" not in {c["name"] for c in inspect(conn).get_columns("templates")}
            conn.execute(text(
                "INSERT INTO templates (content_hash, name, source, tosca_version, kind, model, "
                "created_at) VALUES ('aa11', 'old', '/old.yaml', 'tosca_simple_yaml_1_3', "
                "'template', '{\"nodes\": {}}', :t)"), {"t": datetime(2024, 1, 2, tzinfo=UTC)})
    finally:
        engine.dispose()
    with Store(store_url) as s:
        s.migrate()
        old = s.get_template("aa11")
        assert old is not None
        assert (old.name, old.model, old.onboarded, old.version, old.flavours) == (
            "old", {"nodes": {}}, False, None, ())
        assert s.template_content("aa11") is None
        filled, created = s.put_package(
            TemplateRecord("aa11", "old", "/old.yaml", "tosca_simple_yaml_1_3", "template",
                           {"nodes": {}}, datetime.now(UTC), version="3",
                           content_format="yaml", content_name="old.yaml"), b"yaml")
        assert created and filled.onboarded and filled.version == "3"
        assert filled.created_at > old.created_at  # onboarded now
    engine = make_engine(store_url)
    try:
        with engine.begin() as conn:  # and back down: 0002's downgrade removes what it added
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0001")
        with engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("templates")}
            assert "content" not in columns and "descriptor_id" not in columns
            assert conn.execute(text("SELECT name FROM templates")).scalars().all() == ["old"]
    finally:
        engine.dispose()


def test_a_vnf_package_an_onboarded_nsd_refers_to_cannot_be_deleted(ctx: Context,
                                                                    tmp_path: Path) -> None:
    vnf = onboard(ctx, VROUTER)
    nsd = onboard(ctx, write_nsd(tmp_path / "nsd.yaml"))
    assert nsd.status is OnboardStatus.ONBOARDED and nsd.record is not None
    assert vnf.record is not None
    with pytest.raises(ConflictError, match=f"provides VNFD {VROUTER_ID}"):
        delete_package(ctx, vnf.record.content_hash)
    # Once the NSD is gone, the VNF package can go too.
    delete_package(ctx, nsd.record.content_hash)
    delete_package(ctx, vnf.record.content_hash)
    assert list_packages(ctx) == []
