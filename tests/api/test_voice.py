"""The Voice API (wire §7) and the simulated world under ``/_ringway`` against a live server,
with application JWTs from the official ``vonage_jwt`` package and webhooks reaching a real
receiver run in an event loop of its own: what a user of ``/v1/calls`` relies on."""

from __future__ import annotations

import hashlib
import io
import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar

import httpx
import jwt as pyjwt
import orjson
import pytest
import soundfile
from vonage_jwt import JwtClient
from vonage_jwt.verify_jwt import verify_signature

from ringway.config import Settings
from ringway.services.accounts import Credentials
from tests.agents import agent
from tests.conftest import LiveServer, eventually, free_port, run_server
from tests.receivers import Received, Receiver, Reply, in_thread, wav

T = TypeVar("T")
CALLER = "447700900001"
ERRORS = "https://developer.nexmo.com/api-errors"
_callees = itertools.count(447700800000)


def callee() -> str:
    """A fresh virtual phone number (outside the inventory: no ringway number answers it)."""
    return str(next(_callees))


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def realtime_server(settings: Settings) -> Iterator[LiveServer]:
    """A server whose calls run in real time, so a test can act on a call while it is up."""
    settings.clock_speed = 1
    yield from run_server(settings)


@dataclass
class Voice:
    """An account with a voice application whose webhooks reach ``hooks``."""

    server: LiveServer
    account: Credentials
    rest: httpx.Client  # HTTP Basic, for /v2/applications, numbers and /_ringway
    hooks: Receiver
    app_id: str
    private_key: str
    signed: bool = False

    def token(self) -> str:
        return jwt_of(self.app_id, self.private_key)

    def api(self, method: str, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
        """A Voice API request with a fresh JWT of the application (or ``token``)."""
        headers = {"Authorization": f"Bearer {token or self.token()}", **kw.pop("headers", {})}
        with self.server.client() as client:
            return client.request(method, path, headers=headers, **kw)

    def phone(self, number: str, **behaviour: Any) -> None:
        response = self.rest.put(f"/_ringway/phones/{number}", json=behaviour)
        assert response.status_code == 200, response.text

    def call(self, to: str, ncco: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
        """``POST /v1/calls`` to a virtual phone, events to ``/event`` of the receiver."""
        body = {"to": [{"type": "phone", "number": to}],
                "from": {"type": "phone", "number": CALLER}, "ncco": ncco,
                "event_url": [self.hooks.url + "/event"], **more}  # fmt: skip
        response = self.api("POST", "/v1/calls", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def events(self, path: str = "/event", uuid: str | None = None) -> list[dict[str, Any]]:
        found = [body_of(r) for r in self.hooks.on(path)]
        return [e for e in found if uuid is None or e.get("uuid") == uuid]

    def statuses(self, uuid: str, path: str = "/event") -> list[str]:
        return [e["status"] for e in self.events(path, uuid) if "status" in e]

    def ended(self, uuid: str, path: str = "/event") -> list[str]:
        """The statuses of ``uuid`` once its completed event has arrived."""
        return eventually(
            lambda: (s := self.statuses(uuid, path)) and "completed" in s and s,
            what=f"the completed event of {uuid}",
        )

    def timeline(self, uuid: str) -> dict[str, Any]:
        response = self.rest.get(f"/_ringway/calls/{uuid}/timeline")
        assert response.status_code == 200, response.text
        timeline: dict[str, Any] = response.json()
        return timeline

    def entries(self, uuid: str, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.timeline(uuid)["entries"] if e["kind"] == kind]

    def number(self, app_id: str | None = None) -> str:
        """Buy a number; link it to ``app_id`` when given."""
        found = self.rest.get("/number/search", params={"country": "GB", "pattern": "4477009"})
        msisdn: str = found.json()["numbers"][0]["msisdn"]
        routing = {"country": "GB", "msisdn": msisdn}
        assert self.rest.post("/number/buy", data=routing).status_code == 200
        if app_id is not None:
            linked = self.rest.post("/number/update", data={**routing, "app_id": app_id})
            assert linked.status_code == 200, linked.text
        return msisdn


def jwt_of(app_id: str, private_key: str) -> str:
    token: bytes = JwtClient(app_id, private_key).generate_application_jwt()
    return token.decode()


def body_of(request: Received) -> dict[str, Any]:
    """A webhook's JSON body, or its query when it has none (GET)."""
    if request.body:
        parsed: dict[str, Any] = orjson.loads(request.body)
        return parsed
    return dict(request.query)


def create_app(
    rest: httpx.Client, hooks: Receiver, signed: bool = False, voice: bool = True
) -> tuple[str, str]:
    """A voice application: answer URL ``/answer`` (GET), event URL ``/app-event`` (POST)."""
    webhooks = {
        "answer_url": {"address": f"{hooks.url}/answer", "http_method": "GET"},
        "event_url": {"address": f"{hooks.url}/app-event", "http_method": "POST"},
    }
    capabilities = {"voice": {"webhooks": webhooks, "signed_callbacks": signed}} if voice else {}
    created = rest.post("/v2/applications", json={"name": "voice", "capabilities": capabilities})
    assert created.status_code == 201, created.text
    body = created.json()
    return body["id"], body["keys"]["private_key"]


def open_voice(server: LiveServer, hooks: Receiver, signed: bool = False) -> Iterator[Voice]:
    account = server.account()
    with server.client(account) as rest:
        app_id, key = create_app(rest, hooks, signed)
        yield Voice(server, account, rest, hooks, app_id, key, signed)


# The receiver is set up before the server, so it outlives it: the calls the server hangs up as
# it stops still reach it.
@pytest.fixture
def voice(request: pytest.FixtureRequest, hooks: Receiver, server: LiveServer) -> Iterator[Voice]:
    """Parametrize it indirectly with ``True`` for an application with signed callbacks."""
    yield from open_voice(server, hooks, signed=getattr(request, "param", False))


@pytest.fixture
def live(hooks: Receiver, realtime_server: LiveServer) -> Iterator[Voice]:
    yield from open_voice(realtime_server, hooks)


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    return body


def invalid(response: httpx.Response) -> dict[str, str]:
    """The ``invalid_parameters`` of a 400, by name."""
    body = problem(response, 400)
    assert body["type"] == f"{ERRORS}/application#payload-validation"
    return {p["name"]: p["reason"] for p in body["invalid_parameters"]}


# -- placing calls ----------------------------------------------------------------------------


def test_a_call_to_a_virtual_phone_posts_every_event_and_the_keys_it_gives(voice: Voice) -> None:
    to = callee()
    voice.phone(to, behaviour="answer", dtmf=["42"])
    thanks = [{"action": "talk", "text": "Thank you"}]
    voice.hooks.answer("/input", Reply(body=thanks))
    ncco: list[dict[str, Any]] = [
        {"action": "talk", "text": "Enter your code"},
        {"action": "input", "type": ["dtmf"], "dtmf": {"maxDigits": 2},
         "eventUrl": [voice.hooks.url + "/input"]},
    ]  # fmt: skip
    created = voice.call(to, ncco)
    assert set(created) == {"uuid", "status", "direction", "conversation_uuid"}
    assert created["status"] == "started" and created["direction"] == "outbound"
    assert created["conversation_uuid"].startswith("CON-")
    uuid = created["uuid"]
    assert voice.ended(uuid) == ["started", "ringing", "answered", "completed"]
    for event in voice.events(uuid=uuid):
        assert event["direction"] == "outbound"
        assert (event["to"], event["from"]) == (to, CALLER)
        assert event["conversation_uuid"] == created["conversation_uuid"]
    completed = voice.events(uuid=uuid)[-1]
    assert completed["disconnected_by"] == "platform"
    assert int(completed["duration"]) > 0
    (result,) = voice.events("/input")
    assert result["dtmf"] == {"digits": "42", "timed_out": False}
    assert (result["uuid"], result["conversation_uuid"]) == (uuid, created["conversation_uuid"])
    # The input's answer replaced the rest of the NCCO.
    said = [e["action"].get("text") for e in voice.entries(uuid, "action")]
    assert said == ["Enter your code", None, "Thank you"]
    # The call's event_url overrides the application's.
    assert voice.hooks.on("/app-event") == []


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_answer_url_is_requested_once_the_callee_answers(voice: Voice, method: str) -> None:
    to = callee()
    voice.phone(to, answer_after=2)
    answer = voice.hooks.answer("/my-answer", Reply(body=[{"action": "talk", "text": "Hi"}]))
    body = {"to": [{"type": "phone", "number": to}],
            "from": {"type": "phone", "number": CALLER}, "answer_url": [answer],
            "answer_method": method, "event_url": [voice.hooks.url + "/event"]}  # fmt: skip
    response = voice.api("POST", "/v1/calls", json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    voice.ended(created["uuid"])
    (request,) = voice.hooks.on("/my-answer")
    assert request.method == method
    fields = body_of(request)
    assert {k: fields[k] for k in ("to", "from", "uuid", "conversation_uuid")} == {
        "to": to, "from": CALLER, "uuid": created["uuid"],
        "conversation_uuid": created["conversation_uuid"],
    }  # fmt: skip
    assert fields["endpoint_type"] == "phone"
    answered = next(
        i for i, r in enumerate(voice.hooks.received)
        if r.path == "/event" and body_of(r).get("status") == "answered"
    )  # fmt: skip
    assert answered < voice.hooks.received.index(request)
    talks = [e["action"] for e in voice.entries(created["uuid"], "action")]
    assert talks == [{"action": "talk", "text": "Hi"}]
    # The application's own answer URL is not asked.
    assert voice.hooks.on("/answer") == []


@pytest.mark.parametrize(
    ("behaviour", "statuses", "outcome"),
    [
        ("busy", ["started", "ringing", "busy", "completed"], ("busy", False)),
        ("reject", ["started", "ringing", "rejected"], ("rejected (declined)", False)),
        ("fail", ["started", "failed", "completed"], ("failed: cannot route", True)),
        ("no-answer", ["started", "ringing", "timeout", "completed"],
         ("not answered in time", False)),
    ],
)  # fmt: skip
def test_a_call_that_is_not_answered_ends_as_the_phone_decides(
    voice: Voice, behaviour: str, statuses: list[str], outcome: tuple[str, bool]
) -> None:
    to = callee()
    voice.phone(to, behaviour=behaviour)
    uuid = voice.call(to, [{"action": "talk", "text": "Hi"}], ringing_timer=5)["uuid"]
    eventually(lambda: voice.statuses(uuid) == statuses, what=f"{statuses}")
    stored = eventually(lambda: (c := voice.api("GET", f"/v1/calls/{uuid}").json())
                        and c["status"] == statuses[-1] and c)  # fmt: skip
    assert stored["duration"] == "0" and stored["start_time"] is None
    assert "outcome" not in stored  # the wire keeps the platform's fields
    assert voice.entries(uuid, "action") == []
    time.sleep(0.1)
    assert voice.statuses(uuid) == statuses
    ours = voice.rest.get(f"/_ringway/calls/{uuid}").json()
    assert (ours["outcome"], ours["failed"]) == outcome


def test_a_voice_api_call_whose_answer_url_is_unreachable_has_failed(voice: Voice) -> None:
    to = callee()
    voice.phone(to, answer_after=0)
    body = {"to": [{"type": "phone", "number": to}], "from": {"type": "phone", "number": CALLER},
            "answer_url": [f"http://127.0.0.1:{free_port()}/answer"],
            "event_url": [voice.hooks.url + "/event"]}  # fmt: skip
    response = voice.api("POST", "/v1/calls", json=body)
    assert response.status_code == 201, response.text
    uuid = response.json()["uuid"]
    assert voice.ended(uuid)[-1] == "completed"  # as the platform says it
    assert "outcome" not in voice.api("GET", f"/v1/calls/{uuid}").json()
    timeline = eventually(lambda: (t := voice.timeline(uuid))["outcome"] and t)
    assert timeline["outcome"] == "failed: answer_url unreachable (connection refused)"
    assert timeline["failed"] is True and timeline["status"] == "completed"
    fine = voice.call(callee(), [{"action": "talk", "text": "Hi"}])["uuid"]
    voice.ended(fine)
    listed = eventually(lambda: (c := voice.rest.get("/_ringway/calls").json())["count"] == 2 and c)
    assert {c["uuid"]: c["outcome"] for c in listed["_embedded"]["calls"]}[fine] == "completed"
    failed = voice.rest.get("/_ringway/calls", params={"failed": "1"}).json()
    assert [c["uuid"] for c in failed["_embedded"]["calls"]] == [uuid]
    assert voice.rest.get("/_ringway/calls", params={"failed": "yes"}).status_code == 400


def test_a_call_to_a_websocket_opens_it_with_the_signed_jwt_and_carries_the_ncco(
    voice: Voice,
) -> None:
    with in_thread(agent()) as server:
        socket = {
            "type": "websocket",
            "uri": server.url,
            "contentType": "audio/l16;rate=24000",
            "headers": {"caller": CALLER},
            "authorization": {"type": "vonage"},
        }
        body = {"to": [socket], "from": {"type": "phone", "number": CALLER},
                "ncco": [{"action": "wait", "timeout": 0.4}],
                "event_url": [voice.hooks.url + "/event"]}  # fmt: skip
        response = voice.api("POST", "/v1/calls", json=body)
        assert response.status_code == 201, response.text
        uuid = response.json()["uuid"]
        assert voice.ended(uuid) == ["started", "ringing", "answered", "completed"]
        (accepted,) = eventually(lambda: server.accepted if server.accepted and
                                 server.accepted[0].close_code else None)  # fmt: skip
    assert accepted.texts[0][1] == {
        "event": "websocket:connected",
        "content-type": "audio/l16;rate=24000",
        "caller": CALLER,
    }
    assert {len(frame) for _, frame in accepted.frames} == {960}
    assert 10 < len(accepted.frames) < 40  # the 0.4 s wait, paced in real time
    token = accepted.headers["Authorization"].removeprefix("Bearer ")
    claims = pyjwt.decode(token, voice.account.signature_secret, algorithms=["HS256"])
    assert claims["application_id"] == voice.app_id and claims["iss"] == "Vonage"
    assert all(e["headers"] == {"caller": CALLER} for e in voice.events(uuid=uuid))
    closed = [e for e in voice.entries(uuid, "websocket") if e["event"] == "closed"]
    assert closed[0]["code"] == 1000 and closed[0]["frames_out"] >= 10
    custom = {**socket, "authorization": {"type": "custom"}}
    assert "to.0.websocket.authorization" in invalid(
        voice.api("POST", "/v1/calls", json={**body, "to": [custom]})
    )


@pytest.mark.parametrize("behaviour", ["answer", "machine"])
def test_machine_detection(voice: Voice, behaviour: str) -> None:
    to = callee()
    voice.phone(to, behaviour=behaviour, hangup_after=30)
    ncco: list[dict[str, Any]] = [
        {"action": "talk", "text": "Hi"},
        {"action": "wait", "timeout": 600},
    ]
    uuid = voice.call(to, ncco, machine_detection="hangup")["uuid"]
    statuses = voice.ended(uuid)
    detected = "machine" if behaviour == "machine" else "human"
    assert statuses == ["started", "ringing", "answered", detected, "completed"]
    (event,) = [e for e in voice.events(uuid=uuid) if e["status"] == detected]
    assert event["call_uuid"] == uuid
    completed = voice.events(uuid=uuid)[-1]
    if behaviour == "machine":  # hung up as soon as the machine was detected
        assert completed["duration"] == "0"
    else:  # the NCCO ran to its end
        assert int(completed["duration"]) >= 30


def test_a_call_waiting_on_the_outside_world_stays_up_at_the_default_speed(voice: Voice) -> None:
    """Place a call, then control it: at speed 0 a conversation nobody is scripted to leave
    runs in real time, so the call neither jumps to its length timer nor gets billed for it."""
    to = callee()
    voice.phone(to, answer_after=0)
    ncco = [{"action": "talk", "text": "Hi"}, {"action": "conversation", "name": "lobby"}]
    uuid = voice.call(to, ncco)["uuid"]
    eventually(lambda: "answered" in voice.statuses(uuid), what="the call to be answered")
    time.sleep(0.3)
    assert voice.api("GET", f"/v1/calls/{uuid}").json()["status"] == "answered"
    assert voice.api("PUT", f"/v1/calls/{uuid}", json={"action": "mute"}).status_code == 204
    talk = voice.api("PUT", f"/v1/calls/{uuid}/talk", json={"text": "Still there?"})
    assert talk.status_code == 200, talk.text
    assert voice.api("PUT", f"/v1/calls/{uuid}", json={"action": "hangup"}).status_code == 204
    assert voice.ended(uuid)[-1] == "completed"
    completed = voice.events(uuid=uuid)[-1]
    assert int(completed["duration"]) < 30  # not the 7,200 s length timer


def test_events_by_get_and_the_length_timer(voice: Voice) -> None:
    to = callee()
    voice.phone(to, answer_after=1)
    ncco = [{"action": "wait", "timeout": 600}]
    uuid = voice.call(to, ncco, event_method="GET", length_timer=2)["uuid"]
    assert voice.ended(uuid) == ["started", "ringing", "answered", "completed"]
    requests = voice.hooks.on("/event")
    assert {r.method for r in requests} == {"GET"} and {r.body for r in requests} == {b""}
    completed = requests[-1].query
    assert completed["uuid"] == uuid and completed["to"] == to
    assert completed["duration"] == "2"  # cut off by length_timer, not by the 600 s wait
    assert completed["disconnected_by"] == "platform"


def test_a_call_hung_up_while_ringing_is_cancelled(live: Voice) -> None:
    to = callee()
    live.phone(to, answer_after=30)
    uuid = live.call(to, [{"action": "talk", "text": "Hi"}])["uuid"]
    eventually(lambda: "ringing" in live.statuses(uuid), what="the phone to ring")
    hangup = live.api("PUT", f"/v1/calls/{uuid}", json={"action": "hangup"})
    assert hangup.status_code == 204, hangup.text
    assert live.ended(uuid) == ["started", "ringing", "cancelled", "completed"]
    completed = live.events(uuid=uuid)[-1]
    assert completed["duration"] == "0" and completed["price"] == "0.00000000"
    assert live.entries(uuid, "action") == []


def test_random_from_number_calls_from_a_number_of_the_account(voice: Voice) -> None:
    to = callee()
    body = {"to": [{"type": "phone", "number": to}], "random_from_number": True,
            "ncco": [{"action": "talk", "text": "Hi"}]}  # fmt: skip
    assert "random_from_number" in invalid(voice.api("POST", "/v1/calls", json=body))
    owned = voice.number()
    created = voice.api("POST", "/v1/calls", json=body)
    assert created.status_code == 201, created.text
    uuid = created.json()["uuid"]
    voice.ended(uuid, "/app-event")  # no event_url: the application's
    assert voice.api("GET", f"/v1/calls/{uuid}").json()["from"] == {
        "type": "phone", "number": owned}  # fmt: skip
    assert {e["from"] for e in voice.events("/app-event", uuid)} == {owned}


def test_invalid_requests_name_the_field_and_create_no_call(voice: Voice) -> None:
    to = [{"type": "phone", "number": callee()}]
    from_ = {"type": "phone", "number": CALLER}
    ncco = [{"action": "talk", "text": "Hi"}]
    answer = [voice.hooks.url + "/answer"]
    missing_to = invalid(voice.api("POST", "/v1/calls", json={"from": from_, "ncco": ncco}))
    assert list(missing_to) == ["to"]
    both = invalid(voice.api("POST", "/v1/calls", json={
        "to": to, "from": from_, "ncco": ncco, "answer_url": answer}))  # fmt: skip
    assert len(both) == 1
    assert "answer_url" in str(both) and "ncco" in str(both)
    neither = invalid(voice.api("POST", "/v1/calls", json={"to": to, "ncco": ncco}))
    assert len(neither) == 1
    assert "from" in str(neither) and "random_from_number" in str(neither)
    no_text = invalid(voice.api("POST", "/v1/calls", json={
        "to": to, "from": from_, "ncco": [{"action": "talk"}]}))  # fmt: skip
    assert list(no_text) == ["ncco[0].text"]
    unknown = invalid(voice.api("POST", "/v1/calls", json={
        "to": to, "from": from_, "ncco": [ncco[0], {"action": "dance"}]}))  # fmt: skip
    assert list(unknown) == ["ncco[1].action"]
    bad_timer = invalid(voice.api("POST", "/v1/calls", json={
        "to": to, "from": from_, "ncco": ncco, "ringing_timer": 121}))  # fmt: skip
    assert list(bad_timer) == ["ringing_timer"]
    not_json = voice.api("POST", "/v1/calls", content=b"{",
                         headers={"Content-Type": "application/json"})  # fmt: skip
    assert not_json.status_code == 400
    assert voice.hooks.received == []
    listed = voice.api("GET", "/v1/calls").json()
    assert listed["count"] == 0 and listed["_embedded"]["calls"] == []
    engine = voice.server.platform.calls.engine
    assert engine is not None and engine.legs == {}


def test_an_empty_ncco_is_reported_on_the_ncco_field(voice: Voice) -> None:
    body = {"to": [{"type": "phone", "number": callee()}],
            "from": {"type": "phone", "number": CALLER}, "ncco": []}  # fmt: skip
    assert invalid(voice.api("POST", "/v1/calls", json=body)) == {
        "ncco": "an NCCO is a non-empty JSON array of actions"
    }


def test_the_voice_api_needs_an_application_jwt(voice: Voice) -> None:
    with voice.server.client(voice.account) as basic:  # Basic credentials are not enough
        unauthorized = problem(basic.get("/v1/calls"), 401)
    assert unauthorized["type"] == f"{ERRORS}#unauthorized"
    with voice.server.client() as anonymous:
        body = {"to": [{"type": "phone", "number": callee()}],
                "from": {"type": "phone", "number": CALLER},
                "ncco": [{"action": "talk", "text": "Hi"}]}  # fmt: skip
        problem(anonymous.post("/v1/calls", json=body), 401)
        problem(anonymous.put("/v1/calls/x", json={"action": "hangup"}), 401)


# -- reading calls ----------------------------------------------------------------------------


def test_list_and_get_calls(voice: Voice) -> None:
    to = callee()
    voice.phone(to, answer_after=1, hangup_after=4)
    ncco: list[dict[str, Any]] = [
        {"action": "talk", "text": "Hello"},
        {"action": "wait", "timeout": 60},
    ]
    before = datetime.now(UTC) - timedelta(seconds=1)
    first, second = voice.call(to, ncco), voice.call(to, ncco)
    for created in (first, second):
        assert voice.ended(created["uuid"])[-1] == "completed"

    def listing(**params: Any) -> dict[str, Any]:
        response = voice.api("GET", "/v1/calls", params=params)
        assert response.status_code == 200, response.text
        page: dict[str, Any] = response.json()
        return page

    everything = eventually(
        lambda: (p := listing(status="completed")) and p["count"] == 2 and p,
        what="both calls stored as completed",
    )
    assert {c["uuid"] for c in everything["_embedded"]["calls"]} == {
        first["uuid"], second["uuid"]}  # fmt: skip
    assert everything["page_size"] == 10 and everything["record_index"] == 0
    # Absolute, at the public URL, as the platform writes them (the Node SDK needs it).
    assert everything["_links"]["self"]["href"] == (
        f"{voice.server.url}/v1/calls?page_size=10&record_index=0&status=completed")  # fmt: skip
    assert listing(status="ringing")["count"] == 0
    one = listing(conversation_uuid=second["conversation_uuid"])
    assert one["count"] == 1
    assert [c["uuid"] for c in one["_embedded"]["calls"]] == [second["uuid"]]
    newest_first = [c["uuid"] for c in listing()["_embedded"]["calls"]]
    assert newest_first == [second["uuid"], first["uuid"]]
    paged = listing(page_size=1, record_index=1, order="asc")
    assert paged["count"] == 2 and paged["page_size"] == 1 and paged["record_index"] == 1
    assert [c["uuid"] for c in paged["_embedded"]["calls"]] == [second["uuid"]]
    # The links page through the same list: its order and filters are kept.
    first_page = listing(page_size=1, order="asc")
    assert [c["uuid"] for c in first_page["_embedded"]["calls"]] == [first["uuid"]]
    assert "prev" not in first_page["_links"]
    # ``next`` names the page's last call too (``after``), so that following it seeks in the
    # index however deep the page; it shows what ``record_index`` alone shows.
    assert first_page["_links"]["next"]["href"] == (
        f"{voice.server.url}/v1/calls?page_size=1&record_index=1&order=asc"
        f"&after={first['uuid']}")  # fmt: skip
    following = voice.api("GET", first_page["_links"]["next"]["href"]).json()
    assert {k: v for k, v in following.items() if k != "_links"} == {
        k: v for k, v in paged.items() if k != "_links"}  # fmt: skip
    assert following["_links"]["prev"]["href"] == (
        f"{voice.server.url}/v1/calls?page_size=1&record_index=0&order=asc")  # fmt: skip
    assert "next" not in following["_links"]
    assert problem(voice.api("GET", "/v1/calls", params={"page_size": 101}), 400)
    sideways = problem(voice.api("GET", "/v1/calls", params={"order": "sideways"}), 400)
    assert sideways["invalid_parameters"] == [
        {"name": "order", "reason": "must be one of asc, desc"}]  # fmt: skip
    after = datetime.now(UTC) + timedelta(seconds=1)
    zulu = "%Y-%m-%dT%H:%M:%SZ"
    assert listing(date_start=before.strftime(zulu))["count"] == 2
    assert listing(date_end=before.strftime(zulu))["count"] == 0
    assert listing(date_start=after.strftime(zulu))["count"] == 0
    assert listing(date_end=after.strftime(zulu))["count"] == 2
    problem(voice.api("GET", "/v1/calls", params={"date_start": "yesterday"}), 400)
    no_call = problem(voice.api("GET", "/v1/calls", params={"after": "yesterday"}), 400)
    assert no_call["invalid_parameters"] == [
        {"name": "after", "reason": "must be the uuid of a call"}]  # fmt: skip

    call = voice.api("GET", f"/v1/calls/{first['uuid']}")
    assert call.status_code == 200, call.text
    got = call.json()
    assert {k: got[k] for k in ("uuid", "conversation_uuid", "status", "direction")} == {
        "uuid": first["uuid"], "conversation_uuid": first["conversation_uuid"],
        "status": "completed", "direction": "outbound",
    }  # fmt: skip
    assert got["to"] == {"type": "phone", "number": to}
    assert got["from"] == {"type": "phone", "number": CALLER}
    assert got["rate"] == "0.00450000"
    assert got["duration"] == "4"  # the callee hangs up 4 s after answering
    assert got["price"] == "0.00450000"  # one started minute
    assert got["start_time"] and got["end_time"] and got["network"]
    assert got["_links"] == {"self": {"href": f"/v1/calls/{first['uuid']}"}}
    completed = voice.events(uuid=first["uuid"])[-1]
    assert (completed["duration"], completed["price"], completed["rate"]) == (
        got["duration"], got["price"], got["rate"])  # fmt: skip
    assert completed["disconnected_by"] == "user"

    # Another account's application sees none of it.
    with voice.server.client(voice.server.account()) as rest:
        other = jwt_of(*create_app(rest, voice.hooks))
    missing = problem(voice.api("GET", f"/v1/calls/{first['uuid']}", token=other), 404)
    assert missing["type"] == f"{ERRORS}#not-found"
    assert voice.api("GET", "/v1/calls", token=other).json()["count"] == 0
    problem(voice.api("GET", "/v1/calls/00000000-0000-0000-0000-000000000000"), 404)


def test_date_filters_mean_the_same_moment_whatever_the_utc_offset(voice: Voice) -> None:
    to = callee()
    voice.phone(to, answer_after=0)
    before = datetime.now(UTC) - timedelta(seconds=1)
    uuid = voice.call(to, [{"action": "talk", "text": "Hi"}])["uuid"]
    voice.ended(uuid)
    after = datetime.now(UTC) + timedelta(seconds=1)

    def count(**params: str) -> int:
        response = voice.api("GET", "/v1/calls", params=params)
        assert response.status_code == 200, response.text
        total: int = response.json()["count"]
        return total

    eventually(lambda: count(status="completed") == 1, what="the call to be stored")
    assert count(date_start=before.isoformat(), date_end=after.isoformat()) == 1
    paris, new_york = timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))
    assert count(date_start=before.astimezone(paris).isoformat()) == 1
    assert count(date_end=after.astimezone(paris).isoformat()) == 1
    assert count(date_start=after.astimezone(new_york).isoformat()) == 0
    assert count(date_end=before.astimezone(new_york).isoformat()) == 0


# -- live control -----------------------------------------------------------------------------


def test_talk_and_stream_take_levels_written_as_strings(live: Voice) -> None:
    """The Node SDK sends `level` (and the like) as strings; the platform takes both spellings."""
    to = callee()
    live.phone(to, answer_after=0)
    audio = live.hooks.answer("/audio.wav", Reply(body=wav(1.0)))
    uuid = live.call(to, [{"action": "wait", "timeout": 600}])["uuid"]
    eventually(lambda: "answered" in live.statuses(uuid), what="the call to be answered")

    talk = live.api("PUT", f"/v1/calls/{uuid}/talk", json={
        "text": "Please hold", "level": "0.4", "loop": "0", "voice_name": "Amy"})  # fmt: skip
    assert talk.status_code == 200, talk.text
    stream = live.api("PUT", f"/v1/calls/{uuid}/stream",
                      json={"stream_url": [audio], "level": "-0.5", "loop": "2"})  # fmt: skip
    assert stream.status_code == 200, stream.text
    for body in ({"text": "Hi", "level": "2"}, {"text": "Hi", "level": "loud"},
                 {"text": "Hi", "level": "NaN"}):  # fmt: skip
        assert list(invalid(live.api("PUT", f"/v1/calls/{uuid}/talk", json=body))) == ["level"]
    assert live.api("PUT", f"/v1/calls/{uuid}", json={"action": "hangup"}).status_code == 204


def test_real_time_dtmf_posts_each_key_to_the_subscribed_url(live: Voice) -> None:
    to = callee()
    live.phone(to, answer_after=0)
    uuid = live.call(to, [{"action": "wait", "timeout": 600}])["uuid"]
    eventually(lambda: "answered" in live.statuses(uuid), what="the call to be answered")
    keys = live.hooks.url + "/keys"
    subscribe = live.api("PUT", f"/v1/calls/{uuid}/input/dtmf", json={"event_url": [keys]})
    assert subscribe.status_code == 204, subscribe.text
    assert live.rest.post(f"/_ringway/calls/{uuid}/dtmf", json={"digits": "12#"}).is_success
    pressed = eventually(lambda: len(got := live.events("/keys")) == 3 and got, what="3 keys")
    assert [p["dtmf"] for p in pressed] == [
        {"digits": key, "timed_out": False} for key in ("1", "2", "#")]  # fmt: skip
    assert {(p["uuid"], p["to"]) for p in pressed} == {(uuid, to)}

    assert live.api("DELETE", f"/v1/calls/{uuid}/input/dtmf").status_code == 204
    assert live.rest.post(f"/_ringway/calls/{uuid}/dtmf", json={"digits": "9"}).is_success
    time.sleep(0.3)
    assert len(live.events("/keys")) == 3
    # what clients send: a bare string, camelCase; and what is refused
    for body in ({"event_url": keys}, {"eventUrl": [keys]}):
        assert live.api("PUT", f"/v1/calls/{uuid}/input/dtmf", json=body).status_code == 204
    assert list(invalid(live.api("PUT", f"/v1/calls/{uuid}/input/dtmf", json={}))) == [
        "event_url"]  # fmt: skip
    assert live.api("PUT", f"/v1/calls/{uuid}", json={"action": "hangup"}).status_code == 204
    live.ended(uuid)
    problem(live.api("DELETE", f"/v1/calls/{uuid}/input/dtmf"), 404)


def test_live_control_of_a_running_call(live: Voice) -> None:
    to = callee()
    live.phone(to, answer_after=0)  # answers at once and never hangs up
    audio = live.hooks.answer("/audio.wav", Reply(body=wav(1.0)))
    created = live.call(to, [{"action": "wait", "timeout": 600}])
    uuid = created["uuid"]
    eventually(lambda: "answered" in live.statuses(uuid), what="the call to be answered")
    running = live.api("GET", f"/v1/calls/{uuid}").json()
    assert running["status"] == "answered" and running["end_time"] is None

    for action in ("mute", "unmute", "earmuff", "unearmuff"):
        response = live.api("PUT", f"/v1/calls/{uuid}", json={"action": action})
        assert response.status_code == 204, response.text
        assert response.content == b""
    controls = [e["action"] for e in live.entries(uuid, "control")]
    assert controls == ["mute", "unmute", "earmuff", "unearmuff"]

    talk = live.api("PUT", f"/v1/calls/{uuid}/talk", json={"text": "Please hold", "loop": 0})
    assert talk.status_code == 200, talk.text
    assert talk.json() == {"message": "Talk started", "uuid": uuid}
    stopped = live.api("DELETE", f"/v1/calls/{uuid}/talk")
    assert stopped.status_code == 200
    assert stopped.json() == {"message": "Talk stopped", "uuid": uuid}
    talks = [(e["event"], e.get("text")) for e in live.entries(uuid, "talk")]
    assert talks == [("started", "Please hold"), ("stopped", None)]

    stream = live.api("PUT", f"/v1/calls/{uuid}/stream",
                      json={"stream_url": [audio], "loop": 0})  # fmt: skip
    assert stream.status_code == 200, stream.text
    assert stream.json() == {"message": "Stream started", "uuid": uuid}
    assert live.hooks.on("/audio.wav")[0].method == "GET"
    stream_stopped = live.api("DELETE", f"/v1/calls/{uuid}/stream")
    assert stream_stopped.json() == {"message": "Stream stopped", "uuid": uuid}
    streams = [(e["event"], e.get("stream_url")) for e in live.entries(uuid, "stream")]
    assert streams == [("started", audio), ("stopped", None)]

    dtmf = live.api("PUT", f"/v1/calls/{uuid}/dtmf", json={"digits": "12#"})
    assert dtmf.status_code == 200, dtmf.text
    assert dtmf.json() == {"message": "DTMF sent", "uuid": uuid}
    assert [e["digits"] for e in live.entries(uuid, "dtmf")] == ["12#"]
    bad_dtmf = invalid(live.api("PUT", f"/v1/calls/{uuid}/dtmf", json={"digits": "12x"}))
    assert list(bad_dtmf) == ["digits"]
    assert "destination" in str(invalid(live.api("PUT", f"/v1/calls/{uuid}",
                                                 json={"action": "transfer"})))  # fmt: skip
    assert list(invalid(live.api("PUT", f"/v1/calls/{uuid}", json={"action": "dance"}))) == [
        "action"
    ]

    new_ncco = [{"action": "talk", "text": "You were transferred"},
                {"action": "wait", "timeout": 600}]  # fmt: skip
    transfer = {"action": "transfer", "destination": {"type": "ncco", "ncco": new_ncco}}
    moved = live.api("PUT", f"/v1/calls/{uuid}", json=transfer)
    assert moved.status_code == 204, moved.text
    eventually(
        lambda: any(e["action"].get("text") == "You were transferred"
                    for e in live.entries(uuid, "action")),
        what="the transferred NCCO to run",
    )  # fmt: skip
    (transferred,) = [e for e in live.entries(uuid, "ncco") if e["event"] == "transferred"]
    assert transferred["ncco"] == new_ncco
    assert "transfer" in live.statuses(uuid)
    assert live.timeline(uuid)["running"] is True

    moved_ncco = [{"action": "talk", "text": "Moved by URL"}, {"action": "wait", "timeout": 600}]
    by_url = live.hooks.answer("/transfer", Reply(body=moved_ncco))
    moved = live.api("PUT", f"/v1/calls/{uuid}", json={
        "action": "transfer", "destination": {"type": "ncco", "url": [by_url]}})  # fmt: skip
    assert moved.status_code == 204, moved.text
    (asked,) = live.hooks.on("/transfer")
    assert asked.method == "GET" and asked.query["uuid"] == uuid
    eventually(
        lambda: any(e["action"].get("text") == "Moved by URL"
                    for e in live.entries(uuid, "action")),
        what="the NCCO of the transfer URL to run",
    )  # fmt: skip

    hangup = live.api("PUT", f"/v1/calls/{uuid}", json={"action": "hangup"})
    assert hangup.status_code == 204, hangup.text
    statuses = live.ended(uuid)
    assert statuses[:3] == ["started", "ringing", "answered"] and statuses[-1] == "completed"
    assert live.events(uuid=uuid)[-1]["disconnected_by"] == "platform"

    for method, path, body in [
        ("PUT", "", {"action": "hangup"}),
        ("PUT", "", {"action": "mute"}),
        ("PUT", "", transfer),
        ("PUT", "/talk", {"text": "Too late"}),
        ("DELETE", "/talk", None),
        ("PUT", "/stream", {"stream_url": [audio]}),
        ("PUT", "/dtmf", {"digits": "1"}),
    ]:
        gone = problem(live.api(method, f"/v1/calls/{uuid}{path}", json=body), 404)
        assert uuid in gone["detail"], (method, path)


def test_live_control_of_another_accounts_call_is_not_found(live: Voice) -> None:
    to = callee()
    live.phone(to, answer_after=0)
    uuid = live.call(to, [{"action": "wait", "timeout": 600}])["uuid"]
    eventually(lambda: "answered" in live.statuses(uuid), what="the call to be answered")
    with live.server.client(live.server.account()) as rest:
        other = jwt_of(*create_app(rest, live.hooks))
    problem(live.api("PUT", f"/v1/calls/{uuid}", token=other, json={"action": "hangup"}), 404)
    problem(live.api("PUT", f"/v1/calls/{uuid}/talk", token=other, json={"text": "Hi"}), 404)
    problem(live.api("GET", f"/v1/calls/{uuid}", token=other), 404)
    assert live.timeline(uuid)["running"] is True
    assert live.api("PUT", f"/v1/calls/{uuid}", json={"action": "hangup"}).status_code == 204
    live.ended(uuid)


def test_a_transfer_to_an_invalid_ncco_names_the_destination_field(live: Voice) -> None:
    to = callee()
    live.phone(to, answer_after=0)
    uuid = live.call(to, [{"action": "wait", "timeout": 600}])["uuid"]
    eventually(lambda: "answered" in live.statuses(uuid), what="the call to be answered")
    bad_transfer = {"action": "transfer",
                    "destination": {"type": "ncco", "ncco": [{"action": "talk"}]}}  # fmt: skip
    named = invalid(live.api("PUT", f"/v1/calls/{uuid}", json=bad_transfer))
    assert live.timeline(uuid)["running"] is True  # the call goes on with its NCCO
    assert live.entries(uuid, "ncco") == []
    assert live.api("PUT", f"/v1/calls/{uuid}", json={"action": "hangup"}).status_code == 204
    live.ended(uuid)
    assert list(named) == ["destination.ncco[0].text"]


# -- recordings -------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "media_type"), [
    (None, "audio/mpeg"), ("wav", "audio/wav"), ("ogg", "audio/ogg")])  # fmt: skip
