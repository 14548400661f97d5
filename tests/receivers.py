"""A real HTTP receiver on 127.0.0.1 for webhook tests: it records every request and answers
each path from a script the test writes."""

from __future__ import annotations

import asyncio
import io
import threading
import wave
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web

from ringway.testing.served import cleanup

T = TypeVar("T")


def wav(seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A silent mono 16-bit WAV of ``seconds``, for a receiver to serve as audio."""
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(bytes(2 * round(seconds * rate)))
    return out.getvalue()


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    """What to answer: a status, headers and body, after ``delay`` seconds, or drop the
    connection."""

    status: int = 200
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False


class Receiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.script: dict[str, deque[Reply]] = defaultdict(deque)
        self.url = ""
        self.in_flight = 0
        self.most_at_once = 0  # the most requests it was answering at one time

    def answer(self, path: str, *replies: Reply) -> str:
        """Queue replies for ``path`` (the last one repeats) and return its URL."""
        self.script[path].extend(replies)
        return self.url + path

    def on(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.in_flight += 1
        self.most_at_once = max(self.most_at_once, self.in_flight)
        try:
            return await self._answer(request)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.received.append(
            Received(request.method, request.path, dict(request.query), dict(request.headers), body)
        )
        queue = self.script[request.path]
        reply = queue.popleft() if len(queue) > 1 else (queue[0] if queue else Reply())
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.drop:
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        payload = (
            reply.body if isinstance(reply.body, bytes) else web.json_response(reply.body).body
        )
        return web.Response(
            status=reply.status, body=payload, content_type="application/json",
            headers=reply.headers,
        )  # fmt: skip


@contextmanager
def threaded_receiver(port: int = 0) -> Iterator[Receiver]:
    """A receiver on an event loop in a thread of its own, for tests that are not async."""
    with in_thread(receiver(port)) as recorder:
        yield recorder


@contextmanager
def in_thread(manager: AbstractAsyncContextManager[T]) -> Iterator[T]:
    """What an async context manager gives, run on an event loop in a thread of its own."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    given = asyncio.run_coroutine_threadsafe(manager.__aenter__(), loop).result(10)
    try:
        yield given
    finally:
        asyncio.run_coroutine_threadsafe(manager.__aexit__(None, None, None), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


@asynccontextmanager
async def receiver(port: int = 0) -> AsyncIterator[Receiver]:
    recorder = Receiver()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", recorder._handle)
    # A request whose client went away is over: its handler is cancelled (so ``in_flight``
    # counts only requests whose sender still waits for the answer).
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    server = site._server
    assert server is not None
    bound = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    recorder.url = f"http://127.0.0.1:{bound}"
    try:
        yield recorder
    finally:
        await cleanup(runner)
