"""The pruner: every server process deletes, once at start and then every few minutes, the
calls, messages and deliveries that finished longer ago than the retention (see
``storage/retention``), and the recordings of the calls it deletes. Batches are short and
spaced out, so a backlog never holds up the event loop (SQLite runs them on it) or other
writers for long."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import Counter

from ringway.engine.periodic import Periodic
from ringway.engine.recordings import Recordings
from ringway.storage.database import Database
from ringway.storage.repositories import utcnow
from ringway.storage.retention import RetentionRepository

log = logging.getLogger("ringway.retention")


class Pruner:
    def __init__(
        self,
        db: Database,
        store: RetentionRepository,
        recordings: Recordings,
        keep: float,
        every: float = 300.0,
        pause: float = 0.05,
    ) -> None:
        """``keep``: the retention in seconds; ``every``: seconds between prunes; ``pause``:
        seconds between two batches of one prune."""
        self._db = db
        self._store = store
        self._recordings = recordings
        self._keep = dt.timedelta(seconds=keep)
        self._pause = pause
        self._rounds = Periodic("ringway-retention", every, self.prune, log, "prune")

    def start(self) -> None:
        self._rounds.start()

    async def stop(self) -> None:
        await self._rounds.stop()

    async def prune(self) -> Counter[str]:
        """Delete everything older than the retention, a batch at a time; the rows deleted,
        by kind."""
        cutoff = utcnow() - self._keep
        total: Counter[str] = Counter()
        for step in (self._store.calls, self._store.messages, self._store.deliveries):
            resume = None
            while True:
                batch = await self._db.run(step, cutoff, resume)
                total.update(batch.deleted)
                if batch.recordings:
                    await asyncio.to_thread(self._remove, batch.recordings)
                if batch.resume is None:
                    break
                resume = batch.resume
                await asyncio.sleep(self._pause)
        if any(total.values()):
            log.info("pruned what finished before %s: %s", cutoff.isoformat(timespec="seconds"),
                     ", ".join(f"{kind}: {n}" for kind, n in total.items() if n))  # fmt: skip
        return total

    def _remove(self, recordings: list[tuple[str, str]]) -> None:
        for account_id, recording_uuid in recordings:
            try:
                self._recordings.remove(account_id, recording_uuid)
            except OSError as exc:
                log.warning("could not remove recording %s: %s", recording_uuid, exc)
