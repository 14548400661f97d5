"""What a leg's far end hears: what the platform plays to the leg, and what every party joined
to it says — its bridged peer, and the members of its conversation it may hear (mute, earmuff,
canHear and canSpeak, as ``Room.hears`` decides at the moment rendered)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from ringway.engine.tape import Tape, pcm

if TYPE_CHECKING:
    from ringway.engine.conversations import Member
    from ringway.engine.tape import Samples


class Listener(Protocol):
    """A leg as the mixer sees it (a ``CallLeg``)."""

    voice: Tape  # what its far end says into the call
    played: Tape  # what the platform plays to its far end
    peer: Listener | None
    member: Member | None
    muted: bool
    earmuffed: bool


def heard(leg: Listener, start: float, end: float) -> Samples:
    """What the far end of ``leg`` hears between ``start`` and ``end`` (clock seconds)."""
    mix = leg.played.render(start, end)
    for speaker in speakers(leg):
        mix += speaker.render(start, end)
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
