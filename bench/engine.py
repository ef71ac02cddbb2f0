"""Engine benchmark: instantiate and terminate a generated 1,000-VM service on the sim VIM.

The real path end to end: a generated TOSCA 1.3 template -> ``Lifecycle.instantiate`` (loader,
topology, planner, journaled engine, store, sim VIM) and then ``Lifecycle.terminate``. Only the
apply phase is measured: ``netorch.engine.apply.apply`` is wrapped as the lifecycle calls it.

Figures (see bench/README.md):

* ``makespan_over_critical_path`` — apply wall time / lower bound, where the lower bound is
  max(longest dependency chain of the plan's VIM steps x latency, VIM steps x latency /
  parallelism). Software steps make no VIM call (the logical driver) and weigh 0.
* ``engine_cpu_ms_per_step`` — process CPU (all threads) of the apply phase per step, minus
  the CPU of the same VIM create calls made directly on a sim VIM (no engine, no journal).

Usage: ``python bench/engine.py [--json] [--repeat N] [--computes 1000] [--latency-ms 20]
[--jitter-ms 0] [--parallelism 64] [--db URL] [--profile cprofile|pyinstrument]``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import os
import pstats
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

import netorch.services.lifecycle as lifecycle_module
from _common import TemplateShape, emit, median, service_template, setup_logging
from netorch.drivers.vim.sim import SimVim
from netorch.engine.apply import ApplyResult, StepEvent
from netorch.model.errors import NetorchError
from netorch.model.operations import OpOccurrence, OpState, StepOp, StepState
from netorch.model.resources import (
    VIM_KINDS,
    CreateRequest,
    ResourceKind,
    ResourceRef,
)
from netorch.planner import Plan, Step
from netorch.services.context import Context
from netorch.services.lifecycle import Lifecycle
from netorch.services.settings import Settings
from netorch.store.journal import StoreJournal

log = logging.getLogger("bench.engine")

SIM_ENV = ("NETORCH_SIM_LATENCY_MS", "NETORCH_SIM_JITTER_MS", "NETORCH_SIM_FAILURE_RATE",
           "NETORCH_SIM_FAILURE_SEED")
WRITER_THREAD = "netorch-journal-writer"
GOAL_RATIO = 1.15
GOAL_CPU_MS = 2.0


class BenchTimeout(Exception):
    """The whole benchmark ran longer than ``--max-seconds``."""


# -- measuring the apply phase -----------------------------------------------------------------


def _thread_cpu(thread: threading.Thread | None) -> float:
    """CPU seconds used so far by ``thread`` (Linux: its pthread CPU clock); 0 if unknown."""
    if thread is None or thread.ident is None or not thread.is_alive():
        return 0.0
    try:
        return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
    except (OSError, AttributeError):
        return 0.0


def _writer_thread() -> threading.Thread | None:
    return next((t for t in threading.enumerate() if t.name == WRITER_THREAD), None)


@dataclass(slots=True)
class ApplyProbe:
    """What one call of ``apply`` cost: wall time, CPU by thread, journal batching, events."""

    wall_s: float = 0.0
    cpu_s: float = 0.0
    loop_thread_cpu_s: float = 0.0
    writer_cpu_s: float = 0.0
    batches: int = 0
    requests: int = 0
    result: ApplyResult | None = None
    events: list[tuple[float, str, StepState]] = field(default_factory=list)
    t0: float = 0.0

    def on_event(self, event: StepEvent) -> None:
        self.events.append((time.perf_counter(), event.step.id, event.state))


ApplyFn = Callable[..., Awaitable[ApplyResult]]


@contextmanager
def measured_apply(probe: ApplyProbe, profiler: Profiler | None) -> Iterator[None]:
    """Wrap the ``apply`` the lifecycle calls, measuring it into ``probe`` (src/ is untouched)."""
    namespace = vars(lifecycle_module)
    real: ApplyFn = namespace["apply"]

    async def timed(plan: Plan, **kwargs: Any) -> ApplyResult:
        journal = kwargs.get("journal")
        wall0, cpu0, thr0 = time.perf_counter(), time.process_time(), time.thread_time()
        probe.t0 = wall0
        if profiler is not None:
            profiler.start()
        try:
            result = await real(plan, **kwargs)
        finally:
            if profiler is not None:
                profiler.stop()
            probe.wall_s = time.perf_counter() - wall0
            probe.cpu_s = time.process_time() - cpu0
            probe.loop_thread_cpu_s = time.thread_time() - thr0
            probe.writer_cpu_s = _thread_cpu(_writer_thread())
            if isinstance(journal, StoreJournal):
                probe.batches, probe.requests = journal.batches, journal.requests
        probe.result = result
        return result

    namespace["apply"] = timed
    try:
        yield
    finally:
        namespace["apply"] = real


# -- the lower bound ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bound:
    steps: int
    vim_steps: int
    chain_steps: int
    """VIM calls on the longest dependency chain."""
    chain_s: float
    throughput_s: float

    @property
    def bound_s(self) -> float:
        return max(self.chain_s, self.throughput_s)


def is_vim_step(kind: ResourceKind) -> bool:
    return kind in VIM_KINDS


def lower_bound(plan: Plan, latency_s: float, parallelism: int) -> Bound:
    """No schedule can beat the longest chain of VIM calls, nor all VIM calls / parallelism."""
    index = {s.id: s for s in plan.steps}
    depth: dict[str, int] = {}
    for step in plan.steps:  # plan steps are in a topological order
        before = max((depth[d] for d in step.depends_on if d in index), default=0)
        depth[step.id] = before + (1 if is_vim_step(step.kind) else 0)
    vim_steps = sum(1 for s in plan.steps if is_vim_step(s.kind))
    chain = max(depth.values(), default=0)
    return Bound(steps=len(plan.steps), vim_steps=vim_steps, chain_steps=chain,
                 chain_s=chain * latency_s, throughput_s=vim_steps * latency_s / parallelism)


# -- event analysis ----------------------------------------------------------------------------


def _p95(values: list[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def event_figures(probe: ApplyProbe, plan: Plan, latency_s: float) -> dict[str, Any]:
    """Where the wall time of a step goes, from the progress events.

    * ``step_overhead_ms``: STARTED -> COMPLETED of VIM steps minus the VIM latency (the
      completion journal commit and the event-loop delay);
    * ``ready_to_start_ms``: when its last dependency completed (or the apply began) -> STARTED
      (waiting for a parallelism slot plus the write-ahead journal commit);
    * ``mean_in_flight``: VIM steps between STARTED and COMPLETED, averaged over the makespan.
    """
    started: dict[str, float] = {}
    completed: dict[str, float] = {}
    end = probe.t0 + probe.wall_s
    for at, sid, state in probe.events:
        if state is StepState.STARTED:
            started[sid] = at
        elif state is StepState.COMPLETED:
            completed[sid] = at
    overhead: list[float] = []
    ready_wait: list[float] = []
    busy = 0.0
    for step in plan.steps:
        if step.id not in started or step.id not in completed:
            continue
        if is_vim_step(step.kind):
            took = completed[step.id] - started[step.id]
            busy += took
            overhead.append((took - latency_s) * 1000)
        ready = max((completed.get(d, probe.t0) for d in step.depends_on), default=probe.t0)
        ready_wait.append((started[step.id] - ready) * 1000)
    spans = [(started[s.id], completed[s.id]) for s in plan.steps
             if is_vim_step(s.kind) and s.id in started and s.id in completed]
    return {
        "in_flight_by_tenth": in_flight_timeline(spans, probe.t0, end, 10),
        "step_overhead_ms_median": median(overhead),
        "step_overhead_ms_p95": _p95(overhead),
        "ready_to_start_ms_median": median(ready_wait),
        "ready_to_start_ms_p95": _p95(ready_wait),
        "mean_in_flight": busy / probe.wall_s if probe.wall_s else float("nan"),
    }


def in_flight_timeline(spans: list[tuple[float, float]], start: float, end: float,
                       buckets: int) -> list[float]:
    """Mean number of ``spans`` open in each of ``buckets`` equal slices of [start, end]."""
    if end <= start:
        return []
    width = (end - start) / buckets
    out: list[float] = []
    for b in range(buckets):
        lo, hi = start + b * width, start + (b + 1) * width
        covered = sum(max(0.0, min(hi, e) - max(lo, s)) for s, e in spans)
        out.append(round(covered / width, 1))
    return out


# -- the baseline: the same VIM calls, made directly ------------------------------------------


@dataclass(frozen=True, slots=True)
class Baseline:
    wall_s: float
    cpu_s: float
    calls: int


async def direct_creates(plan: Plan, vim: SimVim, parallelism: int) -> Baseline:
    """Make the plan's VIM creates on ``vim`` in dependency order, ``parallelism`` at a time.

    No engine, no journal, no events: one task per step, waiting for its dependencies' futures.
    """
    loop = asyncio.get_running_loop()
    done: dict[str, asyncio.Future[None]] = {s.id: loop.create_future() for s in plan.steps}
    refs: dict[str, ResourceRef] = {}
    gate = asyncio.Semaphore(parallelism)
    calls = 0

    async def one(step: Step) -> None:
        nonlocal calls
        for dep in step.depends_on:
            if dep in done:
                await done[dep]
        node = step.node
        if is_vim_step(step.kind) and step.op is StepOp.CREATE and node is not None:
            req = CreateRequest(
                key=uuid.uuid4().hex, kind=step.kind, name=f"baseline-{step.node_id}",
                service="baseline", node_id=step.node_id, node_type=node.type,
                properties=node.properties, capabilities=node.capabilities,
                links={n: refs[n] for n in step.links if n in refs})
            async with gate:
                state = await vim.create(req)
            calls += 1
            refs[step.node_id] = ResourceRef(key=req.key, kind=req.kind, vim_id=state.vim_id)
        done[step.id].set_result(None)

    wall0, cpu0 = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one(s) for s in plan.steps))
    return Baseline(time.perf_counter() - wall0, time.process_time() - cpu0, calls)


def run_baseline(plan: Plan, inventory: Path, latency_ms: float, jitter_ms: float,
                 parallelism: int) -> Baseline:
    """The plan's creates on a fresh sim VIM (its own ``inventory`` file), same settings."""
    config = {"driver": "sim", "inventory": str(inventory.with_suffix(".db")),
              "latency_ms": latency_ms, "jitter_ms": jitter_ms}
    vim = SimVim("baseline", config, inventory.parent)

    async def go() -> Baseline:
        try:
            return await direct_creates(plan, vim, parallelism)
        finally:
            await vim.close()

    return asyncio.run(go())