def test_a_recording_is_fetched_with_a_jwt_of_the_account(
    voice: Voice, fmt: str | None, media_type: str
) -> None:
    to = callee()
    voice.phone(to, message_seconds=2)
    ncco = [{"action": "record", "endOnSilence": 3, **({"format": fmt} if fmt else {}),
             "eventUrl": [voice.hooks.url + "/recording"]}]  # fmt: skip
    uuid = voice.call(to, ncco)["uuid"]
    voice.ended(uuid)
    (recorded,) = voice.events("/recording")
    assert recorded["conversation_uuid"] == voice.events(uuid=uuid)[0]["conversation_uuid"]
    url = recorded["recording_url"]
    assert url == f"{voice.server.url}/v1/files/{recorded['recording_uuid']}"

    with httpx.Client() as client:
        fetched = client.get(url, headers={"Authorization": f"Bearer {voice.token()}"})
        assert fetched.status_code == 200, fetched.text
        assert fetched.headers["content-type"] == media_type
        assert len(fetched.content) == recorded["size"]
        audio, rate = soundfile.read(io.BytesIO(fetched.content), dtype="int16")
        assert len(audio) / rate == pytest.approx(5.0, abs=0.05)  # 2 s of message, 3 silent
        assert abs(audio[: 2 * rate]).max() > 1000 and abs(audio[-2 * rate :]).max() < 100

        # Another application of the same account may fetch it too.
        sibling = jwt_of(*create_app(voice.rest, voice.hooks))
        assert client.get(url, headers={"Authorization": f"Bearer {sibling}"}).status_code == 200

        anonymous = problem(client.get(url), 401)
        assert anonymous["type"] == f"{ERRORS}#unauthorized"
        with voice.server.client(voice.server.account()) as rest:
            stranger = jwt_of(*create_app(rest, voice.hooks))
        problem(client.get(url, headers={"Authorization": f"Bearer {stranger}"}), 404)
        unknown = f"{voice.server.url}/v1/files/00000000-0000-0000-0000-000000000000"
        problem(client.get(unknown, headers={"Authorization": f"Bearer {voice.token()}"}), 404)
        problem(client.get(f"{voice.server.url}/v1/files/..%2F..%2Fringway.db",
                           headers={"Authorization": f"Bearer {voice.token()}"}), 404)  # fmt: skip


