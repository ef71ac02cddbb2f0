"""Subscriptions (SOL005 v2.6.1 §6.4.16 ``nslcm``, §9.4.8 ``vnfpkgm``, §5.4.8 ``nsd``) and
notification delivery, against the real app under uvicorn and a real callback receiver.

Creating a subscription tests the callback (GET → 204, else 422) and a duplicate answers 303
with the existing one's Location; credentials are never returned. Notifications of the NS
lifecycle (identifier creation / deletion, START and RESULT of an operation occurrence) reach
the receiver with BASIC or OAuth 2.0 client-credentials authentication, filtered as the
subscription says, and a notification the receiver could not take is retried with backoff
until it can — across a restart of the API server, because the outbox is in the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from integration.api.nslcm_support import (
    Receiver,
    onboard_demo,
    wait_for,
    wait_op,
    write_test_vims,
)
from integration.api_server import ApiServer, run_server
from netorch.model.notifications import DeliveryState
from netorch.services.context import Context
from netorch.services.notify import Notifier
from netorch.services.settings import Settings

pytestmark = pytest.mark.timeout(300)

FAST_RETRY = {"notify_backoff_initial_s": 0.2, "notify_backoff_max_s": 0.5,
              "notify_poll_interval_s": 0.1}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    home = tmp_path_factory.mktemp("subs-home")
    vims = write_test_vims(home)
    home.joinpath("nsd-id").write_text(onboard_demo(home, vims))
    yield from run_server(home, vim_config=vims, **FAST_RETRY)


@pytest.fixture(scope="module")
def nsd_id(server: ApiServer) -> str:
    return server.home.joinpath("nsd-id").read_text()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.start()
    yield r
    r.stop()


def basic(r: Receiver) -> dict[str, Any]:
    return {"authType": ["BASIC"], "paramsBasic": {"userName": r.user, "password": r.password}}


def oauth(r: Receiver) -> dict[str, Any]:
    return {"authType": ["OAUTH2_CLIENT_CREDENTIALS"], "paramsOauth2ClientCredentials": {
        "clientId": r.client_id, "clientPassword": r.client_secret,
        "tokenEndpoint": r.token_endpoint}}


def subscribe(client: httpx.Client, api: str, body: dict[str, Any],
              status: int = 201) -> httpx.Response:
    resp = client.post(f"/{api}/v1/subscriptions", json=body, follow_redirects=False)
    assert resp.status_code == status, resp.text
    return resp


@pytest.mark.parametrize("api", ["nslcm", "vnfpkgm", "nsd"])
def test_subscription_resources(server: ApiServer, receiver: Receiver, api: str) -> None:
    op = server.client("operator", api)
    flt = {"notificationTypes": ["NsIdentifierCreationNotification"]} if api == "nslcm" else {}
    resp = subscribe(op, api, {"callbackUri": receiver.callback, "filter": flt,
                               "authentication": basic(receiver)})
    sub = resp.json()
    href = f"{server.url}/{api}/v1/subscriptions/{sub['id']}"
    assert resp.headers["Location"] == href == sub["_links"]["self"]["href"]
    assert sub["callbackUri"] == receiver.callback and sub["filter"] == flt
    assert "authentication" not in sub and receiver.password not in resp.text
    assert receiver.test_gets == 1  # the callback was tested, with the credentials
    # a duplicate (same callback and filter) answers 303 See Other with the existing one
    dup = subscribe(op, api, {"callbackUri": receiver.callback, "filter": flt}, status=303)
    assert dup.headers["Location"] == href
    reader = server.client("reader", api)
    got = reader.get(f"/{api}/v1/subscriptions/{sub['id']}")
    assert got.status_code == 200 and got.json() == sub
    listed = reader.get(f"/{api}/v1/subscriptions",
                        params={"filter": f"(eq,id,{sub['id']})"})
    assert listed.status_code == 200 and listed.json() == [sub]
    assert receiver.password not in listed.text
    assert reader.post(f"/{api}/v1/subscriptions",
                       json={"callbackUri": receiver.callback}).status_code == 403
    assert reader.delete(f"/{api}/v1/subscriptions/{sub['id']}").status_code == 403
    assert op.delete(f"/{api}/v1/subscriptions/{sub['id']}").status_code == 204
    assert reader.get(f"/{api}/v1/subscriptions/{sub['id']}").status_code == 404
    assert op.delete(f"/{api}/v1/subscriptions/{sub['id']}").status_code == 404
    assert op.put(f"/{api}/v1/subscriptions").status_code == 405
    assert op.patch(f"/{api}/v1/subscriptions/{sub['id']}").status_code == 405


def test_subscription_refused(server: ApiServer, receiver: Receiver) -> None:
    op = server.client("operator")
    receiver.test_status = 200  # not 204
    resp = subscribe(op, "nslcm", {"callbackUri": receiver.callback + "/x"}, status=422)
    assert resp.json()["status"] == 422
    receiver.test_status = 204
    wrong = {"authType": ["BASIC"], "paramsBasic": {"userName": "cb-user", "password": "no"}}
    subscribe(op, "nslcm", {"callbackUri": receiver.callback + "/y", "authentication": wrong},
              status=422)
    unreachable = "http://127.0.0.1:9/callback"
    subscribe(op, "nslcm", {"callbackUri": unreachable}, status=422)
    subscribe(op, "nslcm", {"filter": {}}, status=400)
    subscribe(op, "nslcm", {"callbackUri": receiver.callback,
                            "authentication": {"authType": ["BASIC"]}}, status=400)


def test_lcm_notifications_basic_and_oauth2(server: ApiServer, nsd_id: str) -> None:
    basic_rx, oauth_rx = Receiver(), Receiver()
    basic_rx.start()
    oauth_rx.start()
    try:
        op = server.client("operator")
        # everything, with BASIC; only RESULTs of instantiations that COMPLETED, with OAuth 2.0
        everything = subscribe(op, "nslcm", {"callbackUri": basic_rx.callback,
                                             "authentication": basic(basic_rx)}).json()
        results = subscribe(op, "nslcm", {"callbackUri": oauth_rx.callback, "filter": {
            "notificationTypes": ["NsLcmOperationOccurrenceNotification"],
            "operationTypes": ["INSTANTIATE"], "operationStates": ["COMPLETED"],
            "nsInstanceSubscriptionFilter": {"nsdIds": [nsd_id]}},
            "authentication": oauth(oauth_rx)}).json()
        resp = op.post("/nslcm/v1/ns_instances",
                       json={"nsdId": nsd_id, "nsName": "notified", "nsDescription": ""})
        ns_id = resp.json()["id"]
        created = basic_rx.wait("NsIdentifierCreationNotification", nsInstanceId=ns_id)[0]
        assert created["subscriptionId"] == everything["id"] and created["timestamp"]
        assert created["_links"]["subscription"]["href"].endswith(everything["id"])
        assert created["_links"]["nsInstance"]["href"].endswith(ns_id)
        loc = op.post(f"/nslcm/v1/ns_instances/{ns_id}/instantiate",
                      json={"nsFlavourId": "default"}).headers["Location"]
        assert wait_op(op, loc)["operationState"] == "COMPLETED"
        lcm = basic_rx.wait("NsLcmOperationOccurrenceNotification", 2, nsInstanceId=ns_id)
        assert [(n["notificationStatus"], n["operationState"]) for n in lcm] == [
            ("START", "PROCESSING"), ("RESULT", "COMPLETED")]
        assert all(n["operation"] == "INSTANTIATE" and n["nsLcmOpOccId"] == loc.rsplit("/")[-1]
                   for n in lcm)
        assert len({n["id"] for n in lcm}) == 2
        assert all(a.startswith("Basic ") for a in basic_rx.auth_seen)
        got = oauth_rx.wait("NsLcmOperationOccurrenceNotification", nsInstanceId=ns_id)
        assert got[0]["operationState"] == "COMPLETED"
        assert got[0]["subscriptionId"] == results["id"]
        assert all(a.startswith("Bearer ") for a in oauth_rx.auth_seen)
        # terminate and delete: the OAuth 2.0 subscriber hears nothing of them
        loc = op.post(f"/nslcm/v1/ns_instances/{ns_id}/terminate").headers["Location"]
        assert wait_op(op, loc)["operationState"] == "COMPLETED"
        assert op.delete(f"/nslcm/v1/ns_instances/{ns_id}").status_code == 204
        basic_rx.wait("NsIdentifierDeletionNotification", nsInstanceId=ns_id)
        assert len(basic_rx.received("NsLcmOperationOccurrenceNotification",
                                     nsInstanceId=ns_id)) == 4
        assert len(oauth_rx.received(nsInstanceId=ns_id)) == 1
        for sub in (everything, results):
            assert op.delete(f"/nslcm/v1/subscriptions/{sub['id']}").status_code == 204
    finally:
        basic_rx.stop()
        oauth_rx.stop()


def pending(home: Path, sub_id: str) -> list[Any]:
    ctx = Context(Settings(home=home))
    try:
        return Notifier(ctx.store, ctx.settings).pending(sub_id)
    finally:
        ctx.close()


def test_delivery_retried_across_a_server_restart(tmp_path: Path) -> None:
    """Receiver down → the notification waits in the outbox (retried with backoff); the API
    server restarts; the receiver comes up → it is delivered, once."""
    vims = write_test_vims(tmp_path)
    nsd = onboard_demo(tmp_path, vims)
    rx = Receiver()
    rx.start()
    gen = run_server(tmp_path, vim_config=vims, **FAST_RETRY)
    first = next(gen)
    secrets = first.secrets
    op = first.client("operator")
    sub = subscribe(op, "nslcm", {"callbackUri": rx.callback, "authentication": basic(rx),
                                  "filter": {"notificationTypes": [
                                      "NsIdentifierCreationNotification"]}}).json()
    rx.stop()  # the consumer goes down
    ns_id = op.post("/nslcm/v1/ns_instances", json={
        "nsdId": nsd, "nsName": "retried", "nsDescription": ""}).json()["id"]

    def attempted() -> bool:
        entries = pending(tmp_path, sub["id"])
        return bool(entries) and entries[0].attempts >= 2
    wait_for(attempted, what="two failed delivery attempts")
    gen.close()  # the API server stops with the notification undelivered
    entries = pending(tmp_path, sub["id"])
    assert len(entries) == 1 and entries[0].state is DeliveryState.PENDING
    assert entries[0].last_error
    rx.start()  # the consumer is back (same port) before the server is
    gen2 = run_server(tmp_path, vim_config=vims, roles=(), **FAST_RETRY)
    second = next(gen2)
    try:
        second.secrets = secrets
        got = rx.wait("NsIdentifierCreationNotification", nsInstanceId=ns_id)
        assert len(got) == 1 and got[0]["subscriptionId"] == sub["id"]
        wait_for(lambda: not pending(tmp_path, sub["id"]), what="the outbox to drain")
        assert second.client("reader").get(
            f"/nslcm/v1/subscriptions/{sub['id']}").status_code == 200
    finally:
        gen2.close()
        rx.stop()
