"""The content-hash load cache (issue 3): unchanged content served without parsing, any change
a miss, failed / signed / fetched loads never stored, the disk kept within its budget."""

from __future__ import annotations

import json
import os
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from netorch.model.diagnostics import Diagnostic, Severity
from netorch.model.serialize import model_from_dict, model_to_dict
from netorch.tosca import cache, load
from netorch.tosca.native import fastyaml, importwalk, route

REPO = Path(__file__).resolve().parents[2]

SERVICE = """
tosca_definitions_version: tosca_simple_yaml_1_3
imports:
  - types.yaml
topology_template:
  inputs:
    cpus:
      type: integer
      default: 2
  node_templates:
    server:
      type: tosca.nodes.Compute
      capabilities:
        host:
          properties:
            num_cpus: { get_input: cpus }
    app:
      type: example.App
      requirements:
        - host: server
"""

TYPES = """
tosca_definitions_version: tosca_simple_yaml_1_3
node_types:
  example.App:
    derived_from: tosca.nodes.SoftwareComponent
    properties:
      workers:
        type: integer
        default: {workers}
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh NETORCH_HOME; every load is worth caching; no memory left from other tests."""
    home = tmp_path / "home"
    monkeypatch.setenv("NETORCH_HOME", str(home))
    monkeypatch.delenv("NETORCH_LOAD_CACHE", raising=False)
    monkeypatch.setenv("NETORCH_LOAD_CACHE_MIN_MS", "0")
    store = cache.from_env()
    assert store is not None
    store.clear_memory()
    return home


def write_service(tmp_path: Path, workers: int = 4) -> Path:
    folder = tmp_path / "svc"
    folder.mkdir(exist_ok=True)
    (folder / "types.yaml").write_text(TYPES.format(workers=workers).lstrip())
    path = folder / "service.yaml"
    path.write_text(textwrap.dedent(SERVICE).lstrip())
    return path


