"""Runtime intrinsic functions: ``get_attribute`` (TOSCA Simple Profile YAML 1.3 §4.5.1).

The loader substitutes ``get_input`` and ``get_property`` at load time; ``get_attribute`` only
has a value once the resource exists, so it is resolved here from the attributes the driver
reported (``private_address``, ``ip_address``, ``networks`` …) plus the normative attributes
every node has (``tosca_id``, ``tosca_name``, ``state``; TOSCA 1.3 §5.9.1).

Entity names: ``SELF``; a node id (``web[1]``); or a template name — for a template with
several instances, the instance with the caller's own index when there is one, else the only
instance. ``HOST`` is the node's HostedOn target, when the caller passes it. Anything that
cannot be resolved (yet) is left as the function, so nothing is silently invented.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from netorch.model.resources import ResourceRecord

_INDEX = re.compile(r"^(?P<template>.+)\[(?P<index>\d+)\]$")


def _template_and_index(node_id: str) -> tuple[str, int | None]:
    m = _INDEX.match(node_id)
    return (m["template"], int(m["index"])) if m else (node_id, None)


def find_entity(name: str, me: str | None, records: Mapping[str, ResourceRecord],
                host: str | None = None) -> ResourceRecord | None:
    if name == "SELF":
        return records.get(me) if me else None
    if name == "HOST":
        return records.get(host) if host else None
    if name in records:
        return records[name]
    _, my_index = _template_and_index(me) if me else (None, None)
    instances = [nid for nid in records if _template_and_index(nid)[0] == name]
    if my_index is not None and f"{name}[{my_index}]" in records:
        return records[f"{name}[{my_index}]"]
    if len(instances) == 1:
        return records[instances[0]]
    return None


def attribute_of(record: ResourceRecord, path: list[Any]) -> Any:
    """The value of ``path[0]`` (then nested keys / list indexes) on ``record``; KeyError if
    it is absent."""
    name, rest = str(path[0]), path[1:]
    normative = {"tosca_id": record.vim_id or record.key, "tosca_name": record.node_id,
                 "state": "started" if record.healthy else "error"}
    if name in record.attributes:
        value: Any = record.attributes[name]
    elif name in normative:
        value = normative[name]
    else:
        raise KeyError(name)
    for step in rest:
        if isinstance(value, Mapping) or (isinstance(value, list) and isinstance(step, int)):
            value = value[step]
        else:
            raise KeyError(step)
    return value


def resolve(value: Any, *, me: str | None, records: Mapping[str, ResourceRecord],
            host: str | None = None) -> Any:
    """``value`` with every resolvable ``get_attribute`` replaced by its current value."""
    if isinstance(value, Mapping):
        if len(value) == 1 and "get_attribute" in value:
            args = value["get_attribute"]
            if isinstance(args, list) and len(args) >= 2:
                target = find_entity(str(args[0]), me, records, host)
                if target is not None:
                    try:
                        return attribute_of(target, list(args[1:]))
                    except (KeyError, IndexError, TypeError):
                        return value
            return value
        return {k: resolve(v, me=me, records=records, host=host) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, me=me, records=records, host=host) for v in value]
    return value


def unresolved(value: Any) -> bool:
    """Does ``value`` still hold a ``get_attribute`` call?"""
    if isinstance(value, Mapping):
        return "get_attribute" in value or any(unresolved(v) for v in value.values())
    if isinstance(value, list):
        return any(unresolved(v) for v in value)
    return False
