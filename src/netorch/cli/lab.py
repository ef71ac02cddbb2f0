"""``netorch lab up | status | down``: simulated network devices on 127.0.0.1 (docs/lab.md).

Exit codes as for every command (see :mod:`netorch.cli.app`): 0 success, 1 the lab could not
start / something is down / a lab already runs there, 2 usage error.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from netorch.lab import launcher
from netorch.lab.inventory import Inventory
from netorch.lab.procs import HelperFailed
from netorch.model.errors import NetorchError
from netorch.services.settings import Settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

lab_app = typer.Typer(help="Simulated network devices on 127.0.0.1: yuma123 netconfd behind "
                           "sshd, net-snmp snmpd, an SSH shell for CLI drivers.",
                      no_args_is_help=True)


def _console(stderr: bool) -> Console:
    probe = Console(stderr=stderr)
    width = None if probe.is_terminal or os.environ.get("COLUMNS") else 160
    return Console(stderr=stderr, highlight=False, soft_wrap=True, width=width)


out = _console(stderr=False)
err = _console(stderr=True)

DirOpt = Annotated[Path | None, typer.Option(
    "--dir", help="The lab directory (default $NETORCH_HOME/lab).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _lab_dir(path: Path | None) -> Path:
    return path if path is not None else Settings().home.expanduser() / "lab"


def yang_dir() -> Path | None:
    """netorch's YANG modules: ``netorch.drivers.netconf.yang_path()`` when that driver is
    installed, else what the lab finds by itself (package ``yang/`` or the repository's)."""
    try:
        module = importlib.import_module("netorch.drivers.netconf")
        found = getattr(module, "yang_path", None)
        if callable(found):
            path = Path(found())
            if path.is_dir():
                return path
    except (ImportError, FileNotFoundError):
        pass
    return launcher.default_yang_dir()


@lab_app.command("up")
def up_cmd(
    devices: Annotated[int, typer.Option("--devices", "-n", min=0,
                                         help="NETCONF devices pe1..peN.")] = 2,
    lab_dir: DirOpt = None,
    base_port: Annotated[int | None, typer.Option(
        "--base-port", min=0, max=65000,
        help="First port: NETCONF P.., CLI after them, SNMP udp on each device's NETCONF port "
             "number; 0 = any free block. Default: NETCONF 8830.., SNMP 1161.., CLI 2222..")]
    = None,
    running_only: Annotated[int, typer.Option(
        "--running-only", min=0,
        help="The last K NETCONF devices use --target=running (no :candidate).")] = 0,
    cli_devices: Annotated[int, typer.Option("--cli-devices", min=0,
                                             help="SSH shell devices sw1..swM.")] = 1,
    no_snmp: Annotated[bool, typer.Option("--no-snmp", help="No snmpd per device.")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for every "
                                           "service to answer.")] = 30.0,
    as_json: JsonOpt = False,
) -> None:
    """Start the lab; write inventory.yaml, secrets.yaml, known_hosts, inputs.yaml."""
    if running_only > devices:
        err.print(f"[bold red]error:[/] --running-only {running_only} > --devices {devices}")
        raise typer.Exit(EXIT_USAGE)
    where = _lab_dir(lab_dir)
    try:
        inventory = launcher.up(where, devices, base_port=base_port, running_only=running_only,
                                cli_devices=cli_devices, snmp=not no_snmp,
                                yang_dir=yang_dir(), timeout=timeout)
    except (NetorchError, HelperFailed, OSError) as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(EXIT_FAILED) from None
    if as_json:
        sys.stdout.write(json.dumps(inventory.to_dict(), indent=2) + "\n")
    else:
        _print_inventory(inventory)
    for s in inventory.skipped:
        err.print(f"[yellow]not started:[/] {s}")


