"""YAML reading with positions, and CSAR entry lookup / safe extraction."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from netorch.tosca import csar, load
from netorch.tosca.yaml_doc import parse_yaml


# -- YAML ------------------------------------------------------------------------------------
def test_positions_of_keys_and_items() -> None:
    doc, diags = parse_yaml("a:\n  b: 1\n  c:\n    - x\n    - y: 2\n", "f.yaml")
    assert diags == [] and doc is not None
    assert doc.where("a") == (1, 1)
    assert doc.where("a", "b") == (2, 3)
    assert doc.where("a", "c", 1) == (5, 7)
    assert doc.line_of("a", "c", 1, "y") == 5
    assert doc.line_of("nope") is None


def test_timestamps_stay_strings() -> None:
    doc, _ = parse_yaml("released: 2024-05-01\nat: 2024-05-01T10:00:00Z\n", "f")
    assert doc is not None
    assert doc.data == {"released": "2024-05-01", "at": "2024-05-01T10:00:00Z"}


def test_duplicate_keys_anywhere_are_errors() -> None:
    doc, diags = parse_yaml("a:\n  b: 1\n  b: 2\nc: [ {d: 1, d: 2} ]\n", "f")
    assert doc is None
    assert sorted((d.code, d.line) for d in diags) == [("yaml.duplicate_key", 3),
                                                       ("yaml.duplicate_key", 4)]


def test_alias_bomb_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    doc, diags = parse_yaml("\n".join(lines) + "\n", "f")
    assert doc is None
    assert [d.code for d in diags] == ["yaml.alias_bomb"]
    assert diags[0].line is not None


def test_recursive_alias_is_refused() -> None:
    doc, diags = parse_yaml("a: &a\n  b: *a\n", "f")
    assert doc is None
    assert [(d.code, d.line) for d in diags] == [("yaml.recursive_alias", 2)]


def test_aliases_and_merge_keys_within_limits_load() -> None:
    doc, diags = parse_yaml("base: &b {cpu: 2, mem: 4}\n"
                            "vm1: {<<: *b, name: a}\nvm2: *b\n", "f")
    assert diags == [] and doc is not None
    assert doc.data["vm1"] == {"cpu": 2, "mem": 4, "name": "a"}
    assert doc.data["vm2"] == {"cpu": 2, "mem": 4}


def test_undefined_alias_and_second_document_are_syntax_errors() -> None:
    assert [(d.code, d.line) for d in parse_yaml("a: *nope\n", "f")[1]] == [("yaml.syntax", 1)]
    assert [(d.code, d.line) for d in parse_yaml("a: 1\n---\nb: 2\n", "f")[1]] == \
        [("yaml.syntax", 2)]


def test_python_tags_are_refused() -> None:
    doc, diags = parse_yaml("a: !!python/object/apply:os.system [ls]\n", "f")
    assert doc is None
    assert [(d.code, d.line) for d in diags] == [("yaml.syntax", 1)]


def test_invalid_utf8_is_an_encoding_error(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_bytes(b"tosca_definitions_version: \xff\xfe\xfa\n")
    model, diags = load(path)
    assert model is None
    assert [d.code for d in diags] == ["yaml.encoding"]


# -- TOSCA.meta and entry lookup ----------------------------------------------------------------
def test_tosca_meta_first_block_only() -> None:
    meta = csar.read_tosca_meta(
        "TOSCA-Meta-File-Version: 1.0\nCreated-by: me\nEntry-Definitions: Definitions/a.yaml\n"
        "\nName: Files/x\nContent-Type: application/x\n")
    assert meta == {"TOSCA-Meta-File-Version": "1.0", "Created-by": "me",
                    "Entry-Definitions": "Definitions/a.yaml"}
    assert csar.meta_value(meta, "created-BY") == "me"


def package(root: Path, meta: str | None, files: dict[str, str]) -> Path:
    root.mkdir(parents=True)
    if meta is not None:
        (root / "TOSCA-Metadata").mkdir()
        (root / "TOSCA-Metadata" / "TOSCA.meta").write_text(meta)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


MINIMAL = ("tosca_definitions_version: tosca_simple_yaml_1_3\n"
           "topology_template:\n  node_templates:\n    vm:\n      type: tosca.nodes.Compute\n")


def test_meta_without_entry_definitions(tmp_path: Path) -> None:
    root = package(tmp_path / "p", "TOSCA-Meta-File-Version: 1.0\nCSAR-Version: 1.1\n",
                   {"Definitions/a.yaml": MINIMAL})
    model, diags = load(root)
    assert model is None
    assert [d.code for d in diags] == ["csar.no_entry_definitions"]


def test_meta_naming_a_missing_entry(tmp_path: Path) -> None:
    root = package(tmp_path / "p", "Entry-Definitions: Definitions/b.yaml\n",
                   {"Definitions/a.yaml": MINIMAL})
    model, diags = load(root)
    assert model is None
    assert [d.code for d in diags] == ["csar.entry_not_found"]
    assert "Definitions/b.yaml" in diags[0].message


def test_meta_entry_outside_the_package_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.yaml").write_text(MINIMAL)
    root = package(tmp_path / "p", "Entry-Definitions: ../outside.yaml\n", {})
    model, diags = load(root)
    assert model is None
    assert [d.code for d in diags] == ["csar.path_traversal"]


def test_metadata_directory_without_tosca_meta(tmp_path: Path) -> None:
    root = package(tmp_path / "p", None, {"TOSCA-Metadata/README": "x", "main.yaml": MINIMAL})
    model, diags = load(root)
    assert model is None
    assert [d.code for d in diags] == ["csar.bad_meta"]


def test_no_meta_and_several_root_yaml_files_is_ambiguous(tmp_path: Path) -> None:
    root = package(tmp_path / "p", None, {"a.yaml": MINIMAL, "b.yml": MINIMAL})
    model, diags = load(root)
    assert model is None
    assert [d.code for d in diags] == ["csar.ambiguous_entry"]


def test_no_meta_and_no_yaml(tmp_path: Path) -> None:
    root = package(tmp_path / "p", None, {"README.txt": "hello"})
    model, diags = load(root)
    assert model is None
    assert [d.code for d in diags] == ["csar.no_entry_definitions"]


def test_import_may_not_leave_the_package(tmp_path: Path) -> None:
    (tmp_path / "secret.yaml").write_text("tosca_definitions_version: tosca_simple_yaml_1_3\n")
    root = package(tmp_path / "p", None, {
        "main.yaml": "tosca_definitions_version: tosca_simple_yaml_1_3\n"
                     "imports:\n  - ../secret.yaml\n" + MINIMAL.split("\n", 1)[1]})
    model, diags = load(root)
    assert model is None
    assert [d.code for d in diags] == ["import.not_found"]
    assert "outside the package" in diags[0].message


# -- ZIP extraction -----------------------------------------------------------------------------
def make_zip(path: Path, members: dict[str, str], symlinks: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)
        for name in symlinks:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return path


def test_zip_with_parent_path_is_refused_and_writes_nothing_outside(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "evil.zip", {"main.yaml": MINIMAL, "../../evil.txt": "x"})
    model, diags = load(archive)
    assert model is None
    assert [d.code for d in diags] == ["csar.path_traversal"]
    assert not (tmp_path / "evil.txt").exists()
    assert not (tmp_path.parent / "evil.txt").exists()


def test_zip_with_absolute_path_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "abs.txt"
    archive = make_zip(tmp_path / "evil.zip", {"main.yaml": MINIMAL, str(target): "x"})
    model, diags = load(archive)
    assert model is None
    assert [d.code for d in diags] == ["csar.absolute_path"]
    assert not target.exists()


def test_zip_with_symlink_is_refused(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "evil.zip", {"main.yaml": MINIMAL}, symlinks=("link.yaml",))
    model, diags = load(archive)
    assert model is None
    assert [d.code for d in diags] == ["csar.symlink"]


def test_zip_size_and_count_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = make_zip(tmp_path / "big.zip", {"main.yaml": MINIMAL, "data.bin": "0" * 5000})
    monkeypatch.setenv("NETORCH_CSAR_MAX_BYTES", "4000")
    assert [d.code for d in load(archive)[1]] == ["csar.too_large"]
    monkeypatch.setenv("NETORCH_CSAR_MAX_BYTES", str(10**6))
    monkeypatch.setenv("NETORCH_CSAR_MAX_FILES", "1")
    assert [d.code for d in load(archive)[1]] == ["csar.too_many_files"]


def test_a_csar_suffix_that_is_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "pkg.csar"
    path.write_text(MINIMAL)
    model, diags = load(path)
    assert model is None
    assert [d.code for d in diags] == ["csar.bad_zip"]


def test_good_zip_without_meta(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "ok.zip", {"service.yaml": MINIMAL, "Files/readme.txt": "x"})
    model, diags = load(archive)
    assert diags == [] and model is not None
    assert model.source == f"{archive}!/service.yaml"
    assert model.name == "ok"
