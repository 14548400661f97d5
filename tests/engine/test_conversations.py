"""Conversations, transfer, and live control of running calls."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from ringway.domain.simulation import Person
from ringway.engine.session import CallLeg
from tests.engine.world import World, play, talk
from tests.receivers import Reply


def room(name: str = "standup", **more: Any) -> dict[str, Any]:
    return {"action": "conversation", "name": name, **more}


async def until(leg: CallLeg, kind: str, **match: Any) -> dict[str, Any]:
    """The first timeline entry of ``kind`` matching ``match``, once it exists."""
    for _ in range(500):
        for entry in leg.session.entries:
            if entry.kind == kind and all(entry.data.get(k) == v for k, v in match.items()):
                return entry.data
        await asyncio.sleep(0.01)
    raise AssertionError(f"no {kind} entry matching {match}")


def conversation_events(leg: CallLeg) -> list[str]:
    return [e.data["event"] for e in leg.session.entries
            if e.kind == "conversation" and e.leg == leg.uuid]  # fmt: skip


def test_two_calls_in_one_conversation_and_end_on_exit_ends_it(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        _, number = w.application(
            Reply(body=[room(startOnEnter=False)]),
            Reply(body=[talk("Hi all"), room(endOnExit=True, canHear=[])]),
        )
        first = await w.start(number)
        await until(first, "conversation", event="music-on-hold")
        second = await w.call(number, Person(hangup_after=10))
        await first.session.done.wait()
        assert conversation_events(first) == ["joined", "music-on-hold", "started", "left"]
        assert conversation_events(second) == ["joined", "left"]
        joined = await until(second, "conversation", event="joined")
        assert joined["end_on_exit"] and joined["can_hear"] == []
        assert joined["hears"] == [] and joined["heard_by"] == [first.uuid]
        ends = {e["uuid"]: e for e in w.events() if e.get("status") == "completed"}
        assert ends[second.uuid]["disconnected_by"] == "user"
        assert ends[first.uuid]["disconnected_by"] == "platform"

    play(tmp_path, test)


def test_a_leg_in_a_conversation_stays_until_it_hangs_up(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        _, number = w.application(Reply(body=[room(), talk("never")]))
        leg = await w.call(number, Person(hangup_after=90))
        completed = w.events()[-1]
        assert completed["duration"] == "90" and completed["disconnected_by"] == "user"
        assert [e.data["action"]["action"] for e in leg.session.entries if e.kind == "action"] == [
            "conversation"
        ]

    play(tmp_path, test)


def test_a_muted_member_is_heard_by_no_one(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        _, number = w.application(Reply(body=[room()]), Reply(body=[room(mute=True)]))
        first = await w.start(number)
        await until(first, "conversation", event="joined")
        second = await w.start(number)
        joined = await until(second, "conversation", event="joined")
        assert joined["mute"] and joined["heard_by"] == [] and joined["hears"] == [first.uuid]
        for leg in (first, second):
            await w.platform.calls.caller(w.account_id, leg.uuid, "hangup")
        await asyncio.gather(first.session.done.wait(), second.session.done.wait())

    play(tmp_path, test)


def test_transfer_moves_a_leg_into_another_conversation(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        _, number = w.application(Reply(body=[room("lobby")]))
        first = await w.start(number)
        lobby = (await until(first, "conversation", event="joined"))["conversation_id"]
        w.receiver.script["/answer"].clear()
        w.receiver.answer("/answer", Reply(body=[{"action": "transfer", "conversationId": lobby}]))
        second = await w.start(number)
        joined = await until(second, "conversation", event="joined")
        assert joined["conversation_id"] == lobby and joined["hears"] == [first.uuid]
        await w.platform.calls.caller(w.account_id, first.uuid, "hangup")
        await w.platform.calls.caller(w.account_id, second.uuid, "hangup")
        await second.session.done.wait()

    play(tmp_path, test)


def test_transfer_reaches_no_conversation_of_another_account_or_application(
    tmp_path: Path,
) -> None:
    async def test(w: World) -> None:
        _, number = w.application(Reply(body=[room("lobby", startOnEnter=False)]))
        first = await w.start(number)
        lobby = (await until(first, "conversation", event="joined"))["conversation_id"]
        into_lobby = Reply(body=[{"action": "transfer", "conversationId": lobby}, talk("Bye")])
        other = w.tenant()
        intruders = [
            (other, other.application(into_lobby, prefix="/other-account")[1]),
            (w, w.application(into_lobby, prefix="/other-app")[1]),
        ]
        for caller, intruder in intruders:
            leg = await asyncio.wait_for(caller.call(intruder), 5)  # it stayed in the room
            assert "joined" not in conversation_events(leg)
            error = await until(leg, "error")
            assert error["reason"] == f"no conversation has the id {lobby}"  # as if none existed
        assert (await until(first, "conversation", event="joined"))["hears"] == []
        assert "started" not in conversation_events(first)  # nobody started the held room
        await w.platform.calls.caller(w.account_id, first.uuid, "hangup")
        await first.session.done.wait()

    play(tmp_path, test)


def test_one_conversation_name_in_two_accounts_names_two_rooms(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        other = w.tenant()
        legs = []
        for world, prefix in ((w, ""), (other, "/other-account")):
            _, number = world.application(Reply(body=[room("standup")]), prefix=prefix)
            legs.append((world, await world.start(number)))
        rooms = [await until(leg, "conversation", event="joined") for _, leg in legs]
        assert rooms[0]["conversation_id"] != rooms[1]["conversation_id"]
        assert rooms[1]["hears"] == [] and rooms[1]["heard_by"] == []
        for world, leg in legs:
            await world.platform.calls.caller(world.account_id, leg.uuid, "hangup")
            await leg.session.done.wait()

    play(tmp_path, test)


def test_live_dtmf_reaches_an_input_on_a_real_time_call(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        wait_for = {"action": "input", "type": ["dtmf"], "dtmf": {"maxDigits": 2, "timeOut": 10},
                    "eventUrl": [w.receiver.url + "/input"]}  # fmt: skip
        _, number = w.application(Reply(body=[wait_for]))
        leg = await w.start(number, speed=1)
        await until(leg, "action")
        await w.platform.calls.caller(w.account_id, leg.uuid, "dtmf", "55")
        await leg.session.done.wait()
        assert w.events("/input")[0]["dtmf"] == {"digits": "55", "timed_out": False}

    play(tmp_path, test)


def test_live_hangup_ends_a_call_as_the_caller(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        _, number = w.application(Reply(body=[room()]))
        leg = await w.start(number)
        await until(leg, "conversation", event="joined")
        await w.platform.calls.caller(w.account_id, leg.uuid, "hangup")
        await leg.session.done.wait()
        assert w.events()[-1]["disconnected_by"] == "user"

    play(tmp_path, test)
