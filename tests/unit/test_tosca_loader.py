"""Behaviour of netorch.tosca.load: diagnostics, positions, inputs, functions, sources."""

from __future__ import annotations

import logging
import shutil
import textwrap
import threading
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netorch.model.diagnostics import Diagnostic, Severity, has_errors
from netorch.tosca import load, parser_bridge

REPO = Path(__file__).resolve().parents[2]
VROUTER = REPO / "vnf-packages" / "vrouter"


def write(tmp_path: Path, text: str, name: str = "service.yaml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def errors(diags: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diags if d.severity is Severity.ERROR]


def codes(diags: list[Diagnostic]) -> set[str]:
    return {d.code for d in diags}


BASIC = """
tosca_definitions_version: tosca_simple_yaml_1_3
topology_template:
  inputs:
    cpus:
      type: integer
    flavor_disk:
      type: scalar-unit.size
      default: 10 GB
  node_templates:
    server:
      type: tosca.nodes.Compute
      capabilities:
        host:
          properties:
            num_cpus: { get_input: cpus }
            disk_size: { get_input: flavor_disk }
            mem_size: 1 GB
    app:
      type: tosca.nodes.SoftwareComponent
      properties:
        component_version: { concat: [ "build-", { get_input: cpus } ] }
      requirements:
        - host: server
"""


# -- inputs -----------------------------------------------------------------------------------
def test_inputs_are_substituted_and_merged_over_defaults(tmp_path: Path) -> None:
    model, diags = load(write(tmp_path, BASIC), inputs={"cpus": 4})
    assert not has_errors(diags), diags
    assert model is not None
    assert model.input_values == {"cpus": 4, "flavor_disk": "10 GB"}
    host = model.nodes["server"].capabilities["host"]
    assert host["num_cpus"] == 4
    assert host["disk_size"] == "10 GB"
    assert model.nodes["app"].properties["component_version"] == "build-4"
    assert model.inputs["cpus"].required and not model.inputs["cpus"].has_default
    assert model.inputs["flavor_disk"].has_default


def test_missing_required_input_is_an_error_when_inputs_are_given(tmp_path: Path) -> None:
    path = write(tmp_path, BASIC)
    model, diags = load(path, inputs={})
    assert model is None
    missing = [d for d in diags if d.code == "input.missing"]
    assert len(missing) == 1 and missing[0].severity is Severity.ERROR
    assert "cpus" in missing[0].message
    assert missing[0].line == 4  # where the input is declared


def test_missing_required_input_is_a_warning_without_inputs(tmp_path: Path) -> None:
    model, diags = load(write(tmp_path, BASIC))
    assert model is not None
    assert [d.severity for d in diags if d.code == "input.missing"] == [Severity.WARNING]
    assert model.nodes["server"].capabilities["host"]["num_cpus"] is None


def test_unknown_input_is_reported(tmp_path: Path) -> None:
    model, diags = load(write(tmp_path, BASIC), inputs={"cpus": 1, "cpu": 2})
    assert model is None
    unknown = [d for d in diags if d.code == "input.unknown"]
    assert len(unknown) == 1 and "'cpu'" in unknown[0].message


def test_input_of_wrong_type_is_reported(tmp_path: Path) -> None:
    model, diags = load(write(tmp_path, BASIC), inputs={"cpus": "many"})
    assert model is None
    assert "input.invalid" in codes(errors(diags))


def test_input_constraints_are_checked(tmp_path: Path) -> None:
    path = write(tmp_path, """
        tosca_definitions_version: tosca_simple_yaml_1_3
        topology_template:
          inputs:
            replicas:
              type: integer
              constraints:
                - in_range: [ 1, 3 ]
          node_templates:
            server:
              type: tosca.nodes.Compute
    """)
    assert load(path, inputs={"replicas": 2})[0] is not None
    model, diags = load(path, inputs={"replicas": 7})
    assert model is None
    bad = [d for d in diags if d.code == "input.invalid"]
    assert bad and "in_range" in bad[0].message and bad[0].line == 4


def test_get_input_of_undeclared_input_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, """
        tosca_definitions_version: tosca_simple_yaml_1_3
        topology_template:
          node_templates:
            server:
              type: tosca.nodes.Compute
              capabilities:
                host:
                  properties:
                    num_cpus: { get_input: nowhere }
    """)
    model, diags = load(path)
    assert model is None
    assert "tosca.unknown_input" in codes(errors(diags))


