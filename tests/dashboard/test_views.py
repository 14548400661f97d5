"""The dashboard's views of what happened, over HTTP on both databases: the overview, the
simulated phones and recipients, users and conversations, an application's numbers and calls,
a call's application, and deliveries with their time and what they report."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
from vonage_jwt import JwtClient

from ringway.services.accounts import Credentials
from tests.conftest import LiveServer, eventually
from tests.dashboard.conftest import Browser
from tests.receivers import Receiver, Reply

NUMBER = {"country": "GB", "msisdn": "447700900123"}
TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"


def text(page: httpx.Response) -> str:
    """What a page shows, tags dropped and spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", page.text)).split())


def linked_app(signed_in: Browser, api: httpx.Client, hooks: Receiver) -> dict[str, Any]:
    """An application with voice, messages and rtc webhooks on ``hooks``, with the number
    ``NUMBER`` bought and linked to it through the dashboard."""
    hook = {name: {"address": f"{hooks.url}/{name}"} for name in ("answer_url", "event_url")}
    app: dict[str, Any] = api.post("/v2/applications", json={"name": "Desk", "capabilities": {
        "voice": {"webhooks": hook},
        "messages": {"webhooks": {"inbound_url": {"address": hooks.url + "/inbound"},
                                  "status_url": {"address": hooks.url + "/status"}}},
        "rtc": {"webhooks": {"event_url": {"address": hooks.url + "/rtc"}}}}}).json()  # fmt: skip
    assert signed_in.post("/numbers/buy", NUMBER).status_code == 303
    assert signed_in.post("/numbers/link", {**NUMBER, "app_id": app["id"]}).status_code == 303
    return app


def finished_call(api: httpx.Client) -> str:
    call = api.post("/_ringway/calls", json={"from": "447700900999", "to": NUMBER["msisdn"]})
    assert call.status_code == 201, call.text
    uuid: str = call.json()["uuid"]
    eventually(lambda: api.get(f"/_ringway/calls/{uuid}").json()["status"] == "completed",
               what="the end of the call")  # fmt: skip
    return uuid


def test_the_overview_counts_what_the_account_has_and_did_today(
    signed_in: Browser, api: httpx.Client, hooks: Receiver
) -> None:
    empty = text(signed_in.get("/"))
    assert "0 applications" in empty and "creating an application" in empty
    linked_app(signed_in, api, hooks)
    finished_call(api)
    recipient = {"behaviour": "rejected", "delivered_after": 0}
    assert api.put("/_ringway/recipients/447700900555", json=recipient).status_code == 200
    sent = api.post("/v1/messages", json={"channel": "sms", "message_type": "text",
                                         "to": "447700900555", "from": NUMBER["msisdn"],
                                         "text": "Your order shipped"})  # fmt: skip
    assert sent.status_code == 202, sent.text
    inbound = {"channel": "sms", "from": "447700900999", "to": NUMBER["msisdn"], "text": "Hi"}
    assert signed_in.post("/messages", inbound).status_code == 303

    def counted() -> str | None:
        shown = text(signed_in.get("/"))
        return shown if "1 rejected or undeliverable" in shown else None

    shown = eventually(counted, what="the rejected message")
    assert "1 application" in shown and "1 number" in shown
    assert "1 call today 0 failed or did not connect" in shown
    assert "2 messages today" in shown
    assert re.search(r"\d+ deliver(y|ies) pending", shown)
    assert re.search(f"Today is counted from {TIME}", shown)


def test_phones_and_recipients_are_set_listed_and_reset(
    signed_in: Browser, api: httpx.Client
) -> None:
    refused = signed_in.post("/phones", {"address": "447700900777", "behaviour": "busy",
                                         "answer_after": "soon"})  # fmt: skip
    assert "Answer after must be a number" in text(refused)
    assert api.get("/_ringway/phones").json()["phones"] == {}
    phone = {"address": "447700900777", "behaviour": "busy", "answer_after": "2",
             "dtmf": "12#\n3", "speech": "yes please", "hangup_after": "",
             "says": "2: Hello there\n4.5: Bye"}  # fmt: skip
    assert signed_in.post("/phones", phone).status_code == 303
    stored = api.get("/_ringway/phones/447700900777").json()
    assert stored["behaviour"] == "busy" and stored["answer_after"] == 2
    assert stored["says"] == [{"text": "Hello there", "at": 2.0, "language": "en-US"},
                              {"text": "Bye", "at": 4.5, "language": "en-US"}]  # fmt: skip
    assert stored["dtmf"] == ["12#", "3"] and stored["hangup_after"] is None
    listed = text(signed_in.get("/phones"))
    assert "1 phone set up" in listed, listed
    assert "447700900777 busy 2.0 12#, 3 yes please 2 s: Hello there; 4.5 s: Bye never" in listed
    assert signed_in.post("/phones/reset", {"address": "447700900777"}).status_code == 303
    assert api.get("/_ringway/phones").json()["phones"] == {}

    recipient = {"address": "447700900555", "behaviour": "undeliverable",
                 "delivered_after": "1.5", "read_after": ""}  # fmt: skip
    assert signed_in.post("/recipients", recipient).status_code == 303
    stored = api.get("/_ringway/recipients/447700900555").json()
    assert stored == {"behaviour": "undeliverable", "delivered_after": 1.5, "read_after": 2.0,
                      "channels": {}, "reaction": None, "react_after": 1.0}  # fmt: skip
    assert "447700900555 undeliverable 1.5 2.0" in text(signed_in.get("/recipients"))
    assert signed_in.post("/recipients/reset", {"address": "447700900555"}).status_code == 303
    assert "None set up" in text(signed_in.get("/recipients"))


