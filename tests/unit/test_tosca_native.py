"""The native loading path gives the tosca-parser path's results (issue 3, Performance).

Equivalence is the correctness bar: for every example and every corpus entry the native path
accepts to handle, the model is the same and so are the warnings; an entry the tosca-parser
path rejects, the native path rejects too, with the same specific codes.  Entries the native
path declines must reach the tosca-parser path through :func:`netorch.tosca.load`.  Generated
templates (hypothesis) are held to the same.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netorch.model.diagnostics import Diagnostic, Severity
from netorch.model.serialize import model_to_dict
from netorch.tosca import load, loader
from netorch.tosca.native import fastyaml, route, validate
from netorch.tosca.native.fastyaml import LazyPositions, read_text
from netorch.tosca.native.importwalk import DOCUMENTS
from netorch.tosca.native.pipeline import NativeResult, Unsupported, load_native
from netorch.tosca.sol004.limits import YamlLimits
from netorch.tosca.yaml_doc import parse_yaml

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("NETORCH_CORPUS") or REPO.parent / "shared" / "corpus")
MANIFEST = CORPUS / "MANIFEST.json"
ENTRIES: list[dict[str, Any]] = json.loads(MANIFEST.read_text("utf-8")) \
    if MANIFEST.is_file() else []
FLAVOURS = {"tacker:tacker/packages/practical_vnf_package": "scalable"}
"""Top-level Tacker VNFDs select a deployment flavour through an input."""

GENERIC_CODES = frozenset({"internal.error", "tosca.invalid"})
"""Codes that name no specific problem (a crash, a text-only validation error)."""

Result = tuple[Any, list[Diagnostic]]


@pytest.fixture(autouse=True)
def _no_load_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETORCH_LOAD_CACHE", "0")


def write(tmp_path: Path, text: str, name: str = "service.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def tosca_parser_path(path: Path, inputs: Mapping[str, object] | None = None) -> Result:
    return loader._load(path, inputs, None, False, None, None)


def _code(diag: Diagnostic) -> str:
    # parser_bridge files the validator's output-section findings under input.invalid (both
    # live in its parameters module); the native path gives the finding's own code
    if diag.code == "input.invalid" and diag.message.startswith('Output "'):
        return "tosca.missing_field" if "missing required" in diag.message \
            else "tosca.unknown_field"
    return diag.code


def error_codes(diags: list[Diagnostic]) -> set[str]:
    return {_code(d) for d in diags if d.severity is Severity.ERROR}


def warnings(diags: list[Diagnostic]) -> list[str]:
    return sorted(str(d) for d in diags if d.severity is not Severity.ERROR)


def assert_equivalent(native: NativeResult, reference: Result) -> None:
    """The native result against the tosca-parser path's (see the module doc)."""
    model, diags = reference
    if model is not None:
        assert native.model is not None, [str(d) for d in native.diagnostics]
        assert model_to_dict(native.model) == model_to_dict(model)
        assert warnings(native.diagnostics) == warnings(diags)
        return
    assert native.model is None, "the native path accepted what the tosca-parser path rejects"
    ours = error_codes(native.diagnostics)
    assert ours, "no error reported"
    specific = error_codes(diags) - GENERIC_CODES
    assert specific <= ours, (sorted(specific - ours), [str(d) for d in native.diagnostics])


# -- the fast YAML reader ---------------------------------------------------------------------
def _yaml_files() -> list[Path]:
    roots = [REPO / "service-templates", REPO / "vnf-packages", REPO / "src" / "netorch"]
    if CORPUS.is_dir():
        roots.append(CORPUS)
    return sorted(p for root in roots for p in root.rglob("*.y*ml") if p.is_file())


def _same_document(text: str, file: str, limits: YamlLimits | None = None) -> None:
    fast, fast_diags = read_text(text, file, limits)
    slow, slow_diags = parse_yaml(text, file, limits)
    assert fast_diags == slow_diags
    assert (fast is None) == (slow is None)
    if fast is not None and slow is not None:
        assert fast.data == slow.data
        assert type(fast.data) is type(slow.data)
        assert dict(fast.positions.items()) == dict(slow.positions.items()) or \
            fast.positions == slow.positions


