"""The outbox worker: sends due deliveries and decides what follows each attempt (wire §8).

Any 2xx delivers. No answer (refused, reset, timed out), 429 or 5xx is tried again on the
schedule (by default about 5 s, 1 min, 5 min, then every 15 min) until a day has passed since
the delivery was made; any other answer is final. Every server process runs a worker; they
share the outbox through leases (see ``storage/deliveries``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from ringway.domain.deliveries import DELIVERED, FAILED, PENDING, Delivery, DeliveryAttempt
from ringway.domain.faults import DELIVERY_KINDS
from ringway.engine.webhooks import Attempt, FaultPicker, Signer, Target, WebhookClient
from ringway.observe.webhooks import webhook_attempt
from ringway.storage.database import Database
from ringway.storage.deliveries import DeliveryRepository
from ringway.storage.repositories import utcnow

log = logging.getLogger("ringway.outbox")
DELIVERY_HEADER = "X-Ringway-Delivery"  # the same for every attempt, so receivers can drop repeats
RESPONSE_KEPT = 2048  # characters of each answer kept in the log
CONNECT_MS, ATTEMPT_MS = 1000, 11_000  # an attempt's connect timeout, and its whole length


@dataclass(frozen=True)
class Schedule:
    """Seconds before each retry (the last repeats), how long to keep trying, and how long a
    process holds a delivery it sends."""

    delays: Sequence[float] = (5, 60, 300, 900)
    give_up: float = 86_400
    lease: float = 60

    def after(self, attempts: int) -> float:
        return self.delays[min(attempts, len(self.delays)) - 1]

    def target(self, delivery: Delivery) -> Target:
        """Where to send ``delivery``, with timeouts (1 s to connect, 10 s for each read) that
        end the attempt within half its lease: no claim can take a delivery over while it is
        being sent, and so no receiver gets one twice at once."""
        budget_ms = min(ATTEMPT_MS, self.lease * 500)
        connect_ms = min(CONNECT_MS, budget_ms / 4)
        return Target(delivery.url, delivery.method, round(connect_ms),
                      round(budget_ms - connect_ms))  # fmt: skip


def retryable(attempt: Attempt) -> bool:
    if attempt.status is None:
        return attempt.outcome != "blocked"
    return attempt.status == 429 or attempt.status >= 500


class Outbox:
    def __init__(
        self,
        deliveries: DeliveryRepository,
        db: Database,
        webhooks: WebhookClient,
        signer: Callable[[Delivery], Awaitable[Signer | None]],
        schedule: Schedule,
        batch: int = 64,
        poll: float = 0.25,
        faults: FaultPicker | None = None,
    ) -> None:
        self._deliveries = deliveries
        self._db = db
        self._webhooks = webhooks
        self._signer = signer
        self.schedule = schedule
        self._batch = batch
        self._poll = poll
        self._faults = faults  # (account, kind, url): the fault to inject into an attempt
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        """Look for due deliveries now (something was just enqueued, maybe by a thread)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop claiming; sends under way are cancelled, each recorded as an ``interrupted``
        attempt and left due at once, for this process or another to send again."""
        for task in [self._task, *self._sending]:
            if task is not None:
                task.cancel()
        for task in [self._task, *self._sending]:
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task, self._loop = None, None

    async def _run(self) -> None:
        while True:
            try:
                claimed = await self.send_due()
            except Exception:
                log.exception("could not send deliveries")
                claimed = 0
            if not claimed:
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancel that
                # meets the event being set, and stop() then waited for this loop forever.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._poll):
                        await self._wake.wait()
                self._wake.clear()

    async def send_due(self) -> int:
        """Claim what is due, up to the sends this worker may have under way, and start
        sending it. Each send runs on its own, so a slow receiver holds up nobody else; a claim
        holds one delivery per subject, and the next of a subject is claimable once this one
        is done."""
        room = self._batch - len(self._sending)
        if room <= 0:
            return 0
        lease = dt.timedelta(seconds=self.schedule.lease)
        claimed = await self._db.run(self._deliveries.claim, utcnow(), lease, room)
        for delivery in claimed:
            task = asyncio.create_task(self._send(delivery))
            self._sending.add(task)
            task.add_done_callback(self._sent)
        return len(claimed)

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a delivery failed to send", exc_info=task.exception())
        self._wake.set()  # its subject's next delivery may be due

    async def _send(self, delivery: Delivery) -> None:
        number = delivery.attempts + 1
        signer = await self._signer(delivery) if delivery.signed else None
        target = self.schedule.target(delivery)
        started = time.perf_counter()
        fault, extra = None, {DELIVERY_HEADER: delivery.uuid}
        try:
            if self._faults is not None:
                kind = DELIVERY_KINDS[delivery.kind]
                fault = await self._faults(delivery.account_id, kind, delivery.url)
            attempt = await self._webhooks.exchange(target, delivery.body, signer, number, extra,
                                                    fault)  # fmt: skip
        except asyncio.CancelledError:  # the server is stopping: say so, and send it again soon
            cut = Attempt(target.url, target.method, number, {}, b"", outcome="interrupted",
                          latency_ms=(time.perf_counter() - started) * 1000,
                          injected=fault.name if fault else None)  # fmt: skip
            await self._record(delivery, cut, PENDING, utcnow())
            raise
        now = utcnow()
        state, next_at = DELIVERED, now
        if not attempt.succeeded:
            next_at = now + dt.timedelta(seconds=self.schedule.after(number))
            expired = next_at > delivery.due_at + dt.timedelta(seconds=self.schedule.give_up)
            state = PENDING if retryable(attempt) and not expired else FAILED
        await self._record(delivery, attempt, state, next_at)

    async def _record(
        self, delivery: Delivery, attempt: Attempt, state: str, next_at: dt.datetime
    ) -> None:
        subject = "conversation" if delivery.kind == "rtc" else "message"
        webhook_attempt(delivery.kind, attempt, subject, delivery.subject)
        record = DeliveryAttempt(
            delivery.id, attempt.attempt, utcnow(), attempt.outcome, attempt.status,
            attempt.latency_ms,
            attempt.response_body[:RESPONSE_KEPT].decode("utf-8", "replace").replace("\x00", ""),
            attempt.injected,
        )  # fmt: skip
        await self._db.run(self._deliveries.finish, delivery, record, state, next_at)