def test_users_and_conversations_of_an_application(
    signed_in: Browser, server: LiveServer, api: httpx.Client, hooks: Receiver
) -> None:
    app = linked_app(signed_in, api, hooks)
    token = JwtClient(app["id"], app["keys"]["private_key"]).generate_application_jwt().decode()
    bearer = {"Authorization": f"Bearer {token}"}
    with server.client() as rtc:
        user = rtc.post("/v1/users", json={"name": "alice", "display_name": "Alice"},
                        headers=bearer).json()  # fmt: skip
        conversation = rtc.post("/v1/conversations", json={"name": "support"},
                                headers=bearer).json()  # fmt: skip
        cid = conversation["id"]
        joining = {"state": "joined", "user": {"id": user["id"]}, "channel": {"type": "app"}}
        member = rtc.post(f"/v1/conversations/{cid}/members", json=joining,
                          headers=bearer).json()  # fmt: skip
        event = {"type": "custom:greeting", "from": member["id"], "body": {"text": "hello"}}
        assert rtc.post(f"/v1/conversations/{cid}/events", json=event,
                        headers=bearer).status_code == 201  # fmt: skip
        for index in range(20):
            rtc.post("/v1/users", json={"name": f"user{index}"}, headers=bearer)
    users = signed_in.get("/users")  # the first application with rtc is chosen
    assert "Page 1" in text(users) and 'rel="next"' in users.text
    assert f"alice Alice {user['id']}" in text(signed_in.get("/users?page=2"))  # the oldest
    listed = signed_in.get("/conversations", params={"application": app["id"]})
    assert f'href="/applications/{app["id"]}/conversations/{cid}"' in listed.text
    shown = text(signed_in.get(f"/applications/{app['id']}/conversations/{cid}"))
    assert f"alice JOINED app {member['id']}" in shown
    assert "custom:greeting" in shown and '{"text": "hello"}' in shown
    assert re.search(TIME, shown)
    other = signed_in.get(f"/applications/{app['id']}/conversations/CON-nothing")
    assert other.status_code == 404


def test_an_application_lists_its_numbers_and_calls_and_a_call_names_it(
    signed_in: Browser, api: httpx.Client, hooks: Receiver
) -> None:
    hooks.answer("/answer_url", Reply(body=[{"action": "talk", "text": "Hello"}]))
    app = linked_app(signed_in, api, hooks)
    uuid = finished_call(api)
    page = signed_in.get(f"/applications/{app['id']}")
    assert f"{NUMBER['msisdn']} (GB, mobile-lvn)" in text(page)
    assert f'<a href="/calls/{uuid}">' in page.text
    call = signed_in.get(f"/calls/{uuid}")
    assert f'application <a href="/applications/{app["id"]}">Desk</a>' in call.text
    assert re.search(f"started {TIME}", text(call))


def test_deliveries_show_their_time_and_link_to_their_message_and_page(
    signed_in: Browser, api: httpx.Client, hooks: Receiver, account: Credentials
) -> None:
    linked_app(signed_in, api, hooks)
    for index in range(21):
        inbound = {"channel": "sms", "from": "447700900999", "to": NUMBER["msisdn"],
                   "text": f"Message {index}"}  # fmt: skip
        assert signed_in.post("/messages", inbound).status_code == 303
    first = signed_in.get("/deliveries")
    assert "Page 1 of 2" in text(first)
    assert re.search(rf"<time [^>]*>{TIME}</time>", first.text)
    uuid = api.get("/_ringway/messages").json()["_embedded"]["messages"][0]["message_uuid"]
    assert f'<a href="/messages/{uuid}">Message' in first.text
    message = text(signed_in.get(f"/messages/{uuid}"))
    assert "Message 20" in message and "message-inbound" in message
    assert len(re.findall('class="delivery"', signed_in.get("/deliveries?page=2").text)) == 1
