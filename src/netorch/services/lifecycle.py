"""Network-service lifecycle: instantiate, scale, heal, update, terminate — and the operator's
answers to a failed operation: resume (retry), rollback, fail.

Every LCM operation does the same three things (ARCHITECTURE.md, "the one idea"):

1. compute a new *desired* topology (pure) and record it, with the previous one, on a new
   operation occurrence that holds the service's lock (one non-final operation per service,
   SOL005 §6.4.x / SPEC-NOTES §2);
2. settle in-doubt records against the VIM, then ``plan(desired, observed)``;
3. ``apply`` the plan through the journaled engine and move the occurrence to its next
   SOL005 state: COMPLETED, or FAILED_TEMP from where the operator retries, rolls back or fails.

No operation has a private execution path: heal is "bump the generation of what is unhealthy",
terminate is "desire nothing", rollback is "desire what was there before".
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from netorch.engine.apply import ApplyResult, StepEvent, apply
from netorch.engine.attributes import resolve, unresolved
from netorch.engine.recovery import observe_health, refresh_attributes, settle_records
from netorch.model.diagnostics import Diagnostic, has_errors
from netorch.model.errors import ConflictError, NotFoundError, StalePlanError, ValidationFailed
from netorch.model.operations import OpOccurrence, OpState, OpType, StepState
from netorch.model.records import ServiceRecord, TemplateRecord
from netorch.model.serialize import model_from_dict, model_to_dict
from netorch.model.service import ServiceModel
from netorch.planner import ObservedState, Plan, plan, restrict
from netorch.services.cancellation import CancelToken, GuardedDrivers, cancel_task_when
from netorch.services.context import Context
from netorch.store import Store
from netorch.topology import Topology, build_topology
from netorch.tosca import load

log = logging.getLogger(__name__)

NOT_INSTANTIATED = "NOT_INSTANTIATED"
INSTANTIATED = "INSTANTIATED"

ProgressFn = Callable[[StepEvent], None]


def _now() -> datetime:
    return datetime.now(UTC)


def _process_alive(pid: int, since: datetime) -> bool:
    """Is ``pid`` alive and the same process that started at or before ``since``?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # guard against PID reuse: the process must be older than the operation
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        start_ticks = int(stat[19])
        boot = next(float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                    if line.startswith("btime"))
        started = boot + start_ticks / os.sysconf("SC_CLK_TCK")
        return started <= since.timestamp() + 2.0
    except (OSError, ValueError, IndexError, StopIteration):
        return True


def _errors(diags: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diags if d.severity.value == "error"]


def _without_dependents(p: Plan, skip: set[str]) -> set[str]:
    """The plan's nodes except ``skip`` and every node whose steps depend on theirs."""
    by_id = {s.id: s for s in p.steps}
    dropped = {s.id for s in p.steps if s.node_id in skip}
    for s in p.steps:  # topological order: dependencies come first
        if any(d in dropped for d in s.depends_on if d in by_id):
            dropped.add(s.id)
    dropped_nodes = {by_id[sid].node_id for sid in dropped}
    return {s.node_id for s in p.steps if s.node_id not in dropped_nodes}


@dataclass(frozen=True, slots=True)
class Interrupted:
    op: OpOccurrence
    reason: str


