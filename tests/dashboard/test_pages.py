"""The dashboard over HTTP, on both databases: sessions, CSRF, the API's wording beside each
field, edits that keep what the form does not show, keys, search and paging, numbers."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from ringway.config import Settings
from ringway.services.accounts import Credentials
from tests.api.test_messages import buy_number, messages_app
from tests.conftest import LiveServer, eventually, run_server
from tests.dashboard.conftest import Browser
from tests.receivers import Receiver, Reply

VOICE = {"voice": {"webhooks": {"answer_url": {"address": "http://localhost:3000/answer"}}}}


def note(page: httpx.Response, field: str) -> str:
    """The error shown beside a form field."""
    found = re.search(rf'id="{re.escape(field.replace(".", "-"))}-note">([^<]*)<', page.text)
    assert found, f"no note beside {field}"
    return html.unescape(found.group(1))


def test_pages_send_a_browser_without_a_session_to_sign_in(browser: Browser) -> None:
    for path in (
        "/",
        "/applications",
        "/numbers",
        "/calls",
        "/account",
        "/calls/x/timeline.json",
        "/phones",
        "/recipients",
        "/users",
        "/conversations",
        "/messages/x",
    ):
        page = browser.get(path)
        assert page.status_code == 303
        assert page.headers["location"] == f"/sign-in?next={quote(path)}"


def test_signing_in_sets_a_signed_http_only_cookie_and_goes_only_to_local_pages(
    browser: Browser, account: Credentials, server: LiveServer
) -> None:
    wrong = browser.post("/sign-in", {"api_key": account.api_key, "api_secret": "wrong"})
    assert "Invalid credentials supplied" in wrong.text
    assert "ringway_session" not in browser.http.cookies
    signed = browser.post("/sign-in", {"api_key": account.api_key,
                                       "api_secret": account.api_secret,
                                       "next": "//example.invalid/steal"})  # fmt: skip
    assert signed.headers["location"] == "/"
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert account.api_secret not in cookie
    page = browser.get("/applications")
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    # A cookie signed for one account cannot be edited to name another, real, account's session.
    with httpx.Client(base_url=server.url) as client:
        assert Browser(client).sign_in(server.account()).status_code == 303
        theirs = client.cookies["ringway_session"].rpartition(".")[0]
    ours = browser.http.cookies["ringway_session"]
    browser.http.cookies.set("ringway_session", ours.replace(ours.rpartition(".")[0], theirs, 1))
    assert browser.get("/applications").status_code == 303


def test_every_form_needs_the_browsers_csrf_token(
    signed_in: Browser, server: LiveServer, account: Credentials
) -> None:
    form = {"name": "Forged", "capability.voice": "on"}
    forged = signed_in.http.post("/applications/new", data={**form, "csrf": "guess"})
    assert forged.status_code == 403
    assert "This form has expired" in forged.text
    assert signed_in.http.post("/applications/new", data=form).status_code == 403
    assert signed_in.http.post("/sign-out", data={}).status_code == 403
    with server.client(account) as api:
        assert api.get("/v2/applications").json()["total_items"] == 0


def test_a_form_sent_from_another_origin_is_refused(
    signed_in: Browser, server: LiveServer, account: Credentials
) -> None:
    with server.client(account) as api:
        app = api.post("/v2/applications", json={"name": "Kept"}).json()
        delete, form = f"/applications/{app['id']}/delete", {"csrf": signed_in.token()}
        other_port = f"http://127.0.0.1:{server.port + 1}"  # the same site, another origin
        for headers in (
            {"Origin": other_port},
            {"Origin": other_port, "Sec-Fetch-Site": "same-site"},
            {"Sec-Fetch-Site": "same-site"},
            {"Sec-Fetch-Site": "cross-site"},
            {"Origin": "null"},
            {"Origin": server.url.replace("http:", "https:")},
            {"Origin": server.url, "Sec-Fetch-Site": "same-site"},
        ):
            refused = signed_in.http.post(delete, data=form, headers=headers)
            assert refused.status_code == 403, headers
            assert "another origin" in refused.text
        assert api.get(f"/v2/applications/{app['id']}").status_code == 200
        own = {"Origin": server.url, "Sec-Fetch-Site": "same-origin"}
        assert signed_in.http.post(delete, data=form, headers=own).status_code == 303
        assert api.get(f"/v2/applications/{app['id']}").status_code == 404


def test_a_sign_in_form_from_another_origin_is_refused(
    server: LiveServer, account: Credentials
) -> None:
    with httpx.Client(base_url=server.url) as client:
        browser = Browser(client)
        form = {"csrf": browser.token(), "api_key": account.api_key,
                "api_secret": account.api_secret}  # fmt: skip
        other_port = {"Origin": f"http://127.0.0.1:{server.port + 1}"}
        assert client.post("/sign-in", data=form, headers=other_port).status_code == 403
        assert "ringway_session" not in client.cookies


def test_a_planted_csrf_cookie_with_its_value_in_the_form_is_refused(
    signed_in: Browser, server: LiveServer, account: Credentials
) -> None:
    with server.client(account) as api:
        app = api.post("/v2/applications", json={"name": "Kept"}).json()
        signed_in.http.cookies.set("ringway_csrf", "planted", domain="127.0.0.1")
        forged = signed_in.http.post(f"/applications/{app['id']}/delete", data={"csrf": "planted"})
        assert forged.status_code == 403
        assert "This form has expired" in forged.text
        assert api.get(f"/v2/applications/{app['id']}").status_code == 200


@pytest.fixture
def tls_server(settings: Settings) -> Iterator[LiveServer]:
    yield from run_server(settings, tls=True)


def test_over_tls_the_cookies_are_host_only_and_secure(tls_server: LiveServer) -> None:
    account = tls_server.account()
    with tls_server.client() as client:
        browser = Browser(client)
        signed = browser.sign_in(account)
        assert signed.status_code == 303
        cookies = signed.headers.get_list("set-cookie")
        assert any(cookie.startswith("__Host-ringway_session=") for cookie in cookies)
        for cookie in cookies:
            assert cookie.startswith("__Host-") and "; Secure" in cookie and "; Path=/" in cookie
            assert "Domain" not in cookie
        assert browser.get("/applications").status_code == 200
        assert browser.post("/sign-out").headers["location"] == "/sign-in"
        assert "__Host-ringway_session" not in client.cookies
        assert browser.get("/applications").status_code == 303


@pytest.fixture
def second_server(settings: Settings, server: LiveServer, tmp_path: Path) -> Iterator[LiveServer]:
    """Another server on the same database, as a second worker or node would be."""
    yield from run_server(settings.model_copy(update={"data_dir": tmp_path / "second"}))


def test_signing_out_ends_the_session_on_every_node(
    signed_in: Browser, server: LiveServer, second_server: LiveServer
) -> None:
    copied = {"ringway_session": signed_in.http.cookies["ringway_session"]}
    with (
        httpx.Client(base_url=server.url, cookies=copied) as here,
        httpx.Client(base_url=second_server.url, cookies=copied) as there,
    ):
        assert there.get("/applications").status_code == 200  # every node knows the session
        assert signed_in.post("/sign-out").headers["location"] == "/sign-in"
        for copy in (here, there):
            refused = copy.get("/applications")
            assert refused.status_code == 303
            assert refused.headers["location"] == "/sign-in?next=/applications"


def test_rotating_the_secret_ends_every_other_session(
    server: LiveServer, account: Credentials
) -> None:
    with httpx.Client(base_url=server.url) as first, httpx.Client(base_url=server.url) as second:
        one, two = Browser(first), Browser(second)
        assert one.sign_in(account).status_code == 303
        assert two.sign_in(account).status_code == 303
        rotated = one.post("/account/rotate-secret")
        secret = re.search(r'id="new-secret">([^<]+)<', rotated.text)
        assert secret and secret.group(1) != account.api_secret
        assert one.get("/account").status_code == 200
        assert two.get("/account").status_code == 303
        token = re.search(r'name="csrf" value="([^"]+)"', rotated.text)
        assert token and token.group(1) == one.token()  # the page's forms work in the new session
        with server.client() as api:
            assert api.get("/v2/applications", auth=(account.api_key, secret.group(1))).is_success


def test_a_refused_form_says_why_beside_each_field_in_sentences(
    signed_in: Browser, server: LiveServer, account: Credentials
) -> None:
    """The API's reasons (validator wording) read as sentences for people."""
    timeout = "capabilities.voice.webhooks.answer_url.connect_timeout"
    page = signed_in.post("/applications/new", {
        "name": "", "capability.voice": "on",
        "capabilities.voice.webhooks.answer_url.address": "http://localhost:3000/answer",
        "capabilities.voice.webhooks.event_url.address": "localhost:3000/event",
        "capabilities.voice.webhooks.event_url.socket_timeout": "soon",
        timeout: "50"})  # fmt: skip
    with server.client(account) as api:
        assert note(page, "name") == "Name must not be empty"
        assert note(page, timeout) == "Connect timeout must be at least 300"
        event = "capabilities.voice.webhooks.event_url"
        assert note(page, f"{event}.address") == "Address must be an http:// or https:// URL"
        assert note(page, f"{event}.socket_timeout") == "Socket timeout must be a whole number"
        summary = html.unescape(page.text.split('class="problems"')[1].split("</div>")[0])
        assert "<li>Voice answer URL: Connect timeout must be at least 300.</li>" in summary
        assert "<li>Name must not be empty.</li>" in summary
        assert not re.search(r"should|`|<code>|\^https", summary)
        assert 'aria-invalid="true"' in page.text
        assert 'value="50"' in page.text  # what was typed stays in the form
        assert api.get("/v2/applications").json()["total_items"] == 0


