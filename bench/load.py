"""Load benchmark: ``netorch validate`` on big generated templates vs plain tosca-parser.

For each size N (node templates), a TOSCA 1.3 template of exactly N nodes is generated
(networks, VMs, ports, software components, DependsOn chains between tiers, ``get_input``
everywhere), and one ETSI SOL001 VNFD importing the SOL001 type files (``--vnfd-vdus`` VDUs with
their storage, connection points and scaling policies); see ``bench/_common.py``.  netorch's
:func:`netorch.services.validation.validate` (load, map onto the model, build and check the
topology) runs in this process, by its default path (the native loader where it applies, see
docs/onboarding.md) with the load cache switched off; plain tosca-parser (``ToscaTemplate(path)``)
runs on the same file in a child process, with its logging silenced.  Both are warmed up on a
small template first, and both are timed inside their process.

Keys: ``seconds_<N>`` (netorch, median of the repetitions), ``toscaparser_seconds_<N>``,
``speedup_vs_toscaparser_<N>`` = tosca-parser seconds / netorch seconds (> 1: netorch faster),
``path_<N>`` (which loading path netorch took), the same with the prefix ``vnfd_`` for the VNFD,
and ``cached_reload_ms`` (``netorch.tosca.load`` of the largest template again, unchanged: served
by the content-hash cache; ``cached_reload_disk_ms`` the same from the disk cache alone, as a
new process would see it).

Usage: ``python bench/load.py [--json] [--sizes 1000,5000] [--reps 3] [--vnfd-vdus 100]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    SOL001_TYPE_FILES,
    TemplateShape,
    emit,
    median,
    service_template,
    setup_logging,
    vnfd_template,
)

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


@contextlib.contextmanager
def environment(**values: str | None) -> Iterator[None]:
    """Set (or, for None, remove) environment variables for the duration of the block."""
    saved = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def loading_path(path: Path) -> str:
    """Which path netorch's loader takes for ``path``: ``native`` or ``tosca-parser``."""
    from netorch.tosca.native.pipeline import Unsupported, load_native
    from netorch.tosca.native.route import native_enabled

    if not native_enabled():
        return "tosca-parser"
    outcome = load_native(path, None, None, False, None)
    return f"tosca-parser ({outcome.reason})" if isinstance(outcome, Unsupported) else "native"


def run_netorch(path: Path, reps: int, limit_s: float) -> dict[str, Any]:
    with environment(NETORCH_LOAD_CACHE="0"):  # the default path itself, never the cache
        return _run_netorch(path, reps, limit_s)


def _run_netorch(path: Path, reps: int, limit_s: float) -> dict[str, Any]:
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

    with environment(NETORCH_LOAD_CACHE="0"):
        if not validate(path).valid:
            raise RuntimeError(f"the warm-up template {path} is not valid")


def cached_reload(path: Path, home: Path, reps: int) -> dict[str, float]:
    """``netorch.tosca.load`` of unchanged content, again: (median) milliseconds of a hit in
    this process, and of a hit on the disk cache alone (memory dropped before each)."""
    from netorch.model.serialize import model_to_dict
    from netorch.tosca import cache, load

    with environment(NETORCH_LOAD_CACHE=None, NETORCH_HOME=str(home),
                     NETORCH_LOAD_CACHE_MIN_MS="0"):
        store = cache.from_env()
        if store is None:
            raise RuntimeError("the load cache is switched off")
        store.clear_memory()
        first, _diags = load(path)  # a miss: loads and stores
        if first is None:
            raise RuntimeError(f"{path} does not load")
        expected = model_to_dict(first)
        memory: list[float] = []
        disk: list[float] = []
        held = first
        for _ in range(max(reps, 3)):
            t0 = time.perf_counter()
            model, _diags = load(path)
            memory.append(time.perf_counter() - t0)
            if model is not held:
                raise RuntimeError("a repeated load was not served from the cache")
            store.clear_memory()
            t0 = time.perf_counter()
            model, _diags = load(path)
            disk.append(time.perf_counter() - t0)
            if model is None or model_to_dict(model) != expected:
                raise RuntimeError("the disk cache gave another model")
            held = model  # the disk hit is what memory holds now
    return {"memory_ms": 1000 * median(memory), "disk_ms": 1000 * median(disk)}


