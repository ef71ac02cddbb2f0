"""Constraint clauses on input values (TOSCA Simple Profile YAML 1.3 §3.6.3).

tosca-parser checks an input value's type but not its ``constraints``; this module checks the
clauses on plain values (numbers, strings, lists, maps).  Scalar-unit values (``"2 GB"``) are
compared after normalisation to their base unit (§3.3.6).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

_SCALAR = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$")
_UNITS: dict[str, float] = {
    # scalar-unit.size (bytes)
    "b": 1, "kb": 1e3, "kib": 1024, "mb": 1e6, "mib": 1024**2, "gb": 1e9, "gib": 1024**3,
    "tb": 1e12, "tib": 1024**4,
    # scalar-unit.time (seconds)
    "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6, "ns": 1e-9,
    # scalar-unit.frequency (hertz)
    "hz": 1, "khz": 1e3, "mhz": 1e6, "ghz": 1e9,
}


def _comparable(value: Any) -> Any:
    if isinstance(value, str):
        match = _SCALAR.match(value)
        if match and match.group(2).lower() in _UNITS:
            return float(match.group(1)) * _UNITS[match.group(2).lower()]
    return value


def _compare(op: str, value: Any, bound: Any) -> bool:
    left, right = _comparable(value), _comparable(bound)
    try:
        if op == "greater_than":
            return bool(left > right)
        if op == "greater_or_equal":
            return bool(left >= right)
        if op == "less_than":
            return bool(left < right)
        return bool(left <= right)
    except TypeError:
        return False


def violations(value: Any, constraints: Any) -> list[str]:
    """Human-readable descriptions of the clauses ``value`` violates (empty when it is valid)."""
    problems: list[str] = []
    clauses: Sequence[Any] = constraints if isinstance(constraints, list) else []
    for clause in clauses:
        if not isinstance(clause, dict) or len(clause) != 1:
            continue
        op, arg = next(iter(clause.items()))
        ok = True
        if op in ("equal",):
            ok = _comparable(value) == _comparable(arg)
        elif op in ("greater_than", "greater_or_equal", "less_than", "less_or_equal"):
            ok = _compare(op, value, arg)
        elif op == "in_range" and isinstance(arg, list) and len(arg) == 2:
            low_ok = arg[0] == "UNBOUNDED" or _compare("greater_or_equal", value, arg[0])
            high_ok = arg[1] == "UNBOUNDED" or _compare("less_or_equal", value, arg[1])
            ok = low_ok and high_ok
        elif op == "valid_values" and isinstance(arg, list):
            ok = value in arg or _comparable(value) in [_comparable(a) for a in arg]
        elif op in ("length", "min_length", "max_length") and isinstance(arg, int):
            if not isinstance(value, str | list | dict):
                continue
            size = len(value)
            ok = {"length": size == arg, "min_length": size >= arg,
                  "max_length": size <= arg}[op]
        elif op == "pattern" and isinstance(arg, str) and isinstance(value, str):
            try:
                ok = re.fullmatch(arg, value) is not None
            except re.error:
                continue
        else:
            continue
        if not ok:
            problems.append(f"{op} {arg!r}")
    return problems
