"""Dashboard sessions: a row per signed-in browser, read by primary key on every page."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from ringway.storage.cache import ReadCache
from ringway.storage.database import Database
from ringway.storage.repositories import columns_of, record_of, utcnow
from ringway.storage.tables import dashboard_sessions as sessions


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: str  # random: whoever holds it holds the session
    account_id: str
    created_at: dt.datetime
    expires_at: dt.datetime


class SessionRepository:
    _by_id = sa.select(sessions).where(sessions.c.id == sa.bindparam("id"))

    def __init__(self, db: Database, cache: ReadCache) -> None:
        self._db = db
        self._cache = cache

    def start(self, account_id: str, lifetime: dt.timedelta, ending: str = "") -> SessionRow:
        """A new session of ``account_id``; the session ``ending`` and every expired one end."""
        now = utcnow()
        row = SessionRow(secrets.token_urlsafe(32), account_id, now, now + lifetime)
        with self._db.write() as conn:
            conn.execute(sa.delete(sessions).where(
                (sessions.c.expires_at <= now) | (sessions.c.id == ending)))  # fmt: skip
            conn.execute(sa.insert(sessions).values(**columns_of(row)))
        return row

    def get(self, session_id: str) -> SessionRow | None:
        """The session unless it has ended or expired. Cached until the next write anywhere,
        as every read through the cache is, so an ended session is refused on every node."""
        row: SessionRow | None = self._cache.get(
            ("session", session_id), lambda: self._load(session_id)
        )
        return row if row is not None and row.expires_at > utcnow() else None

    def end(self, session_id: str) -> None:
        with self._db.write() as conn:
            conn.execute(sa.delete(sessions).where(sessions.c.id == session_id))

    def _load(self, session_id: str) -> SessionRow | None:
        with self._db.read() as conn:
            row = conn.execute(self._by_id, {"id": session_id}).first()
        return record_of(SessionRow, row._mapping) if row else None
