"""Attribute-based filtering (SOL013 §5.2): parse ``filter=`` and evaluate it on JSON bodies.

Grammar (after URL decoding)::

    filter    = condition *( ";" condition )          ; ";" is a logical AND
    condition = "(" op "," attrPath 1*( "," value ) ")"
    op        = eq | neq | gt | gte | lt | lte          ; exactly one value
              | in | nin | cont | ncont                 ; one or more values
    attrPath  = name *( "/" name )                      ; "/" descends into objects
    value     = plain | "'" *( char / "''" ) "'"        ; quote a value holding , ) or '

In attribute names ``~1`` stands for ``/``, ``~a`` for ``,``, ``~b`` for ``@`` and ``~0`` for ``~``.

Evaluation: a path that crosses an array matches when any element matches; a value compares as
the attribute's type (boolean ``true``/``false``, number, otherwise string; two ISO 8601
date-times compare as times). ``neq``, ``nin`` and ``ncont`` are the negations of ``eq``, ``in``
and ``cont``: they match a resource where no element matches, including one that lacks the
attribute. ``cont`` / ``ncont`` test string containment.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

SINGLE_VALUE_OPS = frozenset({"eq", "neq", "gt", "gte", "lt", "lte"})
MULTI_VALUE_OPS = frozenset({"in", "nin", "cont", "ncont"})
OPS = SINGLE_VALUE_OPS | MULTI_VALUE_OPS
NEGATIONS = {"neq": "eq", "nin": "in", "ncont": "cont"}

_ESCAPES = {"1": "/", "a": ",", "b": "@", "0": "~"}


class FilterError(ValueError):
    """The filter expression is malformed (answered with 400, SOL013 §5.2)."""


@dataclass(frozen=True, slots=True)
class Condition:
    op: str
    path: tuple[str, ...]
    values: tuple[str, ...]


Filter = tuple[Condition, ...]


def unescape_name(raw: str) -> str:
    """Undo the ``~`` escapes of one attribute name segment."""
    out: list[str] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "~":
            if i + 1 >= len(raw) or raw[i + 1] not in _ESCAPES:
                raise FilterError(f"bad escape in attribute name {raw!r}: use ~0 ~1 ~a ~b")
            out.append(_ESCAPES[raw[i + 1]])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def parse_path(raw: str) -> tuple[str, ...]:
    """``a/b~1c`` -> ``("a", "b/c")``."""
    if not raw:
        raise FilterError("empty attribute name")
    segments = raw.split("/")
    if any(not s for s in segments):
        raise FilterError(f"empty segment in attribute path {raw!r}")
    return tuple(unescape_name(s) for s in segments)


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, ch: str) -> None:
        if self.peek() != ch:
            found = repr(self.peek()) if self.peek() else "the end"
            raise FilterError(f"expected {ch!r} at position {self.pos} of the filter, "
                              f"found {found}")
        self.pos += 1

    def until(self, stops: str) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in stops:
            self.pos += 1
        return self.text[start:self.pos]

    def value(self) -> str:
        if self.peek() != "'":
            plain = self.until(",)'")
            if self.peek() == "'":
                raise FilterError(f"unexpected ' in a filter value at position {self.pos}: "
                                  "quote values that hold , ) or ' (and double the ')")
            return plain
        self.pos += 1
        out: list[str] = []
        while True:
            if self.pos >= len(self.text):
                raise FilterError("unterminated quoted value in the filter")
            ch = self.text[self.pos]
            if ch == "'":
                if self.text[self.pos + 1:self.pos + 2] == "'":
                    out.append("'")
                    self.pos += 2
                    continue
                self.pos += 1
                return "".join(out)
            out.append(ch)
            self.pos += 1


def parse_filter(text: str) -> Filter:
    """Parse a ``filter`` query value; :class:`FilterError` when malformed."""
    if not text:
        raise FilterError("empty filter")
    r = _Reader(text)
    conditions: list[Condition] = []
    while True:
        r.expect("(")
        op = r.until(",)")
        if op not in OPS:
            raise FilterError(f"unknown filter operator {op!r}; use one of "
                              f"{', '.join(sorted(OPS))}")
        r.expect(",")
        path = parse_path(r.until(",)"))
        values: list[str] = []
        while r.peek() == ",":
            r.pos += 1
            values.append(r.value())
        r.expect(")")
        if not values:
            raise FilterError(f"operator {op} needs a value")
        if op in SINGLE_VALUE_OPS and len(values) != 1:
            raise FilterError(f"operator {op} takes exactly one value, got {len(values)}")
        conditions.append(Condition(op, path, tuple(values)))
        if r.peek() == "":
            return tuple(conditions)
        r.expect(";")


def leaves(item: Any, path: Sequence[str]) -> Iterator[Any]:
    """Every value at ``path`` in ``item``; arrays on the way (and at the end) are expanded."""
    if isinstance(item, list):
        for element in item:
            yield from leaves(element, path)
        return
    if not path:
        yield item
        return
    if isinstance(item, Mapping) and path[0] in item:
        yield from leaves(item[path[0]], path[1:])


def _as_datetime(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _coerce(leaf: Any, value: str) -> tuple[Any, Any] | None:
    """``(leaf, value)`` made comparable by the leaf's type; ``None`` when they are not."""
    if isinstance(leaf, bool):
        low = value.lower()
        return (leaf, low == "true") if low in ("true", "false") else None
    if isinstance(leaf, int | float):
        try:
            return leaf, float(value)
        except ValueError:
            return None
    if isinstance(leaf, str):
        left, right = _as_datetime(leaf), _as_datetime(value)
        if left is not None and right is not None and (left.tzinfo is None) == (
                right.tzinfo is None):
            return left, right
        return leaf, value
    return None


def _holds(op: str, leaf: Any, values: Sequence[str]) -> bool:
    if op == "cont":
        return isinstance(leaf, str) and any(v in leaf for v in values)
    if op == "in":
        return any(_holds("eq", leaf, (v,)) for v in values)
    pair = _coerce(leaf, values[0])
    if pair is None:
        return False
    a, b = pair
    try:
        if op == "eq":
            return bool(a == b)
        if op == "gt":
            return bool(a > b)
        if op == "gte":
            return bool(a >= b)
        if op == "lt":
            return bool(a < b)
        if op == "lte":
            return bool(a <= b)
    except TypeError:
        return False
    raise AssertionError(op)


def condition_matches(cond: Condition, item: Mapping[str, Any]) -> bool:
    positive = NEGATIONS.get(cond.op, cond.op)
    found = any(_holds(positive, leaf, cond.values) for leaf in leaves(item, cond.path))
    return not found if cond.op in NEGATIONS else found


def matches(expr: Filter, item: Mapping[str, Any]) -> bool:
    """Whether ``item`` satisfies every condition of ``expr``."""
    return all(condition_matches(c, item) for c in expr)
