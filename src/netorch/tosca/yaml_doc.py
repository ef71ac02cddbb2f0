"""YAML reading with source positions (YAML 1.1 as used by TOSCA Simple Profile YAML 1.3 §3.1).

The document is composed once, checked, then constructed.  Composition is netorch's own
(iterative, over the libyaml event stream when it is available) so that the guards PyYAML lacks
run *while* the node graph is built, before anything can grow:

* alias expansion bombs ("billion laughs"): every alias adds the size of the subtree it repeats
  to a running count, refused beyond :attr:`YamlLimits.max_alias_nodes` (``yaml.alias_bomb``);
  an alias to a node that is still open is a recursive alias (``yaml.recursive_alias``);
* nesting depth beyond :attr:`YamlLimits.max_depth` (``yaml.too_deep``): the libyaml composer
  recurses in C and would crash the process on ``[[[[...``;
* duplicate mapping keys (YAML 1.2 §3.2.1.3 forbids them; PyYAML silently keeps the last one),
  reported at the second occurrence (``yaml.duplicate_key``): an error when the values differ
  (which one did the author mean?), a warning when the key repeats the very same value (the
  document means one thing whichever is kept; real packages do this by accident).

Timestamps are *not* converted to ``datetime``: TOSCA values are JSON-like, and a service model
must serialize to JSON and back unchanged.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from netorch.model.diagnostics import Diagnostic, error, has_errors, warning
from netorch.tosca.sol004.limits import YamlLimits, read_limited

POSITION_DEPTH = 8
"""How deep key positions are recorded (enough for
``topology_template.node_templates.<n>.properties.<p>.<x>``)."""

_UNCONVERTED_TAGS = frozenset({"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value"})
"""Implicit YAML 1.1 types kept as strings: timestamps (see the module docstring) and the
``=`` "value key" (which PyYAML resolves but cannot construct)."""

Path_ = tuple[str | int, ...]


@functools.cache
def _loader_class() -> type[Any]:
    """A safe loader (libyaml-based when available) that keeps timestamps and ``=`` as
    strings."""
    base: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    resolvers = {
        first: [(tag, regexp) for tag, regexp in entries if tag not in _UNCONVERTED_TAGS]
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
    moved: dict[Path_, Path_] = field(default_factory=dict)
    """Content :mod:`netorch.tosca.leniency` moved in :attr:`data`: its path prefix now ->
    the prefix it has in the file (positions are those of the file)."""
    repaired: bool = False
    """:attr:`data` is :mod:`netorch.tosca.leniency`'s repair of the file, not what it says."""

    def _position(self, path: Path_) -> tuple[int, int] | None:
        if self.moved:
            path = self.origin(path)
        return self.positions.get(path)

    def origin(self, path: Path_) -> Path_:
        """Where the content at ``path`` of :attr:`data` is written in the file."""
        for size in range(len(path), 0, -1):
            before = self.moved.get(path[:size])
            if before is not None:
                return (*before, *path[size:])
        return path

    def line_of(self, *path: str | int) -> int | None:
        pos = self._position(tuple(path))
        return pos[0] if pos else None

    def where(self, *path: str | int) -> tuple[int | None, int | None]:
        pos = self._position(tuple(path))
        return (pos[0], pos[1]) if pos else (None, None)


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
            keys: dict[tuple[str, str], tuple[yaml.Node, yaml.Node]] = {}
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    ident = (key_node.tag, key_node.value)
                    first = keys.get(ident)
                    if first is not None and key_node.value != "<<":
                        diags.append(_duplicate(key_node, first[0], value_node, first[1], file))
                    else:
                        keys[ident] = (key_node, value_node)
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


def _duplicate(key: yaml.ScalarNode, first_key: yaml.Node, value: yaml.Node,
               first_value: yaml.Node, file: str) -> Diagnostic:
    """A repeated mapping key (YAML 1.2 §3.2.1.3): a warning when it repeats the same value,
    an error when the two values differ."""
    line, col = key.start_mark.line + 1, key.start_mark.column + 1
    first_line = first_key.start_mark.line + 1
    if same_node(value, first_value):
        return warning("yaml.duplicate_key",
                       f"duplicate mapping key {key.value!r} repeats the value it has at line "
                       f"{first_line}; the repetition is ignored", file, line, col)
    return error("yaml.duplicate_key",
                 f"duplicate mapping key {key.value!r} with a value different from the one at "
                 f"line {first_line}: the document is ambiguous", file, line, col)


