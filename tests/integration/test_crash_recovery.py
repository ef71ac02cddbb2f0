"""Kill -9 mid-operation, for real: a ``netorch`` subprocess is SIGKILLed while VIM calls are in
flight; the next command must see the interrupted operation, and ``resume`` / ``rollback`` must
finish it with ``netorch doctor`` finding no orphan (issue #2, "done when")."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from helpers import DEMO, write_vims
from netorch.model.operations import OpState
from netorch.model.resources import RecordState
from netorch.store import Store

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def env(tmp_path: Path, store_url: str) -> dict[str, str]:
    write_vims(tmp_path, latency_ms=150)
    e = {k: v for k, v in os.environ.items() if not k.startswith("NETORCH_")}
    e.update(NETORCH_HOME=str(tmp_path), NETORCH_DB=store_url, NETORCH_PARALLELISM="2",
             NETORCH_VIM_CONFIG=str(tmp_path / "vims.yaml"), COLUMNS="200")
    return e


def netorch(env: dict[str, str], *args: str, check: int | None = 0
            ) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "netorch", *args], env=env, text=True,
                          capture_output=True, timeout=120)
    if check is not None:
        assert proc.returncode == check, (args, proc.returncode, proc.stdout, proc.stderr)
    return proc


def start_and_kill(env: dict[str, str], store_url: str, *args: str,
                   ready: Callable[[Store], bool]) -> None:
    """Start ``netorch ARGS`` and SIGKILL it once ``ready(store)`` holds (mid-operation)."""
    proc = subprocess.Popen([sys.executable, "-m", "netorch", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store = Store(store_url)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"netorch {args} ended (rc {proc.returncode}) before the kill")
            try:
                if ready(store):
                    break
            except Exception:  # the schema may not exist yet in the first polls
                pass
            time.sleep(0.02)
        else:
            pytest.fail("the operation never reached the kill point")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
        store.close()


def mid_create(store: Store) -> bool:
    recs = store.all_resources()
    created = sum(r.state is RecordState.CREATED for r in recs)
    return created >= 3 and any(r.state is RecordState.PENDING_CREATE for r in recs)


def mid_delete(store: Store) -> bool:
    recs = store.all_resources()
    return any(r.state is RecordState.PENDING_DELETE for r in recs) and len(recs) <= 9


def only_op(env: dict[str, str], service: str) -> dict[str, object]:
    ops = json.loads(netorch(env, "ops", service, "--json").stdout)
    return dict(ops[0])


def test_kill_mid_deploy_then_resume(env: dict[str, str], store_url: str) -> None:
    start_and_kill(env, store_url, "deploy", str(DEMO), "--name", "crash", ready=mid_create)
    status = netorch(env, "status", "crash", "--json")
    assert "was interrupted" in status.stderr
    op = only_op(env, "crash")
    assert op["operationState"] == OpState.FAILED_TEMP.value
    assert "interrupted" in str(op["error"])
    # A new operation is refused while the interrupted one is unresolved.
    refused = netorch(env, "terminate", "crash", check=1)
    assert "busy" in refused.stderr
    netorch(env, "resume", str(op["id"]))
    final = json.loads(netorch(env, "status", "crash", "--json").stdout)
    assert final["status"] == "INSTANTIATED"
    assert {r["state"] for r in final["resourceList"]} == {"CREATED"}
    assert len(final["resourceList"]) == 11
    netorch(env, "doctor")


def test_kill_mid_deploy_then_rollback(env: dict[str, str], store_url: str) -> None:
    start_and_kill(env, store_url, "deploy", str(DEMO), "--name", "crash", ready=mid_create)
    op = only_op(env, "crash")
    netorch(env, "rollback", str(op["id"]))
    assert only_op(env, "crash")["operationState"] == OpState.ROLLED_BACK.value
    final = json.loads(netorch(env, "status", "crash", "--json").stdout)
    assert final["resourceList"] == [] and final["status"] == "NOT_INSTANTIATED"
    doctor = json.loads(netorch(env, "doctor", "--json").stdout)
    assert doctor["healthy"] and doctor["vims"][0]["inventory"] == 0


def test_kill_mid_rollback_then_rollback_again(env: dict[str, str], store_url: str) -> None:
    start_and_kill(env, store_url, "deploy", str(DEMO), "--name", "crash", ready=mid_create)
    op_id = str(only_op(env, "crash")["id"])
    start_and_kill(env, store_url, "rollback", op_id, ready=mid_delete)
    assert only_op(env, "crash")["operationState"] == OpState.FAILED_TEMP.value
    netorch(env, "rollback", op_id)
    doctor = json.loads(netorch(env, "doctor", "--json").stdout)
    assert doctor["healthy"] and doctor["vims"][0]["inventory"] == 0


def test_kill_mid_terminate_then_resume(env: dict[str, str], store_url: str) -> None:
    netorch(env, "deploy", str(DEMO), "--name", "crash")
    start_and_kill(env, store_url, "terminate", "crash", ready=mid_delete)
    op = only_op(env, "crash")
    assert op["operation"] == "TERMINATE" and op["operationState"] == "FAILED_TEMP"
    netorch(env, "resume", str(op["id"]))
    final = json.loads(netorch(env, "status", "crash", "--json").stdout)
    assert final["resourceList"] == [] and final["status"] == "NOT_INSTANTIATED"
    netorch(env, "doctor")
