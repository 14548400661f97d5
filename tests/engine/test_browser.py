"""A browser at the far end of a leg (``engine/browser``), driven in-process as the dashboard's
socket drives it: what it sends is the caller's voice (heard in the recording), it hears the
talk the NCCO plays, the call keeps to the real clock while it is attached, and its frames are
placed end to end on the call's clock."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import numpy as np
import soundfile

from ringway.domain.errors import ProblemError
from ringway.engine.audio import FRAME_SECONDS, RATE, ticks
from ringway.engine.browser import AHEAD, LEAD, Browser
from tests.engine.test_actions import loudness
from tests.engine.world import World, play, talk
from tests.receivers import Reply

TONE = 440  # Hz: what the browser "says", easy to find in a recording
SAMPLES = int(RATE * FRAME_SECONDS)


def tone_frames(seconds: float, level: int = 8000, pitch: int = TONE) -> list[bytes]:
    n = np.arange(int(seconds * RATE))
    samples = (level * np.sin(2 * np.pi * pitch * n / RATE)).astype("<i2")
    return [samples[i : i + SAMPLES].tobytes() for i in range(0, len(samples), SAMPLES)]


async def paced(frames: list[bytes]) -> AsyncIterator[bytes]:
    """The frames a microphone sends, one each 20 ms by its own clock, then nothing until
    cancelled."""
    async for tick in ticks():
        if tick == len(frames):
            break
        yield frames[tick]
    await asyncio.Event().wait()


def into(frames: list[bytes]) -> Callable[[bytes], Awaitable[None]]:
    """The browser's speakers: what it is sent goes into ``frames``."""

    async def send(frame: bytes) -> None:
        frames.append(frame)

    return send


def test_the_browser_is_the_callers_voice_hears_the_talk_and_keeps_the_call_in_real_time(
    tmp_path: Path,
) -> None:
    async def test(w: World) -> None:
        ncco = [{"action": "record", "format": "wav"}, talk("Welcome to ringway.")]
        _, number = w.application(Reply(body=ncco))
        started = time.monotonic()
        leg = await w.start(number, speed=0)  # as fast as possible, until a browser joins
        heard: list[bytes] = []
        speakers = into(heard)
        ended = await w.platform.calls.join(w.account_id, leg.uuid, paced(tone_frames(1.0)),
                                            speakers)  # fmt: skip
        lasted = time.monotonic() - started
        await leg.session.done.wait()
        assert ended == "call"
        assert {len(frame) for frame in heard} == {640}
        talked = np.frombuffer(b"".join(heard), dtype="<i2")
        assert loudness(talked) > 300  # the talk, through the speakers
        assert lasted > 1.0  # spoken at real time, not skipped
        (recording,) = [e.data for e in leg.session.entries if e.kind == "recording"]
        path = w.platform.calls.recording(w.account_id, recording["recording_uuid"])
        assert path is not None
        audio, rate = soundfile.read(path, dtype="int16")
        spectrum = np.abs(np.fft.rfft(audio[:RATE]))  # the first second: the browser's tone
        peak = np.argmax(spectrum) * rate / RATE
        assert abs(peak - TONE) < 5
        marks = [e.data for e in leg.session.entries if e.kind == "audio"
                 and e.data["source"] == "browser"]  # fmt: skip
        assert len(marks) == 1 and 0.95 < marks[0]["seconds"] < 1.1
        (left,) = [e.data for e in leg.session.entries
                   if e.kind == "browser" and e.data["event"] == "closed"]  # fmt: skip
        assert left["frames_in"] == 50 and left["refused"] == 0

    play(tmp_path, test)


def pitch(frames: list[bytes]) -> float:
    """The strongest frequency in what a browser heard, in Hz."""
    audio = np.frombuffer(b"".join(frames), dtype="<i2")
    return float(np.argmax(np.abs(np.fft.rfft(audio))) * RATE / len(audio))


def test_two_browsers_on_calls_started_apart_hear_each_other_in_a_conversation(
    tmp_path: Path,
) -> None:
    async def test(w: World) -> None:
        _, number = w.application(Reply(body=[{"action": "conversation", "name": "room"}]))
        first = await w.start(number, speed=1)
        await asyncio.sleep(0.3)  # the two calls' clocks do not start together
        second = await w.start(number, speed=1)
        heard: dict[str, list[bytes]] = {first.uuid: [], second.uuid: []}
        joined = [asyncio.ensure_future(w.platform.calls.join(
            w.account_id, leg.uuid, paced(tone_frames(1.0, pitch=hz)), into(heard[leg.uuid])))
            for leg, hz in ((first, 440), (second, 660))]  # fmt: skip
        await asyncio.sleep(1.2)
        for leg in (first, second):
            leg.hang_up("user")
        await asyncio.gather(*joined)
        assert abs(pitch(heard[first.uuid]) - 660) < 5
        assert abs(pitch(heard[second.uuid]) - 440) < 5

    play(tmp_path, test)


def test_frames_are_placed_end_to_end_and_those_sent_too_fast_are_dropped(
    tmp_path: Path,
) -> None:
    async def test(w: World) -> None:
        _, number = w.application(Reply(body=[{"action": "conversation", "name": "hold"}]))
        leg = await w.start(number, speed=1)
        browser = Browser(leg)
        silence = bytes(640)
        browser.hear(silence, 1.0)  # the first frame starts a moment ahead of the clock
        browser.hear(silence, 1.005)  # the next ones follow it
        assert [(c.start, c.end) for c in leg.voice.clips] == [(1.0 + LEAD, 1.0 + LEAD + 0.04)]
        browser.hear(silence, 2.0)  # late: a new stretch
        assert leg.voice.clips[-1].start == 2.0 + LEAD
        for _ in range(60):  # a burst, far faster than real time: a second's worth is kept
            browser.hear(silence, 2.0)
        kept = round((AHEAD - LEAD - FRAME_SECONDS) / FRAME_SECONDS) + 1
        assert browser.counts["dropped"] == 60 - kept
        assert leg.voice.ends() <= 2.0 + AHEAD + FRAME_SECONDS + 1e-9
        assert len(leg.voice.clips) == 2  # frames end to end gather in one clip (up to 1 s)
        leg.hang_up("user")
        await leg.session.done.wait()

    play(tmp_path, test)


def test_a_call_at_ten_times_real_time_or_a_second_browser_is_refused(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        _, number = w.application(Reply(body=[{"action": "conversation", "name": "hold"}]))

        async def nothing(frame: bytes) -> None:
            pass

        fast = await w.start(number, speed=10)
        try:
            await w.platform.calls.join(w.account_id, fast.uuid, paced([]), nothing)
        except ProblemError as refused:
            assert refused.status == 409 and "10 times real time" in refused.detail
        else:
            raise AssertionError("a call faster than real time was joined")
        leg = await w.start(number, speed=1)
        first = asyncio.ensure_future(
            w.platform.calls.join(w.account_id, leg.uuid, paced([]), nothing)
        )
        await asyncio.sleep(0.05)
        try:
            await w.platform.calls.join(w.account_id, leg.uuid, paced([]), nothing)
        except ProblemError as refused:
            assert refused.detail == "Another browser is already on this call."
        else:
            raise AssertionError("a second browser joined")
        for call in (fast, leg):
            call.hang_up("user")
        assert await first == "call"

    play(tmp_path, test)