def test_fast_reader_reads_every_real_file_as_parse_yaml_does() -> None:
    files = _yaml_files()
    # the project's own templates, packages and type files, and the corpus where it is present
    assert len(files) > (100 if CORPUS.is_dir() else 10)
    for path in files:
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            continue
        _same_document(text, str(path))


@pytest.mark.parametrize("text", [
    "a: &x {b: 1}\nc: *x\n",                       # anchors and aliases
    "base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n",  # merge key
    "a: !!str 12\nb: !custom x\n",                  # explicit tags
    "a: 1\na: 1\n",                                 # duplicate key, same value (a warning)
    "a: 1\na: 2\n",                                 # duplicate key, another value (an error)
    "a: [1, 2\n",                                   # syntax error
    "a: 1\n---\nb: 2\n",                            # two documents
    "? [1, 2]\n: x\n",                              # complex key
    "1: one\ntrue: yes\n",                          # keys that are not text
    "",                                             # empty document
    "just text\n",                                  # a scalar document
    "date: 2024-01-02\nv: =\nn: ~\nf: 1.5e3\no: 0o17\nh: 0x1f\ns: '12'\n",  # resolution
    "a:\n  - b: [1, {c: [x, y]}]\n  - - nested\n",
])
def test_fast_reader_and_parse_yaml_agree_on_unusual_yaml(text: str) -> None:
    _same_document(text, "t.yaml")


def test_nesting_beyond_the_limit_is_refused_as_parse_yaml_does() -> None:
    text = "a: " + "[" * 12 + "]" * 12 + "\n"
    limits = YamlLimits(max_depth=5)
    doc, diags = read_text(text, "t.yaml", limits)
    assert doc is None and [d.code for d in diags] == ["yaml.too_deep"]
    _same_document(text, "t.yaml", limits)


def test_deep_positions_are_recorded_on_first_use() -> None:
    text = "topology_template:\n  node_templates:\n    a:\n      properties:\n        p: 1\n"
    doc, _ = read_text(text, "t.yaml")
    assert doc is not None and isinstance(doc.positions, LazyPositions)
    shallow = len(doc.positions)
    assert doc.where("topology_template", "node_templates", "a") == (3, 5)
    assert len(doc.positions) == shallow  # no second pass for a shallow path
    assert doc.where("topology_template", "node_templates", "a", "properties", "p") == (5, 9)
    assert len(doc.positions) > shallow
    assert doc.where("nowhere", "at", "all", "deep") == (None, None)


@pytest.mark.parametrize("enabled", [True, False])
def test_the_garbage_collector_is_left_as_it_was(tmp_path: Path, enabled: bool) -> None:
    path = write(tmp_path, "tosca_definitions_version: tosca_simple_yaml_1_3\n")
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        load_native(path, None, None, False, None)
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


# -- equivalence on the examples and the corpus ------------------------------------------------
def _cases() -> Iterator[Any]:
    for path in sorted((REPO / "service-templates").glob("*.yaml")):
        yield pytest.param(path, None, id=f"example:{path.name}")
    for path in sorted((REPO / "vnf-packages").iterdir()):
        yield pytest.param(path, None, id=f"example:{path.name}")
    for entry in ENTRIES:
        path = CORPUS / entry["path"]
        if entry.get("entry_file"):
            path = path / entry["entry_file"]
        yield pytest.param(path, None, id=entry["id"])
        if entry["id"].startswith("tacker:tacker/packages/") and entry["form"] == "csar-dir":
            flavour = FLAVOURS.get(entry["id"], "simple")
            yield pytest.param(path, {"selected_flavour": flavour},
                               id=f"{entry['id']}[flavour {flavour}]")


CASES = list(_cases())


