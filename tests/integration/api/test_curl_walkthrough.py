"""docs/api.md's curl walkthrough, run as written: every ```bash block marked
``<!-- walkthrough: NAME -->`` is run, in order and in one bash process, with real curl, jq and
zip against a real ``netorch serve`` subprocess (fresh NETORCH_HOME, the sim VIM), and what each
step prints is checked. If the document and the API disagree, this test fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import REPO
from integration.api_server import ApiServer, run_server_process
from netorch.services.api_access import AuditLog
from netorch.services.context import Context
from netorch.services.settings import Settings

pytestmark = pytest.mark.timeout(300)

DOC = REPO / "docs" / "api.md"
BLOCK = re.compile(r"<!-- walkthrough: ([\w-]+) -->\n```bash\n(.*?)\n```", re.DOTALL)
STEPS = ["setup", "vnf-package", "nsd", "create", "instantiate", "scale", "heal", "terminate",
         "cleanup"]
MARK = "@@walkthrough-step "
NSD_ID = "3c9d5e7a-1f2b-4c6d-8e0f-a1b2c3d4e5f6"


def walkthrough_blocks() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(DOC.read_text())]


def _curl_version() -> tuple[int, ...] | None:
    curl = shutil.which("curl")
    if curl is None:
        return None
    out = subprocess.run([curl, "--version"], capture_output=True, text=True, check=False)
    m = re.match(r"curl (\d+)\.(\d+)", out.stdout)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def _missing_tools() -> str | None:
    version = _curl_version()
    if version is None:
        return "curl is not installed"
    if version < (7, 84):
        return f"curl {'.'.join(map(str, version))} is older than 7.84 (no %header{{}})"
    for tool in ("bash", "jq", "zip"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return None


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """``python -m netorch serve`` with a fresh NETORCH_HOME and no pre-registered clients: the
    walkthrough registers its own."""
    yield from run_server_process(tmp_path_factory.mktemp("walkthrough-home"), roles=())


def test_the_document_marks_every_step_of_the_lifecycle() -> None:
    assert [name for name, _ in walkthrough_blocks()] == STEPS
    text = DOC.read_text()
    assert "netorch serve --port 8080" in text  # how the operator starts the server


def _run(server: ApiServer, tmp_path: Path) -> dict[str, list[str]]:
    script = ["set -euo pipefail"]
    for name, body in walkthrough_blocks():
        script += [f"printf '\\n{MARK}{name}\\n'", body]
    bin_dir = str(Path(sys.executable).parent)  # where the netorch command is installed
    env = dict(server.env, API=server.url, TMPDIR=str(tmp_path),
               PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.run(["bash", "-c", "\n".join(script)], cwd=REPO, env=env, text=True,
                          capture_output=True, timeout=240, check=False)
    steps: dict[str, list[str]] = {}
    current: list[str] = []
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            current = steps.setdefault(line[len(MARK):], [])
        elif line.strip():
            current.append(line)
    assert proc.returncode == 0, (
        f"the walkthrough stopped in step {list(steps)[-1] if steps else '?'} "
        f"(exit {proc.returncode})\nstdout:\n{proc.stdout[-3000:]}\nstderr:\n"
        f"{proc.stderr[-3000:]}\nserver log:\n{server.log_text()[-3000:]}")
    assert list(steps) == STEPS
    return steps


def test_the_curl_walkthrough_runs_as_documented(server: ApiServer, tmp_path: Path) -> None:
    missing = _missing_tools()
    if missing is not None:
        pytest.skip(f"the walkthrough needs curl >= 7.84, jq and zip: {missing}")
    out = _run(server, tmp_path)
    assert out["setup"] == ["[]"]
    assert out["vnf-package"][:2] == ["202", "ONBOARDED"]
    pkg = json.loads(out["vnf-package"][2])
    assert pkg == {"operationalState": "ENABLED", "vnfProductName": "vRouter",
                   "vnfdId": "6f1e4a4c-0b0e-4d5e-9c1a-2f2a8e0f7a11"}
    assert out["nsd"] == ["202", "ONBOARDED", NSD_ID]
    assert out["create"] == ["NOT_INSTANTIATED"]
    assert out["instantiate"][0] == "COMPLETED"
    assert json.loads(out["instantiate"][1]) == {
        "nsState": "INSTANTIATED",
        "nsScaleStatus": [{"nsScalingAspectId": "routing", "nsScaleLevelId": "0"}],
        "vnfs": ["router[0]"]}
    assert out["scale"][0] == "COMPLETED"
    assert json.loads(out["scale"][1]) == {"level": "1", "vnfs": ["router[0]", "router[1]"]}
    assert out["heal"] == ["COMPLETED", "INSTANTIATE COMPLETED", "SCALE COMPLETED",
                           "HEAL COMPLETED"]
    assert out["terminate"] == ["COMPLETED", "NOT_INSTANTIATED", "204"]
    assert [json.loads(line) if line.startswith(("{", "[")) else line
            for line in out["cleanup"]] == [
        {"nsdOperationalState": "DISABLED"}, "204", {"operationalState": "DISABLED"}, "204", []]
    # the walkthrough's client is the one the audit log names for every mutating call
    ctx = Context(Settings(home=server.home))
    try:
        audit = AuditLog(ctx.store).entries(limit=200)
    finally:
        ctx.close()
    calls = {(a.method, re.sub(r"[0-9a-f-]{36}", "{id}", a.path), a.status) for a in audit
             if a.principal != "-"}
    assert {("POST", "/oauth2/token", 200), ("PUT",
            "/vnfpkgm/v1/vnf_packages/{id}/package_content", 202),
            ("POST", "/nslcm/v1/ns_instances/{id}/instantiate", 202),
            ("POST", "/nslcm/v1/ns_instances/{id}/scale", 202),
            ("POST", "/nslcm/v1/ns_instances/{id}/heal", 202),
            ("POST", "/nslcm/v1/ns_instances/{id}/terminate", 202),
            ("DELETE", "/nslcm/v1/ns_instances/{id}", 204),
            ("DELETE", "/vnfpkgm/v1/vnf_packages/{id}", 204)} <= calls
