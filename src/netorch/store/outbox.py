"""Subscriptions and the notification outbox (SOL005 v2.6.1 §6.5.2.4 / SOL013 §6.x).

A notification is written to ``notification_outbox`` in the same database as everything else, so
it survives a restart of the server; a delivery worker claims due entries with a lease (the
claim moves ``next_attempt_at`` forward, so a worker that dies lets the entry come due again),
then marks each DELIVERED, or schedules a retry, or gives up (DEAD).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from netorch.model.errors import NotFoundError
from netorch.model.notifications import DeliveryState, OutboxEntry, Subscription
from netorch.store.columns import utcnow
from netorch.store.connect import writer
from netorch.store.tables import notification_outbox, subscriptions

log = logging.getLogger(__name__)

_SUB_PUBLIC = (subscriptions.c.id, subscriptions.c.api, subscriptions.c.callback_uri,
               subscriptions.c.filter, subscriptions.c.dedup_key, subscriptions.c.created_at)


def _sub(row: Any, *, with_auth: bool) -> Subscription:
    return Subscription(
        id=row.id, api=row.api, callback_uri=row.callback_uri, filter=dict(row.filter or {}),
        dedup_key=row.dedup_key, created_at=row.created_at,
        authentication=dict(row.authentication) if with_auth and row.authentication else None)


class OutboxStore:
    """Subscriptions and queued deliveries, over the store's engine. Thread-safe."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = writer(engine)

    # -- subscriptions -----------------------------------------------------------------------

    def add_subscription(self, sub: Subscription) -> tuple[Subscription, bool]:
        """Insert ``sub``; when one with the same ``(api, dedup_key)`` exists, return that one
        and ``False`` (SOL005: a duplicate is answered with 303 See Other)."""
        values = {
            "id": sub.id, "api": sub.api, "callback_uri": sub.callback_uri,
            "filter": sub.filter, "authentication": sub.authentication,
            "dedup_key": sub.dedup_key, "created_at": sub.created_at,
        }
        existing = self.find_duplicate(sub.api, sub.dedup_key)
        if existing is not None:
            return existing, False
        try:
            with self._writer.begin() as conn:
                conn.execute(insert(subscriptions).values(values))
        except IntegrityError:
            found = self.find_duplicate(sub.api, sub.dedup_key)
            if found is None:
                raise
            return found, False
        return sub, True

    def find_duplicate(self, api: str, dedup_key: str) -> Subscription | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(*_SUB_PUBLIC).where(
                subscriptions.c.api == api, subscriptions.c.dedup_key == dedup_key)).first()
        return None if row is None else _sub(row, with_auth=False)

    def get_subscription(self, sub_id: str, api: str | None = None, *,
                         with_auth: bool = False) -> Subscription | None:
        cols = (*_SUB_PUBLIC, subscriptions.c.authentication) if with_auth else _SUB_PUBLIC
        query = select(*cols).where(subscriptions.c.id == sub_id)
        if api is not None:
            query = query.where(subscriptions.c.api == api)
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _sub(row, with_auth=with_auth)

    def list_subscriptions(self, api: str | None = None) -> list[Subscription]:
        """Oldest first, without credentials."""
        query = select(*_SUB_PUBLIC).order_by(subscriptions.c.created_at, subscriptions.c.id)
        if api is not None:
            query = query.where(subscriptions.c.api == api)
        with self._engine.connect() as conn:
            return [_sub(r, with_auth=False) for r in conn.execute(query)]

    def delete_subscription(self, sub_id: str, api: str | None = None) -> None:
        """Delete a subscription and its undelivered notifications; NotFoundError if unknown."""
        cond = [subscriptions.c.id == sub_id]
        if api is not None:
            cond.append(subscriptions.c.api == api)
        with self._writer.begin() as conn:
            conn.execute(delete(notification_outbox)
                         .where(notification_outbox.c.subscription_id == sub_id))
            result = conn.execute(delete(subscriptions).where(*cond))
            if result.rowcount != 1:
                raise NotFoundError(f"no subscription {sub_id!r}")

    # -- outbox ------------------------------------------------------------------------------

    def enqueue(self, entries: Sequence[tuple[str, str, str, dict[str, Any]]]) -> int:
        """Queue ``(subscription_id, api, notification_type, payload)`` entries, due now."""
        if not entries:
            return 0
        now = utcnow()
        rows = [{"subscription_id": sid, "api": api, "notification_type": ntype,
                 "payload": payload, "state": str(DeliveryState.PENDING), "attempts": 0,
                 "next_attempt_at": now, "created_at": now}
                for sid, api, ntype, payload in entries]
        with self._writer.begin() as conn:
            conn.execute(insert(notification_outbox), rows)
        return len(rows)

    def claim_due(self, *, limit: int, lease_s: float) -> list[OutboxEntry]:
        """Claim up to ``limit`` PENDING entries due now, oldest first, for ``lease_s`` seconds.

        Each claim is a compare-and-set on ``next_attempt_at``, so two workers (two server
        processes on one database) never deliver the same entry at the same time.
        """
        now = utcnow()
        lease_until = now + timedelta(seconds=lease_s)
        o, s = notification_outbox.c, subscriptions.c
        query = (
            select(o.seq, o.subscription_id, o.api, o.notification_type, o.payload, o.state,
                   o.attempts, o.next_attempt_at, o.created_at, o.delivered_at, o.last_error,
                   s.callback_uri, s.authentication)
            .join(subscriptions, s.id == o.subscription_id)
            .where(o.state == str(DeliveryState.PENDING), o.next_attempt_at <= now)
            .order_by(o.next_attempt_at, o.seq)
            .limit(limit)
        )
        claimed: list[OutboxEntry] = []
        with self._writer.begin() as conn:
            for row in conn.execute(query).all():
                done = conn.execute(
                    update(notification_outbox)
                    .where(o.seq == row.seq, o.next_attempt_at == row.next_attempt_at,
                           o.state == str(DeliveryState.PENDING))
                    .values(next_attempt_at=lease_until)
                )
                if done.rowcount != 1:
                    continue
                claimed.append(OutboxEntry(
                    seq=row.seq, subscription_id=row.subscription_id, api=row.api,
                    notification_type=row.notification_type, payload=dict(row.payload),
                    state=DeliveryState(row.state), attempts=row.attempts,
                    next_attempt_at=lease_until, created_at=row.created_at,
                    delivered_at=row.delivered_at, last_error=row.last_error,
                    callback_uri=row.callback_uri,
                    authentication=dict(row.authentication) if row.authentication else None))
        return claimed

    def mark_delivered(self, seq: int) -> None:
        with self._writer.begin() as conn:
            conn.execute(update(notification_outbox)
                         .where(notification_outbox.c.seq == seq)
                         .values(state=str(DeliveryState.DELIVERED), delivered_at=utcnow(),
                                 attempts=notification_outbox.c.attempts + 1, last_error=None))

    def mark_failed(self, seq: int, *, error: str, retry_at: datetime | None) -> None:
        """One more failed attempt: retry at ``retry_at``, or give up (DEAD) when ``None``."""
        values: dict[str, Any] = {"attempts": notification_outbox.c.attempts + 1,
                                  "last_error": error[:2000]}
        if retry_at is None:
            values["state"] = str(DeliveryState.DEAD)
        else:
            values["next_attempt_at"] = retry_at
        with self._writer.begin() as conn:
            conn.execute(update(notification_outbox)
                         .where(notification_outbox.c.seq == seq).values(values))

    def next_due(self) -> datetime | None:
        """When the earliest PENDING entry comes due (``None`` when nothing is pending)."""
        o = notification_outbox.c
        with self._engine.connect() as conn:
            row = conn.execute(select(o.next_attempt_at)
                               .where(o.state == str(DeliveryState.PENDING))
                               .order_by(o.next_attempt_at).limit(1)).first()
        return None if row is None else row.next_attempt_at

    def entries(self, *, subscription_id: str | None = None,
                states: Iterable[DeliveryState] | None = None) -> list[OutboxEntry]:
        """Queued entries (for inspection and tests), oldest first, without credentials."""
        o = notification_outbox.c
        query = select(notification_outbox).order_by(o.seq)
        if subscription_id is not None:
            query = query.where(o.subscription_id == subscription_id)
        if states is not None:
            query = query.where(o.state.in_([str(s) for s in states]))
        with self._engine.connect() as conn:
            return [OutboxEntry(
                seq=r.seq, subscription_id=r.subscription_id, api=r.api,
                notification_type=r.notification_type, payload=dict(r.payload),
                state=DeliveryState(r.state), attempts=r.attempts,
                next_attempt_at=r.next_attempt_at, created_at=r.created_at,
                delivered_at=r.delivered_at, last_error=r.last_error)
                for r in conn.execute(query)]

    def purge_delivered(self, older_than: datetime) -> int:
        o = notification_outbox.c
        with self._writer.begin() as conn:
            result = conn.execute(delete(notification_outbox).where(
                o.state == str(DeliveryState.DELIVERED), o.delivered_at < older_than))
        return int(result.rowcount or 0)
