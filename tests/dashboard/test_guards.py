"""The dashboard over HTTP: destructive actions ask first, unknown pages are HTML 404s, the
create form's webhook methods are the API's defaults, and times read one way, in UTC."""

from __future__ import annotations

import re

import httpx
import pytest

from ringway.services.accounts import Credentials
from tests.conftest import LiveServer
from tests.dashboard.conftest import Browser

VOICE = {"voice": {"webhooks": {"answer_url": {"address": "http://localhost:3000/answer"}}}}
TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"


def confirmation(page: httpx.Response, action: str, button: str) -> None:
    """A page asking before a destructive form: its form posts to ``action`` with a red
    ``button``, and a link leads back without acting."""
    assert page.status_code == 200
    assert f'<form method="post" action="{action}"' in page.text
    assert f'<button type="submit" class="danger">{button}</button>' in page.text
    assert "Keep it and go back</a>" in page.text


def test_destructive_actions_ask_first_and_a_get_changes_nothing(
    signed_in: Browser, server: LiveServer, account: Credentials
) -> None:
    with server.client(account) as api:
        app = api.post("/v2/applications", json={"name": "Desk", "capabilities": VOICE}).json()
        number = {"country": "GB", "msisdn": "447700900123"}
        assert signed_in.post("/numbers/buy", number).status_code == 303
        app_page = signed_in.get(f"/applications/{app['id']}").text
        numbers_page = signed_in.get("/numbers").text
        account_page = signed_in.get("/account").text
        for shown, href in (
            (app_page, f"/applications/{app['id']}/key-pair"),
            (app_page, f"/applications/{app['id']}/delete"),
            (numbers_page, "/numbers/cancel?country=GB&amp;msisdn=447700900123"),
            (account_page, "/account/rotate-secret"),
        ):  # each is a red link to its confirmation page, not a form that acts at once
            assert re.search(rf'<a class="button danger" href="{re.escape(href)}"', shown), href
        confirmation(signed_in.get(f"/applications/{app['id']}/key-pair"),
                     f"/applications/{app['id']}/key-pair", "Generate a new key pair")  # fmt: skip
        confirmation(signed_in.get(f"/applications/{app['id']}/delete"),
                     f"/applications/{app['id']}/delete", "Delete application")  # fmt: skip
        cancel = signed_in.get("/numbers/cancel", params=number)
        confirmation(cancel, "/numbers/cancel", "Cancel number")
        assert '<input type="hidden" name="msisdn" value="447700900123">' in cancel.text
        confirmation(signed_in.get("/account/rotate-secret"), "/account/rotate-secret",
                     "Rotate API secret")  # fmt: skip
        # Nothing happened: the key, the number, the application and the secret are as they were.
        stored = api.get(f"/v2/applications/{app['id']}").json()
        assert stored["keys"]["public_key"] == app["keys"]["public_key"]
        assert api.get("/account/numbers").json()["count"] == 1
        assert signed_in.get("/applications").status_code == 200  # the session still holds
        # Confirming acts.
        assert signed_in.post("/numbers/cancel", number).status_code == 303
        assert api.get("/account/numbers").json()["count"] == 0


def test_the_create_form_offers_each_webhooks_default_method(signed_in: Browser) -> None:
    page = signed_in.get("/applications/new").text
    for hook, method in (("voice-webhooks-answer_url", "GET"),
                         ("voice-webhooks-fallback_answer_url", "GET"),
                         ("voice-webhooks-event_url", "POST"),
                         ("rtc-webhooks-event_url", "POST")):  # fmt: skip
        select = page.split(f'id="capabilities-{hook}-http_method"')[1].split("</select>")[0]
        assert f'<option value="{method}" selected>' in select, hook


@pytest.mark.parametrize("path", ["/nothing-here", "/applications/x/y/z", "/account/elsewhere"])
def test_an_unknown_page_is_an_html_404_for_a_browser(browser: Browser, path: str) -> None:
    page = browser.get(path, headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>Page not found</h1>" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_a_signed_in_404_keeps_the_navigation(signed_in: Browser) -> None:
    page = signed_in.get("/nothing-here", headers={"Accept": "text/html"})
    assert page.status_code == 404 and 'aria-label="Main"' in page.text


@pytest.mark.parametrize("path", ["/v2/nothing", "/_ringway/nothing", "/account/numbers/x"])
def test_an_unknown_api_path_stays_a_problem_even_for_a_browser(
    browser: Browser, path: str
) -> None:
    page = browser.get(path, headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.status_code == 404
    assert "json" in page.headers["content-type"]


def test_times_read_one_way_in_utc(
    signed_in: Browser, server: LiveServer, account: Credentials
) -> None:
    """The dashboard shows ``2026-11-27 18:00:00 UTC``; ringway's own JSON views show the
    wire's ``2026-11-27T18:00:00.000Z``, deliveries as calls and messages."""
    with server.client(account) as api:
        assert signed_in.post("/numbers/buy", {"country": "GB", "msisdn": "447700900123"})
        app = api.post("/v2/applications", json={"name": "Desk", "capabilities": {"messages": {
            "webhooks": {"inbound_url": {"address": server.url + "/nowhere"},
                         "status_url": {"address": server.url + "/nowhere"}}}}}).json()  # fmt: skip
        number = {"country": "GB", "msisdn": "447700900123", "app_id": app["id"]}
        assert signed_in.post("/numbers/link", number).status_code == 303
        sent = {"channel": "sms", "from": "447700900999", "to": "447700900123", "text": "Hi"}
        assert signed_in.post("/messages", sent).status_code == 303
        delivery = api.get("/_ringway/deliveries").json()["_embedded"]["deliveries"][0]
        wire = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
        assert re.fullmatch(wire, delivery["created_at"])
        for attempt in delivery["log"]:
            assert re.fullmatch(wire, attempt["at"])
    for path in ("/messages", "/deliveries"):
        page = re.sub(r"<pre>.*?</pre>", "", signed_in.get(path).text, flags=re.S)  # bodies sent
        text = re.sub(r"<[^>]*>", "", page)  # what the page shows
        assert re.search(TIME, text), path
        assert not re.search(r"\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)", text), path
