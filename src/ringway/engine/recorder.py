"""A recording in progress: the real audio of a leg, or of its conversation, rendered from the
call's tapes up to the clock's now whenever who hears whom may change (``mixer.rerouting``) and
at its end; then encoded, stored, and announced by the record event."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any, Protocol

from ringway.domain.calls import timestamp
from ringway.engine.mixer import room_voices, speakers
from ringway.engine.tape import Tape, pcm

if TYPE_CHECKING:
    from ringway.engine.audio import Samples
    from ringway.engine.conversations import Room
    from ringway.engine.recordings import Recordings
    from ringway.engine.session import CallLeg
    from ringway.engine.tape import Mix
    from ringway.engine.webhooks import Target


class Studio(Protocol):
    """Where a finished recording goes (the ``VoiceEngine``)."""

    recordings: Recordings

    def public_url(self) -> str: ...

    async def post(
        self, leg: CallLeg, purpose: str, target: Target | None, fields: dict[str, Any]
    ) -> None: ...


class Recording:
    """What ``leg``'s far end says and hears (``room``: what its conversation says) from now
    until finished. Mono mixes everything; ``split`` puts the far end on the first channel and
    what it hears on the others: what the platform plays it and the first party it hears on
    the second, each further party on the next, as many as ``channels`` (the last takes the
    rest)."""

    def __init__(
        self,
        studio: Studio,
        leg: CallLeg,
        target: Target,
        *,
        fmt: str = "mp3",
        split: bool = False,
        channels: int = 1,
        room: Room | None = None,
    ) -> None:
        self.studio, self.leg, self.target, self.room = studio, leg, target, room
        self.uuid = str(uuid.uuid4())
        self.channels = max(channels, 2) if split else 1
        self.format = "wav" if self.channels > 2 else fmt  # the platform's rule
        self.started = leg.clock.now()
        self.start = self.rendered = leg.clock.elapsed()
        self.parts: list[list[Samples]] = [[] for _ in range(self.channels)]
        self.channel_of: dict[Tape, int] = {leg.voice: 0, leg.played: min(1, self.channels - 1)}
        self.reading: set[Tape] = set()
        self.done = False
        self.follow()

    def sources(self) -> list[tuple[Tape, int]]:
        """The tapes it hears now, each with its channel."""
        if self.room is not None:
            return [(voice, 0) for voice in room_voices(self.room)]
        leg = self.leg
        tapes = [leg.voice, leg.played, *speakers(leg)]
        for tape in tapes:
            if tape not in self.channel_of:
                self.channel_of[tape] = min(len(self.channel_of) - 1, self.channels - 1)
        return [(tape, self.channel_of[tape]) for tape in tapes]

    def flush(self) -> None:
        """Render what it heard since the last time, up to now."""
        now = self.leg.clock.elapsed()
        if self.done or now <= self.rendered:
            return
        mixes: list[Mix | None] = [None] * self.channels
        for tape, channel in self.sources():
            mix = tape.render(self.rendered, now, self.leg.clock)
            before = mixes[channel]
            mixes[channel] = mix if before is None else before + mix
        for channel, mixed in enumerate(mixes):
            part = _silence(self.rendered, now) if mixed is None else pcm(mixed)
            self.parts[channel].append(part)
        self.rendered = now
        self.follow()

    def follow(self) -> None:
        tapes = set() if self.done else {tape for tape, _ in self.sources()}
        for tape in self.reading - tapes:
            tape.readers.pop(self, None)
        for tape in tapes:
            tape.readers[self] = tape.local(self.rendered, self.leg.clock)
        self.reading = tapes

    async def finish(self) -> None:
        if self.done:
            return
        self.flush()
        self.done = True
        self.follow()
        leg, ended = self.leg, self.leg.clock.now()
        seconds = self.rendered - self.start
        channels = [_joined(part) for part in self.parts]
        size = await asyncio.to_thread(self.studio.recordings.store, leg.session.account_id,
                                       self.uuid, self.format, channels)  # fmt: skip
        self.parts = []
        url = f"{self.studio.public_url()}/v1/files/{self.uuid}"
        leg.note("recording", recording_uuid=self.uuid, seconds=round(seconds, 3), size=size,
                 format=self.format, channels=self.channels)  # fmt: skip
        await self.studio.post(leg, "record", self.target, {
            "start_time": timestamp(self.started), "recording_url": url, "size": size,
            "recording_uuid": self.uuid, "end_time": timestamp(ended),
            "conversation_uuid": leg.leg.conversation_uuid,
            "timestamp": timestamp(leg.clock.now())})  # fmt: skip


def _silence(start: float, end: float) -> Samples:
    import numpy as np

    from ringway.engine.tape import samples_between

    return np.zeros(samples_between(start, end), dtype=np.int16)


def _joined(parts: list[Samples]) -> Samples:
    import numpy as np

    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
