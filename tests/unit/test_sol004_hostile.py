"""Hostile input: archives and YAML crafted to escape the temporary directory, fill the disk or
exhaust memory are refused, each with its own code, and leave nothing behind."""

from __future__ import annotations

import stat
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from netorch.model.diagnostics import Diagnostic
from netorch.tosca import csar, load
from netorch.tosca.sol004.limits import ArchiveLimits, YamlLimits
from netorch.tosca.yaml_doc import parse_yaml, read_yaml_file

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
MINIMAL = ("tosca_definitions_version: tosca_simple_yaml_1_3\n"
           "topology_template:\n  node_templates:\n    vm:\n      type: tosca.nodes.Compute\n")
MIB = 1024 * 1024


def listing(directory: Path) -> set[str]:
    return {p.relative_to(directory).as_posix() for p in directory.rglob("*")}


def extract(archive: Path, tmp_path: Path, limits: ArchiveLimits | None = None
            ) -> tuple[list[Diagnostic], Path]:
    """Extract into a fresh directory; asserts nothing appeared anywhere else in tmp_path."""
    target = tmp_path / "target"
    target.mkdir()
    before = listing(tmp_path) - {"target"}
    diags = csar.extract_zip(archive, target, archive.name, limits)
    after = listing(tmp_path)
    assert {p for p in after if not p.startswith("target")} == before
    return diags, target


