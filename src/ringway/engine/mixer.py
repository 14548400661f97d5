"""What a leg's far end hears: what the platform plays to the leg, and what every party joined
to it says — its bridged peer, and the members of its conversation it may hear (mute, earmuff,
canHear and canSpeak, as ``Room.hears`` decides at the moment rendered).

Who hears whom changes (a mute, a join): the recordings that may hear it render up to that
moment first (``rerouting``), so that each stretch is mixed as it was heard.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

from ringway.engine.tape import Reader, Tape, pcm

if TYPE_CHECKING:
    from ringway.engine.audio import Samples
    from ringway.engine.conversations import Member, Room


class Listener(Protocol):
    """A leg as the mixer sees it (a ``CallLeg``)."""

    voice: Tape  # what its far end says into the call
    played: Tape  # what the platform plays to its far end
    member: Member | None
    muted: bool
    earmuffed: bool

    @property
    def peer(self) -> Listener | None:
        """The leg it is bridged to, if any."""


def heard(leg: Listener, start: float, end: float) -> Samples:
    """What the far end of ``leg`` hears between ``start`` and ``end`` (clock seconds)."""
    mix = leg.played.render(start, end)
    for speaker in speakers(leg):
        mix += speaker.render(start, end, leg.voice.clock)  # another call's: on its own clock
    return pcm(mix)


def speakers(leg: Listener) -> list[Tape]:
    """The voices ``leg`` hears now."""
    if leg.earmuffed:
        return []
    voices = []
    if leg.peer is not None and not leg.peer.muted:
        voices.append(leg.peer.voice)
    member = leg.member
    if member is not None:
        room = member.room
        voices += [other.leg.voice for other in room.members.values()
                   if other is not member and room.hears(member, other)]  # fmt: skip
    return voices


def room_voices(room: Room) -> list[Tape]:
    """The voices a conversation's own mix carries: its members who may speak."""
    return [m.leg.voice for m in room.members.values() if not (m.mute or m.leg.muted)]


@contextlib.contextmanager
def rerouting(*legs: Listener, room: Room | None = None) -> Iterator[None]:
    """Around a change to who hears ``legs`` or what they hear (or who is in ``room``): the
    recordings that may hear it render up to now before, and follow what they hear after."""
    readers = _readers(legs, room)
    for reader in readers:
        reader.flush()
    yield
    for reader in readers | _readers(legs, room):
        reader.follow()


def _readers(legs: tuple[Listener, ...], room: Room | None) -> set[Reader]:
    tapes = [tape for leg in legs for tape in (leg.voice, leg.played)]
    rooms = {id(r): r for r in (room, *(leg.member.room for leg in legs if leg.member)) if r}
    for each in rooms.values():
        tapes += [tape for m in each.members.values() for tape in (m.leg.voice, m.leg.played)]
    peers = [leg.peer for leg in legs if leg.peer is not None]
    tapes += [tape for peer in peers for tape in (peer.voice, peer.played)]
    return {reader for tape in tapes for reader in tape.readers}
