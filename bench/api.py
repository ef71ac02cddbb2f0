"""SOL005 NS lifecycle API under load: real uvicorn, N NS instances in the store, C clients.

For each store (SQLite, then PostgreSQL in a schema of its own), the bench

1. creates a fresh NETORCH_HOME with the sim VIM, onboards the demo service template and writes
   ``--instances`` NS instance identifiers (NOT_INSTANTIATED) straight into the store;
2. starts two servers the same way (``uvicorn.run`` in a subprocess, one worker, no access
   log): the netorch API (``create_app``) and a bare FastAPI app whose one endpoint returns a
   constant;
3. drives each endpoint in turn for ``--duration`` seconds with ``--clients`` concurrent
   keep-alive connections (a minimal HTTP/1.1 client on asyncio, so the load generator costs
   little next to the servers), and reports requests per second and p50 / p99 latency:

   * ``bare`` — ``GET /bare`` on the bare app (the baseline: uvicorn + FastAPI alone);
   * ``get_by_id`` — ``GET /nslcm/v1/ns_instances/{id}`` (random ids);
   * ``list_filter`` — ``GET /nslcm/v1/ns_instances?filter=(eq,nsdId,…);(eq,nsState,…)``, the
     first page (every instance matches, so each answer is a full page with a ``Link``);
   * ``instantiate`` — ``POST …/ns_instances/{id}/instantiate`` on a fresh instance each time
     (202 once the occurrence is stored; the operations then run on the sim VIM in the
     background).

Figures: ``rps_<endpoint>``, ``p50_ms_<endpoint>``, ``p99_ms_<endpoint>`` and
``ratio_get_by_id_over_bare``; PostgreSQL figures carry a ``_pg`` suffix. Nothing is asserted.

    python bench/api.py                # 10,000 instances, 50 clients, 20 s per endpoint
    python bench/api.py --quick        # 1,000 instances, 20 clients, 3 s per endpoint
    python bench/api.py --db sqlite --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml

from _common import emit, setup_logging

log = logging.getLogger("bench.api")

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "src" / "netorch" / "examples" / "demo-chain.yaml"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
HOST = "127.0.0.1"


# -- the servers (subprocess modes) ---------------------------------------------------------------


def _serve(app: Any, port: int) -> None:
    import uvicorn

    uvicorn.run(app, host=HOST, port=port, log_level="warning", access_log=False)


def serve_netorch(port: int) -> None:
    """The netorch API from the environment (``NETORCH_HOME``, ``NETORCH_DB`` …)."""
    from netorch.api.app import create_app
    from netorch.services.settings import Settings

    _serve(create_app(Settings()), port)


def serve_bare(port: int) -> None:
    """A FastAPI app with one endpoint returning a constant."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/bare")
    def bare() -> dict[str, Any]:
        return {"id": "00000000-0000-0000-0000-000000000000", "nsState": "NOT_INSTANTIATED"}

    _serve(app, port)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@contextmanager
def server(mode: str, env: dict[str, str], ready_path: str) -> Iterator[int]:
    port = _free_port()
    cmd = [sys.executable, str(Path(__file__).resolve()), f"--serve-{mode}", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=sys.stderr)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://{HOST}:{port}{ready_path}", timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the {mode} server did not start")
            time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


# -- the load generator ----------------------------------------------------------------------------


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    errors: dict[int, int] = field(default_factory=dict)
    elapsed: float = 0.0

    def figures(self, name: str) -> dict[str, float]:
        lat = sorted(self.latencies)

        def pct(p: float) -> float:
            return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")
        return {f"rps_{name}": len(lat) / self.elapsed if self.elapsed else 0.0,
                f"p50_ms_{name}": pct(0.50), f"p99_ms_{name}": pct(0.99)}