# -- signed callbacks -------------------------------------------------------------------------


@pytest.mark.parametrize("voice", [True, False], ids=["signed", "unsigned"], indirect=True)
def test_signed_callbacks_sign_every_request_of_an_inbound_call(voice: Voice) -> None:
    hooks = voice.hooks
    number = voice.number(voice.app_id)
    hooks.answer("/answer", Reply(body=[
        {"action": "talk", "text": "Your code?"},
        {"action": "input", "type": ["dtmf"], "dtmf": {"maxDigits": 3},
         "eventUrl": [hooks.url + "/input"]},
    ]))  # fmt: skip
    hooks.answer("/input", Reply(body=[{"action": "talk", "text": "Thanks"}]))
    placed = voice.rest.post("/_ringway/calls", json={
        "from": CALLER, "to": number, "caller": {"dtmf": ["123"]}})  # fmt: skip
    assert placed.status_code == 201, placed.text
    uuid = placed.json()["uuid"]
    assert placed.json()["direction"] == "inbound"
    assert voice.ended(uuid, "/app-event") == ["started", "ringing", "answered", "completed"]
    (result,) = voice.events("/input")
    assert result["dtmf"]["digits"] == "123"
    requests = hooks.received
    assert {r.path for r in requests} == {"/answer", "/app-event", "/input"}
    assert [r.method for r in requests if r.path == "/answer"] == ["GET"]
    check_signatures(voice, requests)


