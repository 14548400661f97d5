"""The official ``vonage`` Python SDK's Messages client, unchanged, against a live ringway over
TLS: it sends on each channel with an application's JWT, and the application's status URL gets
each message's statuses, signed; it sends with failover, marks an inbound WhatsApp message read
and revokes an RCS message."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from vonage import Auth, HttpClientOptions, Vonage
from vonage_application import (
    ApplicationUrl,
    Capabilities,
    Messages,
    MessagesWebhooks,
)
from vonage_http_client.errors import AuthenticationError, HttpRequestError
from vonage_jwt.verify_jwt import verify_signature
from vonage_messages import (
    MessengerText,
    RcsText,
    Sms,
    ViberText,
    WhatsappImage,
    WhatsappImageResource,
    WhatsappTemplate,
    WhatsappTemplateResource,
    WhatsappTemplateSettings,
    WhatsappText,
)
from vonage_messages.models.base_message import BaseMessage

from ringway.security.keys import generate_key_pair
from ringway.services.accounts import Credentials
from tests.api.test_messages import buy_number
from tests.conftest import LiveServer, eventually
from tests.contract.conftest import sdk_app
from tests.receivers import Receiver

USER = "447700900321"
SENDER = "447700900000"


@dataclass
class Sdk:
    """The SDK as a messages application of a fresh account; the account's signature secret."""

    client: Vonage
    app_id: str
    secret: str
    credentials: Credentials

    def close(self) -> None:
        """Free the SDK's kept-alive TLS connection, which a stopping server waits for."""
        del self.client
        gc.collect()


@pytest.fixture
def sdk(tls_server: LiveServer, hooks: Receiver) -> Iterator[Sdk]:
    webhooks = MessagesWebhooks(
        inbound_url=ApplicationUrl(address=hooks.url + "/inbound", http_method="POST"),
        status_url=ApplicationUrl(address=hooks.url + "/status", http_method="POST"),
    )
    made = sdk_app(tls_server, "sdk chat",
                   Capabilities(messages=Messages(webhooks=webhooks, version="v1")))  # fmt: skip
    credentials = made.credentials
    secret = tls_server.platform.accounts.get(credentials.api_key).signature_secret
    with tls_server.client(credentials) as rest:
        rest.put(f"/_ringway/recipients/{USER}", json={"behaviour": "read", "delivered_after": 0,
                                                       "read_after": 0})  # fmt: skip
    chat = Sdk(made.client, made.app_id, secret, credentials)
    del made
    yield chat
    chat.close()


MESSAGES: list[tuple[BaseMessage, list[str]]] = [
    (Sms(to=USER, from_=SENDER, text="Hello from the SDK"), ["submitted", "delivered"]),
    (WhatsappImage(to=USER, from_=SENDER, image=WhatsappImageResource(
        url="http://localhost:3000/cat.jpg", caption="A cat")),
     ["submitted", "delivered", "read"]),
    (WhatsappTemplate(to=USER, from_=SENDER, template=WhatsappTemplateResource(
        name="verify", parameters=["1234"]), whatsapp=WhatsappTemplateSettings(locale="en_GB")),
     ["submitted", "delivered", "read"]),
    (MessengerText(to="user-1", from_="page-1", text="Hi"), ["submitted", "delivered"]),
    (ViberText(to=USER, from_="ringway", text="Hi"), ["submitted", "delivered", "read"]),
]  # fmt: skip


@pytest.mark.parametrize(("message", "expected"), MESSAGES)
def test_the_sdk_sends_and_the_status_url_hears_back(
    sdk: Sdk, hooks: Receiver, message: BaseMessage, expected: list[str]
) -> None:
    uuid = sdk.client.messages.send(message).message_uuid

    def statuses() -> list[dict[str, Any]] | None:
        found = [(r, orjson.loads(r.body)) for r in hooks.on("/status")]
        mine = [(r, body) for r, body in found if body["message_uuid"] == uuid]
        return mine if len(mine) == len(expected) else None

    arrived = eventually(statuses, what=f"the statuses of {uuid}")
    assert [body["status"] for _, body in arrived] == expected
    for request, body in arrived:
        assert body["channel"] == message.channel and body["to"] == message.to
        token = request.headers["Authorization"].removeprefix("Bearer ")
        assert verify_signature(token, sdk.secret)


