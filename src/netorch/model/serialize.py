"""ServiceModel <-> JSON-safe dict, exactly round-tripping.

The store keeps each service's model as JSON, so scale, heal and update never re-parse the
template.  ``model_from_dict(model_to_dict(m)) == m`` holds for every model the loader makes.

Field values (properties, inputs, outputs ...) are JSON-like already; the few things JSON cannot
say are written as one-key tagged objects whose key starts with ``$``:

* ``{"$tuple": [...]}``, ``{"$set": [...]}``, ``{"$bytes": "<base64>"}``,
  ``{"$float": "nan" | "inf" | "-inf"}``, ``{"$date": "..."}`` / ``{"$datetime": "..."}``;
* ``{"$map": [[key, value], ...]}`` for a mapping with a non-string key, or with a string key
  that starts with ``$`` (so a user's own ``$``-keys can never be mistaken for a tag).
"""

from __future__ import annotations

import base64
import datetime as _dt
import math
from collections.abc import Mapping
from typing import Any

from netorch.model.service import (
    ArtifactDef,
    GroupDef,
    InputDef,
    InstantiationLevel,
    InterfaceDef,
    NodeTemplate,
    OperationDef,
    OutputDef,
    PolicyDef,
    RequirementAssignment,
    ScalingAspect,
    ServiceModel,
)

FORMAT_VERSION = 1