# -- profiling ---------------------------------------------------------------------------------


class Profiler:
    """cProfile or pyinstrument on the event-loop thread, cProfile on the journal writer."""

    def __init__(self, kind: str, top: int) -> None:
        self.kind = kind
        self.top = top
        self._cprofile = cProfile.Profile() if kind == "cprofile" else None
        self._pyinstrument: Any = None
        if kind == "pyinstrument":
            from pyinstrument import Profiler as PyiProfiler  # type: ignore[import-not-found,unused-ignore]

            self._pyinstrument = PyiProfiler(async_mode="disabled")
        self.writer = cProfile.Profile()
        self._real_run: Callable[[StoreJournal], None] = StoreJournal._run

    def start(self) -> None:
        if self._cprofile is not None:
            self._cprofile.enable()
        if self._pyinstrument is not None:
            self._pyinstrument.start()

    def stop(self) -> None:
        if self._cprofile is not None:
            self._cprofile.disable()
        if self._pyinstrument is not None:
            self._pyinstrument.stop()

    @contextmanager
    def writer_profiled(self) -> Iterator[None]:
        """Profile the journal writer thread (its ``_run``), for the instantiate only."""
        real, prof = self._real_run, self.writer

        def run(journal: StoreJournal) -> None:
            prof.enable()
            try:
                real(journal)
            finally:
                prof.disable()

        namespace = vars(StoreJournal)
        assert "_run" in namespace
        type.__setattr__(StoreJournal, "_run", run)
        try:
            yield
        finally:
            type.__setattr__(StoreJournal, "_run", real)

    def report(self) -> str:
        out = io.StringIO()
        if self._cprofile is not None:
            out.write("=== event-loop thread (apply phase), by cumulative time ===\n")
            stats = pstats.Stats(self._cprofile, stream=out)
            stats.sort_stats("cumulative").print_stats(self.top)
            out.write("=== event-loop thread, by own time ===\n")
            stats.sort_stats("tottime").print_stats(self.top)
        if self._pyinstrument is not None:
            out.write("=== event-loop thread (pyinstrument) ===\n")
            out.write(self._pyinstrument.output_text(unicode=False, color=False))
        out.write("=== journal writer thread, by own time ===\n")
        pstats.Stats(self.writer, stream=out).sort_stats("tottime").print_stats(self.top)
        return out.getvalue()


