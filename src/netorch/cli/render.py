"""Rendering of diagnostics, plans, services, operations and doctor reports with rich."""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from netorch.engine.apply import StepEvent
from netorch.model.diagnostics import Diagnostic, Severity
from netorch.model.operations import OpOccurrence, OpState, StepState
from netorch.model.records import EventRecord, ServiceRecord
from netorch.planner import Action, Plan
from netorch.services.doctor import DoctorReport
from netorch.services.lifecycle import Lifecycle
from netorch.services.network_check import NetworkCheck

_SEV_STYLE = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_STATE_STYLE = {
    OpState.COMPLETED: "green", OpState.PROCESSING: "cyan", OpState.FAILED_TEMP: "yellow",
    OpState.FAILED: "red", OpState.ROLLING_BACK: "magenta", OpState.ROLLED_BACK: "blue",
}
_ACTION_STYLE = {Action.CREATE: "green", Action.DELETE: "red", Action.REPLACE: "magenta",
                 Action.UPDATE: "yellow", Action.NOOP: "dim"}


def diagnostics(con: Console, diags: Iterable[Diagnostic]) -> None:
    for d in diags:
        style = _SEV_STYLE.get(d.severity, "white")
        where = f"{d.file}:{d.line}: " if d.file and d.line else (f"{d.file}: " if d.file else "")
        con.print(f"{where}[{style}]{d.severity.value}[/] [bold]{d.code}[/]: {d.message}",
                  markup=True)


def plan(con: Console, p: Plan) -> None:
    changes = [c for c in p.changes if c.action is not Action.NOOP]
    summary = ", ".join(f"{n} {a}" for a, n in p.summary().items() if n)
    con.print(f"[bold]Plan for {p.service}[/]: {summary or 'nothing to do'}")
    if changes:
        table = Table(show_header=True, header_style="bold")
        table.add_column("node")
        table.add_column("kind")
        table.add_column("action")
        table.add_column("why")
        for c in changes:
            style = _ACTION_STYLE.get(c.action, "white")
            table.add_row(c.node_id, c.kind.value, f"[{style}]{c.action.value}[/]", c.reason)
        con.print(table)
    for i, wave in enumerate(p.waves()):
        con.print(f"  wave {i + 1} ({len(wave)} in parallel): " + ", ".join(wave[:12])
                  + (f", … +{len(wave) - 12}" if len(wave) > 12 else ""))


class LiveProgress:
    """A progress bar fed by the engine's step events; failures are printed as they happen."""

    def __init__(self, con: Console, title: str) -> None:
        self.con = con
        self.progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TextColumn("{task.fields[last]}"),
                                 TimeElapsedColumn(), console=con, transient=False,
                                 disable=not con.is_terminal)
        self.task = self.progress.add_task(title, total=None, last="")
        self.done = 0
        self.started = 0

    def __enter__(self) -> LiveProgress:
        self.progress.start()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.progress.stop()

    def on_event(self, ev: StepEvent) -> None:
        if ev.state is StepState.STARTED:
            self.started += 1
            self.progress.update(self.task, total=max(self.started, self.done + 1),
                                 last=ev.step.id)
            return
        self.done += 1
        self.progress.update(self.task, completed=self.done, total=max(self.started, self.done))
        if ev.state is StepState.FAILED:
            self.con.print(f"  [red]✗ {ev.step.id}[/]: {ev.error}")
        elif ev.state is StepState.SKIPPED:
            self.con.print(f"  [dim]- {ev.step.id} skipped[/]")
        elif not self.con.is_terminal:
            self.con.print(f"  ✓ {ev.step.id}")


def op_dict(op: OpOccurrence, *, steps: bool = False) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": op.id, "service": op.service, "operation": op.type.value,
        "operationState": op.state.value, "startTime": op.start_time.isoformat(),
        "stateEnteredTime": op.state_entered_time.isoformat(),
        "endTime": op.end_time.isoformat() if op.end_time else None, "error": op.error,
    }
    if steps:
        d["steps"] = [{
            "step": s.step_id, "node": s.node_id, "op": s.op.value, "state": s.state.value,
            "phase": s.phase, "attempt": s.attempt, "resourceKey": s.resource_key,
            "error": s.error,
        } for s in op.steps]
    return d


def op_summary(con: Console, op: OpOccurrence) -> None:
    style = _STATE_STYLE.get(op.state, "white")
    took = ""
    if op.end_time is not None:
        took = f" in {(op.end_time - op.start_time).total_seconds():.1f}s"
    con.print(f"{op.type.value} {op.service}: [{style}]{op.state.value}[/]{took} (op {op.id})")
    if op.error:
        con.print(f"  error: {op.error}")


def ops(con: Console, items: list[OpOccurrence]) -> None:
    table = Table(header_style="bold")
    for col in ("op", "service", "type", "state", "started", "ended"):
        table.add_column(col, no_wrap=True)
    table.add_column("error", overflow="fold")
    for op in items:
        style = _STATE_STYLE.get(op.state, "white")
        table.add_row(op.id[:8], op.service, op.type.value, f"[{style}]{op.state.value}[/]",
                      op.start_time.strftime("%Y-%m-%d %H:%M:%S"),
                      op.end_time.strftime("%H:%M:%S") if op.end_time else "",
                      (op.error or "")[:160])
    con.print(table)