def same_node(first: yaml.Node, second: yaml.Node) -> bool:
    """Whether two composed YAML nodes stand for the same value: same tags, same scalars,
    sequences item by item, mappings with the same scalar keys whatever their order (a mapping
    with a complex key is compared in order)."""
    stack: list[tuple[yaml.Node, yaml.Node]] = [(first, second)]
    seen: set[tuple[int, int]] = set()
    while stack:
        a, b = stack.pop()
        if a is b or (id(a), id(b)) in seen:
            continue
        seen.add((id(a), id(b)))
        if type(a) is not type(b) or a.tag != b.tag:
            return False
        if isinstance(a, yaml.ScalarNode):
            if a.value != b.value:
                return False
        elif isinstance(a, yaml.SequenceNode):
            if len(a.value) != len(b.value):
                return False
            stack.extend(zip(a.value, b.value, strict=True))
        elif isinstance(a, yaml.MappingNode) and isinstance(b, yaml.MappingNode):
            pairs = _mapping_pairs(a, b)
            if pairs is None:
                return False
            stack.extend(pairs)
    return True


def _mapping_pairs(a: yaml.MappingNode, b: yaml.MappingNode
                   ) -> list[tuple[yaml.Node, yaml.Node]] | None:
    """The (key, key) and (value, value) node pairs to compare, or None when they differ."""
    if len(a.value) != len(b.value):
        return None
    if all(isinstance(k, yaml.ScalarNode) for k, _v in (*a.value, *b.value)):
        left = {(k.tag, k.value): v for k, v in a.value}
        right = {(k.tag, k.value): v for k, v in b.value}
        if left.keys() != right.keys():
            return None
        return [(v, right[k]) for k, v in left.items()]
    pairs: list[tuple[yaml.Node, yaml.Node]] = []
    for (ka, va), (kb, vb) in zip(a.value, b.value, strict=True):
        pairs += [(ka, kb), (va, vb)]
    return pairs