@pytest.mark.parametrize("voice", [True, False], ids=["signed", "unsigned"], indirect=True)
def test_signed_callbacks_sign_every_request_of_a_voice_api_call(voice: Voice) -> None:
    to = callee()
    voice.phone(to, answer_after=1)
    answer = voice.hooks.answer("/my-answer", Reply(body=[{"action": "talk", "text": "Hi"}]))
    body = {"to": [{"type": "phone", "number": to}],
            "from": {"type": "phone", "number": CALLER}, "answer_url": [answer],
            "event_url": [voice.hooks.url + "/event"]}  # fmt: skip
    response = voice.api("POST", "/v1/calls", json=body)
    assert response.status_code == 201, response.text
    voice.ended(response.json()["uuid"])
    assert {r.path for r in voice.hooks.received} == {"/my-answer", "/event"}
    check_signatures(voice, voice.hooks.received)


def check_signatures(voice: Voice, requests: list[Received]) -> None:
    """Each request carries a signature of its exact body when the application signs its
    callbacks, and no Authorization header when it does not."""
    secret = voice.account.signature_secret
    for request in requests:
        authorization = request.headers.get("Authorization")
        if not voice.signed:
            assert authorization is None, request
            continue
        assert authorization is not None and authorization.startswith("Bearer "), request
        token = authorization.removeprefix("Bearer ")
        assert verify_signature(token, secret)
        claims = pyjwt.decode(token, secret, algorithms=["HS256"])
        assert claims["payload_hash"] == hashlib.sha256(request.body).hexdigest(), request
        assert claims["iss"] == "Vonage"
        assert claims["api_key"] == voice.account.api_key
        assert claims["application_id"] == voice.app_id
        assert claims["jti"] and isinstance(claims["iat"], int)
        if request.method == "GET":
            assert request.body == b""
            assert claims["payload_hash"] == hashlib.sha256(b"").hexdigest()
    if voice.signed:
        other_secret = voice.server.account().signature_secret
        token = requests[0].headers["Authorization"].removeprefix("Bearer ")
        assert not verify_signature(token, other_secret)
        jtis = {pyjwt.decode(r.headers["Authorization"][7:], secret, algorithms=["HS256"])["jti"]
                for r in requests}  # fmt: skip
        assert len(jtis) == len(requests)


