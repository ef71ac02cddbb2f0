"""Load benchmark: ``netorch validate`` on big generated TOSCA 1.3 templates vs plain tosca-parser.

For each size N (node templates), a template of exactly N nodes is generated (networks, VMs,
ports, software components, DependsOn chains between tiers, ``get_input`` everywhere; see
``bench/_common.py``). netorch's :func:`netorch.services.validation.validate` (load, map onto the
model, build and check the topology) runs in this process; plain tosca-parser
(``ToscaTemplate(path)``) runs on the same file in a child process, with its logging silenced.
Both are warmed up on a small template first, and both are timed inside their process.

Keys: ``seconds_<N>`` (netorch, median of the repetitions), ``toscaparser_seconds_<N>`` and
``speedup_vs_toscaparser_<N>`` = tosca-parser seconds / netorch seconds (> 1: netorch faster).

Usage: ``python bench/load.py [--json] [--sizes 1000,5000] [--reps 3]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import TemplateShape, emit, median, service_template, setup_logging

log = logging.getLogger("bench.load")

WARMUP_NODES = 60
MAX_SIZE = 10_000


class BenchTimeout(Exception):
    """The whole benchmark ran longer than ``--max-seconds``."""


# -- the tosca-parser side (child process) -----------------------------------------------------


def toscaparser_worker(path: Path, warmup: Path, reps: int, limit_s: float) -> dict[str, Any]:
    """Time ``ToscaTemplate(path)`` up to ``reps`` times; stop after a run longer than limit."""
    logging.disable(logging.CRITICAL)
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        from toscaparser.tosca_template import ToscaTemplate

        ToscaTemplate(str(warmup))
        times: list[float] = []
        nodes = 0
        for _ in range(reps):
            t0 = time.perf_counter()
            tpl = ToscaTemplate(str(path))
            times.append(time.perf_counter() - t0)
            nodes = len(tpl.nodetemplates)
            if times[-1] > limit_s:
                break
    return {"times": times, "nodes": nodes}


def run_toscaparser(path: Path, warmup: Path, reps: int, limit_s: float,
                    timeout_s: float) -> dict[str, Any]:
    """The worker in a child process (its own interpreter: no shared tosca-parser state)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(path),
           "--warmup-file", str(warmup), "--reps", str(reps), "--limit", str(limit_s)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s,
                              check=False)
    except subprocess.TimeoutExpired:
        log.warning("tosca-parser on %s took longer than %gs; not measured", path, timeout_s)
        return {"times": [], "nodes": 0, "error": f"timed out after {timeout_s:g}s"}
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["?"]
        log.warning("tosca-parser on %s failed: %s", path, tail[0])
        return {"times": [], "nodes": 0, "error": tail[0]}
    result: dict[str, Any] = json.loads(done.stdout)
    return result


# -- the netorch side (this process) -----------------------------------------------------------


def run_netorch(path: Path, reps: int, limit_s: float) -> dict[str, Any]:
    from netorch.services.validation import validate

    times: list[float] = []
    valid, nodes = False, 0
    for _ in range(reps):
        t0 = time.perf_counter()
        result = validate(path)
        times.append(time.perf_counter() - t0)
        valid, nodes = result.valid, result.nodes
        if not valid:
            log.warning("netorch found %s invalid: %s", path,
                        "; ".join(d.message for d in result.diagnostics[:3]))
            break
        if times[-1] > limit_s:
            break
    return {"times": times, "valid": valid, "nodes": nodes}


def warm_up(path: Path) -> None:
    from netorch.services.validation import validate

    if not validate(path).valid:
        raise RuntimeError(f"the warm-up template {path} is not valid")


# -- driver ------------------------------------------------------------------------------------


def measure(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    figures: dict[str, Any] = {}
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="netorch-bench-load-") as tmp:
        warmup = Path(tmp) / "warmup.yaml"
        warmup.write_text(service_template(TemplateShape.with_nodes(WARMUP_NODES),
                                           name="warmup"))
        warm_up(warmup)
        for size in args.sizes:
            path = Path(tmp) / f"service-{size}.yaml"
            path.write_text(service_template(TemplateShape.with_nodes(size), name=f"s{size}"))
            log.warning("size %d: netorch validate", size)
            ours = run_netorch(path, args.reps, args.limit)
            log.warning("size %d: tosca-parser", size)
            theirs = run_toscaparser(path, warmup, args.reps, args.limit, args.timeout)
            mine = median(ours["times"])
            base = median(theirs["times"]) if theirs["times"] else None
            figures[f"seconds_{size}"] = mine
            figures[f"toscaparser_seconds_{size}"] = base
            figures[f"speedup_vs_toscaparser_{size}"] = None if base is None else base / mine
            figures[f"reps_{size}"] = [len(ours["times"]), len(theirs["times"])]
            figures[f"valid_{size}"] = ours["valid"]
            figures[f"nodes_{size}"] = ours["nodes"]
            if "error" in theirs:
                notes.append(f"tosca-parser at {size} nodes: {theirs['error']}")
    notes.append("seconds: median wall time in a warm process; speedup = tosca-parser "
                 "seconds / netorch seconds (netorch runs tosca-parser itself, then builds "
                 "and checks the model)")
    return figures, notes


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"bad --sizes {text!r}: {exc}") from exc
    if not sizes or any(not 100 <= s <= MAX_SIZE for s in sizes):
        raise argparse.ArgumentTypeError(f"sizes must be in 100..{MAX_SIZE}")
    return sizes


def _parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    ap.add_argument("--sizes", type=_sizes, default=[1000, 5000],
                    help=f"comma-separated node counts (100..{MAX_SIZE})")
    ap.add_argument("--reps", type=int, default=3, help="repetitions per tool and size (1..10)")
    ap.add_argument("--limit", type=float, default=60.0,
                    help="no further repetitions after one longer than this (seconds)")
    ap.add_argument("--timeout", type=float, default=600.0,
                    help="kill the tosca-parser child after this long (seconds)")
    ap.add_argument("--max-seconds", type=int, default=1800,
                    help="abort the whole benchmark after this long")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--warmup-file", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if not 1 <= args.reps <= 10:
        ap.error("--reps must be in 1..10")
    return args


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise BenchTimeout("the benchmark exceeded --max-seconds")


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.worker is not None:
        result = toscaparser_worker(args.worker, args.warmup_file or args.worker, args.reps,
                                    args.limit)
        sys.stdout.write(json.dumps(result) + "\n")
        return 0
    setup_logging(args.verbose)
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(args.max_seconds)
    try:
        figures, notes = measure(args)
    except (BenchTimeout, RuntimeError) as exc:
        log.error("benchmark failed: %s", exc)
        return 1
    finally:
        signal.alarm(0)
    figures["cpus"] = os.cpu_count() or 0
    emit(figures, as_json=args.json, title="netorch validate vs tosca-parser", notes=notes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