def op_detail(con: Console, op: OpOccurrence, events: list[EventRecord]) -> None:
    op_summary(con, op)
    table = Table(header_style="bold")
    for col in ("phase", "attempt", "step", "state", "error"):
        table.add_column(col)
    for s in op.steps:
        table.add_row(s.phase, str(s.attempt), s.step_id, s.state.value, s.error or "")
    con.print(table)
    for ev in events:
        con.print(f"  {ev.time:%H:%M:%S} {ev.level}: {ev.message}")


def service_dict(lc: Lifecycle, svc: ServiceRecord, *, detail: bool = False) -> dict[str, Any]:
    resources = lc.store.resources(svc.name)
    d: dict[str, Any] = {
        "name": svc.name, "status": svc.status, "vim": svc.vim, "template": svc.template,
        "resources": len(resources), "activeOperation": svc.active_op,
        "scaleLevels": svc.scale_levels, "instantiationLevel": svc.instantiation_level,
    }
    if detail:
        d["inputs"] = svc.inputs
        d["outputs"] = lc.outputs(svc.name)
        d["resourceList"] = [{
            "node": r.node_id, "kind": r.kind.value, "type": r.node_type, "state": r.state.value,
            "healthy": r.healthy, "vim": r.vim, "vimId": r.vim_id, "key": r.key,
            "attributes": dict(r.attributes),
        } for r in resources]
        d["operations"] = [op_dict(o) for o in lc.store.list_ops(svc.name, limit=5)]
    return d


def services(con: Console, lc: Lifecycle, items: list[ServiceRecord]) -> None:
    if not items:
        con.print("no services (deploy one with `netorch deploy TEMPLATE --name NAME`)")
        return
    table = Table(header_style="bold")
    for col in ("service", "status", "vim", "resources", "active operation"):
        table.add_column(col)
    for svc in items:
        table.add_row(svc.name, svc.status, svc.vim, str(len(lc.store.resources(svc.name))),
                      svc.active_op or "")
    con.print(table)


def service_detail(con: Console, lc: Lifecycle, svc: ServiceRecord) -> None:
    con.print(f"[bold]{svc.name}[/]: {svc.status} on VIM {svc.vim} (template {svc.template})")
    if svc.scale_levels:
        con.print("  scale levels: " + ", ".join(f"{a}={lvl}"
                                                  for a, lvl in svc.scale_levels.items()))
    table = Table(header_style="bold")
    for col in ("node", "kind", "state", "healthy", "vim id", "address", "host"):
        table.add_column(col)
    for r in lc.store.resources(svc.name):
        addr = str(r.attributes.get("private_address") or r.attributes.get("ip_address")
                   or r.attributes.get("cidr") or "")
        table.add_row(r.node_id, r.kind.value, r.state.value, "yes" if r.healthy else "[red]no[/]",
                      (r.vim_id or "")[:12], addr, str(r.attributes.get("host") or ""))
    con.print(table)
    for key, value in lc.outputs(svc.name).items():
        con.print(f"  output {key}: {value if value is not None else '(not available)'}")
    recent = lc.store.list_ops(svc.name, limit=5)
    if recent:
        ops(con, recent)


def doctor_dict(report: DoctorReport) -> dict[str, Any]:
    return {
        "healthy": report.healthy,
        "vims": [{
            "vim": v.vim, "inventory": v.inventory, "error": v.error,
            "orphans": [{"key": o.key, "name": o.name, "kind": o.kind.value} for o in v.orphans],
            "missing": [{"service": m.service, "node": m.node_id, "key": m.key}
                        for m in v.missing],
            "inDoubt": [{"service": m.service, "node": m.node_id, "key": m.key,
                         "state": m.state.value} for m in v.in_doubt],
        } for v in report.vims],
    }


def doctor(con: Console, report: DoctorReport) -> None:
    for v in report.vims:
        if v.error:
            con.print(f"[red]VIM {v.vim}: cannot list inventory: {v.error}[/]")
            continue
        con.print(f"VIM {v.vim}: {v.inventory} resources in inventory, "
                  f"{len(v.orphans)} orphan(s), {len(v.missing)} missing, "
                  f"{len(v.in_doubt)} in doubt")
        for o in v.orphans:
            con.print(f"  [red]orphan[/] {o.kind.value} {o.name} (key {o.key})")
        for m in v.missing:
            con.print(f"  [yellow]missing[/] {m.service}/{m.node_id} (key {m.key}) — heal it")
        for m in v.in_doubt:
            con.print(f"  [yellow]in doubt[/] {m.service}/{m.node_id} {m.state.value} — "
                      "resume or roll back its operation")
    con.print("[green]no problems found[/]" if report.healthy else "[red]problems found[/]")


def network_check(con: Console, result: NetworkCheck) -> None:
    """``netorch status NAME --check``: drift between intended and running device config."""
    if not result.configured:
        con.print(f"{result.service}: configures no network device")
        return
    if result.error is not None:
        con.print(f"[red]{result.service}: could not read the devices: {result.error}[/red]")
        return
    devices = ", ".join(result.devices)
    if not result.drift:
        con.print(f"[green]{result.service}: in sync[/green] on {devices}")
        return
    con.print(f"[yellow]{result.service}: {len(result.drift)} difference(s)[/yellow] "
              f"on {devices}")
    table = Table("device", "path", "intended", "running")
    for d in result.drift:
        table.add_row(d.device, d.path, str(d.intended), str(d.running))
    con.print(table)
