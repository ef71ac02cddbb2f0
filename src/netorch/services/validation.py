"""``netorch validate``: load a template and report every diagnostic (never a traceback)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from netorch.model.diagnostics import Diagnostic, Severity, has_errors
from netorch.model.service import ServiceModel
from netorch.topology import build_topology
from netorch.tosca import load


@dataclass(slots=True)
class ValidationResult:
    valid: bool
    diagnostics: list[Diagnostic] = field(default_factory=list)
    model: ServiceModel | None = None
    nodes: int = 0

    @property
    def summary(self) -> str:
        if self.model is None:
            return "not loaded"
        warnings = sum(1 for d in self.diagnostics if d.severity is Severity.WARNING)
        return (f"{self.model.tosca_version}, {len(self.model.nodes)} node templates, "
                f"{self.nodes} nodes after expansion, {warnings} warning(s)")

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "diagnostics": [
                {k: d.to_dict()[k] for k in ("severity", "code", "message", "file", "line")}
                for d in self.diagnostics
            ],
        }


def validate(source: str | Path, inputs: Mapping[str, object] | None = None, *,
             known_vnfds: Mapping[str, set[str]] | None = None) -> ValidationResult:
    """Load, then build the topology (which finds cycles and bad scaling data).

    Without inputs, a required input that has no value is a warning (the template is being
    checked, not deployed); with inputs, it is an error. ``known_vnfds`` (``vnfd_id`` -> flavour
    ids of the onboarded VNF packages) makes an NSD's VNF references that do not resolve errors
    (SOL001 ``strict_nsd_constituent_onboarding``); ``None`` leaves them unchecked."""
    model, diags = load(source, inputs=dict(inputs) if inputs else None,
                        known_vnfds=known_vnfds)
    diags = list(diags)
    if model is None or has_errors(diags):
        return ValidationResult(valid=False, diagnostics=diags, model=model)
    topo, tdiags = build_topology(model)
    diags += list(tdiags) + list(topo.check())
    return ValidationResult(valid=not has_errors(diags), diagnostics=diags, model=model,
                            nodes=len(topo))


def parse_inputs(pairs: list[str], file: Path | None = None) -> dict[str, Any]:
    """Inputs from ``--inputs FILE`` (YAML or JSON) overlaid with ``-i k=v`` (v parsed as YAML)."""
    values: dict[str, Any] = {}
    if file is not None:
        try:
            loaded = yaml.safe_load(file.read_text()) if file.suffix != ".json" else json.loads(
                file.read_text())
        except (OSError, yaml.YAMLError, json.JSONDecodeError) as exc:
            raise ValueError(f"cannot read inputs file {file}: {exc}") from exc
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ValueError(f"inputs file {file} must hold a mapping of input names to values")
        values.update({str(k): v for k, v in loaded.items()})
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"bad input {pair!r}: expected NAME=VALUE")
        try:
            values[key.strip()] = yaml.safe_load(raw) if raw else ""
        except yaml.YAMLError:
            values[key.strip()] = raw
    return values


__all__ = ["ValidationResult", "parse_inputs", "validate"]
