"""The simulated cloud's own inventory: one SQLite file, shared by every process that opens it.

The sim keeps what it "created" here, never in netorch's store, so a process killed after the
sim made something leaves a real orphan behind, exactly as a real VIM would. Several processes may
open the same file at once (a killed CLI, then another that resumes): the file uses WAL
journaling, ``synchronous=NORMAL`` and a busy timeout, and every change is one short
``BEGIN IMMEDIATE`` transaction, so check-then-insert by key is atomic across processes.

Every server is placed on one of the simulated hosts (:mod:`netorch.drivers.vim.sim_placement`):
``placements`` holds each server's host and zone, ``placement_rules`` the groups (service and
rule) it belongs to. Both tables are created when missing, so an inventory made before
placement existed keeps working (its older servers simply have no host).

All methods are synchronous and meant to take well under a millisecond; the async driver calls
them inline and never awaits inside a transaction.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netorch.drivers.vim.sim_placement import Hypervisor, choose_host, hypervisors, parse_rule
from netorch.drivers.vim.sim_settings import Quotas
from netorch.model.errors import NotFoundError, PermanentError, TemporaryError
from netorch.model.resources import (
    CreateRequest,
    ResourceKind,
    ResourceRef,
    ResourceState,
    ResourceStatus,
)

log = logging.getLogger(__name__)

SCHEMA_VERSION = "1"

DEFAULT_POOL = "sim:default"
"""Addresses of servers that have no port of their own (the tenant's default network)."""
DEFAULT_POOL_CIDR = "172.16.0.0/16"
DEFAULT_NETWORK_NAME = "sim-default"
PUBLIC_CIDR = "198.18.0.0/15"
"""Every server's ``public_address`` is its default address mapped 1:1 (static NAT) into this
RFC 2544 benchmarking range, which is never routed anywhere."""

_MAX_OFFSET = 2**62
"""Host offsets are stored as SQLite integers; IPv6 pools are capped to this many addresses."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS resources (
    key TEXT PRIMARY KEY,
    vim_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    service TEXT NOT NULL,
    node_id TEXT NOT NULL,
    node_type TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    created_at REAL NOT NULL,
    dies_at REAL,
    death TEXT,
    network_key TEXT,
    attached_to TEXT,
    vcpus INTEGER NOT NULL DEFAULT 0,
    ram_mb INTEGER NOT NULL DEFAULT 0,
    volume_gb INTEGER NOT NULL DEFAULT 0,
    claims TEXT NOT NULL,
    attrs TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS resources_network ON resources(network_key)
    WHERE network_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS resources_attached ON resources(attached_to)
    WHERE attached_to IS NOT NULL;
CREATE TABLE IF NOT EXISTS pools (
    pool TEXT PRIMARY KEY,
    cidr TEXT NOT NULL,
    first INTEGER NOT NULL,
    last INTEGER NOT NULL,
    next INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS pools_cidr ON pools(cidr);
CREATE TABLE IF NOT EXISTS addresses (
    pool TEXT NOT NULL,
    offset INTEGER NOT NULL,
    owner TEXT NOT NULL,
    PRIMARY KEY (pool, offset)
);
CREATE TABLE IF NOT EXISTS usage (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    instances INTEGER NOT NULL DEFAULT 0,
    vcpus INTEGER NOT NULL DEFAULT 0,
    ram_mb INTEGER NOT NULL DEFAULT 0,
    networks INTEGER NOT NULL DEFAULT 0,
    ports INTEGER NOT NULL DEFAULT 0,
    volumes INTEGER NOT NULL DEFAULT 0,
    volume_gb INTEGER NOT NULL DEFAULT 0
);
INSERT OR IGNORE INTO usage (id) VALUES (1);
CREATE TABLE IF NOT EXISTS placements (
    key TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    zone TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS placements_host ON placements(host);
CREATE TABLE IF NOT EXISTS placement_rules (
    service TEXT NOT NULL,
    rule TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (service, rule, key)
);
CREATE INDEX IF NOT EXISTS placement_rules_key ON placement_rules(key);
"""

_COLUMNS = "key, vim_id, kind, name, status, error, dies_at, death, network_key, attached_to, attrs"

QUOTA_METRICS = ("instances", "vcpus", "ram_mb", "networks", "ports", "volumes", "volume_gb")
_USAGE_SELECT = f"SELECT {', '.join(QUOTA_METRICS)} FROM usage WHERE id = 1"


@dataclass(frozen=True, slots=True)
class NewResource:
    """What the driver decided about a resource before asking the inventory to hold it."""

    req: CreateRequest
    flavor: str | None = None
    vcpus: int = 0
    ram_mb: int = 0
    disk_gb: int = 0
    volume_gb: int = 0
    dies_after_s: float | None = None
    quotas: Quotas = field(default_factory=Quotas)
    hosts: int = 8
    """Simulated hypervisors a server may be placed on (settings ``hosts``)."""
    zones: int = 2


def _network_of(cidr: str, what: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(cidr, strict=False)
    except ValueError as exc:
        raise PermanentError(f"{what}: invalid cidr {cidr!r}: {exc}") from exc


def _find_link(req: CreateRequest, kind: ResourceKind) -> list[ResourceRef]:
    return [ref for ref in req.links.values() if ref.kind == kind]


class SimInventory:
    """One connection to a sim inventory file (opened lazily, closed by :meth:`close`)."""

    def __init__(self, path: Path, *, busy_timeout_ms: int = 5000) -> None:
        self.path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()
        self._batch_depth = 0
        """Inside :meth:`batch`: each write is a SAVEPOINT of the batch's one transaction."""

    # -- connection -------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self._conn is not None:
            return self._conn
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path,
                isolation_level=None,
                check_same_thread=False,
                timeout=self._busy_timeout_ms / 1000,
            )
        except (OSError, sqlite3.Error) as exc:
            raise PermanentError(f"sim inventory {self.path}: cannot open: {exc}") from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = OFF")
            conn.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            row = conn.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO meta (name, value) VALUES ('schema', ?)", (SCHEMA_VERSION,)
                )
            elif row[0] != SCHEMA_VERSION:
                conn.execute("ROLLBACK")
                conn.close()
                raise PermanentError(
                    f"sim inventory {self.path}: schema {row[0]} is not the supported "
                    f"{SCHEMA_VERSION}"
                )
            conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise PermanentError(f"sim inventory {self.path}: {exc}") from exc
        log.debug("sim inventory %s opened", self.path)
        self._conn = conn
        return conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group the writes made inside into one transaction (one commit for many requests).

        Each write still succeeds or fails on its own (a SAVEPOINT each); nothing is durable
        until the batch commits, so callers answer their requests only after this returns.
        """
        with self._lock:
            conn = self._connect()
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise TemporaryError(
                    f"sim inventory {self.path} is busy: {exc}", delay=0.1
                ) from exc
            self._batch_depth += 1
            try:
                yield
                conn.execute("COMMIT")
            except BaseException:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    log.warning("sim inventory %s: rollback failed", self.path, exc_info=True)
                raise
            finally:
                self._batch_depth -= 1

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction, taken with the write lock up front (a savepoint when
        inside :meth:`batch`)."""
        with self._lock:
            conn = self._connect()
            nested = self._batch_depth > 0
            try:
                conn.execute("SAVEPOINT one" if nested else "BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise TemporaryError(
                    f"sim inventory {self.path} is busy: {exc}", delay=0.1
                ) from exc
            try:
                yield conn
                conn.execute("RELEASE one" if nested else "COMMIT")
            except BaseException as exc:
                try:
                    if nested:
                        conn.execute("ROLLBACK TO one")
                        conn.execute("RELEASE one")
                    else:
                        conn.execute("ROLLBACK")
                except sqlite3.Error:
                    log.warning("sim inventory %s: rollback failed", self.path, exc_info=True)
                if isinstance(exc, sqlite3.OperationalError):
                    raise TemporaryError(f"sim inventory {self.path}: {exc}", delay=0.1) from exc
                raise

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._connect()
            try:
                yield conn
            except sqlite3.OperationalError as exc:
                raise TemporaryError(f"sim inventory {self.path}: {exc}", delay=0.1) from exc

    # -- queries ----------------------------------------------------------------------------

    def get(self, ref: ResourceRef, *, now: float | None = None) -> ResourceState | None:
        """The resource with ``ref.key`` (or, failing that, ``ref.vim_id``), or ``None``."""
        with self._read() as conn:
            row = self._row(conn, ref)
            if row is None:
                return None
            members = self._members(conn, row[0]) if row[2] == ResourceKind.COMPUTE else []
        return _to_state(row, members, now if now is not None else time.time())

    def all(self, *, now: float | None = None) -> list[ResourceState]:
        """Every resource, oldest first, ERROR ones included."""
        with self._read() as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM resources ORDER BY rowid").fetchall()
        members: dict[str, list[tuple[Any, ...]]] = {}
        for row in rows:
            if row[9] is not None and row[2] in (ResourceKind.PORT, ResourceKind.VOLUME):
                members.setdefault(row[9], []).append(row)
        t = now if now is not None else time.time()
        return [_to_state(row, members.get(row[0], []), t) for row in rows]

    def usage(self) -> dict[str, int]:
        with self._read() as conn:
            row = conn.execute(_USAGE_SELECT).fetchone()
        return {metric: int(value) for metric, value in zip(QUOTA_METRICS, row, strict=True)}

    @staticmethod
    def _row(conn: sqlite3.Connection, ref: ResourceRef) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = conn.execute(
            f"SELECT {_COLUMNS} FROM resources WHERE key = ?", (ref.key,)
        ).fetchone()
        if row is None and ref.vim_id:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM resources WHERE vim_id = ?", (ref.vim_id,)
            ).fetchone()
        return row

    @staticmethod
    def _members(conn: sqlite3.Connection, compute_key: str) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = conn.execute(
            f"SELECT {_COLUMNS} FROM resources WHERE attached_to = ? ORDER BY rowid",
            (compute_key,),
        ).fetchall()
        return rows

    # -- changes ----------------------------------------------------------------------------

    def create(
        self, key: str, plan: Callable[[], NewResource], *, now: float | None = None
    ) -> tuple[ResourceState, bool]:
        """Return the resource with ``key``, creating it from ``plan()`` if it does not exist.

        The result says whether it was created now. Lookup, ``plan()`` and insert run in one
        write transaction, so two processes creating the same key make one resource; when the key
        exists, ``plan`` is not called (so a changed config cannot fail an idempotent create).
        """
        t = now if now is not None else time.time()
        with self._write() as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM resources WHERE key = ?", (key,)).fetchone()
            created = row is None
            if row is None:
                new = plan()
                if new.req.key != key:
                    raise ValueError(f"plan for {key!r} returned a request for {new.req.key!r}")
                self._insert(conn, new, t)
                row = conn.execute(
                    f"SELECT {_COLUMNS} FROM resources WHERE key = ?", (key,)
                ).fetchone()
            members = self._members(conn, key) if row[2] == ResourceKind.COMPUTE else []
        return _to_state(row, members, t), created

    def _insert(self, conn: sqlite3.Connection, new: NewResource, now: float) -> None:
        req = new.req
        vim_id = str(uuid.uuid4())
        claims: list[tuple[str, int]] = []
        attrs: dict[str, Any] = {}
        network_key: str | None = None
        attached_to: str | None = None
        delta: dict[str, int] = {}
        if req.kind == ResourceKind.COMPUTE:
            delta = {"instances": 1, "vcpus": new.vcpus, "ram_mb": new.ram_mb}
        elif req.kind == ResourceKind.NETWORK:
            delta = {"networks": 1}
        elif req.kind == ResourceKind.PORT:
            delta = {"ports": 1}
        elif req.kind == ResourceKind.VOLUME:
            delta = {"volumes": 1, "volume_gb": new.volume_gb}
        self._charge(conn, delta, new.quotas)

        if req.kind == ResourceKind.COMPUTE:
            host = self._place(conn, new)
            private = self._allocate(conn, DEFAULT_POOL, req.key, claims, DEFAULT_POOL_CIDR)
            public = _public_of(claims[-1][1])
            attrs = {
                "flavor": new.flavor,
                "vcpus": new.vcpus,
                "ram_mb": new.ram_mb,
                "disk_gb": new.disk_gb,
                "default_address": private,
                "public_address": public,
                "host": host.name,
                "zone": host.zone,
            }
            if req.placement:
                attrs["placement"] = list(dict.fromkeys(req.placement))
            for ref in _find_link(req, ResourceKind.VOLUME):
                volume = self._linked(conn, ref, req, "volume")
                conn.execute(
                    "UPDATE resources SET attached_to = ? WHERE key = ?", (req.key, volume)
                )
        elif req.kind == ResourceKind.NETWORK:
            attrs = self._create_network(conn, req)
        elif req.kind == ResourceKind.PORT:
            nets = _find_link(req, ResourceKind.NETWORK)
            if nets:
                network_key = self._linked(conn, nets[0], req, "network")
                net_row = conn.execute(
                    "SELECT vim_id, name FROM resources WHERE key = ?", (network_key,)
                ).fetchone()
                pool, network_id, network_name = network_key, net_row[0], net_row[1]
            else:
                pool, network_id, network_name = DEFAULT_POOL, None, DEFAULT_NETWORK_NAME
            computes = _find_link(req, ResourceKind.COMPUTE)
            if computes:
                attached_to = self._linked(conn, computes[0], req, "compute")
            fixed = req.properties.get("ip_address")
            ip = self._allocate(
                conn,
                pool,
                req.key,
                claims,
                DEFAULT_POOL_CIDR if pool == DEFAULT_POOL else None,
                fixed=fixed if isinstance(fixed, str) and fixed else None,
            )
            mac = "fa:16:3e:" + ":".join(vim_id.replace("-", "")[i : i + 2] for i in (0, 2, 4))
            order = req.properties.get("order")
            attrs = {
                "ip_address": ip,
                "mac_address": mac,
                "network_id": network_id,
                "network_name": network_name,
                # TOSCA 1.3 §5.8.x Port.order / SOL001 VduCp.order: the NIC's position
                "order": order if isinstance(order, int) else None,
            }
        elif req.kind == ResourceKind.VOLUME:
            attrs = {"size_gb": new.volume_gb}
            computes = _find_link(req, ResourceKind.COMPUTE)
            if computes:
                attached_to = self._linked(conn, computes[0], req, "compute")
        else:
            raise PermanentError(f"{req.node_id}: the sim VIM cannot create {req.kind} resources")

        dies_at = None if new.dies_after_s is None else now + new.dies_after_s
        death = (
            None
            if new.dies_after_s is None
            else f"injected fault: died {new.dies_after_s:g}s after creation"
        )
        conn.execute(
            "INSERT INTO resources (key, vim_id, kind, name, service, node_id, node_type, status,"
            " error, created_at, dies_at, death, network_key, attached_to, vcpus, ram_mb,"
            " volume_gb, claims, attrs)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                req.key,
                vim_id,
                str(req.kind),
                req.name,
                req.service,
                req.node_id,
                req.node_type,
                str(ResourceStatus.ACTIVE),
                now,
                dies_at,
                death,
                network_key,
                attached_to,
                new.vcpus,
                new.ram_mb,
                new.volume_gb,
                json.dumps(claims, separators=(",", ":")),
                json.dumps(attrs, separators=(",", ":")),
            ),
        )

    @staticmethod
    def _place(conn: sqlite3.Connection, new: NewResource) -> Hypervisor:
        """Choose the server's host by its placement rules and record it (and its groups)."""
        req = new.req
        rules = [parse_rule(text, req.node_id) for text in dict.fromkeys(req.placement)]
        members: dict[str, list[Hypervisor]] = {}
        for rule in rules:
            rows = conn.execute(
                "SELECT p.host, p.zone FROM placement_rules r JOIN placements p ON p.key = r.key"
                " WHERE r.service = ? AND r.rule = ? ORDER BY p.rowid",
                (req.service, rule.text),
            ).fetchall()
            members[rule.text] = [Hypervisor(host, zone) for host, zone in rows]
        load = {
            str(host): int(count)
            for host, count in conn.execute(
                "SELECT host, COUNT(*) FROM placements GROUP BY host"
            ).fetchall()
        }
        host = choose_host(
            req.node_id, rules, hypervisors(new.hosts, new.zones), members, load
        )
        conn.execute(
            "INSERT OR REPLACE INTO placements (key, host, zone) VALUES (?, ?, ?)",
            (req.key, host.name, host.zone),
        )
        conn.executemany(
            "INSERT OR IGNORE INTO placement_rules (service, rule, key) VALUES (?, ?, ?)",
            [(req.service, rule.text, req.key) for rule in rules],
        )
        return host

    @staticmethod
    def _linked(conn: sqlite3.Connection, ref: ResourceRef, req: CreateRequest, what: str) -> str:
        row = conn.execute("SELECT key, kind FROM resources WHERE key = ?", (ref.key,)).fetchone()
        if row is None and ref.vim_id:
            row = conn.execute(
                "SELECT key, kind FROM resources WHERE vim_id = ?", (ref.vim_id,)
            ).fetchone()
        if row is None or row[1] != ref.kind:
            raise PermanentError(
                f"{req.node_id}: linked {what} {ref.key!r} does not exist in the sim VIM"
            )
        key: str = row[0]
        return key

    @staticmethod
    def _charge(conn: sqlite3.Connection, delta: Mapping[str, int], quotas: Quotas) -> None:
        if not delta:
            return
        current = conn.execute(_USAGE_SELECT).fetchone()
        for metric, used in zip(QUOTA_METRICS, current, strict=True):
            add = delta.get(metric, 0)
            limit: int | None = getattr(quotas, metric)
            if add > 0 and limit is not None and used + add > limit:
                raise PermanentError(f"quota exceeded: {metric} {used + add} > {limit}")
        _add_usage(conn, delta)

    def _create_network(self, conn: sqlite3.Connection, req: CreateRequest) -> dict[str, Any]:
        """Allocate the network's subnet and address pool (TOSCA 1.3 §5.9.8 Network properties:
        ``cidr``, ``start_ip``, ``end_ip``, ``gateway_ip``; SOL001 ``vl_profile`` l3 data)."""
        props = req.properties
        cidr = props.get("cidr")
        if not cidr:
            for proto in _list(_map(props.get("vl_profile")).get("virtual_link_protocol_data")):
                l3 = _map(_map(proto).get("l3_protocol_data"))
                if l3.get("cidr"):
                    cidr = l3["cidr"]
                    props = {**props, **{k: v for k, v in l3.items() if k == "gateway_ip"}}
                    break
        net = _network_of(str(cidr), req.node_id) if cidr else self._next_auto_cidr(conn)
        size = net.num_addresses
        if size < 4:
            raise PermanentError(f"{req.node_id}: network {net} is too small for a subnet")
        last_host = min(size - 2 if net.version == 4 else size - 1, _MAX_OFFSET)
        first, last = 1, last_host
        base = int(net.network_address)
        for prop, bound in (("start_ip", "first"), ("end_ip", "last")):
            if props.get(prop):
                offset = _offset_in(net, str(props[prop]), f"{req.node_id}: {prop}")
                if bound == "first":
                    first = offset
                else:
                    last = offset
        if first > last:
            raise PermanentError(f"{req.node_id}: start_ip is after end_ip")
        gateway = props.get("gateway_ip")
        gw_offset = _offset_in(net, str(gateway), f"{req.node_id}: gateway_ip") if gateway else 1
        conn.execute(
            "INSERT OR REPLACE INTO pools (pool, cidr, first, last, next) VALUES (?, ?, ?, ?, ?)",
            (req.key, str(net), first, last, first),
        )
        conn.execute("DELETE FROM addresses WHERE pool = ?", (req.key,))
        conn.execute(
            "INSERT INTO addresses (pool, offset, owner) VALUES (?, ?, ?)",
            (req.key, gw_offset, req.key),
        )
        return {
            "cidr": str(net),
            "gateway_ip": str(ipaddress.ip_address(base + gw_offset)),
            "ip_version": net.version,
            "network_name": req.name,
        }

    @staticmethod
    def _next_auto_cidr(conn: sqlite3.Connection) -> ipaddress.IPv4Network:
        row = conn.execute("SELECT value FROM meta WHERE name = 'next_net'").fetchone()
        start = int(row[0]) if row else 0
        for step in range(65536):
            n = (start + step) % 65536
            net = ipaddress.IPv4Network(f"10.{n // 256}.{n % 256}.0/24")
            if conn.execute("SELECT 1 FROM pools WHERE cidr = ?", (str(net),)).fetchone() is None:
                conn.execute(
                    "INSERT OR REPLACE INTO meta (name, value) VALUES ('next_net', ?)",
                    (str((n + 1) % 65536),),
                )
                return net
        raise PermanentError("the sim VIM has no free 10.x.y.0/24 subnet left")

    @staticmethod
    def _allocate(
        conn: sqlite3.Connection,
        pool: str,
        owner: str,
        claims: list[tuple[str, int]],
        builtin_cidr: str | None,
        *,
        fixed: str | None = None,
    ) -> str:
        row = conn.execute(
            "SELECT cidr, first, last, next FROM pools WHERE pool = ?", (pool,)
        ).fetchone()
        if row is None:
            if builtin_cidr is None:
                raise PermanentError(f"sim VIM: address pool {pool!r} does not exist")
            size = _net(builtin_cidr).num_addresses
            row = (builtin_cidr, 1, size - 2, 1)
            conn.execute(
                "INSERT INTO pools (pool, cidr, first, last, next) VALUES (?, ?, ?, ?, ?)",
                (pool, *row),
            )
        net = _net(row[0])
        first, last, candidate = int(row[1]), int(row[2]), int(row[3])
        if fixed is not None:
            offset = _offset_in(net, fixed, f"{owner}: ip_address")
            if not _claim(conn, pool, offset, owner):
                # The network's own gateway reservation may be taken by a port that asks for
                # it explicitly: that port is the gateway (a vRouter's LAN interface).
                taken = conn.execute(
                    "UPDATE addresses SET owner = ? WHERE pool = ? AND offset = ? AND owner = ?",
                    (owner, pool, offset, pool),
                ).rowcount
                if not taken:
                    raise PermanentError(f"ip_address {fixed} is already in use in {net}")
            claims.append((pool, offset))
            return _address(row[0], offset)
        if not first <= candidate <= last:
            candidate = first
        for _ in range(last - first + 1):
            if _claim(conn, pool, candidate, owner):
                claims.append((pool, candidate))
                following = candidate + 1 if candidate < last else first
                conn.execute("UPDATE pools SET next = ? WHERE pool = ?", (following, pool))
                return _address(row[0], candidate)
            candidate = candidate + 1 if candidate < last else first
        raise PermanentError(f"no free address left in {net}")

    def delete(self, ref: ResourceRef) -> bool:
        """Remove the resource; ``False`` if it was not there (deletes are idempotent)."""
        with self._write() as conn:
            row = conn.execute(
                "SELECT key, kind, vcpus, ram_mb, volume_gb, name, claims FROM resources "
                "WHERE key = ?",
                (ref.key,),
            ).fetchone()
            if row is None and ref.vim_id:
                row = conn.execute(
                    "SELECT key, kind, vcpus, ram_mb, volume_gb, name, claims FROM resources "
                    "WHERE vim_id = ?",
                    (ref.vim_id,),
                ).fetchone()
            if row is None:
                return False
            key, kind = row[0], row[1]
            if kind == ResourceKind.NETWORK:
                (in_use,) = conn.execute(
                    "SELECT COUNT(*) FROM resources WHERE network_key = ?", (key,)
                ).fetchone()
                if in_use:
                    raise TemporaryError(
                        f"network {row[5]!r} ({key}) is in use by {in_use} port(s)", delay=1.0
                    )
                conn.execute("DELETE FROM addresses WHERE pool = ?", (key,))
                conn.execute("DELETE FROM pools WHERE pool = ?", (key,))
                delta = {"networks": -1}
            elif kind == ResourceKind.COMPUTE:
                conn.execute(
                    "UPDATE resources SET attached_to = NULL WHERE attached_to = ?", (key,)
                )
                conn.execute("DELETE FROM placements WHERE key = ?", (key,))
                conn.execute("DELETE FROM placement_rules WHERE key = ?", (key,))
                delta = {"instances": -1, "vcpus": -int(row[2]), "ram_mb": -int(row[3])}
            elif kind == ResourceKind.PORT:
                delta = {"ports": -1}
            else:
                delta = {"volumes": -1, "volume_gb": -int(row[4])}
            conn.executemany(
                "DELETE FROM addresses WHERE pool = ? AND offset = ?",
                [(pool, offset) for pool, offset in json.loads(row[6])],
            )
            conn.execute("DELETE FROM resources WHERE key = ?", (key,))
            _add_usage(conn, delta)
            return True

    def mark_error(self, key_or_name: str, error: str) -> list[str]:
        """Set every resource whose key, vim id or name is ``key_or_name`` to ERROR."""
        with self._write() as conn:
            keys = [
                r[0]
                for r in conn.execute(
                    "SELECT key FROM resources WHERE key = ? OR vim_id = ? OR name = ?",
                    (key_or_name, key_or_name, key_or_name),
                ).fetchall()
            ]
            if not keys:
                raise NotFoundError(f"sim VIM: no resource with key, id or name {key_or_name!r}")
            conn.executemany(
                "UPDATE resources SET status = ?, error = ? WHERE key = ?",
                [(str(ResourceStatus.ERROR), error, k) for k in keys],
            )
        return keys


