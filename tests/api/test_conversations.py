"""The Conversation API (wire §9) with application JWTs from the official ``vonage_jwt``: users,
conversations, members and custom events, and the rtc event_url envelopes a real receiver gets
for each, in order, numbered per conversation."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest
from vonage_jwt import JwtClient
from vonage_jwt.verify_jwt import verify_signature

from ringway.services.accounts import Credentials
from tests.api.test_messages import buy_number
from tests.conftest import LiveServer, eventually
from tests.receivers import Receiver, Reply

ERRORS = "https://developer.nexmo.com/api/conversation"


@dataclass
class Rtc:
    server: LiveServer
    account: Credentials
    hooks: Receiver
    app_id: str
    private_key: str

    def api(self, method: str, path: str, expect: int = 200, **kw: Any) -> Any:
        token = JwtClient(self.app_id, self.private_key).generate_application_jwt().decode()
        with self.server.client() as client:
            response = client.request(method, path, headers={"Authorization": f"Bearer {token}"},
                                      **kw)  # fmt: skip
        assert response.status_code == expect, response.text
        return response.json() if response.content else None

    def webhooks(self, count: int) -> list[dict[str, Any]]:
        def arrived() -> list[dict[str, Any]] | None:
            bodies = [orjson.loads(r.body) for r in self.hooks.on("/rtc")]
            return bodies if len(bodies) >= count else None

        return eventually(arrived, what=f"{count} rtc events")

    def user(self, name: str) -> dict[str, Any]:
        body = {"name": name, "display_name": name.title()}
        created: dict[str, Any] = self.api("POST", "/v1/users", 201, json=body)
        return created


def rtc_app(server: LiveServer, hooks: Receiver, signed: bool = False) -> Rtc:
    account = server.account()
    with server.client(account) as rest:
        created = rest.post("/v2/applications", json={"name": "rtc", "capabilities": {"rtc": {
            "webhooks": {"event_url": {"address": hooks.url + "/rtc", "http_method": "POST"}},
            "signed_callbacks": signed}}})  # fmt: skip
    assert created.status_code == 201, created.text
    app = created.json()
    return Rtc(server, account, hooks, app["id"], app["keys"]["private_key"])


@pytest.fixture
def rtc(server: LiveServer, hooks: Receiver) -> Iterator[Rtc]:
    yield rtc_app(server, hooks)


def test_users_are_created_read_updated_listed_and_deleted(rtc: Rtc) -> None:
    alice = rtc.user("alice")
    assert alice["id"].startswith("USR-") and alice["display_name"] == "Alice"
    assert rtc.api("GET", f"/v1/users/{alice['id']}")["name"] == "alice"
    assert rtc.api("GET", "/v1/users/alice")["id"] == alice["id"]  # by name too
    changed = rtc.api("PATCH", f"/v1/users/{alice['id']}", json={"display_name": "Al"})
    assert changed["display_name"] == "Al" and changed["name"] == "alice"
    for name in ("bob", "carol"):
        rtc.user(name)
    first = rtc.api("GET", "/v1/users", params={"page_size": 2})
    assert [u["name"] for u in first["_embedded"]["users"]] == ["alice", "bob"]
    # absolute, at the public URL, as the platform writes them (the Node SDK needs it)
    assert first["_links"]["next"]["href"].startswith(f"{rtc.server.url}/v1/users?page_size=2&")
    following = rtc.api("GET", first["_links"]["next"]["href"])
    assert [u["name"] for u in following["_embedded"]["users"]] == ["carol"]
    assert "next" not in following["_links"]
    newest = rtc.api("GET", "/v1/users", params={"page_size": 1, "order": "desc"})
    after = rtc.api("GET", newest["_links"]["next"]["href"])
    assert [u["name"] for u in newest["_embedded"]["users"] + after["_embedded"]["users"]] == [
        "carol", "bob"]  # fmt: skip
    assert rtc.api("GET", "/v1/users", 400, params={"page_size": "²"})["code"] == (
        "http:error:validation-fail"
    )
    problem = rtc.api("POST", "/v1/users", 409, json={"name": "bob"})
    assert problem["code"] == "user:error:duplicate-name"
    assert problem["type"] == f"{ERRORS}#user:error:duplicate-name"
    assert rtc.api("DELETE", f"/v1/users/{alice['id']}", 204) is None
    gone = rtc.api("GET", f"/v1/users/{alice['id']}", 404)
    assert gone["code"] == "user:error:not-found" and gone["title"] == "Not found."


def test_each_member_transition_posts_its_event_in_order(rtc: Rtc) -> None:
    alice = rtc.user("alice")
    conversation = rtc.api("POST", "/v1/conversations", 201,
                           json={"name": "support", "display_name": "Support"})  # fmt: skip
    cid = conversation["id"]
    assert cid.startswith("CON-") and conversation["state"] == "ACTIVE"
    member = rtc.api("POST", f"/v1/conversations/{cid}/members", 201, json={
        "state": "INVITED", "user": {"id": alice["id"]}, "channel": {"type": "app"}})  # fmt: skip
    assert member["state"] == "INVITED" and member["_embedded"]["user"]["name"] == "alice"
    mid = member["id"]
    path = f"/v1/conversations/{cid}/members/{mid}"
    assert rtc.api("PATCH", path, json={"state": "joined"})["state"] == "JOINED"
    custom = rtc.api("POST", f"/v1/conversations/{cid}/events", 201,
                     json={"type": "custom:ping", "from": mid, "body": {"n": 1}})  # fmt: skip
    assert custom["id"] == 3 and custom["body"] == {"n": 1}
    left = rtc.api("PATCH", path, json={"state": "left", "reason": {"text": "bye"}})
    assert left["state"] == "LEFT" and set(left["timestamp"]) == {"invited", "joined", "left"}

    created, *events = rtc.webhooks(5)
    assert created["type"] == "conversation:created" and created["application_id"] == rtc.app_id
    assert created["body"]["id"] == cid and created["body"]["name"] == "support"
    assert "id" not in created and "conversation_id" not in created
    expected = ["member:invited", "member:joined", "custom:ping", "member:left"]
    assert [(e["type"], e["id"]) for e in events] == list(zip(expected, range(1, 5), strict=True))
    for event in events:
        assert event["conversation_id"] == cid and event["from"] == mid
        assert event["application_id"] == rtc.app_id and event["timestamp"].endswith("Z")
    joined = events[1]["body"]
    assert joined["member_id"] == mid and joined["user"]["id"] == alice["id"]
    assert joined["user"]["name"] == "alice" and joined["channel"] == {"type": "app"}
    assert events[2]["body"] == {"n": 1}
    assert events[2]["_embedded"]["from_member"] == {"id": mid}
    assert events[3]["body"]["reason"] == {"text": "bye"}
    listed = rtc.api("GET", f"/v1/conversations/{cid}/events")["_embedded"]
    assert [e["type"] for e in listed] == ["member:invited", "member:joined", "custom:ping",
                                           "member:left"]  # fmt: skip
    newest = rtc.api("GET", f"/v1/conversations/{cid}/events?order=desc&page_size=3")
    assert [e["id"] for e in newest["_embedded"]] == [4, 3, 2]
    rest = rtc.api("GET", newest["_links"]["next"]["href"])["_embedded"]
    assert [e["id"] for e in rest] == [1]
    members = rtc.api("GET", f"/v1/conversations/{cid}/members")
    assert len(members["_embedded"]["members"]) == 1 and "next" not in members["_links"]
    assert members["_links"]["self"]["href"] == f"{rtc.server.url}/v1/conversations/{cid}/members"
    assert members["_embedded"]["members"][0]["_embedded"]["user"]["name"] == "alice"
    assert rtc.api("GET", f"/v1/conversations/{cid}")["sequence_number"] == 4


def test_member_and_event_rules(rtc: Rtc) -> None:
    alice = rtc.user("alice")
    cid = rtc.api("POST", "/v1/conversations", 201, json={})["id"]
    members = f"/v1/conversations/{cid}/members"
    bad = rtc.api("POST", members, 400, json={"state": "gone", "user": {"id": alice["id"]},
                                              "channel": {"type": "app"}})  # fmt: skip
    assert bad["invalid_parameters"][0]["name"] == "state"
    assert rtc.api("POST", members, 404, json={"state": "joined", "user": {"name": "nobody"},
                                               "channel": {"type": "app"}})["code"] == (
        "user:error:not-found")  # fmt: skip
    member = rtc.api("POST", members, 201, json={"state": "joined", "user": {"name": "alice"},
                                                 "channel": {"type": "app"}})  # fmt: skip
    again = rtc.api("POST", members, 400, json={"state": "joined", "user": {"name": "alice"},
                                                "channel": {"type": "app"}})  # fmt: skip
    assert again["code"] == "conversation:error:member-already-joined"
    rtc.api("PATCH", f"{members}/{member['id']}", json={"state": "left"})
    ended = rtc.api("PATCH", f"{members}/{member['id']}", 400, json={"state": "joined"})
    assert ended["code"] == "conversation:error:invalid-member-state"
    not_joined = rtc.api("POST", f"/v1/conversations/{cid}/events", 400,
                         json={"type": "custom:x", "from": member["id"]})  # fmt: skip
    assert not_joined["code"] == "event:error:not-joined"
    assert rtc.api("GET", "/v1/conversations/CON-nope", 404)["code"] == (
        "conversation:error:not-found"
    )
    with rtc.server.client() as anonymous:
        assert anonymous.get("/v1/users").status_code == 401


def test_another_applications_conversations_are_invisible(
    server: LiveServer, hooks: Receiver, rtc: Rtc
) -> None:
    cid = rtc.api("POST", "/v1/conversations", 201, json={"name": "mine"})["id"]
    other = rtc_app(server, hooks)
    assert other.api("GET", f"/v1/conversations/{cid}", 404)
    assert other.api("POST", "/v1/conversations", 201, json={"name": "mine"})  # names per app


def test_signed_callbacks_sign_rtc_events(server: LiveServer, hooks: Receiver) -> None:
    signed = rtc_app(server, hooks, signed=True)
    signed.api("POST", "/v1/conversations", 201, json={})
    (request,) = eventually(lambda: hooks.on("/rtc"), what="conversation:created")
    secret = server.platform.accounts.get(signed.account.api_key).signature_secret
    assert verify_signature(request.headers["Authorization"].removeprefix("Bearer "), secret)


def test_without_signed_callbacks_rtc_events_carry_no_token(rtc: Rtc) -> None:
    rtc.api("POST", "/v1/conversations", 201, json={})
    (request,) = eventually(lambda: rtc.hooks.on("/rtc"), what="conversation:created")
    assert "Authorization" not in request.headers
    assert isinstance(httpx.Headers(request.headers).get("X-Ringway-Delivery"), str)


@dataclass
class VoiceRtc:
    """An application with voice and rtc webhooks to ``hooks``, its user alice, and a number."""

    rtc: Rtc
    number: str

    def call(self, **more: Any) -> None:
        body = {"from": "447700900001", "to": self.number, **more}
        with self.rtc.server.client(self.rtc.account) as rest:
            placed = rest.post("/_ringway/calls", json=body)
        assert placed.status_code == 201, placed.text

    def rtc_events_until_left(self) -> list[dict[str, Any]]:
        def arrived() -> list[dict[str, Any]] | None:
            found = [orjson.loads(r.body) for r in self.rtc.hooks.on("/rtc")]
            return found if found and found[-1]["type"] == "member:left" else None

        return eventually(arrived, timeout=10, what="a member leaving")


def voice_rtc(server: LiveServer, hooks: Receiver, ncco: list[dict[str, Any]]) -> VoiceRtc:
    account = server.account()
    hooks.answer("/answer", Reply(body=ncco))
    capabilities = {
        "voice": {"webhooks": {"answer_url": {"address": hooks.url + "/answer"},
                               "event_url": {"address": hooks.url + "/event"}}},
        "rtc": {"webhooks": {"event_url": {"address": hooks.url + "/rtc"}}},
    }  # fmt: skip
    with server.client(account) as rest:
        body = {"name": "softphone", "capabilities": capabilities}
        app = rest.post("/v2/applications", json=body).json()
        rtc = Rtc(server, account, hooks, app["id"], app["keys"]["private_key"])
        rtc.user("alice")
        return VoiceRtc(rtc, buy_number(rest, app["id"]))


def test_a_call_to_an_app_user_posts_member_and_leg_events(
    server: LiveServer, hooks: Receiver
) -> None:
    line = voice_rtc(server, hooks, [{"action": "connect",
                                      "endpoint": [{"type": "app", "user": "alice"}]}])  # fmt: skip
    line.call(caller={"hangup_after": 10})
    events = line.rtc_events_until_left()
    kinds = [e["type"] if e["type"] != "leg:status:update" else e["body"]["status"]
             for e in events]  # fmt: skip
    assert kinds == ["conversation:created", "member:invited", "started", "ringing",
                     "member:joined", "answered", "completed", "member:left"]  # fmt: skip
    cid = events[0]["body"]["id"]
    assert all(e["conversation_id"] == cid for e in events[1:])
    assert [e["id"] for e in events[1:]] == list(range(1, 8))
    member = events[1]["body"]
    alice = line.rtc.api("GET", "/v1/users/alice")
    assert member["user"]["id"] == alice["id"] and member["channel"]["type"] == "app"
    completed = events[6]["body"]
    assert completed["leg_id"] == member["channel"]["id"] and completed["type"] == "app"
    assert [h["status"] for h in completed["statusHistory"]] == [
        "started", "ringing", "answered", "completed"]  # fmt: skip


def test_a_call_from_an_app_user_rings_the_application_as_that_user(
    server: LiveServer, hooks: Receiver
) -> None:
    line = voice_rtc(server, hooks, [{"action": "talk", "text": "Hi Alice"}])
    line.call(from_user="alice")
    (answer,) = eventually(lambda: hooks.on("/answer"), what="the answer request")
    assert answer.query["endpoint_type"] == "app" and answer.query["from_user"] == "alice"
    events = line.rtc_events_until_left()
    assert [e["type"] for e in events if e["type"].startswith("member:")] == [
        "member:invited", "member:joined", "member:left"]  # fmt: skip
    updates = [e["body"] for e in events if e["type"] == "leg:status:update"]
    assert {u["direction"] for u in updates} == {"inbound"}
    assert updates[-1]["status"] == "completed"


def test_a_deleted_users_member_can_still_be_read_and_leave(rtc: Rtc) -> None:
    alice, bob = rtc.user("alice"), rtc.user("bob")
    cid = rtc.api("POST", "/v1/conversations", 201, json={})["id"]
    member = rtc.api("POST", f"/v1/conversations/{cid}/members", 201, json={
        "state": "joined", "user": {"id": alice["id"]}, "channel": {"type": "app"}})  # fmt: skip
    rtc.api("POST", f"/v1/conversations/{cid}/members", 201, json={
        "state": "joined", "user": {"id": bob["id"]}, "channel": {"type": "app"}})  # fmt: skip
    rtc.api("DELETE", f"/v1/users/{alice['id']}", 204)
    path = f"/v1/conversations/{cid}/members/{member['id']}"
    assert rtc.api("GET", path)["_embedded"]["user"] == {"id": alice["id"]}
    listed = rtc.api("GET", f"/v1/conversations/{cid}/members")["_embedded"]["members"]
    assert [m["_embedded"]["user"].get("name") for m in listed] == [None, "bob"]
    assert rtc.api("PATCH", path, json={"state": "left"})["state"] == "LEFT"


def test_a_busy_app_user_leaves_once(server: LiveServer, hooks: Receiver) -> None:
    line = voice_rtc(server, hooks, [{"action": "connect",
                                      "endpoint": [{"type": "app", "user": "alice"}]}])  # fmt: skip
    with server.client(line.rtc.account) as rest:
        assert rest.put("/_ringway/phones/alice", json={"behaviour": "busy"}).status_code == 200
    line.call()

    def ended() -> list[dict[str, Any]] | None:
        events = [orjson.loads(r.body) for r in hooks.on("/rtc")]
        done = any(e["body"].get("status") == "completed" for e in events)
        return events if done else None

    events = eventually(ended, timeout=10, what="the app leg's last status")
    statuses = [e["body"]["status"] for e in events if e["type"] == "leg:status:update"]
    assert statuses[-2:] == ["busy", "completed"]
    kinds = [e["type"] for e in events]
    assert kinds.count("member:left") == 1 and "member:joined" not in kinds


def test_a_member_without_a_channel_type_joins_on_the_app_channel(rtc: Rtc) -> None:
    """What the Vonage CLI sends: ``channel.from.type`` and no ``channel.type``."""
    rtc.user("carol")
    cid = rtc.api("POST", "/v1/conversations", 201, json={})["id"]
    members = f"/v1/conversations/{cid}/members"
    body = {"state": "joined", "user": {"name": "carol"}, "channel": {"from": {"type": "app"}}}
    member = rtc.api("POST", members, 201, json=body)
    assert member["channel"] == {"type": "app", "from": {"type": "app"}}
    assert rtc.api("GET", f"{members}/{member['id']}")["channel"]["type"] == "app"
    joined = rtc.webhooks(2)[-1]
    assert joined["type"] == "member:joined" and joined["body"]["channel"]["type"] == "app"
    for channel in ({"type": "pigeon"}, "app", None):
        bad = rtc.api("POST", members, 400, json={**body, "channel": channel})
        assert bad["invalid_parameters"][0]["name"] == "channel"


def test_an_event_is_deleted_from_the_history(rtc: Rtc) -> None:
    rtc.user("dave")
    cid = rtc.api("POST", "/v1/conversations", 201, json={})["id"]
    member = rtc.api("POST", f"/v1/conversations/{cid}/members", 201, json={
        "state": "joined", "user": {"name": "dave"}, "channel": {"type": "app"}})  # fmt: skip
    events = f"/v1/conversations/{cid}/events"
    first = rtc.api("POST", events, 201, json={"type": "custom:a", "from": member["id"]})
    second = rtc.api("POST", events, 201, json={"type": "custom:b", "from": member["id"]})
    assert rtc.api("DELETE", f"{events}/{first['id']}", 204) is None
    assert rtc.api("GET", f"{events}/{first['id']}", 404)["code"] == "event:error:not-found"
    left = [event["id"] for event in rtc.api("GET", events)["_embedded"]]
    assert first["id"] not in left and second["id"] in left
    assert rtc.api("DELETE", f"{events}/{first['id']}", 404)["code"] == "event:error:not-found"
    assert rtc.api("DELETE", f"{events}/x", 400)["invalid_parameters"][0]["name"] == "event_id"
    assert rtc.api("DELETE", "/v1/conversations/CON-nope/events/1", 404)["code"] == (
        "conversation:error:not-found")  # fmt: skip
    third = rtc.api("POST", events, 201, json={"type": "custom:c", "from": member["id"]})
    assert third["id"] > second["id"]  # a deleted event's id is not given again