class Counter:
    """Counts loads that really parse: the native path's reads and the tosca-parser path."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real_native, real_read = route.load_native, fastyaml.read_text

        def native(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return real_native(*args, **kwargs)

        def read(*args: Any, **kwargs: Any) -> Any:
            self.parsed += 1
            return real_read(*args, **kwargs)

        self.parsed = 0
        monkeypatch.setattr(route, "load_native", native)
        monkeypatch.setattr(fastyaml, "read_text", read)
        monkeypatch.setattr(importwalk, "read_text", read)


def entries(home: Path) -> list[Path]:
    return sorted((home / "cache" / "load").glob("*.json"))


def test_a_repeated_load_is_served_without_parsing(tmp_path: Path, home: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_service(tmp_path)
    counter = Counter(monkeypatch)
    first, diags = load(path)
    assert first is not None and counter.calls == 1
    assert len(entries(home)) == 1

    again, diags_again = load(path)
    assert again is first  # the memory layer hands back the (immutable) model itself
    assert diags_again == diags and counter.calls == 1

    store = cache.from_env()
    assert store is not None
    store.clear_memory()
    parsed_before = counter.parsed
    from_disk, diags_disk = load(path)
    assert counter.calls == 1 and counter.parsed == parsed_before  # no YAML read
    assert from_disk is not None and from_disk is not first
    assert model_to_dict(from_disk) == model_to_dict(first)
    assert diags_disk == diags


def test_a_changed_import_is_a_miss(tmp_path: Path, home: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_service(tmp_path, workers=4)
    counter = Counter(monkeypatch)
    first, _ = load(path)
    assert first is not None and first.nodes["app"].properties["workers"] == 4
    write_service(tmp_path, workers=9)  # only the imported file changes
    second, _ = load(path)
    assert counter.calls == 2
    assert second is not None and second.nodes["app"].properties["workers"] == 9


def test_a_file_appearing_where_an_import_was_looked_for_is_a_miss(
        tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = "https://forge.etsi.org/rep/nfv/SOL001/raw/v2.6.1/etsi_nfv_sol001_common_types.yaml"
    path = tmp_path / "service.yaml"
    path.write_text(f"tosca_definitions_version: tosca_simple_yaml_1_2\nimports:\n  - {url}\n"
                    "topology_template:\n  node_templates:\n"
                    "    s: {type: tosca.nodes.Compute}\n")
    counter = Counter(monkeypatch)
    assert load(path)[0] is not None  # the ETSI URL resolves to netorch's own type file
    assert load(path)[0] is not None and counter.calls == 1
    sibling = tmp_path / "etsi_nfv_sol001_common_types.yaml"  # looked for first, next time
    sibling.write_text("tosca_definitions_version: tosca_simple_yaml_1_2\n")
    load(path)
    assert counter.calls == 2


def test_the_arguments_are_part_of_the_key(tmp_path: Path, home: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_service(tmp_path)
    counter = Counter(monkeypatch)
    one, _ = load(path, inputs={"cpus": 1})
    two, _ = load(path, inputs={"cpus": 2})
    assert counter.calls == 2
    assert one is not None and two is not None
    assert one.nodes["server"].capabilities["host"]["num_cpus"] == 1
    assert two.nodes["server"].capabilities["host"]["num_cpus"] == 2
    load(path, inputs={"cpus": 1})
    load(path, inputs={"cpus": 1}, known_vnfds={"x": {"f"}})
    assert counter.calls == 3
    moved = tmp_path / "elsewhere"
    (tmp_path / "svc").rename(moved)
    other, _ = load(moved / "service.yaml", inputs={"cpus": 1})
    assert counter.calls == 4  # the same content under another name: its name is in the model
    assert other is not None and other.source.endswith("elsewhere/service.yaml")


def test_failed_loads_are_not_stored(tmp_path: Path, home: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("tosca_definitions_version: tosca_simple_yaml_1_3\ntopology_template:\n"
                    "  node_templates:\n    s: {type: tosca.nodes.Nope}\n")
    counter = Counter(monkeypatch)
    assert load(path)[0] is None
    assert load(path)[0] is None
    assert counter.calls == 2 and entries(home) == []


def test_switched_off_it_neither_reads_nor_writes(tmp_path: Path, home: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETORCH_LOAD_CACHE", "off")
    path = write_service(tmp_path)
    counter = Counter(monkeypatch)
    load(path)
    load(path)
    assert counter.calls == 2 and entries(home) == []


def test_quick_loads_are_not_worth_storing(tmp_path: Path, home: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETORCH_LOAD_CACHE_MIN_MS", "60000")
    path = write_service(tmp_path)
    counter = Counter(monkeypatch)
    load(path)
    load(path)
    assert counter.calls == 2 and entries(home) == []


def test_packages_with_signatures_are_not_stored(tmp_path: Path, home: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    package = tmp_path / "vrouter"
    shutil.copytree(REPO / "vnf-packages" / "vrouter", package)
    counter = Counter(monkeypatch)
    assert load(package)[0] is not None
    assert load(package)[0] is not None and counter.calls == 1  # unsigned: cached
    (package / "Licenses" / "vendor.cert").write_text("not a real certificate\n")
    assert cache.carries_signatures(package)
    store = cache.from_env()
    assert store is not None
    store.clear_memory()
    before = len(entries(home))
    assert load(package)[0] is not None  # loads (the file is only unlisted: a warning)
    assert load(package)[0] is not None
    assert counter.calls == 3 and len(entries(home)) == before


def test_a_corrupt_entry_is_a_miss_and_is_removed(tmp_path: Path, home: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_service(tmp_path)
    load(path)
    [entry] = entries(home)
    entry.write_text("{not json")
    store = cache.from_env()
    assert store is not None
    store.clear_memory()
    counter = Counter(monkeypatch)
    model, _ = load(path)
    assert model is not None and counter.calls == 1
    assert [p.name for p in entries(home)] == [entry.name]  # rewritten, valid again
    json.loads(entry.read_text().splitlines()[0])
    assert not list((home / "cache" / "load").glob(".tmp-*"))


def test_the_disk_cache_keeps_within_its_budget_least_recently_used_first(
        tmp_path: Path) -> None:
    directory = tmp_path / "load"
    store = cache.LoadCache(directory, max_bytes=10**9, memory_entries=0)
    model, diags = load(write_service(tmp_path))
    assert model is not None
    sizes = []
    for index in range(4):
        store.store(f"{index:064x}", cache.FileRecord(), model, diags)
        sizes.append((directory / f"{index:064x}.json").stat().st_size)
        os.utime(directory / f"{index:064x}.json", (time.time() - 100 + index,) * 2)
    budget = sizes[0] * 2 + sizes[0] // 2
    store = cache.LoadCache(directory, max_bytes=budget, memory_entries=0)
    assert store.lookup(f"{0:064x}") is not None  # used now: the most recent
    store.store(f"{9:064x}", cache.FileRecord(), model, diags)
    kept = {p.stem for p in directory.glob("*.json")}
    assert sum(p.stat().st_size for p in directory.glob("*.json")) <= budget
    assert f"{9:064x}" in kept and f"{0:064x}" in kept
    assert f"{1:064x}" not in kept  # the least recently used went first


def test_the_fast_model_decoder_equals_model_from_dict(tmp_path: Path) -> None:
    paths = [*sorted((REPO / "service-templates").glob("*.yaml")),
             *sorted((REPO / "vnf-packages").iterdir())]
    for path in paths:
        model, _ = load(path)
        assert model is not None
        text = json.dumps(model_to_dict(model))
        assert cache._decode_model(text) == model_from_dict(json.loads(text)) == model
    tagged = json.dumps({**model_to_dict(model), "metadata": {"t": {"$tuple": [1, 2]}}})
    assert '"$' in tagged
    assert cache._decode_model(tagged).metadata == {"t": (1, 2)}


def test_diagnostics_survive_the_round_trip() -> None:
    diag = Diagnostic(Severity.WARNING, "x.y", "message", "file.yaml", 3, 4)
    assert cache._diag_from_json(json.loads(json.dumps(cache._diag_to_json(diag)))) == diag


def test_the_key_depends_on_content_and_code(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_service(tmp_path)
    request = cache.LoadRequest(path)
    key = cache.request_key(request)
    assert key is not None and key == cache.request_key(cache.LoadRequest(path))
    path.write_text(path.read_text() + "\n# a comment\n")
    assert cache.request_key(request) != key
    monkeypatch.setattr(cache, "code_fingerprint", lambda: "other code")
    assert cache.request_key(request) not in (key, None)
    assert cache.request_key(cache.LoadRequest(tmp_path / "missing.yaml")) is None
    assert cache.request_key(cache.LoadRequest(path, inputs={"x": object()})) is None
