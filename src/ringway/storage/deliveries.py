"""The outbox: deliveries waiting to be sent, being sent, sent or given up, and their attempts.

Claiming is how several processes share it: a claim leases due deliveries for a while, taking
only rows no other process holds (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has one
writer at a time). A lease that runs out, because its process died mid-send, frees the delivery
for the next claim: a crash may send a delivery twice, never lose one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa

from ringway.domain.deliveries import DELIVERED, PENDING, Delivery, DeliveryAttempt, NewDelivery
from ringway.storage.database import Database
from ringway.storage.repositories import columns_of, record_of, utcnow
from ringway.storage.tables import deliveries, delivery_attempts


class DeliveryRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        mark = "?" if db.is_sqlite else "%s"
        self._any_pending = f"SELECT 1 FROM deliveries WHERE state = {mark} LIMIT 1"

    def enqueue(self, conn: sa.Connection, items: Iterable[NewDelivery]) -> None:
        """Add deliveries inside the caller's transaction, so that they exist exactly when
        what they report does."""
        now = utcnow()
        rows = [
            {"uuid": d.uuid, "account_id": d.account_id, "application_id": d.application_id,
             "kind": d.kind, "subject": d.subject, "url": d.url, "method": d.method,
             "body": d.body, "signed": d.signed, "state": PENDING, "attempts": 0,
             "due_at": d.due, "next_at": d.due, "lease_until": None, "outcome": None,
             "created_at": now, "updated_at": now}
            for d in items
        ]  # fmt: skip
        if rows:
            conn.execute(sa.insert(deliveries), rows)

    def drop_pending(self, conn: sa.Connection, ids: list[int]) -> None:
        """Drop those of the deliveries that nobody has tried yet (the statuses a revoked
        message never reaches), inside the caller's transaction."""
        if ids:
            conn.execute(sa.delete(deliveries).where(
                deliveries.c.id.in_(ids), deliveries.c.state == PENDING,
                deliveries.c.attempts == 0, deliveries.c.lease_until.is_(None)))  # fmt: skip

    def claim(self, now: dt.datetime, lease: dt.timedelta, limit: int) -> list[Delivery]:
        """Lease up to ``limit`` due deliveries: the first pending one of each subject, and only
        if no process holds it."""
        with self._db.engine.begin() as conn:
            if conn.exec_driver_sql(self._any_pending, (PENDING,)).first() is None:
                return []  # the usual answer of an idle outbox, found without building a statement
            earlier = deliveries.alias("earlier")
            blocked = (
                sa.select(earlier.c.id)
                .where(
                    earlier.c.subject == deliveries.c.subject,
                    earlier.c.state == PENDING,
                    earlier.c.id < deliveries.c.id,
                )
                .exists()
            )
            due = (
                sa.select(deliveries.c.id)
                .where(
                    deliveries.c.state == PENDING,
                    deliveries.c.next_at <= now,
                    sa.or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until < now),
                    ~blocked,
                )
                .order_by(deliveries.c.next_at, deliveries.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            rows = conn.execute(
                sa.update(deliveries)
                .where(deliveries.c.id.in_(due.scalar_subquery()))
                .values(lease_until=now + lease)
                .returning(*deliveries.c)
            ).all()
        claimed = [record_of(Delivery, row._mapping) for row in rows]
        return sorted(claimed, key=lambda d: (d.next_at, d.id))

    def finish(
        self, delivery: Delivery, attempt: DeliveryAttempt, state: str, next_at: dt.datetime
    ) -> bool:
        """Record an attempt (numbered in the order attempts are recorded) and what follows:
        delivered, failed, or pending until ``next_at``. If the claim was lost meanwhile (the
        delivery was replayed, or another process took it over), the attempt is still recorded,
        and a success still marks the delivery delivered, but nothing else changes (``False``):
        what follows is for the claim's new holder to decide."""
        this = deliveries.c.id == delivery.id
        with self._db.engine.begin() as conn:
            number = conn.execute(
                sa.update(deliveries).where(this)
                .values(attempts=deliveries.c.attempts + 1, updated_at=utcnow())
                .returning(deliveries.c.attempts)
            ).scalar_one_or_none()  # fmt: skip
            if number is None:
                return False  # no longer stored
            conn.execute(sa.insert(delivery_attempts).values(
                **{**columns_of(attempt), "number": number}))  # fmt: skip
            held = conn.execute(
                sa.update(deliveries)
                .where(this, deliveries.c.lease_until == delivery.lease_until)
                .values(state=state, next_at=next_at, lease_until=None, outcome=attempt.outcome)
            ).rowcount == 1  # fmt: skip
            if not held and state == DELIVERED:
                conn.execute(sa.update(deliveries).where(this, deliveries.c.state == PENDING)
                             .values(state=DELIVERED, outcome=attempt.outcome))  # fmt: skip
        return held

    def page(
        self, account_id: str, state: str | None, kind: str | None, offset: int, limit: int
    ) -> tuple[int, list[Delivery]]:
        where = [deliveries.c.account_id == account_id]
        if state is not None:
            where.append(deliveries.c.state == state)
        if kind is not None:
            where.append(deliveries.c.kind == kind)
        with self._db.read() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(deliveries).where(*where))
            rows = conn.execute(
                sa.select(deliveries)
                .where(*where)
                .order_by(deliveries.c.id.desc())
                .offset(offset)
                .limit(limit)
            ).all()
            return int(total.scalar_one()), [record_of(Delivery, r._mapping) for r in rows]

    def get(self, account_id: str, uuid: str) -> Delivery | None:
        with self._db.read() as conn:
            row = conn.execute(
                sa.select(deliveries).where(
                    deliveries.c.uuid == uuid, deliveries.c.account_id == account_id
                )
            ).first()
        return record_of(Delivery, row._mapping) if row else None

    def for_subjects(self, account_id: str, subjects: list[str]) -> list[Delivery]:
        if not subjects:
            return []
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(deliveries)
                .where(deliveries.c.account_id == account_id, deliveries.c.subject.in_(subjects))
                .order_by(deliveries.c.id)
            ).all()
        return [record_of(Delivery, r._mapping) for r in rows]

    def attempts(self, delivery_ids: list[int]) -> list[DeliveryAttempt]:
        if not delivery_ids:
            return []
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(delivery_attempts)
                .where(delivery_attempts.c.delivery_id.in_(delivery_ids))
                .order_by(delivery_attempts.c.delivery_id, delivery_attempts.c.number)
            ).all()
        return [record_of(DeliveryAttempt, r._mapping) for r in rows]

    def retry(self, account_id: str, uuid: str) -> bool:
        """Send a delivery again now, whatever became of it, with a new window of retries
        (a delivery given up after a day would otherwise give up at its first failure). One
        being sent right now keeps its lease, so that it is not sent twice at once."""
        now = utcnow()
        lease = deliveries.c.lease_until
        with self._db.engine.begin() as conn:
            result = conn.execute(
                sa.update(deliveries)
                .where(deliveries.c.uuid == uuid, deliveries.c.account_id == account_id)
                .values(state=PENDING, next_at=now, due_at=now, updated_at=now,
                        lease_until=sa.case((lease > now, lease), else_=None))
            )  # fmt: skip
        return result.rowcount > 0
