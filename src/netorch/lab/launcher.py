"""``netorch lab up | status | down``: real simulated devices on 127.0.0.1.

* NETCONF devices ``pe1..peN``: yuma123 ``netconfd`` in its own network namespace
  ``nclab-<port>`` behind its own ``sshd`` (NETCONF over SSH, RFC 6242), plus one net-snmp
  ``snmpd`` each (SNMPv2c and SNMPv3 authPriv, sysName = the device name).
* CLI devices ``sw1..``: an ``sshd`` with a login shell (netmiko platform ``linux``).

``up`` writes ``inventory.yaml``, ``secrets.yaml`` (0600), ``known_hosts``, ``inputs.yaml``,
``env.sh`` and ``state.json`` into the lab dir. ``down`` stops exactly the processes recorded in
``state.json`` (PID + start time) and deletes the namespaces recorded there.

What cannot run here (not root, a binary missing) is reported in :attr:`Inventory.skipped`
and the rest still starts; a service that should start but does not come up is an error
(:class:`LabError`, with the tail of its log) and everything started is stopped again.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import pwd
import random
import shlex
import shutil
import socket
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from netorch.lab import daemons, host, procs
from netorch.lab.daemons import HOST
from netorch.lab.inventory import (
    ENV_FILE,
    INPUTS_FILE,
    KNOWN_HOSTS_FILE,
    SECRETS_FILE,
    Inventory,
    LabDevice,
    Skipped,
)
from netorch.lab.state import LabProcess, LabState
from netorch.model.errors import ConflictError, PermanentError
from netorch.model.network import DeviceDriverKind, DeviceEndpoint, SnmpAccess

log = logging.getLogger(__name__)

NETCONF_BASE, SNMP_BASE, CLI_BASE = 8830, 1161, 2222
AUTO_PORT_RANGE = (12000, 32000)
"""``base_port=0`` picks a free block here (below Linux's ephemeral range 32768-60999)."""


class LabError(PermanentError):
    """The lab could not be started (a service did not come up, a port is taken …)."""


class LabRunning(ConflictError):
    """``up`` on a lab dir whose lab still runs."""


@dataclass(frozen=True, slots=True)
class DevicePlan:
    name: str
    kind: DeviceDriverKind
    port: int
    snmp_port: int | None = None
    target: str = "candidate"

    @property
    def netns(self) -> str:
        return f"nclab-{self.port}"


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    device: str
    service: str
    pid: int
    alive: bool
    port: int | None
    protocol: str


@dataclass(frozen=True, slots=True)
class LabStatus:
    """What ``lab status`` reports: every recorded process and namespace, alive or not."""

    lab_dir: Path
    running: bool
    """A lab was started here and not stopped (``state.json`` exists)."""
    services: tuple[ServiceStatus, ...] = ()
    namespaces: tuple[tuple[str, bool], ...] = ()

    @property
    def healthy(self) -> bool:
        return (self.running and all(s.alive for s in self.services)
                and all(ok for _, ok in self.namespaces))

    def to_dict(self) -> dict[str, Any]:
        return {"lab_dir": str(self.lab_dir), "running": self.running, "healthy": self.healthy,
                "services": [{"device": s.device, "service": s.service, "pid": s.pid,
                              "alive": s.alive, "port": s.port, "protocol": s.protocol}
                             for s in self.services],
                "namespaces": [{"name": n, "present": ok} for n, ok in self.namespaces]}


# --- planning ---------------------------------------------------------------------------------

def plan_devices(devices: int, *, cli_devices: int = 1, base_port: int | None = None,
                 running_only: int = 0, snmp: bool = True) -> list[DevicePlan]:
    """Names and ports. Without ``base_port``: NETCONF 8830+i, SNMP udp 1161+i, CLI 2222+j.
    With ``base_port`` P: NETCONF P+i, CLI P+N+j (tcp), and each device's SNMP on udp at the
    same number as its NETCONF port."""
    if devices < 0 or cli_devices < 0 or not 0 <= running_only <= devices:
        raise LabError(f"bad device counts: devices={devices} cli={cli_devices} "
                       f"running_only={running_only}")
    plans: list[DevicePlan] = []
    for i in range(devices):
        port = (NETCONF_BASE if base_port is None else base_port) + i
        snmp_port = (SNMP_BASE + i if base_port is None else port) if snmp else None
        target = "running" if i >= devices - running_only else "candidate"
        plans.append(DevicePlan(f"pe{i + 1}", DeviceDriverKind.NETCONF, port, snmp_port, target))
    for j in range(cli_devices):
        port = (CLI_BASE if base_port is None else base_port + devices) + j
        plans.append(DevicePlan(f"sw{j + 1}", DeviceDriverKind.CLI, port))
    return plans


def _busy_ports(plans: Iterable[DevicePlan], *, netns: bool = False) -> list[str]:
    """What is taken: ports, and with ``netns`` existing namespaces of the same names (a
    namespace alone is a crashed lab's leftover: ``up`` replaces it)."""
    busy = []
    for p in plans:
        if not procs.tcp_free(p.port):
            busy.append(f"tcp/{p.port} ({p.name})")
        if p.snmp_port is not None and not procs.udp_free(p.snmp_port):
            busy.append(f"udp/{p.snmp_port} ({p.name} snmp)")
        if netns and p.kind is DeviceDriverKind.NETCONF and host.netns_exists(p.netns):
            busy.append(f"netns {p.netns} ({p.name})")
    return busy


def _auto_plan(devices: int, cli_devices: int, running_only: int,
               snmp: bool) -> list[DevicePlan]:
    rng = random.Random()
    width = devices + cli_devices
    for _ in range(50):
        base = rng.randrange(AUTO_PORT_RANGE[0], AUTO_PORT_RANGE[1] - width)
        plans = plan_devices(devices, cli_devices=cli_devices, base_port=base,
                             running_only=running_only, snmp=snmp)
        if not _busy_ports(plans, netns=True):
            return plans
    raise LabError(f"no free block of {width} ports in {AUTO_PORT_RANGE}")


# --- up ---------------------------------------------------------------------------------------

@dataclass(slots=True)
class _Up:
    """One ``up`` in progress."""

    lab_dir: Path
    runtime: Path
    state: LabState
    yang_dirs: list[Path]
    bins: dict[str, str | None]
    skipped: list[Skipped] = field(default_factory=list)
    host_keys: dict[str, str] = field(default_factory=dict)
    homes: dict[str, Path] = field(default_factory=dict)
    processes: dict[str, dict[str, int]] = field(default_factory=dict)
    waits: list[LabProcess] = field(default_factory=list)

    def bin(self, name: str) -> str:
        path = self.bins.get(name)
        assert path is not None, name
        return path

    def record(self, plan: DevicePlan, service: str, argv: list[str], *, log_file: Path,
               cwd: Path, port: int | None, protocol: str, env: dict[str, str] | None = None,
               socket_path: Path | None = None, udp_handover: bool = False) -> None:
        recipe = LabProcess(plan.name, service, 0, 0, port, protocol, str(log_file),
                            argv=tuple(argv), cwd=str(cwd), env=env,
                            socket=None if socket_path is None else str(socket_path),
                            udp_handover=udp_handover)
        entry = _launch(recipe)
        self.state.add_process(entry)
        with self.state.lock:
            self.processes.setdefault(plan.name, {})[service] = entry.pid
            self.waits.append(entry)


def _launch(recipe: LabProcess) -> LabProcess:
    """Start a process from its recipe; the recipe with the new PID and start time."""
    kw: dict[str, Any] = {"log_file": Path(recipe.log), "cwd": Path(recipe.cwd),
                          "env": recipe.env}
    if recipe.socket is not None:
        Path(recipe.socket).unlink(missing_ok=True)
    if recipe.udp_handover and recipe.port is not None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((HOST, recipe.port))
            pid = procs.spawn(recipe.argv, stdin_fd=sock.fileno(), **kw)
    else:
        pid = procs.spawn(recipe.argv, **kw)
    return dataclasses.replace(recipe, pid=pid.pid, start_time=pid.start_time)


def _ready(p: LabProcess) -> Callable[[], bool]:
    """How to tell that a started process serves: netconfd's socket exists, sshd sends its SSH
    banner, snmpd answers a GET of sysName with the device's name."""
    if p.socket is not None:
        return Path(p.socket).exists
    port = p.port
    if port is None:
        return lambda: True
    if p.service == "snmpd":
        return lambda: procs.snmp_get_string(HOST, port, daemons.SNMP_COMMUNITY) == p.device
    return lambda: procs.ssh_banner(HOST, port) is not None


def _what_cannot_run(plans: list[DevicePlan], bins: dict[str, str | None],
                     snmp_wanted: bool) -> tuple[list[Skipped], set[tuple[str, str]]]:
    """(reasons, {(device, service)} that will not be started)."""
    root = procs.is_root()
    skipped: list[Skipped] = []
    off: set[tuple[str, str]] = set()

    def missing(*names: str) -> list[str]:
        return [n for n in names if bins.get(n) is None]

    def why(needs_root: bool, names: list[str], hint: str) -> str | None:
        parts = []
        if needs_root and not root:
            parts.append("needs root (network namespace, login users, sshd password auth)")
        if names:
            parts.append(f"missing {', '.join(names)} (apt-get install {hint})")
        return "; ".join(parts) or None

    nc_reason = why(True, missing("netconfd", "netconf-subsystem", "sshd", "ssh-keygen", "ip",
                                  "useradd", "chpasswd"),
                    "netconfd netconfd-module-ietf-interfaces openssh-server iproute2")
    cli_reason = why(True, missing("sshd", "ssh-keygen", "useradd", "chpasswd", "bash"),
                     "openssh-server")
    snmp_reason = why(False, missing("snmpd"), "snmpd")
    for p in plans:
        if p.kind is DeviceDriverKind.NETCONF:
            if nc_reason:
                skipped.append(Skipped(p.name, "netconfd", nc_reason))
                off.add((p.name, "netconfd"))
            if snmp_wanted and p.snmp_port is not None and snmp_reason:
                skipped.append(Skipped(p.name, "snmpd", snmp_reason))
                off.add((p.name, "snmpd"))
        elif cli_reason:
            skipped.append(Skipped(p.name, "sshd", cli_reason))
            off.add((p.name, "sshd"))
    return skipped, off


def _find_bins() -> dict[str, str | None]:
    names = ["netconfd", "sshd", "ssh-keygen", "ip", "useradd", "usermod", "chpasswd", "snmpd",
             "bash"]
    bins = {n: procs.which(n) for n in names}
    subsystem = Path(daemons.NETCONF_SUBSYSTEM)
    bins["netconf-subsystem"] = str(subsystem) if subsystem.exists() else procs.which(
        "netconf-subsystem")
    return bins


def up(lab_dir: Path, devices: int = 2, *, base_port: int | None = None,
       running_only: int = 0, cli_devices: int = 1, snmp: bool = True,
       yang_dir: Path | None = None, timeout: float = 30.0, workers: int = 16) -> Inventory:
    """Start the lab in ``lab_dir`` and return its inventory.

    ``base_port=0`` picks a free block of ports (for tests and benches running next to other
    labs). ``running_only`` K: the last K NETCONF devices run ``--target=running`` (no
    :candidate capability). ``yang_dir``: netorch's YANG modules (added to netconfd's
    --modpath before /usr/share/yuma/modules).
    """
    lab_dir = lab_dir.expanduser().resolve()
    lab_dir.mkdir(parents=True, exist_ok=True)
    previous = LabState.load(lab_dir)
    if previous is not None:
        live = [p for p in previous.processes if procs.alive(p.proc)]
        if live:
            raise LabRunning(f"a lab is already running in {lab_dir} ({len(live)} processes, "
                             "e.g. " + ", ".join(f"{p.device}/{p.service} pid {p.pid}"
                                                 for p in live[:3])
                             + "): run `netorch lab down` first")
        log.info("cleaning up the stopped lab left in %s", lab_dir)
        down(lab_dir)

    if base_port == 0:
        plans = _auto_plan(devices, cli_devices, running_only, snmp)
    else:
        plans = plan_devices(devices, cli_devices=cli_devices, base_port=base_port,
                             running_only=running_only, snmp=snmp)
        busy = _busy_ports(plans)
        if busy:
            raise LabError("already in use: " + ", ".join(busy)
                           + " (another lab? pick --base-port, or `netorch lab down`)")

    bins = _find_bins()
    skipped, off = _what_cannot_run(plans, bins, snmp)
    for s in skipped:
        log.warning("lab: not starting %s", s)

    runtime = host.runtime_dir(lab_dir)
    job = _Up(lab_dir=lab_dir, runtime=runtime,
              state=LabState(lab_dir=lab_dir, runtime_dir=str(runtime)),
              yang_dirs=[d for d in (yang_dir, daemons.YUMA_MODULES) if d is not None],
              bins=bins, skipped=skipped)
    _prepare(job, plans, off)
    job.state.save()
    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            list(pool.map(lambda p: _start_device(job, p, off), plans))
        job.state.save()
        failures = _wait_all(job, timeout, workers)
        if failures:
            raise LabError("the lab did not come up; everything it started was stopped:\n"
                           + "\n".join(failures))
        inventory = _write_files(job, plans)
    except BaseException:  # a failure, or Ctrl-C: stop what was started, keep state.json
        job.state.save()
        _stop_state(job.state)
        raise
    log.info("lab up in %s: %d devices", lab_dir, len(inventory.devices))
    return inventory


def _prepare(job: _Up, plans: list[DevicePlan], off: set[tuple[str, str]]) -> None:
    """Directories, the helper script, the client key pair and login users (serially)."""
    for d in (job.lab_dir / "devices", job.lab_dir / "bin"):
        d.mkdir(parents=True, exist_ok=True)
    host.write_helper_bin(job.lab_dir / "bin")
    job.runtime.mkdir(parents=True, exist_ok=True)
    for d in (job.runtime, *job.runtime.parents):
        if d == Path("/run") or d == Path("/tmp") or d == Path("/"):
            break
        d.chmod(0o755)
    wants_ssh = any((p.name, _ssh_service(p)) not in off for p in plans)
    if not wants_ssh:
        return
    client_pub = host.keygen(job.lab_dir / "client_key", "netorch-lab-client")
    keys = job.runtime / "authorized_keys"
    keys.write_text(client_pub + "\n")
    keys.chmod(0o644)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation dir
    users: list[tuple[str, str, Path | None, str, str]] = []
    if any(p.kind is DeviceDriverKind.NETCONF and (p.name, "netconfd") not in off
           for p in plans):
        users.append(("netconfd", daemons.NETCONF_USER, None, "/bin/sh",
                      daemons.NETCONF_PASSWORD))
    if any(p.kind is DeviceDriverKind.CLI and (p.name, "sshd") not in off for p in plans):
        users.append(("sshd", daemons.CLI_USER, daemons.CLI_PASSWD_HOME,
                      "/bin/bash" if Path("/bin/bash").exists() else job.bin("bash"),
                      daemons.CLI_PASSWORD))
    for service, name, home, shell, password in users:
        try:
            host.ensure_user(name, password, home=home, shell=shell)
        except procs.HelperFailed as exc:
            kind = DeviceDriverKind.NETCONF if service == "netconfd" else DeviceDriverKind.CLI
            for p in plans:
                if p.kind is kind and (p.name, service) not in off:
                    job.skipped.append(Skipped(p.name, service, f"login user {name}: {exc}"))
                    off.add((p.name, service))


def _ssh_service(plan: DevicePlan) -> str:
    """The service that makes a device reachable over SSH (what ``off`` names)."""
    return "netconfd" if plan.kind is DeviceDriverKind.NETCONF else "sshd"


def _start_device(job: _Up, plan: DevicePlan, off: set[tuple[str, str]]) -> None:
    run_dir = job.lab_dir / "devices" / plan.name
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    if plan.kind is DeviceDriverKind.NETCONF:
        if (plan.name, "netconfd") not in off:
            _start_netconf(job, plan, run_dir)
        if plan.snmp_port is not None and (plan.name, "snmpd") not in off:
            _start_snmpd(job, plan, run_dir)
    elif (plan.name, "sshd") not in off:
        home = _device_home(job, plan)
        _start_sshd(job, plan, run_dir, user=daemons.CLI_USER, subsystem=None, home=home)


def _start_netconf(job: _Up, plan: DevicePlan, run_dir: Path) -> None:
    host.netns_create(plan.netns)
    job.state.add_namespace(plan.netns)
    # netconfd writes backup-cfg.xml into its CWD and NV-saves commits to --startup.
    (run_dir / "startup-cfg.xml").write_text(daemons.EMPTY_CONFIG)
    modules = tuple(m for m in daemons.NETCONF_MODULES if daemons.find_module(m, job.yang_dirs))
    sock = job.runtime / f"nc-{plan.port}.sock"
    sock.unlink(missing_ok=True)
    setup = daemons.NetconfdSetup(run_dir=run_dir, socket=sock, port=plan.port,
                                  target=plan.target, modpath=tuple(job.yang_dirs),
                                  modules=modules, netns=plan.netns,
                                  bin_dir=job.lab_dir / "bin")
    out = run_dir / "netconfd.out"
    job.record(plan, "netconfd", setup.argv(job.bin("ip"), job.bin("netconfd")),
               log_file=out, cwd=run_dir, port=None, protocol="unix", env=setup.env(),
               socket_path=sock)
    subsystem = f"{job.bin('netconf-subsystem')} --ncxserver-sockname={plan.port}@{sock}"
    _start_sshd(job, plan, run_dir, user=daemons.NETCONF_USER, subsystem=subsystem)


def _device_home(job: _Up, plan: DevicePlan) -> Path:
    """A CLI device's own home for the shared login user (sshd sets ``HOME`` to it), so
    devices and labs never share what a CLI driver stores in ``$HOME``."""
    base = job.lab_dir if host.world_traversable(job.lab_dir) else job.runtime
    home = base / "home" / plan.name
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    # login shells read .bash_profile, shells sshd runs for a command read .bashrc (Debian's
    # bash): both start in $HOME, not in the passwd home sshd changed to.
    (home / ".bashrc").write_text('cd "$HOME" 2>/dev/null\n')
    (home / ".bash_profile").write_text('. "$HOME/.bashrc"\n')
    entry = pwd.getpwnam(daemons.CLI_USER)
    for path in (home, home / ".bashrc", home / ".bash_profile"):
        os.chown(path, entry.pw_uid, entry.pw_gid)
    home.chmod(0o755)
    return home


def _start_sshd(job: _Up, plan: DevicePlan, run_dir: Path, *, user: str,
                subsystem: str | None, home: Path | None = None) -> None:
    key = run_dir / "ssh_host_ed25519_key"
    pub = host.keygen(key, f"netorch-lab-{plan.name}")
    with job.state.lock:
        job.host_keys[plan.name] = pub
    (run_dir / "sshd_config").write_text(daemons.sshd_config(
        port=plan.port, run_dir=run_dir, host_key=key, user=user,
        authorized_keys=job.runtime / "authorized_keys", subsystem=subsystem, home=home))
    if home is not None:
        with job.state.lock:
            job.homes[plan.name] = home
    job.record(plan, "sshd", daemons.sshd_argv(job.bin("sshd"), run_dir),
               log_file=run_dir / "sshd.out", cwd=run_dir, port=plan.port, protocol="tcp")


def _start_snmpd(job: _Up, plan: DevicePlan, run_dir: Path) -> None:
    assert plan.snmp_port is not None
    port = plan.snmp_port
    (run_dir / "snmp-persist").mkdir()
    (run_dir / "snmpd-overrides.conf").touch()
    descr = (f"netorch lab device {plan.name} (yuma123 netconfd, NETCONF on tcp/{plan.port})"
             if plan.kind is DeviceDriverKind.NETCONF else f"netorch lab device {plan.name}")
    (run_dir / "snmpd.conf").write_text(daemons.snmpd_config(
        port=port, run_dir=run_dir, sys_name=plan.name, descr=descr))
    env = {"PATH": ":".join(procs.SYSTEM_DIRS), "MIBS": "", "LANG": "C"}
    if plan.netns in job.state.namespaces:
        # inside the device's namespace, on a socket bound here in the host namespace
        argv = daemons.snmpd_in_netns_argv(job.bin("snmpd"), run_dir, ip=job.bin("ip"),
                                           netns=plan.netns)
        job.record(plan, "snmpd", argv, log_file=run_dir / "snmpd.out", cwd=run_dir,
                   port=port, protocol="udp", env=env, udp_handover=True)
    else:
        job.record(plan, "snmpd", daemons.snmpd_argv(job.bin("snmpd"), run_dir),
                   log_file=run_dir / "snmpd.out", cwd=run_dir, port=port, protocol="udp",
                   env=env)


def _wait_all(job: _Up, timeout: float, workers: int) -> list[str]:
    return _wait_for(job.waits, timeout, workers)


def _wait_for(started: list[LabProcess], timeout: float, workers: int) -> list[str]:
    """Wait until every process serves; one failure text per process that did not."""
    deadline = time.monotonic() + timeout

    def wait(p: LabProcess) -> str | None:
        ready = _ready(p)
        while True:
            if not procs.alive(p.proc):
                return _failure(p, "exited")
            if ready():
                return None
            if time.monotonic() > deadline:
                return _failure(p, f"did not answer within {timeout:.0f}s")
            time.sleep(0.03)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = list(pool.map(wait, started))
    return [r for r in results if r is not None]


def _failure(p: LabProcess, what: str) -> str:
    where = f"port {p.protocol}/{p.port}" if p.port is not None else "its UNIX socket"
    text = f"- {p.device}/{p.service} (pid {p.pid}, {where}) {what}; log {p.log}"
    logs = [Path(p.log)]
    if p.service == "netconfd":
        logs.append(Path(p.log).with_name("netconfd.log"))
    elif p.service in ("sshd", "snmpd"):
        logs.append(Path(p.log).with_name(f"{p.service}.log"))
    for path in logs:
        tail = procs.log_tail(path)
        if tail:
            text += f"\n  --- {path.name}:\n" + "\n".join(f"  | {line}"
                                                        for line in tail.splitlines())
    return text


def _write_files(job: _Up, plans: list[DevicePlan]) -> Inventory:
    lab = job.lab_dir
    started = job.processes
    devices: list[LabDevice] = []
    credentials: dict[str, dict[str, str]] = {}
    snmp_secrets: dict[str, dict[str, str]] = {}
    inputs: dict[str, Any] = {"device_address": HOST}
    known: list[str] = []
    client_key = lab / "client_key"
    for plan in plans:
        services = started.get(plan.name, {})
        if not services:
            continue
        snmp = None
        if "snmpd" in services and plan.snmp_port is not None:
            snmp = SnmpAccess(host=HOST, port=plan.snmp_port, version="2c",
                              credentials=f"{plan.name}-snmp")
            snmp_secrets[f"{plan.name}-snmp"] = {"community": daemons.SNMP_COMMUNITY}
            snmp_secrets[f"{plan.name}-snmp-v3"] = {
                "user": daemons.SNMP_V3_USER, "auth_key": daemons.SNMP_V3_AUTH,
                "auth_protocol": "SHA", "priv_key": daemons.SNMP_V3_PRIV,
                "priv_protocol": "AES"}
        extras: dict[str, Any] = {"run_dir": str(lab / "devices" / plan.name)}
        if plan.kind is DeviceDriverKind.NETCONF and "netconfd" in services:
            user, password = daemons.NETCONF_USER, daemons.NETCONF_PASSWORD
            endpoint = DeviceEndpoint(plan.name, DeviceDriverKind.NETCONF, "yuma123", HOST,
                                      plan.port, plan.name, snmp)
            netns: str | None = plan.netns
            target: str | None = plan.target
        elif plan.kind is DeviceDriverKind.CLI:
            user, password = daemons.CLI_USER, daemons.CLI_PASSWORD
            endpoint = DeviceEndpoint(plan.name, DeviceDriverKind.CLI, "linux", HOST,
                                      plan.port, plan.name, snmp)
            netns = target = None
            extras["home"] = str(job.homes[plan.name])
        else:  # NETCONF device whose netconfd could not start: monitored over SNMP only
            assert snmp is not None
            endpoint = DeviceEndpoint(plan.name, DeviceDriverKind.SNMP_ONLY, "net-snmp", HOST,
                                      snmp.port, f"{plan.name}-snmp", snmp)
            devices.append(LabDevice(endpoint, services, None, None, extras))
            continue
        credentials[plan.name] = {"username": user, "password": password}
        credentials[f"{plan.name}-key"] = {"username": user, "key_file": str(client_key)}
        known.append(f"[{HOST}]:{plan.port} {job.host_keys[plan.name]}")
        inputs[f"{plan.name}_port"] = plan.port
        if snmp is not None:
            inputs[f"{plan.name}_snmp_port"] = snmp.port
        devices.append(LabDevice(endpoint, services, netns, target, extras))

    secrets = lab / SECRETS_FILE
    secrets.touch(mode=0o600)
    secrets.chmod(0o600)
    secrets.write_text(yaml.safe_dump({"credentials": credentials, "snmp": snmp_secrets},
                                      sort_keys=False))
    known_hosts = lab / KNOWN_HOSTS_FILE
    known_hosts.write_text("".join(line + "\n" for line in known))
    # Only values a template can declare: the loader refuses undeclared inputs, so the file
    # paths the drivers need are comments here (and settings in env.sh).
    (lab / INPUTS_FILE).write_text(
        "# TOSCA inputs for service-templates/stitched-chain.yaml, written by `netorch lab up`\n"
        f"# known_hosts: {known_hosts}\n# secrets_file: {secrets}\n"
        + yaml.safe_dump(inputs, sort_keys=False))
    (lab / ENV_FILE).write_text(
        f"# source me: point netorch's device settings at this lab\n"
        f"export NETORCH_SECRETS_FILE={shlex.quote(str(secrets))}\n"
        f"export NETORCH_KNOWN_HOSTS={shlex.quote(str(known_hosts))}\n")
    inventory = Inventory(lab_dir=lab, secrets_file=secrets, known_hosts=known_hosts,
                          inputs_file=lab / INPUTS_FILE, devices=tuple(devices),
                          skipped=tuple(job.skipped))
    inventory.write()
    return inventory


# --- down / status ----------------------------------------------------------------------------

def _stop_state(state: LabState) -> list[LabProcess]:
    """Stop the recorded processes (sshd first, so no new session reaches a dying netconfd),
    delete the recorded namespaces and the runtime dir."""
    order = {"sshd": 0, "snmpd": 1, "netconfd": 2}
    ranked = sorted(state.processes, key=lambda p: order.get(p.service, 3))
    by_pid = {(p.pid, p.start_time): p for p in ranked}
    stopped = procs.stop([p.proc for p in ranked])
    for ns in state.namespaces:
        host.netns_delete(ns)
    if state.runtime_dir:
        shutil.rmtree(state.runtime_dir, ignore_errors=True)
    return [by_pid[(s.pid, s.start_time)] for s in stopped]


def down(lab_dir: Path) -> list[LabProcess]:
    """Stop what ``up`` started in ``lab_dir``; the processes that were still running.
    Idempotent: nothing to do when no lab runs there."""
    lab_dir = lab_dir.expanduser().resolve()
    state = LabState.load(lab_dir)
    if state is None:
        return []
    stopped = _stop_state(state)
    state.path.unlink(missing_ok=True)
    log.info("lab down in %s: %d processes stopped", lab_dir, len(stopped))
    return stopped


def status(lab_dir: Path) -> LabStatus:
    lab_dir = lab_dir.expanduser().resolve()
    state = LabState.load(lab_dir)
    if state is None:
        return LabStatus(lab_dir=lab_dir, running=False)
    return LabStatus(
        lab_dir=lab_dir, running=True,
        services=tuple(ServiceStatus(p.device, p.service, p.pid, procs.alive(p.proc), p.port,
                                     p.protocol) for p in state.processes),
        namespaces=tuple((ns, host.netns_exists(ns)) for ns in state.namespaces))


def restart(lab_dir: Path, device: str, *, force: bool = False,
            timeout: float = 30.0) -> Inventory:
    """Start a device's stopped processes again (all of them with ``force``), with the same
    command lines, and return the updated inventory (new PIDs; ``inventory.yaml`` is
    rewritten). netconfd reloads what it saved at its last commit (its ``--startup`` file),
    like a rebooted device."""
    lab_dir = lab_dir.expanduser().resolve()
    state = LabState.load(lab_dir)
    if state is None:
        raise LabError(f"no lab running in {lab_dir}")
    inventory = Inventory.load(lab_dir)
    mine = [p for p in state.processes if p.device == device]
    if not mine:
        raise LabError(f"no device {device!r} in the lab in {lab_dir}")
    if force:
        procs.stop([p.proc for p in mine])
    dev = inventory.device(device)
    if dev.netns is not None and not host.netns_exists(dev.netns):
        host.netns_create(dev.netns)
    order = {"netconfd": 0, "snmpd": 1, "sshd": 2}
    dead = sorted((p for p in mine if not procs.alive(p.proc)),
                  key=lambda p: order.get(p.service, 3))
    fresh = [_launch(p) for p in dead]
    replaced = {(p.device, p.service): p for p in fresh}
    with state.lock:
        state.processes = [replaced.get((p.device, p.service), p) for p in state.processes]
    state.save()
    failures = _wait_for(fresh, timeout, 4)
    if failures:
        raise LabError(f"{device} did not come back:\n" + "\n".join(failures))
    processes = dict(dev.processes)
    processes.update({p.service: p.pid for p in fresh})
    devices = tuple(dataclasses.replace(d, processes=processes) if d.name == device else d
                    for d in inventory.devices)
    inventory = dataclasses.replace(inventory, devices=devices)
    inventory.write()
    log.info("lab: %s restarted (%s)", device, ", ".join(p.service for p in fresh) or "nothing")
    return inventory


def set_link(lab_dir: Path, device: str, interface: str, up: bool) -> None:
    """Take one of a NETCONF device's ports (``eth0``, ``eth1``) down or up, for real, in its
    namespace: ietf-interfaces ``oper-status`` (RFC 8343) and SNMP ``ifOperStatus``
    (RFC 2863) both report it."""
    inventory = Inventory.load(lab_dir.expanduser().resolve())
    try:
        dev = inventory.device(device)
    except KeyError as exc:
        raise LabError(str(exc.args[0])) from None
    if dev.netns is None:
        raise LabError(f"{device} has no network namespace (only NETCONF devices have ports)")
    ip = procs.which("ip") or "ip"
    try:
        procs.run([ip, "-n", dev.netns, "link", "set", interface, "up" if up else "down"])
    except procs.HelperFailed as exc:
        raise LabError(f"{device}: {exc.output or exc}") from None


def default_yang_dir() -> Path | None:
    """netorch's YANG modules without importing the drivers: the repository's top-level
    ``yang/`` (editable install), else the copy shipped in ``netorch/drivers/netconf/yang``."""
    pkg = Path(__file__).resolve().parents[1]
    for candidate in (pkg.parents[1] / "yang", pkg / "drivers" / "netconf" / "yang"):
        if candidate.is_dir() and any(candidate.glob("*.yang")):
            return candidate
    return None


def lab_dir_from_env() -> Path:
    """``$NETORCH_HOME/lab`` (default ``~/.netorch/lab``)."""
    home = os.environ.get("NETORCH_HOME")
    return (Path(home) if home else Path.home() / ".netorch").expanduser() / "lab"
