"""The outbox's deliveries: what one can carry, the states it goes through, and its attempts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

KINDS = ("message-inbound", "message-status", "rtc", "sms-inbound", "sms-receipt")
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
STATES = (PENDING, DELIVERED, FAILED)


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    uuid: str
    account_id: str
    application_id: str | None
    kind: str
    subject: str  # deliveries with one subject are sent in order (a message, a conversation)
    url: str
    method: str
    body: bytes
    signed: bool
    state: str
    attempts: int
    due_at: dt.datetime  # when it was first due: the give-up counts from there
    next_at: dt.datetime
    lease_until: dt.datetime | None
    outcome: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """A delivery to enqueue; ``due`` is when it is first sent."""

    uuid: str
    account_id: str
    application_id: str | None
    kind: str
    subject: str
    url: str
    body: bytes
    signed: bool
    due: dt.datetime
    method: str = "POST"


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    delivery_id: int
    number: int
    at: dt.datetime
    outcome: str
    status: int | None
    latency_ms: float
    response_body: str
    injected: str | None = None  # the name of the fault injected into it


@dataclass(frozen=True)
class DeliveryLog:
    """A delivery with its attempts, as ringway's views show it."""

    delivery: Delivery
    attempts: list[DeliveryAttempt]
