"""The official ``vonage`` Python SDK's Messages client, unchanged, against a live ringway over
TLS: it sends on each channel with an application's JWT, and the application's status URL gets
each message's statuses, signed."""

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
from vonage_http_client.errors import AuthenticationError
from vonage_jwt.verify_jwt import verify_signature
from vonage_messages import (
    MessengerText,
    Sms,
    ViberText,
    WhatsappImage,
    WhatsappImageResource,
    WhatsappTemplate,
    WhatsappTemplateResource,
    WhatsappTemplateSettings,
)
from vonage_messages.models.base_message import BaseMessage

from ringway.security.keys import generate_key_pair
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
    chat = Sdk(made.client, made.app_id, secret)
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