# -- functions ---------------------------------------------------------------------------------
FUNCTIONS = """
tosca_definitions_version: tosca_simple_yaml_1_3
node_types:
  test.App:
    derived_from: tosca.nodes.SoftwareComponent
    properties:
      port:
        type: integer
        default: 8080
      peer_port:
        type: integer
        required: false
      host_cpus:
        type: integer
        required: false
      endpoint:
        type: string
        required: false
      dns:
        type: list
        required: false
        entry_schema:
          type: string
topology_template:
  inputs:
    dns:
      type: list
      entry_schema:
        type: string
      default: [ 10.0.0.53, 10.0.0.54 ]
  node_templates:
    server:
      type: tosca.nodes.Compute
      capabilities:
        host:
          properties:
            num_cpus: 2
    db:
      type: test.App
      properties:
        port: 5432
      requirements:
        - host: server
    app:
      type: test.App
      properties:
        peer_port: { get_property: [ db, port ] }
        host_cpus: { get_property: [ HOST, host, num_cpus ] }
        endpoint: { concat: [ "http://", { get_attribute: [ server, private_address ] }, ":",
                              { get_property: [ SELF, port ] } ] }
        dns: { get_input: dns }
      requirements:
        - host: server
        - dependency: db
  outputs:
    db_port:
      value: { get_property: [ db, port ] }
    address:
      value: { get_attribute: [ server, private_address ] }
"""


def test_get_property_forms_and_runtime_functions(tmp_path: Path) -> None:
    model, diags = load(write(tmp_path, FUNCTIONS))
    assert not has_errors(diags), diags
    assert model is not None
    app = model.nodes["app"].properties
    assert app["peer_port"] == 5432
    assert app["port"] == 8080  # a type default
    assert app["host_cpus"] == 2  # HOST -> server's host capability
    assert app["dns"] == ["10.0.0.53", "10.0.0.54"]
    # get_attribute has no value before deployment: concat keeps it, with the rest resolved
    assert app["endpoint"] == {"concat": [
        "http://", {"get_attribute": ["server", "private_address"]}, ":", 8080]}
    assert model.outputs["db_port"].value == 5432
    assert model.outputs["address"].value == {"get_attribute": ["server", "private_address"]}


# -- requirements and relationships ------------------------------------------------------------
def test_relationship_is_the_nearest_normative_type(tmp_path: Path) -> None:
    path = write(tmp_path, """
        tosca_definitions_version: tosca_simple_yaml_1_3
        relationship_types:
          test.rel.SecureLink:
            derived_from: tosca.relationships.ConnectsTo
        topology_template:
          relationship_templates:
            tls:
              type: test.rel.SecureLink
              properties:
                credential: { token: secret }
          node_templates:
            server:
              type: tosca.nodes.Compute
            db:
              type: tosca.nodes.DBMS
              requirements:
                - host: server
            app:
              type: tosca.nodes.WebApplication
              requirements:
                - host:
                    node: server
                    relationship: tosca.relationships.HostedOn
                - dependency:
                    node: db
                    relationship: tls
    """)
    model, diags = load(path)
    assert not has_errors(diags), diags
    assert model is not None
    reqs = {r.name: r for r in model.nodes["app"].requirements}
    assert reqs["host"].relationship == "tosca.relationships.HostedOn"
    assert reqs["dependency"].relationship == "tosca.relationships.ConnectsTo"
    assert reqs["dependency"].target == "db"
    assert reqs["dependency"].properties == {"credential": {"token": "secret"}}
    db_host = model.nodes["db"].requirements[0]
    assert (db_host.name, db_host.target, db_host.relationship) == (
        "host", "server", "tosca.relationships.HostedOn")
    assert db_host.capability == "tosca.capabilities.Container"  # from the requirement definition
    assert model.nodes["db"].type_chain == (
        "tosca.nodes.DBMS", "tosca.nodes.SoftwareComponent", "tosca.nodes.Root")


