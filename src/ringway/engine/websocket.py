"""A leg whose far end is a WebSocket (wire-contract-wave2 §1): ringway is the client. It sends
``websocket:connected``, then a frame of what the leg hears every 20 ms (the mix, at the
socket's rate), and DTMF events; it queues the audio the server sends back and plays it into
the call as what the leg says, a frame a tick; it answers ``clear`` and ``notify``."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import Any

import aiohttp
import orjson

from ringway.domain.ncco import WebsocketEndpoint
from ringway.engine.audio import (
    FRAME_SECONDS,
    KEY_MS,
    Playout,
    frame_bytes,
    from_rate,
    rate_of,
    ticks,
    to_rate,
)
from ringway.engine.mixer import heard
from ringway.engine.session import CallLeg
from ringway.engine.sound import mark

NORMAL_CLOSURE = 1000


class Socket:
    """A live WebSocket carrying a leg's audio both ways, until the leg ends or the server
    closes it; the timeline gets its opening, its commands and its closing, with counts."""

    def __init__(
        self, ws: aiohttp.ClientWebSocketResponse, leg: CallLeg, endpoint: WebsocketEndpoint
    ) -> None:
        self.ws, self.leg, self.endpoint = ws, leg, endpoint
        self.rate = rate_of(endpoint.content_type)
        self.size = frame_bytes(self.rate)
        self.playout = Playout()
        self.speaking: float | None = None  # when what it sends back began to play, till it stops
        self.outbox: deque[dict[str, Any]] = deque()  # text messages, sent before the next frame
        self.counts = dict.fromkeys(("frames_out", "frames_in", "refused", "dropped", "played"), 0)
        self.closed_by: str | None = None  # ``ringway`` or ``server``
        self.code: int | None = None  # the closing code, whoever sent it

    async def run(self) -> None:
        """Carry audio until the socket closes (this task being cancelled closes it too)."""
        connected = {"event": "websocket:connected", "content-type": self.endpoint.content_type}
        connected |= {k: v for k, v in (self.endpoint.headers or {}).items() if k not in connected}
        self.outbox.append(connected)
        self.leg.note("websocket", event="connected", uri=self.endpoint.uri,
                      content_type=self.endpoint.content_type)  # fmt: skip
        with self.leg.clock.real_time():
            sender = asyncio.create_task(self._send())
            try:
                await self._receive()
            finally:
                sender.cancel()
                await asyncio.gather(sender, return_exceptions=True)
                await self.close()
        self.leg.note("websocket", event="closed", code=self.code, by=self.closed_by,
                      **self.counts)  # fmt: skip

    async def close(self) -> None:
        """Close the socket from ringway's side (the leg ended), if still open."""
        if self.ws.closed:
            return
        if self.closed_by is None:
            self.closed_by, self.code = "ringway", NORMAL_CLOSURE
        with contextlib.suppress(aiohttp.ClientError, OSError):
            await self._flush()  # the last events (keys pressed just before the end) first
            await self.ws.close(code=NORMAL_CLOSURE)

    def key(self, digit: str) -> None:
        """A key pressed on the call: its event on the socket (its tone is in the mix)."""
        self.outbox.append({"event": "websocket:dtmf", "digit": digit, "duration": KEY_MS})

    async def _send(self) -> None:
        """Each tick: the last 20 ms of what the leg hears goes out, and the next frame the
        server sent plays into the call from now."""
        leg = self.leg
        start = leg.clock.elapsed()
        try:
            async for tick in ticks():
                now = start + tick * FRAME_SECONDS
                await self._flush()
                await self.ws.send_bytes(to_rate(heard(leg, now - FRAME_SECONDS, now), self.rate))
                self.counts["frames_out"] += 1
                frame, reached = self.playout.play()
                self._play(frame, now)
                self.outbox.extend({"event": "websocket:notify", "payload": p} for p in reached)
        except (aiohttp.ClientError, ConnectionError):
            return  # the socket is closing; the receiver sees why
        finally:
            self._play(None, leg.clock.elapsed())

    def _play(self, frame: bytes | None, now: float) -> None:
        """Play ``frame`` from ``now`` as what the leg says; mark each stretch of it played."""
        if frame is not None:
            self.counts["played"] += 1
            self.leg.voice.add(now, from_rate(frame, self.rate), "socket")
            if self.speaking is None:
                self.speaking = now
        elif self.speaking is not None:
            mark(self.leg, "socket", self.speaking, now - self.speaking)
            self.speaking = None

    async def _flush(self) -> None:
        while self.outbox:
            await self.ws.send_str(orjson.dumps(self.outbox.popleft()).decode())

    async def _receive(self) -> None:
        async for message in self.ws:
            if message.type is aiohttp.WSMsgType.BINARY:
                self._audio(message.data)
            elif message.type is aiohttp.WSMsgType.TEXT:
                self._command(message.data)
        if self.closed_by is None:
            self.closed_by, self.code = "server", self.ws.close_code

    def _audio(self, frame: bytes) -> None:
        if len(frame) != self.size:
            self.counts["refused"] += 1
            if self.counts["refused"] == 1:
                self.leg.note("websocket", event="refused", bytes=len(frame), expected=self.size)
        elif self.playout.push(frame):
            self.counts["frames_in"] += 1
        else:
            self.counts["dropped"] += 1

    def _command(self, text: str) -> None:
        try:
            command = orjson.loads(text)
        except orjson.JSONDecodeError:
            command = None
        action = command.get("action") if isinstance(command, dict) else None
        if action == "clear":
            self.playout.clear()
            self.outbox.append({"event": "websocket:cleared"})
        elif action == "notify":
            self.playout.mark(command.get("payload", {}))
        self.leg.note("websocket", event="command", action=action or "unknown",
                      **({} if action else {"text": text[:200]}))  # fmt: skip
