"""Subscriptions and notification delivery for the SOL005 APIs (nslcm, vnfpkgm, nsd).

* :meth:`Notifier.subscribe` tests the callback first (``GET callbackUri`` with the given
  authentication, expecting 204; SPEC-NOTES §0.7, SOL013 §6.x) and refuses a duplicate
  (same callback and filter) by returning the existing subscription (the API answers
  303 See Other).
* :meth:`Notifier.publish` writes one outbox entry per matching subscription, in the store:
  a notification survives a restart of the server. Filters follow SOL005 v2.6.1 §6.5.3.x
  ``LccnSubscriptionFilter`` / §9.5.3.x ``PkgmNotificationsFilter`` / §5.5.3.x
  ``NsdmNotificationsFilter``: attributes are ANDed, the values of one attribute ORed.
* A delivery worker (a thread with its own event loop, so the API's loop is never blocked)
  ``POST``\\s each entry to the callback with BASIC or OAUTH2_CLIENT_CREDENTIALS
  authentication (RFC 7617 / RFC 6749 §4.4, token from the subscriber's token endpoint),
  and retries failures with exponential backoff and jitter until ``notify_max_attempts``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import logging
import random
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from netorch.model.errors import NetorchError, NotFoundError, ValidationFailed
from netorch.model.notifications import DeliveryState, OutboxEntry, Subscription
from netorch.services.settings import Settings
from netorch.store import Store
from netorch.store.outbox import OutboxStore

log = logging.getLogger(__name__)

APIS = ("nslcm", "vnfpkgm", "nsd")
"""The APIs that have a ``/subscriptions`` resource (SOL005 v2.6.1 trees ``…/v1``)."""

AUTH_BASIC = "BASIC"
AUTH_OAUTH2 = "OAUTH2_CLIENT_CREDENTIALS"
AUTH_TLS = "TLS_CERT"

# Filter attribute -> the notification attribute (``attrs`` key) it matches. Plural filter
# names in SOL005 match one value of the notification. Unlisted names match the same key.
_FILTER_ATTR = {
    "notificationTypes": "notificationType",
    "operationTypes": "operationType",
    "operationStates": "operationState",
    "nsComponentTypes": "nsComponentType",
    "lcmOpNameImpactingNsComponent": "lcmOpNameImpactingNsComponent",
    "lcmOpOccStatusImpactingNsComponent": "lcmOpOccStatusImpactingNsComponent",
    "nsdIds": "nsdId",
    "vnfdIds": "vnfdId",
    "pnfdIds": "pnfdId",
    "nsInstanceIds": "nsInstanceId",
    "nsInstanceNames": "nsInstanceName",
    "vnfPkgIds": "vnfPkgId",
    "pnfdInfoIds": "pnfdInfoId",
    "nestedNsdInfoIds": "nestedNsdInfoId",
}
_NESTED_FILTERS = ("nsInstanceSubscriptionFilter",)
"""Filter members whose own members are matched like top-level ones."""

AttrValue = str | Sequence[str]


class CallbackTestFailed(NetorchError):
    """The callback URI did not answer the test ``GET`` with 204 (the API answers 422)."""


def _values(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [str(v) for v in value]
    return [str(value)]


def _match_products(providers: Sequence[Mapping[str, Any]],
                     attrs: Mapping[str, AttrValue]) -> bool:
    """``vnfProductsFromProviders`` (SOL005 §9.5.3.x): provider, product, version, vnfdVersion."""
    if "vnfProvider" not in attrs:
        return True
    provider = _values(attrs["vnfProvider"])
    product = _values(attrs.get("vnfProductName", []))
    sw_version = _values(attrs.get("vnfSoftwareVersion", []))
    vnfd_version = _values(attrs.get("vnfdVersion", []))
    for prov in providers:
        if prov.get("vnfProvider") not in provider:
            continue
        products = prov.get("vnfProducts") or []
        if not products:
            return True
        for prod in products:
            if prod.get("vnfProductName") not in product:
                continue
            versions = prod.get("versions") or []
            if not versions:
                return True
            for ver in versions:
                if ver.get("vnfSoftwareVersion") not in sw_version:
                    continue
                wanted = ver.get("vnfdVersions") or []
                if not wanted or any(v in vnfd_version for v in wanted):
                    return True
    return False


def filter_matches(flt: Mapping[str, Any], attrs: Mapping[str, AttrValue]) -> bool:
    """Does a subscription filter select a notification with these ``attrs``?

    Attributes are ANDed, the values in one attribute ORed; a criterion about an attribute the
    notification does not carry (e.g. ``operationStates`` for an NsIdentifierCreation
    notification) does not apply to it.
    """
    for key, wanted in flt.items():
        if wanted is None:
            continue
        if key in _NESTED_FILTERS and isinstance(wanted, Mapping):
            if not filter_matches(wanted, attrs):
                return False
            continue
        if key == "vnfProductsFromProviders" and isinstance(wanted, Sequence):
            if not _match_products(wanted, attrs):
                return False
            continue
        attr = _FILTER_ATTR.get(key, key)
        if attr not in attrs:
            continue
        allowed = set(_values(wanted))
        if not allowed:
            continue
        if not allowed.intersection(_values(attrs[attr])):
            return False
    return True


def dedup_key(callback_uri: str, flt: Mapping[str, Any]) -> str:
    """Subscriptions with the same callback and filter are duplicates."""
    canon = json.dumps({"callbackUri": callback_uri, "filter": flt}, sort_keys=True,
                       separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()


def check_authentication(auth: Mapping[str, Any] | None) -> None:
    """SOL013 ``SubscriptionAuthentication``: the parameters each ``authType`` needs."""
    if auth is None:
        return
    types = auth.get("authType")
    if not isinstance(types, list) or not types:
        raise ValidationFailed("authentication.authType must be a non-empty list")
    for t in types:
        if t not in (AUTH_BASIC, AUTH_OAUTH2, AUTH_TLS):
            raise ValidationFailed(f"authentication.authType {t!r} is not supported")
    if AUTH_TLS in types:
        raise ValidationFailed("authentication.authType TLS_CERT is not supported")
    if AUTH_BASIC in types:
        basic = auth.get("paramsBasic")
        if not isinstance(basic, Mapping) or not basic.get("userName") \
                or basic.get("password") is None:
            raise ValidationFailed("authentication.paramsBasic needs userName and password")
    if AUTH_OAUTH2 in types:
        oauth = auth.get("paramsOauth2ClientCredentials")
        if not isinstance(oauth, Mapping) or not all(
                oauth.get(k) for k in ("clientId", "clientPassword", "tokenEndpoint")):
            raise ValidationFailed("authentication.paramsOauth2ClientCredentials needs "
                                   "clientId, clientPassword and tokenEndpoint")


@dataclass(slots=True)
class _Token:
    value: str
    expires: float


class _Authenticator:
    """Authorization headers for callbacks; OAuth 2.0 tokens cached until they expire."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str], _Token] = {}

    def forget(self, auth: Mapping[str, Any] | None) -> None:
        if auth and isinstance(auth.get("paramsOauth2ClientCredentials"), Mapping):
            p = auth["paramsOauth2ClientCredentials"]
            self._tokens.pop((str(p.get("tokenEndpoint")), str(p.get("clientId"))), None)

    async def headers(self, client: httpx.AsyncClient,
                      auth: Mapping[str, Any] | None) -> dict[str, str]:
        if not auth:
            return {}
        types = auth.get("authType") or []
        if AUTH_OAUTH2 in types:
            p = auth["paramsOauth2ClientCredentials"]
            key = (str(p["tokenEndpoint"]), str(p["clientId"]))
            tok = self._tokens.get(key)
            if tok is None or tok.expires <= time.monotonic():
                tok = await self._fetch(client, p)
                self._tokens[key] = tok
            return {"Authorization": f"Bearer {tok.value}"}
        if AUTH_BASIC in types:
            p = auth["paramsBasic"]
            raw = f"{p['userName']}:{p['password']}".encode()
            return {"Authorization": "Basic " + base64.b64encode(raw).decode()}
        return {}

    @staticmethod
    async def _fetch(client: httpx.AsyncClient, p: Mapping[str, Any]) -> _Token:
        """RFC 6749 §4.4 client credentials grant, client authenticated with HTTP Basic."""
        resp = await client.post(
            str(p["tokenEndpoint"]), data={"grant_type": "client_credentials"},
            auth=(str(p["clientId"]), str(p["clientPassword"])),
            headers={"Accept": "application/json"})
        if resp.status_code != 200:
            raise CallbackTestFailed(
                f"the token endpoint answered {resp.status_code} to the client credentials grant")
        try:
            body = resp.json()
            value = str(body["access_token"])
            ttl = float(body.get("expires_in", 300))
        except (ValueError, KeyError, TypeError) as exc:
            raise CallbackTestFailed("the token endpoint's answer has no access_token") from exc
        return _Token(value, time.monotonic() + max(0.0, ttl - 10.0))