def test_requirement_to_missing_node_names_it_and_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, """
        tosca_definitions_version: tosca_simple_yaml_1_3
        topology_template:
          node_templates:
            app:
              type: tosca.nodes.SoftwareComponent
              requirements:
                - host: sever
    """)
    model, diags = load(path)
    assert model is None
    [diag] = [d for d in diags if d.code == "tosca.missing_requirement_target"]
    assert "'sever'" in diag.message and "'app'" in diag.message
    assert diag.line == 7
    assert diag.file == str(path)


def test_unknown_node_type_names_the_type_and_the_node_line(tmp_path: Path) -> None:
    path = write(tmp_path, """
        tosca_definitions_version: tosca_simple_yaml_1_3
        topology_template:
          node_templates:
            ok:
              type: tosca.nodes.Compute
            broken:
              type: tosca.nodes.Cmopute
    """)
    model, diags = load(path)
    assert model is None
    [diag] = [d for d in diags if d.code == "tosca.unknown_type"]
    assert "tosca.nodes.Cmopute" in diag.message
    assert diag.line == 6


def test_validator_findings_point_at_the_offending_key(tmp_path: Path) -> None:
    path = write(tmp_path, """
        tosca_definitions_version: tosca_simple_yaml_1_3
        topology_template:
          node_templates:
            server:
              type: tosca.nodes.Compute
            store:
              type: tosca.nodes.BlockStorage
              properties:
                size: 10 GB
                colour: blue
    """)
    model, diags = load(path)
    assert model is None
    [diag] = [d for d in diags if d.code == "tosca.unknown_field"]
    assert "colour" in diag.message
    assert (diag.line, diag.column) == (10, 9)


def test_every_collected_problem_is_its_own_diagnostic(tmp_path: Path) -> None:
    path = write(tmp_path, """
        tosca_definitions_version: tosca_simple_yaml_1_3
        topology_template:
          node_templates:
            a:
              type: tosca.nodes.Compute
              capabilities:
                host:
                  properties:
                    mem_size: lots
            b:
              type: tosca.nodes.BlockStorage
              properties:
                size: 1 GB
                colour: red
    """)
    model, diags = load(path)
    assert model is None
    found = errors(diags)
    assert len(found) >= 2
    assert {"tosca.unknown_field", "tosca.invalid_value"} <= codes(found)
    assert all(d.message and "\n" not in d.message for d in found)
    lots = next(d for d in found if '"lots"' in d.message)
    assert lots.line == 9  # where the bad value is written


# -- YAML and header ---------------------------------------------------------------------------
def test_malformed_yaml_gives_syntax_error_with_position(tmp_path: Path) -> None:
    path = write(tmp_path, """
        tosca_definitions_version: tosca_simple_yaml_1_3
        topology_template:
          node_templates:
            server:
              type: [ tosca.nodes.Compute
        """)
    model, diags = load(path)
    assert model is None
    [diag] = diags
    assert diag.code == "yaml.syntax"
    assert diag.line is not None and diag.line >= 5
    assert diag.column is not None


def test_duplicate_key_with_another_value_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, """
        tosca_definitions_version: tosca_simple_yaml_1_3
        topology_template:
          node_templates:
            server:
              type: tosca.nodes.Compute
            server:
              type: tosca.nodes.Root
    """)
    model, diags = load(path)
    assert model is None
    [diag] = diags
    assert (diag.code, diag.line) == ("yaml.duplicate_key", 6)


