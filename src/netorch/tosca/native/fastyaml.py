"""A fast reader for the YAML that service templates are made of (YAML 1.1 as TOSCA Simple
Profile YAML 1.3 §3.1 uses it).

:func:`netorch.tosca.yaml_doc.parse_yaml` composes a node graph, records the position of every
key down to eight levels, then constructs the data: about 0.4 ms per node template.  Most
templates use a small part of YAML: block and flow mappings and sequences of untagged
scalars, no anchors, no merge keys.  For those, this reader builds the data straight from the
libyaml event stream, in one pass:

* plain scalars are resolved with the very same implicit resolvers and constructors as
  :mod:`netorch.tosca.yaml_doc` (timestamps and ``=`` stay strings), memoized per distinct
  text, so ``"10 GB"`` or ``tosca.nodes.Compute`` is resolved once per file;
* only the positions of the first three levels (``topology_template.node_templates.<name>``)
  are recorded as it reads; a lookup deeper than that (a diagnostic about a property, say)
  makes :class:`LazyPositions` record the rest in a second pass, once;
* the cyclic garbage collector is paused while the data is built (it would otherwise rescan
  the growing document again and again: most of the time libyaml itself spends on a large
  file).

Everything else (an anchor or alias, an explicit tag, a merge key, a complex key, a duplicate
key, a syntax error, a second document) is not read here: the file is handed to
:func:`~netorch.tosca.yaml_doc.parse_yaml`, whose guards and diagnostics then apply unchanged.
The result is always the :class:`~netorch.tosca.yaml_doc.YamlDocument` that ``parse_yaml``
would give: same data, same positions.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from netorch.model.diagnostics import Diagnostic, error
from netorch.tosca.sol004.limits import YamlLimits, read_limited
from netorch.tosca.yaml_doc import (
    POSITION_DEPTH,
    YamlDocument,
    _loader_class,
    decode_yaml_bytes,
    parse_yaml,
)

EAGER_DEPTH = 3
"""Key and item positions recorded while reading (path length); deeper ones on demand."""

_STR = "tag:yaml.org,2002:str"
_MISSING = object()
_MERGE = "tag:yaml.org,2002:merge"

Position = tuple[int, int]
PathKey = tuple[str | int, ...]


class _NotPlain(Exception):
    """The document uses YAML this reader leaves to :func:`parse_yaml`."""


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (reference counting still frees everything)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class LazyPositions(dict[PathKey, Position]):
    """Positions known to :data:`EAGER_DEPTH`; the first lookup of a deeper path records
    every position of the document (to :data:`~netorch.tosca.yaml_doc.POSITION_DEPTH`)."""

    def __init__(self, eager: dict[PathKey, Position],
                 complete: Callable[[], dict[PathKey, Position]]) -> None:
        super().__init__(eager)
        self._complete: Callable[[], dict[PathKey, Position]] | None = complete

    def _fill(self) -> None:
        complete, self._complete = self._complete, None
        if complete is not None:
            self.update(complete())

    def get(self, key: PathKey, default: Any = None) -> Any:
        found = super().get(key)
        if found is None and self._complete is not None and len(key) > EAGER_DEPTH:
            self._fill()
            found = super().get(key)
        return default if found is None else found

    def __getitem__(self, key: PathKey) -> Position:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found  # type: ignore[no-any-return]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, tuple) and self.get(key) is not None

    def __eq__(self, other: object) -> bool:
        self._fill()
        return super().__eq__(other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = None

    def __reduce__(self) -> Any:
        self._fill()
        return (dict, (dict(self.items()),))


def _read(text: str, depth: int, max_depth: int) -> tuple[Any, dict[PathKey, Position]]:
    """The document's data and its positions to ``depth``; raises :class:`_NotPlain`."""
    loader_class = _loader_class()
    loader = loader_class(text)
    try:
        return _events(loader, depth, max_depth)
    except yaml.YAMLError as exc:
        raise _NotPlain from exc
    finally:
        loader.dispose()


