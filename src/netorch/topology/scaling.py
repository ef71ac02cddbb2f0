"""How many instances each scalable node template gets.

ETSI GS NFV-SOL 001 §6.10: ``VduInitialDelta`` gives the count before any scaling step,
``ScalingAspects`` + ``VduScalingAspectDeltas`` what each step of an aspect adds,
``InstantiationLevels`` + ``VduInstantiationLevels`` named counts together with the aspect
scale levels they correspond to, and a VDU's ``vdu_profile`` (``min_number_of_instances`` /
``max_number_of_instances``) bounds the counts. TOSCA 1.x ``tosca.policies.Scaling``
reaches here already mapped onto the same :class:`~netorch.model.service.ServiceModel`
fields by the loader.

The count of a scalable template ``t`` is

* without an instantiation level: ``initial_instances[t] (default 1) + sum over aspects of
  aspect.added_instances(t, level)``;
* with instantiation level ``L`` that lists ``t``: ``L.instances[t]`` plus, per aspect, the
  instances added between ``L``'s own scale level and the requested one (so asking for ``L``
  with its own scale levels gives exactly ``L.instances[t]``, and scaling from ``L`` adds the
  aspect deltas on top of it, ETSI GS NFV-SOL 003 §5.4.5 scale levels being absolute);

then clamped to ``[min_instances[t], max_instances[t]]``.
"""

from __future__ import annotations

from collections.abc import Mapping

from netorch.model.diagnostics import Diagnostic, error, warning
from netorch.model.service import InstantiationLevel, ServiceModel


def scalable_templates(model: ServiceModel) -> list[str]:
    """Templates (in model order) named by any aspect delta, initial / min / max instance
    count or instantiation level: they always get indexed ids, whatever their count."""
    named: set[str] = set()
    for aspect in model.aspects.values():
        named.update(aspect.deltas)
    named.update(model.initial_instances)
    named.update(model.min_instances)
    named.update(model.max_instances)
    for level in model.instantiation_levels.values():
        named.update(level.instances)
    return [name for name in model.nodes if name in named]


def _unknown_templates(model: ServiceModel) -> list[Diagnostic]:
    sources: list[tuple[str, Mapping[str, object]]] = [
        (f"scaling aspect {a.name!r}", a.deltas) for a in model.aspects.values()]
    sources += [("initial_instances", model.initial_instances),
                ("min_instances", model.min_instances),
                ("max_instances", model.max_instances)]
    sources += [(f"instantiation level {lv.name!r}", lv.instances)
                for lv in model.instantiation_levels.values()]
    return [warning("topology.unknown_template",
                    f"{where} names {name!r}, which is not a node template", model.source)
            for where, mapping in sources for name in mapping if name not in model.nodes]


def _choose_level(model: ServiceModel, scale_levels: Mapping[str, int] | None,
                  instantiation_level: str | None,
                  diagnostics: list[Diagnostic]) -> InstantiationLevel | None:
    name = instantiation_level
    if name is None and scale_levels is None:
        name = model.default_instantiation_level
    if name is None:
        return None
    level = model.instantiation_levels.get(name)
    if level is None:
        diagnostics.append(error("topology.unknown_instantiation_level",
                                 f"instantiation level {name!r} is not defined", model.source))
    return level


def _clamp_levels(model: ServiceModel, levels: Mapping[str, int],
                  diagnostics: list[Diagnostic] | None) -> dict[str, int]:
    result: dict[str, int] = {}
    for name, requested in levels.items():
        aspect = model.aspects.get(name)
        if aspect is None:
            if diagnostics is not None:
                diagnostics.append(error("topology.unknown_aspect",
                                         f"scaling aspect {name!r} is not defined", model.source))
            continue
        level = min(max(int(requested), 0), aspect.max_scale_level)
        if level != requested and diagnostics is not None:
            diagnostics.append(warning(
                "topology.scale_level_clamped",
                f"scale level {requested} of aspect {name!r} is outside"
                f" 0..{aspect.max_scale_level}; using {level}", model.source))
        result[name] = level
    return result


def instance_counts(model: ServiceModel, *, scale_levels: Mapping[str, int] | None = None,
                    instantiation_level: str | None = None
                    ) -> tuple[dict[str, int], list[Diagnostic]]:
    """Instance count of every scalable template (see the module docstring)."""
    diagnostics = _unknown_templates(model)
    level = _choose_level(model, scale_levels, instantiation_level, diagnostics)
    seed_requested: Mapping[str, int] = level.scale_levels if level is not None else {}
    seed = _clamp_levels(model, seed_requested, None)
    effective = _clamp_levels(model, {**seed_requested, **(scale_levels or {})}, diagnostics)
    counts: dict[str, int] = {}
    for name in scalable_templates(model):
        if level is not None and name in level.instances:
            count = int(level.instances[name]) + sum(
                a.added_instances(name, effective.get(a.name, 0))
                - a.added_instances(name, seed.get(a.name, 0)) for a in model.aspects.values())
        else:
            count = int(model.initial_instances.get(name, 1)) + sum(
                a.added_instances(name, effective.get(a.name, 0))
                for a in model.aspects.values())
        low = max(int(model.min_instances.get(name, 0)), 0)
        high = model.max_instances.get(name)
        clamped = max(count, low)
        if high is not None:
            clamped = min(clamped, int(high))
        if clamped != count:
            bounds = f"{low}..{high if high is not None else ''}"
            diagnostics.append(warning(
                "topology.instances_clamped",
                f"{name!r}: {count} instances requested, outside {bounds}; using {clamped}",
                model.source, model.nodes[name].line))
        counts[name] = clamped
    return counts, diagnostics
