"""What one direction of a leg carries: clips of audio placed on the call's clock (seconds from
``Clock.elapsed()``), rendered for any stretch of time — a recording's whole length once the
call is over, or the next 20 ms of a live socket. Samples are 16-bit mono at ``audio.RATE``.

numpy is imported only when audio is rendered, so calls that nobody listens to never load it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ringway.engine.audio import RATE, key_samples

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from ringway.engine.audio import Samples
    from ringway.engine.clock import Clock

    Mix = NDArray[np.int32]

KEY_GAP = 0.1  # seconds between keys pressed one after another
PAUSE = 0.5  # seconds a ``p`` among keys sent into a call waits
LIVE = 1.0  # seconds of the past a live listener (a socket, a browser) may still render
PRUNE_EVERY = 16  # clips added between looks for clips nobody will render


class Reader(Protocol):
    """Something that will render a tape from a time on (a recording in progress)."""

    def flush(self) -> None:
        """Render up to now."""

    def follow(self) -> None:
        """Read, from now on, the tapes it hears now (and no others)."""


@dataclass(eq=False)
class Clip:
    """A piece of audio that starts sounding at ``start`` and stops at ``end``: the end of its
    samples, or earlier when it was cut short (a talk stopped, a barge-in)."""

    start: float
    samples: Samples
    source: str  # what made it: talk, stream, keys, caller, socket, browser …
    end: float

    @property
    def length(self) -> float:
        return len(self.samples) / RATE


class Tape:
    """The clips of one direction of a leg, in the order they were added, on the seconds of
    ``clock`` (its call's), and who will render it from when (``readers``, in those seconds).
    Clips nobody can render any more are let go of as clips come."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock
        self.clips: list[Clip] = []
        self.readers: dict[Reader, float] = {}
        self._look_at = PRUNE_EVERY  # how many clips make it look for clips to let go of

    def add(self, at: float, samples: Samples, source: str) -> Clip:
        clip = Clip(at, samples, source, at + len(samples) / RATE)
        self.clips.append(clip)
        if len(self.clips) >= self._look_at:
            self.forget_before(min(self.readers.values(), default=at - LIVE))
            self._look_at = 2 * len(self.clips) + PRUNE_EVERY
        return clip

    def keys(self, at: float, digits: str) -> float:
        """Key tones from ``at``, one after another (``p``: a pause); when they end."""
        for key in digits:
            if key == "p":
                at += PAUSE
            else:
                at = self.add(at, key_samples(key), "keys").end + KEY_GAP
        return at

    @staticmethod
    def cut(clip: Clip, at: float) -> None:
        """Stop ``clip`` sounding from ``at`` on (never before it starts)."""
        clip.end = max(clip.start, min(clip.end, at))

    def ends(self) -> float:
        """When the last sound on the tape stops (0: nothing on it)."""
        return max((clip.end for clip in self.clips), default=0.0)

    def forget_before(self, at: float) -> None:
        """Let go of clips that stopped sounding before ``at`` (nothing will render them)."""
        self.clips = [clip for clip in self.clips if clip.end > at]

    def local(self, at: float, clock: Clock | None) -> float:
        """``at`` on ``clock`` as seconds of this tape's clock. Another call's clock (a
        conversation joins legs of several calls) is offset by the difference of the two now:
        exact while both run in real time, as live calls do."""
        if clock is None or self.clock is None or clock is self.clock:
            return at
        return at + self.clock.elapsed() - clock.elapsed()

    def render(self, start: float, end: float, clock: Clock | None = None) -> Mix:
        """The sum of every clip sounding between ``start`` and ``end`` (seconds of ``clock``,
        by default the tape's own), a sample each ``1/RATE`` s from ``start`` (32-bit, so
        that mixes add up without wrapping)."""
        import numpy as np

        count = samples_between(start, end)
        start = self.local(start, clock)
        end = start + count / RATE
        mix = np.zeros(count, dtype=np.int32)
        for clip in self.clips:
            if clip.end <= start or clip.start >= end:
                continue
            first = round((max(clip.start, start) - clip.start) * RATE)
            last = min(round((min(clip.end, end) - clip.start) * RATE), len(clip.samples))
            at = round((clip.start - start) * RATE) + first
            if at < 0:  # rounding at the window's start
                first, at = first - at, 0
            piece = clip.samples[first:last][: count - at]
            mix[at : at + len(piece)] += piece
        return mix


def samples_between(start: float, end: float) -> int:
    """How many samples cover ``start`` to ``end``."""
    return max(0, round((end - start) * RATE))


def pcm(mix: Mix) -> Samples:
    """A mix as 16-bit samples, clipped to full scale."""
    import numpy as np

    return np.clip(mix, -32768, 32767).astype(np.int16)