# -- the simulated world ----------------------------------------------------------------------


def test_simulated_call_errors(voice: Voice) -> None:
    unknown = problem(voice.rest.post("/_ringway/calls", json={
        "from": CALLER, "to": "447700900999"}), 404)  # fmt: skip
    assert "447700900999" in unknown["detail"]
    unlinked = voice.number()
    unrouted = problem(voice.rest.post("/_ringway/calls", json={
        "from": CALLER, "to": unlinked}), 422)  # fmt: skip
    assert unlinked in unrouted["detail"]
    no_voice_app, _ = create_app(voice.rest, voice.hooks, voice=False)
    textless = voice.number(no_voice_app)
    problem(voice.rest.post("/_ringway/calls", json={"from": CALLER, "to": textless}), 422)
    # Another account's number does not exist for this one.
    with voice.server.client(voice.server.account()) as rest:
        found = rest.get("/number/search", params={"country": "GB", "pattern": "4477009"})
        theirs = found.json()["numbers"][0]["msisdn"]
        assert rest.post("/number/buy", data={"country": "GB", "msisdn": theirs}).status_code == 200
    problem(voice.rest.post("/_ringway/calls", json={"from": CALLER, "to": theirs}), 404)

    number = voice.number(voice.app_id)
    assert "from" in invalid(voice.rest.post("/_ringway/calls", json={"to": number}))
    assert "color" in invalid(voice.rest.post("/_ringway/calls", json={
        "from": CALLER, "to": number, "color": "red"}))  # fmt: skip
    assert "caller.dtmf.0" in invalid(voice.rest.post("/_ringway/calls", json={
        "from": CALLER, "to": number, "caller": {"dtmf": ["12a"]}}))  # fmt: skip
    assert invalid(voice.rest.post("/_ringway/calls", json=[1]))
    problem(voice.rest.post("/_ringway/calls", content=b"{",
                            headers={"Content-Type": "application/json"}), 400)  # fmt: skip
    with voice.server.client() as anonymous:
        problem(anonymous.post("/_ringway/calls", json={"from": CALLER, "to": number}), 401)
    assert voice.hooks.received == []

    voice.hooks.answer("/answer", Reply(body=[{"action": "talk", "text": "Bye"}]))
    placed = voice.rest.post("/_ringway/calls", json={"from": CALLER, "to": number})
    assert placed.status_code == 201, placed.text
    uuid = placed.json()["uuid"]
    voice.ended(uuid, "/app-event")
    eventually(lambda: voice.timeline(uuid)["running"] is False, what="the call to finish")
    for kind in ("hangup", "dtmf", "speech"):
        body = {"hangup": None, "dtmf": {"digits": "1"}, "speech": {"text": "hi"}}[kind]
        gone = problem(voice.rest.post(f"/_ringway/calls/{uuid}/{kind}", json=body), 404)
        assert uuid in gone["detail"]
    problem(voice.rest.post("/_ringway/calls/00000000-0000-0000-0000-000000000000/hangup"), 404)


