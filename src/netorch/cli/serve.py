"""``netorch serve`` (the SOL005 API under uvicorn), ``netorch api-client add|list|remove`` (the
OAuth 2.0 clients that may call it) and ``netorch audit`` (its audit log).

Exit codes as for every command (see :mod:`netorch.cli.app`): 0 success, 1 a refused request
(a name already taken, an invalid role), 2 usage error (an unknown client, a bad option).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from netorch.model.errors import ConflictError, NotFoundError, ValidationFailed
from netorch.services.api_access import ApiClients, AuditLog
from netorch.services.context import Context

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

api_client_app = typer.Typer(help="OAuth 2.0 clients of the API (client credentials grant).",
                             no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
DbOpt = Annotated[str | None, typer.Option(
    "--db", help="Store: a SQLite path or a SQLAlchemy URL (default $NETORCH_DB or "
                 "~/.netorch/netorch.db).")]


def _context(db: str | None) -> Context:
    ctx = Context()
    if db is not None:
        ctx.settings.db = db
    return ctx


def serve_cmd(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8080,
    tls_cert: Annotated[Path | None, typer.Option(
        "--tls-cert", help="PEM certificate chain; serve HTTPS (default "
                           "$NETORCH_API_TLS_CERT).")] = None,
    tls_key: Annotated[Path | None, typer.Option(
        "--tls-key", help="PEM private key of --tls-cert (default $NETORCH_API_TLS_KEY).")]
    = None,
    db: DbOpt = None,
) -> None:
    """Serve the SOL005 v2.6.1 API (nsd/v1, vnfpkgm/v1, nslcm/v1) with uvicorn."""
    import uvicorn

    from netorch.api.app import create_app

    ctx = _context(db)
    settings = ctx.settings
    cert = tls_cert or settings.api_tls_cert
    key = tls_key or settings.api_tls_key
    if (cert is None) != (key is None):
        err.print("[bold red]error:[/] TLS needs both a certificate and its key "
                  "(--tls-cert and --tls-key)")
        raise typer.Exit(EXIT_USAGE)
    for path in (cert, key):
        if path is not None and not path.is_file():
            err.print(f"[bold red]error:[/] no such file: {path}")
            raise typer.Exit(EXIT_USAGE)
    if cert is None and host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("serving plain HTTP on %s: bearer tokens cross the network unencrypted; "
                    "use --tls-cert/--tls-key (SOL013 §8 requires TLS)", host)
    app = create_app(settings)
    uvicorn.run(app, host=host, port=port, ssl_certfile=str(cert) if cert else None,
                ssl_keyfile=str(key) if key else None, log_level="info",
                proxy_headers=False, server_header=False)


@api_client_app.command("add")
def add_cmd(
    name: Annotated[str, typer.Argument(help="A name for the client (unique).")],
    role: Annotated[str, typer.Option("--role", help="reader, operator or admin.")],
    as_json: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """Register a client; print its id and secret (shown this once, stored only hashed)."""
    ctx = _context(db)
    try:
        client, secret = ApiClients(ctx.store).add(name, role)
    except (ConflictError, ValidationFailed) as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(EXIT_FAILED) from None
    finally:
        ctx.close()
    if as_json:
        typer.echo(json.dumps({"name": client.name, "role": client.role.value,
                               "client_id": client.client_id, "client_secret": secret}))
        return
    out.print(f"client {client.name} ({client.role.value})")
    out.print(f"  client_id:     {client.client_id}")
    out.print(f"  client_secret: {secret}")
    out.print("Keep the secret now: it is stored only as a hash and cannot be shown again.")


@api_client_app.command("list")
def list_cmd(as_json: JsonOpt = False, db: DbOpt = None) -> None:
    """The registered clients (never their secrets)."""
    ctx = _context(db)
    try:
        clients = ApiClients(ctx.store).list()
    finally:
        ctx.close()
    if as_json:
        typer.echo(json.dumps([{"name": c.name, "role": c.role.value, "client_id": c.client_id,
                                "created_at": c.created_at.isoformat()} for c in clients]))
        return
    table = Table("NAME", "ROLE", "CLIENT ID", "CREATED")
    for c in clients:
        table.add_row(c.name, c.role.value, c.client_id, c.created_at.isoformat(timespec="seconds"))
    out.print(table)


@api_client_app.command("remove")
def remove_cmd(
    name: Annotated[str, typer.Argument(help="The client's name or id.")],
    db: DbOpt = None,
) -> None:
    """Remove a client; its tokens stop working at once."""
    ctx = _context(db)
    try:
        client = ApiClients(ctx.store).remove(name)
    except NotFoundError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    finally:
        ctx.close()
    out.print(f"removed client {client.name} ({client.client_id})")


def audit_cmd(
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many entries (newest).")]
    = 50,
    principal: Annotated[str | None, typer.Option(
        "--client", help="Only this client id's requests.")] = None,
    since: Annotated[datetime | None, typer.Option(
        "--since", help="Only entries at or after this time (ISO 8601).")] = None,
    as_json: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """The API audit log: every mutating request, who made it, when, and its result."""
    ctx = _context(db)
    try:
        entries = AuditLog(ctx.store).entries(limit=limit, since=since, principal=principal)
    finally:
        ctx.close()
    if as_json:
        typer.echo(json.dumps([{"time": e.time.isoformat(), "client_id": e.principal,
                                "method": e.method, "path": e.path, "status": e.status,
                                "remote": e.remote} for e in entries]))
        return
    table = Table("TIME", "CLIENT", "METHOD", "PATH", "STATUS", "FROM")
    for e in entries:
        table.add_row(e.time.isoformat(timespec="seconds"), e.principal, e.method, e.path,
                      str(e.status), e.remote or "")
    out.print(table)