def _print_inventory(inv: Inventory) -> None:
    table = Table(title=f"lab in {inv.lab_dir}")
    for col in ("device", "driver", "platform", "port", "snmp (udp)", "target", "netns",
                "pids"):
        table.add_column(col)
    for d in inv.devices:
        e = d.endpoint
        table.add_row(e.name, e.driver.value, e.platform, f"{e.host}:{e.port}",
                      "" if e.snmp is None else str(e.snmp.port), d.target or "",
                      d.netns or "", " ".join(str(p) for p in d.pids))
    out.print(table)
    out.print(f"inventory {inv.lab_dir / 'inventory.yaml'}\nsecrets   {inv.secrets_file} "
              f"(0600)\nknown_hosts {inv.known_hosts}\ninputs    {inv.inputs_file}")


@lab_app.command("status")
def status_cmd(lab_dir: DirOpt = None, as_json: JsonOpt = False) -> None:
    """Show every lab process (alive or not) and namespace. Exit 1 when anything is down."""
    st = launcher.status(_lab_dir(lab_dir))
    if as_json:
        sys.stdout.write(json.dumps(st.to_dict(), indent=2) + "\n")
    elif not st.running:
        err.print(f"no lab running in {st.lab_dir}")
    else:
        table = Table(title=f"lab in {st.lab_dir}")
        for col in ("device", "service", "pid", "port", "state"):
            table.add_column(col)
        for s in sorted(st.services, key=lambda x: (x.device, x.service)):
            port = "unix socket" if s.port is None else f"{s.protocol}/{s.port}"
            table.add_row(s.device, s.service, str(s.pid), port,
                          "[green]up[/]" if s.alive else "[red]DOWN[/]")
        for ns, present in st.namespaces:
            table.add_row("", "netns", "", ns, "[green]present[/]" if present
                          else "[red]MISSING[/]")
        out.print(table)
    raise typer.Exit(EXIT_OK if st.healthy else EXIT_FAILED)


@lab_app.command("down")
def down_cmd(lab_dir: DirOpt = None) -> None:
    """Stop exactly what `lab up` started (by PID) and delete its namespaces. Idempotent."""
    where = _lab_dir(lab_dir)
    stopped = launcher.down(where)
    out.print(f"lab in {where.expanduser().resolve()}: stopped {len(stopped)} processes"
              if stopped else f"no lab process running in {where}")


@lab_app.command("link")
def link_cmd(
    device: Annotated[str, typer.Argument(help="A NETCONF device, e.g. pe1.")],
    interface: Annotated[str, typer.Argument(help="eth0 or eth1.")],
    state: Annotated[str, typer.Argument(metavar="up|down")],
    lab_dir: DirOpt = None,
) -> None:
    """Take a device port down (or up) for real: NETCONF oper-status and SNMP ifOperStatus
    follow."""
    if state not in ("up", "down"):
        err.print(f"[bold red]error:[/] state must be up or down, not {state!r}")
        raise typer.Exit(EXIT_USAGE)
    try:
        launcher.set_link(_lab_dir(lab_dir), device, interface, state == "up")
    except FileNotFoundError:
        err.print(f"[bold red]error:[/] no lab in {_lab_dir(lab_dir)}")
        raise typer.Exit(EXIT_USAGE) from None
    except NetorchError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(EXIT_FAILED) from None
    out.print(f"{device} {interface} {state}")


@lab_app.command("restart")
def restart_cmd(
    device: Annotated[str, typer.Argument(help="A device, e.g. pe1.")],
    force: Annotated[bool, typer.Option("--force", help="Restart its running processes "
                                        "too.")] = False,
    lab_dir: DirOpt = None,
) -> None:
    """Start a device's stopped processes again (netconfd reloads its last committed
    configuration)."""
    try:
        inventory = launcher.restart(_lab_dir(lab_dir), device, force=force)
    except FileNotFoundError:
        err.print(f"[bold red]error:[/] no lab in {_lab_dir(lab_dir)}")
        raise typer.Exit(EXIT_USAGE) from None
    except (NetorchError, HelperFailed) as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(EXIT_FAILED) from None
    pids = inventory.device(device).processes
    out.print(f"{device}: " + ", ".join(f"{svc} pid {pid}" for svc, pid in pids.items()))
