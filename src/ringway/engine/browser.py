"""A browser at the far end of a leg: a person in the dashboard talking into a live call with
their microphone and hearing it through their speakers.

The browser sends 16-bit little-endian mono PCM at ``audio.RATE`` in 20 ms frames; each goes
onto the leg's ``voice`` tape, placed end to end on the call's clock (a frame that comes late
starts a new stretch a moment ahead of the clock, so that jitter does not chop the audio). Every
20 ms the browser gets what the leg hears (``mixer.heard``) for the 20 ms that ended a moment
before. While a browser is attached, the call runs on the real clock. The timeline gets the
browser's arrival and departure with counts, and an ``audio`` mark (``start`` seconds on
the call's clock, lasting ``seconds``) for each stretch of speech it sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

from ringway.engine import mixer
from ringway.engine.audio import FRAME_SECONDS, RATE, frame_bytes, ticks
from ringway.engine.session import CallLeg
from ringway.engine.sound import mark

if TYPE_CHECKING:
    import numpy as np

    from ringway.engine.audio import Samples
    from ringway.engine.tape import Clip

FRAME_BYTES = frame_bytes(RATE)  # 640
LAG = 2 * FRAME_SECONDS  # how far behind the clock what the browser hears is rendered
LEAD = 2 * FRAME_SECONDS  # how far ahead of the clock a stretch of late frames starts
AHEAD = 1.0  # seconds ahead of the clock beyond which frames are dropped (sent too fast)
CLIP_SECONDS = 1.0  # frames end to end are gathered in clips of up to this long
SPEECH_LEVEL = 500  # RMS (of full scale 32767) from which a frame is speech
SPEECH_GAP = 0.3  # seconds of quiet that end a stretch of speech

Send = Callable[[bytes], Awaitable[None]]


class Refused(Exception):
    """The browser cannot join this leg; the message says why, for people."""


class Browsers:
    """The browsers attached to legs running in this process, one a leg at most."""

    def __init__(self) -> None:
        self._attached: set[str] = set()

    def _check(self, leg: CallLeg) -> None:
        """Raise :class:`Refused` unless a browser may join ``leg`` now."""
        if leg.over:
            raise Refused("The call has ended.")
        if leg.clock.speed not in (0, 1):
            raise Refused(f"The call runs at {leg.clock.speed:g} times real time; the "
                          "microphone joins calls placed at real time.")  # fmt: skip
        if leg.socket is not None:
            raise Refused("This leg's far end is a WebSocket; open the caller's leg instead.")
        if leg.uuid in self._attached:
            raise Refused("Another browser is already on this call.")

    async def attach(self, leg: CallLeg, frames: AsyncIterator[bytes], send: Send) -> str:
        """Carry audio between ``leg`` and a browser until one of them goes; what ended it:
        ``call`` (the leg ended) or ``browser``."""
        self._check(leg)
        self._attached.add(leg.uuid)
        browser = Browser(leg)
        leg.note("browser", event="connected")
        try:
            with leg.clock.real_time():
                return await browser.run(frames, send)
        finally:
            self._attached.discard(leg.uuid)
            leg.note("browser", event="closed", **browser.counts)


class Browser:
    def __init__(self, leg: CallLeg) -> None:
        self.leg = leg
        self.counts = dict.fromkeys(("frames_in", "frames_out", "refused", "dropped"), 0)
        self._clip: Clip | None = None  # the clip frames end to end go into
        self._buffer: np.ndarray | None = None  # its samples, filled as frames come
        self._speech: tuple[float, float] | None = None  # the stretch of speech going on

    async def run(self, frames: AsyncIterator[bytes], send: Send) -> str:
        listening = asyncio.ensure_future(self._listen(frames))
        speaking = asyncio.ensure_future(self._speak(send))
        try:
            done, _ = await asyncio.wait([listening, speaking, self.leg.ended],
                                         return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
        finally:
            for task in (listening, speaking):
                task.cancel()
            await asyncio.gather(listening, speaking, return_exceptions=True)
            self._speech_ends()
        for task in (listening, speaking):
            if task in done:
                task.result()  # a failure of its own is raised
        return "call" if self.leg.ended.done() else "browser"

    async def _listen(self, frames: AsyncIterator[bytes]) -> None:
        async for frame in frames:
            if len(frame) != FRAME_BYTES:
                self.counts["refused"] += 1
            else:
                self.hear(frame, self.leg.clock.elapsed())

    def hear(self, frame: bytes, now: float) -> None:
        """Put a frame the browser sent at ``now`` (clock seconds) onto the leg's voice."""
        import numpy as np

        samples = np.frombuffer(frame, dtype="<i2").astype(np.int16)
        clip = self._clip
        at = clip.end if clip is not None else -1.0
        if at > now + AHEAD:
            self.counts["dropped"] += 1
            return
        self.counts["frames_in"] += 1
        if at < now:  # the first frame, or a late one: a new stretch
            at = now + LEAD
        buffer, filled = self._buffer, len(clip.samples) if clip is not None else 0
        if clip is None or buffer is None or at != clip.end or filled + len(samples) > len(buffer):
            buffer = self._buffer = np.zeros(round(CLIP_SECONDS * RATE), dtype=np.int16)
            filled = 0
            clip = self._clip = self.leg.voice.add(at, buffer[:0], "browser")
        buffer[filled : filled + len(samples)] = samples
        clip.samples = buffer[: filled + len(samples)]
        clip.end = clip.start + len(clip.samples) / RATE
        self._mark(samples, at)

    def _mark(self, samples: Samples, at: float) -> None:
        """Follow the stretches of speech; note each one as it ends."""
        import numpy as np

        loud = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) >= SPEECH_LEVEL
        if self._speech is not None and at - self._speech[1] > SPEECH_GAP:
            self._speech_ends()
        if loud:
            start = self._speech[0] if self._speech is not None else at
            self._speech = (start, at + FRAME_SECONDS)

    def _speech_ends(self) -> None:
        if self._speech is not None:
            start, end = self._speech
            self._speech = None
            mark(self.leg, "browser", start, end - start)

    async def _speak(self, send: Send) -> None:
        """Send the browser what the leg hears, a frame every 20 ms."""
        t = self.leg.clock.elapsed() - LAG
        async for _ in ticks():
            heard = mixer.heard(self.leg, t, t + FRAME_SECONDS)
            t += FRAME_SECONDS
            await send(heard.astype("<i2").tobytes())
            self.counts["frames_out"] += 1
