"""``ringway messages``, ``ringway recipients`` and ``ringway deliveries`` against a live
server whose messages webhooks reach a real receiver."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest

from ringway.services.accounts import Credentials
from tests.api.test_messages import buy_number, messages_app
from tests.conftest import LiveServer, eventually, free_port
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
    message = json.loads(out.stdout)
    uuid = message["message_uuid"]
    assert (message["outcome"], message["failed"]) == ("delivered to inbound_url", False)
    (inbound,) = hooks.on("/inbound")  # waited for
    assert orjson.loads(inbound.body)["text"] == "Hi"
    image = cli("messages", "simulate", "--channel", "whatsapp", "--from", USER, "--to", number,
                "--type", "image", "--media-url", "http://localhost:3000/cat.jpg")  # fmt: skip
    assert image.stdout.splitlines()[-1].endswith(" delivered to inbound_url")
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
                                          "read_after": 7.0, "channels": {}, "reaction": None,
                                          "react_after": 1.0}  # fmt: skip
    cli("recipients", "set", USER, "--channel", "rcs=undeliverable", "--channel", "sms=rejected",
        "--reaction", "👍", "--react-after", "0")  # fmt: skip
    listed = json.loads(cli("recipients", "list", "--json").output)
    channels = {"rcs": "undeliverable", "sms": "rejected"}
    assert listed["recipients"][USER] == {"behaviour": "delivered", "delivered_after": 0.5,
                                          "read_after": 2.0, "reaction": "👍", "react_after": 0.0,
                                          "channels": channels}  # fmt: skip
    assert "CHANNEL=BEHAVIOUR" in cli("recipients", "set", USER, "--channel", "rcs",
                                      expect=2).output  # fmt: skip
    assert "channels" in cli("recipients", "set", USER, "--channel", "fax=rejected",
                             expect=1).output  # fmt: skip
    assert "(any other)" in cli("recipients", "list").output
    cli("recipients", "reset", USER)
    assert json.loads(cli("recipients", "list", "--json").output)["recipients"] == {}
    assert cli("recipients", "reset", USER, expect=1)


def test_deliveries_list_failed_and_retry(cli: Any, number: str, hooks: Receiver) -> None:
    hooks.answer("/inbound", Reply(status=400), Reply(status=200))
    said = cli("messages", "simulate", "--from", USER, "--to", number, "--text", "Hi", expect=1)
    assert said.stdout.splitlines()[-1].endswith(" failed: inbound_url answered 400")
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


def test_send_then_show_it_and_its_deliveries_by_the_start_of_their_ids(
    cli: Any, number: str, hooks: Receiver
) -> None:
    sent = cli("messages", "send", "--from", number, "--to", USER, "--text", "Your code is 1234",
               "--client-ref", "order-7", "--webhook-url", f"{hooks.url}/status",
               "--json").output  # fmt: skip
    uuid = json.loads(sent)["message_uuid"]
    statuses = eventually(lambda: [orjson.loads(r.body) for r in hooks.on("/status")],
                          what="a status webhook")  # fmt: skip
    assert statuses[0]["message_uuid"] == uuid and statuses[0]["client_ref"] == "order-7"
    said = cli("messages", "send", "--from", number, "--to", USER, "--text", "Again").output
    again = said.split()[1]
    assert said == f"Message {again} sent (ringway messages show {again[:8]} follows it)\n"
    shown = json.loads(cli("messages", "show", uuid[:8], "--json").output)
    assert shown["message_uuid"] == uuid and shown["text"] == "Your code is 1234"
    delivery = shown["deliveries"][0]
    table = cli("deliveries", "show", delivery["id"][:6]).output
    assert delivery["id"] in table and delivery["url"] in table and "ok" in table
    assert json.loads(cli("deliveries", "show", delivery["id"][-8:], "--json").output) == (
        json.loads(cli("deliveries", "show", delivery["id"], "--json").output)
    )


def test_a_start_that_fits_several_ids_is_an_error_naming_them(
    cli: Any, number: str, server: LiveServer, account: Credentials
) -> None:
    with server.client(account) as rest:
        for n in range(17):  # two of 17 uuids share their first character
            message = {"channel": "sms", "from": USER, "to": number, "text": f"Hi {n}"}
            assert rest.post("/_ringway/messages", json=message).status_code == 201
    uuids = [m["message_uuid"] for m in json.loads(cli("messages", "list", "--page-size", "20",
                                                       "--json").output)]  # fmt: skip
    shared = next(u[0] for u in uuids if sum(v[0] == u[0] for v in uuids) > 1)
    fits = sorted(u for u in uuids if u.startswith(shared) or u.endswith(shared))
    error = cli("messages", "show", shared, expect=1).output
    assert error.startswith(f"Error: '{shared}' fits {len(fits)} message ids (")
    assert error.endswith("; give more of it\n") and len(error.splitlines()) == 1
    assert (
        "no message id starts or ends with 'nothing'"
        in cli("messages", "show", "nothing", expect=1).output
    )


def test_simulate_no_wait_and_a_retried_failure(
    cli: Any, server: LiveServer, account: Credentials
) -> None:
    with server.client(account) as rest:
        app = messages_app(rest, f"http://127.0.0.1:{free_port()}")
        number = buy_number(rest, app["id"])
    queued = cli("messages", "simulate", "--from", USER, "--to", number, "--text", "Hi",
                 "--no-wait", "--json")  # fmt: skip
    assert json.loads(queued.stdout)["outcome"] is None  # returned at once, exit 0
    said = cli("messages", "simulate", "--from", USER, "--to", number, "--text", "Hi", expect=1)
    assert said.stdout.splitlines()[-1].endswith(
        " failing: inbound_url unreachable (connection refused); ringway tries again"
    )
    failed = json.loads(cli("messages", "list", "--failed", "--json").stdout)
    assert len(failed) >= 1 and all(m["failed"] for m in failed)


def test_simulate_with_api_sms_goes_to_the_mo_http_url(
    cli: Any, server: LiveServer, account: Credentials, hooks: Receiver, number: str
) -> None:
    with server.client(account) as rest:
        routing = {"country": "GB", "msisdn": number, "moHttpUrl": hooks.url + "/mo"}
        assert rest.post("/number/update", data=routing).status_code == 200
    out = cli("messages", "simulate", "--api", "sms", "--from", USER, "--to", number,
              "--text", "Hi there")  # fmt: skip
    assert out.output.splitlines()[-1].endswith(" delivered to the inbound SMS URL")
    (inbound,) = eventually(lambda: hooks.on("/mo"), what="the inbound SMS")
    body = orjson.loads(inbound.body)
    assert body["text"] == "Hi there" and body["keyword"] == "HI" and body["to"] == number
    assert not hooks.on("/inbound")
