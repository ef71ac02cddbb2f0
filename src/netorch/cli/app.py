"""The ``netorch`` command line (typer + rich).

Exit codes scripts can rely on: 0 success, 1 invalid input or a failed operation, 2 usage error
(bad arguments, a missing file, an unknown service or operation).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from netorch.cli import lab, packages, render, serve
from netorch.model.errors import (
    ConflictError,
    NetorchError,
    NotFoundError,
    PermanentError,
    StalePlanError,
    ValidationFailed,
)
from netorch.model.operations import OpOccurrence, OpState
from netorch.services.context import Context
from netorch.services.doctor import doctor
from netorch.services.lifecycle import Lifecycle
from netorch.services.network_check import check_network
from netorch.services.onboarding import resolve_source
from netorch.services.validation import parse_inputs, validate

app = typer.Typer(
    name="netorch",
    help="TOSCA-driven network-service orchestrator: validate, plan, deploy, scale, heal, "
         "terminate.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
vim_app = typer.Typer(help="VIM utilities (fault injection on simulated VIMs).",
                      no_args_is_help=True)
app.add_typer(vim_app, name="vim")
app.add_typer(packages.packages_app, name="packages")
app.add_typer(lab.lab_app, name="lab")
app.add_typer(serve.api_client_app, name="api-client")
app.command("serve")(serve.serve_cmd)
app.command("audit")(serve.audit_cmd)

def _console(stderr: bool) -> Console:
    """A console; when output is not a terminal (pipes, CI logs) tables get 160 columns."""
    probe = Console(stderr=stderr)
    width = None if probe.is_terminal or os.environ.get("COLUMNS") else 160
    return Console(stderr=stderr, highlight=False, soft_wrap=True, width=width)


out = _console(stderr=False)
err = _console(stderr=True)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

InputsOpt = Annotated[list[str] | None, typer.Option(
    "--input", "-i", help="An input value, k=v (v parsed as YAML). Repeatable.")]
InputsFileOpt = Annotated[Path | None, typer.Option(
    "--inputs", help="A YAML/JSON file of input values.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
DbOpt = Annotated[str | None, typer.Option(
    "--db", help="Store: a SQLite path or a SQLAlchemy URL (default $NETORCH_DB or "
                 "~/.netorch/netorch.db).")]
PackageArg = Annotated[str, typer.Argument(
    metavar="PKG", help="Template or CSAR (file or directory), or an onboarded package id.")]


def _die(message: str, code: int) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


@contextmanager
def _errors() -> Iterator[None]:
    """Map domain errors to messages and exit codes; never show a traceback for them."""
    try:
        yield
    except ValidationFailed as exc:
        err.print(f"[bold red]error:[/] {exc}")
        for d in exc.diagnostics:
            err.print(f"  {d}")
        raise typer.Exit(EXIT_FAILED) from None
    except StalePlanError as exc:
        _die(str(exc), EXIT_FAILED)
    except NotFoundError as exc:
        _die(str(exc), EXIT_USAGE)
    except (ConflictError, PermanentError, NetorchError) as exc:
        _die(str(exc), EXIT_FAILED)


def _context(db: str | None) -> Context:
    ctx = Context()
    if db is not None:
        ctx.settings.db = db
    return ctx


def _lifecycle(db: str | None) -> Lifecycle:
    lc = Lifecycle(_context(db))
    for found in lc.recover_interrupted():
        err.print(f"[yellow]warning:[/] operation {found.op.id} ({found.op.type.value} of "
                  f"{found.op.service}) was interrupted.\n  {found.reason}")
    return lc


def _inputs(pairs: list[str] | None, file: Path | None) -> dict[str, Any]:
    try:
        return parse_inputs(pairs or [], file)
    except ValueError as exc:
        _die(str(exc), EXIT_USAGE)


def _op_exit(op: OpOccurrence) -> None:
    render.op_summary(out, op)
    if op.state is OpState.FAILED_TEMP:
        err.print(f"[yellow]next:[/] `netorch resume {op.id}` (retry), "
                  f"`netorch rollback {op.id}` or `netorch fail {op.id}`")
        raise typer.Exit(EXIT_FAILED)
    if op.state is not OpState.COMPLETED and op.state is not OpState.ROLLED_BACK:
        raise typer.Exit(EXIT_FAILED)


@app.callback()
def _main(
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True,
                                         help="More logging (-v info, -vv debug).")] = 0,
) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)


@app.command("validate")
def validate_cmd(
    path: Annotated[Path, typer.Argument(help="A YAML template, a CSAR zip or a CSAR directory.")],
    inputs: InputsOpt = None,
    inputs_file: InputsFileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate a TOSCA service template or CSAR. Exit 0 valid, 1 invalid, 2 usage error."""
    if not path.exists():
        if as_json:
            out.print_json(data={"valid": False, "diagnostics": [{
                "severity": "error", "code": "usage.not_found",
                "message": f"{path} does not exist", "file": str(path), "line": None}]})
        else:
            err.print(f"[bold red]error:[/] {path} does not exist")
        raise typer.Exit(EXIT_USAGE)
    result = validate(path, _inputs(inputs, inputs_file))
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2) + "\n")
    else:
        render.diagnostics(out, result.diagnostics)
        if result.valid:
            out.print(f"[green]valid[/]: {path} ({result.summary})")
        else:
            out.print(f"[red]invalid[/]: {path}")
    raise typer.Exit(EXIT_OK if result.valid else EXIT_FAILED)


