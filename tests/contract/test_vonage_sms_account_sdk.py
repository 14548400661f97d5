"""The official ``vonage`` Python SDK's Sms and Account clients, unchanged, against a live
ringway over TLS: sending with the key and secret or signed (every HMAC method, as the SDK
signs), the receipts that follow, the balance, the default SMS webhooks, and API secrets."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from dataclasses import dataclass

import orjson
import pytest
from vonage import Auth, HttpClientOptions, Vonage
from vonage_account.errors import InvalidSecretError
from vonage_http_client.errors import HttpRequestError
from vonage_sms import SmsMessage
from vonage_sms.errors import SmsError

from ringway.services.accounts import Credentials
from tests.conftest import LiveServer, eventually
from tests.receivers import Receiver

USER = "447700900321"


@dataclass
class Sdk:
    server: LiveServer
    credentials: Credentials
    options: HttpClientOptions

    def client(self, **auth: str) -> Vonage:
        return Vonage(Auth(api_key=self.credentials.api_key, **auth), self.options)


@pytest.fixture
def sdk(tls_server: LiveServer) -> Iterator[Sdk]:
    host = f"127.0.0.1:{tls_server.port}"
    yield Sdk(tls_server, tls_server.account(), HttpClientOptions(api_host=host, rest_host=host))
    gc.collect()  # free the SDK's kept-alive TLS connections, which a stopping server waits for


def test_the_sdk_sends_with_key_and_secret_and_the_receipt_arrives(
    sdk: Sdk, hooks: Receiver
) -> None:
    vonage = sdk.client(api_secret=sdk.credentials.api_secret)
    sent = vonage.sms.send(SmsMessage(to=USER, from_="Ringway", text="Hello from the SDK",
                                      client_ref="sdk-1", callback=hooks.url + "/dlr"))  # fmt: skip
    assert sent.message_count == "1"
    (message,) = sent.messages
    assert message.status == "0" and message.client_ref == "sdk-1"
    assert message.remaining_balance == "9.99430000" and message.message_price == "0.00570000"
    (receipt,) = eventually(lambda: hooks.on("/dlr"), what="the receipt")
    body = orjson.loads(receipt.body)
    assert body["messageId"] == message.message_id and body["status"] == "delivered"
    long = vonage.sms.send(SmsMessage(to=USER, from_="Ringway", text="x" * 200, type="text"))
    assert long.message_count == "2" and len({m.message_id for m in long.messages}) == 2


@pytest.mark.parametrize("method", ["md5", "sha1", "sha256", "sha512"])
def test_the_sdk_signs_with_each_method_and_is_accepted(sdk: Sdk, method: str) -> None:
    secret = sdk.server.platform.accounts.get(sdk.credentials.api_key).signature_secret
    vonage = sdk.client(signature_secret=secret, signature_method=method)
    sent = vonage.sms.send(SmsMessage(to=USER, from_="Ringway", text="Signed & sealed = yes"))
    assert sent.messages[0].status == "0"
    wrong = sdk.client(signature_secret="not-the-secret-at-all", signature_method=method)
    with pytest.raises(SmsError, match="error code 14: Invalid Signature"):
        wrong.sms.send(SmsMessage(to=USER, from_="Ringway", text="Hi"))


def test_a_refused_send_raises_the_sdks_error(sdk: Sdk) -> None:
    vonage = sdk.client(api_secret="wrong-secret")
    with pytest.raises(SmsError, match="error code 4: Bad Credentials"):
        vonage.sms.send(SmsMessage(to=USER, from_="Ringway", text="Hi"))


def test_the_account_client_reads_the_balance_and_sets_the_sms_webhooks(sdk: Sdk) -> None:
    account = sdk.client(api_secret=sdk.credentials.api_secret).account
    balance = account.get_balance()
    assert balance.value == 10.0 and balance.auto_reload is False
    settings = account.update_default_sms_webhook(
        mo_callback_url="https://localhost:3000/mo", dr_callback_url="https://localhost:3000/dr"
    )
    assert settings.mo_callback_url == "https://localhost:3000/mo"
    assert settings.dr_callback_url == "https://localhost:3000/dr"
    assert settings.max_calls_per_second == 30
    unset = account.update_default_sms_webhook(mo_callback_url="")
    assert unset.mo_callback_url == "" and unset.dr_callback_url == "https://localhost:3000/dr"


def test_the_account_client_manages_secrets(sdk: Sdk) -> None:
    account = sdk.client(api_secret=sdk.credentials.api_secret).account
    (first,) = account.list_secrets()
    second = account.create_secret("Rotated2Secret")
    assert {s.id for s in account.list_secrets()} == {first.id, second.id}
    assert account.get_secret(second.id) == second
    with pytest.raises(HttpRequestError):
        account.create_secret("Another3Secret")  # two at most
    with pytest.raises(InvalidSecretError):
        account.create_secret("weak")
    account.revoke_secret(first.id)
    rotated = sdk.client(api_secret="Rotated2Secret").account
    assert [s.id for s in rotated.list_secrets()] == [second.id]
    with pytest.raises(HttpRequestError):
        rotated.revoke_secret(second.id)  # the last one stays
