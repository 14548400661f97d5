"""A voice agent for the Voice API's WebSocket endpoints (aiohttp): it answers a call by
connecting the caller to its own WebSocket, greets them with speech (espeak-ng, run here), and
says back each thing it hears them say: an echo bot, the simplest agent that listens and talks.

On the socket the platform sends a ``websocket:connected`` text message, then the call's audio
as binary frames of 20 ms (16-bit little-endian mono PCM at 16 kHz: 640 bytes); the agent
sends audio back in frames of the same size. An utterance is found by its energy: it starts
with a few loud frames and ends after half a second of quiet. A caller who starts speaking
while the agent talks interrupts it: the agent drops what it has not said and sends ``clear``,
so the platform drops what it had queued.

``python agent.py`` applies ``seed.toml`` next to it (``ringway seed``: an application whose
answer URL is http://localhost:3000/answer, and its number 447700900012) unless given
``--no-seed``, then serves on 127.0.0.1, port 3000 (or ``--port``, or ``PORT``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import subprocess
import sys
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy
import soxr
from aiohttp import WSMsgType, web

log = logging.getLogger("voice-agent")

RATE = 16_000
CONTENT_TYPE = f"audio/l16;rate={RATE}"
FRAME = RATE // 50 * 2  # bytes in 20 ms: 640
GREETING = "Hello, this is the ringway voice agent. Say something, and I will say it back."
LOUD = 500  # the RMS (of full scale 32767) from which a frame holds speech
START = 2  # loud frames in a row start an utterance
BEFORE = 5  # frames kept from before the start, so its first sound is not clipped
END = 25  # quiet frames in a row (half a second) end it
TAIL = 5  # of which these are kept
LONGEST = 750  # frames: an utterance is cut at 15 s
AHEAD = 1.0  # seconds of audio sent ahead of what has played (the platform buffers ~20 s)
SEED = Path(__file__).with_name("seed.toml")


async def speak(text: str) -> bytes:
    """``text`` spoken by espeak-ng, as 16 kHz frames (the last padded with silence)."""
    try:
        process = await asyncio.create_subprocess_exec(
            "espeak-ng", "--stdout", "--stdin", "-v", "en-us",
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
    except FileNotFoundError:
        raise SystemExit("espeak-ng is not installed: apt-get install espeak-ng") from None
    wav, err = await process.communicate(text.encode())
    if process.returncode:
        raise RuntimeError(f"espeak-ng failed: {err.decode().strip()}")
    rate = int.from_bytes(wav[24:28], "little")  # a streamed WAV: its sizes are not set
    start = wav.index(b"data") + 8
    samples = numpy.frombuffer(wav[start : start + (len(wav) - start) // 2 * 2], "<i2")
    audio = soxr.resample(samples, rate, RATE).astype("<i2").tobytes()
    return audio + bytes(-len(audio) % FRAME)


def loudness(frame: bytes) -> float:
    samples = numpy.frombuffer(frame, "<i2").astype(numpy.float64)
    return float(numpy.sqrt(numpy.mean(samples**2))) if len(samples) else 0.0


class Listener:
    """Finds utterances in the frames heard, by their energy."""

    def __init__(self) -> None:
        self.before: deque[bytes] = deque(maxlen=BEFORE)
        self.frames: list[bytes] = []  # of the utterance under way
        self.loud = self.quiet = 0  # frames in a row

    def hear(self, frame: bytes) -> bytes | None:
        """Take the next frame; the whole utterance once it has ended."""
        loud = loudness(frame) >= LOUD
        if not self.frames:
            self.before.append(frame)
            self.loud = self.loud + 1 if loud else 0
            if self.loud >= START:
                self.frames, self.quiet = list(self.before), 0
                self.before.clear()
            return None
        self.frames.append(frame)
        self.quiet = 0 if loud else self.quiet + 1
        if self.quiet < END and len(self.frames) < LONGEST:
            return None
        utterance = b"".join(self.frames[: len(self.frames) - max(0, self.quiet - TAIL)])
        self.frames, self.loud = [], 0
        return utterance


class Speaker:
    """Sends audio to the socket a frame at a time, at most ``AHEAD`` seconds ahead of what
    has played, so the platform's buffer never overflows; stops talking when interrupted."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.sent = 0  # frames
        self.loop = asyncio.get_running_loop()
        self.played = self.loop.time()  # when what was sent so far will have played
        self.interruptions = 0
        self.task = asyncio.create_task(self._send())

    def say(self, audio: bytes) -> None:
        for i in range(0, len(audio), FRAME):
            self.queue.put_nowait(audio[i : i + FRAME].ljust(FRAME, b"\0"))

    @property
    def talking(self) -> bool:
        return not self.queue.empty() or self.played > self.loop.time()

    async def interrupt(self) -> None:
        """Drop what is not said yet, here and in the platform's buffer (``clear``)."""
        while not self.queue.empty():
            self.queue.get_nowait()
        self.played = self.loop.time()
        self.interruptions += 1
        await self.ws.send_json({"action": "clear"})

    async def _send(self) -> None:
        while True:
            frame = await self.queue.get()
            self.played = max(self.played, self.loop.time())
            if self.played - self.loop.time() > AHEAD:
                interruptions = self.interruptions
                await asyncio.sleep(self.played - self.loop.time() - AHEAD)
                if self.interruptions != interruptions:
                    continue  # this frame was dropped meanwhile
            await self.ws.send_bytes(frame)
            self.sent += 1
            self.played += 0.02


