"""Processes the lab starts: spawn, identify, probe and stop them, by PID only.

A process is identified by its PID *and* its start time (``/proc/<pid>/stat`` field 22, see
proc(5)), so a PID the kernel reused for an unrelated process is never signalled.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SYSTEM_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


def which(name: str) -> str | None:
    """The absolute path of a program on ``$PATH`` or in the system ``sbin`` directories."""
    path = os.pathsep.join([os.environ.get("PATH", ""), *SYSTEM_DIRS])
    return shutil.which(name, path=path)


def is_root() -> bool:
    return os.geteuid() == 0


@dataclass(frozen=True, slots=True)
class ProcId:
    """A process the lab started: its PID and kernel start time (clock ticks since boot)."""

    pid: int
    start_time: int


def _stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time) of ``pid``, or None when there is no such process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rfind(")") + 2:].split()
    return fields[0], int(fields[19])


def start_time(pid: int) -> int | None:
    st = _stat(pid)
    return None if st is None else st[1]


def _reap(pid: int) -> None:
    """Collect ``pid`` if it is our own exited child (no zombie stays behind)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def alive(proc: ProcId) -> bool:
    """True while the very process we started runs (not a zombie, not a reused PID)."""
    st = _stat(proc.pid)
    if st is not None and st[0] == "Z":
        _reap(proc.pid)
        st = _stat(proc.pid)
    return st is not None and st[0] != "Z" and st[1] == proc.start_time


def spawn(argv: Sequence[str], *, log_file: Path, cwd: Path | None = None,
          env: Mapping[str, str] | None = None, stdin_fd: int | None = None) -> ProcId:
    """Start ``argv`` in its own session (like ``setsid``), stdin from /dev/null (or
    ``stdin_fd``), stdout and stderr appended to ``log_file``."""
    with log_file.open("ab") as out:
        child = subprocess.Popen(
            list(argv), stdin=subprocess.DEVNULL if stdin_fd is None else stdin_fd,
            stdout=out, stderr=subprocess.STDOUT, cwd=cwd,
            env=dict(env) if env is not None else None, start_new_session=True)
    st = start_time(child.pid)
    # A child that already exited keeps its /proc entry as a zombie until reaped: read above.
    return ProcId(child.pid, st if st is not None else -1)


def stop(procs: Iterable[ProcId], grace_s: float = 3.0) -> list[ProcId]:
    """SIGTERM each process that is still the one we started, SIGKILL what is left after
    ``grace_s``; returns the processes that were signalled."""
    targets = [p for p in procs if alive(p)]
    for p in targets:
        _signal(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    remaining = list(targets)
    while remaining and time.monotonic() < deadline:
        remaining = [p for p in remaining if alive(p)]
        if remaining:
            time.sleep(0.02)
    for p in remaining:
        if alive(p):
            log.warning("pid %d did not stop on SIGTERM within %.1fs: SIGKILL", p.pid, grace_s)
            _signal(p.pid, signal.SIGKILL)
    for p in remaining:
        for _ in range(100):
            if not alive(p):
                break
            time.sleep(0.01)
    return targets


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def run(argv: Sequence[str], *, input_text: str | None = None,
        check: bool = True, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    """Run a short helper command (ip, ssh-keygen, useradd …) and capture its output."""
    done = subprocess.run(
        list(argv), input=input_text, capture_output=True, text=True, timeout=timeout,
        check=False)
    if check and done.returncode != 0:
        raise HelperFailed(argv, done.returncode, (done.stderr or done.stdout).strip())
    return done


class HelperFailed(RuntimeError):
    """A helper command exited non-zero."""

    def __init__(self, argv: Sequence[str], code: int, output: str) -> None:
        super().__init__(f"`{' '.join(argv)}` exited {code}: {output}")
        self.argv = list(argv)
        self.code = code
        self.output = output


def log_tail(path: Path, lines: int = 15) -> str:
    """The last ``lines`` lines of a log file ('' when it does not exist)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


# --- readiness probes -------------------------------------------------------------------------

def ssh_banner(host: str, port: int, timeout: float = 1.0) -> str | None:
    """The SSH identification string the server sends first (RFC 4253 §4.2), or None."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(timeout)
            data = b""
            while b"\n" not in data and len(data) < 512:
                chunk = s.recv(256)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None
    line = data.split(b"\n", 1)[0].strip().decode("ascii", "replace")
    return line if line.startswith("SSH-") else None


def tcp_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on (and we may bind) TCP ``host:port``."""
    return _bindable(socket.SOCK_STREAM, host, port)


def udp_free(port: int, host: str = "127.0.0.1") -> bool:
    return _bindable(socket.SOCK_DGRAM, host, port)


def _bindable(kind: socket.SocketKind, host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as s:
        if kind == socket.SOCK_STREAM:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


SYS_NAME_OID = "1.3.6.1.2.1.1.5.0"


def snmp_get_string(host: str, port: int, community: str, oid: str = SYS_NAME_OID,
                    timeout: float = 0.5) -> str | None:
    """One SNMPv2c GetRequest (RFC 3416 §4.2.1) for an OCTET STRING object; the value, or None
    when nothing answers. Hand-encoded BER so the lab needs no SNMP library."""
    request_id = int.from_bytes(os.urandom(3), "big")
    oid_tlv = _tlv(0x06, _oid_body(oid))
    varbind = _tlv(0x30, _tlv(0x30, oid_tlv + b"\x05\x00"))
    pdu = _tlv(0xA0, _int(request_id) + _int(0) + _int(0) + varbind)
    message = _tlv(0x30, _int(1) + _tlv(0x04, community.encode()) + pdu)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        try:
            s.sendto(message, (host, port))
            reply, _ = s.recvfrom(4096)
        except OSError:
            return None
    at = reply.find(oid_tlv)
    if at < 0:
        return None
    at += len(oid_tlv)
    if reply[at] != 0x04:
        return None
    length, at = _read_len(reply, at + 1)
    return reply[at:at + length].decode("utf-8", "replace")


def _len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _read_len(data: bytes, at: int) -> tuple[int, int]:
    first = data[at]
    if first < 0x80:
        return first, at + 1
    count = first & 0x7F
    return int.from_bytes(data[at + 1:at + 1 + count], "big"), at + 1 + count


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _len(len(body)) + body


def _int(value: int) -> bytes:
    return _tlv(0x02, value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True))


def _oid_body(oid: str) -> bytes:
    arcs = [int(a) for a in oid.strip(".").split(".")]
    out = bytearray([arcs[0] * 40 + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out.extend(reversed(chunk))
    return bytes(out)
