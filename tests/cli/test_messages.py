"""``ringway messages``, ``ringway recipients`` and ``ringway deliveries`` against a live
server whose messages webhooks reach a real receiver."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest

from ringway.services.accounts import Credentials
from tests.api.test_messages import buy_number, messages_app
from tests.conftest import LiveServer, eventually
from tests.receivers import Receiver, Reply

USER = "447700900123"


@pytest.fixture
def number(server: LiveServer, account: Credentials, hooks: Receiver) -> str:
    """A number of the account, linked to a messages application whose webhooks reach hooks."""
    with server.client(account) as rest:
        app = messages_app(rest, hooks.url)
        return buy_number(rest, app["id"])


def test_simulate_then_list_and_show(cli: Any, number: str, hooks: Receiver) -> None:
    out = cli("messages", "simulate", "--from", USER, "--to", number, "--text", "Hi", "--json")
    uuid = json.loads(out.output)["message_uuid"]
    (inbound,) = eventually(lambda: hooks.on("/inbound"), what="the inbound message")
    assert orjson.loads(inbound.body)["text"] == "Hi"
    image = cli("messages", "simulate", "--channel", "whatsapp", "--from", USER, "--to", number,
                "--type", "image", "--media-url", "http://localhost:3000/cat.jpg")  # fmt: skip
    assert "queued for the inbound URL" in image.output
    listed = json.loads(cli("messages", "list", "--json").output)
    assert [m["channel"] for m in listed] == ["whatsapp", "sms"]
    shown = eventually(
        lambda: (
            (m := json.loads(cli("messages", "show", uuid, "--json").output))["deliveries"][0][
                "state"
            ]
            == "delivered"
            and m
        ),
        what="the delivery delivered",
    )
    assert shown["direction"] == "inbound" and shown["text"] == "Hi"
    table = cli("messages", "show", uuid).output
    assert "inbound" in table and " ok " in table  # the attempt, with its outcome


def test_simulate_refuses_an_unlinked_number(cli: Any) -> None:
    result = cli("messages", "simulate", "--from", USER, "--to", "447700900999", "--text", "x",
                 expect=1)  # fmt: skip
    assert "inbound_url" in result.output


def test_recipients_set_list_reset(cli: Any) -> None:
    cli("recipients", "set", USER, "--behaviour", "read", "--read-after", "7")
    listed = json.loads(cli("recipients", "list", "--json").output)
    assert listed["recipients"][USER] == {"behaviour": "read", "delivered_after": 0.5,
                                          "read_after": 7.0}  # fmt: skip
    assert "(any other)" in cli("recipients", "list").output
    cli("recipients", "reset", USER)
    assert json.loads(cli("recipients", "list", "--json").output)["recipients"] == {}
    assert cli("recipients", "reset", USER, expect=1)


def test_deliveries_list_failed_and_retry(cli: Any, number: str, hooks: Receiver) -> None:
    hooks.answer("/inbound", Reply(status=400), Reply(status=200))
    cli("messages", "simulate", "--from", USER, "--to", number, "--text", "Hi")
    failed = eventually(
        lambda: json.loads(cli("deliveries", "list", "--failed", "--json").output),
        what="a failed delivery",
    )
    assert failed[0]["outcome"] == "http-400"
    assert "http-400" in cli("deliveries", "list").output
    inbound = json.loads(cli("deliveries", "list", "--kind", "message-inbound", "--json").output)
    assert [d["id"] for d in inbound] == [failed[0]["id"]]
    assert json.loads(cli("deliveries", "list", "--kind", "rtc", "--json").output) == []
    cli("deliveries", "retry", failed[0]["id"])
    eventually(
        lambda: json.loads(cli("deliveries", "list", "--json").output)[0]["state"] == "delivered",
        what="the replay",
    )
    assert len(hooks.on("/inbound")) == 2


def test_simulate_with_api_sms_goes_to_the_mo_http_url(
    cli: Any, server: LiveServer, account: Credentials, hooks: Receiver, number: str
) -> None:
    with server.client(account) as rest:
        routing = {"country": "GB", "msisdn": number, "moHttpUrl": hooks.url + "/mo"}
        assert rest.post("/number/update", data=routing).status_code == 200
    out = cli("messages", "simulate", "--api", "sms", "--from", USER, "--to", number,
              "--text", "Hi there")  # fmt: skip
    assert "queued for the moHttpUrl" in out.output
    (inbound,) = eventually(lambda: hooks.on("/mo"), what="the inbound SMS")
    body = orjson.loads(inbound.body)
    assert body["text"] == "Hi there" and body["keyword"] == "HI" and body["to"] == number
    assert not hooks.on("/inbound")