def test_an_edit_keeps_what_the_form_does_not_show(
    signed_in: Browser, server: LiveServer, account: Credentials
) -> None:
    body = {"name": "Kept", "privacy": {"improve_ai": False}, "capabilities": {
        "voice": {"webhooks": {
            "answer_url": {"address": "http://localhost:3000/answer", "http_method": "POST"},
            "fallback_answer_url": {"address": "http://localhost:3000/fallback"}},
            "signed_callbacks": True, "region": "eu-west", "leg_persistence_time": 3},
        "messages": {"webhooks": {"inbound_url": {"address": "http://localhost:3000/in"}}},
        "verify": {"webhooks": {"status_url": {"address": "http://localhost:3000/v"}}},
    }}  # fmt: skip
    with server.client(account) as api:
        app = api.post("/v2/applications", json=body).json()
        path = f"/applications/{app['id']}"
        edit = signed_in.get(path).text
        fields = dict(re.findall(r'name="([^"]+)" type="[a-z]+" value="([^"]*)"', edit))
        assert fields["capabilities.voice.webhooks.answer_url.address"] == (
            "http://localhost:3000/answer"
        )
        fields.update({"name": "Kept and edited", "capability.voice": "on",
                       "capabilities.voice.webhooks.fallback_answer_url.address": "",
                       "capabilities.voice.signed_callbacks": "false",
                       "capabilities.voice.webhooks.event_url.address":
                           "http://localhost:3000/event"})  # fmt: skip
        saved = signed_in.post(path, fields)  # messages unticked
        assert saved.status_code == 303
        stored = api.get(f"/v2/applications/{app['id']}").json()
    voice = stored["capabilities"]["voice"]
    assert stored["name"] == "Kept and edited"
    assert stored["privacy"] == {"improve_ai": False}
    assert voice["region"] == "eu-west" and voice["leg_persistence_time"] == 3
    assert voice["webhooks"]["answer_url"]["http_method"] == "POST"
    assert "fallback_answer_url" not in voice["webhooks"]
    assert voice["webhooks"]["event_url"]["address"] == "http://localhost:3000/event"
    assert voice["signed_callbacks"] is False
    assert "messages" not in stored["capabilities"]
    assert stored["capabilities"]["verify"] == body["capabilities"]["verify"]


