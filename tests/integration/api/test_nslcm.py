"""``nslcm/v1`` (SOL005 v2.6.1 §6) against the real app under uvicorn, over HTTP.

NS instance identifiers (create from an onboarded NSD, read, list with SOL013 filters,
selectors and paging, delete only when NOT_INSTANTIATED), the five LCM tasks answering 202 with
the op occurrence's Location and running in the background on the sim VIM, the op occurrence
tasks (retry, continue, rollback, fail, cancel) and their state rules, 409s, 404s, 405s and
roles.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import insert

from integration.api.nslcm_support import onboard_demo, wait_for, wait_op, write_test_vims
from integration.api_server import ApiServer, run_server
from netorch.store import Store
from netorch.store.nslcm import NsLcmStore, _page_query, _shape
from netorch.store.tables import ns_instances, services

pytestmark = pytest.mark.timeout(300)

ROOT = "/nslcm/v1"
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    home = tmp_path_factory.mktemp("nslcm-home")
    vims = write_test_vims(home)
    home.joinpath("nsd-id").write_text(onboard_demo(home, vims))
    yield from run_server(home, vim_config=vims, api_page_size=5)


@pytest.fixture(scope="module")
def nsd_id(server: ApiServer) -> str:
    return server.home.joinpath("nsd-id").read_text()


@pytest.fixture
def op(server: ApiServer) -> httpx.Client:
    return server.client("operator")


def create(op: httpx.Client, nsd_id: str, name: str = "ns") -> dict[str, Any]:
    resp = op.post(f"{ROOT}/ns_instances",
                   json={"nsdId": nsd_id, "nsName": name, "nsDescription": f"{name} test"})
    assert resp.status_code == 201, resp.text
    body: dict[str, Any] = resp.json()
    assert resp.headers["Location"] == body["_links"]["self"]["href"]
    return body


def task(op: httpx.Client, ns_id: str, name: str, body: dict[str, Any] | None = None,
         status: int = 202) -> httpx.Response:
    resp = op.post(f"{ROOT}/ns_instances/{ns_id}/{name}", json=body or {}) \
        if body is not None or name != "terminate" else \
        op.post(f"{ROOT}/ns_instances/{ns_id}/{name}")
    assert resp.status_code == status, resp.text
    if status == 202:
        assert resp.content == b""
        assert f"{ROOT}/ns_lcm_op_occs/" in resp.headers["Location"]
    return resp


def instantiate(op: httpx.Client, ns_id: str, vim: str = "sim1") -> httpx.Response:
    return task(op, ns_id, "instantiate",
                {"nsFlavourId": "default", "additionalParamsForNs": {"vimId": vim}})


def get_all(client: httpx.Client, url: str) -> list[dict[str, Any]]:
    """Every page of a list (following ``Link: <…>; rel="next"``)."""
    out: list[dict[str, Any]] = []
    next_url: str | None = url
    while next_url:
        resp = client.get(next_url)
        assert resp.status_code == 200, resp.text
        out += resp.json()
        link = resp.headers.get("Link")
        next_url = link.split(";")[0].strip("<> ") if link else None
    return out


def ns_state(op: httpx.Client, ns_id: str) -> str:
    state: str = op.get(f"{ROOT}/ns_instances/{ns_id}").json()["nsState"]
    return state


def test_create_read_list_delete(server: ApiServer, op: httpx.Client, nsd_id: str) -> None:
    inst = create(op, nsd_id, "first")
    assert inst["nsState"] == "NOT_INSTANTIATED"
    assert inst["nsdId"] == nsd_id and inst["nsInstanceName"] == "first"
    assert inst["nsInstanceDescription"] == "first test" and inst["nsdInfoId"]
    assert "instantiate" in inst["_links"]
    reader = server.client("reader")
    got = reader.get(f"{ROOT}/ns_instances/{inst['id']}")
    assert got.status_code == 200 and got.json()["id"] == inst["id"]
    assert got.headers["Version"]
    listed = reader.get(f"{ROOT}/ns_instances", params={"filter": "(eq,nsInstanceName,first)"})
    assert listed.status_code == 200
    assert [i["id"] for i in listed.json()] == [inst["id"]]
    assert reader.get(f"{ROOT}/ns_instances",
                      params={"filter": "(eq,nsInstanceName"}).status_code == 400
    assert reader.get(f"{ROOT}/ns_instances",
                      params={"all_fields": "", "exclude_fields": "x"}).status_code == 400
    # the reader may not create or delete
    assert reader.post(f"{ROOT}/ns_instances", json={"nsdId": nsd_id, "nsName": "x",
                                                     "nsDescription": ""}).status_code == 403
    assert reader.delete(f"{ROOT}/ns_instances/{inst['id']}").status_code == 403
    assert op.delete(f"{ROOT}/ns_instances/{inst['id']}").status_code == 204
    gone = op.get(f"{ROOT}/ns_instances/{inst['id']}")
    assert gone.status_code == 404 and gone.headers["content-type"].startswith(PROBLEM)
    assert op.delete(f"{ROOT}/ns_instances/{inst['id']}").status_code == 404


def test_create_rejects_bad_requests(op: httpx.Client, nsd_id: str) -> None:
    unknown = op.post(f"{ROOT}/ns_instances",
                      json={"nsdId": "no-such-nsd", "nsName": "x", "nsDescription": ""})
    assert unknown.status_code == 422 and unknown.json()["status"] == 422
    missing = op.post(f"{ROOT}/ns_instances", json={"nsName": "x", "nsDescription": ""})
    assert missing.status_code == 400 and missing.headers["content-type"].startswith(PROBLEM)
    assert op.post(f"{ROOT}/ns_instances", content=b"[1]",
                   headers={"Content-Type": "application/json"}).status_code == 400
    assert op.post(f"{ROOT}/ns_instances", content=b"x",
                   headers={"Content-Type": "text/plain"}).status_code == 415


def test_list_paging_and_default_exclude(server: ApiServer, op: httpx.Client,
                                         nsd_id: str) -> None:
    ids = {create(op, nsd_id, f"page-{i}")["id"] for i in range(7)}
    reader = server.client("reader")
    seen: list[str] = []
    url: str | None = f"{ROOT}/ns_instances?filter=(cont,nsInstanceName,page-)"
    while url:
        resp = reader.get(url)
        assert resp.status_code == 200
        assert len(resp.json()) <= 5
        seen += [i["id"] for i in resp.json()]
        link = resp.headers.get("Link")
        url = link.split(";")[0].strip("<> ") if link else None
    assert set(seen) == ids and len(seen) == len(ids)
    # the same through the database-evaluated path (eq / neq / in on identity attributes)
    sql = get_all(reader, f"{ROOT}/ns_instances?filter=(eq,nsdId,{nsd_id});"
                          "(neq,nsState,INSTANTIATED);(in,nsInstanceName,page-0,page-3,page-6)")
    assert sorted(i["nsInstanceName"] for i in sql) == ["page-0", "page-3", "page-6"]
    everything = get_all(reader, f"{ROOT}/ns_instances?filter=(eq,nsdId,{nsd_id})")
    assert ids <= {i["id"] for i in everything}
    assert len(everything) == len({i["id"] for i in everything})
    first = reader.get(f"{ROOT}/ns_instances", params={"filter": f"(eq,nsdId,{nsd_id})"})
    marker = first.headers["Link"].split("nextpage_opaque_marker=")[1].split(">")[0]
    assert reader.get(f"{ROOT}/ns_instances", params={
        "filter": "(eq,nsdId,other)", "nextpage_opaque_marker": marker}).status_code == 400
    one = reader.get(f"{ROOT}/ns_instances", params={"filter": "(cont,nsInstanceName,page-0)",
                                                    "fields": "nsInstanceName"}).json()[0]
    assert set(one) >= {"id", "nsInstanceName", "nsdId", "nsState", "_links"}


def test_lifecycle_instantiate_scale_update_heal_terminate(
        server: ApiServer, op: httpx.Client, nsd_id: str) -> None:
    inst = create(op, nsd_id, "lcm")
    ns_id = inst["id"]
    bad = op.post(f"{ROOT}/ns_instances/{ns_id}/instantiate", json={})
    assert bad.status_code == 400
    loc = instantiate(op, ns_id).headers["Location"]
    done = wait_op(op, loc)
    assert done["operationState"] == "COMPLETED", done
    assert done["lcmOperationType"] == "INSTANTIATE" and done["nsInstanceId"] == ns_id
    assert done["operationParams"]["nsFlavourId"] == "default"
    assert done["isCancelPending"] is False and done["isAutomaticInvocation"] is False
    assert done["resourceChanges"]["affectedVnfs"]
    got = op.get(f"{ROOT}/ns_instances/{ns_id}").json()
    assert got["nsState"] == "INSTANTIATED" and got["flavourId"] == "default"
    assert got["nsScaleStatus"] == [{"nsScalingAspectId": "web_tier", "nsScaleLevelId": "0"}]
    assert {v["vnfInstanceName"] for v in got["vnfInstance"]} >= {"lb", "fw"}
    # state rules: instantiated already, deleting an instantiated NS
    task(op, ns_id, "instantiate", {"nsFlavourId": "default"}, status=409)
    assert op.delete(f"{ROOT}/ns_instances/{ns_id}").status_code == 409
    # SCALE_NS by aspect, then SCALE_VNF back in
    loc = task(op, ns_id, "scale", {"scaleType": "SCALE_NS", "scaleNsData": {
        "scaleNsByStepsData": {"scalingDirection": "SCALE_OUT", "aspectId": "web_tier",
                               "numberOfSteps": 2}}}).headers["Location"]
    assert wait_op(op, loc)["operationState"] == "COMPLETED"
    status = op.get(f"{ROOT}/ns_instances/{ns_id}").json()["nsScaleStatus"]
    assert status == [{"nsScalingAspectId": "web_tier", "nsScaleLevelId": "2"}]
    loc = task(op, ns_id, "scale", {"scaleType": "SCALE_VNF", "scaleVnfData": [{
        "vnfInstanceId": "web", "scaleVnfType": "SCALE_IN",
        "scaleByStepData": {"aspectId": "web_tier", "numberOfSteps": 1}}]}).headers["Location"]
    assert wait_op(op, loc)["operationState"] == "COMPLETED"
    status = op.get(f"{ROOT}/ns_instances/{ns_id}").json()["nsScaleStatus"]
    assert status == [{"nsScalingAspectId": "web_tier", "nsScaleLevelId": "1"}]
    task(op, ns_id, "scale", {"scaleType": "SCALE_NS", "scaleNsData": {"scaleNsByStepsData": {
        "scalingDirection": "SCALE_OUT", "aspectId": "nope"}}}, status=422)
    task(op, ns_id, "scale", {"scaleType": "SIDEWAYS"}, status=400)
    # update: modify the VNF information (the template's inputs)
    loc = task(op, ns_id, "update", {
        "updateType": "MODIFY_VNF_INFORMATION", "modifyVnfInfoData": [
            {"vnfInstanceId": "web", "vnfConfigurableProperties": {"web_flavor_mem": "4 GB"}}]}
    ).headers["Location"]
    upd = wait_op(op, loc)
    assert upd["operationState"] == "COMPLETED" and upd["lcmOperationType"] == "UPDATE"
    task(op, ns_id, "update", {"updateType": "ADD_VNF"}, status=422)
    # heal one VNF by its node, then everything unhealthy
    loc = task(op, ns_id, "heal", {"healVnfData": [{"vnfInstanceId": "lb"}]}
               ).headers["Location"]
    healed = wait_op(op, loc)
    assert healed["operationState"] == "COMPLETED" and healed["lcmOperationType"] == "HEAL"
    loc = task(op, ns_id, "heal", {"healNsData": {"degreeHealing": "HEAL_RESTORE"}}
               ).headers["Location"]
    assert wait_op(op, loc)["operationState"] == "COMPLETED"
    task(op, ns_id, "heal", {}, status=422)
    # the op occurrences of this instance (filtered, paged, default-excluded attributes left out)
    occs = get_all(op, f"{ROOT}/ns_lcm_op_occs?filter=(eq,nsInstanceId,{ns_id})")
    assert [o["lcmOperationType"] for o in occs] == [
        "INSTANTIATE", "SCALE", "SCALE", "UPDATE", "HEAL", "HEAL"]
    assert all("operationParams" not in o for o in occs)
    full = op.get(f"{ROOT}/ns_lcm_op_occs", params={
        "filter": f"(eq,nsInstanceId,{ns_id});(eq,lcmOperationType,UPDATE)",
        "all_fields": ""}).json()
    assert len(full) == 1 and full[0]["operationParams"]["updateType"] == "MODIFY_VNF_INFORMATION"
    # terminate (empty body), then delete
    loc = task(op, ns_id, "terminate").headers["Location"]
    assert wait_op(op, loc)["operationState"] == "COMPLETED"
    assert ns_state(op, ns_id) == "NOT_INSTANTIATED"
    task(op, ns_id, "terminate", status=409)
    task(op, ns_id, "scale", {"scaleType": "SCALE_NS", "scaleNsData": {"scaleNsByStepsData": {
        "scalingDirection": "SCALE_OUT", "aspectId": "web_tier"}}}, status=409)
    assert op.delete(f"{ROOT}/ns_instances/{ns_id}").status_code == 204


def test_failed_temp_retry_continue_rollback_fail(op: httpx.Client, nsd_id: str) -> None:
    ns_id = create(op, nsd_id, "broken")["id"]
    loc = instantiate(op, ns_id, vim="broken").headers["Location"]
    occ = wait_op(op, loc)
    op_id = occ["id"]
    assert occ["operationState"] == "FAILED_TEMP", occ
    assert "web" in occ["error"]["detail"] and occ["error"]["status"]
    assert set(occ["_links"]) >= {"retry", "rollback", "continue", "fail"}
    # FAILED_TEMP blocks new operations
    task(op, ns_id, "terminate", status=409)
    assert op.delete(f"{ROOT}/ns_instances/{ns_id}").status_code == 409
    assert op.post(f"{ROOT}/ns_lcm_op_occs/{op_id}/cancel",
                   json={"cancelMode": "GRACEFUL"}).status_code == 409
    # retry fails the same way
    retried = op.post(f"{ROOT}/ns_lcm_op_occs/{op_id}/retry")
    assert retried.status_code == 202 and retried.headers["Location"].endswith(op_id)
    assert wait_op(op, loc)["operationState"] == "FAILED_TEMP"
    # continue skips the failed step (and what depends on it) and completes
    assert op.post(f"{ROOT}/ns_lcm_op_occs/{op_id}/continue").status_code == 202
    assert wait_op(op, loc)["operationState"] == "COMPLETED"
    for name in ("retry", "rollback", "continue", "fail"):
        assert op.post(f"{ROOT}/ns_lcm_op_occs/{op_id}/{name}").status_code == 409
    # a second instance: rollback -> ROLLED_BACK and NOT_INSTANTIATED
    ns2 = create(op, nsd_id, "broken-2")["id"]
    loc2 = instantiate(op, ns2, vim="broken").headers["Location"]
    op2 = wait_op(op, loc2)["id"]
    assert op.post(f"{ROOT}/ns_lcm_op_occs/{op2}/rollback").status_code == 202
    rolled = wait_op(op, loc2, {"ROLLED_BACK"})
    assert rolled["error"]["detail"]
    assert ns_state(op, ns2) == "NOT_INSTANTIATED"
    assert op.delete(f"{ROOT}/ns_instances/{ns2}").status_code == 204
    # a third: fail -> 200 with the FAILED body, final
    ns3 = create(op, nsd_id, "broken-3")["id"]
    loc3 = instantiate(op, ns3, vim="broken").headers["Location"]
    op3 = wait_op(op, loc3)["id"]
    failed = op.post(f"{ROOT}/ns_lcm_op_occs/{op3}/fail")
    assert failed.status_code == 200, failed.text
    assert failed.json()["operationState"] == "FAILED" and failed.json()["id"] == op3
    assert op.post(f"{ROOT}/ns_lcm_op_occs/{op3}/retry").status_code == 409
    # FAILED released the instance: terminate what was left
    loc = task(op, ns3, "terminate").headers["Location"]
    assert wait_op(op, loc)["operationState"] == "COMPLETED"


@pytest.mark.parametrize("mode", ["GRACEFUL", "FORCEFUL"])
def test_cancel_running_operation(op: httpx.Client, nsd_id: str, mode: str) -> None:
    ns_id = create(op, nsd_id, f"cancel-{mode}")["id"]
    loc = instantiate(op, ns_id, vim="slow").headers["Location"]
    op_id = loc.rsplit("/", 1)[1]
    assert op.get(loc).json()["operationState"] == "PROCESSING"
    # wait until some step ran, so the cancel interrupts real work
    wait_for(lambda: bool(op.get(loc).json().get("resourceChanges", {}).get("affectedVnfs")),
             what="a completed step")
    resp = op.post(f"{ROOT}/ns_lcm_op_occs/{op_id}/cancel", json={"cancelMode": mode})
    assert resp.status_code == 202, resp.text
    during = op.get(loc).json()
    assert during["cancelMode"] == mode
    assert during["isCancelPending"] is (during["operationState"] == "PROCESSING")
    again = op.post(f"{ROOT}/ns_lcm_op_occs/{op_id}/cancel", json={"cancelMode": mode})
    assert again.status_code == 409
    ended = wait_op(op, loc)
    assert ended["operationState"] == "FAILED_TEMP", ended
    assert ended["isCancelPending"] is False and ended["cancelMode"] == mode
    assert "cancelled" in ended["error"]["detail"]
    assert op.post(f"{ROOT}/ns_lcm_op_occs/{op_id}/cancel",
                   json={"cancelMode": mode}).status_code == 409
    assert op.post(f"{ROOT}/ns_lcm_op_occs/{op_id}/cancel",
                   json={"cancelMode": "SOFTLY"}).status_code == 400
    # roll back what the cancelled instantiate had created
    assert op.post(f"{ROOT}/ns_lcm_op_occs/{op_id}/rollback").status_code == 202
    assert wait_op(op, loc)["operationState"] == "ROLLED_BACK"
    assert ns_state(op, ns_id) == "NOT_INSTANTIATED"


def test_not_found_method_not_allowed_and_roles(server: ApiServer, op: httpx.Client,
                                                nsd_id: str) -> None:
    assert op.get(f"{ROOT}/ns_lcm_op_occs/nope").status_code == 404
    assert op.post(f"{ROOT}/ns_lcm_op_occs/nope/retry").status_code == 404
    assert op.post(f"{ROOT}/ns_lcm_op_occs/nope/fail").status_code == 404
    assert op.post(f"{ROOT}/ns_instances/nope/instantiate",
                   json={"nsFlavourId": "default"}).status_code == 404
    ns_id = create(op, nsd_id, "methods")["id"]
    for method, path in [("PUT", "/ns_instances"), ("PATCH", "/ns_instances"),
                         ("DELETE", "/ns_instances"), ("PUT", f"/ns_instances/{ns_id}"),
                         ("GET", f"/ns_instances/{ns_id}/instantiate"),
                         ("PUT", "/ns_lcm_op_occs"), ("DELETE", "/ns_lcm_op_occs/x"),
                         ("GET", "/ns_lcm_op_occs/x/retry")]:
        resp = op.request(method, f"{ROOT}{path}")
        assert resp.status_code == 405, (method, path, resp.status_code)
        assert resp.headers["content-type"].startswith(PROBLEM)
    reader = server.client("reader")
    resp = reader.post(f"{ROOT}/ns_instances/{ns_id}/instantiate", json={"nsFlavourId": "x"})
    assert resp.status_code == 403
    assert reader.get(f"{ROOT}/ns_lcm_op_occs").status_code == 200
    anonymous = httpx.get(f"{server.url}{ROOT}/ns_instances", headers=server.headers(None))
    assert anonymous.status_code == 401
    assert op.delete(f"{ROOT}/ns_instances/{ns_id}").status_code == 204


def test_restart_parks_unfinished_operations(tmp_path: Path) -> None:
    """An operation the server was running when it stopped is FAILED_TEMP after the restart
    (SPEC-NOTES §2 recovery), from where it is rolled back."""
    vims = write_test_vims(tmp_path)
    nsd = onboard_demo(tmp_path, vims)
    gen = run_server(tmp_path, vim_config=vims, op_stop_grace_s=0)
    first = next(gen)
    op = first.client("operator")
    ns_id = create(op, nsd, "restart")["id"]
    loc = instantiate(op, ns_id, vim="slow").headers["Location"]
    path = loc.split(first.url, 1)[-1]
    secrets = first.secrets
    gen.close()  # stops uvicorn: the running operation is stopped, FAILED_TEMP
    gen2 = run_server(tmp_path, vim_config=vims, roles=())
    second = next(gen2)
    try:
        second.secrets = secrets
        op2 = second.client("operator")
        occ = op2.get(path).json()
        assert occ["operationState"] == "FAILED_TEMP", occ
        assert op2.post(path + "/rollback").status_code == 202
        assert wait_op(op2, path)["operationState"] == "ROLLED_BACK"
    finally:
        gen2.close()


# -- the database page query (SOL013 §5.2 filter on nsState, §5.4 paging) ---------------------

_STATES = ("NOT_INSTANTIATED", "INSTANTIATED")


def _fill(store: Store, count: int) -> dict[str, str]:
    """``count`` instances of two NSDs; every third has a service record (every sixth of those
    terminated back to NOT_INSTANTIATED). Returns id -> expected nsState."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows, svcs, expected = [], [], {}
    for i in range(count):
        ns_id = f"ns-{i:05d}"
        rows.append({"id": ns_id, "name": f"n{i}", "description": "", "nsd_id": f"nsd-{i % 2}",
                     "nsd_info_id": "info", "created_at": start + timedelta(seconds=i)})
        expected[ns_id] = "NOT_INSTANTIATED"
        if i % 3 == 0:
            status = "NOT_INSTANTIATED" if i % 6 == 0 else "INSTANTIATED"
            svcs.append({"name": ns_id, "template": "t", "template_hash": "h", "vim": "sim1",
                         "status": status, "inputs": {}, "model": {}, "scale_levels": {},
                         "generations": [], "created_at": start, "updated_at": start})
            expected[ns_id] = status
    with store.engine.begin() as conn:
        conn.execute(insert(ns_instances), rows)
        conn.execute(insert(services), svcs)
    return expected