def write_vnfd(directory: Path, vdus: int) -> Path:
    """A generated VNFD next to copies of netorch's SOL001 type files it imports."""
    from netorch.tosca.imports import builtin_types_dir

    directory.mkdir()
    with contextlib.ExitStack() as stack:
        types = builtin_types_dir(stack)
        for name in SOL001_TYPE_FILES:
            shutil.copy(types / name, directory / name)
    path = directory / "vnfd.yaml"
    path.write_text(vnfd_template(vdus, name=f"vnf{vdus}"))
    return path


# -- driver ------------------------------------------------------------------------------------


def measure(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    figures: dict[str, Any] = {}
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="netorch-bench-load-") as tmp:
        warmup = Path(tmp) / "warmup.yaml"
        warmup.write_text(service_template(TemplateShape.with_nodes(WARMUP_NODES),
                                           name="warmup"))
        warm_up(warmup)
        cases: list[tuple[str, Path]] = []
        for size in args.sizes:
            path = Path(tmp) / f"service-{size}.yaml"
            path.write_text(service_template(TemplateShape.with_nodes(size), name=f"s{size}"))
            cases.append((str(size), path))
        if args.vnfd_vdus:
            cases.append(("vnfd", write_vnfd(Path(tmp) / "vnfd", args.vnfd_vdus)))
        for label, path in cases:
            log.warning("%s: netorch validate", label)
            ours = run_netorch(path, args.reps, args.limit)
            log.warning("%s: tosca-parser", label)
            theirs = run_toscaparser(path, warmup, args.reps, args.limit, args.timeout)
            mine = median(ours["times"])
            base = median(theirs["times"]) if theirs["times"] else None
            key = "vnfd_{}" if label == "vnfd" else "{}_" + label
            figures[key.format("seconds")] = mine
            figures[key.format("toscaparser_seconds")] = base
            figures[key.format("speedup_vs_toscaparser")] = None if base is None else base / mine
            figures[key.format("reps")] = [len(ours["times"]), len(theirs["times"])]
            figures[key.format("valid")] = ours["valid"]
            figures[key.format("nodes")] = ours["nodes"]
            figures[key.format("path")] = loading_path(path)
            if "error" in theirs:
                notes.append(f"tosca-parser on {label}: {theirs['error']}")
        home = Path(tmp) / "home"
        largest = max(args.sizes)
        reload = cached_reload(Path(tmp) / f"service-{largest}.yaml", home, args.reps)
        figures["cached_reload_ms"] = reload["memory_ms"]
        figures["cached_reload_disk_ms"] = reload["disk_ms"]
        if args.vnfd_vdus:
            vnfd = cached_reload(Path(tmp) / "vnfd" / "vnfd.yaml", home, args.reps)
            figures["vnfd_cached_reload_ms"] = vnfd["memory_ms"]
            figures["vnfd_cached_reload_disk_ms"] = vnfd["disk_ms"]
    notes.append("seconds: median wall time of netorch validate (load, model, topology) in a "
                 "warm process, load cache off; speedup = tosca-parser seconds / netorch "
                 "seconds; cached_reload_ms: netorch.tosca.load of the largest template again "
                 f"({largest} nodes), served from the content-hash cache (disk: memory dropped "
                 "first)")
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
    ap.add_argument("--vnfd-vdus", type=int, default=100,
                    help="VDUs of the generated SOL001 VNFD (0: no VNFD case)")
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
    if not 0 <= args.vnfd_vdus <= 1000:
        ap.error("--vnfd-vdus must be in 0..1000")
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
