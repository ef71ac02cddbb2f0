"""``netorch onboard PATH`` and ``netorch packages [show|delete]``: onboarded packages.

Exit codes as for every command (see :mod:`netorch.cli.app`): 0 success (stored, or already
there), 1 invalid input or a refused request, 2 usage error (a missing file, an unknown id).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from netorch.model.records import TemplateRecord
from netorch.model.serialize import model_from_dict
from netorch.services.onboarding import (
    SHORT_ID,
    OnboardResult,
    OnboardStatus,
    delete_package,
    describe,
    get_package,
    list_packages,
    onboard,
    package_dict,
    package_usage,
)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
DbOpt = Annotated[str | None, typer.Option(
    "--db", help="Store: a SQLite path or a SQLAlchemy URL (default $NETORCH_DB or "
                 "~/.netorch/netorch.db).")]
IdArg = Annotated[str, typer.Argument(help="Package id: its content hash or a unique prefix "
                                           "(as `netorch packages` shows).")]

packages_app = typer.Typer(
    help="Onboarded packages and templates: list (default), show, delete.",
    invoke_without_command=True,
)


def onboard_cmd(
    path: Annotated[Path, typer.Argument(help="A YAML template, a CSAR zip or a CSAR directory.")],
    inputs: Annotated[list[str] | None, typer.Option(
        "--input", "-i", help="An input value, k=v (v parsed as YAML). Repeatable.")] = None,
    as_json: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """Validate a template or package and store it, content included (idempotent).
    Exit 0 stored or already there, 1 invalid (nothing stored), 2 usage error."""
    from netorch.cli.app import _context, _errors, _inputs, err, out

    if not path.exists():
        if as_json:
            sys.stdout.write(json.dumps({"status": "invalid", "valid": False, "package": None,
                                         "diagnostics": [{
                                             "severity": "error", "code": "usage.not_found",
                                             "message": f"{path} does not exist",
                                             "file": str(path), "line": None}]}, indent=2)
                             + "\n")
        else:
            err.print(f"[bold red]error:[/] {path} does not exist")
        raise typer.Exit(EXIT_USAGE)
    values = _inputs(inputs, None)
    ctx = _context(db)
    try:
        with _errors():
            result = onboard(ctx, path, inputs=values)
            used = package_usage(ctx).get(result.record.content_hash, []) if result.record else []
    finally:
        ctx.close()
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(used), indent=2) + "\n")
    else:
        _render_onboarded(out, path, result)
    raise typer.Exit(EXIT_FAILED if result.status is OnboardStatus.INVALID else EXIT_OK)


def _render_onboarded(con: Console, path: Path, result: OnboardResult) -> None:
    from netorch.cli import render

    render.diagnostics(con, result.diagnostics)
    rec = result.record
    if rec is None:
        con.print(f"[red]invalid[/]: {path} (nothing stored)")
    elif result.status is OnboardStatus.ONBOARDED:
        con.print(f"[green]onboarded[/] {rec.kind} {describe(rec)}")
    else:
        con.print(f"[cyan]already onboarded[/]: {rec.kind} {describe(rec)}")


@packages_app.callback()
def packages_cmd(typer_ctx: typer.Context, as_json: JsonOpt = False, db: DbOpt = None) -> None:
    """List onboarded packages and templates, oldest first."""
    if typer_ctx.invoked_subcommand is not None:
        return
    from netorch.cli.app import _context, _errors, out

    ctx = _context(db)
    try:
        with _errors():
            items = list_packages(ctx)
            usage = package_usage(ctx)
    finally:
        ctx.close()
    if as_json:
        sys.stdout.write(json.dumps([package_dict(r, usage.get(r.content_hash, []))
                                     for r in items], indent=2) + "\n")
        return
    if not items:
        out.print("no packages (onboard one with `netorch onboard PATH`)")
        return
    table = Table(header_style="bold")
    for col in ("id", "kind", "name", "version", "provider / descriptor id", "onboarded",
                "used by"):
        table.add_column(col, no_wrap=col in ("id", "onboarded"))
    for rec in items:
        who = " / ".join(x for x in (rec.provider, rec.descriptor_id) if x)
        table.add_row(rec.content_hash[:SHORT_ID], rec.kind, rec.name, rec.version or "",
                      who, f"{rec.created_at:%Y-%m-%d %H:%M:%S}",
                      f"{len(usage.get(rec.content_hash, []))} service(s)")
    out.print(table)


@packages_app.command("show")
def show_cmd(package_id: IdArg, as_json: JsonOpt = False, db: DbOpt = None) -> None:
    """Show one package: identity, content, model summary and the services using it."""
    from netorch.cli.app import _context, _errors, out

    ctx = _context(db)
    try:
        with _errors():
            rec = get_package(ctx, package_id)
            used = package_usage(ctx).get(rec.content_hash, [])
    finally:
        ctx.close()
    if as_json:
        sys.stdout.write(json.dumps({**package_dict(rec, used), **_model_summary(rec)},
                                    indent=2) + "\n")
        return
    out.print(f"[bold]{rec.name}[/] {rec.version or ''}: {rec.kind} ({rec.tosca_version})")
    rows = [("id", rec.content_hash), ("provider", rec.provider or ""),
            ("descriptor id", rec.descriptor_id or ""), ("flavours", ", ".join(rec.flavours)),
            ("source", rec.source), ("onboarded", f"{rec.created_at:%Y-%m-%d %H:%M:%S %Z}"),
            ("content", f"{rec.content_format} {rec.content_name} ({rec.content_size} bytes)")]
    summary = _model_summary(rec)
    rows += [(key, ", ".join(summary[key]) or "-") for key in
             ("nodes", "inputs", "aspects", "instantiationLevels")]
    rows.append(("used by", ", ".join(used) or "no service"))
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for key, value in rows:
        table.add_row(key, value)
    out.print(table)


def _model_summary(rec: TemplateRecord) -> dict[str, Any]:
    model = model_from_dict(rec.model)
    return {
        "nodes": [f"{n.name} ({n.type})" for n in model.nodes.values()],
        "inputs": sorted(model.inputs),
        "aspects": sorted(model.aspects),
        "instantiationLevels": sorted(model.instantiation_levels),
    }


@packages_app.command("delete")
def delete_cmd(package_id: IdArg, db: DbOpt = None) -> None:
    """Delete an onboarded package and its content; refused while a service uses it."""
    from netorch.cli.app import _context, _errors, out

    ctx = _context(db)
    try:
        with _errors():
            rec = delete_package(ctx, package_id)
    finally:
        ctx.close()
    out.print(f"deleted {rec.kind} {describe(rec)}")
