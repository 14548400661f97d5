"""Sound put on a leg's tapes as the call runs: what the platform plays to its far end (talk,
stream, keys sent into the call) and what the far end says (its scripted words and keys). Each
piece of speech and audio is marked in the timeline (an ``audio`` entry: its source, where it
starts on the call's clock, ``start``, and how long it sounds, ``seconds``)."""

from __future__ import annotations

import functools
import itertools
from typing import TYPE_CHECKING, Any

from ringway.domain.simulation import MESSAGE, Saying
from ringway.engine.audio import RATE, sine
from ringway.engine.tape import Clip, Tape

if TYPE_CHECKING:
    from ringway.engine.audio import Samples
    from ringway.engine.session import CallLeg

SPEAKING_AFTER = 0.5  # seconds a person takes to start answering a speech input
BEEP_HZ, BEEP_SECONDS = 1000, 0.5  # the beep a record may start with


async def spoken(
    leg: CallLeg, text: str, language: str = "en-US", style: int = 0, level: float = 0
) -> Samples:
    """``text`` (SSML when it starts with ``<speak``) as speech at ``level`` (-1 to 1); a
    language the platform does not speak is noted, and spoken as ``en-US``."""
    from ringway.engine import speech

    ssml = text.lstrip().startswith("<speak")
    try:
        audio = await speech.synthesize(text, language, style, ssml)
    except speech.UnknownLanguage as exc:
        leg.note("error", reason=str(exc))
        audio = await speech.synthesize(text, "en-US", style, ssml)
    return louder(audio, level)


def louder(audio: Samples, level: float) -> Samples:
    """``audio`` at the platform's ``level``: -1 half as loud, 0 as it is, 1 twice as loud."""
    if not level:
        return audio
    import numpy as np

    result: Samples = np.clip(audio * 2.0**level, -32768, 32767).astype(np.int16)
    return result


@functools.cache
def beep() -> Samples:
    """The beep that starts a recording when ``beepStart`` asks for it."""
    return sine((BEEP_HZ,), BEEP_SECONDS, 8000)


def mark(leg: CallLeg, source: str, at: float, seconds: float | None, **detail: Any) -> None:
    """Note a piece of audio in the timeline: where it starts on the call's clock (``start``;
    the entry's ``at`` is when it was noted) and how long it sounds (``None``: until stopped)."""
    length = None if seconds is None else round(seconds, 3)
    leg.note("audio", source=source, start=round(at, 3), seconds=length, **detail)


async def play(
    leg: CallLeg,
    audio: Samples,
    loop: int,
    source: str,
    *,
    ncco: bool,
    until_input: bool = False,
    **detail: Any,
) -> bool:
    """Play ``audio`` to the far end of ``leg``, ``loop`` times (0: until stopped); ``False``
    when stopped early, its sound cut there. An NCCO's audio (``ncco``) stops when the leg is
    hung up, transferred, or (``until_input``: a bargeIn) given input; the Voice API's stops
    when the leg ends or its task is cancelled."""
    length = len(audio) / RATE
    start = leg.clock.elapsed()
    mark(leg, source, start, length * loop if loop else None, **detail)
    clip: Clip | None = None
    try:
        for _ in range(loop) if loop else itertools.count():
            at = clip.end if clip is not None else start
            clip = leg.played.add(at, audio, source)
            left = max(clip.end - leg.clock.elapsed(), 0.0) if length or loop else None
            if ncco:
                if not await leg.pause(left, until_input=until_input):
                    return False
            elif await leg.clock.wait(leg.ended, left):
                return False
        return True
    finally:
        now = leg.clock.elapsed()
        if clip is not None and clip.end > now:
            Tape.cut(clip, now)
            mark(leg, source, start, now - start, cut=True, **detail)


async def say(
    leg: CallLeg, text: str, language: str, source: str, at: float | None = None
) -> float:
    """The far end of ``leg`` says ``text`` from ``at`` (``None``: now; the time speech
    takes to synthesize does not delay it); how long it takes."""
    at = leg.clock.elapsed() if at is None else at
    audio = await spoken(leg, text, language)
    if leg.over:
        return 0.0
    clip = leg.voice.add(at, audio, source)
    mark(leg, source, clip.start, clip.length, text=text)
    return clip.length


async def script(leg: CallLeg, says: list[Saying]) -> None:
    """The far end says each of ``says`` at its time after the answer."""
    answered = leg.leg.answered_at
    start = (
        leg.clock.elapsed() if answered is None else (answered - leg.clock.start).total_seconds()
    )
    for saying in sorted(says, key=lambda s: s.at):
        if await leg.clock.wait(leg.ended, start + saying.at - leg.clock.elapsed()):
            return
        await say(leg, saying.text, saying.language, "says", start + saying.at)


async def message(leg: CallLeg, start: float, seconds: float) -> None:
    """The far end leaves a message from ``start``: a default sentence, over and over, for
    ``seconds``."""
    audio = await spoken(leg, MESSAGE)
    at = start
    mark(leg, "message", start, seconds, text=MESSAGE)
    while at < start + seconds and len(audio):
        clip = leg.voice.add(at, audio, "message")
        Tape.cut(clip, start + seconds)
        at = clip.end
