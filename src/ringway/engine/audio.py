"""Call audio as the platform carries it on a WebSocket: 16-bit little-endian mono PCM in
frames of 20 ms, paced in real time; tones (keys, beeps); and the conversions between the
call's rate (``RATE``) and a socket's.

What a socket sends back is queued (``Playout``) and played out a frame per tick. numpy is
imported only by the functions that need it.
"""

from __future__ import annotations

import asyncio
import functools
from collections import deque
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Samples = NDArray[np.int16]

RATE = 16_000  # samples a second of the audio inside a call (sockets get it at their own rate)
FRAME_SECONDS = 0.02
BUFFER_FRAMES = 1024  # what the platform queues from a socket: about 20 s
KEY_MS = 260  # how long a key press sounds
TONE_LEVEL = 0.25  # of full scale, each of a key's two tones
# A key's two tones, in Hz: its row's and its column's.
ROWS = {**dict.fromkeys("123", 697), **dict.fromkeys("456", 770), **dict.fromkeys("789", 852),
        **dict.fromkeys("*0#", 941)}  # fmt: skip
COLUMNS = {**dict.fromkeys("147*", 1209), **dict.fromkeys("2580", 1336),
           **dict.fromkeys("369#", 1477)}  # fmt: skip


def rate_of(content_type: str) -> int:
    """The sample rate an ``audio/l16;rate=N`` content type names."""
    return int(content_type.rpartition("=")[2])


def frame_bytes(rate: int) -> int:
    """Bytes in one frame at ``rate``: 320, 640 or 960 at 8, 16 or 24 kHz."""
    return int(rate * FRAME_SECONDS) * 2


def sine(frequencies: tuple[float, ...], seconds: float, peak: float) -> Samples:
    """Tones of ``frequencies`` sounding together for ``seconds`` at the call's rate, each at
    ``peak`` (of 32767)."""
    import numpy as np

    n = np.arange(round(seconds * RATE))
    wave = sum(np.sin(2 * np.pi * hz * n / RATE) for hz in frequencies)
    result: Samples = np.round(peak * wave).astype(np.int16)
    return result


@functools.cache
def key_samples(key: str) -> Samples:
    """A key pressed for ``KEY_MS``, at the call's rate: its row's and its column's tones."""
    return sine((ROWS[key], COLUMNS[key]), KEY_MS / 1000, 32767 * TONE_LEVEL)


def to_rate(samples: Samples, rate: int) -> bytes:
    """Samples at the call's rate as a socket's little-endian PCM at ``rate``."""
    return resample(samples, RATE, rate).astype("<i2").tobytes()


def from_rate(data: bytes, rate: int) -> Samples:
    """A socket's little-endian PCM at ``rate`` as samples at the call's rate."""
    import numpy as np

    return resample(np.frombuffer(data, dtype="<i2").astype(np.int16), rate, RATE)


def resample(samples: Samples, rate: int, to: int) -> Samples:
    """``samples`` at ``rate`` as samples at ``to`` (linear: cheap enough for every frame)."""
    import numpy as np

    if rate == to:
        return samples
    positions = np.arange(round(len(samples) * to / rate)) * (rate / to)
    result: Samples = np.interp(positions, np.arange(len(samples)), samples).astype(np.int16)
    return result


class Playout:
    """Audio a socket sent, queued to play in order, with its ``notify`` markers among it."""

    def __init__(self, limit: int = BUFFER_FRAMES) -> None:
        self.limit = limit
        self.frames = 0  # queued now
        self._queue: deque[bytes | Marker] = deque()

    def push(self, frame: bytes) -> bool:
        """Queue a frame; ``False`` when the queue is full (the frame is dropped)."""
        if self.frames >= self.limit:
            return False
        self._queue.append(frame)
        self.frames += 1
        return True

    def mark(self, payload: Any) -> None:
        self._queue.append(Marker(payload))

    def clear(self) -> None:
        """Drop what has not played yet, with the markers among it."""
        self._queue.clear()
        self.frames = 0

    def play(self) -> tuple[bytes | None, list[Any]]:
        """The next frame to play (``None``: nothing queued), and the payloads of the markers
        reached on the way to it or just after it."""
        reached: list[Any] = []
        frame = None
        while self._queue and (frame is None or isinstance(self._queue[0], Marker)):
            item = self._queue.popleft()
            if isinstance(item, Marker):
                reached.append(item.payload)
            else:
                frame = item
                self.frames -= 1
        return frame, reached


class Marker:
    def __init__(self, payload: Any) -> None:
        self.payload = payload


async def ticks(interval: float = FRAME_SECONDS) -> AsyncIterator[int]:
    """Count ticks every ``interval`` seconds, from now, each at its absolute deadline (a late
    tick does not delay the next ones)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    tick = 0
    while True:
        yield tick
        tick += 1
        await asyncio.sleep(max(0.0, start + tick * interval - loop.time()))
