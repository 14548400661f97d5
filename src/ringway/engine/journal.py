"""Write-behind for calls: leg states and timeline entries are stored in batches, one
transaction every ``interval`` seconds, so that a busy engine costs the database a few commits a
second rather than one per event. A leg's state is read when its batch is written, once however
often it changed in between. A new call is stored before it is acknowledged (``stored``): the
next batch is written at once, and calls placed meanwhile share it. A call's timeline is stored
an entry a row while it runs, and packed into one row when it has finished. With nothing to
store, the journal sleeps until something is noted (no timer every ``interval``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection
from typing import Protocol

from ringway.domain.calls import CallRecord, Entry, Timeline
from ringway.storage.calls import CallRepository
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
        self._timelines: list[Timeline] = []
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._soon = asyncio.Event()  # someone waits for the next batch: write it now
        self._noted = asyncio.Event()  # something waits to be stored (or to be told so)
        self._pending = False  # ``_noted`` is set: noting more need not set it again
        self._waiting: list[asyncio.Future[None]] = []
        self._checkpoints: Checkpoints | None = None

    def __call__(self, item: Stored | Entry | Timeline) -> None:
        if isinstance(item, Entry):
            self._entries.append(item)
        elif isinstance(item, Timeline):
            self._timelines.append(item)
        else:
            self._legs[item.uuid] = item
        if not self._pending:
            self._pending = True
            self._noted.set()

    def forget(self, session: str, legs: Collection[str]) -> None:
        """Drop what is waiting to be stored of a call (its ``session`` and ``legs``)."""
        self._entries = [entry for entry in self._entries if entry.session != session]
        self._timelines = [line for line in self._timelines if line.session != session]
        for leg in legs:
            self._legs.pop(leg, None)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())
        self._checkpoints = self._db.checkpoints()

    async def stored(self) -> None:
        """Wait until everything noted so far is stored: the next batch, written at once."""
        if self._task is None:
            await self.flush()
            return
        done = asyncio.get_running_loop().create_future()
        self._waiting.append(done)
        self._soon.set()
        self._noted.set()
        await asyncio.shield(done)

    async def stop(self) -> None:
        """Store everything, letting a batch being written finish first: cancelling it would
        leave its thread writing while the database is closed."""
        try:
            if self._task is not None:
                self._stopping.set()
                self._soon.set()
                self._noted.set()
                await self._task
                self._task = None
            await self.flush()
        finally:
            if self._checkpoints is not None:
                self._checkpoints.stop()
                self._checkpoints = None

    async def flush(self) -> None:
        """Store everything pending now, then tell those waiting for it."""
        waiting, self._waiting = self._waiting, []
        try:
            if self._legs or self._entries or self._timelines:
                await self._store()
        finally:
            for done in waiting:
                if not done.done():
                    done.set_result(None)

    async def _store(self) -> None:
        records = [leg.record() for leg in self._legs.values()]
        self._legs = {}
        entries, self._entries = self._entries, []
        timelines, self._timelines = self._timelines, []
        try:
            # Inline on SQLite, as all its statements: measured, a writer thread cost the
            # engine more in contention for the GIL than the loop waits for the write.
            await self._db.run(self._calls.save, records, entries, timelines)
        except Exception:
            log.exception("could not store a batch; storing its items one by one")
            await self._db.run(self._one_by_one, records, entries, timelines)

    def _one_by_one(
        self, records: list[CallRecord], entries: list[Entry], timelines: list[Timeline]
    ) -> None:
        for record in records:
            self._save([record], [], [])
        for entry in entries:
            self._save([], [entry], [])
        for timeline in timelines:
            self._save([], [], [timeline])

    def _save(
        self, records: list[CallRecord], entries: list[Entry], timelines: list[Timeline]
    ) -> None:
        try:
            self._calls.save(records, entries, timelines)
        except Exception:
            log.exception("dropped a call state or timeline entry the database refused")

    async def _run(self) -> None:
        while not self._stopping.is_set():
            await self._noted.wait()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval):
                    await self._soon.wait()
            # Cleared before the batch: what is noted while it is written wakes the next one.
            self._soon.clear()
            self._noted.clear()
            self._pending = False
            await self.flush()
