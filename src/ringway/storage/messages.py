"""Messages sent and received; each is stored with the deliveries that report it, in one
transaction, so that neither exists without the other."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from ringway.domain.deliveries import DELIVERED, NewDelivery
from ringway.domain.messages import MessageRecord
from ringway.storage.database import Database
from ringway.storage.deliveries import DeliveryRepository
from ringway.storage.repositories import charge, columns_of, record_of, utcnow
from ringway.storage.tables import deliveries as outbox
from ringway.storage.tables import messages


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

    def set_history(
        self, record: MessageRecord, history: list[dict[str, Any]], drop: list[int]
    ) -> None:
        """A message's new history, and the deliveries of its statuses that no longer come."""
        with self._db.engine.begin() as conn:
            conn.execute(sa.update(messages).where(messages.c.uuid == record.uuid)
                         .values(history=history))  # fmt: skip
            self._deliveries.drop_pending(conn, drop)

    def get(self, account_id: str, uuid: str) -> MessageRecord | None:
        with self._db.read() as conn:
            row = conn.execute(
                sa.select(messages).where(
                    messages.c.uuid == uuid, messages.c.account_id == account_id
                )
            ).first()
        return record_of(MessageRecord, row._mapping) if row else None

    def histories_since(self, account_id: str, since: dt.datetime) -> list[list[dict[str, Any]]]:
        """The status histories of the account's messages made at ``since`` or later."""
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(messages.c.history).where(
                    messages.c.account_id == account_id, messages.c.created_at >= since
                )
            ).all()
        return [row[0] for row in rows]

    def page(
        self, account_id: str, offset: int, limit: int, failed: bool = False
    ) -> tuple[int, list[MessageRecord]]:
        """The newest messages (only those that have failed so far, if asked: an outbound one
        whose history has reached its failure, an inbound one whose delivery to the
        application failed)."""
        where = messages.c.account_id == account_id
        if failed:
            undelivered = sa.select(outbox.c.subject).where(
                outbox.c.account_id == account_id, outbox.c.kind == "message-inbound",
                outbox.c.state != DELIVERED, outbox.c.attempts > 0)  # fmt: skip
            where = sa.and_(where, sa.or_(messages.c.failed_at <= utcnow(),
                                          messages.c.uuid.in_(undelivered)))  # fmt: skip
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
