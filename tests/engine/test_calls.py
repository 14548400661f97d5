"""Simulated inbound calls against real local receivers (wire-contract §5): the answer request,
the event sequence and payloads, the fallback chain, the error event, the virtual clock."""

from __future__ import annotations

import asyncio
import gc
import re
import weakref
from datetime import datetime
from pathlib import Path

import orjson
import pytest

from ringway.domain.simulation import Person
from ringway.engine import voice
from ringway.engine.clock import Clock
from ringway.engine.session import Session
from tests.engine.world import World, at, play, talk
from tests.receivers import Reply

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_answer_url_with_get_gets_every_field_in_the_query(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        _, number = w.application(Reply(body=[talk()]))
        leg = await w.call(number, custom_data={"crm": 7})
        (answer,) = w.receiver.on("/answer")
        assert answer.method == "GET" and answer.body == b""
        assert answer.query["to"] == number
        assert answer.query["from"] == "447700900001"
        assert answer.query["uuid"] == leg.uuid
        assert answer.query["conversation_uuid"].startswith("CON-")
        assert answer.query["endpoint_type"] == "phone"
        assert answer.query["region_url"].startswith("http://127.0.0.1")
        assert orjson.loads(answer.query["custom_data"]) == {"crm": 7}

    play(tmp_path, test)


def test_answer_url_with_post_sends_json(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        _, number = w.application(Reply(body=[talk()]), method="POST")
        leg = await w.call(number)
        (answer,) = w.receiver.on("/answer")
        assert answer.method == "POST"
        body = orjson.loads(answer.body)
        assert body["uuid"] == leg.uuid and body["to"] == number

    play(tmp_path, test)


def test_an_answered_call_posts_started_ringing_answered_completed(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        _, number = w.application(Reply(body=[talk("Welcome to the simulated line")]))
        leg = await w.call(number)
        events = w.events()
        assert [e["status"] for e in events] == ["started", "ringing", "answered", "completed"]
        for event in events:
            assert event["uuid"] == leg.uuid and event["direction"] == "inbound"
            assert event["from"] == "447700900001" and event["to"] == number
            assert event["conversation_uuid"] == leg.leg.conversation_uuid
            assert TIMESTAMP.match(event["timestamp"])
        answered, completed = events[2], events[3]
        assert answered["network"] and answered["rate"] == "0.00450000"
        assert completed["disconnected_by"] == "platform" and completed["sip_code"] == 200
        assert completed["start_time"] == answered["start_time"]
        assert completed["duration"] == "2" and completed["price"] == "0.00450000"
        # The request for the NCCO comes between ringing and answered.
        order = [r.path for r in w.receiver.received]
        assert order == ["/event", "/event", "/answer", "/event", "/event"]

    play(tmp_path, test)


def test_a_two_minute_call_plays_out_on_the_virtual_clock(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        ncco = [talk(), {"action": "conversation", "name": "hold"}]
        _, number = w.application(Reply(body=ncco))
        started = datetime.now().timestamp()
        await w.call(number, Person(hangup_after=121))  # the caller's own, scripted, hang-up
        assert datetime.now().timestamp() - started < 5
        answered, completed = w.events()[2:]
        seconds = (at(completed["end_time"]) - at(answered["timestamp"])).total_seconds()
        assert 120.5 <= seconds < 121.5
        assert completed["duration"] == "121" and completed["price"] == "0.01350000"  # 3 minutes

    play(tmp_path, test)


@pytest.mark.parametrize("rings_another_number", [False, True])
def test_a_finished_call_is_freed_without_the_cycle_collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rings_another_number: bool
) -> None:
    """Once the engine forgets a finished call, reference counting alone frees it, and the
    call it made to another ringway number: a busy server must not keep every call it ran
    until the collector's rare scan of old objects."""
    monkeypatch.setattr(voice, "KEEP_FINISHED", 0.0)

    async def test(w: World) -> None:
        ncco = [talk()]
        if rings_another_number:
            _, callee = w.application(Reply(body=[talk("second")]), prefix="/second")
            ncco = [{"action": "connect", "endpoint": [{"type": "phone", "number": callee}]}]
        _, number = w.application(Reply(body=ncco))
        engine = w.platform.calls.engine
        assert engine is not None
        made: list[weakref.ref[Session]] = []
        session = engine.session

        def watched(account_id: str, clock: Clock) -> Session:
            made.append(weakref.ref(started := session(account_id, clock)))
            return started

        monkeypatch.setattr(engine, "session", watched)
        gc.collect()
        gc.disable()
        try:
            await w.call(number)
            for _ in range(100):
                if not engine.sessions:
                    break
                await asyncio.sleep(0.01)
            await engine.journal.flush()  # it holds the legs until stored
            assert not engine.sessions and not engine.legs
            assert len(made) == 1 + rings_another_number
            assert [ref() for ref in made] == [None] * len(made)
        finally:
            gc.enable()

    play(tmp_path, test)


def test_calls_beyond_call_setups_wait_their_turn_to_ring(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        _, number = w.application(Reply(body=[talk()], delay=0.3))
        first, second = await w.start(number), await w.start(number)
        await first.session.done.wait()
        await second.session.done.wait()
        uuids = [r.query["uuid"] if r.method == "GET" else orjson.loads(r.body)["uuid"]
                 for r in w.receiver.received]  # fmt: skip
        # The second call starts ringing only once the first has its NCCO.
        assert uuids[:3] == [first.uuid] * 3
        assert w.statuses().count("completed") == 2

    play(tmp_path, test, call_setups=1)


def test_one_accounts_slow_answer_urls_hold_up_no_other_accounts_calls(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        _, slow = w.application(Reply(body=[talk()], delay=1.5), prefix="/slow")
        held = [await w.start(slow) for _ in range(4)]  # twice its call_setups
        other = w.tenant()
        _, quick = other.application(Reply(body=[talk()]), prefix="/quick")
        await asyncio.wait_for(other.call(quick), 1.0)  # it waited 1.5-3 s before
        assert other.statuses("/quick/event")[-1] == "completed"
        assert all(not h.session.done.is_set() for h in held)
        await asyncio.gather(*(h.session.done.wait() for h in held))

    play(tmp_path, test, call_setups=2)


def test_the_caller_hangs_up_when_the_script_says(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        _, number = w.application(Reply(body=[{"action": "wait", "timeout": 600}]))
        await w.call(number, Person(hangup_after=30))
        completed = w.events()[-1]
        assert completed["disconnected_by"] == "user" and completed["duration"] == "30"

    play(tmp_path, test)


def test_the_fallback_gets_reason_and_original_request_when_answer_fails(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        _, number = w.application(Reply(500), fallback=[Reply(body=[talk()])])
        await w.call(number)
        assert len(w.receiver.on("/answer")) == 1  # a 500 is not retried
        (fallback,) = w.receiver.on("/fallback")
        assert fallback.query["reason"] == "HTTP 500"
        original = orjson.loads(fallback.query["original_request"])
        assert original == {"url": w.receiver.url + "/answer", "type": "answer"}
        assert w.statuses() == ["started", "ringing", "answered", "completed"]

    play(tmp_path, test)


def test_answer_503_is_tried_twice_then_the_fallback_twice_then_an_error_event(
    tmp_path: Path,
) -> None:
    async def test(w: World) -> None:
        _, number = w.application(Reply(503), fallback=[Reply(503)])
        await w.call(number)
        assert len(w.receiver.on("/answer")) == 2
        assert len(w.receiver.on("/fallback")) == 2
        events = w.events()
        error = next(e for e in events if "reason" in e)
        assert error["reason"] == "HTTP 503" and set(error) == {
            "reason", "conversation_uuid", "timestamp"}  # fmt: skip
        assert [e["status"] for e in events if "status" in e] == [
            "started", "ringing", "failed", "completed"]  # fmt: skip

    play(tmp_path, test)


def test_an_invalid_ncco_is_not_retried_and_goes_to_the_fallback(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        bad = [{"action": "talk"}]
        _, number = w.application(Reply(body=bad), fallback=[Reply(body=[talk()])])
        leg = await w.call(number)
        assert len(w.receiver.on("/answer")) == 1
        (fallback,) = w.receiver.on("/fallback")
        assert fallback.query["reason"].startswith("Invalid NCCO: [0].text")
        outcomes = [e.data["outcome"] for e in leg.session.entries if e.kind == "request"
                    and e.data["purpose"] == "answer"]  # fmt: skip
        assert outcomes == ["invalid-ncco", "ok"]

    play(tmp_path, test)


def test_a_receiver_that_hangs_times_out_twice_and_the_call_fails(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        _, number = w.application(Reply(delay=30, body=[talk()]), socket_timeout=1000)
        leg = await w.call(number)
        attempts = [e.data for e in leg.session.entries
                    if e.kind == "request" and e.data["purpose"] == "answer"]  # fmt: skip
        assert [a["outcome"] for a in attempts] == ["read-timeout", "read-timeout"]
        assert all(900 < a["latency_ms"] < 2000 for a in attempts)
        assert w.statuses()[-2:] == ["failed", "completed"]
        assert next(e for e in w.events() if "reason" in e)["reason"] == "Socket timeout"

    play(tmp_path, test)


def test_denied_networks_are_never_reached(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        _, number = w.application(Reply(body=[talk()]))
        leg = await w.call(number)
        assert w.receiver.received == []
        attempts = [e.data for e in leg.session.entries if e.kind == "request"]
        assert attempts and {a["outcome"] for a in attempts} == {"blocked"}
        assert all(a["attempt"] == 1 for a in attempts)  # not retried

    play(tmp_path, test, webhook_deny="private")