# -- free-form values -------------------------------------------------------------------------
def encode_value(value: Any) -> Any:
    """A JSON-safe form of ``value`` that :func:`decode_value` turns back into an equal value."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {"$float": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    if isinstance(value, list):
        return [encode_value(v) for v in value]
    if isinstance(value, tuple):
        return {"$tuple": [encode_value(v) for v in value]}
    if isinstance(value, set | frozenset):
        return {"$set": [encode_value(v) for v in value]}
    if isinstance(value, bytes | bytearray):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, _dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, _dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, Mapping):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: encode_value(v) for k, v in value.items()}
        return {"$map": [[encode_value(k), encode_value(v)] for k, v in value.items()]}
    raise TypeError(f"cannot serialize a value of type {type(value).__name__}")


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def decode_value(data: Any) -> Any:
    """The inverse of :func:`encode_value`."""
    if isinstance(data, list):
        return [decode_value(v) for v in data]
    if not isinstance(data, dict):
        return data
    if len(data) == 1:
        tag, body = next(iter(data.items()))
        if tag == "$tuple":
            return tuple(decode_value(v) for v in body)
        if tag == "$set":
            return {_hashable(decode_value(v)) for v in body}
        if tag == "$bytes":
            return base64.b64decode(body)
        if tag == "$float":
            return float(body)
        if tag == "$datetime":
            return _dt.datetime.fromisoformat(body)
        if tag == "$date":
            return _dt.date.fromisoformat(body)
        if tag == "$map":
            return {_hashable(decode_value(k)): decode_value(v) for k, v in body}
    return {k: decode_value(v) for k, v in data.items()}


def _values(mapping: Mapping[Any, Any]) -> Any:
    return encode_value(dict(mapping))


def _decoded(data: Any) -> dict[Any, Any]:
    value = decode_value(data) if data is not None else {}
    if not isinstance(value, dict):
        raise ValueError(f"expected a mapping, got {type(value).__name__}")
    return value


# -- dataclasses ------------------------------------------------------------------------------
def _requirement(r: RequirementAssignment) -> dict[str, Any]:
    return {"name": r.name, "target": r.target, "relationship": r.relationship,
            "capability": r.capability, "properties": _values(r.properties)}


def _interface(i: InterfaceDef) -> dict[str, Any]:
    return {"name": i.name, "type": i.type,
            "operations": [{"name": o.name, "implementation": o.implementation,
                            "inputs": _values(o.inputs)} for o in i.operations]}


def _artifact(a: ArtifactDef) -> dict[str, Any]:
    return {"name": a.name, "type": a.type, "file": a.file, "properties": _values(a.properties)}


def _node(n: NodeTemplate) -> dict[str, Any]:
    return {
        "name": n.name, "type": n.type, "type_chain": list(n.type_chain),
        "description": n.description,
        "properties": _values(n.properties),
        "attributes": _values(n.attributes),
        "capabilities": {c: _values(p) for c, p in n.capabilities.items()},
        "requirements": [_requirement(r) for r in n.requirements],
        "interfaces": [_interface(i) for i in n.interfaces],
        "artifacts": {k: _artifact(a) for k, a in n.artifacts.items()},
        "line": n.line,
    }


def model_to_dict(m: ServiceModel) -> dict[str, Any]:
    """A JSON-safe dict of ``m`` (``json.dumps`` accepts it with ``allow_nan=False``)."""
    return {
        "format": FORMAT_VERSION,
        "name": m.name,
        "tosca_version": m.tosca_version,
        "source": m.source,
        "description": m.description,
        "metadata": _values(m.metadata),
        "inputs": {k: {"name": i.name, "type": i.type, "description": i.description,
                       "default": encode_value(i.default), "required": i.required,
                       "has_default": i.has_default} for k, i in m.inputs.items()},
        "input_values": _values(m.input_values),
        "nodes": {k: _node(n) for k, n in m.nodes.items()},
        "policies": [{"name": p.name, "type": p.type, "type_chain": list(p.type_chain),
                      "targets": list(p.targets), "properties": _values(p.properties)}
                     for p in m.policies],
        "groups": [{"name": g.name, "type": g.type, "members": list(g.members),
                    "properties": _values(g.properties)} for g in m.groups],
        "outputs": {k: {"name": o.name, "value": encode_value(o.value),
                        "description": o.description} for k, o in m.outputs.items()},
        "aspects": {k: {"name": a.name, "max_scale_level": a.max_scale_level,
                        "deltas": {node: list(steps) for node, steps in a.deltas.items()},
                        "description": a.description} for k, a in m.aspects.items()},
        "initial_instances": dict(m.initial_instances),
        "min_instances": dict(m.min_instances),
        "max_instances": dict(m.max_instances),
        "instantiation_levels": {
            k: {"name": lv.name, "description": lv.description,
                "instances": dict(lv.instances), "scale_levels": dict(lv.scale_levels)}
            for k, lv in m.instantiation_levels.items()},
        "default_instantiation_level": m.default_instantiation_level,
        "content_hash": m.content_hash,
    }


def _node_from(d: Mapping[str, Any]) -> NodeTemplate:
    return NodeTemplate(
        name=d["name"], type=d["type"], type_chain=tuple(d.get("type_chain", ())),
        description=d.get("description"),
        properties=_decoded(d.get("properties")),
        attributes=_decoded(d.get("attributes")),
        capabilities={c: _decoded(p) for c, p in (d.get("capabilities") or {}).items()},
        requirements=tuple(
            RequirementAssignment(name=r["name"], target=r["target"],
                                  relationship=r["relationship"], capability=r.get("capability"),
                                  properties=_decoded(r.get("properties")))
            for r in d.get("requirements", ())),
        interfaces=tuple(
            InterfaceDef(name=i["name"], type=i.get("type"), operations=tuple(
                OperationDef(name=o["name"], implementation=o.get("implementation"),
                             inputs=_decoded(o.get("inputs")))
                for o in i.get("operations", ())))
            for i in d.get("interfaces", ())),
        artifacts={k: ArtifactDef(name=a["name"], type=a.get("type"), file=a.get("file"),
                                  properties=_decoded(a.get("properties")))
                   for k, a in (d.get("artifacts") or {}).items()},
        line=d.get("line"),
    )


def model_from_dict(d: Mapping[str, Any]) -> ServiceModel:
    """The inverse of :func:`model_to_dict`; ValueError for another format version."""
    version = d.get("format", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise ValueError(f"unsupported service model format {version!r}")
    return ServiceModel(
        name=d["name"],
        tosca_version=d["tosca_version"],
        source=d["source"],
        description=d.get("description"),
        metadata=_decoded(d.get("metadata")),
        inputs={k: InputDef(name=i["name"], type=i["type"], description=i.get("description"),
                            default=decode_value(i.get("default")), required=i["required"],
                            has_default=i["has_default"])
                for k, i in (d.get("inputs") or {}).items()},
        input_values=_decoded(d.get("input_values")),
        nodes={k: _node_from(n) for k, n in (d.get("nodes") or {}).items()},
        policies=tuple(PolicyDef(name=p["name"], type=p["type"],
                                 type_chain=tuple(p.get("type_chain", ())),
                                 targets=tuple(p.get("targets", ())),
                                 properties=_decoded(p.get("properties")))
                       for p in d.get("policies", ())),
        groups=tuple(GroupDef(name=g["name"], type=g["type"], members=tuple(g.get("members", ())),
                              properties=_decoded(g.get("properties")))
                     for g in d.get("groups", ())),
        outputs={k: OutputDef(name=o["name"], value=decode_value(o.get("value")),
                              description=o.get("description"))
                 for k, o in (d.get("outputs") or {}).items()},
        aspects={k: ScalingAspect(name=a["name"], max_scale_level=a["max_scale_level"],
                                  deltas={n: tuple(s) for n, s in (a.get("deltas") or {}).items()},
                                  description=a.get("description"))
                 for k, a in (d.get("aspects") or {}).items()},
        initial_instances=dict(d.get("initial_instances") or {}),
        min_instances=dict(d.get("min_instances") or {}),
        max_instances=dict(d.get("max_instances") or {}),
        instantiation_levels={
            k: InstantiationLevel(name=lv["name"], description=lv.get("description"),
                                  instances=dict(lv.get("instances") or {}),
                                  scale_levels=dict(lv.get("scale_levels") or {}))
            for k, lv in (d.get("instantiation_levels") or {}).items()},
        default_instantiation_level=d.get("default_instantiation_level"),
        content_hash=d.get("content_hash", ""),
    )