@pytest.mark.parametrize(("path", "inputs"), CASES)
def test_native_path_gives_the_tosca_parser_paths_result(
        path: Path, inputs: Mapping[str, object] | None) -> None:
    reference = tosca_parser_path(path, inputs)
    outcome = load_native(path, inputs, None, False, None)
    if isinstance(outcome, Unsupported):
        assert outcome.reason
        # what the native path declines, load() gives to the tosca-parser path
        model, diags = load(path, inputs=inputs)
        assert (model is None) == (reference[0] is None)
        assert [str(d) for d in diags] == [str(d) for d in reference[1]]
        if model is not None:
            assert model_to_dict(model) == model_to_dict(reference[0])
        return
    assert_equivalent(outcome, reference)


def test_the_native_path_handles_nearly_every_entry() -> None:
    """A floor, so that a change that makes the native path decline many templates fails."""
    if not ENTRIES:
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    declined: dict[str, str] = {}
    for case in CASES:
        path, inputs = case.values
        outcome = load_native(path, inputs, None, False, None)
        if isinstance(outcome, Unsupported):
            declined[str(case.id)] = outcome.reason
    assert len(CASES) > 100
    assert len(declined) <= 8, declined


# -- generated templates ----------------------------------------------------------------------
CATALOGUE: dict[str, dict[str, Any]] = {
    # node type -> properties it may be given, capabilities, requirement -> target type
    "tosca.nodes.Compute": {
        "capabilities": {"host": {"num_cpus": 2, "mem_size": "2 GB", "disk_size": "10 GB"},
                         "os": {"type": "linux", "distribution": "debian"}},
        "requirements": {"local_storage": "tosca.nodes.BlockStorage"}},
    "tosca.nodes.SoftwareComponent": {"properties": {"component_version": "1.2"},
                                      "requirements": {"host": "tosca.nodes.Compute"}},
    "tosca.nodes.DBMS": {"properties": {"root_password": "s3cret", "port": 3306},
                         "requirements": {"host": "tosca.nodes.Compute"}},
    "tosca.nodes.Database": {"properties": {"name": "db", "port": 3306, "user": "u"},
                             "requirements": {"host": "tosca.nodes.DBMS"}},
    "tosca.nodes.BlockStorage": {"properties": {"size": "10 GB"}},
    "tosca.nodes.network.Network": {"properties": {"network_name": "n", "ip_version": 4,
                                                   "cidr": "10.0.0.0/24"}},
    "tosca.nodes.network.Port": {"properties": {"order": 0, "is_default": True},
                                 "requirements": {"binding": "tosca.nodes.Compute",
                                                  "link": "tosca.nodes.network.Network"}},
}
FAULTS = ["unknown_property", "bad_value", "unknown_requirement", "missing_required",
          "bad_capability", "unknown_key", "unknown_input", "output_without_value",
          "wrong_target", "unknown_capability", "bad_input_default", "concat_empty"]
BAD_VALUES = st.sampled_from(["abc", -5, 1.5, [1], {"k": 1}, "512", "7 parsecs", True, 70000,
                              None, "1.0.0.x"])


