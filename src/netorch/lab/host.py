"""Host preparation for the lab: login users, SSH keys, network namespaces, the runtime dir.

Everything here needs root except key generation; callers check first and report what cannot
be done instead of failing.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pwd
import stat
from pathlib import Path

from netorch.lab.procs import HelperFailed, run, which

log = logging.getLogger(__name__)

RUNTIME_ROOT = Path("/run/netorch-lab")

GET_INTERFACE_IPV4 = """#!/bin/sh
# Written by `netorch lab up`. yuma123's ietf-interfaces SIL runs this for every interface it
# reports in interfaces-state; Debian's package does not ship it and netconfd aborts without it.
ip=$(ip -4 addr show "$1" 2>/dev/null | sed -n 's/^ *inet \\([0-9.]*\\).*/\\1/p' | head -1)
[ -z "$ip" ] && exit 0
echo "<ipv4 xmlns=\\"urn:ietf:params:xml:ns:yang:ietf-ip\\"><address><ip>$ip</ip></address></ipv4>"
"""


def runtime_dir(lab_dir: Path) -> Path:
    """A short, world-traversable directory for what login users must reach (netconfd's UNIX
    sockets, ``authorized_keys``): lab dirs under pytest's 0700 temp root are not, and a UNIX
    socket path must stay under 108 bytes."""
    digest = hashlib.sha256(str(lab_dir.resolve()).encode()).hexdigest()[:10]
    base = RUNTIME_ROOT if os.geteuid() == 0 else Path(f"/tmp/netorch-lab-{os.geteuid()}")
    return base / digest


def world_traversable(path: Path) -> bool:
    """True when any user can reach ``path`` (every ancestor has o+x)."""
    p = path.resolve()
    for d in [p, *p.parents]:
        try:
            mode = d.stat().st_mode
        except OSError:
            return False
        if not mode & stat.S_IXOTH:
            return False
    return True


def write_helper_bin(bin_dir: Path) -> None:
    bin_dir.mkdir(parents=True, exist_ok=True)
    helper = bin_dir / "get-interface-ipv4"
    helper.write_text(GET_INTERFACE_IPV4)
    helper.chmod(0o755)


# --- users ------------------------------------------------------------------------------------

def user_home(name: str) -> Path | None:
    try:
        return Path(pwd.getpwnam(name).pw_dir)
    except KeyError:
        return None


def ensure_user(name: str, password: str, *, home: Path | None, shell: str) -> None:
    """Create a local login user if missing (``useradd``), set its password (``chpasswd``).

    With ``home`` the user gets that real home directory, created (and handed over) if needed;
    an existing user with another home is moved there.
    """
    current = user_home(name)
    if current is None:
        argv = ["useradd", "-M", "-s", shell, "-d", str(home or "/nonexistent"), name]
        try:
            run(argv)
        except HelperFailed as exc:
            if exc.code != 9:  # 9 = already exists (another lab created it just now)
                raise
        current = user_home(name)
    elif home is not None and current != home:
        run(["usermod", "-d", str(home), name])
        current = home
    if home is not None and current is not None and not current.is_dir():
        current.mkdir(parents=True, exist_ok=True)
        current.parent.chmod(0o755)
        entry = pwd.getpwnam(name)
        os.chown(current, entry.pw_uid, entry.pw_gid)
        current.chmod(0o755)
    # SHA-512 crypt rather than the system default (yescrypt on Debian 12: ~50 ms of CPU per
    # check, on purpose): every NETCONF session to a lab device is a password login checked
    # by its sshd, and the lab's devices share the CPU with the orchestrator under test.
    run(["chpasswd", "-c", "SHA512"], input_text=f"{name}:{password}\n")


# --- keys -------------------------------------------------------------------------------------

def keygen(path: Path, comment: str) -> str:
    """An ed25519 key pair at ``path`` / ``path.pub`` (kept if present); the public key line
    ``ssh-ed25519 AAAA…``."""
    if not path.exists():
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)])
    fields = path.with_name(path.name + ".pub").read_text().split()
    return f"{fields[0]} {fields[1]}"


# --- network namespaces -----------------------------------------------------------------------

def netns_exists(name: str) -> bool:
    return Path("/run/netns", name).exists()


def netns_create(name: str) -> None:
    """A private namespace with ``lo`` up and a veth pair ``eth0`` (10.99.0.1/30) ↔ ``eth1``,
    the device's "ports". A stale namespace of the same name (a crashed lab) is replaced."""
    if netns_exists(name):
        log.info("replacing stale network namespace %s", name)
        netns_delete(name)
    run(["ip", "netns", "add", name])
    run(["ip", "-n", name, "-batch", "-"], input_text="\n".join([
        "link set lo up",
        "link add eth0 type veth peer name eth1",
        "addr add 10.99.0.1/30 dev eth0",
        "link set eth1 up",
        "link set eth0 up",
    ]) + "\n")


def netns_delete(name: str) -> bool:
    if not netns_exists(name):
        return False
    run(["ip", "netns", "delete", name], check=False)
    return True


def missing_binaries(*names: str) -> list[str]:
    return [n for n in names if which(n) is None]
