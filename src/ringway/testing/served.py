"""An aiohttp application served for a test: on a free port of 127.0.0.1, by an event loop in
a thread of its own, so a synchronous test can call it (and have ringway call it) meanwhile."""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType

from aiohttp import web


class ServedApp:
    """``app`` served until ``stop`` (or the end of a ``with`` block); ``url`` is its base,
    ``http://127.0.0.1:PORT``."""

    def __init__(self, app: web.Application) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        started = asyncio.run_coroutine_threadsafe(self._start(app), self._loop)
        self._runner, self.url = started.result(10)

    async def _start(self, app: web.Application) -> tuple[web.AppRunner, str]:
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> ServedApp:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