def _mark_diag(code: str, exc: yaml.MarkedYAMLError, file: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    message = f"{problem}" + (f" ({exc.context})" if exc.context and exc.problem else "")
    if mark is None:
        return error(code, message, file)
    return error(code, message, file, mark.line + 1, mark.column + 1)


class _Refused(Exception):
    """A composition guard tripped; carries the diagnostic."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def _at(code: str, message: str, file: str, mark: Any) -> Diagnostic:
    if mark is None:
        return error(code, message, file)
    return error(code, message, file, mark.line + 1, mark.column + 1)


@dataclass(slots=True)
class _Frame:
    node: yaml.MappingNode | yaml.SequenceNode
    anchor: str | None
    size: int = 1
    items: list[yaml.Node] = field(default_factory=list)


def _compose(loader: Any, file: str, limits: YamlLimits) -> yaml.Node | None:
    """The single document of the stream as a node graph (``yaml.compose`` semantics).

    Raises :class:`_Refused` when a guard trips and ``yaml.YAMLError`` for bad syntax.  Sizes
    count nodes after alias expansion; only the anchored nodes' sizes are kept.
    """
    get_event = loader.get_event
    resolve = loader.resolve
    event = get_event()
    if not isinstance(event, yaml.StreamStartEvent):  # pragma: no cover - parser contract
        raise yaml.YAMLError("expected the start of a YAML stream")
    event = get_event()
    if isinstance(event, yaml.StreamEndEvent):
        return None
    anchors: dict[str, tuple[yaml.Node, int]] = {}
    open_anchors: set[str] = set()
    stack: list[_Frame] = []
    alias_nodes = 0
    root: yaml.Node | None = None
    while root is None:
        event = get_event()
        kind = type(event)
        node: yaml.Node
        if kind is yaml.ScalarEvent:
            tag = event.tag
            if tag is None or tag == "!":
                tag = resolve(yaml.ScalarNode, event.value, event.implicit)
            node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark,
                                   style=event.style)
            size = 1
            if event.anchor is not None:
                anchors[event.anchor] = (node, 1)
        elif kind is yaml.AliasEvent:
            name = event.anchor
            if name in open_anchors:
                raise _Refused(_at("yaml.recursive_alias",
                                   f"alias *{name} refers to a node that contains it "
                                   "(recursive alias)", file, event.start_mark))
            if name not in anchors:
                raise _Refused(_at("yaml.syntax", f"found undefined alias *{name}", file,
                                   event.start_mark))
            node, size = anchors[name]
            alias_nodes += size
            if alias_nodes > limits.max_alias_nodes:
                raise _Refused(_at("yaml.alias_bomb",
                                   f"aliases expand the document by more than "
                                   f"{limits.max_alias_nodes} nodes (alias *{name}); refusing "
                                   "an alias expansion bomb", file, event.start_mark))
        elif kind is yaml.SequenceStartEvent or kind is yaml.MappingStartEvent:
            if len(stack) >= limits.max_depth:
                raise _Refused(_at("yaml.too_deep",
                                   f"the document nests collections more than "
                                   f"{limits.max_depth} levels deep", file, event.start_mark))
            is_seq = kind is yaml.SequenceStartEvent
            node_class = yaml.SequenceNode if is_seq else yaml.MappingNode
            tag = event.tag
            if tag is None or tag == "!":
                tag = resolve(node_class, None, event.implicit)
            collection = node_class(tag, [], event.start_mark, None,
                                    flow_style=event.flow_style)
            if event.anchor is not None:
                open_anchors.add(event.anchor)
            stack.append(_Frame(collection, event.anchor))
            continue
        elif kind is yaml.SequenceEndEvent or kind is yaml.MappingEndEvent:
            frame = stack.pop()
            node = frame.node
            node.end_mark = event.end_mark
            items = frame.items
            node.value = list(zip(items[0::2], items[1::2], strict=True)) \
                if isinstance(node, yaml.MappingNode) else items
            size = frame.size
            if frame.anchor is not None:
                open_anchors.discard(frame.anchor)
                anchors[frame.anchor] = (node, size)
        else:  # pragma: no cover - the parser never produces anything else here
            raise yaml.YAMLError(f"unexpected {kind.__name__}")
        if stack:
            parent = stack[-1]
            parent.items.append(node)
            parent.size += size
        else:
            root = node
    get_event()  # DocumentEndEvent
    event = get_event()
    if not isinstance(event, yaml.StreamEndEvent):
        raise _Refused(_at("yaml.syntax", "expected a single document in the stream, "
                           "found another document", file, event.start_mark))
    return root


def parse_yaml(text: str, file: str, limits: YamlLimits | None = None
               ) -> tuple[YamlDocument | None, list[Diagnostic]]:
    """Parse one YAML document; never raises for bad input.

    ``limits`` default to :meth:`YamlLimits.from_env`.
    """
    limits = limits or YamlLimits.from_env()
    loader = _loader_class()(text)
    try:
        try:
            root = _compose(loader, file, limits)
        except _Refused as refused:
            return None, [refused.diagnostic]
        except yaml.MarkedYAMLError as exc:
            return None, [_mark_diag("yaml.syntax", exc, file)]
        except yaml.YAMLError as exc:
            return None, [error("yaml.syntax", str(exc), file)]
        if root is None:
            return YamlDocument(file, None), []
        positions: dict[Path_, tuple[int, int]] = {}
        diags = _scan(root, file, positions)
        if has_errors(diags):
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
        return YamlDocument(file, data, positions), diags
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


def read_yaml_file(path: Path, file: str, limits: YamlLimits | None = None
                   ) -> tuple[YamlDocument | None, bytes | None, list[Diagnostic]]:
    """Read and parse ``path``; returns the document, the raw bytes and the diagnostics.

    A file larger than :attr:`YamlLimits.max_bytes` is refused (``yaml.too_large``) before it
    is read.
    """
    limits = limits or YamlLimits.from_env()
    try:
        raw = read_limited(path, limits.max_bytes)
    except OSError as exc:
        return None, None, [error("source.unreadable", f"cannot read the file: {exc.strerror}",
                                  file)]
    if raw is None:
        return None, None, [error("yaml.too_large",
                                  f"the file is larger than {limits.max_bytes} bytes", file)]
    text, diags = decode_yaml_bytes(raw, file)
    if text is None:
        return None, raw, diags
    doc, diags = parse_yaml(text, file, limits)
    return doc, raw, diags
