"""A real yuma123 ``netconfd`` behind its own OpenSSH ``sshd``, started per test module.

Follows the lab recipe (shared/lab/RECIPES.md §1a) until the lab launcher (``netorch.lab``)
takes over:

* netconfd runs in a private network namespace (its ietf-interfaces SIL runs ``ifconfig`` on
  real interfaces), with a veth pair ``eth0``/``eth1`` as the device's ports;
* ``--port`` names the SSH port (netconfd rejects sessions from unlisted ports);
* the startup file is per instance and seeded empty, and netconfd runs with its run directory
  as CWD (it writes ``backup-cfg.xml`` there);
* ``--superuser`` lets the login user write despite NACM;
* the ``get-interface-ipv4`` helper the SIL shells out to is put on netconfd's PATH;
* the sshd host key goes into a known-hosts file for the client.

Everything is stopped by PID, and the namespace is deleted, when the fixture ends.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from netorch.drivers.netconf import yang_path

USER = "nctest"
PASSWORD = "nctest-secret"

GET_IPV4 = """#!/bin/sh
# Called by the ietf-interfaces SIL as `get-interface-ipv4 IFNAME`; prints ietf-ip state XML.
addr=$(ip -4 -o addr show dev "$1" 2>/dev/null | awk '{print $4}' | cut -d/ -f1 | head -n 1)
[ -n "$addr" ] || exit 0
printf '<ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ip"><address><ip>%s</ip></address>' "$addr"
printf '</ipv4>\\n'
"""

EMPTY_STARTUP = '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"/>\n'


def missing_prerequisite() -> str | None:
    """Why a real netconfd cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root (network namespaces, sshd, a local login user)"
    for binary in ("netconfd", "netconf-subsystem", "sshd", "ip", "ssh-keygen", "useradd"):
        if shutil.which(binary, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is None:
            return f"{binary} is not installed (apt-get install netconfd openssh-server iproute2)"
    if not Path("/usr/share/yuma/modules/ietf").is_dir():
        return "the yuma123 modules (/usr/share/yuma/modules) are missing"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(*argv: str, check: bool = True, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, check=check, capture_output=True, text=True, **kw)  # type: ignore[call-overload]


def _ensure_user() -> None:
    if _run("id", USER, check=False).returncode != 0:
        _run("useradd", "-M", "-d", "/nonexistent", "-s", "/bin/sh", USER)
    _run("chpasswd", input=f"{USER}:{PASSWORD}\n")


def _wait(predicate: object, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _stop(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


@dataclass
class NetconfLab:
    """One running netconfd + sshd pair."""

    run_dir: Path
    port: int
    netns: str
    known_hosts: Path
    host_key_line: str
    client_key: Path
    netconfd_pid: int
    sshd_pid: int
    username: str = USER
    password: str = PASSWORD

    def stop(self) -> None:
        _stop(self.sshd_pid)
        _stop(self.netconfd_pid)
        _run("ip", "netns", "del", self.netns, check=False)
        shutil.rmtree(self.run_dir, ignore_errors=True)


def start_netconfd(*, target: str = "candidate", port: int | None = None) -> NetconfLab:
    """Start netconfd (``--target=candidate`` or ``running``) and its sshd.

    The run directory is a fresh ``/tmp/netorch-nc-*`` (mode 0755, removed by ``stop``):
    the login user's ``netconf-subsystem`` must reach the netconfd socket in it, and
    pytest's own temporary directories are private to root.
    """
    run_dir = Path(tempfile.mkdtemp(prefix="netorch-nc-"))
    run_dir.chmod(0o755)
    Path("/run/sshd").mkdir(exist_ok=True)
    _ensure_user()
    port = port or free_port()
    sock = run_dir / "ncxserver.sock"
    netns = f"ncts-{port}"
    host_key = run_dir / "ssh_host_ed25519_key"
    client_key = run_dir / "client_key"
    _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host_key))
    _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(client_key))
    shutil.copy(client_key.with_suffix(".pub"), run_dir / "authorized_keys")
    (run_dir / "authorized_keys").chmod(0o644)
    bin_dir = run_dir / "bin"
    bin_dir.mkdir()
    helper = bin_dir / "get-interface-ipv4"
    helper.write_text(GET_IPV4)
    helper.chmod(0o755)
    startup = run_dir / "startup-cfg.xml"
    startup.write_text(EMPTY_STARTUP)

    _run("ip", "netns", "del", netns, check=False)
    _run("ip", "netns", "add", netns)
    _run("ip", "-n", netns, "link", "set", "lo", "up")
    _run("ip", "-n", netns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth1")
    _run("ip", "-n", netns, "link", "set", "eth0", "up")
    _run("ip", "-n", netns, "link", "set", "eth1", "up")

    env = dict(os.environ, PATH=f"{bin_dir}:/usr/sbin:/usr/bin:/sbin:/bin")
    netconfd = subprocess.Popen(
        ["ip", "netns", "exec", netns, "netconfd", f"--ncxserver-sockname={sock}",
         f"--port={port}", f"--superuser={USER}", f"--target={target}",
         f"--startup={startup}", f"--modpath={yang_path()}:/usr/share/yuma/modules",
         "--module=ietf-interfaces", "--module=netorch-service-chain",
         "--module=netorch-l3vpn", f"--log={run_dir / 'netconfd.log'}", "--log-level=info"],
        cwd=run_dir, env=env, stdin=subprocess.DEVNULL,
        stdout=(run_dir / "netconfd.out").open("w"), stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        _wait(lambda: sock.exists() or netconfd.poll() is not None, "netconfd socket")
        if netconfd.poll() is not None:
            log = (run_dir / "netconfd.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"netconfd exited: {log}")
    except Exception:
        _stop(netconfd.pid)
        _run("ip", "netns", "del", netns, check=False)
        shutil.rmtree(run_dir, ignore_errors=True)
        raise

    (run_dir / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\n"
        f"PidFile {run_dir / 'sshd.pid'}\nUsePAM no\nPasswordAuthentication yes\n"
        "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
        f"AuthorizedKeysFile {run_dir / 'authorized_keys'}\nStrictModes no\n"
        f"PermitRootLogin no\nAllowUsers {USER}\nAllowTcpForwarding no\nX11Forwarding no\n"
        "PrintMotd no\nMaxStartups 50:30:100\nMaxSessions 50\n"
        f"Subsystem netconf /usr/sbin/netconf-subsystem --ncxserver-sockname={port}@{sock}\n")
    sshd = subprocess.Popen(
        ["/usr/sbin/sshd", "-D", "-f", str(run_dir / "sshd_config"),
         "-E", str(run_dir / "sshd.log")],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    try:
        _wait(lambda: _port_open(port) or sshd.poll() is not None, "sshd port")
        if sshd.poll() is not None:
            raise RuntimeError("sshd exited: " + (run_dir / "sshd.log").read_text()[-2000:])
    except Exception:
        _stop(sshd.pid)
        _stop(netconfd.pid)
        _run("ip", "netns", "del", netns, check=False)
        shutil.rmtree(run_dir, ignore_errors=True)
        raise

    key_type, key_b64 = host_key.with_suffix(".pub").read_text().split()[:2]
    host_key_line = f"[127.0.0.1]:{port} {key_type} {key_b64}\n"
    known_hosts = run_dir / "known_hosts"
    known_hosts.write_text(host_key_line)
    return NetconfLab(run_dir=run_dir, port=port, netns=netns, known_hosts=known_hosts,
                      host_key_line=host_key_line, client_key=client_key,
                      netconfd_pid=netconfd.pid, sshd_pid=sshd.pid)


@contextlib.contextmanager
def netconf_lab(*, target: str = "candidate") -> Iterator[NetconfLab]:
    """A running device for the duration of the block; skips when it cannot run here."""
    reason = missing_prerequisite()
    if reason is not None:
        pytest.skip(reason)
    lab = start_netconfd(target=target)
    try:
        yield lab
    finally:
        lab.stop()
