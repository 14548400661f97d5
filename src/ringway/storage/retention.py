"""Retention: deleting what finished before a cutoff, one bounded batch at a time.

Each batch is one short transaction deleting about ``limit`` rows (that many messages, or
deliveries with their attempts, or call legs and timelines of about that many rows), found
through an index, so a backlog never holds SQLite's write lock or a PostgreSQL transaction for
long. Deletes are idempotent, and their conditions are checked again as they delete (a delivery
replayed meanwhile is pending again and stays). On PostgreSQL a batch holds an advisory lock,
so processes pruning at once take turns, batch by batch, rather than deadlock on rows they would
both delete."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ringway.domain.deliveries import DELIVERED, FAILED, PENDING
from ringway.storage.calls import unpack
from ringway.storage.database import Database
from ringway.storage.tables import (
    call_entries,
    call_timelines,
    calls,
    deliveries,
    delivery_attempts,
    messages,
)

PRUNE_LOCK = 7421002  # PostgreSQL advisory lock (the migrations hold 7421001)
LEG_ROWS = 8  # rows a call leg takes, about: itself and its share of the call's timeline


@dataclass
class Batch:
    """What a batch deleted (rows by table), the recordings of the calls it deleted
    (account, recording uuid), and where the next batch starts: ``None`` when nothing is left."""

    deleted: Counter[str] = field(default_factory=Counter)
    recordings: list[tuple[str, str]] = field(default_factory=list)
    resume: Any = None


class RetentionRepository:
    def __init__(self, db: Database, limit: int = 500) -> None:
        self._db = db
        self.limit = limit

    def calls(self, cutoff: dt.datetime, resume: Any = None) -> Batch:
        """Calls whose every leg ended before ``cutoff``, with their timelines; never a call
        with a leg still running. (``resume`` is unused: no candidate is ever left behind.)"""
        other = calls.alias("other")
        running = (
            sa.select(other.c.uuid)
            .where(
                other.c.session == calls.c.session,
                sa.or_(other.c.end_time.is_(None), other.c.end_time >= cutoff),
            )
            .exists()
        )
        batch, limit = Batch(), max(1, self.limit // LEG_ROWS)
        with self._transaction() as conn:
            legs = conn.execute(
                sa.select(calls.c.session)
                .where(calls.c.end_time < cutoff, ~running)
                .order_by(calls.c.end_time)  # through its index (DISTINCT would scan them all)
                .limit(limit)
            ).scalars().all()  # fmt: skip
            if not legs:
                return batch
            sessions = sorted(set(legs))
            ours = call_entries.c.session.in_(sessions)
            recorded: list[tuple[str, dict[str, Any]]] = [tuple(row) for row in conn.execute(
                sa.select(calls.c.account_id, call_entries.c.data)
                .join_from(call_entries, calls, calls.c.session == call_entries.c.session)
                .where(ours, call_entries.c.kind == "recording")
            )]  # fmt: skip
            owners = dict(conn.execute(
                sa.select(calls.c.session, calls.c.account_id).where(calls.c.session.in_(sessions))
            ).all())  # fmt: skip
            packed = conn.execute(
                sa.select(call_timelines.c.session, call_timelines.c.entries)
                .where(call_timelines.c.session.in_(sessions))
            ).all()  # fmt: skip
            recorded += [(owners[session], entry.data) for session, entries in packed
                         for entry in unpack(session, entries)
                         if entry.kind == "recording"]  # fmt: skip
            batch.recordings = sorted({(account, data["recording_uuid"]) for account, data
                                       in recorded if data.get("recording_uuid")})  # fmt: skip
            batch.deleted["timeline entries"] = _delete(conn, call_entries, ours)
            batch.deleted["timelines"] = _delete(
                conn, call_timelines, call_timelines.c.session.in_(sessions)
            )
            batch.deleted["call legs"] = _delete(conn, calls, calls.c.session.in_(sessions))
        batch.resume = True if len(legs) == limit else None
        return batch

    def messages(self, cutoff: dt.datetime, resume: Any = None) -> Batch:
        """Messages that reached their last status before ``cutoff`` and have no delivery
        pending (their finished deliveries go with the deliveries). Those made before the
        cutoff but not final yet are stepped over: ``resume`` is the last message looked at."""
        pending = (
            sa.select(deliveries.c.id)
            .where(deliveries.c.subject == messages.c.uuid, deliveries.c.state == PENDING)
            .exists()
        )
        query = sa.select(messages.c.uuid, messages.c.created_at, messages.c.history).where(
            messages.c.created_at < cutoff, ~pending
        )
        if resume is not None:
            created, uuid = resume
            query = query.where(
                messages.c.created_at >= created,
                sa.or_(messages.c.created_at > created, messages.c.uuid > uuid),
            )
        batch = Batch()
        with self._transaction() as conn:
            rows = conn.execute(
                query.order_by(messages.c.created_at, messages.c.uuid).limit(self.limit)
            ).all()
            final = [row.uuid for row in rows if _final_before(row.history, cutoff)]
            if final:
                where = sa.and_(messages.c.uuid.in_(final), ~pending)
                batch.deleted["messages"] = _delete(conn, messages, where)
        if len(rows) == self.limit:
            batch.resume = (rows[-1].created_at, rows[-1].uuid)
        return batch

    def deliveries(self, cutoff: dt.datetime, resume: Any = None) -> Batch:
        """Deliveries delivered or given up before ``cutoff``, with their attempts; never a
        pending one. (``next_at`` of a finished delivery is when it finished, or a retry delay
        after; ``resume`` is unused.)"""
        finished = deliveries.c.state.in_((DELIVERED, FAILED))
        batch = Batch()
        with self._transaction() as conn:
            ids = conn.execute(
                sa.select(deliveries.c.id)
                .where(finished, deliveries.c.next_at < cutoff)
                .limit(self.limit)
                .with_for_update()  # PostgreSQL: a replay waits for the batch, then finds none
            ).scalars().all()  # fmt: skip
            if not ids:
                return batch
            chosen = sa.and_(deliveries.c.id.in_(ids), finished)
            attempts = delivery_attempts.c.delivery_id.in_(sa.select(deliveries.c.id).where(chosen))
            batch.deleted["delivery attempts"] = _delete(conn, delivery_attempts, attempts)
            batch.deleted["deliveries"] = _delete(conn, deliveries, chosen)
        batch.resume = True if len(ids) == self.limit else None
        return batch

    @contextmanager
    def _transaction(self) -> Iterator[sa.Connection]:
        """A transaction to prune in (on PostgreSQL, once no other process prunes a batch)."""
        with self._db.engine.begin() as conn:
            if not self._db.is_sqlite:
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(PRUNE_LOCK)))
            yield conn


def _delete(conn: sa.Connection, table: sa.Table, where: sa.ColumnElement[bool]) -> int:
    return conn.execute(sa.delete(table).where(where)).rowcount


def _final_before(history: list[dict[str, Any]], cutoff: dt.datetime) -> bool:
    """Whether a message's last status (each has its time, some still to come) came before."""
    return not history or dt.datetime.fromisoformat(history[-1]["at"]) < cutoff
