"""Where imports resolve: the package, the local SOL001 type library, netorch's own types,
the network only when allowed (netorch.tosca.imports)."""

from __future__ import annotations

import io
import os
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

import netorch.tosca
from netorch.model.diagnostics import Severity
from netorch.tosca import load
from netorch.tosca.imports import TYPES_PATH_ENV, resolve_imports
from netorch.tosca.yaml_doc import read_yaml_file

ETSI = "https://forge.etsi.org/rep/nfv/SOL001/raw"
CORPUS = Path(os.environ.get("NETORCH_CORPUS") or
              Path(__file__).resolve().parents[2].parent / "shared" / "corpus")
OFFICIAL_TYPES = CORPUS / "etsi-mano-package-parser" / "sol001-types"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def resolved(entry: Path, types_path: Path | None) -> list[Path]:
    doc, _raw, diags = read_yaml_file(entry, str(entry))
    assert doc is not None, diags
    with ExitStack() as stack:
        graph = resolve_imports(entry, doc, root=None, types_path=types_path,
                                allow_network=False, stack=stack, display=str)
        assert graph.diagnostics == []
        return [f.path for f in graph.files[1:]]


MARKER = """
tosca_definitions_version: tosca_simple_yaml_1_3
node_types:
  tosca.nodes.nfv.{name}:
    derived_from: tosca.nodes.Root
"""


def test_etsi_urls_resolve_package_first_then_library_then_builtin(tmp_path: Path) -> None:
    url = f"{ETSI}/v3.3.1/etsi_nfv_sol001_common_types.yaml"
    entry = write(tmp_path / "pkg" / "vnfd.yaml",
                  f"tosca_definitions_version: tosca_simple_yaml_1_3\nimports: [ {url} ]\n")
    library = tmp_path / "library"
    in_library = write(library / "3.3.1" / "etsi_nfv_sol001_common_types.yaml",
                       MARKER.format(name="FromLibrary"))
    [builtin] = resolved(entry, None)
    assert builtin.name == "etsi_nfv_sol001_common_types.yaml" and "netorch" in str(builtin)
    assert resolved(entry, library) == [in_library]
    package_copy = write(tmp_path / "pkg" / "etsi_nfv_sol001_common_types.yaml",
                         MARKER.format(name="FromPackage"))
    assert resolved(entry, library) == [package_copy]


def test_library_version_folders_may_carry_a_v(tmp_path: Path) -> None:
    url = f"{ETSI}/v2.7.1/etsi_nfv_sol001_vnfd_types.yaml"
    entry = write(tmp_path / "vnfd.yaml",
                  f"tosca_definitions_version: tosca_simple_yaml_1_3\nimports: [ {url} ]\n")
    target = write(tmp_path / "lib" / "v2.7.1" / "etsi_nfv_sol001_vnfd_types.yaml",
                   MARKER.format(name="X"))
    assert resolved(entry, tmp_path / "lib") == [target]


def test_a_missing_import_names_every_place_searched(tmp_path: Path) -> None:
    entry = write(tmp_path / "pkg" / "Definitions" / "vnfd.yaml",
                  "tosca_definitions_version: tosca_simple_yaml_1_3\n"
                  "imports: [ types/acme.yaml ]\n")
    model, diags = load(entry)
    assert model is None
    [diag] = diags
    assert diag.code == "import.not_found" and diag.line == 2
    assert "'types/acme.yaml'" in diag.message
    assert str(tmp_path / "pkg" / "Definitions" / "types" / "acme.yaml") in diag.message


def test_url_imports_use_the_network_only_when_allowed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = "https://types.example.com/acme.yaml"
    entry = write(tmp_path / "t.yaml", f"""\
tosca_definitions_version: tosca_simple_yaml_1_3
imports: [ {url} ]
topology_template:
  node_templates:
    box: {{ type: acme.Box }}
""")
    fetched: list[str] = []

    def fake_urlopen(request: Any, *args: Any, **kwargs: Any) -> io.BytesIO:
        fetched.append(request if isinstance(request, str) else request.full_url)
        return io.BytesIO(b"tosca_definitions_version: tosca_simple_yaml_1_3\n"
                          b"node_types:\n  acme.Box:\n    derived_from: tosca.nodes.Root\n")

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    model, diags = load(entry)
    assert model is None and fetched == []
    [diag] = diags
    assert diag.code == "import.not_found" and "network access is disabled" in diag.message
    model, diags = load(entry, allow_network=True)
    assert model is not None, [str(d) for d in diags]
    assert fetched == [url] and model.nodes["box"].type == "acme.Box"