@pytest.mark.parametrize(("text", "code"), [
    ("- just\n- a list\n", "tosca.not_a_mapping"),
    ("", "tosca.not_a_mapping"),
    ("topology_template: {}\n", "tosca.missing_version"),
    ("tosca_definitions_version: tosca_simple_yaml_9_9\n", "tosca.unsupported_version"),
    ("tosca_definitions_version: tosca_2_0\n", "tosca.unsupported_version"),
])
def test_header_problems(tmp_path: Path, text: str, code: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(text)
    model, diags = load(path)
    assert model is None
    assert [d.code for d in diags] == [code]


def test_source_that_does_not_exist(tmp_path: Path) -> None:
    model, diags = load(tmp_path / "nope.yaml")
    assert model is None
    assert codes(diags) == {"source.not_found"}


# -- imports -----------------------------------------------------------------------------------
def test_missing_import_is_reported_with_the_places_searched(tmp_path: Path) -> None:
    path = write(tmp_path, """
        tosca_definitions_version: tosca_simple_yaml_1_3
        imports:
          - types/missing_types.yaml
        topology_template:
          node_templates:
            server:
              type: tosca.nodes.Compute
    """)
    model, diags = load(path)
    assert model is None
    [diag] = diags
    assert diag.code == "import.not_found"
    assert "types/missing_types.yaml" in diag.message
    assert str(tmp_path / "types" / "missing_types.yaml") in diag.message
    assert diag.line == 3


def test_url_import_is_not_fetched_without_permission(tmp_path: Path) -> None:
    path = write(tmp_path, """
        tosca_definitions_version: tosca_simple_yaml_1_3
        imports:
          - https://types.example.invalid/custom.yaml
        topology_template:
          node_templates:
            server:
              type: tosca.nodes.Compute
    """)
    model, diags = load(path)
    assert model is None
    [diag] = diags
    assert diag.code == "import.not_found"
    assert "network access is disabled" in diag.message


def test_relative_import_with_its_own_types(tmp_path: Path) -> None:
    write(tmp_path, """
        tosca_definitions_version: tosca_simple_yaml_1_3
        node_types:
          test.nodes.Cache:
            derived_from: tosca.nodes.SoftwareComponent
            properties:
              size_mb:
                type: integer
                default: 64
    """, "types/cache.yaml")
    path = write(tmp_path, """
        tosca_definitions_version: tosca_simple_yaml_1_3
        imports:
          - types/cache.yaml
        topology_template:
          node_templates:
            server:
              type: tosca.nodes.Compute
            cache:
              type: test.nodes.Cache
              requirements:
                - host: server
    """)
    model, diags = load(path)
    assert not has_errors(diags), diags
    assert model is not None
    assert model.nodes["cache"].properties == {"size_mb": 64}
    assert model.nodes["cache"].type_chain == (
        "test.nodes.Cache", "tosca.nodes.SoftwareComponent", "tosca.nodes.Root")


# -- CSARs -------------------------------------------------------------------------------------
def zip_directory(source: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as zf:
        for file in sorted(source.rglob("*")):
            if file.is_file():
                zf.write(file, file.relative_to(source).as_posix())
    return target


def test_zip_and_directory_csars_load_the_same_model(tmp_path: Path) -> None:
    from_dir, dir_diags = load(VROUTER)
    from_zip, zip_diags = load(zip_directory(VROUTER, tmp_path / "vrouter.csar"))
    assert not has_errors(dir_diags) and not has_errors(zip_diags), dir_diags + zip_diags
    assert from_dir is not None and from_zip is not None
    assert from_zip.nodes == from_dir.nodes
    assert from_zip.aspects == from_dir.aspects
    assert from_zip.content_hash == from_dir.content_hash
    assert from_zip.source.endswith("vrouter.csar!/Definitions/vrouter_vnfd.yaml")


def test_content_hash_follows_the_package_content(tmp_path: Path) -> None:
    import hashlib

    copy = tmp_path / "vrouter"
    shutil.copytree(VROUTER, copy)
    first, _ = load(copy)
    changelog = copy / "ChangeLog.txt"
    old_digest = hashlib.sha256(changelog.read_bytes()).hexdigest()
    with changelog.open("a") as fh:
        fh.write("one more line\n")
    manifest = copy / "vrouter.mf"  # keep the package's manifest true to its files
    manifest.write_text(manifest.read_text().replace(
        old_digest, hashlib.sha256(changelog.read_bytes()).hexdigest()))
    second, _ = load(copy)
    assert first is not None and second is not None
    assert len(first.content_hash) == 64
    assert first.content_hash != second.content_hash


def test_yaml_content_hash_is_sha256_of_the_file(tmp_path: Path) -> None:
    import hashlib

    path = write(tmp_path, BASIC)
    model, _ = load(path, inputs={"cpus": 1})
    assert model is not None
    assert model.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_csar_directory_without_meta_uses_its_single_root_yaml(tmp_path: Path) -> None:
    write(tmp_path, BASIC, "pkg/service.yaml")
    model, diags = load(tmp_path / "pkg", inputs={"cpus": 2})
    assert not has_errors(diags), diags
    assert model is not None and model.name == "pkg"


# -- robustness --------------------------------------------------------------------------------
def test_tosca_parser_prints_and_logs_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             caplog: pytest.LogCaptureFixture,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # this test is about the tosca-parser path: pin it (no native path, no load cache)
    monkeypatch.setenv("NETORCH_NATIVE_LOADER", "0")
    monkeypatch.setenv("NETORCH_LOAD_CACHE", "0")
    path = write(tmp_path, BASIC)  # 'cpus' is required: tosca-parser warns about it
    root = logging.getLogger()
    handler = logging.StreamHandler()  # bound to the captured stderr
    handler.setLevel(logging.INFO)  # netorch re-logs tosca-parser's chatter at DEBUG only
    root.addHandler(handler)
    try:
        with caplog.at_level(logging.DEBUG):
            load(path)
            load(tmp_path / "missing.yaml")
        assert not [r for r in caplog.records if r.name.startswith("tosca")]
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err == ""

        # control: the same load without the silencer does reach the logs
        import contextlib
        import io

        @contextlib.contextmanager
        def loud() -> object:
            yield io.StringIO()

        monkeypatch.setattr(parser_bridge, "_silenced", loud)
        with caplog.at_level(logging.DEBUG):
            load(path)
        assert [r for r in caplog.records if r.name.startswith("tosca")]
    finally:
        root.removeHandler(handler)


def test_collector_state_does_not_leak_between_loads(tmp_path: Path) -> None:
    bad = write(tmp_path, """
        tosca_definitions_version: tosca_simple_yaml_1_3
        topology_template:
          node_templates:
            s:
              type: tosca.nodes.BlockStorage
              properties:
                colour: red
    """, "bad.yaml")
    good = write(tmp_path, BASIC, "good.yaml")
    assert load(bad)[0] is None
    model, diags = load(good, inputs={"cpus": 1})
    assert model is not None and not has_errors(diags)


def test_concurrent_loads_keep_their_own_diagnostics(tmp_path: Path) -> None:
    bad = write(tmp_path, """
        tosca_definitions_version: tosca_simple_yaml_1_3
        topology_template:
          node_templates:
            s:
              type: tosca.nodes.BlockStorage
              properties:
                colour: red
    """, "bad.yaml")
    good = write(tmp_path, BASIC, "good.yaml")
    results: dict[str, list[bool]] = {"good": [], "bad": []}

    def worker(name: str, path: Path) -> None:
        for _ in range(4):
            model, _diags = load(path, inputs={"cpus": 1} if name == "good" else None)
            results[name].append(model is not None)

    threads = [threading.Thread(target=worker, args=(n, p))
               for n, p in (("good", good), ("bad", bad), ("good", good))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results["good"] == [True] * 8
    assert results["bad"] == [False] * 4


YAMLISH = st.text(alphabet=st.sampled_from(list("abc:-[]{}&*!|>'\"#%@`,? \n\t0123456789")),
                  max_size=200)
KEYS = st.sampled_from(["tosca_definitions_version", "topology_template", "node_templates",
                        "type", "properties", "requirements", "inputs", "policies", "groups",
                        "imports", "node", "get_input", "get_property", "capabilities",
                        "tosca.nodes.Compute", "tosca_simple_yaml_1_3", "host", "x"])
TREES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | KEYS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children,
                                                                     max_size=4),
    max_leaves=20)


def _check_no_escape(path: Path) -> None:
    model, diags = load(path)
    assert isinstance(diags, list)
    assert all(isinstance(d, Diagnostic) for d in diags)
    if model is None:
        assert has_errors(diags)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=YAMLISH)
