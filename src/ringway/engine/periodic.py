"""Work a server process does in the background, again and again, until it stops."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable


class Periodic:
    """Runs ``work`` at once, then every ``every`` seconds after each round ends; a round that
    fails is logged (``failing`` says what could not be done) and the next goes on."""

    def __init__(
        self,
        name: str,
        every: float,
        work: Callable[[], Awaitable[object]],
        log: logging.Logger,
        failing: str,
    ) -> None:
        self._name, self._every, self._work = name, every, work
        self._log, self._failing = log, failing
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self._work()
            except Exception:
                self._log.exception("could not %s", self._failing)
            await asyncio.sleep(self._every)
