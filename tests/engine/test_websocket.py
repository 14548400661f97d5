"""WebSocket endpoints (wire-contract-wave2 §1) against a real WebSocket server on 127.0.0.1:
the connected message, audio frames paced in real time both ways, clear, notify and DTMF, the
closing from either side, and endpoints that cannot be reached."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import jwt
import pytest

from ringway.domain.applications import Application
from ringway.domain.calls import Status
from ringway.domain.simulation import Person
from ringway.domain.timeline import summary
from ringway.domain.voice import CallRequest, CallUpdate
from ringway.engine.audio import frame_bytes
from tests.agents import Accepted, Agent, agent, close
from tests.conftest import free_port
from tests.engine.world import World, play, talk
from tests.receivers import Reply

CONTENT = "audio/l16;rate=16000"
FRAME = bytes(range(256)) * 2 + bytes(128)  # 640 bytes: one 20 ms frame at 16 kHz


def connect(
    w: World, url: str, action: dict[str, Any] | None = None, **endpoint: Any
) -> dict[str, Any]:
    return {"action": "connect", "eventUrl": [w.receiver.url + "/leg"],
            "endpoint": [{"type": "websocket", "uri": url, "content-type": CONTENT,
                          **endpoint}], **(action or {})}  # fmt: skip


async def bridged(w: World, server: Agent) -> Accepted:
    """The agent's socket, once its leg is answered and bridged to the caller's."""
    accepted = await server.socket()
    while "answered" not in [e["status"] for e in w.events("/leg")]:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    return accepted


def call_to(
    w: World, app: Application, url: str, ncco: list[dict[str, Any]], **endpoint: Any
) -> CallRequest:
    """``POST /v1/calls`` to a WebSocket, running ``ncco``."""
    return CallRequest.model_validate({
        "to": [{"type": "websocket", "uri": url, **endpoint}],
        "from": {"type": "phone", "number": "447700900001"}, "ncco": ncco,
        "event_url": [w.receiver.url + "/call"]})  # fmt: skip


def entries(w: World, leg: Any, event: str) -> list[dict[str, Any]]:
    return [
        e.data for e in leg.session.entries if e.kind == "websocket" and e.data["event"] == event
    ]


@pytest.mark.parametrize("rate", [8000, 16000, 24000])
def test_the_socket_gets_the_connected_message_then_frames_of_20_ms_in_real_time(
    tmp_path: Path, rate: int
) -> None:
    async def test(w: World) -> None:
        async with agent() as server:
            content = f"audio/l16;rate={rate}"
            headers = {"language": "en-GB", "caller-id": "447700900123", "n": 1}
            _, number = w.application(Reply(body=[
                connect(w, server.url, headers=headers, **{"content-type": content})]))  # fmt: skip
            started = time.monotonic()
            leg = await w.call(number, Person(hangup_after=0.7))
            lasted = time.monotonic() - started
            accepted = server.accepted[0]
            await accepted.closed.wait()
        assert lasted >= 0.65  # a call with a live socket runs on the real clock
        first = accepted.texts[0][1]
        assert first == {"event": "websocket:connected", "content-type": content, **headers}
        assert accepted.texts[0][0] <= accepted.frames[0][0]
        sizes = {len(frame) for _, frame in accepted.frames}
        assert sizes == {frame_bytes(rate)} == {rate // 50 * 2}
        span = accepted.frames[-1][0] - accepted.frames[0][0]
        assert span > 0.4 and 35 < (len(accepted.frames) - 1) / span < 65  # 50 a second
        assert not any(any(frame) for _, frame in accepted.frames)  # a caller who says nothing
        assert accepted.close_code == 1000  # the call ended: ringway closes normally
        legs = w.events("/leg")
        assert [e["status"] for e in legs] == ["started", "ringing", "answered", "completed"]
        assert all(e["headers"] == headers and e["to"] == server.url for e in legs)
        assert legs[-1]["disconnected_by"] == "platform"
        socket_leg = w.platform.calls.engine.legs.get(legs[0]["uuid"])  # type: ignore[union-attr]
        assert socket_leg is not None
        (closed,) = entries(w, socket_leg, "closed")
        assert closed["code"] == 1000 and closed["by"] == "ringway"
        said = summary({"kind": "websocket", **closed})
        assert said.startswith("websocket closed 1000 by ringway: ") and " frames out, " in said
        assert abs(closed["frames_out"] - len(accepted.frames)) <= 1
        assert entries(w, socket_leg, "connected")[0]["content_type"] == content
        assert leg.leg.status is not None

    play(tmp_path, test)


def test_audio_sent_back_is_queued_and_counted_and_notify_and_clear_are_answered(
    tmp_path: Path,
) -> None:
    script = [FRAME] * 10 + [b"\1" * 100, {"action": "notify", "payload": {"mark": 1}}, 0.4]
    script += [FRAME] * 50 + [{"action": "clear"}, {"action": "dance"}]

    async def test(w: World) -> None:
        async with agent(*script) as server:
            _, number = w.application(Reply(body=[connect(w, server.url)]))
            await w.call(number, Person(hangup_after=0.8))
            accepted = server.accepted[0]
        connected_at = accepted.texts[0][0]
        (notified,) = [(at, m) for at, m in accepted.texts if m["event"] == "websocket:notify"]
        assert notified[1] == {"event": "websocket:notify", "payload": {"mark": 1}}
        assert notified[0] - connected_at >= 0.15  # once the 10 frames before it had played
        assert accepted.events("websocket:cleared") == [{"event": "websocket:cleared"}]
        socket_leg = w.platform.calls.engine.legs[w.events("/leg")[0]["uuid"]]  # type: ignore[union-attr]
        (closed,) = entries(w, socket_leg, "closed")
        assert (closed["frames_in"], closed["refused"], closed["dropped"]) == (60, 1, 0)
        assert 10 <= closed["played"] < 60  # the clear dropped what had not played
        assert entries(w, socket_leg, "refused") == [
            {"event": "refused", "bytes": 100, "expected": 640}]  # fmt: skip
        actions = [e["action"] for e in entries(w, socket_leg, "command")]
        assert actions == ["notify", "clear", "dance"]

    play(tmp_path, test)


def test_frames_echoed_back_are_all_accepted(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        async with agent(echo=True) as server:
            _, number = w.application(Reply(body=[connect(w, server.url)]))
            await w.call(number, Person(hangup_after=0.5))
            accepted = server.accepted[0]
        socket_leg = w.platform.calls.engine.legs[w.events("/leg")[0]["uuid"]]  # type: ignore[union-attr]
        (closed,) = entries(w, socket_leg, "closed")
        assert closed["frames_in"] >= len(accepted.frames) - 2 > 15
        assert closed["refused"] == 0

    play(tmp_path, test)


def test_keys_pressed_on_the_call_reach_the_socket_as_events_and_tones(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        async with agent() as server:
            _, number = w.application(Reply(body=[connect(w, server.url)]))
            leg = await w.start(number)
            accepted = await bridged(w, server)
            await w.platform.calls.caller(w.account_id, leg.uuid, "dtmf", "5#")
            await asyncio.sleep(0.6)  # the two keys' tones
            await w.platform.calls.caller(w.account_id, leg.uuid, "hangup")
            await leg.session.done.wait()
        assert accepted.events("websocket:dtmf") == [
            {"event": "websocket:dtmf", "digit": "5", "duration": 260},
            {"event": "websocket:dtmf", "digit": "#", "duration": 260},
        ]
        heard = [frame for _, frame in accepted.frames if any(frame)]
        assert len(heard) >= 13  # each key sounds 260 ms: 13 frames
        assert accepted.close_code == 1000

    play(tmp_path, test)


def test_the_server_closing_the_socket_posts_disconnected_whose_ncco_runs(
    tmp_path: Path,
) -> None:
    async def test(w: World) -> None:
        async with agent(0.2, close(4001)) as server:
            w.receiver.answer("/leg", Reply(body=[talk("After the agent")]))
            _, number = w.application(Reply(body=[connect(w, server.url, headers={"k": "v"}),
                                                  talk("Never")]))  # fmt: skip
            leg = await w.call(number)
        legs = w.events("/leg")
        statuses = [e["status"] for e in legs]
        assert statuses == ["started", "ringing", "answered", "disconnected", "completed"]
        assert legs[3]["headers"] == {"k": "v"} and legs[3]["uuid"] == legs[0]["uuid"]
        assert legs[-1]["disconnected_by"] == "user"
        said = [e.data["action"].get("text") for e in leg.session.entries if e.kind == "action"]
        assert said == [None, "After the agent"]
        socket_leg = w.platform.calls.engine.legs[legs[0]["uuid"]]  # type: ignore[union-attr]
        (closed,) = entries(w, socket_leg, "closed")
        assert (closed["code"], closed["by"]) == (4001, "server")

    play(tmp_path, test)


def test_a_hang_up_from_the_voice_api_closes_the_socket_without_disconnected(
    tmp_path: Path,
) -> None:
    async def test(w: World) -> None:
        async with agent() as server:
            _, number = w.application(Reply(body=[connect(w, server.url)]))
            leg = await w.start(number)
            accepted = await bridged(w, server)
            socket_uuid = w.events("/leg")[0]["uuid"]
            await w.platform.calls.dtmf(w.account_id, leg.uuid, "1")  # to the far end: the socket
            hangup = CallUpdate.model_validate({"action": "hangup"})
            await w.platform.calls.update(w.account_id, socket_uuid, hangup)
            await accepted.closed.wait()
            await w.platform.calls.caller(w.account_id, leg.uuid, "hangup")
            await leg.session.done.wait()
        assert accepted.close_code == 1000
        assert "disconnected" not in [e["status"] for e in w.events("/leg")]
        assert [m["digit"] for m in accepted.events("websocket:dtmf")] == ["1"]

    play(tmp_path, test)


def test_the_custom_authorization_is_sent_on_the_upgrade_and_vonage_signs_a_jwt(
    tmp_path: Path,
) -> None:
    async def test(w: World) -> None:
        async with agent(0.1, close(1000)) as server:
            custom = {"type": "custom", "value": "Token abc-123"}
            ncco = [connect(w, server.url, authorization=custom),
                    connect(w, server.url, authorization={"type": "vonage"})]  # fmt: skip
            app, number = w.application(Reply(body=ncco))
            await w.call(number)
        first, second = server.accepted
        assert first.headers["Authorization"] == "Token abc-123"
        token = second.headers["Authorization"].removeprefix("Bearer ")
        claims = jwt.decode(token, w.account.signature_secret, algorithms=["HS256"])
        assert claims["application_id"] == app.id and claims["api_key"] == w.account.api_key

    play(tmp_path, test)


@pytest.mark.parametrize("refuse", [None, 403])
def test_an_endpoint_that_cannot_be_reached_or_refuses_the_upgrade(
    tmp_path: Path, refuse: int | None
) -> None:
    async def test(w: World) -> None:
        async with agent(refuse=refuse) as server:
            url = server.url if refuse else f"ws://127.0.0.1:{free_port()}/socket"
            w.receiver.answer("/leg", Reply(body=[talk("Sorry")]))
            ncco = [connect(w, url, {"eventType": "synchronous"})]
            _, number = w.application(Reply(body=ncco))
            leg = await w.call(number)
        ending = "unanswered" if refuse else "failed"
        assert [e["status"] for e in w.events("/leg")] == ["started", "ringing", ending,
                                                             "completed"]  # fmt: skip
        said = [e.data["action"].get("text") for e in leg.session.entries if e.kind == "action"]
        assert said == [None, "Sorry"]  # the synchronous event's NCCO
        socket_leg = w.platform.calls.engine.legs[w.events("/leg")[0]["uuid"]]  # type: ignore[union-attr]
        (failed,) = entries(w, socket_leg, "failed")
        assert failed["outcome"] == ("http-403" if refuse else "refused")

    play(tmp_path, test)


def test_a_call_placed_to_a_websocket_runs_its_ncco_and_the_socket_hears_it(
    tmp_path: Path,
) -> None:
    async def test(w: World) -> None:
        async with agent() as server:
            app, _ = w.application()
            request = call_to(w, app, server.url, [{"action": "wait", "timeout": 0.5}],
                              contentType="audio/l16;rate=8000")  # fmt: skip
            leg = await w.platform.calls.call_out(app, request)
            await leg.session.done.wait()
            accepted = server.accepted[0]
            await accepted.closed.wait()
        assert accepted.texts[0][1] == {"event": "websocket:connected",
                                        "content-type": "audio/l16;rate=8000"}  # fmt: skip
        assert {len(frame) for _, frame in accepted.frames} == {320}
        assert 15 < len(accepted.frames) < 40  # the half-second wait, in real time
        statuses = [e["status"] for e in w.events("/call")]
        assert statuses == ["started", "ringing", "answered", "completed"]
        assert accepted.close_code == 1000

    play(tmp_path, test)


def test_a_denied_network_is_not_reached(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        async with agent() as server:
            app, _ = w.application()
            leg = await w.platform.calls.call_out(app, call_to(w, app, server.url, [talk()]))
            await leg.session.done.wait()
        assert server.accepted == []
        outcomes = [e.data.get("outcome") for e in leg.session.entries if e.kind == "websocket"]
        assert outcomes == ["blocked"]
        assert leg.leg.status is Status.COMPLETED and leg.ending == ("failed", "cannot_route")

    play(tmp_path, test, webhook_deny="127.0.0.0/8")