def test_a_token_of_another_key_is_refused(tls_server: LiveServer, sdk: Sdk) -> None:
    app_id = sdk.app_id
    host = f"127.0.0.1:{tls_server.port}"
    stranger = Vonage(Auth(application_id=app_id, private_key=generate_key_pair().private_pem),
                      HttpClientOptions(api_host=host, rest_host=host))  # fmt: skip
    with pytest.raises(AuthenticationError):
        stranger.messages.send(Sms(to=USER, from_=SENDER, text="Hi"))
    del stranger
    gc.collect()


def _statuses(hooks: Receiver, count: int, **match: str) -> list[dict[str, Any]]:
    """The statuses whose fields (or ``workflow`` fields) have the values of ``match``."""

    def arrived() -> list[dict[str, Any]] | None:
        bodies = [orjson.loads(r.body) for r in hooks.on("/status")]
        mine = [b for b in bodies if all(b.get(k) == v or b.get("workflow", {}).get(k) == v
                                         for k, v in match.items())]  # fmt: skip
        return mine if len(mine) >= count else None

    return eventually(arrived, what=f"{count} statuses of {match}")


def test_the_sdk_sends_with_failover_and_gets_the_workflow(
    tls_server: LiveServer, sdk: Sdk, hooks: Receiver
) -> None:
    with tls_server.client(sdk.credentials) as rest:
        failing = {"delivered_after": 0, "channels": {"rcs": "rejected"}}
        rest.put(f"/_ringway/recipients/{USER}", json=failing)
    rcs = RcsText(to=USER, from_="Ringway", text="Your code: 1234")
    sent = sdk.client.messages.send(rcs, failover=[Sms(to=USER, from_=SENDER, text="Code: 1234")])
    assert sent.workflow_id
    statuses = _statuses(hooks, 4, id=sent.workflow_id)
    assert [(s["channel"], s["status"]) for s in statuses] == [
        ("rcs", "submitted"),
        ("rcs", "rejected"),
        ("sms", "submitted"),
        ("sms", "delivered"),
    ]
    assert statuses[0]["message_uuid"] == sent.message_uuid
    assert statuses[-1]["workflow"]["item_number"] == "2"


def test_the_sdk_marks_an_inbound_whatsapp_message_read(tls_server: LiveServer, sdk: Sdk) -> None:
    with tls_server.client(sdk.credentials) as rest:
        number = buy_number(rest, sdk.app_id)
        question = {"channel": "whatsapp", "from": USER, "to": number, "text": "In stock?"}
        simulated = rest.post("/_ringway/messages", json=question)
        uuid = simulated.json()["message_uuid"]
        sdk.client.messages.mark_whatsapp_message_read(uuid)
        assert rest.get(f"/_ringway/messages/{uuid}").json()["status"] == "read"


def test_the_sdk_revokes_an_rcs_message_before_delivery(tls_server: LiveServer, sdk: Sdk) -> None:
    with tls_server.client(sdk.credentials) as rest:
        rest.put(f"/_ringway/recipients/{USER}", json={"delivered_after": 30})
        uuid = sdk.client.messages.send(RcsText(to=USER, from_="Ringway", text="Hi")).message_uuid
        sdk.client.messages.revoke_rcs_message(uuid)
        record = rest.get(f"/_ringway/messages/{uuid}").json()
    assert [h["status"] for h in record["history"]] == ["submitted", "revoked"]
    assert [d["body"]["status"] for d in record["deliveries"]] == ["submitted"]
    with pytest.raises(HttpRequestError) as refused:
        sdk.client.messages.revoke_rcs_message(uuid)
    assert refused.value.response.status_code == 422
    # WhatsappText: a channel revoking does not apply to.
    other = sdk.client.messages.send(WhatsappText(to=USER, from_=SENDER, text="Hi")).message_uuid
    with pytest.raises(HttpRequestError):
        sdk.client.messages.revoke_rcs_message(other)
