"""One NETCONF session to a real yuma123 netconfd: edit+commit round trips per second.

Starts a one-device lab with :mod:`netorch.lab` (the same ``netorch lab up`` devices the
integration tests use: netconfd behind its own sshd, needs root), opens one session with the
driver's transport and measures, on that one session:

* ``edit_commit_per_second``: ``<edit-config>`` candidate + ``<commit>`` pairs (RFC 6241
  §7.2, §8.3.4.1), payloads built by the driver (pyangbind) before the clock starts;
* ``transactions_per_second``: whole driver transactions, ``prepare`` (which builds the
  payload through pyangbind) + ``commit`` (with its pre-image and read-back verification) +
  ``confirm``: 7 RPCs each;

each also with the transport thread *not* woken on send, i.e. ncclient's default 0.1 s poll
(``TICK``, RECIPES gotcha 6), measured in the same run; the ratios are the speed-up.
Loops are bounded by count (``--pairs``, ``--baseline-pairs``) and time (``--max-seconds``).

    python bench/netconf_session.py [--json] [--pairs 200] [--baseline-pairs 10]

``bench/netconf.py`` uses :func:`edit_commit_rate` on a device of its own lab.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from netorch.drivers.netconf.connector import NetconfConnector
from netorch.drivers.netconf.payload import build_edit
from netorch.drivers.netconf.session import NetconfSession
from netorch.lab import launcher
from netorch.model.network import (
    Chain,
    ChainHop,
    DeviceDriverKind,
    DeviceEndpoint,
    DeviceIntent,
    SubInterface,
    Vrf,
)

log = logging.getLogger("bench")


def intent(device: DeviceEndpoint, i: int) -> DeviceIntent:
    """A small service: one sub-interface in one VRF, one 2-hop chain; values vary with i."""
    sub = SubInterface("eth0", 100 + i % 50, "netorch:bench", f"10.{i % 200}.0.1/24")
    return DeviceIntent(
        device=device, tag="netorch:bench", interfaces=(sub,),
        vrfs=(Vrf("bench-vl1", f"65000:{i}", (f"65000:{i}",), (f"65000:{i}",), (sub.name,)),),
        chains=(Chain("bench-chain", (ChainHop(1, "fw", "eth0", "eth1", "10.0.0.1"),
                                      ChainHop(2, f"nat{i}"))),))


async def rate(step: Callable[[int], Awaitable[None]], count: int, max_seconds: float,
               ) -> tuple[float, int]:
    """Steps per second over at most ``count`` steps or ``max_seconds``."""
    start = time.perf_counter()
    done = 0
    while done < count and time.perf_counter() - start < max_seconds:
        await step(done)
        done += 1
    return done / (time.perf_counter() - start), done


async def _cleanup(session: NetconfSession, device: DeviceEndpoint,
                   previous: DeviceIntent | None) -> None:
    """Remove what the loops left on the device (the bench's entries only)."""
    names = previous or intent(device, 0)
    await session.prepare(DeviceIntent(device=device, tag=names.tag), names)
    await session.commit(None)
    await session.confirm()


async def measure(connector: NetconfConnector, device: DeviceEndpoint, pairs: int,
                  max_seconds: float, *, transactions: bool = True) -> dict[str, Any]:
    session = await connector.open(device)
    assert isinstance(session, NetconfSession)
    manager = session._m  # the raw ncclient manager of this session, for the RPC-pair loop
    previous: list[DeviceIntent | None] = [None]

    # Payloads are built before the clock starts (pyangbind is not what this measures).
    # Ten distinct ones, cycled.
    payloads = [build_edit(intent(device, i), None) for i in range(10)]

    async def edit_commit(i: int) -> None:
        config = payloads[i % len(payloads)]
        await asyncio.to_thread(manager.edit_config, target="candidate", config=config)
        await asyncio.to_thread(manager.commit)

    async def transaction(i: int) -> None:
        want = intent(device, i)
        await session.prepare(want, previous[0])
        await session.commit(None)
        await session.confirm()
        previous[0] = want

    try:
        pair_rate, pair_n = await rate(edit_commit, pairs, max_seconds)
        txn_rate, txn_n = (await rate(transaction, max(1, pairs // 4), max_seconds)
                           if transactions else (0.0, 0))
        await _cleanup(session, device, previous[0])
    finally:
        await session.close()
    return {"edit_commit_per_second": pair_rate, "pairs": pair_n,
            "transactions_per_second": txn_rate, "transactions": txn_n}


def edit_commit_rate(endpoint: DeviceEndpoint, secrets_file: Path, known_hosts: Path,
                     pairs: int, tuned: bool, *, max_seconds: float = 30.0) -> float:
    """``<edit-config>`` + ``<commit>`` pairs per second on one session to ``endpoint``
    (a running NETCONF device with :candidate); ``tuned=False``: ncclient's own 0.1 s poll."""
    connector = NetconfConnector(secrets_file=secrets_file, known_hosts=known_hosts,
                                 tofu=False, timeout_s=30, wake=tuned)
    figures = asyncio.run(measure(connector, endpoint, pairs, max_seconds, transactions=False))
    return float(figures["edit_commit_per_second"])


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="netorch-bench-session-") as tmp:
        lab_dir = Path(tmp)
        inv = launcher.up(lab_dir, 1, base_port=0, cli_devices=0, snmp=False,
                          yang_dir=launcher.default_yang_dir())
        try:
            device = inv.endpoints(DeviceDriverKind.NETCONF)[0]

            def connector(wake: bool) -> NetconfConnector:
                return NetconfConnector(secrets_file=inv.secrets_file,
                                        known_hosts=inv.known_hosts, tofu=False, timeout_s=30,
                                        wake=wake)

            tuned = asyncio.run(measure(connector(True), device, args.pairs, args.max_seconds))
            base = asyncio.run(measure(connector(False), device, args.baseline_pairs,
                                       args.max_seconds))
        finally:
            launcher.down(lab_dir)
    return {
        "edit_commit_per_second": round(tuned["edit_commit_per_second"], 1),
        "edit_commit_per_second_default_tick": round(base["edit_commit_per_second"], 2),
        "edit_commit_ratio": round(tuned["edit_commit_per_second"]
                                   / base["edit_commit_per_second"], 1),
        "transactions_per_second": round(tuned["transactions_per_second"], 1),
        "transactions_per_second_default_tick": round(base["transactions_per_second"], 2),
        "transactions_ratio": round(tuned["transactions_per_second"]
                                    / base["transactions_per_second"], 1),
        "pairs": tuned["pairs"], "baseline_pairs": base["pairs"],
        "transactions": tuned["transactions"], "baseline_transactions": base["transactions"],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--json", action="store_true", help="one JSON object on stdout")
    ap.add_argument("--pairs", type=int, default=200)
    ap.add_argument("--baseline-pairs", type=int, default=10)
    ap.add_argument("--max-seconds", type=float, default=30.0, help="per measured loop")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if os.geteuid() != 0:
        log.error("cannot run: the lab needs root (network namespaces, login users)")
        return 2
    figures = run(args)
    if args.json:
        sys.stdout.write(json.dumps(figures) + "\n")
    else:
        width = max(len(k) for k in figures)
        for key, value in figures.items():
            sys.stdout.write(f"{key:<{width}}  {value}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