def request_bytes(method: str, path: str, port: int, headers: dict[str, str],
                  body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body or method == "POST":
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _worker(port: int, make: Callable[[], bytes | None], ok: set[int], deadline: float,
                  result: Result) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        while time.perf_counter() < deadline:
            req = make()
            if req is None:
                return
            t0 = time.perf_counter()
            writer.write(req)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            low = head.lower()
            i = low.find(b"content-length:")
            length = int(low[i + 15:low.index(b"\r\n", i)]) if i >= 0 else 0
            if length:
                await reader.readexactly(length)
            result.latencies.append(time.perf_counter() - t0)
            if status not in ok:
                result.errors[status] = result.errors.get(status, 0) + 1
    finally:
        writer.close()
        with suppress(Exception):
            await writer.wait_closed()


def drive(port: int, make: Callable[[], bytes | None], ok: set[int], *, clients: int,
          duration: float) -> Result:
    """``clients`` keep-alive connections sending ``make()`` requests for ``duration`` s."""
    result = Result()

    async def main() -> None:
        deadline = time.perf_counter() + duration
        t0 = time.perf_counter()
        await asyncio.gather(*(_worker(port, make, ok, deadline, result)
                               for _ in range(clients)))
        result.elapsed = time.perf_counter() - t0

    asyncio.run(main())
    if result.errors:
        log.warning("unexpected statuses: %s", result.errors)
    return result


# -- the store --------------------------------------------------------------------------------


@contextmanager
def database(kind: str, home: Path, pg_url: str) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{home / 'netorch.db'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"bench_api_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def prepare(home: Path, db_url: str, instances: int) -> tuple[str, list[str], str, str]:
    """Onboard the demo, write ``instances`` NS instances; ``(nsd_id, ids, client, secret)``."""
    from sqlalchemy import insert

    from netorch.services.api_access import ApiClients
    from netorch.services.context import Context
    from netorch.services.onboarding import onboard
    from netorch.services.settings import Settings
    from netorch.store.connect import writer
    from netorch.store.tables import ns_instances

    ctx = Context(Settings(home=home, db=db_url, vim_config=home / "vims.yaml"))
    try:
        result = onboard(ctx, DEMO)
        assert result.record is not None, result.diagnostics
        nsd_id = result.record.content_hash
        start = datetime.now(UTC)
        ids = [str(uuid.uuid4()) for _ in range(instances)]
        rows = [{"id": ns_id, "name": f"bench-{i}", "description": "bench", "nsd_id": nsd_id,
                 "nsd_info_id": nsd_id, "created_at": start + timedelta(microseconds=i)}
                for i, ns_id in enumerate(ids)]
        with writer(ctx.store.engine).begin() as conn:
            for i in range(0, len(rows), 1000):
                conn.execute(insert(ns_instances), rows[i:i + 1000])
        if ctx.store.engine.dialect.name == "postgresql":
            # The steady state of a store that has 10,000 instances: autovacuum has analysed
            # the tables. Straight after a bulk insert the planner still believes the table
            # holds a few rows and sorts all 10,000 for every page (16.9 ms vs 0.2 ms).
            with ctx.store.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
        client, secret = ApiClients(ctx.store).add("bench", "operator")
        return nsd_id, ids, client.client_id, secret
    finally:
        ctx.close()


# -- one run --------------------------------------------------------------------------------


def run_one(kind: str, args: argparse.Namespace) -> dict[str, float]:
    from netorch.api.sol013.version import APIS

    suffix = "" if kind == "sqlite" else "_pg"
    with tempfile.TemporaryDirectory(prefix="netorch-bench-api-") as tmp:
        home = Path(tmp)
        (home / "vims.yaml").write_text(yaml.safe_dump({"default": "sim1", "vims": {"sim1": {
            "driver": "sim", "inventory": "sim.db", "latency_ms": args.latency_ms,
            "jitter_ms": 0}}}))
        with database(kind, home, args.pg_url) as db_url:
            t0 = time.perf_counter()
            nsd_id, ids, client_id, secret = prepare(home, db_url, args.instances)
            log.info("%s: %d instances written in %.1fs", kind, len(ids),
                     time.perf_counter() - t0)
            env = {k: v for k, v in os.environ.items() if not k.startswith("NETORCH_")}
            env.update(NETORCH_HOME=str(home), NETORCH_DB=db_url,
                       NETORCH_VIM_CONFIG=str(home / "vims.yaml"), NETORCH_OP_STOP_GRACE_S="0")
            figures: dict[str, float] = {}
            with server("bare", env, "/bare") as bare_port:
                res = drive(bare_port, lambda: request_bytes("GET", "/bare", bare_port, {}),
                            {200}, clients=args.clients, duration=args.duration)
                figures |= res.figures(f"bare{suffix}")
            with server("netorch", env, "/nslcm/api_versions") as port:
                token = httpx.post(f"http://{HOST}:{port}/oauth2/token",
                                   auth=(client_id, secret),
                                   data={"grant_type": "client_credentials"},
                                   timeout=10).json()["access_token"]
                headers = {"Authorization": f"Bearer {token}",
                           "Version": APIS["nslcm"].version}
                rng = random.Random(1)
                by_id = [request_bytes("GET", f"/nslcm/v1/ns_instances/{i}", port, headers)
                         for i in ids[:2000]]
                res = drive(port, lambda: rng.choice(by_id), {200}, clients=args.clients,
                            duration=args.duration)
                figures |= res.figures(f"get_by_id{suffix}")
                flt = f"(eq,nsdId,{nsd_id});(eq,nsState,NOT_INSTANTIATED)"
                listing = request_bytes("GET", f"/nslcm/v1/ns_instances?filter={flt}", port,
                                        headers)
                check = httpx.get(f"http://{HOST}:{port}/nslcm/v1/ns_instances",
                                  params={"filter": flt}, headers=headers, timeout=60)
                assert check.status_code == 200 and "Link" in check.headers, check.text[:300]
                res = drive(port, lambda: listing, {200}, clients=args.clients,
                            duration=args.duration)
                figures |= res.figures(f"list_filter{suffix}")
                fresh = list(reversed(ids))
                body = json.dumps({"nsFlavourId": "default"}).encode()

                def instantiate() -> bytes | None:
                    if not fresh:
                        return None
                    return request_bytes("POST", f"/nslcm/v1/ns_instances/{fresh.pop()}/"
                                         "instantiate", port, headers, body)
                res = drive(port, instantiate, {202}, clients=args.clients,
                            duration=args.duration)
                figures |= res.figures(f"instantiate{suffix}")
            figures[f"ratio_get_by_id_over_bare{suffix}"] = (
                figures[f"rps_get_by_id{suffix}"] / figures[f"rps_bare{suffix}"])
            return figures


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    ap.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--pg-url", default=os.environ.get("NETORCH_TEST_PG", DEFAULT_PG))
    ap.add_argument("--instances", type=int, default=10_000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--duration", type=float, default=20.0, help="seconds per endpoint")
    ap.add_argument("--latency-ms", type=float, default=0.0, help="sim VIM latency per call")
    ap.add_argument("--quick", action="store_true",
                    help="1,000 instances, 20 clients, 3 s per endpoint")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--serve-netorch", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--serve-bare", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.quick:
        args.instances, args.clients, args.duration = 1000, 20, 3.0
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    if args.serve_netorch:
        serve_netorch(args.serve_netorch)
        return 0
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return 0
    setup_logging(args.verbose)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    figures: dict[str, Any] = {"instances": args.instances, "clients": args.clients,
                               "duration_s": args.duration}
    for kind in kinds:
        figures |= run_one(kind, args)
    emit(figures, as_json=args.json, title="SOL005 nslcm API under load",
         notes=["rps: answered requests per second; p50/p99 in ms; _pg: PostgreSQL store"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