def make_zip(path: Path, members: dict[str, str],
             tweak: Callable[[zipfile.ZipInfo], None] | None = None,
             special: dict[str, int] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in members.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            if special and name in special:
                info.external_attr = special[name] << 16
            if tweak is not None:
                tweak(info)
            zf.writestr(info, text)
    return path


@pytest.mark.parametrize(("name", "code"), [
    ("../../escaped.txt", "csar.path_traversal"),
    ("Definitions/../../escaped.txt", "csar.path_traversal"),
    ("..\\..\\escaped.txt", "csar.path_traversal"),
    ("/tmp/netorch-escaped.txt", "csar.absolute_path"),
    ("C:/escaped.txt", "csar.absolute_path"),
])
def test_escaping_names_are_refused_and_nothing_is_written(tmp_path: Path, name: str,
                                                           code: str) -> None:
    archive = make_zip(tmp_path / "evil.zip", {"main.yaml": MINIMAL, name: "x"})
    diags, target = extract(archive, tmp_path)
    assert [d.code for d in diags] == [code]
    assert listing(target) == set()
    assert not Path("/tmp/netorch-escaped.txt").exists()
    model, diags = load(archive)
    assert model is None and [d.code for d in diags] == [code]


def test_symlink_and_special_entries_are_refused(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "evil.zip",
                       {"main.yaml": MINIMAL, "link": "/etc/passwd", "fifo": ""},
                       special={"link": stat.S_IFLNK | 0o777, "fifo": stat.S_IFIFO | 0o644})
    diags, target = extract(archive, tmp_path)
    assert [d.code for d in diags] == ["csar.symlink", "csar.special_file"]
    assert listing(target) == set()


def test_duplicate_entries_are_refused(tmp_path: Path) -> None:
    archive = tmp_path / "dup.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("main.yaml", MINIMAL)
        with pytest.warns(UserWarning):
            zf.writestr("main.yaml", "tosca_definitions_version: other\n")
    diags, target = extract(archive, tmp_path)
    assert [d.code for d in diags] == ["csar.duplicate_entry"]
    assert listing(target) == set()


def test_too_many_files_is_refused_before_the_directory_is_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = make_zip(tmp_path / "many.zip", {f"f{i}.txt": "x" for i in range(50)})
    assert csar.central_directory_summary(archive) is not None
    assert csar.central_directory_summary(archive)[0] == 50  # type: ignore[index]

    def no_zipfile(*args: object, **kwargs: object) -> None:
        raise AssertionError("the central directory was read")

    monkeypatch.setattr(zipfile, "ZipFile", no_zipfile)
    diags, target = extract(archive, tmp_path, ArchiveLimits(max_files=10))
    assert [d.code for d in diags] == ["csar.too_many_files"]
    assert listing(target) == set()
    assert "50" in diags[0].message


def test_entry_count_is_read_past_a_misleading_comment(tmp_path: Path) -> None:
    archive = tmp_path / "commented.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for i in range(3):
            zf.writestr(f"f{i}.txt", "x")
        zf.comment = b"PK\x05\x06 is the end-of-central-directory signature" + bytes(30)
    summary = csar.central_directory_summary(archive)
    assert summary is not None and summary[0] == 3


def _bomb(path: Path, size: int, name: str = "bomb.bin") -> Path:
    """One entry of ``size`` zero bytes, written in chunks (the test never holds it)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("main.yaml", MINIMAL)
        with zf.open(name, "w", force_zip64=True) as out:
            chunk = bytes(MIB)
            for _ in range(size // MIB):
                out.write(chunk)
    return path


def test_zip_bomb_is_refused_by_ratio_with_little_memory(tmp_path: Path) -> None:
    archive = _bomb(tmp_path / "bomb.zip", 64 * MIB)
    assert archive.stat().st_size < MIB
    tracemalloc.start()
    try:
        diags, target = extract(archive, tmp_path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [d.code for d in diags] == ["csar.compression_ratio"]
    assert listing(target) == set()
    assert peak < 4 * MIB


def test_declared_total_size_is_refused_before_writing(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "big.zip", {"main.yaml": MINIMAL, "data.bin": "0" * 5000})
    diags, target = extract(archive, tmp_path, ArchiveLimits(max_total_bytes=4000))
    assert [d.code for d in diags] == ["csar.too_large"]
    assert listing(target) == set()


def test_bytes_are_counted_while_extracting(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Even if the declared sizes passed (they are checked first), the bytes written are
    counted: extraction stops at the limit."""
    monkeypatch.setattr(csar, "_check_members", lambda *args: [])
    archive = _bomb(tmp_path / "bomb.zip", 16 * MIB)
    tracemalloc.start()
    try:
        diags, target = extract(archive, tmp_path,
                                ArchiveLimits(max_total_bytes=3 * MIB, max_ratio=1e9))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [d.code for d in diags] == ["csar.too_large"]
    assert sum(p.stat().st_size for p in target.rglob("*") if p.is_file()) <= 3 * MIB
    assert peak < 4 * MIB
    again = tmp_path / "again"
    again.mkdir()
    diags, target = extract(archive, again, ArchiveLimits(max_ratio=10))
    assert [d.code for d in diags] == ["csar.compression_ratio"]
    assert sum(p.stat().st_size for p in target.rglob("*") if p.is_file()) <= 2 * MIB


def test_lying_sizes_are_caught(tmp_path: Path) -> None:
    """A central directory that understates an entry's size cannot smuggle bytes: the entry
    fails its CRC check and the archive is refused."""
    archive = make_zip(tmp_path / "liar.zip", {"main.yaml": MINIMAL, "data.bin": "A" * 5000})
    raw = bytearray(archive.read_bytes())
    central = raw.rfind(b"PK\x01\x02")
    size_at = central + 24  # uncompressed size in the central directory header
    raw[size_at:size_at + 4] = (10).to_bytes(4, "little")
    archive.write_bytes(bytes(raw))
    diags, _ = extract(archive, tmp_path)
    assert [d.code for d in diags] == ["csar.bad_zip"]


def test_limits_from_the_environment() -> None:
    env = {"NETORCH_CSAR_MAX_FILES": "7", "NETORCH_CSAR_MAX_BYTES": "1000",
           "NETORCH_CSAR_MAX_RATIO": "3.5", "NETORCH_YAML_MAX_DEPTH": "9",
           "NETORCH_YAML_MAX_ALIAS_NODES": "-1", "NETORCH_YAML_MAX_BYTES": "lots"}
    archive = ArchiveLimits.from_env(env)
    assert (archive.max_files, archive.max_total_bytes, archive.max_ratio) == (7, 1000, 3.5)
    yaml_limits = YamlLimits.from_env(env)
    assert yaml_limits.max_depth == 9
    assert yaml_limits.max_alias_nodes == YamlLimits().max_alias_nodes  # negative: ignored
    assert yaml_limits.max_bytes == YamlLimits().max_bytes  # not a number: ignored


# -- YAML ---------------------------------------------------------------------------------------
def billion_laughs(levels: int = 9) -> str:
    lines = ["lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels + 1):
        refs = ", ".join([f"*lol{i - 1}"] * 10)
        lines.append(f"lol{i}: &lol{i} [{refs}]")
    return "tosca_definitions_version: tosca_simple_yaml_1_3\n" + "\n".join(lines) + "\n"


def test_billion_laughs_is_refused_quickly_with_little_memory(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(billion_laughs())
    tracemalloc.start()
    try:
        model, diags = load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert model is None
    assert [d.code for d in diags] == ["yaml.alias_bomb"]
    assert diags[0].line is not None
    assert peak < 8 * MIB


def test_alias_limit_is_configurable() -> None:
    text = billion_laughs(2)  # lol1 repeats lol0 (11 nodes) 10 times, lol2 repeats lol1 (111)
    assert parse_yaml(text, "f", YamlLimits(max_alias_nodes=1220))[1] == []
    assert [d.code for d in parse_yaml(text, "f", YamlLimits(max_alias_nodes=1219))[1]] == \
        ["yaml.alias_bomb"]


def test_deep_nesting_is_refused_instead_of_crashing() -> None:
    for text in ("[" * 200_000 + "]" * 200_000, "- " * 200_000 + "x\n",
                 "a: {" * 50_000 + "}" * 50_000):
        doc, diags = parse_yaml(text, "f")
        assert doc is None and [d.code for d in diags] == ["yaml.too_deep"]
    assert parse_yaml("[" * 20 + "]" * 20, "f", YamlLimits(max_depth=20))[1] == []
    assert [d.code for d in parse_yaml("[" * 21 + "]" * 21, "f",
                                       YamlLimits(max_depth=20))[1]] == ["yaml.too_deep"]


def test_oversized_yaml_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(MINIMAL + "# padding\n" * 100)
    doc, raw, diags = read_yaml_file(path, "big.yaml", YamlLimits(max_bytes=200))
    assert doc is None and raw is None
    assert [d.code for d in diags] == ["yaml.too_large"]


def test_yaml_bomb_inside_a_package(tmp_path: Path) -> None:
    archive = tmp_path / "pkg.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("service.yaml", billion_laughs())
    model, diags = load(archive)
    assert model is None and [d.code for d in diags] == ["yaml.alias_bomb"]
    assert diags[0].file == f"{archive}!/service.yaml"


def test_duplicate_key_reports_the_second_occurrence(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text(MINIMAL + "    vm:\n      type: tosca.nodes.Root\n")  # a different value
    model, diags = load(path)
    assert model is None
    assert [(d.code, d.line) for d in diags] == [("yaml.duplicate_key", 6)]
    assert "'vm'" in diags[0].message


def test_corpus_duplicate_map_key() -> None:
    path = CORPUS / "cloudnet-tosca-toolbox" / "tests" / "yaml_parsing" / "duplicate_map_key.yaml"
    if not path.is_file():
        pytest.skip(f"corpus file absent: {path}")
    model, diags = load(path)
    assert model is None
    dup = [d for d in diags if d.code == "yaml.duplicate_key"]
    assert dup, [str(d) for d in diags]
    lines = path.read_text().splitlines()
    for d in dup:
        assert d.line is not None
        key = lines[d.line - 1].strip().split(":")[0]
        earlier = [ln for ln in lines[:d.line - 1] if ln.strip().split(":")[0] == key]
        assert earlier, f"line {d.line} is not a second occurrence"
