"""Migration 0016 going down: every packed timeline becomes entry rows again, stored as they
were before packing, and reads the same once upgraded again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from ringway.config import Settings
from ringway.domain.calls import Entry, Timeline
from ringway.storage.calls import CallRepository
from ringway.storage.database import Database
from tests.storage.test_account_migration import alembic

pytestmark = pytest.mark.fresh_database

T0 = datetime(2026, 11, 27, 18, 0, 0, 123456, tzinfo=UTC)
# More calls than the downgrade unpacks at once, so that it goes through several batches.
CALLS = 250
# The rows as stored, compared as the database's text (times and JSON as written).
ROWS = sa.text("SELECT session, seq, leg, CAST(at AS TEXT), kind, CAST(data AS TEXT) "
               "FROM call_entries ORDER BY session, seq")  # fmt: skip


def timeline(n: int) -> list[Entry]:
    session, leg = f"s-{n:04}", f"{n:036}"
    event = {"purpose": "event", "url": "http://localhost:9/event", "method": "POST",
             "request": {"headers": {"A": "b"}, "body": '{"x":"é ☕"}'}, "latency_ms": 1.5,
             "list": [1, None, "two", 1e-7]}  # fmt: skip
    return [Entry(session, 1, leg, T0, "status", {"status": "started"}),
            Entry(session, 2, "b" * 36, T0.replace(microsecond=0), "request", event),
            Entry(session, 3, leg, T0 + timedelta(seconds=n), "status", {})]  # fmt: skip


def test_going_down_unpacks_every_timeline_into_its_rows(settings: Settings) -> None:
    db = Database(settings.resolved_database_url)
    try:
        db.migrate()
        calls = CallRepository(db)
        written = {n: timeline(n) for n in range(CALLS)}
        # Stored as rows first (as while the calls run), then packed (as once they finish).
        calls.save([], [entry for entries in written.values() for entry in entries])
        with db.read() as conn:
            before = conn.execute(ROWS).all()
        calls.save([], [], [Timeline(entries[0].session, entries) for entries in written.values()])
        with db.read() as conn:
            assert conn.execute(ROWS).all() == []
        alembic(db, "0015", down=True)
        with db.read() as conn:
            assert conn.execute(ROWS).all() == before
        db.migrate()
        for entries in written.values():
            assert calls.timeline(entries[0].session) == entries
    finally:
        db.dispose()
