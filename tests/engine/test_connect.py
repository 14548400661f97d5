"""connect (wire-contract §5 and §6): virtual phones for each behaviour, another ringway number,
synchronous events, and the events of the new leg."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ringway.domain.simulation import Person, Phone
from tests.engine.world import World, at, play, talk
from tests.receivers import Reply

CALLEE = "447700900555"


def connect(w: World, **more: Any) -> dict[str, Any]:
    return {"action": "connect", "eventUrl": [w.receiver.url + "/leg"],
            "endpoint": [{"type": "phone", "number": CALLEE}], **more}  # fmt: skip


def phone(w: World, **behaviour: Any) -> None:
    w.platform.calls.phones.set(w.account_id, CALLEE, Phone(**behaviour))


def test_a_phone_that_answers_is_bridged_until_it_hangs_up_then_the_ncco_goes_on(
    tmp_path: Path,
) -> None:
    async def test(w: World) -> None:
        phone(w, answer_after=4, hangup_after=20)
        _, number = w.application(Reply(body=[connect(w), talk("after")]))
        leg = await w.call(number)
        legs = w.events("/leg")
        assert [e["status"] for e in legs] == ["started", "ringing", "answered", "completed"]
        assert all(e["direction"] == "outbound" and e["to"] == CALLEE for e in legs)
        assert legs[0]["from"] == number  # the number called, when the action names none
        assert legs[0]["conversation_uuid"] == leg.leg.conversation_uuid
        assert legs[0]["uuid"] != leg.uuid
        assert legs[-1]["duration"] == "20" and legs[-1]["disconnected_by"] == "user"
        actions = [e.data["action"]["action"] for e in leg.session.entries if e.kind == "action"]
        assert actions == ["connect", "talk"]
        assert w.statuses()[-1] == "completed"

    play(tmp_path, test)


def test_the_caller_hanging_up_ends_the_connected_leg(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        phone(w)
        _, number = w.application(Reply(body=[connect(w)]))
        await w.call(number, Person(hangup_after=12))
        assert w.events("/leg")[-1]["disconnected_by"] == "platform"
        assert w.events()[-1]["disconnected_by"] == "user"

    play(tmp_path, test)


def test_a_busy_phone(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        phone(w, behaviour="busy")
        _, number = w.application(Reply(body=[connect(w), talk("busy, sorry")]))
        await w.call(number)
        legs = w.events("/leg")
        assert [e["status"] for e in legs] == ["started", "ringing", "busy", "completed"]
        assert legs[2]["sip_code"] == 486

    play(tmp_path, test)


def test_a_phone_that_does_not_answer_times_out_at_the_ringing_timeout(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        phone(w, behaviour="no-answer")
        _, number = w.application(Reply(body=[connect(w, timeout=25)]))
        await w.call(number)
        legs = w.events("/leg")
        assert [e["status"] for e in legs] == ["started", "ringing", "timeout", "completed"]
        rang = (at(legs[2]["timestamp"]) - at(legs[1]["timestamp"])).total_seconds()
        assert 24.9 < rang < 25.5

    play(tmp_path, test)


def test_a_phone_answering_after_the_timeout_times_out_too(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        phone(w, answer_after=30)
        _, number = w.application(Reply(body=[connect(w, timeout=10)]))
        await w.call(number)
        assert [e["status"] for e in w.events("/leg")][-2:] == ["timeout", "completed"]

    play(tmp_path, test)


def test_a_rejecting_phone_ends_rejected_without_completed(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        phone(w, behaviour="reject")
        _, number = w.application(Reply(body=[connect(w)]))
        await w.call(number)
        legs = w.events("/leg")
        assert [e["status"] for e in legs] == ["started", "ringing", "rejected"]
        assert legs[-1]["detail"] == "declined" and legs[-1]["sip_code"] == 603

    play(tmp_path, test)


def test_a_failing_phone(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        phone(w, behaviour="fail")
        _, number = w.application(Reply(body=[connect(w)]))
        await w.call(number)
        legs = w.events("/leg")
        assert [e["status"] for e in legs] == ["started", "failed", "completed"]
        assert legs[1]["detail"] == "cannot_route"

    play(tmp_path, test)


def test_machine_detection_reports_a_machine_and_hangs_up(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        phone(w, behaviour="machine", answer_after=2)
        _, number = w.application(Reply(body=[connect(w, machineDetection="hangup")]))
        await w.call(number)
        legs = w.events("/leg")
        assert [e["status"] for e in legs] == ["started", "ringing", "answered", "machine",
                                               "completed"]  # fmt: skip
        assert legs[3]["call_uuid"] == legs[0]["uuid"]
        assert legs[-1]["duration"] == "0"

    play(tmp_path, test)


def test_machine_detection_reports_a_human(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        phone(w, hangup_after=5)
        _, number = w.application(Reply(body=[connect(w, machineDetection="continue")]))
        await w.call(number)
        assert "human" in [e["status"] for e in w.events("/leg")]

    play(tmp_path, test)


def test_synchronous_events_may_replace_the_ncco_when_the_callee_is_busy(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        phone(w, behaviour="busy")
        w.receiver.answer("/leg", Reply(), Reply(), Reply(body=[talk("Leave a message")]),
                          Reply())  # fmt: skip
        ncco = [connect(w, eventType="synchronous"), talk("not this")]
        leg = await w.call(w.application(Reply(body=ncco))[1])
        said = [e.data["action"].get("text") for e in leg.session.entries if e.kind == "action"]
        assert said[-1] == "Leave a message" and "not this" not in said

    play(tmp_path, test)


def test_other_endpoint_types_reach_virtual_phones(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        endpoints = [
            {"type": "app", "user": "alice"},
            {"type": "sip", "uri": "sip:bob@example.invalid"},
            {"type": "vbc", "extension": "1234"},
        ]  # fmt: skip
        for endpoint in endpoints:
            w.platform.calls.phones.set(
                w.account_id,
                endpoint.get("uri") or endpoint.get("user") or endpoint["extension"],
                Phone(answer_after=1, hangup_after=3),
            )
        ncco = [connect(w, endpoint=[e]) for e in endpoints]
        await w.call(w.application(Reply(body=ncco))[1])
        legs = w.events("/leg")
        assert [e["status"] for e in legs].count("answered") == 3
        assert {e["to"] for e in legs} == {"alice", "sip:bob@example.invalid", "1234"}

    play(tmp_path, test)


def test_a_ringway_number_rings_its_own_application(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        _, callee = w.application(
            Reply(body=[talk("This is the second app"), {"action": "wait", "timeout": 0.2}]),
            prefix="/second",
        )
        ncco = [{"action": "connect", "endpoint": [{"type": "phone", "number": callee}]}]
        _, number = w.application(Reply(body=ncco))
        await w.call(number)
        (answer,) = w.receiver.on("/second/answer")
        assert answer.query["to"] == callee and answer.query["from"] == number
        second = [e["status"] for e in w.events("/second/event")]
        assert second == ["started", "ringing", "answered", "completed"]
        first = w.events()
        outbound = [e["status"] for e in first if e.get("direction") == "outbound"]
        assert outbound == ["started", "ringing", "answered", "completed"]
        assert w.events("/second/event")[0]["direction"] == "inbound"

    play(tmp_path, test)


def test_on_answer_plays_an_ncco_to_the_callee_before_the_bridge(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        phone(w, hangup_after=10)
        whisper = w.receiver.answer("/whisper", Reply(body=[talk("A call from the shop")]))
        endpoint = {"type": "phone", "number": CALLEE, "onAnswer": {"url": whisper}}
        leg = await w.call(w.application(Reply(body=[connect(w, endpoint=[endpoint])]))[1])
        (request,) = w.receiver.on("/whisper")
        callee = w.events("/leg")[0]["uuid"]
        assert request.method == "GET" and request.query["uuid"] == callee
        talks = [e for e in leg.session.entries if e.kind == "action" and e.leg == callee]
        assert [e.data["action"]["text"] for e in talks] == ["A call from the shop"]

    play(tmp_path, test)


def test_limit_cuts_the_connected_leg_off(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        phone(w)
        started = time.monotonic()
        await w.call(w.application(Reply(body=[connect(w, limit=2)]))[1])
        completed = w.events("/leg")[-1]
        assert completed["duration"] == "2" and completed["disconnected_by"] == "platform"
        assert time.monotonic() - started >= 1.9  # a limit is a real timer: never skipped

    play(tmp_path, test)


def test_an_unavailable_phone_is_unanswered(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        phone(w, behaviour="unavailable")
        await w.call(w.application(Reply(body=[connect(w)]))[1])
        legs = w.events("/leg")
        assert [e["status"] for e in legs] == ["started", "ringing", "unanswered", "completed"]
        assert legs[2]["detail"] == "unavailable" and legs[2]["sip_code"] == 480

    play(tmp_path, test)


def test_the_caller_hanging_up_while_it_rings_cancels_the_new_leg(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        phone(w, answer_after=30)
        await w.call(w.application(Reply(body=[connect(w)]))[1], Person(hangup_after=5))
        legs = w.events("/leg")
        assert [e["status"] for e in legs] == ["started", "ringing", "cancelled", "completed"]
        assert legs[2]["sip_code"] == 487

    play(tmp_path, test)


def test_random_from_number_calls_from_one_of_the_accounts_numbers(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        phone(w, hangup_after=1)
        _, first = w.application(Reply(body=[talk()]), prefix="/first")
        _, number = w.application(Reply(body=[connect(w, randomFromNumber=True)]))
        await w.call(number)
        assert w.events("/leg")[0]["from"] == first  # the account's lowest, not the one called

    play(tmp_path, test)


def test_advanced_machine_detection_acts_on_its_behaviour(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        phone(w, behaviour="machine")
        detect = {"behavior": "hangup", "mode": "detect", "beep_timeout": 60}
        await w.call(w.application(Reply(body=[connect(w, advancedMachineDetection=detect)]))[1])
        statuses = [e["status"] for e in w.events("/leg")]
        assert statuses == ["started", "ringing", "answered", "machine", "completed"]

    play(tmp_path, test)
