"""One NETCONF session to a real yuma123 netconfd: edit+commit round trips per second.

Starts one netconfd + sshd (the integration tests' fixture, RECIPES §1a; needs root), opens
one session with the driver's transport and measures, on that one session:

* ``edit_commit_per_second``: ``<edit-config>`` candidate + ``<commit>`` pairs (RFC 6241
  §7.2, §8.3.4.1), payloads built by the driver (pyangbind) before the clock starts;
* ``transactions_per_second``: whole driver transactions, ``prepare`` (which builds the
  payload through pyangbind) + ``commit`` (with its pre-image and read-back verification) +
  ``confirm``: 7 RPCs each;

each also with the transport thread *not* woken on send, i.e. ncclient's default 0.1 s poll
(``TICK``, RECIPES gotcha 6), measured in the same run; the ratios are the speed-up.
Loops are bounded by count (``--pairs``, ``--baseline-pairs``) and time (``--max-seconds``).

    python bench/netconf_session.py [--json] [--pairs 200] [--baseline-pairs 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))

from netconf_fixtures import missing_prerequisite, start_netconfd  # noqa: E402

from netorch.drivers.netconf.connector import NetconfConnector  # noqa: E402
from netorch.drivers.netconf.payload import build_edit  # noqa: E402
from netorch.drivers.netconf.session import NetconfSession  # noqa: E402
from netorch.model.network import (  # noqa: E402
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


async def measure(connector: NetconfConnector, device: DeviceEndpoint, pairs: int,
                  max_seconds: float) -> dict[str, Any]:
    session = await connector.open(device)
    assert isinstance(session, NetconfSession)
    manager = session._m  # the raw ncclient manager of this session, for the RPC-pair loop
    previous: list[DeviceIntent | None] = [None]

    # Payloads are built before the clock starts: pyangbind costs ~0.1 s per interface entry
    # and is not what this measures. Ten distinct ones, cycled.
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
        txn_rate, txn_n = await rate(transaction, max(1, pairs // 4), max_seconds)
    finally:
        await session.close()
    return {"edit_commit_per_second": pair_rate, "pairs": pair_n,
            "transactions_per_second": txn_rate, "transactions": txn_n}


def run(args: argparse.Namespace) -> dict[str, Any]:
    lab = start_netconfd()
    try:
        secrets = lab.run_dir / "secrets.yaml"
        secrets.write_text(yaml.safe_dump({"credentials": {
            "bench": {"username": lab.username, "password": lab.password}}}))
        secrets.chmod(0o600)
        device = DeviceEndpoint(name="pe1", driver=DeviceDriverKind.NETCONF,
                                platform="yuma123", host="127.0.0.1", port=lab.port,
                                credentials="bench")

        def connector(wake: bool) -> NetconfConnector:
            return NetconfConnector(secrets_file=secrets, known_hosts=lab.known_hosts,
                                    tofu=False, timeout_s=30, wake=wake)

        tuned = asyncio.run(measure(connector(True), device, args.pairs, args.max_seconds))
        base = asyncio.run(measure(connector(False), device, args.baseline_pairs,
                                   args.max_seconds))
    finally:
        lab.stop()
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
    reason = missing_prerequisite()
    if reason is not None:
        log.error("cannot run: %s", reason)
        return 2
    figures = run(args)
    if args.json:
        print(json.dumps(figures))
    else:
        width = max(len(k) for k in figures)
        for key, value in figures.items():
            print(f"{key:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
