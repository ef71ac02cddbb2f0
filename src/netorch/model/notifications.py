"""Subscriptions and queued notifications (ETSI GS NFV-SOL 005 v2.6.1 §6.5.2.4
``LccnSubscription``, §9.5.2.x ``PkgmSubscription``, §5.5.2.x ``NsdmSubscription``;
SOL013 §6.x notification delivery; SPEC-NOTES §0.7).

A subscription keeps the consumer's credentials (``authentication``) because delivery needs
them; they are never shown: ``repr`` hides them and the API renders a subscription without them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class DeliveryState(StrEnum):
    """Where a queued notification is: waiting (first try or a retry), sent, or given up."""

    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    DEAD = "DEAD"


@dataclass(frozen=True, slots=True)
class Subscription:
    """One subscription of an API (``nslcm``, ``vnfpkgm`` or ``nsd``)."""

    id: str
    api: str
    callback_uri: str
    filter: dict[str, Any]
    dedup_key: str
    """Hash of the callback URI and the filter: two subscriptions with the same are duplicates
    (SOL005 answers the second with 303 See Other)."""
    created_at: datetime
    authentication: dict[str, Any] | None = field(default=None, repr=False)
    """SOL013 ``SubscriptionAuthentication`` as given (``authType``, ``paramsBasic``,
    ``paramsOauth2ClientCredentials``): secret, never logged or returned."""


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One notification to deliver to one subscription's callback."""

    seq: int
    subscription_id: str
    api: str
    notification_type: str
    payload: dict[str, Any]
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None = None
    last_error: str | None = None
    callback_uri: str = ""
    authentication: dict[str, Any] | None = field(default=None, repr=False)
