"""Named conversations: legs join and leave; a conversation starts when a member with
``startOnEnter`` joins (the others hear music on hold until then) and ends when a member with
``endOnExit`` leaves, hanging up everyone still in it. Names are per application."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from ringway.engine.tape import Tape
from ringway.storage.ids import ordered_uuid


class Party(Protocol):
    """A leg as its conversation sees it (a ``CallLeg``)."""

    muted: bool
    earmuffed: bool
    member: Member | None
    voice: Tape  # what its far end says into the call
    played: Tape  # what the platform plays to its far end

    @property
    def uuid(self) -> str: ...

    def note(self, kind: str, **data: Any) -> object: ...

    def wake(self) -> None: ...

    def hang_up(self, by: str) -> None: ...


@dataclass
class Member:
    leg: Party
    room: Room
    end_on_exit: bool = False
    can_hear: list[str] | None = None  # leg uuids; None: everyone
    can_speak: list[str] | None = None
    mute: bool = False

    def describe(self) -> dict[str, object]:
        return {"conversation": self.room.name, "conversation_id": self.room.id,
                "end_on_exit": self.end_on_exit, "can_hear": self.can_hear,
                "can_speak": self.can_speak, "mute": self.mute}  # fmt: skip


@dataclass
class Room:
    name: str
    application_id: str
    id: str = field(default_factory=lambda: f"CON-{ordered_uuid()}")
    started: bool = False
    members: dict[str, Member] = field(default_factory=dict)

    def hears(self, listener: Member, speaker: Member) -> bool:
        """Whether ``listener`` hears ``speaker``, by mute, earmuff, canHear and canSpeak."""
        if speaker.mute or speaker.leg.muted or listener.leg.earmuffed:
            return False
        if listener.can_hear is not None and speaker.leg.uuid not in listener.can_hear:
            return False
        return speaker.can_speak is None or listener.leg.uuid in speaker.can_speak


class Conversations:
    def __init__(self) -> None:
        self._rooms: dict[tuple[str, str], Room] = {}
        self._by_id: dict[str, Room] = {}

    def named(self, application_id: str, name: str) -> Room:
        room = self._rooms.get((application_id, name))
        if room is None:
            room = Room(name, application_id)
            self._rooms[(application_id, name)] = self._by_id[room.id] = room
        return room

    def by_id(self, application_id: str, conversation_id: str) -> Room | None:
        """The room with this id, if it belongs to ``application_id``: a conversation is
        reachable only by legs of its own application, as by name."""
        room = self._by_id.get(conversation_id)
        return room if room is not None and room.application_id == application_id else None

    def join(self, leg: Party, room: Room, start: bool, **settings: object) -> Member:
        """Put ``leg`` in ``room`` (out of any other), starting the room if ``start``."""
        self.leave(leg)
        member = Member(leg, room, **settings)  # type: ignore[arg-type]
        room.members[leg.uuid] = member
        leg.member = member
        others = [m for m in room.members.values() if m is not member]
        leg.note("conversation", event="joined", **member.describe(),
                 hears=[m.leg.uuid for m in others if room.hears(member, m)],
                 heard_by=[m.leg.uuid for m in others if room.hears(m, member)])  # fmt: skip
        if start and not room.started:
            room.started = True
            for other in room.members.values():
                if other is not member:
                    other.leg.note("conversation", event="started", conversation=room.name)
                    other.leg.wake()
        return member

    def leave(self, leg: Party) -> None:
        member = leg.member
        if member is None:
            return
        leg.member = None
        room = member.room
        room.members.pop(leg.uuid, None)
        leg.note("conversation", event="left", conversation=room.name)
        if member.end_on_exit:
            for other in list(room.members.values()):
                other.leg.hang_up("platform")
        if not room.members:
            self._rooms.pop((room.application_id, room.name), None)
            self._by_id.pop(room.id, None)