def test_garbage_text_never_raises(tmp_path: Path, text: str) -> None:
    path = tmp_path / "garbage.yaml"
    path.write_text(text)
    _check_no_escape(path)


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_random_bytes_never_raise(tmp_path: Path, data: bytes) -> None:
    for name in ("garbage.yaml", "garbage.zip"):
        path = tmp_path / name
        path.write_bytes(data)
        _check_no_escape(path)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tree=st.dictionaries(KEYS, TREES, max_size=4))
def test_random_tosca_shaped_documents_never_raise(tmp_path: Path, tree: dict[str, object]
                                                   ) -> None:
    import yaml

    document = {"tosca_definitions_version": "tosca_simple_yaml_1_3", **tree}
    path = tmp_path / "tree.yaml"
    path.write_text(yaml.safe_dump(document))
    _check_no_escape(path)


def test_unexpected_exception_becomes_internal_error(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # this test is about the tosca-parser path: pin it (no native path, no load cache)
    monkeypatch.setenv("NETORCH_NATIVE_LOADER", "0")
    monkeypatch.setenv("NETORCH_LOAD_CACHE", "0")
    from netorch.tosca import loader

    def boom(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(loader, "check_header", boom)
    model, diags = load(write(tmp_path, BASIC))
    assert model is None
    [diag] = diags
    assert diag.code == "internal.error"
    assert "RuntimeError" in diag.message and "kaboom" in diag.message


def test_a_tosca_parser_crash_is_a_diagnostic(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # this test is about the tosca-parser path: pin it (no native path, no load cache)
    monkeypatch.setenv("NETORCH_NATIVE_LOADER", "0")
    monkeypatch.setenv("NETORCH_LOAD_CACHE", "0")
    from netorch.tosca import parser_bridge

    class Crashing:
        def __init__(self, **_kwargs: object) -> None:
            raise AttributeError("'NoneType' object has no attribute 'startswith'")

    monkeypatch.setattr(parser_bridge, "_template_class", lambda: Crashing)
    model, diags = load(write(tmp_path, BASIC), inputs={"cpus": 1})
    assert model is None
    [diag] = diags
    assert diag.code == "internal.error"
    assert "tosca-parser" in diag.message and "AttributeError" in diag.message


def test_requirement_definition_without_node_loads(tmp_path: Path) -> None:
    # tosca-parser 2.x looks up the node type offering a required capability only among types
    # named tosca.nodes.*, and crashes when there is none: the staged copy names one
    path = write(tmp_path, """
        tosca_definitions_version: tosca_simple_yaml_1_3
        capability_types:
          test.caps.Thing:
            derived_from: tosca.capabilities.Root
        node_types:
          test.Provider:
            derived_from: tosca.nodes.Root
            capabilities:
              thing:
                type: test.caps.Thing
          test.Consumer:
            derived_from: tosca.nodes.Root
            requirements:
              - thing:
                  capability: test.caps.Thing
                  relationship: tosca.relationships.DependsOn
        topology_template:
          node_templates:
            p:
              type: test.Provider
            c:
              type: test.Consumer
              requirements:
                - thing: p
    """)
    model, diags = load(path)
    assert diags == [], [str(d) for d in diags]
    assert model is not None
    assert [(r.name, r.target) for r in model.nodes["c"].requirements] == [("thing", "p")]
