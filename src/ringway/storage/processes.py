"""The server processes that run calls: each registers itself, beats while it lives, and is
forgotten when it stops. A process that stops beating (killed, frozen, its machine gone) is
taken for dead, and its calls are adopted by a live one (see ``engine/orphans``).

Heartbeats are written outside ``Database.write``: they change nothing a read cache holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from ringway.storage.database import Database
from ringway.storage.repositories import columns_of, record_of
from ringway.storage.tables import processes


@dataclass(frozen=True, slots=True)
class ProcessRow:
    id: str
    machine: str | None  # the kernel and process namespace where ``pid`` means something
    pid: int
    started_at: dt.datetime
    seen_at: dt.datetime


class ProcessRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def register(self, row: ProcessRow) -> None:
        with self._db.engine.begin() as conn:
            conn.execute(sa.insert(processes).values(**columns_of(row)))

    def beat(self, process_id: str, now: dt.datetime) -> None:
        """Say the process is alive (registering it again if it was taken for dead)."""
        with self._db.engine.begin() as conn:
            beat = conn.execute(
                sa.update(processes).where(processes.c.id == process_id).values(seen_at=now)
            )
            if beat.rowcount == 0:
                conn.execute(sa.insert(processes).values(
                    id=process_id, machine=None, pid=0, started_at=now, seen_at=now))  # fmt: skip

    def forget(self, process_id: str) -> None:
        with self._db.engine.begin() as conn:
            conn.execute(sa.delete(processes).where(processes.c.id == process_id))

    def all(self) -> list[ProcessRow]:
        with self._db.read() as conn:
            rows = conn.execute(sa.select(processes)).all()
        return [record_of(ProcessRow, row._mapping) for row in rows]