# -- the run -----------------------------------------------------------------------------------


@dataclass(slots=True)
class Outcome:
    op: OpOccurrence
    probe: ApplyProbe
    plan: Plan
    bound: Bound


def _run_op(lc: Lifecycle, what: str, call: Callable[[ApplyProbe], OpOccurrence],
            latency_s: float, parallelism: int, profiler: Profiler | None) -> Outcome:
    probe = ApplyProbe()
    with measured_apply(probe, profiler):
        op = call(probe)
    if op.state is not OpState.COMPLETED:
        raise RuntimeError(f"{what} ended {op.state.value}: {op.error}")
    plan = Plan.from_dict(lc.store.op_payload(op.id)["plan"])
    return Outcome(op, probe, plan, lower_bound(plan, latency_s, parallelism))


def _ratio(outcome: Outcome) -> float:
    bound = outcome.bound.bound_s
    return outcome.probe.wall_s / bound if bound > 0 else float("nan")


HEADLINE = ("makespan_over_critical_path", "engine_cpu_ms_per_step",
            "terminate_makespan_over_critical_path", "makespan_over_direct_calls")


def one_cycle(args: argparse.Namespace, ctx: Context, template: Path, home: Path, rep: int,
              profiler: Profiler | None) -> dict[str, Any]:
    """Instantiate, baseline, terminate, delete: the figures of one cycle."""
    latency_s = args.latency_ms / 1000
    lc = Lifecycle(ctx)
    name = f"bench-{uuid.uuid4().hex[:8]}"
    log.warning("run %d: instantiating %s on %s", rep + 1, name,
                "SQLite" if args.db is None else "the given database")
    with profiler.writer_profiled() if profiler else _nothing():
        inst = _run_op(lc, "instantiate",
                       lambda p: lc.instantiate(template, name, on_event=p.on_event),
                       latency_s, args.parallelism, profiler)
    log.warning("run %d: instantiate applied %d steps in %.2fs; baseline next", rep + 1,
                inst.bound.steps, inst.probe.wall_s)
    base = run_baseline(inst.plan, home / f"baseline-{rep}", args.latency_ms, args.jitter_ms,
                        args.parallelism)
    log.warning("run %d: terminating %s", rep + 1, name)
    term = _run_op(lc, "terminate", lambda p: lc.terminate(name, on_event=p.on_event),
                   latency_s, args.parallelism, None)
    lc.delete(name)
    return _figures(args, inst, term, base, latency_s)


