"""Placement rules of compute nodes, from the model's affinity / anti-affinity policies.

Two families of policy are read:

* ETSI GS NFV-SOL 001 §6.10 ``tosca.policies.nfv.AffinityRule`` and
  ``tosca.policies.nfv.AntiAffinityRule`` (property ``scope``: ``nfvi_node``, ``zone``,
  ``zone_group``, ``nfvi_pop`` or ``network_link_and_node``; targets are VDUs, virtual links or
  ``tosca.groups.nfv.PlacementGroup`` groups);
* any policy derived from TOSCA Simple Profile YAML 1.3 §5.11.2 ``tosca.policies.Placement``
  whose type (or an ancestor below ``Placement``) is named ``Affinity``, ``AffinityRule``,
  ``AntiAffinity`` or ``AntiAffinityRule`` (property ``scope``: ``host``, ``zone``,
  ``region`` …).

Targets that are groups (TOSCA 1.3 §3.6.11) stand for their members. A rule is carried by every
instance of every compute template it targets, as a string ``kind:scope:policy`` — for example
``anti-affinity:host:upf_anti_affinity`` — which the VIM honours against the other resources of
the same service that carry the same string. SOL001's ``nfvi_node`` is written ``host``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from netorch.model.diagnostics import Diagnostic, warning
from netorch.model.resources import ResourceKind
from netorch.model.service import PolicyDef, ServiceModel

AFFINITY = "affinity"
ANTI_AFFINITY = "anti-affinity"

PLACEMENT_BASE = "tosca.policies.Placement"
"""TOSCA 1.3 §5.11.2: the root of every placement policy type."""

_TYPE_NAMES: dict[str, str] = {
    "Affinity": AFFINITY,
    "AffinityRule": AFFINITY,
    "AntiAffinity": ANTI_AFFINITY,
    "AntiAffinityRule": ANTI_AFFINITY,
}

DEFAULT_SCOPE = "host"

SCOPE_ALIASES: Mapping[str, str] = {"nfvi_node": "host"}
"""SOL001 §6.10 scope values that have a plainer name here."""

KNOWN_SCOPES: frozenset[str] = frozenset({
    "host", "zone", "region",
    # SOL001 §6.10 AffinityRule / AntiAffinityRule scope values (nfvi_node is "host")
    "zone_group", "nfvi_pop", "network_link_and_node",
})


def rule_kind(policy: PolicyDef) -> str | None:
    """``affinity`` / ``anti-affinity`` when ``policy`` is a placement rule, else ``None``.

    The policy's own type is tried first, then its ancestors up to (not including)
    ``tosca.policies.Placement``, so a type derived from ``AntiAffinityRule`` is one too.
    """
    chain = (policy.type, *policy.type_chain)
    if PLACEMENT_BASE not in chain:
        return None
    for type_name in chain:
        if type_name == PLACEMENT_BASE:
            break
        kind = _TYPE_NAMES.get(type_name.rsplit(".", 1)[-1])
        if kind is not None:
            return kind
    return None


def rule_text(kind: str, scope: str, policy: str) -> str:
    """The rule string a node carries: ``anti-affinity:host:upf_anti_affinity``."""
    return f"{kind}:{scope}:{policy}"


def _scope(policy: PolicyDef, source: str) -> tuple[str, list[Diagnostic]]:
    raw = policy.properties.get("scope")
    if raw is None:
        return DEFAULT_SCOPE, []
    text = raw.strip().lower() if isinstance(raw, str) else ""
    scope = SCOPE_ALIASES.get(text, text)
    if scope in KNOWN_SCOPES:
        return scope, []
    return DEFAULT_SCOPE, [warning(
        "topology.placement_scope",
        f"placement policy {policy.name!r} has unknown scope {raw!r}; using {DEFAULT_SCOPE!r}"
        f" (known: {', '.join(sorted(KNOWN_SCOPES | set(SCOPE_ALIASES)))})", source)]


def _expand(targets: Iterable[str], model: ServiceModel) -> tuple[list[str], list[str]]:
    """Node templates named by ``targets`` (groups replaced by their members, recursively),
    and the names that are neither."""
    groups = {group.name: group.members for group in model.groups}
    found: list[str] = []
    unknown: list[str] = []
    seen: set[str] = set()
    pending = list(targets)
    while pending:
        name = pending.pop(0)
        if name in seen:
            continue
        seen.add(name)
        if name in model.nodes:
            found.append(name)
        elif name in groups:
            pending[:0] = list(groups[name])
        else:
            unknown.append(name)
    return found, unknown


def placement_rules(model: ServiceModel, kinds: Mapping[str, ResourceKind],
                    ) -> tuple[dict[str, tuple[str, ...]], list[Diagnostic]]:
    """Compute template name -> the rule strings it carries, in policy order.

    ``kinds`` maps every node template to its resource kind. Targets that are not compute
    nodes (or name nothing) carry no rule and get a ``topology.placement_target`` warning;
    an unknown scope is a ``topology.placement_scope`` warning and means ``host``.
    """
    rules: dict[str, list[str]] = {}
    diagnostics: list[Diagnostic] = []
    for policy in model.policies:
        kind = rule_kind(policy)
        if kind is None:
            continue
        scope, problems = _scope(policy, model.source)
        diagnostics.extend(problems)
        text = rule_text(kind, scope, policy.name)
        templates, unknown = _expand(policy.targets, model)
        for name in unknown:
            diagnostics.append(warning(
                "topology.placement_target",
                f"placement policy {policy.name!r} targets {name!r}, which is neither a node"
                " template nor a group", model.source))
        for name in templates:
            if kinds.get(name) is not ResourceKind.COMPUTE:
                diagnostics.append(warning(
                    "topology.placement_target",
                    f"placement policy {policy.name!r} targets {name!r}, which is not a compute"
                    " node; only compute nodes are placed, so the rule does not apply to it",
                    model.source, model.nodes[name].line))
                continue
            carried = rules.setdefault(name, [])
            if text not in carried:
                carried.append(text)
    return {name: tuple(texts) for name, texts in rules.items()}, diagnostics