def test_an_unexpected_failure_placing_a_call_is_a_500_problem(
    voice: Voice, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Placing a call skips the framework (the hot path); its failures still answer."""

    async def fail(*_args: Any) -> None:
        raise RuntimeError("the engine broke")

    monkeypatch.setattr(voice.server.platform.calls, "simulate", fail)
    number = voice.number(voice.app_id)
    body = problem(voice.rest.post("/_ringway/calls", json={"from": CALLER, "to": number}), 500)
    assert body["type"].endswith("#internal-error")
    assert "the engine broke" not in str(body)


def test_a_simulated_caller_hangs_up_a_running_call(live: Voice) -> None:
    number = live.number(live.app_id)
    live.hooks.answer("/answer", Reply(body=[{"action": "wait", "timeout": 600}]))
    placed = live.rest.post("/_ringway/calls", json={"from": CALLER, "to": number})
    assert placed.status_code == 201, placed.text
    uuid = placed.json()["uuid"]
    eventually(lambda: "answered" in live.statuses(uuid, "/app-event"), what="answered")
    keyed = live.rest.post(f"/_ringway/calls/{uuid}/dtmf", json={"digits": "5"})
    assert keyed.status_code == 204, keyed.text
    assert [e["value"] for e in live.entries(uuid, "input")] == ["5"]
    assert live.rest.post(f"/_ringway/calls/{uuid}/hangup").status_code == 204
    assert live.ended(uuid, "/app-event")[-1] == "completed"
    assert live.events("/app-event", uuid)[-1]["disconnected_by"] == "user"
    problem(live.rest.post(f"/_ringway/calls/{uuid}/hangup"), 404)


@pytest.fixture
def second_server(
    settings: Settings, realtime_server: LiveServer, tmp_path: Any
) -> Iterator[LiveServer]:
    """Another server on the same database, with an engine of its own (as a second worker or
    node would be)."""
    yield from run_server(settings.model_copy(update={"data_dir": tmp_path / "second"}))


def test_a_call_running_in_one_server_is_controlled_through_another(
    live: Voice, second_server: LiveServer
) -> None:
    to = callee()
    live.phone(to, answer_after=0)
    uuid = live.call(to, [{"action": "talk", "text": "Hold on"},
                          {"action": "wait", "timeout": 600}])["uuid"]  # fmt: skip
    eventually(lambda: "answered" in live.statuses(uuid), what="the answer")
    headers = {"Authorization": f"Bearer {live.token()}"}
    with second_server.client() as other:
        muted = other.put(f"/v1/calls/{uuid}", json={"action": "mute"}, headers=headers)
        assert muted.status_code == 204, muted.text
        talked = other.put(f"/v1/calls/{uuid}/talk", json={"text": "Hi"}, headers=headers)
        assert talked.status_code == 200 and talked.json()["uuid"] == uuid
        hung_up = other.put(f"/v1/calls/{uuid}", json={"action": "hangup"}, headers=headers)
        assert hung_up.status_code == 204
    assert live.ended(uuid)[-1] == "completed"
    controls = [e["action"] for e in live.entries(uuid, "control")]
    assert controls == ["mute", "talk", "hangup"]  # in the order sent, by the server running it
    with second_server.client() as other:
        # Once the end is stored (within a batch), the other server knows the call is over.
        stored = lambda: other.get(f"/v1/calls/{uuid}", headers=headers).json()["end_time"]  # noqa: E731
        eventually(stored, what="the stored end of the call")
        late = other.put(f"/v1/calls/{uuid}", json={"action": "hangup"}, headers=headers)
    assert late.status_code == 404


def test_a_call_is_seen_and_controlled_through_another_server_as_soon_as_it_is_created(
    live: Voice, second_server: LiveServer
) -> None:
    """A call acknowledged by one server (or worker) is stored before the answer, so any other
    finds it at once: its 201 means every node can read and control it."""
    headers = {"Authorization": f"Bearer {live.token()}"}
    inbound = live.number(live.app_id)
    stay = [{"action": "wait", "timeout": 600}]
    live.hooks.answer("/answer", Reply(body=stay))
    with second_server.client() as other, second_server.client(live.account) as other_rest:
        for _ in range(5):
            uuid = live.call(callee(), stay)["uuid"]
            seen = other.get(f"/v1/calls/{uuid}", headers=headers)
            assert seen.status_code == 200, seen.text  # a 404 for ~50-200 ms before
            talked = other.put(f"/v1/calls/{uuid}/talk", json={"text": "Hi"}, headers=headers)
            assert talked.status_code == 200, talked.text
            placed = live.rest.post("/_ringway/calls", json={"from": CALLER, "to": inbound})
            simulated = placed.json()["uuid"]
            assert other_rest.get(f"/_ringway/calls/{simulated}/timeline").status_code == 200
            for running in (uuid, simulated):
                hung_up = other.put(f"/v1/calls/{running}", json={"action": "hangup"},
                                    headers=headers)  # fmt: skip
                assert hung_up.status_code == 204, hung_up.text


def test_nul_characters_in_ids_and_filters_are_clear_errors(voice: Voice) -> None:
    assert problem(voice.rest.get("/_ringway/calls/%00"), 404)["title"] == "Not Found"
    assert problem(voice.api("GET", "/v1/calls/%00"), 404)["title"] == "Not Found"
    assert problem(voice.api("GET", "/v1/calls", params={"status": "\x00"}), 400)
    assert problem(voice.rest.get("/_ringway/phones/%00"), 400)


def test_an_endpoint_address_longer_than_a_call_can_hold_is_refused(voice: Voice) -> None:
    body = {"to": [{"type": "app", "user": "u" * 300}], "random_from_number": True,
            "ncco": [{"action": "talk", "text": "Hi"}]}  # fmt: skip
    assert "to.0.app.user" in invalid(voice.api("POST", "/v1/calls", json=body))