def combine(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of every numeric figure over the runs; the headline figures run by run."""
    out: dict[str, Any] = {}
    for key, first in runs[0].items():
        values = [r[key] for r in runs]
        exact = isinstance(first, int) and all(v == first for v in values)
        if isinstance(first, bool) or not isinstance(first, int | float) or exact:
            out[key] = first
        else:
            out[key] = median([float(v) for v in values])
    if len(runs) > 1:
        for key in HEADLINE:
            out[f"{key}_runs"] = [round(float(r[key]), 3) for r in runs]
        out["in_flight_by_tenth"] = runs[-1]["in_flight_by_tenth"]
    out["runs"] = len(runs)
    return out


def run(args: argparse.Namespace) -> tuple[dict[str, Any], list[str], str | None]:
    shape = TemplateShape(computes=args.computes, networks=args.networks, volumes=args.volumes)
    for var in SIM_ENV:
        os.environ.pop(var, None)
    # The sim reads these (they win over its config entry).
    os.environ["NETORCH_SIM_LATENCY_MS"] = f"{args.latency_ms:g}"
    os.environ["NETORCH_SIM_JITTER_MS"] = f"{args.jitter_ms:g}"
    profiler = Profiler(args.profile, args.profile_top) if args.profile != "none" else None
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="netorch-bench-engine-") as tmp:
        home = Path(tmp)
        template = home / "bench-service.yaml"
        template.write_text(service_template(shape, name="bench"))
        vims = home / "vims.yaml"
        vims.write_text(yaml.safe_dump({"default": "bench-sim", "vims": {"bench-sim": {
            "driver": "sim", "inventory": "bench-sim.db", "latency_ms": args.latency_ms,
            "jitter_ms": args.jitter_ms}}}))
        settings = Settings(home=home, vim_config=vims, parallelism=args.parallelism,
                            db=args.db)
        ctx = Context(settings)
        try:
            deadline = time.monotonic() + args.max_seconds / 2
            for rep in range(args.repeat):
                if rep and time.monotonic() > deadline:
                    log.warning("stopping after %d runs (time budget)", rep)
                    break
                runs.append(one_cycle(args, ctx, template, home, rep,
                                      profiler if rep == 0 else None))
        finally:
            ctx.close()
    figures = combine(runs)
    figures.update(node_templates=shape.node_count, computes=shape.computes)
    return figures, _notes(figures), profiler.report() if profiler else None


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _figures(args: argparse.Namespace, inst: Outcome, term: Outcome, base: Baseline,
             latency_s: float) -> dict[str, Any]:
    steps = inst.bound.steps
    p = inst.probe
    figures: dict[str, Any] = {
        "makespan_over_critical_path": _ratio(inst),
        "engine_cpu_ms_per_step": (p.cpu_s - base.cpu_s) / steps * 1000,
        "terminate_makespan_over_critical_path": _ratio(term),
        "raw_cpu_ms_per_step": p.cpu_s / steps * 1000,
        "makespan_over_direct_calls": p.wall_s / base.wall_s if base.wall_s else 0.0,
        "baseline_cpu_ms_per_call": base.cpu_s / max(1, base.calls) * 1000,
        "steps": steps,
        "vim_steps": inst.bound.vim_steps,
        "makespan_s": p.wall_s,
        "bound_s": inst.bound.bound_s,
        "critical_path_vim_calls": inst.bound.chain_steps,
        "critical_path_s": inst.bound.chain_s,
        "throughput_bound_s": inst.bound.throughput_s,
        "apply_cpu_s": p.cpu_s,
        "loop_thread_cpu_s": p.loop_thread_cpu_s,
        "journal_writer_cpu_s": p.writer_cpu_s,
        "other_threads_cpu_s": p.cpu_s - p.loop_thread_cpu_s - p.writer_cpu_s,
        "baseline_calls": base.calls,
        "baseline_cpu_s": base.cpu_s,
        "baseline_wall_s": base.wall_s,
        "baseline_wall_over_bound": base.wall_s / inst.bound.bound_s if inst.bound.bound_s
        else 0.0,
        "journal_batches": p.batches,
        "journal_requests": p.requests,
        "journal_requests_per_batch": p.requests / p.batches if p.batches else 0.0,
    }
    figures.update(event_figures(p, inst.plan, latency_s))
    t = term.probe
    figures.update({
        "terminate_steps": term.bound.steps,
        "terminate_makespan_s": t.wall_s,
        "terminate_bound_s": term.bound.bound_s,
        "terminate_raw_cpu_ms_per_step": t.cpu_s / max(1, term.bound.steps) * 1000,
        "terminate_journal_requests_per_batch": t.requests / t.batches if t.batches else 0.0,
        "latency_ms": args.latency_ms,
        "jitter_ms": args.jitter_ms,
        "parallelism": args.parallelism,
        "database": "sqlite" if args.db is None else args.db.split("://", 1)[0],
        "cpus": os.cpu_count() or 0,
    })
    return figures


def _notes(f: dict[str, Any]) -> list[str]:
    ok_ratio = f["makespan_over_critical_path"] <= GOAL_RATIO
    ok_cpu = f["engine_cpu_ms_per_step"] <= GOAL_CPU_MS
    return [
        f"goal makespan/bound <= {GOAL_RATIO}: {'met' if ok_ratio else 'MISSED'}; "
        f"goal engine CPU <= {GOAL_CPU_MS} ms/step: {'met' if ok_cpu else 'MISSED'}",
        "bound = max(VIM calls on the longest chain x latency, VIM calls x latency / "
        "parallelism); software steps make no VIM call and weigh 0",
        "engine_cpu_ms_per_step = (apply CPU - CPU of the same creates made directly on a sim "
        "VIM) / steps; CPU counts every thread of the process",
    ]


def _parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    ap.add_argument("--computes", type=int, default=1000)
    ap.add_argument("--networks", type=int, default=4)
    ap.add_argument("--volumes", type=int, default=20)
    ap.add_argument("--latency-ms", type=float, default=20.0)
    ap.add_argument("--jitter-ms", type=float, default=0.0)
    ap.add_argument("--parallelism", type=int, default=64)
    ap.add_argument("--db", default=None,
                    help="store URL (e.g. postgresql+psycopg://user@host/db); default SQLite "
                         "in a temporary directory")
    ap.add_argument("--profile", choices=("none", "cprofile", "pyinstrument"), default="none",
                    help="profile the instantiate's apply phase (report on stderr)")
    ap.add_argument("--profile-top", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=1,
                    help="instantiate/terminate cycles (figures are medians); 1..10")
    ap.add_argument("--max-seconds", type=int, default=900,
                    help="abort the whole benchmark after this long")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    if not 1 <= args.computes <= 20_000:
        ap.error("--computes must be in 1..20000")
    if not 1 <= args.repeat <= 10:
        ap.error("--repeat must be in 1..10")
    if args.latency_ms <= 0 or not 1 <= args.parallelism <= 1024:
        ap.error("--latency-ms must be > 0 and --parallelism in 1..1024")
    return args


_TIMED_OUT: list[bool] = []


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    _TIMED_OUT.append(True)
    raise BenchTimeout("the benchmark exceeded --max-seconds")


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    setup_logging(args.verbose)
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(args.max_seconds)
    try:
        figures, notes, profile = run(args)
    except (BenchTimeout, NetorchError, RuntimeError) as exc:
        # netorch turns an exception raised inside it into a failed operation or diagnostics
        reason = "the benchmark exceeded --max-seconds" if _TIMED_OUT else str(exc)
        log.error("benchmark failed: %s", reason)
        return 1
    finally:
        signal.alarm(0)
    if profile is not None:
        sys.stderr.write(profile)
    emit(figures, as_json=args.json, title="netorch engine benchmark", notes=notes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
