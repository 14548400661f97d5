"""A real WebSocket server on 127.0.0.1 playing a voice agent, for tests of WebSocket endpoints:
it records what each socket receives and when, and follows a script the test writes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from ringway.testing.served import cleanup

# A script step: bytes are sent as a binary frame, a dict as a JSON text frame, a float is a
# pause of that many seconds, and ``CLOSE`` (with its code) closes the socket.
Step = bytes | dict[str, Any] | float | tuple[str, int]


def close(code: int) -> tuple[str, int]:
    return ("close", code)


@dataclass
class Accepted:
    """One socket the agent accepted: the upgrade's headers, what came in, how it closed."""

    headers: dict[str, str]
    texts: list[tuple[float, dict[str, Any]]] = field(default_factory=list)  # (at, message)
    frames: list[tuple[float, bytes]] = field(default_factory=list)
    close_code: int | None = None
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    def events(self, name: str) -> list[dict[str, Any]]:
        return [m for _, m in self.texts if m.get("event") == name]


class Agent:
    def __init__(self, script: list[Step], echo: bool, refuse: int | None) -> None:
        self.script, self.echo, self.refuse = script, echo, refuse
        self.url = ""
        self.accepted: list[Accepted] = []
        self.connected = asyncio.Event()  # the first socket's websocket:connected came in

    async def socket(self) -> Accepted:
        await asyncio.wait_for(self.connected.wait(), 5)
        return self.accepted[0]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if self.refuse is not None:
            return web.Response(status=self.refuse)
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        accepted = Accepted(dict(request.headers))
        self.accepted.append(accepted)
        runner = asyncio.create_task(self._run(ws))
        try:
            async for message in ws:
                now = time.monotonic()
                if message.type is WSMsgType.TEXT:
                    accepted.texts.append((now, orjson.loads(message.data)))
                    self.connected.set()
                elif message.type is WSMsgType.BINARY:
                    accepted.frames.append((now, message.data))
                    if self.echo:
                        await ws.send_bytes(message.data)
        finally:
            runner.cancel()
            accepted.close_code = ws.close_code
            accepted.closed.set()
        return ws

    async def _run(self, ws: web.WebSocketResponse) -> None:
        await self.connected.wait()
        for step in self.script:
            if isinstance(step, bytes):
                await ws.send_bytes(step)
            elif isinstance(step, dict):
                await ws.send_str(orjson.dumps(step).decode())
            elif isinstance(step, float):
                await asyncio.sleep(step)
            else:
                await ws.close(code=step[1])


@asynccontextmanager
async def agent(
    *script: Step, echo: bool = False, refuse: int | None = None
) -> AsyncIterator[Agent]:
    """An agent at ``{url}/socket`` that plays ``script`` once connected, echoes the audio it
    receives when ``echo``, or refuses every upgrade with the HTTP status ``refuse``."""
    server = Agent(list(script), echo, refuse)
    app = web.Application()
    app.router.add_get("/socket", server._handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    assert site._server is not None
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.url = f"ws://127.0.0.1:{port}/socket"
    try:
        yield server
    finally:
        await cleanup(runner)
