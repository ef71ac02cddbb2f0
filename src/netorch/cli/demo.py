"""``netorch demo``: the whole lifecycle of an example service on the simulated VIM, narrated.

It runs in its own home (a temporary directory unless ``--home``), so it never touches the
operator's store or VIM config.
"""

from __future__ import annotations

import tempfile
import time
from importlib import resources
from pathlib import Path

import yaml
from rich.console import Console

from netorch.cli import render
from netorch.model.errors import NetorchError
from netorch.model.operations import OpOccurrence, OpState
from netorch.services.context import Context
from netorch.services.doctor import doctor
from netorch.services.faults import kill_resource
from netorch.services.lifecycle import Lifecycle
from netorch.services.settings import Settings
from netorch.services.validation import validate

SERVICE = "demo-chain"


def _step(con: Console, n: int, title: str, why: str) -> None:
    con.rule(f"[bold]{n}. {title}")
    con.print(f"[dim]{why}[/]")


def _expect(con: Console, op: OpOccurrence, state: OpState = OpState.COMPLETED) -> bool:
    render.op_summary(con, op)
    return op.state is state


def run_demo(con: Console, *, home: Path | None, latency_ms: int = 40) -> int:
    with tempfile.TemporaryDirectory(prefix="netorch-demo-") as tmp:
        base = home or Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        vims = base / "vims.yaml"
        vims.write_text(yaml.safe_dump({
            "default": "demo-sim",
            "vims": {"demo-sim": {"driver": "sim", "inventory": "demo-sim.db",
                                  "latency_ms": latency_ms, "jitter_ms": latency_ms // 4}},
        }))
        ctx = Context(Settings(home=base, vim_config=vims, db=str(base / "netorch.db"),
                               parallelism=8))
        try:
            return _run(con, ctx)
        except NetorchError as exc:
            con.print(f"[red]demo failed: {exc}[/]")
            return 1
        finally:
            ctx.close()


def _run(con: Console, ctx: Context) -> int:
    lc = Lifecycle(ctx)
    t0 = time.monotonic()
    ok = True
    with resources.as_file(resources.files("netorch.examples") / "demo-chain.yaml") as tpl:
        _step(con, 1, "Validate", f"Load {tpl.name}: TOSCA 1.3, through tosca-parser, into "
              "netorch's service model; every problem would be a diagnostic with a line.")
        result = validate(tpl)
        render.diagnostics(con, result.diagnostics)
        con.print(f"valid: {result.valid} ({result.summary})")
        if not result.valid:
            return 1

        _step(con, 2, "Plan", "A pure diff of the desired topology against what exists "
              "(nothing yet). Steps in one wave run in parallel.")
        render.plan(con, lc.preview(tpl, name=SERVICE))

        _step(con, 3, "Deploy", "Each step is journaled before and after its VIM call, so a "
              "crash can be resumed or rolled back.")
        with render.LiveProgress(con, f"deploy {SERVICE}") as progress:
            op = lc.instantiate(tpl, SERVICE, on_event=progress.on_event)
        ok &= _expect(con, op)
        render.service_detail(con, lc, lc.service(SERVICE))

    _step(con, 4, "Scale out", "Aspect web_tier +1: only the new web server and its port "
          "are created.")
    with render.LiveProgress(con, f"scale {SERVICE}") as progress:
        op = lc.scale(SERVICE, "web_tier", 1, on_event=progress.on_event)
    ok &= _expect(con, op)

    _step(con, 5, "Heal", "The simulated VIM now reports web[0] in ERROR. Heal asks the VIM "
          "what is unhealthy, replaces it and re-creates its port.")
    kill_resource(lc, SERVICE, "web[0]")
    with render.LiveProgress(con, f"heal {SERVICE}") as progress:
        op = lc.heal(SERVICE, on_event=progress.on_event)
    ok &= _expect(con, op)
    healed = [s for s in lc.op(op.id).steps if s.node_id.startswith("web")]
    con.print("replaced: " + ", ".join(sorted({s.step_id for s in healed})))

    _step(con, 6, "Terminate", "Desire nothing; deletion runs in reverse dependency order.")
    with render.LiveProgress(con, f"terminate {SERVICE}") as progress:
        op = lc.terminate(SERVICE, on_event=progress.on_event)
    ok &= _expect(con, op)

    _step(con, 7, "Doctor", "Compare the VIM's inventory with the store: no orphans allowed.")
    report = doctor(ctx)
    render.doctor(con, report)
    ok &= report.healthy

    con.rule()
    con.print(("[green]demo complete[/]" if ok else "[red]demo finished with problems[/]")
              + f" in {time.monotonic() - t0:.1f}s")
    return 0 if ok else 1