@st.composite
def templates(draw: st.DrawFn) -> dict[str, Any]:
    """A template of normative nodes wired as their types want, then zero to two faults."""
    kinds = draw(st.lists(st.sampled_from(sorted(CATALOGUE)), min_size=1, max_size=6))
    kinds = ["tosca.nodes.Compute", "tosca.nodes.network.Network", "tosca.nodes.DBMS",
             "tosca.nodes.BlockStorage", *kinds]
    nodes: dict[str, Any] = {}
    by_type: dict[str, list[str]] = {}
    for index, kind in enumerate(kinds):
        name = f"n{index}"
        spec = CATALOGUE[kind]
        node: dict[str, Any] = {"type": kind}
        props = spec.get("properties", {})
        chosen = draw(st.lists(st.sampled_from(sorted(props)), unique=True)) if props else []
        if kind == "tosca.nodes.Database":
            chosen = sorted({*chosen, "name"})
        if kind == "tosca.nodes.BlockStorage":
            chosen = ["size"]
        if chosen:
            node["properties"] = {p: props[p] for p in chosen}
        if spec.get("capabilities") and draw(st.booleans()):
            node["capabilities"] = {cap: {"properties": dict(values)}
                                    for cap, values in spec["capabilities"].items()}
        nodes[name] = node
        by_type.setdefault(kind, []).append(name)
    for node in nodes.values():
        wanted = CATALOGUE[node["type"]].get("requirements", {})
        reqs = [{req: draw(st.sampled_from(by_type[target]))}
                for req, target in wanted.items() if target in by_type
                and (req != "local_storage" or draw(st.booleans()))]
        if reqs:
            node["requirements"] = reqs
    inputs: dict[str, Any] = {"cpus": {"type": "integer", "default": 2}}
    outputs: dict[str, Any] = {"address": {"value": {"get_attribute": ["n0", "private_address"]}}}
    nodes["n0"].setdefault("capabilities", {})["host"] = {
        "properties": {"num_cpus": {"get_input": "cpus"}}}
    for fault in draw(st.lists(st.sampled_from(FAULTS), max_size=2)):
        victim = nodes[draw(st.sampled_from(sorted(nodes)))]
        if fault == "unknown_property":
            victim.setdefault("properties", {})["bogus"] = 1
        elif fault == "bad_value" and victim.get("properties"):
            victim["properties"][draw(st.sampled_from(sorted(victim["properties"])))] = \
                draw(BAD_VALUES)
        elif fault == "unknown_requirement":
            victim.setdefault("requirements", []).append({"bogus": "n0"})
        elif fault == "missing_required" and victim["type"] in ("tosca.nodes.BlockStorage",
                                                                 "tosca.nodes.Database"):
            victim.pop("properties", None)
        elif fault == "bad_capability":
            nodes["n0"]["capabilities"]["host"]["properties"]["mem_size"] = draw(BAD_VALUES)
        elif fault == "unknown_key":
            victim["bogus"] = "x"
        elif fault == "unknown_input":
            nodes["n0"]["capabilities"]["host"]["properties"]["num_cpus"] = {
                "get_input": "nosuch"}
        elif fault == "output_without_value":
            outputs["empty"] = {"description": "no value"}
        elif fault == "wrong_target" and victim.get("requirements"):
            first = victim["requirements"][0]
            first[next(iter(first))] = draw(st.sampled_from(sorted(nodes)))
        elif fault == "unknown_capability":
            victim.setdefault("capabilities", {})["bogus"] = {"properties": {}}
        elif fault == "bad_input_default":
            inputs["cpus"]["default"] = draw(BAD_VALUES)
        elif fault == "concat_empty":
            victim.setdefault("properties", {})["component_version"] = {"concat": []}
    return {"tosca_definitions_version": draw(st.sampled_from(
        ["tosca_simple_yaml_1_0", "tosca_simple_yaml_1_2", "tosca_simple_yaml_1_3"])),
            "topology_template": {"inputs": inputs, "node_templates": nodes,
                                  "outputs": outputs}}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(template=templates())
def test_generated_templates_get_the_same_verdict_on_both_paths(tmp_path: Path,
                                                               template: dict[str, Any]) -> None:
    path = tmp_path / "generated.yaml"
    path.write_text(yaml.safe_dump(template, sort_keys=False))
    reference = tosca_parser_path(path)
    outcome = load_native(path, None, None, False, None)
    if isinstance(outcome, Unsupported):
        return  # load() takes the tosca-parser path for it (see the corpus test above)
    if any(d.code == "internal.error" for d in reference[1]):
        assert outcome.model is None  # the validator crashed; the native path must not accept
        return
    assert_equivalent(outcome, reference)


