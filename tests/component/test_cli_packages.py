"""``netorch onboard`` and ``netorch packages``: exit codes, ``--json`` shapes, and deploying an
onboarded package by id once its source is gone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from helpers import REPO, write_vims
from netorch.cli.app import app

VROUTER = REPO / "vnf-packages" / "vrouter"
VCPE = REPO / "service-templates" / "vcpe.yaml"

BAD = """tosca_definitions_version: tosca_simple_yaml_1_3
topology_template:
  node_templates:
    server:
      type: tosca.nodes.Compute
      requirements:
        - dependency: nowhere
"""


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for var in ("NETORCH_DB", "NETORCH_SIM_LATENCY_MS", "NETORCH_SIM_FAILURE_RATE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NETORCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NETORCH_VIM_CONFIG", str(write_vims(tmp_path)))
    return CliRunner()


def run_json(cli: CliRunner, *args: str, code: int = 0) -> Any:
    res = cli.invoke(app, [*args, "--json"])
    assert res.exit_code == code, res.output
    return json.loads(res.stdout)


def test_onboard_stores_then_reports_already_onboarded(cli: CliRunner, tmp_path: Path) -> None:
    pkg = tmp_path / "vr"
    shutil.copytree(VROUTER, pkg)
    first = run_json(cli, "onboard", str(pkg))
    assert (first["status"], first["valid"]) == ("onboarded", True)
    package = first["package"]
    assert (package["kind"], package["name"], package["version"], package["provider"],
            package["flavours"], package["usedBy"]) == (
        "vnf-package", "vrouter-vnfd", "1.0.0", "netorch", ["standard"], [])
    again = run_json(cli, "onboard", str(VROUTER))
    assert again["status"] == "already-onboarded"
    assert again["package"] == package
    plain = cli.invoke(app, ["onboard", str(VROUTER)])
    assert plain.exit_code == 0 and "already onboarded" in plain.output
    assert package["id"][:12] in plain.output


def test_onboard_invalid_exits_1_with_diagnostics_and_stores_nothing(cli: CliRunner,
                                                                     tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD)
    doc = run_json(cli, "onboard", str(bad), code=1)
    assert (doc["status"], doc["valid"], doc["package"]) == ("invalid", False, None)
    errors = [d for d in doc["diagnostics"] if d["severity"] == "error"]
    assert errors and any("nowhere" in d["message"] and d["line"] for d in errors)
    plain = cli.invoke(app, ["onboard", str(bad)])
    assert plain.exit_code == 1 and "nowhere" in plain.output and "nothing stored" in plain.output
    assert "Traceback" not in plain.output
    assert run_json(cli, "packages") == []


def test_onboard_usage_errors_exit_2(cli: CliRunner, tmp_path: Path) -> None:
    missing = cli.invoke(app, ["onboard", str(tmp_path / "absent.yaml"), "--json"])
    assert missing.exit_code == 2
    assert json.loads(missing.stdout)["diagnostics"][0]["code"] == "usage.not_found"
    assert cli.invoke(app, ["onboard"]).exit_code == 2
    assert cli.invoke(app, ["onboard", str(VCPE), "-i", "no-equals-sign"]).exit_code == 2
    assert cli.invoke(app, ["packages", "show", "feedbeef"]).exit_code == 2
    assert cli.invoke(app, ["packages", "delete", "nothex"]).exit_code == 2


def test_packages_list_show_deploy_and_delete(cli: CliRunner, tmp_path: Path) -> None:
    pkg = tmp_path / "vr"
    shutil.copytree(VROUTER, pkg)
    vr = run_json(cli, "onboard", str(pkg))["package"]
    tpl = run_json(cli, "onboard", str(VCPE))["package"]
    shutil.rmtree(pkg)
    listed = run_json(cli, "packages")
    assert [(p["id"], p["kind"]) for p in listed] == [(vr["id"], "vnf-package"),
                                                      (tpl["id"], "template")]
    table = cli.invoke(app, ["packages"])
    assert table.exit_code == 0
    for needle in (vr["id"][:12], tpl["id"][:12], "vrouter-vnfd", "vcpe", "vnf-package",
                   vr["descriptorId"], "0 service(s)"):
        assert needle in table.output

    short = vr["id"][:8]
    deployed = cli.invoke(app, ["deploy", short, "--name", "r1"])
    assert deployed.exit_code == 0, deployed.output
    shown = run_json(cli, "packages", "show", short)
    assert shown["usedBy"] == ["r1"] and shown["id"] == vr["id"]
    assert "control_vdu (tosca.nodes.nfv.Vdu.Compute)" in shown["nodes"]
    assert shown["aspects"] == ["forwarding"]
    detail = cli.invoke(app, ["packages", "show", short])
    assert detail.exit_code == 0 and "r1" in detail.output and vr["id"] in detail.output
    assert "1 service(s)" in cli.invoke(app, ["packages"]).output

    refused = cli.invoke(app, ["packages", "delete", short])
    assert refused.exit_code == 1 and "r1" in refused.output
    assert cli.invoke(app, ["terminate", "r1"]).exit_code == 0
    assert cli.invoke(app, ["delete", "r1"]).exit_code == 0
    deleted = cli.invoke(app, ["packages", "delete", short])
    assert deleted.exit_code == 0 and "deleted vnf-package" in deleted.output
    assert [p["id"] for p in run_json(cli, "packages")] == [tpl["id"]]
    gone = cli.invoke(app, ["deploy", short, "--name", "r2"])
    assert gone.exit_code == 2 and "does not exist" in gone.output


def test_plan_accepts_a_package_id(cli: CliRunner) -> None:
    tpl = run_json(cli, "onboard", str(VCPE))["package"]
    plan = run_json(cli, "plan", tpl["id"][:10])
    assert plan["service"] == "vcpe" and plan["changes"]
