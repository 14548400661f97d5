"""Counts of what is stored, for the metrics: calls by status, calls not yet ended, messages by
the latest status they reached, and the outbox's pending and failed deliveries."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import sqlalchemy as sa

from ringway.domain.deliveries import FAILED, PENDING
from ringway.domain.stored import Counts
from ringway.storage.database import Database
from ringway.storage.tables import calls, deliveries, messages


class Stats:
    def __init__(self, db: Database) -> None:
        self._db = db

    def answers(self) -> bool:
        with self._db.read() as conn:
            return bool(conn.execute(sa.text("SELECT 1")).scalar_one() == 1)

    def counts(self) -> Counts:
        now = dt.datetime.now(dt.UTC)
        with self._db.read() as conn:
            by_status = conn.execute(
                sa.select(calls.c.status, sa.func.count()).group_by(calls.c.status)
            ).all()
            active = conn.execute(
                sa.select(sa.func.count()).select_from(calls).where(calls.c.end_time.is_(None))
            ).scalar_one()
            outbox = conn.execute(
                sa.select(deliveries.c.state, sa.func.count())
                .where(deliveries.c.state.in_([PENDING, FAILED]))
                .group_by(deliveries.c.state)
            ).all()
            histories = conn.execute(sa.select(messages.c.history)).scalars()
            reached = Counter(_latest(history, now) for history in histories)
        return Counts(
            calls={status: count for status, count in by_status},
            active_calls=int(active),
            messages=dict(reached),
            outbox={PENDING: 0, FAILED: 0, **{state: count for state, count in outbox}},
        )


def _latest(history: list[dict[str, str]], now: dt.datetime) -> str:
    """The last status of a message's history that has happened by ``now``."""
    status = "none"
    for step in history:
        if dt.datetime.fromisoformat(step["at"]) > now:
            break
        status = step["status"]
    return status
