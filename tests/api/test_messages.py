"""Messages (wire §8, §10) against a live server and a real receiver: sending to simulated
recipients and to numbers on ringway, simulated inbound messages per channel, validation, the
status sequences in both webhook versions, signatures checked with the official ``vonage_jwt``,
and the outbox's retries, give-up and replay."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import jwt as pyjwt
import orjson
import pytest
from vonage_jwt import JwtClient
from vonage_jwt.verify_jwt import verify_signature

from ringway.client import Client
from ringway.config import Settings
from ringway.services.accounts import Credentials
from tests.conftest import LiveServer, eventually, run_server
from tests.receivers import Receiver, Reply, threaded_receiver

USER = "447700900123"
MESSAGES_ERRORS = "https://developer.vonage.com/api-errors/messages"


@pytest.fixture
def fast_server(settings: Settings) -> Iterator[LiveServer]:
    """Retries after 0.2 s, then 0.3 s, and so on."""
    settings.delivery_retries = "0.2,0.3"
    yield from run_server(settings)


@dataclass
class Messaging:
    """An account with a messages application whose webhooks reach ``hooks``, and a number."""

    server: LiveServer
    account: Credentials
    rest: httpx.Client
    hooks: Receiver
    app_id: str
    private_key: str
    number: str

    def send(self, expect: int = 202, basic: bool = False, **body: Any) -> httpx.Response:
        message = {"channel": "sms", "message_type": "text", "to": USER, "from": self.number,
                   "text": "Hello", **body}  # fmt: skip
        token = JwtClient(self.app_id, self.private_key).generate_application_jwt().decode()
        headers = {} if basic else {"Authorization": f"Bearer {token}"}
        with self.server.client() as bearer:
            client = self.rest if basic else bearer
            response = client.post("/v1/messages", json=message, headers=headers)
        assert response.status_code == expect, response.text
        return response

    def statuses(self, uuid: str, count: int, path: str = "/status") -> list[dict[str, Any]]:
        def arrived() -> list[dict[str, Any]] | None:
            found = [orjson.loads(r.body) for r in self.hooks.on(path)]
            mine = [b for b in found if b.get("message_uuid") == uuid]
            return mine if len(mine) >= count else None

        return eventually(arrived, what=f"{count} statuses of {uuid}")

    def recipient(self, address: str, **behaviour: Any) -> None:
        response = self.rest.put(f"/_ringway/recipients/{address}", json=behaviour)
        assert response.status_code == 200, response.text

    def deliveries(self, **params: Any) -> list[dict[str, Any]]:
        response = self.rest.get("/_ringway/deliveries", params=params)
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()["_embedded"]["deliveries"]
        return found


def messages_app(rest: httpx.Client, hooks_url: str, **more: Any) -> Any:
    """A messages application whose webhooks go to ``hooks_url``."""
    app = rest.post("/v2/applications", json={"name": "chat", "capabilities": {"messages": {
        "webhooks": {"inbound_url": {"address": hooks_url + "/inbound", "http_method": "POST"},
                     "status_url": {"address": hooks_url + "/status", "http_method": "POST"}},
        **more}}})  # fmt: skip
    assert app.status_code == 201, app.text
    return app.json()


def buy_number(rest: httpx.Client, app_id: str) -> str:
    found = rest.get("/number/search", params={"country": "GB", "pattern": "4477009"})
    msisdn: str = found.json()["numbers"][0]["msisdn"]
    routing = {"country": "GB", "msisdn": msisdn}
    assert rest.post("/number/buy", data=routing).status_code == 200
    assert rest.post("/number/update", data={**routing, "app_id": app_id}).status_code == 200
    return msisdn


def messaging(server: LiveServer, hooks: Receiver, **more: Any) -> Iterator[Messaging]:
    account = server.account()
    with server.client(account) as rest:
        app = messages_app(rest, hooks.url, **more)
        number = buy_number(rest, app["id"])
        yield Messaging(server, account, rest, hooks, app["id"], app["keys"]["private_key"],
                        number)  # fmt: skip


@pytest.fixture
def chat(fast_server: LiveServer, hooks: Receiver) -> Iterator[Messaging]:
    yield from messaging(fast_server, hooks)


# -- sending -------------------------------------------------------------------------------


def test_an_sms_reports_submitted_then_delivered_signed(chat: Messaging) -> None:
    chat.recipient(USER, delivered_after=0)
    uuid = chat.send(client_ref="order-7").json()["message_uuid"]
    submitted, delivered = chat.statuses(uuid, 2)
    assert [submitted["status"], delivered["status"]] == ["submitted", "delivered"]
    for status in (submitted, delivered):
        assert status["to"] == USER and status["from"] == chat.number
        assert status["channel"] == "sms" and status["client_ref"] == "order-7"
        assert status["timestamp"].endswith("Z")
    assert submitted["usage"] == {"currency": "EUR", "price": "0.0057"}  # sms: charged on submit
    secret = chat.server.platform.accounts.get(chat.account.api_key).signature_secret
    for request in chat.hooks.on("/status"):
        token = request.headers["Authorization"].removeprefix("Bearer ")
        assert verify_signature(token, secret)
        payload = pyjwt.decode(token, secret, algorithms=["HS256"])
        assert payload["payload_hash"] == hashlib.sha256(request.body).hexdigest()
        assert payload["application_id"] == chat.app_id
        assert request.headers["X-Ringway-Delivery"]


@pytest.mark.parametrize(
    ("channel", "extra", "expected"),
    [
        ("whatsapp", {}, ["submitted", "delivered", "read"]),
        ("sms", {}, ["submitted", "delivered"]),  # no read receipts on SMS
    ],
)
def test_a_reading_recipient_reads_where_the_channel_has_receipts(
    chat: Messaging, channel: str, extra: dict[str, Any], expected: list[str]
) -> None:
    chat.recipient(USER, behaviour="read", delivered_after=0, read_after=0.1)
    uuid = chat.send(channel=channel, **extra).json()["message_uuid"]
    statuses = chat.statuses(uuid, len(expected))
    assert [s["status"] for s in statuses] == expected


@pytest.mark.parametrize(("behaviour", "code"), [("rejected", "1170"), ("undeliverable", "1260")])
def test_a_failing_recipient_gets_a_failure_with_its_error(
    chat: Messaging, behaviour: str, code: str
) -> None:
    chat.recipient(USER, behaviour=behaviour, delivered_after=0)
    uuid = chat.send().json()["message_uuid"]
    _submitted, failed = chat.statuses(uuid, 2)
    assert failed["status"] == behaviour
    assert failed["error"]["type"] == f"{MESSAGES_ERRORS}#{code}"
    assert failed["error"]["title"] == code and failed["error"]["detail"]


def test_a_rejected_message_has_its_outcome_in_ringways_views(chat: Messaging) -> None:
    chat.recipient(USER, behaviour="rejected", delivered_after=0)
    rejected = chat.send().json()["message_uuid"]
    chat.recipient("447700900124", delivered_after=0)
    delivered = chat.send(to="447700900124").json()["message_uuid"]
    chat.statuses(rejected, 2)
    chat.statuses(delivered, 2)
    shown = chat.rest.get(f"/_ringway/messages/{rejected}").json()
    assert shown["status"] == "rejected"  # the platform's status, as the webhook said
    assert shown["outcome"] == "recipient rejected (#1170)" and shown["failed"] is True
    other = chat.rest.get(f"/_ringway/messages/{delivered}").json()
    assert (other["outcome"], other["failed"]) == ("delivered", False)
    failures = chat.rest.get("/_ringway/messages", params={"failed": "1"}).json()
    assert [m["message_uuid"] for m in failures["_embedded"]["messages"]] == [rejected]
    everything = chat.rest.get("/_ringway/messages").json()["_embedded"]["messages"]
    assert {m["message_uuid"] for m in everything} == {rejected, delivered}
    assert chat.rest.get("/_ringway/messages", params={"failed": "x"}).status_code == 400


def test_webhook_url_and_version_of_the_message_override_the_application(
    chat: Messaging,
) -> None:
    chat.recipient(USER, delivered_after=0)
    url = chat.hooks.url + "/mine"
    uuid = chat.send(webhook_url=url, webhook_version="v0.1").json()["message_uuid"]
    _submitted, delivered = chat.statuses(uuid, 2, path="/mine")
    assert delivered["to"] == {"type": "sms", "number": USER}
    assert delivered["from"] == {"type": "sms", "number": chat.number}
    assert "channel" not in delivered and delivered["status"] == "delivered"
    assert not chat.hooks.on("/status")


def test_a_message_to_a_number_on_ringway_arrives_as_inbound(
    fast_server: LiveServer, chat: Messaging
) -> None:
    with threaded_receiver() as other_hooks:
        (other,) = list(messaging(fast_server, other_hooks))
        sent = chat.send(to=other.number, text="Hi from app one", client_ref="mine only")
        uuid = sent.json()["message_uuid"]
        (inbound,) = eventually(lambda: other_hooks.on("/inbound"), what="the inbound message")
        body = orjson.loads(inbound.body)
        assert "client_ref" not in body  # the sender's reference stays the sender's
        assert body["from"] == chat.number and body["to"] == other.number
        assert body["text"] == "Hi from app one" and body["channel"] == "sms"
        assert body["message_uuid"] != uuid
        other_secret = fast_server.platform.accounts.get(other.account.api_key).signature_secret
        token = inbound.headers["Authorization"].removeprefix("Bearer ")
        assert verify_signature(token, other_secret)
        assert [s["status"] for s in chat.statuses(uuid, 2)] == ["submitted", "delivered"]


def test_basic_auth_sends_without_an_application(chat: Messaging) -> None:
    chat.recipient(USER, delivered_after=0)
    url = chat.hooks.url + "/basic"
    uuid = chat.send(basic=True, webhook_url=url).json()["message_uuid"]
    assert [s["status"] for s in chat.statuses(uuid, 2, path="/basic")] == [
        "submitted",
        "delivered",
    ]


@pytest.mark.parametrize(
    ("change", "code", "title"),
    [
        ({"channel": "telegram"}, 1100, "Unsupported channel"),
        ({"message_type": "sticker"}, 1140, "Invalid message type"),
        ({"to": "+44 7700"}, 1130, "Invalid recipient"),
        ({"from": "a sender with spaces galore"}, 1120, "Invalid sender"),
        ({"client_ref": "x" * 101}, 1060, "Invalid client reference"),
        ({"text": ""}, 1150, "Invalid params"),
        ({"webhook_version": "v2"}, 1150, "Invalid params"),
        (
            {
                "channel": "messenger",
                "to": "1234",
                "from": "5678",
                "messenger": {"category": "urgent"},
            },
            1110,
            "Invalid channel parameters",
        ),
    ],
)
def test_invalid_messages_get_the_real_problem(
    chat: Messaging, change: dict[str, Any], code: int, title: str
) -> None:
    problem = chat.send(expect=422, **change).json()
    assert problem["type"] == f"{MESSAGES_ERRORS}#{code}" and problem["title"] == title
    assert problem["detail"] and problem["instance"]
    assert not chat.deliveries()


def test_image_needs_a_url_named_in_invalid_parameters(chat: Messaging) -> None:
    problem = chat.send(expect=422, channel="whatsapp", message_type="image",
                        image={"caption": "no url"}).json()  # fmt: skip
    assert problem["invalid_parameters"] == [
        {"name": "image.url", "reason": "is required: an http(s) URL."}
    ]


def test_a_body_that_is_not_json_is_a_422(chat: Messaging) -> None:
    token = JwtClient(chat.app_id, chat.private_key).generate_application_jwt().decode()
    with chat.server.client() as client:
        response = client.post("/v1/messages", content=b"{not json",
                               headers={"Authorization": f"Bearer {token}",
                                        "Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 422
    assert response.json()["type"] == "https://developer.vonage.com/api-errors#invalid-json"


# -- inbound -------------------------------------------------------------------------------

INBOUND = [
    ("sms", {"text": "Hello there"}, {"sms": {"num_messages": "1"}}),
    ("mms", {"message_type": "image", "image": {"url": "http://localhost:3000/cat.jpg"}}, {}),
    ("whatsapp", {"text": "Hi"}, {"context_status": "none"}),
    ("messenger", {"text": "Hi", "from": "user-42"}, {}),
    (
        "viber_service",
        {"message_type": "file", "file": {"url": "http://localhost:3000/a.pdf"}},
        {},
    ),
    ("rcs", {"text": "Hi"}, {"context_status": "none"}),
]


@pytest.mark.parametrize(("channel", "content", "extra"), INBOUND)
def test_a_simulated_inbound_message_reaches_the_inbound_url(
    chat: Messaging, channel: str, content: dict[str, Any], extra: dict[str, Any]
) -> None:
    message = {"channel": channel, "from": USER, "to": chat.number, **content}
    response = chat.rest.post("/_ringway/messages", json=message)
    assert response.status_code == 201, response.text
    uuid = response.json()["message_uuid"]
    (inbound,) = eventually(lambda: chat.hooks.on("/inbound"), what="the inbound message")
    body = orjson.loads(inbound.body)
    assert body["channel"] == channel and body["message_uuid"] == uuid
    assert body["from"] == message["from"] and body["to"] == chat.number
    kind = content.get("message_type", "text")
    assert body["message_type"] == kind and body[kind] == content[kind]
    assert extra.items() <= body.items()
    assert verify_signature(
        inbound.headers["Authorization"].removeprefix("Bearer "),
        chat.server.platform.accounts.get(chat.account.api_key).signature_secret,
    )


def test_inbound_to_a_number_without_a_messages_application_is_refused(chat: Messaging) -> None:
    message = {"channel": "sms", "from": USER, "to": "447700900999", "text": "Hi"}
    response = chat.rest.post("/_ringway/messages", json=message)
    assert response.status_code == 422
    assert "inbound_url" in response.json()["detail"]


def test_the_message_log_shows_history_and_every_attempt(chat: Messaging) -> None:
    chat.recipient(USER, delivered_after=0)
    uuid = chat.send().json()["message_uuid"]
    chat.statuses(uuid, 2)
    shown = eventually(
        lambda: (
            (m := chat.rest.get(f"/_ringway/messages/{uuid}").json())["deliveries"]
            and all(d["state"] == "delivered" for d in m["deliveries"])
            and m
        ),
        what="both deliveries delivered",
    )
    assert shown["status"] == "delivered" and shown["direction"] == "outbound"
    assert [h["status"] for h in shown["history"]] == ["submitted", "delivered"]
    assert all(d["log"][0]["status"] == 200 for d in shown["deliveries"])
    listed = chat.rest.get("/_ringway/messages").json()["_embedded"]["messages"]
    assert [m["message_uuid"] for m in listed] == [uuid]


# -- the outbox ----------------------------------------------------------------------------


def test_a_503_is_retried_and_then_delivered(chat: Messaging) -> None:
    chat.recipient(USER, delivered_after=0)
    chat.hooks.answer("/status", Reply(status=503), Reply(status=200))
    uuid = chat.send().json()["message_uuid"]
    assert [s["status"] for s in chat.statuses(uuid, 3)][:2] == ["submitted", "submitted"]
    first = eventually(
        lambda: [d for d in chat.deliveries(state="delivered") if len(d["log"]) == 2],
        what="a delivery with two attempts",
    )[0]
    assert [a["status"] for a in first["log"]] == [503, 200]
    assert first["body"]["status"] == "submitted"


def test_a_receiver_down_for_several_retries_gets_everything_in_order(chat: Messaging) -> None:
    chat.recipient(USER, delivered_after=0)
    chat.hooks.answer("/status", *[Reply(status=502)] * 4, Reply(status=200))
    uuid = chat.send().json()["message_uuid"]
    statuses = chat.statuses(uuid, 6)
    assert [s["status"] for s in statuses] == ["submitted"] * 5 + ["delivered"]


def test_other_4xx_is_final_and_a_delivery_can_be_replayed(chat: Messaging) -> None:
    chat.recipient(USER, behaviour="rejected", delivered_after=0)
    chat.hooks.answer("/status", Reply(status=404), Reply(status=200))
    uuid = chat.send().json()["message_uuid"]
    failed = eventually(lambda: chat.deliveries(state="failed"), what="a failed delivery")[0]
    assert failed["attempts"] == 1 and failed["outcome"] == "http-404"
    chat.statuses(uuid, 2)  # the next one of the message still went out
    replayed = chat.rest.post(f"/_ringway/deliveries/{failed['id']}/retry")
    assert replayed.status_code == 202
    again = eventually(
        lambda: (
            (d := chat.rest.get(f"/_ringway/deliveries/{failed['id']}").json())["state"]
            == "delivered"
            and d
        ),
        what="the replayed delivery",
    )
    assert [a["status"] for a in again["log"]] == [404, 200]
    assert chat.rest.post("/_ringway/deliveries/nope/retry").status_code == 404


@pytest.fixture
def impatient(settings: Settings, hooks: Receiver) -> Iterator[Messaging]:
    """Retries every 0.1 s, and gives up after a second."""
    settings.delivery_retries = "0.1"
    settings.delivery_give_up = 1.0
    for server in run_server(settings):
        yield from messaging(server, hooks)


def test_a_delivery_is_given_up_after_the_give_up_time(impatient: Messaging) -> None:
    impatient.hooks.answer("/status", Reply(status=503))
    impatient.send(webhook_url=impatient.hooks.url + "/status")
    gone = eventually(
        lambda: len(d := impatient.deliveries(state="failed")) == 2 and d, what="both given up"
    )
    assert 2 <= gone[-1]["attempts"] <= 12  # submitted: tried until the time was up
    assert {d["outcome"] for d in gone} == {"http-503"}


def test_the_python_client_sends_and_reads_back(chat: Messaging) -> None:
    chat.recipient(USER, delivered_after=0)
    with Client(chat.server.url, chat.account.api_key, chat.account.api_secret) as ringway:
        uuid = ringway.messages.send(channel="sms", message_type="text", to=USER,
                                     **{"from": chat.number}, text="Hi",
                                     webhook_url=chat.hooks.url + "/client")  # fmt: skip
        chat.statuses(uuid, 2, path="/client")
        assert ringway.messages.get(uuid)["status"] == "delivered"
        assert ringway.recipients.get(USER)["delivered_after"] == 0
        assert ringway.deliveries.list(state="delivered")["count"] == 2
        assert ringway.deliveries.list(kind="message-status")["count"] == 2
        assert ringway.deliveries.list(kind="message-inbound")["count"] == 0
    one = chat.rest.get("/_ringway/deliveries", params={"kind": "message-status", "page_size": 1})
    next_page = one.json()["_links"]["next"]["href"]
    assert next_page == "/_ringway/deliveries?page_size=1&record_index=1&kind=message-status"
    last = chat.rest.get(next_page).json()
    assert last["record_index"] == 1 and last["_embedded"]["deliveries"][0]["kind"] == (
        "message-status") and "next" not in last["_links"]  # fmt: skip
    refused = chat.rest.get("/_ringway/deliveries", params={"kind": "sms"})
    assert refused.status_code == 400
    assert refused.json()["invalid_parameters"][0]["name"] == "kind"


def test_a_slow_receiver_holds_up_no_other_delivery(chat: Messaging) -> None:
    chat.recipient(USER, delivered_after=5)  # only "submitted" within the test
    chat.hooks.answer("/slow", Reply(delay=2.0))
    slow = chat.send(webhook_url=chat.hooks.url + "/slow").json()["message_uuid"]
    eventually(lambda: chat.hooks.on("/slow"), what="the slow receiver's request")
    quick = chat.send(webhook_url=chat.hooks.url + "/quick").json()["message_uuid"]
    chat.statuses(quick, 1, path="/quick")
    first = [d for d in chat.deliveries() if d["subject"] == slow
             and d["body"]["status"] == "submitted"]  # fmt: skip
    assert first[0]["attempts"] == 0  # the slow receiver is still answering it


def test_an_answer_with_a_nul_byte_is_logged_without_it(chat: Messaging) -> None:
    chat.recipient(USER, delivered_after=0)
    chat.hooks.answer("/status", Reply(body=b"ok\x00done"))
    uuid = chat.send().json()["message_uuid"]
    chat.statuses(uuid, 2)
    logs = eventually(lambda: len(d := chat.deliveries(state="delivered")) == 2 and d,
                      what="both delivered")  # fmt: skip
    assert {d["log"][0]["response"] for d in logs} == {"okdone"}
