"""``<lab>/state.json``: every process and namespace a ``lab up`` created, so ``lab down``
removes exactly those (and a second ``up`` knows a lab is already running)."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netorch.lab.inventory import STATE_FILE
from netorch.lab.procs import ProcId


@dataclass(frozen=True, slots=True)
class LabProcess:
    """One process the lab started."""

    device: str
    service: str
    pid: int
    start_time: int
    port: int | None
    protocol: str
    """``tcp`` or ``udp`` (how ``port`` is reached); ``unix`` for netconfd's socket."""
    log: str
    # how it was started, so `restart` can do it again
    argv: tuple[str, ...] = ()
    cwd: str = "/"
    env: dict[str, str] | None = None
    socket: str | None = None
    """netconfd's UNIX socket (its readiness signal)."""
    udp_handover: bool = False
    """The UDP socket on ``port`` is bound by the lab and handed over as stdin (snmpd in a
    namespace)."""

    @property
    def proc(self) -> ProcId:
        return ProcId(self.pid, self.start_time)

    def to_dict(self) -> dict[str, Any]:
        return {"device": self.device, "service": self.service, "pid": self.pid,
                "start_time": self.start_time, "port": self.port, "protocol": self.protocol,
                "log": self.log, "argv": list(self.argv), "cwd": self.cwd, "env": self.env,
                "socket": self.socket, "udp_handover": self.udp_handover}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LabProcess:
        port = d.get("port")
        env = d.get("env")
        return cls(device=str(d["device"]), service=str(d["service"]), pid=int(d["pid"]),
                   start_time=int(d["start_time"]), port=None if port is None else int(port),
                   protocol=str(d.get("protocol", "tcp")), log=str(d.get("log", "")),
                   argv=tuple(str(a) for a in d.get("argv") or ()), cwd=str(d.get("cwd", "/")),
                   env=None if env is None else {str(k): str(v) for k, v in env.items()},
                   socket=d.get("socket"), udp_handover=bool(d.get("udp_handover", False)))


@dataclass(slots=True)
class LabState:
    """Mutable while ``up`` runs (threads add to it under ``lock``), then saved."""

    lab_dir: Path
    runtime_dir: str | None = None
    processes: list[LabProcess] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def path(self) -> Path:
        return self.lab_dir / STATE_FILE

    def add_process(self, p: LabProcess) -> None:
        with self.lock:
            self.processes.append(p)

    def add_namespace(self, name: str) -> None:
        with self.lock:
            if name not in self.namespaces:
                self.namespaces.append(name)

    def save(self) -> None:
        with self.lock:
            data = {"lab_dir": str(self.lab_dir), "runtime_dir": self.runtime_dir,
                    "processes": [p.to_dict() for p in self.processes],
                    "namespaces": list(self.namespaces)}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2))
        os.replace(tmp, self.path)

    @classmethod
    def load(cls, lab_dir: Path) -> LabState | None:
        path = lab_dir / STATE_FILE
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        return cls(lab_dir=lab_dir, runtime_dir=data.get("runtime_dir"),
                   processes=[LabProcess.from_dict(p) for p in data.get("processes") or ()],
                   namespaces=[str(n) for n in data.get("namespaces") or ()])
