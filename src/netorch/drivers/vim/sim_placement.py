"""Where the simulated VIM puts a server: its hypervisors and the placement rules of a request.

The sim has ``hosts`` hypervisors ``host-0 .. host-{n-1}``; host ``i`` is in availability zone
``zone-{i % zones}``; the whole sim is one region / NFVI-PoP / zone group. A compute request
carries rules ``kind:scope:policy`` (see :attr:`netorch.model.resources.CreateRequest.placement`;
ETSI GS NFV-SOL 001 §6.10 ``AffinityRule`` / ``AntiAffinityRule``, TOSCA Simple Profile YAML 1.3
§5.11.2 ``tosca.policies.Placement``). Each rule is honoured against the servers already placed
that carry the same rule for the same service (its *group*):

* ``anti-affinity`` — not on a host (``host`` / ``nfvi_node`` / ``network_link_and_node``
  scope), or not in a zone (``zone`` scope), that holds a member; at ``region`` / ``nfvi_pop`` /
  ``zone_group`` scope the sim has room for one member only;
* ``affinity`` — on the host (or in the zone) of the members, if there are any.

Among the hosts every rule allows, the least-loaded one (fewest servers, then lowest number) is
chosen, so servers without rules spread over the hosts too. No host left is a PermanentError
that says which rule could not be met.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from netorch.model.errors import PermanentError

Level = Literal["host", "zone", "site"]

AFFINITY = "affinity"
ANTI_AFFINITY = "anti-affinity"

_LEVEL_OF_SCOPE: dict[str, Level] = {
    "host": "host",
    "nfvi_node": "host",
    # SOL001: apart (or together) on the network links *and* the compute node; the sim has no
    # physical links, so only the node counts
    "network_link_and_node": "host",
    "zone": "zone",
    "zone_group": "site",
    "nfvi_pop": "site",
    "region": "site",
}


@dataclass(frozen=True, slots=True)
class Hypervisor:
    """One simulated host and the availability zone it is in."""

    name: str
    zone: str


def hypervisors(hosts: int, zones: int) -> list[Hypervisor]:
    """The sim's hosts: ``host-i`` in ``zone-{i % zones}``."""
    return [Hypervisor(f"host-{i}", f"zone-{i % max(1, zones)}") for i in range(hosts)]


@dataclass(frozen=True, slots=True)
class Rule:
    """One parsed placement rule."""

    text: str
    kind: str
    scope: str
    policy: str

    @property
    def level(self) -> Level:
        return _LEVEL_OF_SCOPE[self.scope]


def parse_rule(text: str, node_id: str) -> Rule:
    """``anti-affinity:host:upf_aa`` -> :class:`Rule`; PermanentError when malformed."""
    parts = text.split(":", 2)
    if len(parts) != 3 or not parts[2]:
        raise PermanentError(
            f"{node_id}: malformed placement rule {text!r} (expected kind:scope:policy)")
    kind, scope, policy = parts
    if kind not in (AFFINITY, ANTI_AFFINITY):
        raise PermanentError(
            f"{node_id}: placement rule {text!r}: kind must be {AFFINITY} or {ANTI_AFFINITY}")
    if scope not in _LEVEL_OF_SCOPE:
        raise PermanentError(
            f"{node_id}: placement rule {text!r}: the sim VIM does not know scope {scope!r}"
            f" (known: {', '.join(sorted(_LEVEL_OF_SCOPE))})")
    return Rule(text=text, kind=kind, scope=scope, policy=policy)


def _allowed(rule: Rule, candidates: Sequence[Hypervisor],
             members: Sequence[Hypervisor]) -> list[Hypervisor]:
    if not members:
        return list(candidates)
    level = rule.level
    if rule.kind == AFFINITY:
        if level == "host":
            hosts = {m.name for m in members}
            return [h for h in candidates if h.name in hosts]
        if level == "zone":
            zones = {m.zone for m in members}
            return [h for h in candidates if h.zone in zones]
        return list(candidates)
    if level == "host":
        hosts = {m.name for m in members}
        return [h for h in candidates if h.name not in hosts]
    if level == "zone":
        zones = {m.zone for m in members}
        return [h for h in candidates if h.zone not in zones]
    return []


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _capacity_message(rule: Rule, universe: Sequence[Hypervisor], placed: int) -> str:
    count = placed + 1
    if rule.level == "host":
        room = f"on {_count(len({h.name for h in universe}), 'host')}"
    elif rule.level == "zone":
        room = f"in {_count(len({h.zone for h in universe}), 'zone')}"
    else:
        room = f"in 1 {rule.scope} (the sim VIM is a single site)"
    return (f"{rule.kind} group {rule.policy} (scope {rule.scope}): {count} members cannot fit "
            f"{room}")


def choose_host(node_id: str, rules: Sequence[Rule], hosts: Sequence[Hypervisor],
                members: Mapping[str, Sequence[Hypervisor]], load: Mapping[str, int],
                ) -> Hypervisor:
    """The host for a new server with ``rules``.

    ``hosts`` are the configured hypervisors; ``members[rule.text]`` are the hosts of the
    servers already in each rule's group (a member on a host no longer configured still counts,
    and an affinity rule may follow it there); ``load`` is the number of servers per host name.
    """
    universe = list(hosts)
    known = {h.name for h in universe}
    for rule in rules:
        if rule.kind == AFFINITY:
            for member in members.get(rule.text, ()):
                if member.name not in known:
                    known.add(member.name)
                    universe.append(member)
    candidates = universe
    applied: list[Rule] = []
    for rule in rules:
        placed = members.get(rule.text, ())
        applied.append(rule)
        candidates = _allowed(rule, candidates, placed)
        if candidates:
            continue
        if not _allowed(rule, universe, placed):
            raise PermanentError(f"{node_id}: {_capacity_message(rule, universe, len(placed))}")
        raise PermanentError(
            f"{node_id}: no host satisfies all of its placement rules "
            f"{', '.join(r.text for r in applied)} together")
    order = {h.name: i for i, h in enumerate(universe)}
    return min(candidates, key=lambda h: (load.get(h.name, 0), order[h.name]))