# -- the official ETSI type files as the local type library --------------------------------------
def official_vnfd(version: str) -> str:
    image = """
        name: cirros
        version: "0.6"
        checksum:
          algorithm: sha-256
          hash: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
        container_format: bare
        disk_format: qcow2
        min_disk: 1 GB
        size: 20 MB"""
    as_property = "      sw_image_data:" + image.replace("\n        ", "\n        ")
    as_artifact = ("    artifacts:\n      sw_image:\n        type: tosca.artifacts.nfv.SwImage\n"
                   "        file: cirros.qcow2\n        properties:" +
                   image.replace("\n        ", "\n          "))
    v4 = version.startswith("4.")
    return f"""\
tosca_definitions_version: tosca_simple_yaml_1_3
imports:
  - {ETSI}/v{version}/etsi_nfv_sol001_common_types.yaml
  - {ETSI}/v{version}/etsi_nfv_sol001_vnfd_types.yaml
topology_template:
  node_templates:
    vdu:
      type: tosca.nodes.nfv.Vdu.Compute
      properties:
        name: vdu
        description: the VDU
        vdu_profile: {{ min_number_of_instances: 1, max_number_of_instances: 2 }}
{"" if v4 else "  " + as_property.replace(chr(10), chr(10) + "  ")}
      capabilities:
        virtual_compute:
          properties:
            virtual_memory: {{ virtual_mem_size: 512 MB }}
            virtual_cpu: {{ num_virtual_cpu: 1 }}
{"  " + as_artifact.replace(chr(10), chr(10) + "  ") if v4 else ""}
    vl:
      type: tosca.nodes.nfv.VnfVirtualLink
      properties:
        connectivity_type: {{ layer_protocols: [ ipv4 ] }}
        vl_profile:
          max_bitrate_requirements: {{ root: 1000 }}
          min_bitrate_requirements: {{ root: 100 }}
    cp:
      type: tosca.nodes.nfv.VduCp
      properties: {{ layer_protocols: [ ipv4 ], order: 0 }}
      requirements:
        - virtual_binding: vdu
        - virtual_link: vl
"""


@pytest.mark.skipif(not OFFICIAL_TYPES.is_dir(),
                    reason=f"the official SOL001 type files are not at {OFFICIAL_TYPES}")
@pytest.mark.parametrize("version", ["2.6.1", "2.7.1", "3.3.1", "3.5.1", "4.4.1"])
def test_a_vnfd_loads_with_the_official_type_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str) -> None:
    entry = write(tmp_path / "vnfd.yaml", official_vnfd(version))
    monkeypatch.setenv(TYPES_PATH_ENV, str(OFFICIAL_TYPES))
    files = resolved(entry, OFFICIAL_TYPES)
    assert files and all(f.is_relative_to(OFFICIAL_TYPES / version) for f in files), files
    model, diags = load(entry)
    assert model is not None, [str(d) for d in diags]
    assert not [d for d in diags if d.severity is Severity.ERROR]
    assert model.nodes["cp"].type_chain[:2] == ("tosca.nodes.nfv.VduCp", "tosca.nodes.nfv.Cp")
    assert {r.name: r.target for r in model.nodes["cp"].requirements} == {
        "virtual_binding": "vdu", "virtual_link": "vl"}
    # and without the library, the same URLs come from netorch's own types
    monkeypatch.delenv(TYPES_PATH_ENV)
    builtin = Path(netorch.tosca.__file__).resolve().parent / "types"
    assert all(f.resolve().is_relative_to(builtin) for f in resolved(entry, None))