@dataclass
class Call:
    """What one call's socket carried: the text messages, the frames heard, the utterances."""

    speaker: Speaker
    events: list[dict[str, Any]] = field(default_factory=list)
    heard: int = 0  # frames
    utterances: list[bytes] = field(default_factory=list)


GREETING_AUDIO = web.AppKey("greeting_audio", bytes)
CALLS = web.AppKey("calls", list)  # every Call, the latest last


async def answer(request: web.Request) -> web.Response:
    """The answer URL: connect the caller to this agent's socket (the caller's number goes
    along as a header, which arrives in ``websocket:connected``)."""
    endpoint = {"type": "websocket", "uri": f"ws://{request.host}/socket",
                "content-type": CONTENT_TYPE,
                "headers": {"caller": request.query.get("from", "")}}  # fmt: skip
    return web.json_response([{"action": "connect", "endpoint": [endpoint]}])


async def event(request: web.Request) -> web.Response:
    body = await request.json()
    log.info("call %s: %s", body.get("uuid"), body.get("status"))
    return web.Response(status=204)


async def socket(request: web.Request) -> web.WebSocketResponse:
    """A call's audio: greet the caller, then say back each utterance heard."""
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    call = Call(Speaker(ws))
    request.app[CALLS].append(call)
    listener = Listener()
    try:
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                call.events.append(json.loads(message.data))
                if call.events[-1].get("event") == "websocket:connected":
                    log.info("connected: %s", message.data)
                    call.speaker.say(request.app[GREETING_AUDIO])
            elif message.type == WSMsgType.BINARY:
                call.heard += 1
                started = not listener.frames
                utterance = listener.hear(message.data)
                if started and listener.frames and call.speaker.talking:
                    log.info("interrupted: stop talking and listen")
                    await call.speaker.interrupt()
                if utterance is not None:
                    log.info("heard %.2f s: saying it back", len(utterance) / FRAME / 50)
                    call.utterances.append(utterance)
                    call.speaker.say(utterance)
    finally:
        call.speaker.task.cancel()
    return ws


def make_app(greeting: str = GREETING) -> web.Application:
    app = web.Application()
    app[CALLS] = []

    async def prepare(app: web.Application) -> None:
        app[GREETING_AUDIO] = await speak(greeting)

    app.on_startup.append(prepare)
    app.add_routes([web.get("/answer", answer), web.post("/event", event),
                    web.get("/socket", socket)])  # fmt: skip
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    parser.add_argument("--no-seed", action="store_true", help="Do not apply seed.toml first.")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if not args.no_seed:
        seeded = subprocess.run([sys.executable, "-m", "ringway.cli", "seed", str(SEED)])
        if seeded.returncode:
            raise SystemExit(f"could not apply {SEED}: run this from ringway's folder, with "
                             "ringway installed (. .venv/bin/activate)")  # fmt: skip
    print("Call the agent: ringway calls simulate --from 447700900123 --to 447700900012 "
          "--hangup-after 20  (with RINGWAY_API_KEY=a6e00001 "
          "RINGWAY_API_SECRET=voice-agent-secret-1)")  # fmt: skip
    web.run_app(make_app(), host="127.0.0.1", port=args.port, access_log=None)


if __name__ == "__main__":
    main()