def test_a_generated_template_of_every_bench_shape_is_native_and_equivalent(
        tmp_path: Path) -> None:
    """The shape bench/load.py measures: networks, VMs, ports, software, volumes, chains."""
    nodes: dict[str, Any] = {"net0": {"type": "tosca.nodes.network.Network", "properties": {
        "network_name": "n0", "cidr": {"get_input": "cidr"}, "ip_version": 4}},
        "vol0": {"type": "tosca.nodes.BlockStorage", "properties": {"size": "10 GB"}}}
    for i in range(30):
        reqs: list[Any] = [{"dependency": f"vm{i + 1}"}] if i < 29 else [{"local_storage": {
            "node": "vol0", "relationship": {"type": "tosca.relationships.AttachesTo",
                                             "properties": {"location": "/data"}}}}]
        nodes[f"vm{i}"] = {"type": "tosca.nodes.Compute", "requirements": reqs, "capabilities": {
            "host": {"properties": {"num_cpus": {"get_input": "cpus"}, "mem_size": "1 GB"}},
            "os": {"properties": {"type": "linux"}}}}
        nodes[f"vm{i}_port"] = {"type": "tosca.nodes.network.Port", "properties": {"order": 0},
                                "requirements": [{"binding": f"vm{i}"}, {"link": "net0"}]}
        nodes[f"vm{i}_svc"] = {"type": "app.Service", "properties": {"workers": 2},
                               "requirements": [{"host": f"vm{i}"}]}
    template = {
        "tosca_definitions_version": "tosca_simple_yaml_1_3",
        "node_types": {"app.Service": {"derived_from": "tosca.nodes.SoftwareComponent",
                                       "properties": {"workers": {
                                           "type": "integer", "constraints": [
                                               {"greater_than": 0}]}}}},
        "topology_template": {"inputs": {"cidr": {"type": "string", "default": "10.0.0.0/8"},
                                         "cpus": {"type": "integer", "default": 2}},
                              "node_templates": nodes}}
    path = tmp_path / "bench.yaml"
    path.write_text(yaml.safe_dump(template, sort_keys=False))
    outcome = load_native(path, None, None, False, None)
    assert isinstance(outcome, NativeResult)
    assert outcome.model is not None and len(outcome.model.nodes) == 92
    assert_equivalent(outcome, tosca_parser_path(path))


# -- specific findings ------------------------------------------------------------------------
HEADER = "tosca_definitions_version: tosca_simple_yaml_1_3\n"


@pytest.mark.parametrize(("body", "code", "fragment"), [
    ("topology_template:\n  node_templates:\n    s:\n      type: tosca.nodes.Compute\n"
     "      bogus: 1\n", "tosca.unknown_field", '"bogus"'),
    ("topology_template:\n  node_templates:\n    s:\n      type: tosca.nodes.BlockStorage\n"
     "      properties: {size: 10}\n", "tosca.invalid_value", "is not a valid scalar-unit"),
    ("topology_template:\n  node_templates:\n    w:\n      type: tosca.nodes.WebServer\n",
     "tosca.requirement_occurrences", 'Relationship "host" in template "w"'),
    ("topology_template:\n  node_templates:\n    s:\n      type: tosca.nodes.Compute\n"
     "      properties: {nope: {get_input: x}}\n", "tosca.unknown_field", '"nope"'),
    ("topology_template:\n  inputs: {x: {type: integer}}\n  node_templates:\n    s:\n"
     "      type: tosca.nodes.Database\n      properties:\n        name: {get_input: y}\n"
     "      requirements: [{host: s}]\n", "tosca.unknown_input", '"y"'),
    ("topology_template:\n  node_templates:\n    s:\n      type: tosca.nodes.Compute\n"
     "  outputs:\n    o: {value: {get_attribute: [nobody, address]}}\n", "tosca.not_found",
     '"nobody"'),
    ("topology_template:\n  node_templates:\n    s:\n      type: tosca.nodes.Compute\n"
     "      capabilities:\n        host:\n          properties: {num_cpus: many}\n",
     "tosca.invalid_value", '"many" is not an integer'),
    ("topology_template:\n  node_templates:\n    s:\n      type: tosca.nodes.Compute\n"
     "      capabilities:\n        host:\n          properties: {num_cpus: 0}\n",
     "tosca.invalid_value", "greater than or equal to"),
])
def test_native_findings_carry_the_tosca_parser_paths_codes(
        tmp_path: Path, body: str, code: str, fragment: str) -> None:
    path = write(tmp_path, HEADER + body)
    outcome = load_native(path, None, None, False, None)
    assert isinstance(outcome, NativeResult)
    assert outcome.model is None
    assert any(d.code == code and fragment in d.message for d in outcome.diagnostics), \
        [str(d) for d in outcome.diagnostics]
    assert_equivalent(outcome, tosca_parser_path(path))


