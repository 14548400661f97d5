"""Write-behind for calls: leg states and timeline entries are stored in batches, one
transaction every ``interval`` seconds, so that a busy engine costs the database a few commits a
second rather than one per event. A leg's state is read when its batch is written, once however
often it changed in between."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from ringway.storage.calls import CallRecord, CallRepository, Entry
from ringway.storage.database import Checkpoints, Database

log = logging.getLogger("ringway.engine")


class Stored(Protocol):
    """Something whose latest state is a call record (a running leg)."""

    @property
    def uuid(self) -> str: ...

    def record(self) -> CallRecord: ...


class Journal:
    def __init__(self, db: Database, interval: float = 0.05) -> None:
        self._calls = CallRepository(db)
        self._db = db
        self._interval = interval
        self._legs: dict[str, Stored] = {}
        self._entries: list[Entry] = []
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._checkpoints: Checkpoints | None = None

    def __call__(self, item: Stored | Entry) -> None:
        if isinstance(item, Entry):
            self._entries.append(item)
        else:
            self._legs[item.uuid] = item

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())
        self._checkpoints = self._db.checkpoints()

    async def stop(self) -> None:
        """Store everything, letting a batch being written finish first: cancelling it would
        leave its thread writing while the database is closed."""
        try:
            if self._task is not None:
                self._stopping.set()
                await self._task
                self._task = None
            await self.flush()
        finally:
            if self._checkpoints is not None:
                self._checkpoints.stop()
                self._checkpoints = None

    async def flush(self) -> None:
        """Store everything pending now."""
        if not self._legs and not self._entries:
            return
        records = [leg.record() for leg in self._legs.values()]
        self._legs = {}
        entries, self._entries = self._entries, []
        try:
            # Inline on SQLite, as all its statements: measured, a writer thread cost the
            # engine more in contention for the GIL than the loop waits for the write.
            await self._db.run(self._calls.save, records, entries)
        except Exception:
            log.exception("could not store a batch; storing its items one by one")
            await self._db.run(self._one_by_one, records, entries)

    def _one_by_one(self, records: list[CallRecord], entries: list[Entry]) -> None:
        for record in records:
            self._save([record], [])
        for entry in entries:
            self._save([], [entry])

    def _save(self, records: list[CallRecord], entries: list[Entry]) -> None:
        try:
            self._calls.save(records, entries)
        except Exception:
            log.exception("dropped a call state or timeline entry the database refused")

    async def _run(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._interval)
            await self.flush()
