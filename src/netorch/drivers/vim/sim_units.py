"""TOSCA ``scalar-unit.size`` values, as the simulated VIM reads them.

TOSCA Simple Profile YAML 1.3 §3.3.6.4 (scalar-unit.size): a number, optional whitespace and a
unit among B, kB, KiB, MB, MiB, GB, GiB, TB, TiB. Decimal prefixes are powers of 1000, binary
ones powers of 1024; units are compared case-insensitively (§3.3.6.1). A bare number is accepted
too and read in ``default_unit`` (SOL001 templates sometimes give plain integers).
"""

from __future__ import annotations

import math
import re

from netorch.model.errors import PermanentError

KIB = 1024
MIB = 1024**2
GIB = 1024**3

_UNITS: dict[str, int] = {
    "b": 1,
    "kb": 1000,
    "kib": KIB,
    "mb": 1000**2,
    "mib": MIB,
    "gb": 1000**3,
    "gib": GIB,
    "tb": 1000**4,
    "tib": 1024**4,
}

_SCALAR = re.compile(r"^\s*(?P<num>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(?P<unit>[A-Za-z]+)?\s*$")


def parse_size(value: object, *, default_unit: str = "B", what: str = "size") -> int:
    """Return ``value`` (e.g. ``"2 GB"``, ``"512 MiB"``, ``4096``) in bytes, rounded up.

    Raises :class:`PermanentError` naming ``what`` when the value is not a size.
    """
    if isinstance(value, bool):
        raise PermanentError(f"{what}: {value!r} is not a scalar-unit.size")
    if isinstance(value, int | float):
        number, unit = float(value), default_unit
    elif isinstance(value, str):
        match = _SCALAR.match(value)
        if match is None:
            raise PermanentError(f"{what}: {value!r} is not a scalar-unit.size")
        number = float(match.group("num"))
        unit = match.group("unit") or default_unit
    else:
        raise PermanentError(f"{what}: {value!r} is not a scalar-unit.size")
    factor = _UNITS.get(unit.lower())
    if factor is None:
        raise PermanentError(
            f"{what}: unknown size unit {unit!r} in {value!r} (expected one of "
            "B, kB, KiB, MB, MiB, GB, GiB, TB, TiB)"
        )
    if number < 0 or not math.isfinite(number):
        raise PermanentError(f"{what}: {value!r} must be a non-negative size")
    return math.ceil(number * factor)


def bytes_to_mib(n: int) -> int:
    """Round ``n`` bytes up to whole MiB."""
    return -(-n // MIB)


def bytes_to_gib(n: int) -> int:
    """Round ``n`` bytes up to whole GiB."""
    return -(-n // GIB)
