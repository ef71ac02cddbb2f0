"""The CLI contract later checks rely on: exit codes, ``--json`` shapes, and that invalid input
never touches the VIM or prints a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import DEMO, REPO, write_vims
from netorch.cli.app import app

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


def test_validate_valid_json(cli: CliRunner) -> None:
    res = cli.invoke(app, ["validate", str(DEMO), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["valid"] is True
    assert all(set(d) == {"severity", "code", "message", "file", "line"}
               for d in doc["diagnostics"])


def test_validate_invalid_exits_1_with_located_diagnostic(cli: CliRunner,
                                                          tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD)
    res = cli.invoke(app, ["validate", str(bad), "--json"])
    assert res.exit_code == 1
    doc = json.loads(res.stdout)
    assert doc["valid"] is False
    errors = [d for d in doc["diagnostics"] if d["severity"] == "error"]
    assert errors and any("nowhere" in d["message"] for d in errors)
    assert any(d["line"] is not None and d["file"] for d in errors)
    plain = cli.invoke(app, ["validate", str(bad)])
    assert plain.exit_code == 1 and "Traceback" not in plain.output


def test_validate_usage_errors_exit_2(cli: CliRunner, tmp_path: Path) -> None:
    assert cli.invoke(app, ["validate", str(tmp_path / "absent.yaml")]).exit_code == 2
    assert cli.invoke(app, ["validate"]).exit_code == 2
    assert cli.invoke(app, ["validate", str(DEMO), "--bogus"]).exit_code == 2


def test_validate_garbage_never_tracebacks(cli: CliRunner, tmp_path: Path) -> None:
    for i, text in enumerate(["{{{", "- a\n- b", "\x00\x01", "tosca_definitions_version: 9"]):
        f = tmp_path / f"g{i}.yaml"
        f.write_text(text)
        res = cli.invoke(app, ["validate", str(f)])
        assert res.exit_code == 1, (text, res.output)
        assert res.exception is None or isinstance(res.exception, SystemExit)


def test_invalid_deploy_exits_1_and_never_touches_the_vim(cli: CliRunner,
                                                          tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD)
    res = cli.invoke(app, ["deploy", str(bad), "--name", "x"])
    assert res.exit_code == 1
    assert "nowhere" in res.output
    assert not (tmp_path / "sim.db").exists()


def test_plan_json_then_deploy_status_scale_heal_terminate(cli: CliRunner,
                                                           tmp_path: Path) -> None:
    res = cli.invoke(app, ["plan", str(DEMO), "--json"])
    assert res.exit_code == 0, res.output
    p = json.loads(res.stdout)
    assert {s["op"] for s in p["steps"]} == {"CREATE"}
    assert cli.invoke(app, ["deploy", str(DEMO), "--name", "svc"]).exit_code == 0
    st = json.loads(cli.invoke(app, ["status", "svc", "--json"]).stdout)
    assert st["status"] == "INSTANTIATED" and len(st["resourceList"]) == len(p["steps"])
    assert cli.invoke(app, ["scale", "svc", "--aspect", "web_tier", "--steps", "2"]
                      ).exit_code == 0
    bad_scale = cli.invoke(app, ["scale", "svc", "--aspect", "web_tier", "--steps", "9"])
    assert bad_scale.exit_code == 1 and "outside" in bad_scale.output
    assert cli.invoke(app, ["vim", "kill", "svc", "web[3]"]).exit_code == 0
    assert cli.invoke(app, ["heal", "svc"]).exit_code == 0
    assert cli.invoke(app, ["heal", "svc", "--node", "lb"]).exit_code == 0
    ops = json.loads(cli.invoke(app, ["ops", "svc", "--json"]).stdout)
    assert [o["operation"] for o in ops] == ["HEAL", "HEAL", "SCALE", "INSTANTIATE"]
    one = json.loads(cli.invoke(app, ["ops", "--op", ops[1]["id"][:8], "--json"]).stdout)
    assert {s["node"] for s in one["steps"]} == {"web[3]", "web_back[3]"}
    assert cli.invoke(app, ["terminate", "svc"]).exit_code == 0
    assert cli.invoke(app, ["doctor"]).exit_code == 0
    assert cli.invoke(app, ["delete", "svc"]).exit_code == 0
    assert cli.invoke(app, ["status", "svc"]).exit_code == 2


def test_failed_deploy_exits_1_and_says_what_next(cli: CliRunner, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETORCH_VIM_CONFIG", str(write_vims(tmp_path, fail_permanently=["fw"])))
    res = cli.invoke(app, ["deploy", str(DEMO), "--name", "svc"])
    assert res.exit_code == 1
    assert "FAILED_TEMP" in res.output and "netorch resume" in res.output
    op_id = json.loads(cli.invoke(app, ["ops", "svc", "--json"]).stdout)[0]["id"]
    again = cli.invoke(app, ["deploy", str(DEMO), "--name", "svc"])
    assert again.exit_code == 1 and "busy" in again.output
    assert cli.invoke(app, ["rollback", op_id]).exit_code == 0
    assert cli.invoke(app, ["fail", op_id]).exit_code == 1  # only in FAILED_TEMP


def test_saved_plan_round_trip(cli: CliRunner, tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"
    assert cli.invoke(app, ["plan", str(DEMO), "--name", "svc", "--out", str(saved)]
                      ).exit_code == 0
    assert cli.invoke(app, ["deploy", str(DEMO), "--name", "svc", "--plan", str(saved)]
                      ).exit_code == 0
    stale = cli.invoke(app, ["deploy", str(DEMO), "--name", "svc2", "--plan", str(saved)])
    assert stale.exit_code == 1 and "for service 'svc'" in stale.output


def test_every_example_validates(cli: CliRunner) -> None:
    paths = [*sorted((REPO / "service-templates").glob("*.yaml")),
             *sorted(p for p in (REPO / "vnf-packages").iterdir() if p.is_dir())]
    assert len(paths) >= 5
    for path in paths:
        res = cli.invoke(app, ["validate", str(path)])
        assert res.exit_code == 0, (path, res.output)
