"""The audio frames of WebSocket endpoints: sizes, key tones, the queue of what a socket sends
back with its notify markers, and real-time ticks."""

from __future__ import annotations

import array
import asyncio
import math
import time

import numpy as np
import pytest

from ringway.engine.audio import (
    RATE,
    Playout,
    frame_bytes,
    from_rate,
    key_samples,
    rate_of,
    ticks,
    to_rate,
)


@pytest.mark.parametrize(("rate", "size"), [(8000, 320), (16000, 640), (24000, 960)])
def test_a_frame_is_20_ms_of_16_bit_samples(rate: int, size: int) -> None:
    assert rate_of(f"audio/l16;rate={rate}") == rate
    assert frame_bytes(rate) == size
    twenty_ms = np.arange(RATE // 50, dtype=np.int16)
    assert len(to_rate(twenty_ms, rate)) == size
    assert len(from_rate(bytes(size), rate)) == RATE // 50


def test_a_key_sounds_as_its_two_tones_for_260_ms_then_silence() -> None:
    data = to_rate(key_samples("5"), 8000)  # as a socket at 8 kHz gets it
    frames = [data[i : i + 320] for i in range(0, len(data), 320)]
    assert len(frames) == 13 and {len(f) for f in frames} == {320}
    samples = array.array("h", data)

    # 770 Hz and 1336 Hz: correlate with each, and with a frequency that is not there
    def energy(hz: float) -> float:
        return abs(sum(s * math.sin(2 * math.pi * hz * n / 8000) for n, s in enumerate(samples)))

    assert energy(770) > 20 * energy(1000) and energy(1336) > 20 * energy(1000)
    assert len(key_samples("5")) == RATE * 260 // 1000  # at the call's rate, for its tapes


def test_markers_are_reached_once_the_audio_before_them_has_played() -> None:
    queue = Playout(limit=3)
    queue.mark("first")
    assert queue.push(b"a") and queue.push(b"b")
    queue.mark("after b")
    assert queue.push(b"c") and not queue.push(b"d")  # full: dropped
    queue.mark("after c")
    assert queue.play() == (b"a", ["first"])
    assert queue.play() == (b"b", ["after b"])
    queue.clear()
    assert queue.play() == (None, []) and queue.frames == 0


def test_ticks_keep_to_absolute_deadlines() -> None:
    async def twenty_ticks() -> float:
        started = time.monotonic()
        async for tick in ticks(0.01):
            if tick == 0:
                time.sleep(0.4)  # a late tick: the next ones, already due, come at once
            if tick == 20:
                break
        return time.monotonic() - started

    took = asyncio.run(twenty_ticks())
    assert 0.4 <= took < 0.55  # accumulated sleeps would take 0.4 + 20 x 0.01 s at least
