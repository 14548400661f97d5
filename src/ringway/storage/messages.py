"""Messages sent and received; each is stored with the deliveries that report it, in one
transaction, so that neither exists without the other."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ringway.storage.database import Database
from ringway.storage.deliveries import DeliveryRepository, NewDelivery
from ringway.storage.repositories import charge, columns_of, record_of
from ringway.storage.tables import messages


@dataclass(frozen=True, slots=True)
class MessageRecord:
    """``history`` lists the statuses the message goes through, each with its due time."""

    uuid: str
    account_id: str
    application_id: str | None
    direction: str  # outbound | inbound
    channel: str
    message_type: str
    from_address: str
    to_address: str
    client_ref: str | None
    content: dict[str, Any]
    history: list[dict[str, Any]]
    created_at: dt.datetime


class MessageRepository:
    def __init__(self, db: Database, deliveries: DeliveryRepository) -> None:
        self._db = db
        self._deliveries = deliveries

    def add(
        self,
        records: Iterable[MessageRecord],
        deliveries: Iterable[NewDelivery],
        cost: int = 0,
        covered: bool = False,
    ) -> int | None:
        """Store messages with their deliveries, and take ``cost`` (hundred-millionths of a
        euro) from the first one's account: the balance left; ``None``, and nothing stored,
        when ``covered`` and the balance is less than ``cost``."""
        records = list(records)
        # A charge changes a cached row (the account's): every process must hear of it.
        with self._db.write() if cost else self._db.engine.begin() as conn:
            left = charge(conn, records[0].account_id, cost, covered=covered)
            if left is None:
                return None
            conn.execute(sa.insert(messages), [columns_of(r) for r in records])
            self._deliveries.enqueue(conn, deliveries)
        return left

    def get(self, account_id: str, uuid: str) -> MessageRecord | None:
        with self._db.read() as conn:
            row = conn.execute(
                sa.select(messages).where(
                    messages.c.uuid == uuid, messages.c.account_id == account_id
                )
            ).first()
        return record_of(MessageRecord, row._mapping) if row else None

    def page(self, account_id: str, offset: int, limit: int) -> tuple[int, list[MessageRecord]]:
        where = messages.c.account_id == account_id
        with self._db.read() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(messages).where(where))
            rows = conn.execute(
                sa.select(messages)
                .where(where)
                .order_by(messages.c.created_at.desc(), messages.c.uuid)
                .offset(offset)
                .limit(limit)
            ).all()
            return int(total.scalar_one()), [record_of(MessageRecord, r._mapping) for r in rows]