@pytest.mark.parametrize(("body", "reason"), [
    ("topology_template:\n  relationship_templates:\n    r: {type: tosca.relationships.DependsOn}"
     "\n  node_templates:\n    s: {type: tosca.nodes.Compute}\n", "relationship templates"),
    ("topology_template:\n  inputs: {x: {type: list, default: [1]}}\n  node_templates:\n"
     "    s:\n      type: tosca.nodes.Compute\n      capabilities:\n        host:\n"
     "          properties: {num_cpus: {get_input: [x, 0]}}\n", "get_input with a path"),
    ("topology_template:\n  inputs:\n    c: {type: tosca.datatypes.Credential}\n"
     "  node_templates:\n    s: {type: tosca.nodes.Compute}\n", "input 'c' of type"),
])
def test_what_the_native_path_declines_reaches_the_tosca_parser_path(
        tmp_path: Path, body: str, reason: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, HEADER + body)
    outcome = load_native(path, None, None, False, None)
    assert isinstance(outcome, Unsupported) and reason in outcome.reason
    calls: list[Path] = []
    real = loader._load

    def counted(*args: Any) -> Result:
        calls.append(args[0])
        return real(*args)

    monkeypatch.setattr(loader, "_load", counted)
    _model, diags = load(path)
    assert calls == [path]
    assert [str(d) for d in diags] == [str(d) for d in tosca_parser_path(path)[1]]


# -- routing ----------------------------------------------------------------------------------
def test_a_native_path_failure_falls_back_to_tosca_parser(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    path = write(tmp_path, HEADER + "topology_template:\n  node_templates:\n"
                 "    s: {type: tosca.nodes.Compute}\n")

    def broken(*_args: object, **_kwargs: object) -> list[Diagnostic]:
        raise RuntimeError("native bug")

    monkeypatch.setattr(validate, "validate", broken)
    with caplog.at_level(logging.WARNING, logger=route.__name__):
        model, _diags = load(path)
    assert model is not None
    assert model_to_dict(model) == model_to_dict(tosca_parser_path(path)[0])
    assert any("native loading path failed" in r.getMessage() for r in caplog.records)


def test_the_native_path_can_be_switched_off(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, HEADER + "topology_template:\n  node_templates:\n"
                 "    s: {type: tosca.nodes.Compute}\n")

    def forbidden(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the native path ran")

    monkeypatch.setattr(route, "load_native", forbidden)
    monkeypatch.setenv("NETORCH_NATIVE_LOADER", "0")
    model, _diags = load(path)
    assert model is not None
    monkeypatch.delenv("NETORCH_NATIVE_LOADER")
    model, _diags = load(path)  # the native path is tried (and fails), then tosca-parser
    assert model is not None


def test_type_files_are_parsed_once_per_process_and_never_changed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    package = REPO / "vnf-packages" / "vrouter"
    DOCUMENTS.clear()
    first = load_native(package, None, None, False, None)
    assert isinstance(first, NativeResult) and first.model is not None
    cached = {key: json.dumps(doc.data, sort_keys=True, default=str)
              for key, doc in DOCUMENTS._docs.items()}
    assert cached, "no imported file was kept"
    parsed: list[str] = []
    real = fastyaml.read_text

    def counting(text: str, file: str, limits: YamlLimits | None = None) -> Any:
        parsed.append(file)
        return real(text, file, limits)

    monkeypatch.setattr("netorch.tosca.native.importwalk.read_text", counting)
    second = load_native(package, None, None, False, None)
    assert isinstance(second, NativeResult) and second.model is not None
    assert parsed == []  # every import came from the document cache
    assert model_to_dict(second.model) == model_to_dict(first.model)
    assert {key: json.dumps(doc.data, sort_keys=True, default=str)
            for key, doc in DOCUMENTS._docs.items()} == cached
