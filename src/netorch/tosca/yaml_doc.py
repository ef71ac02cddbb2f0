"""YAML reading with source positions (YAML 1.1 as used by TOSCA Simple Profile YAML 1.3 §3.1).

The document is composed once (``yaml.compose`` semantics, with the libyaml composer when it is
available), checked, then constructed.  The checks are the ones PyYAML does not do on its own:

* duplicate mapping keys (YAML 1.2 §3.2.1.3 forbids them; PyYAML silently keeps the last one);
* alias expansion bombs and recursive aliases, which would make every later walk explode.

Timestamps are *not* converted to ``datetime``: TOSCA values are JSON-like, and a service model
must serialize to JSON and back unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from netorch.model.diagnostics import Diagnostic, error

MAX_EXPANDED_NODES = 5_000_000
"""Upper bound on YAML nodes after alias expansion (a "billion laughs" guard)."""

POSITION_DEPTH = 8
"""How deep key positions are recorded (enough for
``topology_template.node_templates.<n>.properties.<p>.<x>``)."""

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"

Path_ = tuple[str | int, ...]


@functools.cache
def _loader_class() -> type[Any]:
    """A safe loader (libyaml-based when available) that keeps timestamps as strings."""
    base: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    resolvers = {
        first: [(tag, regexp) for tag, regexp in entries if tag != _TIMESTAMP_TAG]
        for first, entries in base.yaml_implicit_resolvers.items()
    }
    return type("NetorchYamlLoader", (base,), {"yaml_implicit_resolvers": resolvers})


@dataclass(slots=True)
class YamlDocument:
    """A parsed YAML file: its data and where each mapping key / sequence item starts."""

    file: str
    """How the file is named in diagnostics."""
    data: Any
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    """path (keys and indexes from the root) -> (line, column), both 1-based."""

    def line_of(self, *path: str | int) -> int | None:
        pos = self.positions.get(tuple(path))
        return pos[0] if pos else None

    def where(self, *path: str | int) -> tuple[int | None, int | None]:
        pos = self.positions.get(tuple(path))
        return (pos[0], pos[1]) if pos else (None, None)


def _children(node: yaml.Node) -> Iterator[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield key
            yield value
    elif isinstance(node, yaml.SequenceNode):
        yield from node.value


def _expanded_size_ok(root: yaml.Node, limit: int) -> tuple[str, str] | None:
    """None when the node graph is acyclic and expands to at most ``limit`` nodes, else
    ``(code, reason)``.

    Linear in the number of distinct nodes: sizes are memoized per node object.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        nid = id(node)
        if finished:
            open_nodes.discard(nid)
            total = 1 + sum(sizes[id(child)] for child in _children(node))
            if total > limit:
                return ("yaml.too_large",
                        f"the document expands to more than {limit} nodes through aliases")
            sizes[nid] = total
            continue
        if nid in sizes:
            continue
        open_nodes.add(nid)
        stack.append((node, True))
        for child in _children(node):
            cid = id(child)
            if cid in open_nodes:
                return "yaml.recursive_alias", "the document contains a recursive alias"
            if cid not in sizes:
                stack.append((child, False))
    return None


def _scan(root: yaml.Node, file: str, positions: dict[Path_, tuple[int, int]]
          ) -> list[Diagnostic]:
    """Record key positions and report duplicate keys; each distinct node is visited once."""
    diags: list[Diagnostic] = []
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, Path_]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        record = len(path) < POSITION_DEPTH
        if isinstance(node, yaml.MappingNode):
            keys: set[tuple[str, str]] = set()
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    ident = (key_node.tag, key_node.value)
                    if ident in keys and key_node.value != "<<":
                        diags.append(error(
                            "yaml.duplicate_key",
                            f"duplicate mapping key {key_node.value!r}",
                            file, key_node.start_mark.line + 1, key_node.start_mark.column + 1))
                    keys.add(ident)
                    child_path = (*path, key_node.value)
                    if record and child_path not in positions:
                        positions[child_path] = (key_node.start_mark.line + 1,
                                                 key_node.start_mark.column + 1)
                    stack.append((value_node, child_path))
                else:
                    stack.append((key_node, (*path, "<key>")))
                    stack.append((value_node, (*path, "<complex>")))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                child_path = (*path, index)
                if record and child_path not in positions:
                    positions[child_path] = (item.start_mark.line + 1, item.start_mark.column + 1)
                stack.append((item, child_path))
    return diags


def _mark_diag(code: str, exc: yaml.MarkedYAMLError, file: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    message = f"{problem}" + (f" ({exc.context})" if exc.context and exc.problem else "")
    if mark is None:
        return error(code, message, file)
    return error(code, message, file, mark.line + 1, mark.column + 1)


def parse_yaml(text: str, file: str) -> tuple[YamlDocument | None, list[Diagnostic]]:
    """Parse one YAML document; never raises for bad input."""
    loader = _loader_class()(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            return None, [_mark_diag("yaml.syntax", exc, file)]
        except yaml.YAMLError as exc:
            return None, [error("yaml.syntax", str(exc), file)]
        except RecursionError:
            return None, [error("yaml.too_deep", "the YAML document is nested too deeply", file)]
        if root is None:
            return YamlDocument(file, None), []
        problem = _expanded_size_ok(root, MAX_EXPANDED_NODES)
        if problem is not None:
            return None, [error(problem[0], problem[1], file)]
        positions: dict[Path_, tuple[int, int]] = {}
        diags = _scan(root, file, positions)
        if diags:
            return None, diags
        try:
            data = loader.construct_document(root)
        except yaml.MarkedYAMLError as exc:
            return None, [_mark_diag("yaml.syntax", exc, file)]
        except yaml.YAMLError as exc:
            return None, [error("yaml.syntax", str(exc), file)]
        except RecursionError:
            return None, [error("yaml.too_deep", "the YAML document is nested too deeply", file)]
        except (TypeError, ValueError) as exc:
            # e.g. an unhashable complex key, or an out-of-range value in a tagged scalar
            return None, [error("yaml.syntax", f"cannot build the YAML value: {exc}", file)]
        return YamlDocument(file, data, positions), []
    finally:
        loader.dispose()


def decode_yaml_bytes(raw: bytes, file: str) -> tuple[str | None, list[Diagnostic]]:
    """Decode UTF-8 (with or without BOM); YAML 1.1 also allows UTF-16 with a BOM."""
    try:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            return raw.decode("utf-16"), []
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        return None, [error("yaml.encoding",
                            f"the file is not valid UTF-8 text (byte {exc.start})", file)]


def read_yaml_file(path: Path, file: str) -> tuple[YamlDocument | None, bytes | None,
                                                   list[Diagnostic]]:
    """Read and parse ``path``; returns the document, the raw bytes and the diagnostics."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, None, [error("source.unreadable", f"cannot read the file: {exc.strerror}",
                                  file)]
    text, diags = decode_yaml_bytes(raw, file)
    if text is None:
        return None, raw, diags
    doc, diags = parse_yaml(text, file)
    return doc, raw, diags
