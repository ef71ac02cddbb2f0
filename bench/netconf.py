"""Configure one service across N lab netconfd devices: wall time per N and its ratio to N = 1.

Starts ``max(--sizes)`` real yuma123 netconfd devices (each behind its own sshd, in its own
network namespace) with ``netorch.lab``, then, for each N, runs the all-or-nothing
multi-device transaction netorch uses for a service's network configuration
(:func:`netorch.drivers.network.transaction.run_transaction`: connect, lock + edit candidate,
confirmed commit, verify with get-config, confirm) on the first N devices, and removes it
again. The figure is the median over ``--reps`` runs of the *apply*.

Keys: ``seconds_<N>``, ``ratio_<N>_over_1`` (goal: ``ratio_50_over_1`` <= 2), and
``edit_commit_per_second`` (edit-config + commit round trips on one session, the baseline
being ncclient's untuned 0.1 s transport poll measured in the same run, ``..._untuned``).

Needs root (namespaces, login users). Run: ``python bench/netconf.py [--sizes 1,10,50]``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit, median, setup_logging
from netorch.drivers.network.base import ConnectorOptions
from netorch.drivers.network.registry import connectors
from netorch.drivers.network.transaction import DeviceChange, run_transaction
from netorch.lab import launcher
from netorch.lab.inventory import Inventory
from netorch.model.network import (
    Chain,
    ChainHop,
    DeviceDriverKind,
    DeviceEndpoint,
    DeviceIntent,
    SubInterface,
    Vrf,
    empty_like,
)

log = logging.getLogger("bench.netconf")


def service_intent(device: DeviceEndpoint, run: int) -> DeviceIntent:
    """What one stitched service puts on a PE: a VLAN sub-interface, its VRF, a chain."""
    vlan = 100 + run % 3000
    sub = SubInterface(parent="eth1", vlan=vlan, description="netorch:bench left",
                       ipv4_prefix="10.1.0.1/24")
    return DeviceIntent(
        device=device, tag="netorch:bench",
        interfaces=(sub,),
        vrfs=(Vrf(name=f"bench-{run}", rd=f"65000:{vlan}", import_targets=("65000:1",),
                  export_targets=("65000:1",), interfaces=(sub.name,)),),
        chains=(Chain(name=f"bench-{run}", description="fw then nat",
                      hops=(ChainHop(1, "fw", ingress="eth1", ip_address="10.1.0.10"),
                            ChainHop(2, "nat", egress="eth1", ip_address="10.1.0.11"))),))


async def _close(conns: dict[DeviceDriverKind, Any]) -> None:
    for conn in conns.values():
        aclose = getattr(conn, "aclose", None)
        if aclose is not None:
            await aclose()


def measure_sizes(inv: Inventory, sizes: list[int], reps: int) -> dict[str, float]:
    """Per N: ``cold_seconds_N`` opens every session (SSH + hello) inside the measured apply,
    with a fresh connector; ``seconds_N`` is the apply as it runs in a deployment, where the
    device-adoption steps of the same operation already opened the sessions (the connector
    pools clean sessions for the operation's lifetime)."""
    options = ConnectorOptions(secrets_file=inv.secrets_file, known_hosts=inv.known_hosts)
    endpoints = inv.endpoints(DeviceDriverKind.NETCONF)
    figures: dict[str, float] = {}
    run = 0
    for n in sizes:
        cold: list[float] = []
        warm: list[float] = []
        for _ in range(reps):
            conns = connectors(options)
            for times in (cold, warm):
                run += 1
                intents = [service_intent(ep, run) for ep in endpoints[:n]]
                start = time.perf_counter()
                asyncio.run(run_transaction([DeviceChange(i) for i in intents], conns,
                                            confirm_timeout_s=60))
                times.append(time.perf_counter() - start)
                asyncio.run(run_transaction([DeviceChange(empty_like(i), previous=i)
                                             for i in intents], conns, confirm_timeout_s=60))
            asyncio.run(_close(conns))
        figures[f"cold_seconds_{n}"] = median(cold)
        figures[f"seconds_{n}"] = median(warm)
        log.info("N=%d: cold %s, warm %s", n, [round(t, 3) for t in cold],
                 [round(t, 3) for t in warm])
    for prefix in ("", "cold_"):
        base = figures.get(f"{prefix}seconds_1")
        if base:
            for n in sizes:
                if n != 1:
                    figures[f"{prefix}ratio_{n}_over_1"] = figures[f"{prefix}seconds_{n}"] / base
    return figures


def measure_session(inv: Inventory, pairs: int) -> dict[str, float]:
    """edit-config + commit round trips per second on one session, tuned vs untuned."""
    from netconf_session import edit_commit_rate  # bench/netconf_session.py

    ep = inv.endpoints(DeviceDriverKind.NETCONF)[0]
    tuned = edit_commit_rate(ep, inv.secrets_file, inv.known_hosts, pairs, tuned=True)
    untuned = edit_commit_rate(ep, inv.secrets_file, inv.known_hosts, max(10, pairs // 20),
                               tuned=False)
    return {"edit_commit_per_second": tuned, "edit_commit_per_second_untuned": untuned,
            "ratio_tuned_over_untuned": tuned / untuned if untuned else float("nan")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--sizes", default="1,10,50")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--pairs", type=int, default=300)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    setup_logging(args.verbose)
    if os.geteuid() != 0:
        log.error("the lab needs root (network namespaces, login users)")
        return 1
    sizes = sorted({int(s) for s in args.sizes.split(",")})
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="netorch-bench-lab-") as tmp:
        lab_dir = Path(tmp)
        start = time.perf_counter()
        inv = launcher.up(lab_dir, max(sizes), base_port=0, cli_devices=0, snmp=False,
                          yang_dir=launcher.default_yang_dir(), timeout=120)
        figures["lab_up_seconds"] = time.perf_counter() - start
        try:
            figures.update(measure_sizes(inv, sizes, args.reps))
            figures.update(measure_session(inv, args.pairs))
        finally:
            launcher.down(lab_dir)
    figures["cpus"] = os.cpu_count() or 0
    emit(figures, as_json=args.json, title="netorch: one service across N netconfd devices",
         notes=["seconds_N: median apply (lock, edit candidate, confirmed commit, verify, "
                "confirm) of one service's configuration on N devices at once, sessions already "
                "open as in a deployment (adoption opened them); cold_seconds_N: the same with "
                "every SSH session and <hello> inside the measured time"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