def render_subscription(sub: Subscription, self_href: str) -> dict[str, Any]:
    """The subscription resource (SOL005 §6.5.2.4 and siblings), never with credentials."""
    return {"id": sub.id, "filter": sub.filter, "callbackUri": sub.callback_uri,
            "_links": {"self": {"href": self_href}}}


class Notifier:
    """Subscriptions, the outbox and its delivery worker (one per API process)."""

    def __init__(self, store: Store, settings: Settings | None = None, *,
                 api_root: str = "") -> None:
        self.store = store
        self.settings = settings or Settings()
        self.api_root = api_root.rstrip("/")
        """Absolute ``{apiRoot}`` for the ``_links`` of notifications (empty: relative)."""
        self.outbox = OutboxStore(store.engine)
        self._auth = _Authenticator()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stopping = threading.Event()
        self._started = threading.Event()

    # ------------------------------------------------------------------ subscriptions

    def subscription_href(self, api: str, sub_id: str) -> str:
        return f"{self.api_root}/{api}/v1/subscriptions/{sub_id}"

    async def test_callback(self, callback_uri: str,
                            auth: Mapping[str, Any] | None) -> None:
        """``GET callbackUri`` must answer 204 (SOL005 v2.6.1 §6.4.18.3.2 and siblings)."""
        timeout = self.settings.notify_timeout_s
        try:
            async with httpx.AsyncClient(timeout=timeout) as client:
                headers = await self._auth.headers(client, auth)
                resp = await client.get(callback_uri, headers=headers)
        except CallbackTestFailed:
            raise
        except httpx.HTTPError as exc:
            raise CallbackTestFailed(
                f"testing the callback URI failed: {type(exc).__name__}") from exc
        if resp.status_code != 204:
            raise CallbackTestFailed(
                f"the callback URI answered {resp.status_code} to the test GET, not 204")

    async def subscribe(self, api: str, callback_uri: str, flt: Mapping[str, Any] | None,
                        auth: Mapping[str, Any] | None) -> tuple[Subscription, bool]:
        """Create a subscription; ``(existing, False)`` for a duplicate (no callback test)."""
        if api not in APIS:
            raise NotFoundError(f"no subscriptions for API {api!r}")
        check_authentication(auth)
        flt = dict(flt or {})
        key = dedup_key(callback_uri, flt)
        existing = await asyncio.to_thread(self.outbox.find_duplicate, api, key)
        if existing is not None:
            return existing, False
        await self.test_callback(callback_uri, auth)
        sub = Subscription(id=str(uuid.uuid4()), api=api, callback_uri=callback_uri,
                           filter=flt, dedup_key=key, created_at=datetime.now(UTC),
                           authentication=dict(auth) if auth else None)
        stored, created = await asyncio.to_thread(self.outbox.add_subscription, sub)
        if created:
            log.info("subscription %s created for %s notifications to %s", stored.id, api,
                     callback_uri)
        return stored, created

    def get(self, api: str, sub_id: str) -> Subscription:
        sub = self.outbox.get_subscription(sub_id, api)
        if sub is None:
            raise NotFoundError(f"no subscription {sub_id!r}")
        return sub

    def subscriptions(self, api: str) -> list[Subscription]:
        return self.outbox.list_subscriptions(api)

    def unsubscribe(self, api: str, sub_id: str) -> None:
        self.outbox.delete_subscription(sub_id, api)
        log.info("subscription %s deleted", sub_id)

    # ------------------------------------------------------------------ publishing

    def publish(self, api: str, notification_type: str, payload: Mapping[str, Any],
                attrs: Mapping[str, AttrValue]) -> int:
        """Queue ``payload`` for every subscription of ``api`` whose filter matches ``attrs``.

        Each delivery gets its own ``id``, ``subscriptionId``, ``notificationType``,
        ``timestamp`` (SOL005 v2.6.1 spelling) and ``_links.subscription``. Returns how many
        deliveries were queued. Safe to call from any thread.
        """
        match_attrs: dict[str, AttrValue] = {"notificationType": notification_type, **attrs}
        subs = [s for s in self.outbox.list_subscriptions(api)
                if filter_matches(s.filter, match_attrs)]
        if not subs:
            return 0
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        entries: list[tuple[str, str, str, dict[str, Any]]] = []
        for sub in subs:
            body = dict(payload)
            links = dict(body.get("_links") or {})
            links["subscription"] = {"href": self.subscription_href(api, sub.id)}
            body.update({"id": str(uuid.uuid4()), "notificationType": notification_type,
                         "subscriptionId": sub.id, "_links": links})
            body.setdefault("timestamp", now)
            entries.append((sub.id, api, notification_type, body))
        count = self.outbox.enqueue(entries)
        self.wake()
        return count

    # ------------------------------------------------------------------ delivery worker

    def start(self) -> None:
        """Start the delivery worker thread (idempotent)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._started.clear()
        self._thread = threading.Thread(target=self._run, name="netorch-notify", daemon=True)
        self._thread.start()
        self._started.wait(5.0)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the worker; entries not delivered stay in the outbox for the next start."""
        thread = self._thread
        if thread is None:
            return
        self._stopping.set()
        self.wake()
        thread.join(timeout)
        self._thread = None

    async def astart(self) -> None:
        self.start()

    async def astop(self) -> None:
        await asyncio.to_thread(self.stop)

    def wake(self) -> None:
        loop, ev = self._loop, self._wake
        if loop is not None and ev is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(ev.set)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except Exception:  # pragma: no cover - logged, the outbox keeps the entries
            log.exception("the notification delivery worker stopped on an error")

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._started.set()
        poll = max(0.05, self.settings.notify_poll_interval_s)
        sem = asyncio.Semaphore(16)
        try:
            async with httpx.AsyncClient(timeout=self.settings.notify_timeout_s) as client:
                while not self._stopping.is_set():
                    self._wake.clear()  # before reading: a publish from now on wakes us
                    try:
                        entries = await asyncio.to_thread(
                            self.outbox.claim_due, limit=64,
                            lease_s=self.settings.notify_timeout_s * 3 + 30)
                    except Exception:
                        log.exception("reading the notification outbox failed")
                        entries = []
                    if entries:
                        await asyncio.gather(*(self._deliver_one(client, sem, e)
                                               for e in entries))
                        continue
                    wait = poll
                    try:
                        due = await asyncio.to_thread(self.outbox.next_due)
                    except Exception:
                        due = None
                    if due is not None:
                        until = (due - datetime.now(UTC)).total_seconds()
                        wait = min(poll, max(0.0, until))
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=wait)
        finally:
            self._loop = None
            self._wake = None

    async def _deliver_one(self, client: httpx.AsyncClient, sem: asyncio.Semaphore,
                           entry: OutboxEntry) -> None:
        async with sem:
            error = await self._post(client, entry)
        try:
            if error is None:
                await asyncio.to_thread(self.outbox.mark_delivered, entry.seq)
                log.info("delivered %s %s to subscription %s", entry.notification_type,
                         entry.payload.get("id"), entry.subscription_id)
                return
            attempts = entry.attempts + 1
            retry_at: datetime | None = None
            if attempts < self.settings.notify_max_attempts:
                retry_at = datetime.now(UTC) + timedelta(seconds=self.backoff(attempts))
                log.info("delivery of %s to subscription %s failed (%s); attempt %d, retry at "
                         "%s", entry.notification_type, entry.subscription_id, error, attempts,
                         retry_at.isoformat())
            else:
                log.warning("giving up delivering %s to subscription %s after %d attempts: %s",
                            entry.notification_type, entry.subscription_id, attempts, error)
            await asyncio.to_thread(self.outbox.mark_failed, entry.seq, error=error,
                                    retry_at=retry_at)
        except Exception:
            log.exception("recording the delivery of outbox entry %d failed", entry.seq)

    def backoff(self, attempts: int) -> float:
        """Delay before attempt ``attempts + 1``: doubling from the initial delay, capped,
        with ±20 % jitter."""
        base = self.settings.notify_backoff_initial_s * float(2 ** min(attempts - 1, 30))
        capped: float = min(self.settings.notify_backoff_max_s, base)
        return capped * (0.8 + 0.4 * random.random())

    async def _post(self, client: httpx.AsyncClient, entry: OutboxEntry) -> str | None:
        """POST the notification; ``None`` when the consumer accepted it, else why not."""
        for again in (True, False):
            try:
                headers = await self._auth.headers(client, entry.authentication)
                headers["Content-Type"] = "application/json"
                resp = await client.post(entry.callback_uri, content=json.dumps(entry.payload),
                                         headers=headers)
            except CallbackTestFailed as exc:
                return str(exc)
            except httpx.HTTPError as exc:
                return f"{type(exc).__name__}: {exc}"
            if resp.status_code == 401 and again and entry.authentication:
                self._auth.forget(entry.authentication)  # the token may have been revoked
                continue
            if 200 <= resp.status_code < 300:
                return None
            return f"the callback answered {resp.status_code}"
        return "unauthorized"

    # ------------------------------------------------------------------ inspection

    def pending(self, subscription_id: str | None = None) -> list[OutboxEntry]:
        return self.outbox.entries(subscription_id=subscription_id,
                                   states=[DeliveryState.PENDING])
