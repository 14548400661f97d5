"""Calls that no process runs any more.

Every server process registers itself and beats (``seen_at``) while it lives; each call row
names the process running it. A process killed with ``kill -9``, or stopped before its calls
could end, leaves calls that would otherwise stay ``answered`` forever. So every process, at
start and at each beat, looks for running calls whose process is gone (no heartbeat for
``timeout`` seconds, or, on the same machine, no such pid any more), adopts them (one process
wins each call) and ends them as a platform failure ends a call: a leg not yet answered fails
(``internal_error``), and every leg posts ``completed``, ``disconnected_by: platform``, to the
event URL it last used, with an ``error`` line in its timeline saying why.
"""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from ringway.domain import outcomes
from ringway.domain.calls import CallRecord, Entry, Leg, Status
from ringway.engine.periodic import Periodic
from ringway.engine.voice import VoiceEngine, attempt_view
from ringway.engine.webhooks import Attempt, Target
from ringway.observe.webhooks import webhook_attempt
from ringway.storage.calls import CallRepository
from ringway.storage.database import Database
from ringway.storage.processes import ProcessRepository, ProcessRow
from ringway.storage.repositories import utcnow

log = logging.getLogger("ringway.engine")
BEATS = 5  # heartbeats in a timeout
ORPHANED = "the server process running this call stopped; ringway ended the call"
# Every field a status event may carry: stripped from a GET event URL as it was logged, to
# find the URL the application gave.
EVENT_FIELDS = frozenset({
    "from", "to", "uuid", "conversation_uuid", "status", "direction", "timestamp",
    "start_time", "end_time", "rate", "price", "duration", "network", "sip_code", "detail",
    "disconnected_by",
})  # fmt: skip


def machine() -> str | None:
    """The kernel boot and process namespace this process runs in, in which a pid names one
    process; ``None`` where that cannot be told (no ``/proc``)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return None
    return f"{boot}/{namespace}"


def alive(process: ProcessRow, now: datetime, timeout: float, here: str | None) -> bool:
    """Whether ``process`` still runs: it beat within ``timeout``, and, if it runs on this
    machine, its pid is still there."""
    if process.seen_at < now - timedelta(seconds=timeout):
        return False
    if here is None or process.machine != here or not process.pid:
        return True
    try:
        os.kill(process.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Orphans:
    """This process's heartbeat, and the end of calls whose process has none."""

    def __init__(
        self,
        engine: VoiceEngine,
        db: Database,
        calls: CallRepository,
        processes: ProcessRepository,
        timeout: float,
    ) -> None:
        self._engine = engine
        self._db = db
        self._calls = calls
        self._processes = processes
        self._timeout = timeout
        self._machine = machine()
        self._rounds = Periodic("ringway-orphans", timeout / BEATS, self._beat, log,
                                "look for calls no process runs")  # fmt: skip

    @property
    def id(self) -> str:
        return self._engine.owner

    async def start(self) -> None:
        now = utcnow()
        row = ProcessRow(self.id, self._machine, os.getpid(), now, now)
        await self._db.run(self._processes.register, row)
        self._rounds.start()

    async def stop(self) -> None:
        """Stop beating and looking (the engine then ends what calls it can)."""
        await self._rounds.stop()

    async def leave(self) -> None:
        """Say this process is gone: the calls it could not end are orphans at once."""
        await self._db.run(self._processes.forget, self.id)

    async def _beat(self) -> None:
        await self._db.run(self._processes.beat, self.id, utcnow())
        await self.end_orphans()

    async def end_orphans(self) -> int:
        """End the calls of processes that are gone, then forget those processes; how many
        legs were ended."""
        now = utcnow()
        processes = await self._db.run(self._processes.all)
        gone = [p.id for p in processes
                if p.id != self.id and not alive(p, now, self._timeout, self._machine)]  # fmt: skip
        live = [p.id for p in processes if p.id not in gone]
        ended = 0
        for session, owner in await self._db.run(self._calls.orphaned, [*live, self.id]):
            legs = await self._db.run(self._calls.adopt, session, owner, self.id)
            if legs:
                log.warning("ending %d leg(s) of call %s: the process running it (%s) is gone",
                            len(legs), session, owner or "unknown")  # fmt: skip
                await self._end(session, legs)
                ended += len(legs)
        for process in gone:
            await self._db.run(self._processes.forget, process)
        return ended

    async def _end(self, session: str, legs: list[CallRecord]) -> None:
        seq = await self._db.run(self._calls.last_seq, session)
        for record in legs:
            now = max(utcnow(), record.start_time or record.created_at)
            leg = Leg(record.uuid, record.conversation_uuid, record.direction,
                      record.from_address, record.to_address, Decimal(record.rate),
                      Status(record.status), record.start_time)  # fmt: skip
            events = []
            if leg.status in (Status.STARTED, Status.RINGING):
                events.append(leg.advance(Status.FAILED, now, detail="internal_error"))
            if not leg.ended:
                events.append(leg.advance(Status.COMPLETED, now))
            seconds, price = leg.charges(now)
            ended = replace(record, status=str(leg.status), duration=seconds, end_time=now,
                            price=f"{price:.8f}", owner=None, outcome=outcomes.ORPHANED,
                            failed=True)  # fmt: skip
            lines = [(now, "error", {"reason": ORPHANED})] + [
                (now, "status", {"status": e["status"], "direction": leg.direction}) for e in events
            ]
            entries, seq = self._entries(session, record.uuid, seq, lines)
            await self._db.run(self._calls.save, [ended], entries)
            attempts = await self._post(session, record, events)
            requests = [(utcnow(), "request", {"purpose": "event", **view})
                        for view in attempts]  # fmt: skip
            entries, seq = self._entries(session, record.uuid, seq, requests)
            await self._db.run(self._calls.save, [], entries)

    @staticmethod
    def _entries(
        session: str, leg: str, seq: int, lines: list[tuple[datetime, str, dict[str, Any]]]
    ) -> tuple[list[Entry], int]:
        entries = [Entry(session, seq + n, leg, at, kind, data)
                   for n, (at, kind, data) in enumerate(lines, 1)]  # fmt: skip
        return entries, seq + len(entries)

    async def _post(
        self, session: str, record: CallRecord, events: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Post the events where the leg's last event went (else the application's event URL);
        the attempts, as the timeline shows them."""
        application = None
        if record.application_id is not None:
            application = await self._engine.directory.application(record.application_id)
        hooks = await self._engine.hooks_of(application) if application else None
        target = hooks.event if hooks else None
        logged = await self._db.run(self._calls.event_target, session, record.uuid)
        if logged is not None:
            url, method = logged
            target = replace(target or Target(url), url=_without_fields(url, method),
                             method=method)  # fmt: skip
        if target is None:
            return []
        attempts: list[Attempt] = []
        for event in events:
            attempts += await self._engine.webhooks.deliver(
                target, event, hooks.signer if hooks else None,
                lambda attempt: webhook_attempt("event", attempt, "call", record.uuid),
                self._engine.faults_of(record.account_id),
            )  # fmt: skip
        return [attempt_view(attempt) for attempt in attempts]


def _without_fields(url: str, method: str) -> str:
    """The URL an event was sent to, without the fields a GET put in its query."""
    if method.upper() != "GET":
        return url
    from yarl import URL  # with aiohttp, imported by the first webhook

    sent = URL(url)
    return str(sent.with_query([(k, v) for k, v in sent.query.items() if k not in EVENT_FIELDS]))