def _events(loader: Any, depth: int, max_depth: int) -> tuple[Any, dict[PathKey, Position]]:
    get_event = loader.get_event
    resolve = loader.resolve
    constructors = loader.yaml_constructors
    scalar_event = yaml.ScalarEvent
    mapping_start = yaml.MappingStartEvent
    sequence_start = yaml.SequenceStartEvent
    collection_end = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    scalar_node = yaml.ScalarNode
    memo: dict[str, Any] = {}
    positions: dict[PathKey, Position] = {}

    def plain(value: str) -> Any:
        tag = resolve(scalar_node, value, (True, False))
        if tag == _STR:
            result: Any = value
        elif tag == _MERGE:
            raise _NotPlain
        else:
            result = constructors[tag](loader, scalar_node(tag, value))
        memo[value] = result
        return result

    if not isinstance(get_event(), yaml.StreamStartEvent):
        raise _NotPlain
    event = get_event()
    if isinstance(event, yaml.StreamEndEvent):
        return None, positions
    if not isinstance(event, yaml.DocumentStartEvent):
        raise _NotPlain
    # (container, is_mapping, pending key, path, whether positions are recorded below)
    stack: list[tuple[Any, bool, Any, PathKey, bool]] = []
    container: Any = None
    is_map = False
    key: Any = None
    has_key = False
    path: PathKey = ()
    record = depth > 0
    root: Any = None
    done = False
    memo_get = memo.get
    missing = _MISSING
    while not done:
        event = get_event()
        kind = event.__class__
        if kind is scalar_event:
            if event.anchor is not None:
                raise _NotPlain
            tag = event.tag
            if tag is not None and tag != "!":
                raise _NotPlain
            text = event.value
            if event.implicit[0]:
                value = memo_get(text, missing)
                if value is missing:
                    value = plain(text)
            else:
                value = text
            if container is None:  # a document that is one scalar
                root = value
                done = True
            elif is_map:
                if has_key:
                    container[key] = value
                    has_key = False
                else:
                    if value.__class__ is not str or value in container:
                        raise _NotPlain  # a non-string or duplicate key: parse_yaml decides
                    key = value
                    has_key = True
                    if record:
                        mark = event.start_mark
                        positions[(*path, value)] = (mark.line + 1, mark.column + 1)
            else:
                if record:
                    mark = event.start_mark
                    positions[(*path, len(container))] = (mark.line + 1, mark.column + 1)
                container.append(value)
        elif kind is mapping_start or kind is sequence_start:
            if event.anchor is not None or (event.tag is not None and event.tag != "!") or \
                    len(stack) >= max_depth:
                raise _NotPlain  # parse_yaml reports a document nested too deeply
            new: Any = {} if kind is mapping_start else []
            child: PathKey = path
            if container is None:
                root = new
            elif is_map:
                if not has_key:
                    raise _NotPlain  # a collection as a mapping key
                container[key] = new
                has_key = False
                if record:
                    child = (*path, key)
            else:
                if record:
                    child = (*path, len(container))
                    mark = event.start_mark
                    positions[child] = (mark.line + 1, mark.column + 1)
                container.append(new)
            stack.append((container, is_map, key, path, record))
            record = record and len(child) < depth if container is not None else record
            container, is_map, key, has_key, path = new, kind is mapping_start, None, False, child
        elif kind in collection_end:
            container, is_map, key, path, record = stack.pop()
            has_key = False
            if not stack:
                done = True
        else:  # an alias, or anything else libyaml may produce
            raise _NotPlain
    if not isinstance(get_event(), yaml.DocumentEndEvent):
        raise _NotPlain
    if not isinstance(get_event(), yaml.StreamEndEvent):
        raise _NotPlain  # a second document: parse_yaml reports it
    return root, positions


def read_text(text: str, file: str, limits: YamlLimits | None = None
              ) -> tuple[YamlDocument | None, list[Diagnostic]]:
    """Parse ``text`` as :func:`~netorch.tosca.yaml_doc.parse_yaml` would (same result)."""
    limits = limits or YamlLimits.from_env()
    with gc_paused():
        try:
            data, eager = _read(text, EAGER_DEPTH, limits.max_depth)
        except (_NotPlain, RecursionError, ValueError, TypeError, IndexError):
            return parse_yaml(text, file, limits)
    if data is None:
        return parse_yaml(text, file, limits)

    def complete() -> dict[PathKey, Position]:
        with gc_paused():
            _data, full = _read(text, POSITION_DEPTH, limits.max_depth)
        return full

    return YamlDocument(file, data, LazyPositions(eager, complete)), []


def read_file(path: Path, file: str, limits: YamlLimits | None = None
              ) -> tuple[YamlDocument | None, bytes | None, list[Diagnostic]]:
    """:func:`~netorch.tosca.yaml_doc.read_yaml_file`, through :func:`read_text`."""
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
    doc, diags = read_text(text, file, limits)
    return doc, raw, diags
