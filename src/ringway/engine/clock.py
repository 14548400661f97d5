"""Virtual time for one call and its legs.

Every task of a call (a leg's NCCO runner, a simulated party) takes part in the call's clock.
At ``speed`` 0 the clock runs as fast as possible: when every participant is parked on the clock
(sleeping, or waiting for input with a timeout), time jumps to the earliest deadline, so a
two-minute call plays out in milliseconds while its webhook requests still take the real time
they take. Only what the simulation decides is skipped (ringing, a talk's length, a simulated
party's scripted keys, words and hang-up): a *real* timer, one the outside world may beat (a
wait for a Voice API request, an input nobody is scripted to answer, a length limit), is never
jumped to; until it falls due the call runs in real time, so it stays up and can be controlled.
While something outside listens in real time (a live WebSocket), no timer is jumped to.
At a speed above 0, virtual time runs at that multiple of real time.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

AS_FAST_AS_POSSIBLE = 0.0


class Clock:
    def __init__(self, speed: float = AS_FAST_AS_POSSIBLE, start: datetime | None = None) -> None:
        self.speed = speed
        self.start = start or datetime.now(UTC)
        self._virtual = 0.0  # seconds since start, as of ``_anchor``
        self._anchor = time.monotonic()
        self._timers: list[tuple[float, int, _Park]] = []
        self._order = itertools.count()
        self._participants = 0
        self._parked = 0
        self._handle: asyncio.Handle | asyncio.TimerHandle | None = None
        self._real_time = 0  # how many hold the call to real time

    def elapsed(self) -> float:
        """Virtual seconds since the call began."""
        rate = self.speed or 1.0
        return self._virtual + (time.monotonic() - self._anchor) * rate

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed())

    def join(self) -> None:
        """A task starts taking part in the call."""
        self._participants += 1

    def leave(self) -> None:
        self._participants -= 1
        self._schedule()

    @contextlib.contextmanager
    def real_time(self) -> Iterator[None]:
        """Run in real time while this lasts: no timer is jumped to."""
        self._real_time += 1
        try:
            yield
        finally:
            self._real_time -= 1
            self._schedule()

    async def sleep(self, seconds: float) -> None:
        await self.wait(None, seconds)

    async def wait(
        self, signal: asyncio.Future[Any] | None, timeout: float | None, *, real: bool = False
    ) -> bool:
        """Park until ``signal`` resolves (``True``) or ``timeout`` virtual seconds pass
        (``False``). With no timeout, the wait lasts as long as the signal takes, in real time;
        a ``real`` timeout is never skipped."""
        if signal is not None and signal.done():
            return True
        if signal is None and timeout is None:
            return False
        park = _Park(self, asyncio.get_running_loop().create_future(), real)
        self._parked += 1
        if signal is not None:
            signal.add_done_callback(park.wake)
        if timeout is not None:
            deadline = self.elapsed() + max(timeout, 0.0)
            heapq.heappush(self._timers, (deadline, next(self._order), park))
        self._schedule()
        try:
            await park.woken
        finally:
            park.wake()
            if signal is not None:
                signal.remove_done_callback(park.wake)
            self._schedule()
        return signal is not None and signal.done()

    def _schedule(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._drop_cancelled()
        if not self._timers:
            return
        loop = asyncio.get_running_loop()
        deadline, _, first = self._timers[0]
        if self.speed == AS_FAST_AS_POSSIBLE and not (first.real or self._real_time):
            if self._parked >= self._participants:
                self._handle = loop.call_soon(self._fire, True)
        else:
            delay = (deadline - self.elapsed()) / (self.speed or 1.0)
            self._handle = loop.call_later(max(delay, 0), self._fire, False)

    def _fire(self, jump: bool) -> None:
        self._handle = None
        self._drop_cancelled()
        if not self._timers:
            return
        if jump and (
            self._parked < self._participants or self._timers[0][2].real or self._real_time
        ):
            self._schedule()
            return
        now = self.elapsed()
        if jump and self._timers[0][0] > now:
            self._virtual, self._anchor = self._timers[0][0], time.monotonic()
            now = self._virtual
        while self._timers and self._timers[0][0] <= now:
            heapq.heappop(self._timers)[2].wake()
        self._schedule()

    def _drop_cancelled(self) -> None:
        while self._timers and self._timers[0][2].awake:
            heapq.heappop(self._timers)


class _Park:
    """One parked wait: woken once, by its signal, its deadline, or its own end."""

    def __init__(self, clock: Clock, woken: asyncio.Future[None], real: bool) -> None:
        self.clock, self.woken, self.real, self.awake = clock, woken, real, False

    def wake(self, _signal: object = None) -> None:
        if self.awake:
            return
        self.awake = True
        self.clock._parked -= 1
        if not self.woken.done():
            self.woken.set_result(None)
