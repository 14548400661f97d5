"""The SMS API against a live server and a real receiver: credentials every way the SDKs send
them, signatures of every method (computed here from the published algorithm), the legacy
answer in JSON and XML, parts and their charges, delivery receipts decided by simulated
recipients, inbound SMS to ``moHttpUrl`` or the account's ``moCallBackUrl``, and bad input
answered in the legacy shape."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import orjson
import pytest

from ringway.services.accounts import Credentials
from tests.conftest import LiveServer, eventually
from tests.receivers import Receiver

USER = "447700900123"


@dataclass
class Texting:
    server: LiveServer
    account: Credentials
    rest: httpx.Client
    hooks: Receiver

    def send(self, auth: bool = True, **params: Any) -> dict[str, Any]:
        """``POST /sms/json`` as a form, with the key and secret in it unless told not to."""
        form = {"from": "Ringway", "to": USER, "text": "Hello", **params}
        if auth:
            form |= {"api_key": self.account.api_key, "api_secret": self.account.api_secret}
        with self.server.client() as anonymous:
            response = anonymous.post("/sms/json", data=form)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def receipts(self, count: int, path: str = "/dlr") -> list[dict[str, Any]]:
        def arrived() -> list[dict[str, Any]] | None:
            found = [orjson.loads(r.body) for r in self.hooks.on(path)]
            return found if len(found) >= count else None

        return eventually(arrived, what=f"{count} webhooks on {path}")

    def balance(self) -> float:
        value: float = self.rest.get("/account/get-balance").json()["value"]
        return value


@pytest.fixture
def texting(server: LiveServer, hooks: Receiver) -> Iterator[Texting]:
    account = server.account()
    with server.client(account) as rest:
        yield Texting(server, account, rest, hooks)


def sign(params: dict[str, str], secret: str, method: str) -> str:
    """The published algorithm: sorted ``&key=value`` (``&`` and ``=`` in values made ``_``),
    then MD5 of it with the secret appended, or an HMAC keyed with the secret."""
    text = "".join(
        f"&{key}={value.replace('&', '_').replace('=', '_')}"
        for key, value in sorted(params.items())
    )
    if method == "md5hash":
        return hashlib.md5((text + secret).encode()).hexdigest()
    return hmac.new(secret.encode(), text.encode(), method).hexdigest()


# -- sending -------------------------------------------------------------------------------


def test_a_send_answers_the_legacy_shape_and_the_receipt_reaches_the_callback(
    texting: Texting,
) -> None:
    answer = texting.send(callback=texting.hooks.url + "/dlr", **{"client-ref": "order-7"})
    assert answer["message-count"] == "1"
    (message,) = answer["messages"]
    assert message["status"] == "0" and message["to"] == USER
    assert message["message-price"] == "0.00570000"
    assert message["remaining-balance"] == "9.99430000"
    assert message["network"] == "00101" and message["client-ref"] == "order-7"
    (receipt,) = texting.receipts(1)
    assert receipt["messageId"] == message["message-id"]
    assert receipt["msisdn"] == USER and receipt["to"] == "Ringway"
    assert receipt["status"] == "delivered" and receipt["err-code"] == "0"
    assert receipt["api-key"] == texting.account.api_key
    assert receipt["client-ref"] == "order-7" and receipt["price"] == "0.00570000"
    assert len(receipt["scts"]) == 10 and len(receipt["message-timestamp"]) == 19
    assert "sig" not in receipt  # the account does not sign
    assert all(isinstance(value, str) for value in receipt.values())
    assert texting.balance() == pytest.approx(9.9943)


@pytest.mark.parametrize("how", ["query", "form", "json", "basic"])
def test_credentials_are_taken_from_anywhere_the_sdks_put_them(texting: Texting, how: str) -> None:
    message = {"from": "Ringway", "to": USER, "text": "Hi"}
    keys = {"api_key": texting.account.api_key, "api_secret": texting.account.api_secret}
    with texting.server.client() as client:
        if how == "query":
            response = client.post("/sms/json", params=keys, data=message)
        elif how == "form":
            response = client.post("/sms/json", data={**message, **keys})
        elif how == "json":
            response = client.post("/sms/json", json={**message, **keys})
        else:
            auth = (texting.account.api_key, texting.account.api_secret)
            response = client.post("/sms/json", data=message, auth=auth)
    assert response.json()["messages"][0]["status"] == "0", response.text


@pytest.mark.parametrize(
    ("params", "status", "text"),
    [
        ({"api_secret": "wrong-secret"}, "4", "Bad Credentials"),
        ({"to": ""}, "2", "Missing Parameters: to"),
        ({"text": ""}, "2", "Missing Parameters: text"),
        ({"to": "12ab"}, "3", "Invalid Parameters"),
        ({"type": "morse"}, "3", "Invalid Parameters"),
        ({"from": "A sender name too long"}, "15", "Illegal Sender Address"),
        ({"ttl": "5"}, "16", "Invalid TTL"),
        ({"ttl": "٣٣٣٣٣"}, "16", "Invalid TTL"),
        ({"callback": "ftp://localhost/dlr"}, "23", "Invalid Callback Url"),
        ({"text": "x" * 3201}, "12", "Message too long"),
        ({"status-report-req": "maybe"}, "3", "Invalid Parameters"),
        ({"client-ref": "r" * 101}, "3", "Invalid Parameters"),
        ({"sig": "0" * 32}, "32", "Signature and api secret disallowed"),
    ],
)
def test_bad_sends_get_a_status_and_its_text_never_a_500(
    texting: Texting, params: dict[str, str], status: str, text: str
) -> None:
    keys = {"api_key": texting.account.api_key, "api_secret": texting.account.api_secret}
    answer = texting.send(auth=False, **{**keys, **params})
    (message,) = answer["messages"]
    assert message["status"] == status and message["error-text"].startswith(text)
    assert texting.balance() == 10.0  # nothing was charged


def test_no_credentials_at_all_is_missing_api_key(texting: Texting) -> None:
    (message,) = texting.send(auth=False)["messages"]
    assert message == {"status": "2", "error-text": "Missing Parameters: api_key"}


def test_a_malformed_json_body_is_a_legacy_error(texting: Texting) -> None:
    with texting.server.client() as client:
        response = client.post("/sms/json", content=b"{not json",
                               headers={"Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 200
    assert response.json()["messages"][0]["status"] == "3"


def test_the_xml_endpoint_answers_in_xml(texting: Texting) -> None:
    keys = {"api_key": texting.account.api_key, "api_secret": texting.account.api_secret}
    with texting.server.client() as client:
        good = client.post("/sms/xml", data={"from": "Ringway", "to": USER, "text": "Hi", **keys})
        bad = client.post("/sms/xml", data={"from": "Ringway", "to": USER, "text": "Hi"})
    assert good.status_code == 200 and good.headers["content-type"].startswith("text/xml")
    assert '<messages count="1"><message><to>447700900123</to><messageId>' in good.text
    assert "<status>0</status><remainingBalance>9.99430000</remainingBalance>" in good.text
    assert "<status>2</status><error-text>Missing Parameters: api_key</error-text>" in bad.text


def test_long_and_unicode_texts_are_split_each_part_charged_and_reported(
    texting: Texting,
) -> None:
    callback = texting.hooks.url + "/dlr"
    long = texting.send(text="a" * 160 + "b", callback=callback)
    assert long["message-count"] == "2"
    unicode = texting.send(text="☕" * 71, callback=callback)
    assert unicode["message-count"] == "2"
    short_unicode = texting.send(text="☕" * 70)
    assert short_unicode["message-count"] == "1"
    extended = texting.send(text="{" * 81)  # two septets each: 162 of 160
    assert extended["message-count"] == "2"
    ids = [m["message-id"] for m in long["messages"] + unicode["messages"]]
    assert len(set(ids)) == 4
    balances = [m["remaining-balance"] for m in long["messages"]]
    assert balances == ["9.99430000", "9.98860000"]
    receipts = texting.receipts(4)
    assert sorted(r["messageId"] for r in receipts) == sorted(ids)
    assert texting.balance() == pytest.approx(10 - 7 * 0.0057)
    logged = texting.rest.get(f"/_ringway/messages/{ids[0]}").json()
    assert logged["api"] == "sms" and logged["text"] == "a" * 153
    assert logged["part"] == 1 and logged["parts"] == 2


def test_the_recipient_decides_the_receipt_and_the_account_url_is_the_default(
    texting: Texting,
) -> None:
    url = texting.hooks.url + "/account-dlr"
    settings = texting.rest.post("/account/settings", data={"drCallBackUrl": url})
    assert settings.json()["dr-callback-url"] == url
    texting.rest.put(f"/_ringway/recipients/{USER}", json={"behaviour": "rejected"})
    texting.rest.put("/_ringway/recipients/447700900124", json={"behaviour": "undeliverable"})
    texting.send()
    texting.send(to="447700900124")
    texting.send(to="447700900125", **{"status-report-req": "false"})
    receipts = texting.receipts(2, "/account-dlr")
    outcomes = {r["msisdn"]: (r["status"], r["err-code"]) for r in receipts}
    assert outcomes == {USER: ("rejected", "9"), "447700900124": ("failed", "12")}
    time.sleep(0.7)
    assert len(texting.hooks.on("/account-dlr")) == 2  # none for the third


def test_an_empty_balance_refuses_the_send(texting: Texting) -> None:
    platform = texting.server.platform
    platform.accounts.top_up(texting.account.api_key, Decimal("-9.995"))
    (message,) = texting.send()["messages"]
    assert message["status"] == "9" and message["error-text"] == "Quota Exceeded - rejected"
    assert texting.balance() == pytest.approx(0.005)


# -- signatures ----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["md5hash", "md5", "sha1", "sha256", "sha512"])
def test_a_signed_send_is_accepted_with_every_method(texting: Texting, method: str) -> None:
    secret = texting.server.platform.accounts.get(texting.account.api_key).signature_secret
    params = {"api_key": texting.account.api_key, "from": "Ringway", "to": USER,
              "text": "a&b=c", "timestamp": str(int(time.time()))}  # fmt: skip
    params["sig"] = sign(params, secret, method)
    with texting.server.client() as client:
        good = client.post("/sms/json", data=params).json()["messages"][0]
        bad = client.post("/sms/json", data={**params, "text": "changed"}).json()["messages"][0]
        stale = {**params, "timestamp": str(int(time.time()) - 3600)}
        stale["sig"] = sign({k: v for k, v in stale.items() if k != "sig"}, secret, method)
        old = client.post("/sms/json", data=stale).json()["messages"][0]
    assert good["status"] == "0", good
    assert bad == {"status": "14", "error-text": "Invalid Signature"}
    assert old["status"] == "14"
    unknown = {**params, "api_key": "unknown0"}
    unknown["sig"] = sign({k: v for k, v in unknown.items() if k != "sig"}, secret, method)
    with texting.server.client() as client:
        nobody = client.post("/sms/json", data=unknown).json()["messages"][0]
    assert nobody["status"] == "14"


def test_receipts_are_signed_when_the_account_signs(texting: Texting) -> None:
    platform = texting.server.platform
    account = platform.accounts.get(texting.account.api_key)
    platform.accounts.set_sms_settings(account.id, sms_signature_method="sha256")
    texting.send(callback=texting.hooks.url + "/dlr")
    (receipt,) = texting.receipts(1)
    given = receipt.pop("sig")
    assert given == sign(receipt, account.signature_secret, "sha256")
    assert receipt["nonce"] and abs(int(receipt["timestamp"]) - time.time()) < 60


# -- inbound -------------------------------------------------------------------------------


def bought(texting: Texting, **routing: str) -> str:
    found = texting.rest.get("/number/search", params={"country": "GB", "pattern": "4477009"})
    msisdn: str = found.json()["numbers"][0]["msisdn"]
    number = {"country": "GB", "msisdn": msisdn}
    assert texting.rest.post("/number/buy", data=number).status_code == 200
    assert texting.rest.post("/number/update", data={**number, **routing}).status_code == 200
    return msisdn


def test_inbound_sms_goes_to_the_numbers_mo_http_url(texting: Texting) -> None:
    number = bought(texting, moHttpUrl=texting.hooks.url + "/mo")
    inbound = {"channel": "sms", "from": USER, "to": number, "text": "stop sending"}
    response = texting.rest.post("/_ringway/messages", json=inbound)
    assert response.status_code == 201, response.text
    (body,) = texting.receipts(1, "/mo")
    assert body["messageId"] == response.json()["message_uuid"]
    assert body["msisdn"] == USER and body["to"] == number and body["type"] == "text"
    assert body["text"] == "stop sending" and body["keyword"] == "STOP"
    assert body["api-key"] == texting.account.api_key and "concat" not in body


def test_inbound_sms_falls_back_to_the_account_url_in_parts_signed(texting: Texting) -> None:
    platform = texting.server.platform
    account = platform.accounts.get(texting.account.api_key)
    platform.accounts.set_sms_settings(account.id, sms_signature_method="md5hash")
    texting.rest.post("/account/settings", data={"moCallbackUrl": texting.hooks.url + "/mo"})
    number = bought(texting)
    inbound = {"channel": "sms", "from": USER, "to": number, "text": "☕" * 100}
    assert texting.rest.post("/_ringway/messages", json=inbound).status_code == 201
    parts = sorted(texting.receipts(2, "/mo"), key=lambda b: b["concat-part"])
    assert [p["concat-part"] for p in parts] == ["1", "2"]
    assert {p["concat-total"] for p in parts} == {"2"} and parts[0]["type"] == "unicode"
    assert parts[0]["concat-ref"] == parts[1]["concat-ref"] and parts[0]["concat"] == "true"
    assert "".join(p["text"] for p in parts) == "☕" * 100
    for part in parts:
        given = part.pop("sig")
        assert given == sign(part, account.signature_secret, "md5hash")


def test_api_sms_forces_the_sms_api_and_nowhere_to_go_is_a_422(texting: Texting) -> None:
    number = bought(texting)
    inbound = {"channel": "sms", "from": USER, "to": number, "text": "Hi"}
    refused = texting.rest.post("/_ringway/messages", json={**inbound, "api": "sms"})
    assert refused.status_code == 422 and "moHttpUrl" in refused.json()["detail"]
    wrong = texting.rest.post("/_ringway/messages", json={**inbound, "api": "fax"})
    assert wrong.status_code == 422
