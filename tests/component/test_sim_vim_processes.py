"""The sim's inventory is shared between driver instances and survives killed processes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from netorch.drivers.vim.sim import SimVim
from netorch.model.resources import CreateRequest, ResourceKind, ResourceStatus

SETTINGS: dict[str, Any] = {"inventory": "shared.db", "latency_ms": 0, "jitter_ms": 0}

CHILD = """
import asyncio, sys
from pathlib import Path
from netorch.drivers.vim.sim import SimVim
from netorch.model.resources import CreateRequest, ResourceKind

async def main() -> None:
    base, mode = Path(sys.argv[1]), sys.argv[2]
    latency = 0 if mode == "hang" else 1
    settings = {"inventory": "shared.db", "latency_ms": latency, "jitter_ms": latency}
    vim = SimVim("child", settings, base, env={})
    keys = [f"svc/vm/{i}" for i in range(int(sys.argv[3]))]
    if mode == "race":
        await vim.list()
        sys.stdout.write("ready\\n")
        sys.stdout.flush()
        while not (base / "go").exists():
            await asyncio.sleep(0.002)
    for key in keys:
        state = await vim.create(CreateRequest(
            key=key, kind=ResourceKind.COMPUTE, name=key, service="svc", node_id="vm",
            node_type="t"))
        if mode == "hang":
            sys.stdout.write(f"{state.key} {state.vim_id}\\n")
            sys.stdout.flush()
    if mode == "hang":
        await asyncio.sleep(120)

asyncio.run(main())
"""


def _req(key: str, kind: ResourceKind = ResourceKind.COMPUTE) -> CreateRequest:
    return CreateRequest(key=key, kind=kind, name=key, service="svc", node_id=key, node_type="t")


def test_two_instances_share_one_inventory(tmp_path: Path) -> None:
    a = SimVim("a", SETTINGS, tmp_path, env={})
    b = SimVim("b", SETTINGS, tmp_path, env={})

    async def scenario() -> None:
        made = await a.create(_req("k1"))
        net = await b.create(_req("n1", ResourceKind.NETWORK))
        assert {s.key for s in await b.list()} == {"k1", "n1"}
        seen = await b.read(made.ref)
        assert seen is not None and seen.vim_id == made.vim_id
        # Idempotency holds across instances: b does not make a second "k1".
        again = await b.create(_req("k1"))
        assert again.vim_id == made.vim_id
        await a.kill("n1")
        dead = await b.read(net.ref)
        assert dead is not None and dead.status == ResourceStatus.ERROR
        await b.delete(made.ref)
        assert await a.read(made.ref) is None
        assert a.usage()["instances"] == 0
        await a.close()
        await b.close()

    asyncio.run(scenario())


def test_resource_made_by_a_killed_process_is_still_there(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path), "hang", "1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline().split()
        assert line and line[0] == "svc/vm/0", "child did not create its resource"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL

    survivor = SimVim("after-crash", SETTINGS, tmp_path, env={})

    async def scenario() -> None:
        listed = await survivor.list()
        assert [(s.key, s.vim_id) for s in listed] == [("svc/vm/0", line[1])]
        # The inventory is writable again after the crash.
        await survivor.create(_req("next"))
        assert len(await survivor.list()) == 2
        await survivor.close()

    asyncio.run(scenario())


def test_concurrent_processes_creating_the_same_keys_make_each_once(tmp_path: Path) -> None:
    count = 40
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(tmp_path), "race", str(count)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for proc in children:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
    (tmp_path / "go").touch()  # all three start creating the same keys at once
    for proc in children:
        assert proc.wait(timeout=60) == 0
    vim = SimVim("check", SETTINGS, tmp_path, env={})
    listed = asyncio.run(vim.list())
    assert sorted(s.key for s in listed) == sorted(f"svc/vm/{i}" for i in range(count))
    assert vim.usage()["instances"] == count
    asyncio.run(vim.close())
