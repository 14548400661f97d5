"""An aiohttp application served for a test: on a free port of 127.0.0.1, by an event loop in
a thread of its own, so a synchronous test can call it (and have ringway call it) meanwhile."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
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
        asyncio.run_coroutine_threadsafe(cleanup(self._runner), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> ServedApp:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


async def cleanup(runner: web.AppRunner) -> None:
    """``runner.cleanup()``, once the connections its sites have accepted are its own."""
    await stop_accepting(site._server for site in runner.sites if site._server is not None)
    await runner.cleanup()


async def stop_accepting(servers: Iterable[asyncio.AbstractServer]) -> None:
    """Stop accepting connections, and let those accepted already register with their
    protocol, before the servers are closed.

    A connection accepted just before the close makes its transport a moment later, and by
    then the closed server refuses it (Python 3.11's asyncio asserts): the half-made transport
    is dropped unclosed, and its ResourceWarning surfaces in whichever test collects it. Once
    registered, the server's owner closes it with the others."""
    loop = asyncio.get_running_loop()
    for server in servers:
        for sock in getattr(server, "sockets", ()):
            loop.remove_reader(sock.fileno())
    for _ in range(3):  # an accepted socket's task makes its transport, then connection_made
        await asyncio.sleep(0)
