"""WhatsApp reactions and ``PATCH /v1/messages/{uuid}`` (wire-contract-wave2 §4) against a live
server and a real receiver: reacting and unreacting, a simulated recipient's reactions on the
inbound URL, marking an inbound WhatsApp message read and revoking an RCS message."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from vonage_jwt import JwtClient

from tests.api.test_messages import MESSAGES_ERRORS, USER, Messaging, messaging
from tests.conftest import LiveServer, eventually
from tests.receivers import Receiver

TARGET = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"


@pytest.fixture
def chat(server: LiveServer, hooks: Receiver) -> Iterator[Messaging]:
    yield from messaging(server, hooks)


def reaction(chat: Messaging, **reaction: Any) -> dict[str, Any]:
    return {"channel": "whatsapp", "message_type": "reaction", "to": USER, "from": chat.number,
            "reaction": reaction, "context": {"message_uuid": TARGET}}  # fmt: skip


def patch(chat: Messaging, uuid: str, body: Any, expect: int) -> httpx.Response:
    token = JwtClient(chat.app_id, chat.private_key).generate_application_jwt().decode()
    with chat.server.client() as client:
        response = client.patch(f"/v1/messages/{uuid}", json=body,
                                headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert response.status_code == expect, response.text
    return response


def inbound(chat: Messaging, **message: Any) -> str:
    """A simulated inbound message from USER to the application's number; its UUID."""
    body = {"channel": "whatsapp", "from": USER, "to": chat.number, "text": "Hi", **message}
    response = chat.rest.post("/_ringway/messages", json=body)
    assert response.status_code == 201, response.text
    uuid: str = response.json()["message_uuid"]
    return uuid


def shown(chat: Messaging, uuid: str) -> dict[str, Any]:
    found: dict[str, Any] = chat.rest.get(f"/_ringway/messages/{uuid}").json()
    return found


# -- reactions -----------------------------------------------------------------------------


def test_a_reaction_is_sent_and_reported_like_any_message(chat: Messaging) -> None:
    chat.recipient(USER, delivered_after=0)
    uuid = chat.send(**reaction(chat, action="react", emoji="👍")).json()["message_uuid"]
    assert [s["status"] for s in chat.statuses(uuid, 2)] == ["submitted", "delivered"]
    record = shown(chat, uuid)
    assert record["message_type"] == "reaction"
    assert record["reaction"] == {"action": "react", "emoji": "👍"}
    assert record["context"] == {"message_uuid": TARGET}
    undone = chat.send(**reaction(chat, action="unreact")).json()["message_uuid"]
    assert shown(chat, undone)["reaction"] == {"action": "unreact"}


@pytest.mark.parametrize(
    ("change", "code", "name"),
    [
        ({"reaction": {"action": "react"}}, 1150, "reaction.emoji"),
        ({"reaction": {"action": "love", "emoji": "❤"}}, 1150, "reaction.action"),
        ({"reaction": "👍"}, 1150, "reaction"),
        ({"context": None}, 1150, "context.message_uuid"),
        ({"context": {"message_uuid": ""}}, 1150, "context.message_uuid"),
        ({"channel": "sms"}, 1140, None),
    ],
)
def test_a_bad_reaction_gets_the_real_problem(
    chat: Messaging, change: dict[str, Any], code: int, name: str | None
) -> None:
    body = {**reaction(chat, action="react", emoji="👍"), **change}
    problem = chat.send(422, **{k: v for k, v in body.items() if v is not None}).json()
    assert problem["type"] == f"{MESSAGES_ERRORS}#{code}"
    if name is not None:
        assert problem["invalid_parameters"][0]["name"] == name


def test_a_recipient_with_a_reaction_reacts_on_the_inbound_url(chat: Messaging) -> None:
    chat.recipient(USER, delivered_after=0, reaction="🎉", react_after=0)
    sent = chat.send(channel="whatsapp", text="Your order shipped").json()["message_uuid"]
    (arrived,) = eventually(lambda: chat.hooks.on("/inbound"), what="the reaction")
    body = orjson.loads(arrived.body)
    assert body["message_type"] == "reaction" and body["channel"] == "whatsapp"
    assert body["reaction"] == {"action": "react", "emoji": "🎉"}
    assert body["context"] == {"message_uuid": sent, "message_from": chat.number}
    assert body["from"] == USER and body["to"] == chat.number
    assert body["context_status"] == "available" and body["message_uuid"] != sent
    assert shown(chat, body["message_uuid"])["direction"] == "inbound"
    chat.send(text="An SMS gets no reaction")  # nor does a message on another channel
    chat.statuses(chat.send(channel="whatsapp", **{"message_type": "reaction"},
                            reaction={"action": "unreact"},
                            context={"message_uuid": sent}).json()["message_uuid"], 2)  # fmt: skip
    time.sleep(0.3)
    assert len(chat.hooks.on("/inbound")) == 1


