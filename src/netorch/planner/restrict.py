"""A plan cut down to some nodes (rollback re-plans only what an operation touched)."""

from __future__ import annotations

from collections.abc import Collection

from netorch.planner.plan import Plan, Step


def restrict(p: Plan, node_ids: Collection[str]) -> Plan:
    """Keep only the changes and steps of ``node_ids``.

    Dependencies on dropped steps are removed; where a kept step reached another kept step
    only through dropped ones, it depends on that kept step directly, so the kept steps keep
    their relative order. Fingerprints are unchanged (the plan is still tied to the same
    observed and desired states).
    """
    keep = set(node_ids)
    by_id = {s.id: s for s in p.steps}
    # For every step: the kept steps it reaches through dropped steps only. Resolved in wave
    # order, so a step's dependencies are always resolved before it.
    reach: dict[str, tuple[str, ...]] = {}
    for wave in p.waves():
        for sid in wave:
            found: dict[str, None] = {}
            for dep in by_id[sid].depends_on:
                if by_id[dep].node_id in keep:
                    found[dep] = None
                else:
                    found.update(dict.fromkeys(reach[dep]))
            reach[sid] = tuple(found)
    steps = tuple(
        Step(id=s.id, node_id=s.node_id, op=s.op, kind=s.kind, depends_on=reach[s.id],
             node=s.node, key=s.key, links=s.links)
        for s in p.steps if s.node_id in keep)
    return Plan(service=p.service, changes=tuple(c for c in p.changes if c.node_id in keep),
                steps=steps, base_fingerprint=p.base_fingerprint,
                desired_fingerprint=p.desired_fingerprint)