@pytest.mark.parametrize("op", ["eq", "neq", "in", "nin"])
def test_page_filter_on_ns_state(store: Store, op: str) -> None:
    """Every operator on nsState, with and without NOT_INSTANTIATED among the values (an
    instance without a service record is NOT_INSTANTIATED), with another condition and paging,
    gives what evaluating the filter on each instance gives."""
    expected = _fill(store, 60)
    db = NsLcmStore(store.engine)
    choices = [[s] for s in _STATES] if op in ("eq", "neq") else [
        [_STATES[0]], [_STATES[1]], list(_STATES), ["NOT_INSTANTIATED", "FOO"]]
    for values in choices:
        positive = op in ("eq", "in")
        want = [i for i, state in sorted(expected.items())
                if (state in values) == positive and int(i[3:]) % 2 == 1]
        conditions = [("eq", "nsdId", ["nsd-1"]), (op, "nsState", values)]
        got = [r.id for r in db.instances_page(conditions, offset=0, limit=1000)]
        assert got == want, (op, values)
        paged = [r.id for r in db.instances_page(conditions, offset=3, limit=4)]
        assert paged == want[3:7], (op, values)
        for row in db.instances_page(conditions, offset=0, limit=1000):
            assert (row.status or "NOT_INSTANTIATED") == expected[row.id]


def test_page_query_walks_an_index(store: Store) -> None:
    """The filtered page (the bench's ``(eq,nsdId,…);(eq,nsState,NOT_INSTANTIATED)``) reads
    instances in index order and stops at the page end: no sort of every matching row."""
    _fill(store, 3000)
    conditions = [("eq", "nsdId", ["nsd-1"]), ("eq", "nsState", ["NOT_INSTANTIATED"])]
    compiled = _page_query(_shape(conditions)).compile(dialect=store.engine.dialect)
    params = compiled.construct_params({"v0": "nsd-1", "v1": "NOT_INSTANTIATED", "offset": 0,
                                        "limit": 101})
    with store.engine.connect() as conn:
        if store.engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE")
            plan = "\n".join(conn.exec_driver_sql("EXPLAIN " + compiled.string, params)
                             .scalars())
            assert "Sort" not in plan and "Index Scan" in plan, plan
        else:
            positional = tuple(params[k] for k in compiled.positiontup or ())
            plan = "\n".join(str(r[3]) for r in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + compiled.string, positional))
            assert "TEMP B-TREE" not in plan and "USING INDEX" in plan, plan