@functools.lru_cache(maxsize=1024)
def _net(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(cidr)


def _public_of(private_offset: int) -> str:
    """The static-NAT public address of the default-pool address at ``private_offset``."""
    return _address(PUBLIC_CIDR, private_offset)


@functools.lru_cache(maxsize=4096)
def _address_base(cidr: str) -> tuple[int, int]:
    net = _net(cidr)
    return int(net.network_address), net.version


def _address(cidr: str, offset: int) -> str:
    """The address ``offset`` hosts into ``cidr``, as text."""
    base, version = _address_base(cidr)
    value = base + offset
    if version == 4:
        return f"{value >> 24}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}"
    return str(ipaddress.IPv6Address(value))


def _add_usage(conn: sqlite3.Connection, delta: Mapping[str, int]) -> None:
    changes = [(metric, add) for metric, add in delta.items() if add]
    if changes:
        assignments = ", ".join(f"{metric} = MAX(0, {metric} + ?)" for metric, _ in changes)
        conn.execute(
            f"UPDATE usage SET {assignments} WHERE id = 1", tuple(add for _, add in changes)
        )


def _claim(conn: sqlite3.Connection, pool: str, offset: int, owner: str) -> bool:
    """Take one address of ``pool`` for ``owner``; ``False`` if it is already taken."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO addresses (pool, offset, owner) VALUES (?, ?, ?)",
        (pool, offset, owner),
    )
    return cursor.rowcount == 1


def _map(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _offset_in(net: ipaddress.IPv4Network | ipaddress.IPv6Network, ip: str, what: str) -> int:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError as exc:
        raise PermanentError(f"{what}: {ip!r} is not an IP address") from exc
    if addr not in net or addr in (net.network_address, net.broadcast_address):
        raise PermanentError(f"{what}: {ip} is not a host address of {net}")
    offset = int(addr) - int(net.network_address)
    if offset > _MAX_OFFSET:
        raise PermanentError(f"{what}: {ip} is outside the simulated part of {net}")
    return offset


def _to_state(row: tuple[Any, ...], members: list[tuple[Any, ...]], now: float) -> ResourceState:
    key, vim_id, kind, name, status, error, dies_at, death, _net, _att, attrs_json = row
    attrs: dict[str, Any] = json.loads(attrs_json)
    resource_kind = ResourceKind(kind)
    if resource_kind == ResourceKind.COMPUTE:
        attrs = _compute_attributes(attrs, members)
    state_status = ResourceStatus(status)
    if state_status == ResourceStatus.ACTIVE and dies_at is not None and now >= dies_at:
        state_status, error = ResourceStatus.ERROR, death
    return ResourceState(
        key=key,
        kind=resource_kind,
        name=name,
        status=state_status,
        vim_id=vim_id,
        attributes=attrs,
        error=error,
    )


def _compute_attributes(static: dict[str, Any], members: list[tuple[Any, ...]]) -> dict[str, Any]:
    """TOSCA 1.3 §5.9.2 ``tosca.nodes.Compute`` attributes: ``private_address``,
    ``public_address``, ``networks`` (map of NetworkInfo, §5.3.3) and ``ports`` (map of PortInfo,
    §5.3.4), from the ports bound to the server."""
    attrs = {k: v for k, v in static.items() if k != "default_address"}
    networks: dict[str, dict[str, Any]] = {}
    ports: dict[str, dict[str, Any]] = {}
    volumes: list[str] = []

    def nic_order(member: tuple[Any, ...]) -> int:
        order = json.loads(member[10]).get("order")
        return order if isinstance(order, int) else 1 << 30

    # NICs in their declared order (then creation order): private_address is the first NIC's.
    for member in sorted(members, key=nic_order):
        m_kind, m_name, m_vim_id = member[2], member[3], member[1]
        m_attrs = json.loads(member[10])
        if m_kind == ResourceKind.VOLUME:
            volumes.append(m_vim_id)
            continue
        if m_kind != ResourceKind.PORT:
            continue
        ip = m_attrs.get("ip_address")
        ports[m_name] = {
            "port_name": m_name,
            "port_id": m_vim_id,
            "network_id": m_attrs.get("network_id"),
            "mac_address": m_attrs.get("mac_address"),
            "addresses": [ip] if ip else [],
        }
        net_name = m_attrs.get("network_name") or DEFAULT_NETWORK_NAME
        info = networks.setdefault(
            net_name,
            {"network_name": net_name, "network_id": m_attrs.get("network_id"), "addresses": []},
        )
        if ip:
            info["addresses"].append(ip)
    first_ip = next((p["addresses"][0] for p in ports.values() if p["addresses"]), None)
    if first_ip is None:
        default = static.get("default_address")
        attrs["private_address"] = default
        networks = {
            DEFAULT_NETWORK_NAME: {
                "network_name": DEFAULT_NETWORK_NAME,
                "network_id": None,
                "addresses": [default] if default else [],
            }
        }
    else:
        attrs["private_address"] = first_ip
    attrs["networks"] = networks
    attrs["ports"] = ports
    attrs["volumes"] = volumes
    return attrs