class Lifecycle:
    """The LCM use cases. Synchronous facade; the engine runs in an event loop per call.

    With ``defer=True`` an operation is only *begun*: the occurrence is recorded (PROCESSING,
    or ROLLING_BACK for a rollback) and returned without running; :meth:`execute` runs it later,
    e.g. on a worker thread (the SOL005 API answers 202 in between, SPEC-NOTES §0.8).
    """

    def __init__(self, ctx: Context, *, defer: bool = False) -> None:
        self.ctx = ctx
        self.defer = defer

    @property
    def store(self) -> Store:
        return self.ctx.store

    # ------------------------------------------------------------------ reading

    def load_template(self, source: str | Path, inputs: Mapping[str, object] | None = None,
                      ) -> ServiceModel:
        model, diags = load(source, inputs=dict(inputs or {}))
        if model is None or has_errors(diags):
            raise ValidationFailed(f"{source} is not a valid service template", _errors(diags))
        return model

    def service(self, name: str) -> ServiceRecord:
        svc: ServiceRecord | None = self.store.get_service(name)
        if svc is None:
            raise NotFoundError(f"no service named {name!r} (see `netorch status`)")
        return svc

    def outputs(self, name: str) -> dict[str, Any]:
        """The service's topology outputs, ``get_attribute`` resolved from what exists now
        (TOSCA 1.3 §3.6.x outputs); a value that cannot be resolved yet is ``None``."""
        svc = self.service(name)
        model = model_from_dict(svc.model)
        records = {r.node_id: r for r in self.store.resources(name)}
        out: dict[str, Any] = {}
        for key, output in model.outputs.items():
            value = resolve(output.value, me=None, records=records)
            out[key] = None if unresolved(value) else value
        return out

    def op(self, op_id: str) -> OpOccurrence:
        found: OpOccurrence | None = self.store.get_op(op_id)
        if found is None:
            matches = [o for o in self.store.list_ops(limit=10_000) if o.id.startswith(op_id)]
            if len(matches) == 1:
                found = self.store.get_op(matches[0].id)
        if found is None:
            raise NotFoundError(f"no operation {op_id!r} (see `netorch ops`)")
        return found

    def desired_topology(self, model: ServiceModel, *, scale_levels: Mapping[str, int],
                         instantiation_level: str | None, generations: Mapping[str, int],
                         ) -> Topology:
        topo, diags = build_topology(model, scale_levels=scale_levels,
                                     instantiation_level=instantiation_level,
                                     generations=generations)
        diags = list(diags) + list(topo.check())
        if has_errors(diags):
            raise ValidationFailed(f"{model.name}: the topology is invalid", _errors(diags))
        return topo

    @staticmethod
    def initial_scale_levels(model: ServiceModel, level: str | None) -> dict[str, int]:
        levels = {name: 0 for name in model.aspects}
        chosen = level or model.default_instantiation_level
        if chosen:
            if chosen not in model.instantiation_levels:
                known = ", ".join(sorted(model.instantiation_levels)) or "none"
                raise ValidationFailed(
                    f"unknown instantiation level {chosen!r} (levels: {known})")
            levels.update(model.instantiation_levels[chosen].scale_levels)
        return levels

    def preview(self, source: str | Path, inputs: Mapping[str, object] | None = None,
                name: str | None = None, instantiation_level: str | None = None) -> Plan:
        """What instantiating (or updating ``name`` to) this template would do. No VIM call."""
        model = self.load_template(source, inputs)
        svc = self.store.get_service(name) if name else None
        levels = self.initial_scale_levels(model, instantiation_level)
        generations: dict[str, int] = {}
        if svc is not None and svc.status == INSTANTIATED:
            levels = {**levels, **svc.scale_levels}
            generations = dict(svc.generations)
            instantiation_level = instantiation_level or svc.instantiation_level
        topo = self.desired_topology(model, scale_levels=levels,
                                     instantiation_level=instantiation_level,
                                     generations=generations)
        observed = ObservedState.from_records(self.store.resources(name) if name else [])
        return plan(topo, observed, service=name or model.name)

    # ------------------------------------------------------------------ crash recovery

    def recover_interrupted(self) -> list[Interrupted]:
        """Find operations whose process died mid-flight and park them in FAILED_TEMP.

        Same mapping as Tacker's restart recovery (SPEC-NOTES §2): PROCESSING and ROLLING_BACK
        become FAILED_TEMP, from where ``resume`` or ``rollback`` finishes them.
        """
        found: list[Interrupted] = []
        host = socket.gethostname()
        for op in self.store.unfinished_ops():
            if op.state not in (OpState.PROCESSING, OpState.ROLLING_BACK):
                continue
            if op.owner_host not in (None, host):
                continue  # owned by another machine: not ours to judge
            if op.owner_pid is not None and _process_alive(op.owner_pid, op.state_entered_time):
                continue
            reason = (f"interrupted: the process running it (pid {op.owner_pid}) died while the "
                      f"operation was {op.state.value}; run `netorch resume {op.id}` or "
                      f"`netorch rollback {op.id}`")
            updated = self.store.set_op_state(op.id, OpState.FAILED_TEMP, error=reason)
            self.store.add_event(reason, level="warning", service=op.service, op_id=op.id)
            log.warning("%s", reason)
            found.append(Interrupted(updated, reason))
        return found

    # ------------------------------------------------------------------ operations

    def _begin(self, svc: ServiceRecord, op_type: OpType, *, after: dict[str, Any],
               desired_after: Topology | None, params: Mapping[str, Any]) -> OpOccurrence:
        """Take the service's lock with a new occurrence and switch its desired state."""
        now = _now()
        before = {
            "status": svc.status, "inputs": svc.inputs, "scale_levels": svc.scale_levels,
            "instantiation_level": svc.instantiation_level, "generations": svc.generations,
            "model": svc.model, "template": svc.template, "template_hash": svc.template_hash,
        }
        op = OpOccurrence(
            id=str(uuid.uuid4()), service=svc.name, type=op_type, state=OpState.PROCESSING,
            start_time=now, state_entered_time=now,
            params={**params, "before": before, "after": after},
            owner_pid=os.getpid(), owner_host=socket.gethostname(),
        )
        after_dict = desired_after.to_dict() if desired_after is not None else None
        self.store.begin_op(op, desired_before=svc.desired, desired_after=after_dict, plan=None)
        # The desired state changes now; the observed status only when the operation completes.
        self.store.update_service(svc.name, desired=after_dict,
                                  **{k: v for k, v in after.items() if k != "status"})
        self.store.add_event(f"{op_type.value} started", service=svc.name, op_id=op.id)
        return op

    def instantiate(self, source: str | Path, name: str, *,
                    inputs: Mapping[str, object] | None = None, vim: str | None = None,
                    instantiation_level: str | None = None, saved_plan: Plan | None = None,
                    on_event: ProgressFn | None = None) -> OpOccurrence:
        model = self.load_template(source, inputs)
        levels = self.initial_scale_levels(model, instantiation_level)
        level = instantiation_level or model.default_instantiation_level
        topo = self.desired_topology(model, scale_levels=levels, instantiation_level=level,
                                     generations={})
        vim_name = self.ctx.default_vim(vim)
        model_json = model_to_dict(model)
        self.store.put_template(TemplateRecord(
            content_hash=model.content_hash, name=model.name, source=str(source),
            tosca_version=model.tosca_version, kind="template", model=model_json,
            created_at=_now()))
        svc = self.store.get_service(name)
        if svc is None:
            now = _now()
            self.store.create_service(ServiceRecord(
                name=name, template=str(Path(source).resolve()),
                template_hash=model.content_hash, vim=vim_name, status=NOT_INSTANTIATED,
                inputs=dict(model.input_values), model=model_json, desired=None,
                scale_levels={}, instantiation_level=None, generations={}, active_op=None,
                created_at=now, updated_at=now))
            svc = self.service(name)
        elif svc.status == INSTANTIATED:
            raise ConflictError(
                f"service {name!r} is already instantiated (use `netorch update`, "
                f"`netorch scale` or `netorch terminate {name}` first)")
        elif svc.vim != vim_name:
            self.store.update_service(name, vim=vim_name)
            svc = self.service(name)
        after = {
            "status": INSTANTIATED, "inputs": dict(model.input_values), "scale_levels": levels,
            "instantiation_level": level, "generations": {}, "model": model_json,
            "template": str(Path(source).resolve()), "template_hash": model.content_hash,
        }
        if saved_plan is not None:
            self._check_saved_plan(saved_plan, name, topo)
        op = self._begin(svc, OpType.INSTANTIATE, after=after, desired_after=topo,
                         params={"template": str(source), "vim": vim_name,
                                 "instantiation_level": level})
        return self._execute(op, on_event=on_event, first_plan=saved_plan)

    def _check_saved_plan(self, saved: Plan, name: str, topo: Topology) -> None:
        if saved.service != name:
            raise StalePlanError(f"the saved plan is for service {saved.service!r}, not {name!r}")
        if saved.desired_fingerprint != topo.fingerprint():
            raise StalePlanError(
                "the template or inputs changed since the plan was saved "
                f"(desired {topo.fingerprint()[:12]} != plan's {saved.desired_fingerprint[:12]});"
                " run `netorch plan` again")
        saved.check_current(ObservedState.from_records(self.store.resources(name)))

    def _require_instantiated(self, name: str) -> ServiceRecord:
        svc = self.service(name)
        if svc.status != INSTANTIATED or svc.desired is None:
            raise ConflictError(f"service {name!r} is {svc.status}; instantiate it first")
        return svc

    def scale(self, name: str, aspect: str, steps: int = 1, *, scale_in: bool = False,
              on_event: ProgressFn | None = None) -> OpOccurrence:
        """Scale by aspect (SOL005 ScaleNsByStepsData: scalingDirection, aspectId,
        numberOfSteps)."""
        svc = self._require_instantiated(name)
        model = model_from_dict(svc.model)
        if aspect not in model.aspects:
            known = ", ".join(sorted(model.aspects)) or "none"
            raise ValidationFailed(f"service {name!r} has no scaling aspect {aspect!r} "
                                   f"(aspects: {known})")
        if steps < 1:
            raise ValidationFailed("--steps must be at least 1")
        asp = model.aspects[aspect]
        current = svc.scale_levels.get(aspect, 0)
        target = current - steps if scale_in else current + steps
        if not 0 <= target <= asp.max_scale_level:
            raise ValidationFailed(
                f"cannot scale {aspect!r} {'in' if scale_in else 'out'} by {steps}: level "
                f"{current} -> {target} is outside 0..{asp.max_scale_level}")
        levels = {**svc.scale_levels, aspect: target}
        topo = self.desired_topology(model, scale_levels=levels,
                                     instantiation_level=svc.instantiation_level,
                                     generations=svc.generations)
        op = self._begin(svc, OpType.SCALE, after={"scale_levels": levels}, desired_after=topo,
                         params={"aspect": aspect, "steps": steps,
                                 "direction": "SCALE_IN" if scale_in else "SCALE_OUT",
                                 "from_level": current, "to_level": target})
        return self._execute(op, on_event=on_event)

    def heal(self, name: str, node: str | None = None, *,
             on_event: ProgressFn | None = None) -> OpOccurrence:
        """Replace the named node (instance id or template name), or every node the VIM reports
        unhealthy, then re-create what is bound to it (the planner's replace cascade)."""
        svc = self._require_instantiated(name)
        assert svc.desired is not None
        topo = Topology.from_dict(svc.desired)
        reasons: dict[str, str] = {}
        if node is not None:
            targets = [n.id for n in topo.nodes() if n.id == node or n.template == node]
            if not targets:
                known = ", ".join(n.id for n in topo.nodes())
                raise ValidationFailed(f"service {name!r} has no node {node!r} (nodes: {known})")
            reasons = {t: "requested by the operator" for t in targets}
        else:
            health = asyncio.run(self._observe(svc))
            reasons = {nid: why for nid, why in health.items() if why is not None}
            for nid in reasons:
                self.store.set_resource_health(name, nid, False)
        generations = dict(svc.generations)
        for target in reasons:
            generations[target] = generations.get(target, 0) + 1
            topo = topo.with_node(replace(topo.node(target), generation=generations[target]))
        op = self._begin(svc, OpType.HEAL, after={"generations": generations},
                         desired_after=topo, params={"targets": reasons})
        if not reasons:
            self.store.add_event("heal: every resource is healthy; nothing to do",
                                 service=name, op_id=op.id)
        return self._execute(op, on_event=on_event)

    async def _observe(self, svc: ServiceRecord) -> dict[str, str | None]:
        async with self.ctx.drivers(svc.vim) as drivers:
            return await observe_health(self.store.resources(svc.name), drivers)

    def update(self, name: str, inputs: Mapping[str, object], *,
               template: str | Path | None = None,
               on_event: ProgressFn | None = None) -> OpOccurrence:
        """Modify the service's inputs (and optionally its template), then converge."""
        svc = self._require_instantiated(name)
        source = Path(template) if template is not None else Path(svc.template)
        if not source.exists():
            raise NotFoundError(f"the template {source} of {name!r} is gone; pass --template")
        merged = {**svc.inputs, **dict(inputs)}
        model = self.load_template(source, merged)
        known_aspects = {a: lvl for a, lvl in svc.scale_levels.items() if a in model.aspects}
        levels = {**{a: 0 for a in model.aspects}, **known_aspects}
        topo = self.desired_topology(model, scale_levels=levels,
                                     instantiation_level=svc.instantiation_level
                                     if svc.instantiation_level in model.instantiation_levels
                                     else None,
                                     generations=svc.generations)
        model_json = model_to_dict(model)
        self.store.put_template(TemplateRecord(
            content_hash=model.content_hash, name=model.name, source=str(source),
            tosca_version=model.tosca_version, kind="template", model=model_json,
            created_at=_now()))
        after = {"inputs": dict(model.input_values), "model": model_json,
                 "scale_levels": levels, "template": str(source.resolve()),
                 "template_hash": model.content_hash}
        op = self._begin(svc, OpType.UPDATE, after=after, desired_after=topo,
                         params={"inputs": {k: v for k, v in dict(inputs).items()},
                                 "template": str(source)})
        return self._execute(op, on_event=on_event)

    def terminate(self, name: str, *, on_event: ProgressFn | None = None) -> OpOccurrence:
        svc = self.service(name)
        if svc.status != INSTANTIATED and not self.store.resources(name):
            raise ConflictError(f"service {name!r} is not instantiated")
        op = self._begin(svc, OpType.TERMINATE, after={"status": NOT_INSTANTIATED},
                         desired_after=None, params={})
        return self._execute(op, on_event=on_event)

    def delete(self, name: str) -> None:
        """Forget a NOT_INSTANTIATED service (SOL005 DELETE ns_instances/{id})."""
        svc = self.service(name)
        if svc.status == INSTANTIATED or self.store.resources(name):
            raise ConflictError(f"service {name!r} still has resources; terminate it first")
        if svc.active_op is not None:
            raise ConflictError(f"service {name!r} has an unfinished operation {svc.active_op}")
        self.store.delete_service(name)

    # ------------------------------------------------------------------ FAILED_TEMP handling

    def _require_failed_temp(self, op_id: str, task: str) -> OpOccurrence:
        self.recover_interrupted()
        op = self.op(op_id)
        if op.state is not OpState.FAILED_TEMP:
            raise ConflictError(
                f"cannot {task} operation {op.id}: it is {op.state.value}; {task} is only "
                "possible in FAILED_TEMP (SOL005)")
        return op

    def resume(self, op_id: str, *, on_event: ProgressFn | None = None,
               skip_failed: bool = False) -> OpOccurrence:
        """Retry (SOL005 task ``retry``): re-run what failed or did not run.

        ``skip_failed`` is SOL005's ``continue``: the steps that failed, and what depends on
        them, are left out and the operation goes on with the rest."""
        op = self._require_failed_temp(op_id, "continue" if skip_failed else "resume")
        self.store.set_op_state(op.id, OpState.PROCESSING, error=None, owner_pid=os.getpid(),
                                owner_host=socket.gethostname())
        self.store.add_event(f"{op.type.value} {'continued' if skip_failed else 'resumed'}",
                             service=op.service, op_id=op.id)
        return self._execute(self.op(op.id), on_event=on_event, skip_failed=skip_failed)

    def execute(self, op_id: str, *, on_event: ProgressFn | None = None,
                cancel: CancelToken | None = None, skip_failed: bool = False) -> OpOccurrence:
        """Run an operation begun with ``defer=True`` (PROCESSING, or ROLLING_BACK for a
        rollback) to its next state; ``cancel`` stops it cooperatively (SOL005 ``cancel``)."""
        op = self.op(op_id)
        if op.state not in (OpState.PROCESSING, OpState.ROLLING_BACK):
            raise ConflictError(f"operation {op.id} is {op.state.value}; nothing to run")
        runner = Lifecycle(self.ctx)
        return runner._execute(op, on_event=on_event, rollback=op.state is OpState.ROLLING_BACK,
                               cancel=cancel, skip_failed=skip_failed)

    def rollback(self, op_id: str, *, on_event: ProgressFn | None = None) -> OpOccurrence:
        """Undo what the operation did, in reverse dependency order (SOL005 task ``rollback``)."""
        op = self._require_failed_temp(op_id, "roll back")
        self.store.set_op_state(op.id, OpState.ROLLING_BACK, error=None, owner_pid=os.getpid(),
                                owner_host=socket.gethostname())
        self.store.add_event(f"{op.type.value} rolling back", service=op.service, op_id=op.id)
        return self._execute(self.op(op.id), on_event=on_event, rollback=True)

    def fail(self, op_id: str) -> OpOccurrence:
        """Give up (SOL005 task ``fail``): FAILED is final; what exists stays recorded."""
        op = self._require_failed_temp(op_id, "fail")
        resources = self.store.resources(op.service)
        status = INSTANTIATED if resources else NOT_INSTANTIATED
        self.store.update_service(op.service, status=status)
        left = ", ".join(sorted(r.node_id for r in resources)) or "nothing"
        done = self.store.set_op_state(op.id, OpState.FAILED, error=op.error)
        self.store.add_event(f"{op.type.value} marked FAILED; resources left: {left}",
                             level="warning", service=op.service, op_id=op.id)
        return done

    # ------------------------------------------------------------------ execution

    def _rollback_target(self, op: OpOccurrence, payload: Mapping[str, Any]) -> Topology:
        before = payload.get("desired_before")
        after = payload.get("desired_after")
        target = Topology.from_dict(before) if before else Topology(name=op.service)
        if after:
            # A replaced VM cannot be un-replaced: keep the generations heal moved forward, so
            # rolling back does not replace healthy nodes a second time.
            current = Topology.from_dict(after)
            for node in list(target.nodes()):
                if node.id in current and current.node(node.id).generation > node.generation:
                    target = target.with_node(
                        replace(node, generation=current.node(node.id).generation))
        return target

    def _execute(self, op: OpOccurrence, *, on_event: ProgressFn | None = None,
                 rollback: bool = False, first_plan: Plan | None = None,
                 cancel: CancelToken | None = None, skip_failed: bool = False) -> OpOccurrence:
        if self.defer:
            return op
        svc = self.service(op.service)
        payload = self.store.op_payload(op.id)
        phase = "rollback" if rollback else "apply"
        attempt = 1 + max((s.attempt for s in self.store.steps(op.id) if s.phase == phase),
                          default=0)
        if rollback:
            desired = self._rollback_target(op, payload)
            touched = {s.node_id for s in self.store.steps(op.id)
                       if s.phase == "apply" and s.state is not StepState.SKIPPED}
            touched |= {s.node_id for s in self.store.steps(op.id) if s.phase == "rollback"}
        else:
            after = payload.get("desired_after")
            desired = Topology.from_dict(after) if after else Topology(name=op.service)
            touched = None
        skip: set[str] = set()
        if skip_failed:
            skip = {s.node_id for s in self.store.steps(op.id)
                    if s.phase == phase and s.state in (StepState.FAILED, StepState.SKIPPED)}
        try:
            result = asyncio.run(self._apply(svc, op, desired, phase=phase, attempt=attempt,
                                             restrict_to=touched, on_event=on_event,
                                             first_plan=first_plan if attempt == 1 else None,
                                             cancel=cancel, skip=skip))
        except KeyboardInterrupt:
            self._finish(op, svc, None, rollback, error="interrupted by the operator (Ctrl-C)")
            raise
        except StalePlanError:
            self._finish(op, svc, None, rollback, error="the saved plan is stale")
            raise
        except asyncio.CancelledError:
            reason = cancel.reason() if cancel is not None else "cancelled"
            return self._finish(op, svc, None, rollback, error=reason)
        except Exception as exc:
            log.debug("operation %s crashed", op.id, exc_info=True)
            return self._finish(op, svc, None, rollback,
                                error=f"{type(exc).__name__}: {exc}")
        if cancel is not None and cancel.cancelled:
            # SOL005 §6.4.x: a cancelled operation ends in FAILED_TEMP, whatever got done.
            error = cancel.reason()
            if not result.ok:
                error += f"; {result.first_error() or 'a step did not run'}"
            return self._finish(op, svc, None, rollback, error=error)
        return self._finish(op, svc, result, rollback)

    async def _apply(self, svc: ServiceRecord, op: OpOccurrence, desired: Topology, *,
                     phase: str, attempt: int, restrict_to: set[str] | None,
                     on_event: ProgressFn | None, first_plan: Plan | None,
                     cancel: CancelToken | None = None, skip: set[str] | None = None,
                     ) -> ApplyResult:
        if cancel is None:
            return await self._apply_plan(svc, op, desired, phase=phase, attempt=attempt,
                                          restrict_to=restrict_to, on_event=on_event,
                                          first_plan=first_plan, cancel=None, skip=skip)
        # FORCEFUL cancel: the whole apply is cancelled (asyncio), from the canceller's thread.
        task = asyncio.current_task()
        assert task is not None
        unregister = cancel_task_when(cancel, task)
        try:
            return await self._apply_plan(svc, op, desired, phase=phase, attempt=attempt,
                                          restrict_to=restrict_to, on_event=on_event,
                                          first_plan=first_plan, cancel=cancel, skip=skip)
        finally:
            unregister()

    async def _apply_plan(self, svc: ServiceRecord, op: OpOccurrence, desired: Topology, *,
                          phase: str, attempt: int, restrict_to: set[str] | None,
                          on_event: ProgressFn | None, first_plan: Plan | None,
                          cancel: CancelToken | None, skip: set[str] | None) -> ApplyResult:
        store = self.store
        journal = store.journal()
        try:
            async with self.ctx.drivers(svc.vim) as real_drivers:
                drivers: Any = real_drivers
                if cancel is not None:  # GRACEFUL cancel: no new driver call starts
                    drivers = GuardedDrivers(real_drivers, cancel)
                settled = await settle_records(store.resources(svc.name), drivers, journal)
                for s in settled:
                    store.add_event(f"recovered {s.node_id} ({s.before.value}): {s.outcome}",
                                    level="warning", service=svc.name, op_id=op.id)
                records = store.resources(svc.name)
                observed = ObservedState.from_records(records)
                if first_plan is not None:
                    first_plan.check_current(observed)
                    the_plan = first_plan
                else:
                    the_plan = plan(desired, observed, service=svc.name)
                if restrict_to is not None:
                    the_plan = restrict(the_plan, restrict_to)
                if skip:
                    the_plan = restrict(the_plan, _without_dependents(the_plan, skip))
                store.set_op_plan(op.id, json.loads(the_plan.to_json()))
                result = await apply(
                    the_plan, service=svc.name, op_id=op.id, drivers=drivers, journal=journal,
                    records={r.node_id: r for r in records}, vim_name=real_drivers.vim_name,
                    config=self.ctx.engine_config(), phase=phase, attempt=attempt,
                    on_event=on_event)
                if result.ok and not the_plan.is_empty():
                    await refresh_attributes(store.resources(svc.name), real_drivers, journal)
                return result
        finally:
            await journal.close()

    def _finish(self, op: OpOccurrence, svc: ServiceRecord, result: ApplyResult | None,
                rollback: bool, *, error: str | None = None) -> OpOccurrence:
        if result is not None and not result.ok:
            first = result.first_error() or "a step failed"
            error = (f"{first} ({len(result.failed)} failed, {len(result.skipped)} skipped, "
                     f"{len(result.completed)} done)")
        if error is not None:
            self.store.add_event(f"{op.type.value} failed: {error}", level="error",
                                 service=op.service, op_id=op.id)
            return self.store.set_op_state(op.id, OpState.FAILED_TEMP, error=error)
        if rollback:
            before = dict(op.params.get("before", {}))
            self.store.update_service(
                op.service, desired=self.store.op_payload(op.id).get("desired_before"),
                **{k: v for k, v in before.items() if k != "generations"})
            state = OpState.ROLLED_BACK
        else:
            state = OpState.COMPLETED
            if "status" in op.params.get("after", {}):
                self.store.update_service(op.service, status=op.params["after"]["status"])
        self.store.add_event(f"{op.type.value} {state.value}", service=op.service, op_id=op.id)
        return self.store.set_op_state(op.id, state)
