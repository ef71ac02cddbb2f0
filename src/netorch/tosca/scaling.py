"""Scaling aspects, instance counts and instantiation levels of a service model.

Two sources are understood:

* TOSCA 1.x: a policy derived from ``tosca.policies.Scaling`` (TOSCA Simple Profile YAML 1.3
  §5.11.4) with ``min_instances``, ``max_instances``, ``default_instances`` and optionally
  ``increment`` gives one aspect named after the policy, whose scale level 0 is
  ``default_instances`` and whose every step adds ``increment`` (1 by default) instances of each
  target; the ``scalable`` capability (``tosca.capabilities.Scalable``, §5.5.10) of a node gives
  its min / max / default instances.
* ETSI SOL001: ``tosca.policies.nfv.ScalingAspects`` + ``VduScalingAspectDeltas``
  (SOL001 §6.10.x; deltas follow the aspect's ``step_deltas``), ``VduInitialDelta``,
  ``InstantiationLevels`` + ``VduInstantiationLevels``, and each VDU's ``vdu_profile``
  min / max number of instances.
* ETSI SOL001 NSDs: ``NsScalingAspects`` + ``VnfToLevelMapping`` / ``NsToLevelMapping``
  (the number of VNF or nested NS instances at each NS scale level of an aspect: level 0 gives
  the initial count, each step adds the difference to the next level),
  ``NsInstantiationLevels`` + ``VnfToInstantiationLevelMapping`` /
  ``NsToInstantiationLevelMapping``, and each VNF's ``vnf_profile`` (nested NS:
  ``ns_profile``) min / max number of instances.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from netorch.model.diagnostics import Diagnostic, warning
from netorch.model.service import InstantiationLevel, NodeTemplate, PolicyDef, ScalingAspect

TOSCA_SCALING = "tosca.policies.Scaling"
NFV_SCALING_ASPECTS = "tosca.policies.nfv.ScalingAspects"
NFV_VDU_DELTAS = "tosca.policies.nfv.VduScalingAspectDeltas"
NFV_INITIAL_DELTA = "tosca.policies.nfv.VduInitialDelta"
NFV_LEVELS = "tosca.policies.nfv.InstantiationLevels"
NFV_VDU_LEVELS = "tosca.policies.nfv.VduInstantiationLevels"
VDU_COMPUTE = "tosca.nodes.nfv.Vdu.Compute"
NS_ASPECTS = "tosca.policies.nfv.NsScalingAspects"
NS_LEVEL_MAPPINGS = ("tosca.policies.nfv.VnfToLevelMapping",
                     "tosca.policies.nfv.NsToLevelMapping")
NS_LEVELS = "tosca.policies.nfv.NsInstantiationLevels"
NS_INSTANTIATION_MAPPINGS = ("tosca.policies.nfv.VnfToInstantiationLevelMapping",
                             "tosca.policies.nfv.NsToInstantiationLevelMapping")
NFV_VNF = "tosca.nodes.nfv.VNF"
NFV_NS = "tosca.nodes.nfv.NS"


@dataclass(slots=True)
class ScalingInfo:
    aspects: dict[str, ScalingAspect] = field(default_factory=dict)
    initial_instances: dict[str, int] = field(default_factory=dict)
    min_instances: dict[str, int] = field(default_factory=dict)
    max_instances: dict[str, int] = field(default_factory=dict)
    instantiation_levels: dict[str, InstantiationLevel] = field(default_factory=dict)
    default_instantiation_level: str | None = None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _number_of_instances(value: Any) -> int | None:
    return _int(value.get("number_of_instances")) if isinstance(value, dict) else None


class _Builder:
    def __init__(self, nodes: Mapping[str, NodeTemplate], policies: Sequence[PolicyDef],
                 group_members: Mapping[str, Sequence[str]],
                 report: Callable[[Diagnostic], None]) -> None:
        self.nodes = nodes
        self.policies = policies
        self.group_members = group_members
        self.report = report
        self.info = ScalingInfo()

    def targets(self, policy: PolicyDef) -> list[str]:
        result: list[str] = []
        for target in policy.targets:
            if target in self.nodes:
                result.append(target)
            else:
                result.extend(m for m in self.group_members.get(target, ()) if m in self.nodes)
        return list(dict.fromkeys(result))

    def warn(self, code: str, message: str) -> None:
        self.report(warning(code, message))

    # -- TOSCA 1.x -----------------------------------------------------------------------------
    def scalable_capabilities(self) -> None:
        for name, node in self.nodes.items():
            scalable = node.capabilities.get("scalable")
            if not scalable:
                continue
            for key, target in (("min_instances", self.info.min_instances),
                                ("max_instances", self.info.max_instances),
                                ("default_instances", self.info.initial_instances)):
                value = _int(scalable.get(key))
                if value is not None:
                    target[name] = value

    def tosca_scaling_policy(self, policy: PolicyDef) -> None:
        props = policy.properties
        minimum = _int(props.get("min_instances"))
        maximum = _int(props.get("max_instances"))
        default = _int(props.get("default_instances"))
        increment = _int(props.get("increment")) or 1
        initial = default if default is not None else minimum
        targets = self.targets(policy)
        for target in targets:
            if minimum is not None:
                self.info.min_instances[target] = minimum
            if maximum is not None:
                self.info.max_instances[target] = maximum
            if initial is not None:
                self.info.initial_instances[target] = initial
        max_level = 0
        if maximum is not None:
            base = initial if initial is not None else 1
            max_level = max(0, (maximum - base) // max(increment, 1))
        self.info.aspects[policy.name] = ScalingAspect(
            name=policy.name,
            max_scale_level=max_level,
            deltas={target: (increment,) for target in targets},
            description=props.get("description") if isinstance(props.get("description"), str)
            else None,
        )

    # -- SOL001 --------------------------------------------------------------------------------
    def nfv(self) -> None:
        aspect_defs: dict[str, dict[str, Any]] = {}
        for policy in self.policies:
            if policy.is_a(NFV_SCALING_ASPECTS):
                aspects = policy.properties.get("aspects")
                if isinstance(aspects, dict):
                    for aspect_id, definition in aspects.items():
                        if isinstance(definition, dict):
                            aspect_defs[str(aspect_id)] = definition
        deltas: dict[str, dict[str, tuple[int, ...]]] = {a: {} for a in aspect_defs}
        for policy in self.policies:
            if policy.is_a(NFV_VDU_DELTAS):
                self.vdu_deltas(policy, aspect_defs, deltas)
            elif policy.is_a(NFV_INITIAL_DELTA):
                count = _number_of_instances(policy.properties.get("initial_delta"))
                if count is not None:
                    for target in self.targets(policy):
                        self.info.initial_instances[target] = count
        for aspect_id, definition in aspect_defs.items():
            max_level = _int(definition.get("max_scale_level")) or 0
            description = definition.get("description")
            self.info.aspects[aspect_id] = ScalingAspect(
                name=aspect_id, max_scale_level=max_level, deltas=deltas[aspect_id],
                description=description if isinstance(description, str) else None)
        self.levels()
        self.vdu_profiles()

    def vdu_deltas(self, policy: PolicyDef, aspect_defs: Mapping[str, Mapping[str, Any]],
                   deltas: dict[str, dict[str, tuple[int, ...]]]) -> None:
        aspect_id = policy.properties.get("aspect")
        defined = policy.properties.get("deltas")
        if not isinstance(aspect_id, str) or aspect_id not in aspect_defs:
            self.warn("sol001.unknown_aspect",
                      f"policy {policy.name!r} refers to aspect {aspect_id!r}, which no "
                      "ScalingAspects policy defines")
            return
        if not isinstance(defined, dict):
            return
        step_ids = aspect_defs[aspect_id].get("step_deltas")
        if not isinstance(step_ids, list) or not step_ids:
            step_ids = list(defined)
        steps: list[int] = []
        for step_id in step_ids:
            count = _number_of_instances(defined.get(step_id))
            if count is None:
                self.warn("sol001.unknown_delta",
                          f"policy {policy.name!r} has no delta {step_id!r} named by aspect "
                          f"{aspect_id!r}")
                return
            steps.append(count)
        for target in self.targets(policy):
            deltas[aspect_id][target] = tuple(steps)

    def levels(self) -> None:
        level_defs: dict[str, Any] = {}
        default_level: str | None = None
        for policy in self.policies:
            if policy.is_a(NFV_LEVELS):
                levels = policy.properties.get("levels")
                if isinstance(levels, dict):
                    level_defs.update({str(k): v for k, v in levels.items()})
                if isinstance(policy.properties.get("default_level"), str):
                    default_level = policy.properties["default_level"]
        instances: dict[str, dict[str, int]] = {level: {} for level in level_defs}
        for policy in self.policies:
            if not policy.is_a(NFV_VDU_LEVELS):
                continue
            levels = policy.properties.get("levels")
            if not isinstance(levels, dict):
                continue
            for level_id, value in levels.items():
                count = _number_of_instances(value)
                if count is None:
                    continue
                if level_id not in instances:
                    self.warn("sol001.unknown_level",
                              f"policy {policy.name!r} sets instances for level {level_id!r}, "
                              "which InstantiationLevels does not define")
                    continue
                for target in self.targets(policy):
                    instances[str(level_id)][target] = count
        for level_id, definition in level_defs.items():
            scale_levels: dict[str, int] = {}
            description = None
            if isinstance(definition, dict):
                description = definition.get("description")
                scale_info = definition.get("scale_info")
                if isinstance(scale_info, dict):
                    for aspect_id, info in scale_info.items():
                        level = _int(info.get("scale_level")) if isinstance(info, dict) else None
                        if level is not None:
                            scale_levels[str(aspect_id)] = level
            self.info.instantiation_levels[level_id] = InstantiationLevel(
                name=level_id,
                description=description if isinstance(description, str) else None,
                instances=instances[level_id],
                scale_levels=scale_levels,
            )
        if default_level is None and len(level_defs) == 1:
            default_level = next(iter(level_defs))
        if default_level is not None and default_level not in level_defs:
            self.warn("sol001.unknown_level",
                      f"default instantiation level {default_level!r} is not defined")
            default_level = None
        self.info.default_instantiation_level = default_level

    def vdu_profiles(self) -> None:
        for name, node in self.nodes.items():
            profile = node.properties.get("vdu_profile")
            if not node.is_a(VDU_COMPUTE) or not isinstance(profile, dict):
                continue
            minimum = _int(profile.get("min_number_of_instances"))
            maximum = _int(profile.get("max_number_of_instances"))
            if minimum is not None:
                self.info.min_instances[name] = minimum
                if minimum >= 1:
                    # without a VduInitialDelta, a VDU starts at its minimum
                    self.info.initial_instances.setdefault(name, minimum)
            if maximum is not None:
                self.info.max_instances[name] = maximum


class _NsBuilder:
    """The NSD half: NS scaling aspects and instantiation levels (see the module doc)."""

    def __init__(self, builder: _Builder) -> None:
        self.b = builder

    def run(self) -> None:
        policies = self.b.policies
        aspect_defs: dict[str, Mapping[str, Any]] = {}
        for policy in policies:
            aspects = policy.properties.get("aspects") if policy.is_a(NS_ASPECTS) else None
            for aspect_id, definition in (aspects.items() if isinstance(aspects, dict)
                                          else ()):
                aspect_defs[str(aspect_id)] = definition if isinstance(definition, dict) else {}
        deltas: dict[str, dict[str, tuple[int, ...]]] = {a: {} for a in aspect_defs}
        top_level: dict[str, int] = {}
        for policy in policies:
            if any(policy.is_a(kind) for kind in NS_LEVEL_MAPPINGS):
                self.level_mapping(policy, aspect_defs, deltas, top_level)
        for aspect_id, definition in aspect_defs.items():
            levels = definition.get("ns_scale_levels")
            count = len(levels) - 1 if isinstance(levels, dict) and levels else \
                top_level.get(aspect_id, 0)
            description = definition.get("description")
            self.b.info.aspects[aspect_id] = ScalingAspect(
                name=aspect_id, max_scale_level=max(count, 0), deltas=deltas[aspect_id],
                description=description if isinstance(description, str) else None)
        self.levels()
        self.profiles()

    def level_mapping(self, policy: PolicyDef, aspect_defs: Mapping[str, Any],
                      deltas: dict[str, dict[str, tuple[int, ...]]],
                      top_level: dict[str, int]) -> None:
        aspect_id = policy.properties.get("aspect")
        counts = policy.properties.get("number_of_instances")
        if not isinstance(aspect_id, str) or aspect_id not in aspect_defs:
            self.b.warn("sol001.unknown_aspect",
                        f"policy {policy.name!r} maps levels of aspect {aspect_id!r}, which no "
                        "NsScalingAspects policy defines")
            return
        by_level = sorted((lvl, n) for lvl, n in (
            (_int(k), _int(v)) for k, v in (counts.items() if isinstance(counts, dict) else ()))
            if lvl is not None and n is not None)
        if not by_level:
            return
        steps: list[int] = []
        for (_lvl, before), (_next, after) in itertools.pairwise(by_level):
            if after < before:
                self.b.warn("sol001.decreasing_level_mapping",
                            f"policy {policy.name!r} has fewer instances at a higher level of "
                            f"aspect {aspect_id!r}; that step adds none")
            steps.append(max(after - before, 0))
        top_level[aspect_id] = max(top_level.get(aspect_id, 0), by_level[-1][0])
        for target in self.b.targets(policy):
            self.b.info.initial_instances[target] = by_level[0][1]
            if steps:
                deltas[aspect_id][target] = tuple(steps)

    def levels(self) -> None:
        definitions: dict[str, Any] = {}
        default_level: str | None = None
        for policy in self.b.policies:
            if not policy.is_a(NS_LEVELS):
                continue
            for key in ("levels", "ns_levels"):
                levels = policy.properties.get(key)
                if isinstance(levels, dict):
                    definitions.update({str(k): v for k, v in levels.items()})
            if isinstance(policy.properties.get("default_level"), str):
                default_level = policy.properties["default_level"]
        if not definitions:
            return
        instances: dict[str, dict[str, int]] = {level: {} for level in definitions}
        for policy in self.b.policies:
            if not any(policy.is_a(kind) for kind in NS_INSTANTIATION_MAPPINGS):
                continue
            counts = policy.properties.get("number_of_instances")
            for level_id, value in (counts.items() if isinstance(counts, dict) else ()):
                count = _int(value)
                if count is None:
                    continue
                if str(level_id) not in instances:
                    self.b.warn("sol001.unknown_level",
                                f"policy {policy.name!r} sets instances for NS instantiation "
                                f"level {level_id!r}, which NsInstantiationLevels does not define")
                    continue
                for target in self.b.targets(policy):
                    instances[str(level_id)][target] = count
        for level_id, definition in definitions.items():
            scale_levels: dict[str, int] = {}
            description = definition.get("description") if isinstance(definition, dict) \
                else None
            scale_info = definition.get("scale_info") if isinstance(definition, dict) else None
            for aspect_id, info in (scale_info.items() if isinstance(scale_info, dict) else ()):
                level = _int(info.get("scale_level")) if isinstance(info, dict) else None
                if level is not None:
                    scale_levels[str(aspect_id)] = level
            self.b.info.instantiation_levels[level_id] = InstantiationLevel(
                name=level_id, description=description if isinstance(description, str)
                else None, instances=instances[level_id], scale_levels=scale_levels)
        if default_level is None and len(definitions) == 1:
            default_level = next(iter(definitions))
        if default_level is not None and default_level not in definitions:
            self.b.warn("sol001.unknown_level",
                        f"default NS instantiation level {default_level!r} is not defined")
            default_level = None
        self.b.info.default_instantiation_level = default_level

    def profiles(self) -> None:
        for name, node in self.b.nodes.items():
            profile = node.properties.get("vnf_profile") if node.is_a(NFV_VNF) else (
                node.properties.get("ns_profile") if node.is_a(NFV_NS) else None)
            if not isinstance(profile, dict):
                continue
            minimum = _int(profile.get("min_number_of_instances"))
            maximum = _int(profile.get("max_number_of_instances"))
            if minimum is not None:
                self.b.info.min_instances[name] = minimum
                if minimum >= 1:
                    self.b.info.initial_instances.setdefault(name, minimum)
            if maximum is not None:
                self.b.info.max_instances[name] = maximum


def scaling_info(nodes: Mapping[str, NodeTemplate], policies: Sequence[PolicyDef],
                 group_members: Mapping[str, Sequence[str]],
                 report: Callable[[Diagnostic], None]) -> ScalingInfo:
    """Aspects, instance counts and levels from the model's nodes and policies."""
    builder = _Builder(nodes, policies, group_members, report)
    builder.scalable_capabilities()
    for policy in policies:
        if policy.is_a(TOSCA_SCALING) and not policy.type.startswith("tosca.policies.nfv."):
            builder.tosca_scaling_policy(policy)
    builder.nfv()
    _NsBuilder(builder).run()
    return builder.info