def test_a_simulated_inbound_reaction_reaches_the_inbound_url(chat: Messaging) -> None:
    uuid = inbound(chat, message_type="reaction", reaction={"action": "react", "emoji": "❤"},
                   context={"message_uuid": TARGET})  # fmt: skip
    (arrived,) = eventually(lambda: chat.hooks.on("/inbound"), what="the reaction")
    body = orjson.loads(arrived.body)
    assert body["message_uuid"] == uuid and body["message_type"] == "reaction"
    assert body["reaction"] == {"action": "react", "emoji": "❤"}
    assert body["context"] == {"message_uuid": TARGET}


# -- PATCH /v1/messages/{uuid} -------------------------------------------------------------


def test_an_inbound_whatsapp_message_is_marked_read(chat: Messaging) -> None:
    uuid = inbound(chat)
    eventually(lambda: chat.hooks.on("/inbound"), what="the inbound message")
    indicator = {"show": True, "type": "text"}
    answer = patch(chat, uuid, {"status": "read", "replying_indicator": indicator}, 202)
    assert answer.content == b""
    record = shown(chat, uuid)
    assert record["status"] == "read"
    assert [h["status"] for h in record["history"]] == ["received", "read"]
    patch(chat, uuid, {"status": "read"}, 202)  # again: nothing changes
    assert [h["status"] for h in shown(chat, uuid)["history"]] == ["received", "read"]
    assert not chat.hooks.on("/status")  # a read receipt goes to the user, not the status URL


def test_an_rcs_message_is_revoked_before_delivery_and_its_statuses_stop(
    chat: Messaging,
) -> None:
    chat.recipient(USER, delivered_after=1)
    uuid = chat.send(channel="rcs", text="Offer ends soon").json()["message_uuid"]
    chat.statuses(uuid, 1)
    patch(chat, uuid, {"status": "revoked"}, 202)
    record = shown(chat, uuid)
    assert [h["status"] for h in record["history"]] == ["submitted", "revoked"]
    assert [d["body"]["status"] for d in record["deliveries"]] == ["submitted"]
    time.sleep(1.3)  # past when it would have been delivered
    assert [orjson.loads(r.body)["status"] for r in chat.hooks.on("/status")] == ["submitted"]
    again = patch(chat, uuid, {"status": "revoked"}, 422).json()
    assert again["type"] == f"{MESSAGES_ERRORS}#1320"


def test_a_delivered_rcs_message_can_no_longer_be_revoked(chat: Messaging) -> None:
    chat.recipient(USER, delivered_after=0)
    uuid = chat.send(channel="rcs", text="Hi").json()["message_uuid"]
    chat.statuses(uuid, 2)
    problem = patch(chat, uuid, {"status": "revoked"}, 422).json()
    assert problem["type"] == f"{MESSAGES_ERRORS}#1320" and "delivered" in problem["detail"]
    assert shown(chat, uuid)["status"] == "delivered"


def test_other_updates_get_the_platforms_errors(chat: Messaging) -> None:
    chat.recipient(USER, delivered_after=0)
    sms_in = inbound(chat, channel="sms")
    whatsapp_out = chat.send(channel="whatsapp").json()["message_uuid"]
    whatsapp_in = inbound(chat)
    cases = [
        (sms_in, {"status": "read"}, 422, "#1100"),  # read: WhatsApp only
        (whatsapp_out, {"status": "revoked"}, 422, "#1100"),  # revoked: RCS only
        (whatsapp_out, {"status": "read"}, 422, "#1150"),  # read: inbound messages only
        (whatsapp_in, {"status": "deleted"}, 422, "#1150"),
        (whatsapp_in, ["read"], 422, "#1150"),
        (whatsapp_in, {"status": "read", "replying_indicator": {"show": "yes"}}, 422, "#1150"),
    ]
    for uuid, body, status, anchor in cases:
        assert patch(chat, uuid, body, status).json()["type"].endswith(anchor), body
    assert patch(chat, TARGET, {"status": "read"}, 404).json()["title"] == "Not Found"
    with chat.server.client() as anonymous:
        assert anonymous.patch(f"/v1/messages/{whatsapp_in}", json={"status": "read"}) \
            .status_code == 401  # fmt: skip
    assert shown(chat, whatsapp_in)["status"] == "received"
