"""Stable parallel layering of a dependency graph (Kahn's algorithm, ties kept in input order)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def stable_waves(ids: Sequence[str], depends_on: Mapping[str, Sequence[str]]
                 ) -> tuple[list[list[str]], list[str]]:
    """Layers of ``ids``: layer 0 depends on nothing, each later one only on earlier ones;
    each layer keeps the order of ``ids``. Also returns the ids that could not be placed
    (they are on or behind a cycle). Dependencies outside ``ids`` raise ``ValueError``."""
    position = {item: i for i, item in enumerate(ids)}
    remaining: dict[str, int] = {}
    dependents: dict[str, list[str]] = {item: [] for item in ids}
    for item in ids:
        deps = set(depends_on.get(item, ()))
        for dep in deps:
            if dep not in position:
                raise ValueError(f"{item!r} depends on unknown {dep!r}")
            dependents[dep].append(item)
        remaining[item] = len(deps)
    layer = [item for item in ids if remaining[item] == 0]
    layers: list[list[str]] = []
    placed = 0
    while layer:
        layers.append(layer)
        placed += len(layer)
        ready: list[str] = []
        for item in layer:
            for dependent in dependents[item]:
                remaining[dependent] -= 1
                if remaining[dependent] == 0:
                    ready.append(dependent)
        ready.sort(key=position.__getitem__)
        layer = ready
    stuck = [item for item in ids if remaining[item] > 0] if placed != len(ids) else []
    return layers, stuck
