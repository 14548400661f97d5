"""Tapes: clips on the call's clock, rendered for any window; and the mixer's choice of voices."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ringway.engine.audio import RATE
from ringway.engine.clock import Clock
from ringway.engine.conversations import Conversations, Member
from ringway.engine.mixer import heard
from ringway.engine.tape import Tape


def level(value: int, seconds: float) -> np.ndarray:
    return np.full(round(seconds * RATE), value, dtype=np.int16)


def test_a_clip_sounds_from_its_start_for_its_length() -> None:
    tape = Tape()
    tape.add(1.0, level(100, 0.5), "talk")
    mix = tape.render(0.5, 2.0)
    assert len(mix) == round(1.5 * RATE)
    assert not mix[: round(0.5 * RATE)].any()
    assert (mix[round(0.5 * RATE) : RATE] == 100).all()
    assert not mix[RATE:].any()
    assert tape.ends() == 1.5


def test_windows_that_tile_a_stretch_render_it_whole() -> None:
    tape = Tape()
    samples = np.arange(RATE, dtype=np.int16)  # every sample different
    tape.add(0.013, samples, "stream")
    frames = [tape.render(i * 0.02, (i + 1) * 0.02) for i in range(60)]
    joined = np.concatenate(frames)
    start = round(0.013 * RATE)
    assert (joined[start : start + RATE] == samples).all()


def test_a_cut_clip_stops_sounding_and_overlapping_clips_add_up() -> None:
    tape = Tape()
    first = tape.add(0.0, level(20_000, 1.0), "talk")
    tape.add(0.5, level(20_000, 1.0), "keys")
    tape.cut(first, 0.75)
    mix = tape.render(0.0, 2.0)
    assert mix[round(0.6 * RATE)] == 40_000  # beyond 16 bits: the mix does not wrap
    assert mix[round(0.8 * RATE)] == 20_000
    tape.forget_before(0.8)
    assert [clip.source for clip in tape.clips] == ["keys"]


@dataclass(eq=False)
class Party:
    uuid: str
    muted: bool = False
    earmuffed: bool = False
    member: Member | None = None
    peer: Party | None = None
    voice: Tape = field(default_factory=Tape)
    played: Tape = field(default_factory=Tape)

    def note(self, kind: str, **data: object) -> None:
        pass

    def wake(self) -> None:
        pass

    def hang_up(self, by: str) -> None:
        pass


def test_a_member_hears_the_others_as_the_conversation_allows() -> None:
    rooms = Conversations()
    room = rooms.named("app", "room")
    alice, bob, carol = Party("alice"), Party("bob"), Party("carol")
    alice.played.add(0.0, level(1, 1.0), "talk")
    for value, party in enumerate((alice, bob, carol), start=1):
        party.voice.add(0.0, level(10**value, 1.0), "caller")
        rooms.join(party, room, True)
    assert heard(alice, 0.0, 0.1)[0] == 1 + 100 + 1000  # its talk and the others, not itself
    bob.muted = True
    assert heard(alice, 0.0, 0.1)[0] == 1 + 1000
    assert carol.member is not None
    carol.member.can_hear = ["alice"]
    assert heard(carol, 0.0, 0.1)[0] == 10
    alice.earmuffed = True
    assert heard(alice, 0.0, 0.1)[0] == 1  # what the platform plays it still reaches it


def test_a_bridged_peer_is_heard_unless_muted() -> None:
    caller, callee = Party("caller"), Party("callee")
    caller.peer, callee.peer = callee, caller
    callee.voice.add(0.0, level(7, 1.0), "caller")
    assert heard(caller, 0.0, 0.02)[0] == 7
    callee.muted = True
    assert not heard(caller, 0.0, 0.02).any()


class Reader:
    def flush(self) -> None:
        pass

    def follow(self) -> None:
        pass


def test_a_tape_lets_go_of_clips_only_once_no_reader_can_render_them() -> None:
    tape = Tape()
    reader = Reader()
    tape.readers[reader] = 0.0  # a recording that has rendered nothing yet
    for second in range(40):
        tape.add(float(second), level(1, 0.5), "socket")
    assert len(tape.clips) == 40  # all still to be recorded
    tape.readers[reader] = 30.0  # rendered up to 30 s
    for second in range(40, 80):
        tape.add(float(second), level(1, 0.5), "socket")
    assert min(clip.start for clip in tape.clips) >= 30
    del tape.readers[reader]  # nobody but live listeners: only the last second is kept
    for second in range(80, 200):
        tape.add(float(second), level(1, 0.5), "socket")
    assert len(tape.clips) < 40 and tape.clips[-1].start == 199
    assert tape.render(199.0, 199.5)[0] == 1


def test_another_calls_tape_is_rendered_by_the_offset_between_the_clocks() -> None:
    mine, theirs = Clock(speed=1), Clock(speed=1)
    theirs._virtual = 10.0  # their call began ten seconds before mine
    tape = Tape(theirs)
    tape.add(10.5, level(3, 0.5), "caller")  # half a second into my call
    mix = tape.render(0.0, 1.0, mine)
    assert not mix[: round(0.49 * RATE)].any() and (mix[round(0.51 * RATE) : RATE - 200] == 3).all()