def test_keys_a_new_pair_offered_once_or_an_uploaded_public_key(
    signed_in: Browser, server: LiveServer, account: Credentials
) -> None:
    with server.client(account) as api:
        app = api.post("/v2/applications", json={"name": "Keys", "capabilities": VOICE}).json()
        page = signed_in.post(f"/applications/{app['id']}/key-pair")
        link = re.search(r'href="data:application/x-pem-file;charset=utf-8,([^"]+)"', page.text)
        assert link
        private_key = serialization.load_pem_private_key(
            unquote(html.unescape(link.group(1))).encode(), password=None
        )
        public_pem = (
            private_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        stored = api.get(f"/v2/applications/{app['id']}").json()["keys"]["public_key"]
        assert stored.strip() == public_pem.strip() != app["keys"]["public_key"].strip()
        assert "data:application/x-pem-file" not in signed_in.get(f"/applications/{app['id']}").text

        bad = signed_in.post(f"/applications/{app['id']}/public-key", {"public_key": "nonsense"})
        assert note(bad, "public_key")
        own = {"public_key": app["keys"]["public_key"]}
        assert signed_in.post(f"/applications/{app['id']}/public-key", own).status_code == 303
        stored = api.get(f"/v2/applications/{app['id']}").json()["keys"]["public_key"]
        assert stored.strip() == app["keys"]["public_key"].strip()


def test_applications_search_by_name_and_page(
    signed_in: Browser, server: LiveServer, account: Credentials
) -> None:
    with server.client(account) as api:
        for index in range(23):
            api.post("/v2/applications", json={"name": f"Line {index:02d}"})
        api.post("/v2/applications", json={"name": "100% support"})
    first = signed_in.get("/applications").text
    assert "24 applications" in first and "Page 1 of 2" in first
    second = signed_in.get("/applications?page=2").text
    assert second.count('<td><a href="/applications/') == 4
    found = signed_in.get("/applications", params={"q": "0%"}).text
    assert "1 application matching" in found and "100% support" in found
    assert "Line 10" not in found  # "%" is matched as itself, not as a wildcard


def test_numbers_buy_link_unlink_and_cancel(
    signed_in: Browser, server: LiveServer, account: Credentials
) -> None:
    with server.client(account) as api:
        app = api.post("/v2/applications", json={"name": "Desk", "capabilities": VOICE}).json()
        number = {"country": "GB", "msisdn": "447700900123"}
        assert signed_in.post("/numbers/buy", number).status_code == 303
        assert signed_in.post("/numbers/link", {**number, "app_id": app["id"]}).status_code == 303
        owned = api.get("/account/numbers").json()["numbers"]
        assert owned[0]["app_id"] == app["id"]
        page = signed_in.get("/numbers").text
        assert f'<option value="{app["id"]}" selected>Desk</option>' in page
        assert signed_in.post("/numbers/link", {**number, "app_id": ""}).status_code == 303
        assert "app_id" not in api.get("/account/numbers").json()["numbers"][0]
        again = signed_in.post("/numbers/buy", number)
        assert "You already own 447700900123." in unquote(again.headers["set-cookie"])
        assert signed_in.post("/numbers/cancel", number).status_code == 303
        assert api.get("/account/numbers").json()["count"] == 0


def test_a_refused_call_or_message_says_why_beside_the_field(
    signed_in: Browser, server: LiveServer, account: Credentials
) -> None:
    assert signed_in.post("/numbers/buy", {"country": "GB", "msisdn": "447700900124"}).is_redirect
    call = {"from": "447700900999", "to": "447700900124"}
    page = signed_in.post("/calls", {**call, "speed": "0", "caller.hangup_after": "soon"})
    message = {"channel": "sms", "from": "447700900999", "to": "447700900124", "text": ""}
    sent = signed_in.post("/messages", message)
    with server.client(account) as api:
        assert note(page, "caller.hangup_after") == "Hang up after must be a number"
        page = signed_in.post("/calls", {**call, "speed": "0"})  # not linked to an application
        detail = api.post("/_ringway/calls", json=call).json()["detail"]
        assert note(page, "to") == detail[0].upper() + detail[1:]
        assert note(sent, "text").startswith("Text is required: 1 to ")
        assert api.get("/_ringway/calls").json()["count"] == 0


def test_a_notice_carries_any_name(
    signed_in: Browser, server: LiveServer, account: Credentials
) -> None:
    with server.client(account) as api:
        app = api.post("/v2/applications", json={"name": 'Café ☕ "quoted"; x=1'}).json()
    deleted = signed_in.post(f"/applications/{app['id']}/delete")
    assert deleted.status_code == 303
    page = html.unescape(signed_in.get(deleted.headers["location"]).text)
    assert 'Application Café ☕ "quoted"; x=1 deleted.' in page
    assert "ringway_notice" not in signed_in.http.cookies  # shown once


def test_the_callers_keys_and_hang_up_are_refused_saying_why(
    signed_in: Browser, server: LiveServer, account: Credentials
) -> None:
    uuid = "00000000-0000-4000-8000-000000000000"
    with server.client(account) as api:
        missing = api.post(f"/_ringway/calls/{uuid}/hangup").json()
    for path, form, reason in (
        ("dtmf", {"digits": "abc"}, "Keys may hold only digits, * and #"),
        ("hangup", {}, missing["detail"][0].upper() + missing["detail"][1:]),
    ):
        refused = signed_in.post(f"/calls/{uuid}/{path}", form)
        assert refused.headers["location"] == f"/calls/{uuid}"
        shown = html.unescape(signed_in.get("/applications").text)  # the notice shows once
        assert reason in shown


def test_past_calls_are_listed_twenty_to_a_page(
    signed_in: Browser, server: LiveServer, account: Credentials, hooks: Receiver
) -> None:
    hooks.answer("/answer", Reply(body=[{"action": "talk", "text": "Hi"}]))
    number = {"country": "GB", "msisdn": "447700900125"}
    with server.client(account) as api:
        app = api.post("/v2/applications", json={"name": "Pages", "capabilities": {"voice": {
            "webhooks": {"answer_url": {"address": hooks.url + "/answer"}}}}}).json()  # fmt: skip
        assert signed_in.post("/numbers/buy", number).is_redirect
        assert signed_in.post("/numbers/link", {**number, "app_id": app["id"]}).is_redirect
        for _ in range(21):
            call = {"from": "447700900999", "to": number["msisdn"], "speed": 0}
            assert api.post("/_ringway/calls", json=call).status_code == 201

    def listed() -> str | None:  # calls are stored a batch after they change
        page = signed_in.get("/calls").text
        return page if "21 calls, newest first" in page else None

    first = eventually(listed, what="all 21 calls")
    assert "Page 1 of 2" in first
    assert first.count('<td><a href="/calls/') == 20
    assert signed_in.get("/calls?page=2").text.count('<td><a href="/calls/') == 1


def test_number_search_refuses_in_the_domains_words(signed_in: Browser) -> None:
    page = signed_in.get("/numbers", params={"country": "Great Britain", "pattern": "77x"})
    assert note(page, "country") == "Invalid country 'Great Britain': use ISO 3166-1 alpha-2"
    assert note(page, "pattern") == "Invalid pattern '77x': use digits"
    assert "Numbers for sale" not in page.text
    found = signed_in.get("/numbers", params={"country": " gb ", "pattern": "7700900"}).text
    assert "Numbers for sale" in found and "447700900" in found


def test_the_application_form_states_the_apis_own_bounds(signed_in: Browser) -> None:
    page = signed_in.get("/applications/new")
    assert note(page, "capabilities.voice.webhooks.answer_url.connect_timeout") == (
        "300 to 1000; default 1000"
    )
    assert note(page, "capabilities.voice.webhooks.answer_url.socket_timeout") == (
        "1000 to 5000; default 5000"
    )
    assert note(page, "capabilities.voice.webhooks.event_url.socket_timeout") == (
        "1000 to 10000; default 10000"
    )
    assert note(page, "capabilities.voice.conversations_ttl") == "0 to 9000; default 48"
    assert '<option value="v0.1"' in page.text and '<option value="v1"' in page.text


def test_a_field_name_that_cannot_be_placed_is_a_form_error(
    signed_in: Browser, server: LiveServer, account: Credentials
) -> None:
    answer = "capabilities.voice.webhooks.answer_url.address"
    with server.client(account) as api:
        app = api.post("/v2/applications", json={"name": "Deep", "capabilities": VOICE}).json()
        for path, shown, form in (
            ("/applications/new", "Voice: Webhooks must be a group of fields.",
             {"name": "Clash", "capability.voice": "on", "capabilities.voice.webhooks": "x"}),
            (f"/applications/{app['id']}", "Voice answer URL: Deeper is not a field of this form.",
             {"name": "Deep", "capability.voice": "on", f"{answer}.deeper": "1"}),
            (f"/applications/{app['id']}", "Voice answer URL: Deeper is not a field of this form.",
             {"name": "Deep", "capability.voice": "on", f"{answer}.deeper": "1",
              answer: "http://localhost:3000/other"}),
        ):  # fmt: skip
            page = signed_in.post(path, form)
            assert page.status_code == 200, page.text
            summary = re.search(r'<div class="problems" role="alert">(.*?)</div>', page.text, re.S)
            assert summary and shown in summary.group(1)
        assert api.get("/v2/applications").json()["total_items"] == 1
        stored = api.get(f"/v2/applications/{app['id']}").json()["capabilities"]
        assert stored == app["capabilities"]  # the refused edits changed nothing


@pytest.mark.parametrize("page", ["²", "٣", "9" * 5000, "-1", "x"])
def test_a_page_number_that_is_no_number_shows_the_first_page(
    signed_in: Browser, page: str
) -> None:
    for listing in ("/applications", "/calls", "/messages", "/deliveries"):
        shown = signed_in.get(listing, params={"page": page})
        assert shown.status_code == 200, (listing, shown.text[:200])


def test_failed_messages_and_deliveries_are_red_with_their_outcome(
    signed_in: Browser, server: LiveServer, account: Credentials, hooks: Receiver
) -> None:
    hooks.answer("/inbound", Reply(status=404))  # final: no retry
    with server.client(account) as api:
        number = buy_number(api, messages_app(api, hooks.url)["id"])
        for address, behaviour in (("447700900124", "rejected"), ("447700900126", "delivered")):
            put = api.put(f"/_ringway/recipients/{address}",
                          json={"behaviour": behaviour, "delivered_after": 0})  # fmt: skip
            assert put.status_code == 200
            sent = api.post("/v1/messages", json={"channel": "sms", "message_type": "text",
                            "from": number, "to": address, "text": "Hi"})  # fmt: skip
            assert sent.status_code == 202, sent.text
        inbound = {"channel": "sms", "from": "447700900999", "to": number, "text": "Hello"}
        assert api.post("/_ringway/messages", json=inbound).status_code == 201

    def failures() -> str | None:  # the inbound delivery fails once it has been tried
        page = signed_in.get("/messages?failed=1").text
        return page if "2 failed messages" in page else None

    page = eventually(failures, what="two failed messages")
    assert page.count('<tr class="failure">') == 2
    assert '<span class="outcome failure">recipient rejected (#1170)</span>' in page
    assert '<span class="outcome failure">failed: inbound_url answered 404</span>' in page
    assert "447700900126" not in page and 'aria-pressed="true"' in page
    everything = signed_in.get("/messages").text
    assert "3 messages" in everything and everything.count('<tr class="failure">') == 2
    assert 'href="/messages?failed=1" aria-pressed="false"' in everything
    deliveries = signed_in.get("/deliveries?state=failed").text
    assert deliveries.count('class="delivery failure"') == 1
    assert "failed: inbound_url answered 404" in deliveries


def test_the_account_page_shows_the_balance(signed_in: Browser) -> None:
    assert '<p id="balance">€10.00</p>' in signed_in.get("/account").text
