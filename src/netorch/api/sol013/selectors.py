"""Attribute selectors (SOL013 §5.3): which complex attributes a response body carries.

========================  ==========================================================
query                     attributes in the response
========================  ==========================================================
(none)                    as ``exclude_default``
``all_fields``            all
``fields=<list>``         all but the complex attributes not in <list>
``exclude_fields=<list>`` all but those in <list>
``exclude_default``       all but the resource's default exclude set
``fields`` + ``exclude_default``  all but the default exclude set minus <list>
========================  ==========================================================

Any other combination is a 400. Lists are comma-separated attribute paths (``a/b``; ``~``
escapes as in filters). Only complex attributes of lower cardinality 0 may be left out: naming
another one in ``exclude_fields`` is a 400.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from netorch.api.sol013.filters import FilterError, parse_path

PARAMS = ("all_fields", "fields", "exclude_fields", "exclude_default")


class SelectorError(ValueError):
    """Invalid attribute selector (answered with 400, SOL013 §5.3)."""


@dataclass(frozen=True, slots=True)
class Selector:
    all_fields: bool = False
    fields: tuple[tuple[str, ...], ...] = ()
    exclude_fields: tuple[tuple[str, ...], ...] = ()
    exclude_default: bool = False


def _paths(name: str, raw: str) -> tuple[tuple[str, ...], ...]:
    if not raw:
        raise SelectorError(f"{name} needs a comma-separated list of attribute names")
    try:
        return tuple(parse_path(part) for part in raw.split(","))
    except FilterError as exc:
        raise SelectorError(f"invalid {name}: {exc}") from None


def parse_selector(params: Mapping[str, str]) -> Selector:
    """The selector of a query; :class:`SelectorError` for a combination SOL013 forbids."""
    given = {p for p in PARAMS if p in params}
    allowed = ({"all_fields"}, {"fields"}, {"exclude_fields"}, {"exclude_default"},
               {"fields", "exclude_default"})
    if given and given not in allowed:
        raise SelectorError("invalid attribute selector: " + " and ".join(sorted(given))
                            + " cannot be combined (SOL013 §5.3)")
    return Selector(
        all_fields="all_fields" in given,
        fields=_paths("fields", params["fields"]) if "fields" in given else (),
        exclude_fields=(_paths("exclude_fields", params["exclude_fields"])
                        if "exclude_fields" in given else ()),
        exclude_default="exclude_default" in given,
    )


def _remove(item: Any, path: Sequence[str]) -> None:
    """Remove ``path`` from ``item`` in place (in every element of arrays on the way)."""
    if isinstance(item, list):
        for element in item:
            _remove(element, path)
        return
    if not isinstance(item, dict) or path[0] not in item:
        return
    if len(path) == 1:
        del item[path[0]]
    else:
        _remove(item[path[0]], path[1:])


def complex_attributes(item: Mapping[str, Any]) -> set[str]:
    """Top-level object- or array-valued attributes, ``_links`` excepted."""
    return {k for k, v in item.items() if isinstance(v, dict | list) and k != "_links"}


def select(item: Mapping[str, Any], selector: Selector, *,
           default_exclude: Collection[str] = (),
           complex_attrs: Collection[str] | None = None) -> dict[str, Any]:
    """A copy of ``item`` with the attributes ``selector`` leaves out removed."""
    out: dict[str, Any] = copy.deepcopy(dict(item))
    if selector.all_fields:
        return out
    excludable = (set(complex_attrs) if complex_attrs is not None
                  else complex_attributes(item)) | set(default_exclude)
    if selector.exclude_fields:
        for path in selector.exclude_fields:
            if complex_attrs is not None and path[0] not in excludable:
                raise SelectorError(f"attribute {path[0]!r} cannot be excluded: only complex "
                                    "attributes that may be absent can (SOL013 §5.3)")
            _remove(out, path)
        return out
    named = {path[0] for path in selector.fields}
    if selector.fields and not selector.exclude_default:
        drop = excludable - named
    else:
        drop = set(default_exclude) - named
    for name in drop:
        out.pop(name, None)
    return out