app.command("onboard")(packages.onboard_cmd)


@app.command("plan")
def plan_cmd(
    package: PackageArg,
    inputs: InputsOpt = None,
    inputs_file: InputsFileOpt = None,
    name: Annotated[str | None, typer.Option("--name", help="Plan against this service's "
                                              "current state (default: from nothing).")] = None,
    level: Annotated[str | None, typer.Option("--level", help="Instantiation level.")] = None,
    save: Annotated[Path | None, typer.Option("--out", help="Save the plan; `deploy --plan` "
                                               "applies it, refusing if the state moved.")] = None,
    as_json: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """Show what deploying PKG would do, in order, and which steps run in parallel."""
    lc = _lifecycle(db)
    with _errors():
        path = resolve_source(lc.ctx, package)
        p = lc.preview(path, _inputs(inputs, inputs_file), name=name, instantiation_level=level)
    if save is not None:
        save.write_text(p.to_json())
    if as_json:
        sys.stdout.write(p.to_json() + "\n")
    else:
        render.plan(out, p)
        if save is not None:
            out.print(f"saved to {save}")


def _deploy_progress(title: str) -> render.LiveProgress:
    return render.LiveProgress(out, title)


@app.command("deploy")
def deploy_cmd(
    package: PackageArg,
    name: Annotated[str, typer.Option("--name", "-n", help="The service instance's name.")],
    vim: Annotated[str | None, typer.Option("--vim", help="VIM name from the VIM config.")]
    = None,
    inputs: InputsOpt = None,
    inputs_file: InputsFileOpt = None,
    level: Annotated[str | None, typer.Option("--level", help="Instantiation level.")] = None,
    saved_plan: Annotated[Path | None, typer.Option("--plan", help="Apply this saved plan "
                                                     "(from `plan --out`).")] = None,
    db: DbOpt = None,
) -> None:
    """Instantiate a network service from a template or an onboarded package (SOL005
    InstantiateNs)."""
    lc = _lifecycle(db)
    from netorch.planner import Plan

    with _errors():
        path = resolve_source(lc.ctx, package)
        the_plan = Plan.from_json(saved_plan.read_text()) if saved_plan else None
        with _deploy_progress(f"deploy {name}") as progress:
            op = lc.instantiate(path, name, inputs=_inputs(inputs, inputs_file), vim=vim,
                                instantiation_level=level, saved_plan=the_plan,
                                on_event=progress.on_event)
    _op_exit(op)


@app.command("status")
def status_cmd(
    name: Annotated[str | None, typer.Argument(help="A service (default: all).")] = None,
    check: Annotated[bool, typer.Option("--check", help="Compare each device's running "
                                        "configuration with the intended one (drift); "
                                        "exit code 1 when they differ.")] = False,
    as_json: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """Show services, or one service with its resources and last operations."""
    lc = _lifecycle(db)
    with _errors():
        if check:
            if name is None:
                raise typer.BadParameter("--check needs a service name")
            lc.service(name)  # NotFoundError for an unknown service
            result = check_network(lc.ctx, name)
            if as_json:
                sys.stdout.write(json.dumps(result.to_dict(), indent=2, default=str) + "\n")
            else:
                render.network_check(out, result)
            if not result.in_sync:
                raise typer.Exit(1)
            return
        if name is None:
            services = lc.store.list_services()
            if as_json:
                sys.stdout.write(json.dumps([render.service_dict(lc, s) for s in services],
                                            indent=2, default=str) + "\n")
            else:
                render.services(out, lc, services)
            return
        svc = lc.service(name)
        if as_json:
            sys.stdout.write(json.dumps(render.service_dict(lc, svc, detail=True), indent=2,
                                        default=str) + "\n")
        else:
            render.service_detail(out, lc, svc)


@app.command("scale")
def scale_cmd(
    name: Annotated[str, typer.Argument(help="The service.")],
    aspect: Annotated[str, typer.Option("--aspect", "-a", help="Scaling aspect (or TOSCA "
                                         "scaling policy name).")],
    steps: Annotated[int, typer.Option("--steps", "-s", help="Number of scaling steps.")] = 1,
    scale_in: Annotated[bool, typer.Option("--in", help="Scale in instead of out.")] = False,
    db: DbOpt = None,
) -> None:
    """Scale a service out (or in, with --in) by aspect (SOL005 ScaleNs SCALE_NS)."""
    lc = _lifecycle(db)
    with _errors(), _deploy_progress(f"scale {name}") as progress:
        op = lc.scale(name, aspect, steps, scale_in=scale_in, on_event=progress.on_event)
    _op_exit(op)


@app.command("heal")
def heal_cmd(
    name: Annotated[str, typer.Argument(help="The service.")],
    node: Annotated[str | None, typer.Option("--node", help="Node id (vdu1[0]) or template "
                                              "name to replace; default: whatever the VIM "
                                              "reports unhealthy.")] = None,
    db: DbOpt = None,
) -> None:
    """Replace a named or unhealthy node and re-create what is bound to it (SOL005 HealNs)."""
    lc = _lifecycle(db)
    with _errors(), _deploy_progress(f"heal {name}") as progress:
        op = lc.heal(name, node, on_event=progress.on_event)
    _op_exit(op)


@app.command("update")
def update_cmd(
    name: Annotated[str, typer.Argument(help="The service.")],
    inputs: InputsOpt = None,
    inputs_file: InputsFileOpt = None,
    template: Annotated[Path | None, typer.Option("--template", help="A new version of the "
                                                   "template.")] = None,
    db: DbOpt = None,
) -> None:
    """Change a service's inputs (or template) and converge (SOL005 UpdateNs)."""
    lc = _lifecycle(db)
    with _errors(), _deploy_progress(f"update {name}") as progress:
        op = lc.update(name, _inputs(inputs, inputs_file), template=template,
                       on_event=progress.on_event)
    _op_exit(op)


@app.command("terminate")
def terminate_cmd(
    name: Annotated[str, typer.Argument(help="The service.")],
    db: DbOpt = None,
) -> None:
    """Delete every resource of a service (SOL005 TerminateNs); the record stays."""
    lc = _lifecycle(db)
    with _errors(), _deploy_progress(f"terminate {name}") as progress:
        op = lc.terminate(name, on_event=progress.on_event)
    _op_exit(op)


@app.command("delete")
def delete_cmd(name: Annotated[str, typer.Argument()], db: DbOpt = None) -> None:
    """Forget a terminated service (SOL005 DELETE ns_instances/{id})."""
    lc = _lifecycle(db)
    with _errors():
        lc.delete(name)
    out.print(f"deleted {name}")


@app.command("ops")
def ops_cmd(
    name: Annotated[str | None, typer.Argument(help="A service (default: all).")] = None,
    op_id: Annotated[str | None, typer.Option("--op", help="Show one operation's steps.")]
    = None,
    as_json: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """List operation occurrences (newest first), or one with its steps."""
    lc = _lifecycle(db)
    with _errors():
        if op_id is not None:
            op = lc.op(op_id)
            if as_json:
                sys.stdout.write(json.dumps(render.op_dict(op, steps=True), indent=2) + "\n")
            else:
                render.op_detail(out, op, lc.store.events(op_id=op.id))
            return
        ops = lc.store.list_ops(name)
        if as_json:
            sys.stdout.write(json.dumps([render.op_dict(o) for o in ops], indent=2) + "\n")
        else:
            render.ops(out, ops)


@app.command("resume")
def resume_cmd(op_id: Annotated[str, typer.Argument(help="Operation id (a unique prefix "
                                                     "will do).")], db: DbOpt = None) -> None:
    """Retry a FAILED_TEMP (or interrupted) operation: re-run what failed or did not run."""
    lc = _lifecycle(db)
    with _errors(), _deploy_progress(f"resume {op_id}") as progress:
        op = lc.resume(op_id, on_event=progress.on_event)
    _op_exit(op)


@app.command("rollback")
def rollback_cmd(op_id: Annotated[str, typer.Argument()], db: DbOpt = None) -> None:
    """Undo what a FAILED_TEMP (or interrupted) operation did, in reverse order."""
    lc = _lifecycle(db)
    with _errors(), _deploy_progress(f"rollback {op_id}") as progress:
        op = lc.rollback(op_id, on_event=progress.on_event)
    _op_exit(op)


@app.command("fail")
def fail_cmd(op_id: Annotated[str, typer.Argument()], db: DbOpt = None) -> None:
    """Mark a FAILED_TEMP operation FAILED (final); what exists stays recorded."""
    lc = _lifecycle(db)
    with _errors():
        op = lc.fail(op_id)
    render.op_summary(out, op)


@app.command("doctor")
def doctor_cmd(as_json: JsonOpt = False, db: DbOpt = None) -> None:
    """Compare every VIM's inventory with the store: orphans, missing and in-doubt resources.
    Exit 1 when anything is wrong."""
    lc = _lifecycle(db)
    with _errors():
        report = doctor(lc.ctx)
    if as_json:
        sys.stdout.write(json.dumps(render.doctor_dict(report), indent=2) + "\n")
    else:
        render.doctor(out, report)
    raise typer.Exit(EXIT_OK if report.healthy else EXIT_FAILED)


@vim_app.command("kill")
def vim_kill_cmd(
    name: Annotated[str, typer.Argument(help="The service.")],
    node: Annotated[str, typer.Argument(help="The node id, e.g. web[0].")],
    db: DbOpt = None,
) -> None:
    """Make a resource fail in a simulated VIM (to try heal)."""
    lc = _lifecycle(db)
    from netorch.services.faults import kill_resource

    with _errors():
        kill_resource(lc, name, node)
    out.print(f"{name}/{node} now reports ERROR in its VIM")


@app.command("demo")
def demo_cmd(
    home: Annotated[Path | None, typer.Option("--home", help="Keep the demo's store and sim "
                                               "inventory here (default: a temp dir).")] = None,
    latency_ms: Annotated[int, typer.Option("--latency-ms", help="Simulated VIM latency.")]
    = 40,
) -> None:
    """Deploy, scale, heal and terminate an example service on the simulated VIM, narrated."""
    from netorch.cli.demo import run_demo

    code = run_demo(out, home=home, latency_ms=latency_ms)
    raise typer.Exit(code)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
