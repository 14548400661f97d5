"""The dashboard end to end in real headless Chromium (Debian's, driven by Playwright) against a
live server and a real webhook receiver. Any browser console error fails the test; screenshots
of the main pages are written to ``build/screenshots/`` for a reviewer to look at."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Locator,
    Page,
    expect,
    sync_playwright,
)
from vonage_jwt import JwtClient

from ringway.services.accounts import Credentials
from tests.cli.test_calls import linked_number
from tests.conftest import LiveServer, eventually, free_port
from tests.receivers import Receiver, Reply

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
RED = "rgb(185, 28, 28)"  # the stylesheet's --bad

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def launch(*args: str) -> Iterator[Browser]:
    """Debian's Chromium, headless, with these command-line switches besides the usual ones."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-sync", "--metrics-recording-only", *args],
        )  # fmt: skip
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    yield from launch()


@pytest.fixture
def page(chromium: Browser, server: LiveServer) -> Iterator[Page]:
    """A fresh browser tab on the live server; the test fails on any console error."""
    context = chromium.new_context(base_url=server.url, viewport=LAPTOP, accept_downloads=True)
    tab = context.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"console: {message.text} at {message.location}")

    tab.on("console", on_console)
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    yield tab
    context.close()
    assert not problems, "\n".join(problems)


def sign_in(page: Page, account: Credentials) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in"))
    page.get_by_label("API key").fill(account.api_key)
    page.get_by_label("API secret").fill(account.api_secret)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


UNLABELLED = """() => [...document.querySelectorAll(
    "input:not([type=hidden]), select, textarea, button")].filter(
    (control) => !(control.labels?.length || control.getAttribute("aria-label")
                   || (control.tagName === "BUTTON" && control.textContent.trim()))
).map((control) => control.outerHTML)"""


def shoot(page: Page, name: str, phone_first: bool = False) -> None:
    """Screenshots of the page as it is, on a laptop and on a phone (leaving it at the width it
    had); every control on it must have a label."""
    assert page.evaluate(UNLABELLED) == [], f"controls without a label on {name}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    first, second = (PHONE, LAPTOP) if phone_first else (LAPTOP, PHONE)
    for viewport in (first, second):
        page.set_viewport_size(viewport)
        suffix = "-phone" if viewport is PHONE else ""
        page.screenshot(path=SCREENSHOTS / f"{name}{suffix}.png", full_page=True)
    page.set_viewport_size(first)


def webhook(scope: Page | Locator, name: str) -> Locator:
    """The first group of a webhook's fields (the voice one, where two share a name)."""
    return scope.get_by_role("group", name=name, exact=True).first


def address(scope: Page | Locator, name: str) -> Locator:
    return webhook(scope, name).get_by_label("Address")


def create_application(page: Page, name: str, hooks: Receiver) -> str:
    """Create an application with voice and messages through the form; its id."""
    page.goto("/applications/new")
    page.get_by_label("Name", exact=True).fill(name)
    voice = page.locator(".capability", has=page.get_by_label("Voice", exact=True))
    voice.get_by_label("Address").first.fill(hooks.url + "/answer")
    address(voice, "Event URL").fill(hooks.url + "/event")
    messages = page.get_by_label("Messages", exact=True)
    inbound = address(page, "Inbound URL")
    expect(inbound).to_be_hidden()  # a capability's webhooks appear when it is ticked
    messages.check()
    expect(inbound).to_be_visible()
    inbound.fill(hooks.url + "/inbound")
    address(page, "Status URL").fill(hooks.url + "/status")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("status")).to_have_text("Application created.")
    found = re.search(r"Id ([0-9a-f-]{36})", page.locator(".meta").inner_text())
    assert found
    return found.group(1)


def own_number(page: Page, app_name: str) -> str:
    """Buy the first GB number for sale and link it to the application called ``app_name``."""
    page.goto("/numbers?country=GB&pattern=7700900")
    number = page.locator("table").last.locator("code").first.inner_text()
    page.get_by_role("button", name=f"Buy {number}").click()
    page.get_by_label(f"Application for {number}").select_option(label=app_name)
    page.get_by_role("button", name="Save link").click()
    expect(page.get_by_role("status")).to_have_text(f"Linked {number}.")
    return number


def request_row(page: Page, diagram: Locator, path: str) -> Locator:
    """The timeline's first request to ``path`` (the arrow's label names the URL)."""
    label = page.locator(".label", has_text=path)
    return diagram.locator(".kind-request").filter(has=label).first


def test_sign_in_refuses_a_wrong_secret_then_signs_in_and_out(
    page: Page, account: Credentials
) -> None:
    page.goto("/applications")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/applications"))
    page.get_by_label("API key").fill(account.api_key)
    page.get_by_label("API secret").fill("not-the-secret")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#sign-in-error")).to_have_text("Invalid credentials supplied")
    shoot(page, "sign-in-error")
    page.get_by_label("API secret").fill(account.api_secret)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/applications$"))
    cookie = next(c for c in page.context.cookies() if c["name"] == "ringway_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("Signed out.")
    page.goto("/account")
    expect(page).to_have_url(re.compile(r"/sign-in"))


def test_create_download_key_edit_and_delete_an_application(
    page: Page, account: Credentials, hooks: Receiver, tmp_path: Path, api: httpx.Client
) -> None:
    sign_in(page, account)
    shoot(page, "overview-empty")
    page.get_by_role("link", name="Applications", exact=True).click()
    shoot(page, "applications-empty")
    page.goto("/applications/new")
    page.get_by_label("Name", exact=True).fill("Support line")
    address(page, "Answer URL").fill("localhost:3000")
    page.get_by_role("button", name="Create").click()
    field = address(page, "Answer URL")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#capabilities-voice-webhooks-answer_url-address-note")).to_have_text(
        "Address must be an http:// or https:// URL"  # a sentence, beside the field
    )
    expect(page.get_by_role("alert")).to_contain_text(
        "Voice answer URL: Address must be an http:// or https:// URL."
    )
    shoot(page, "application-invalid")

    app_id = create_application(page, "Support line", hooks)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download private key").click()
    pem = Path(download.value.path()).read_bytes()
    private_key = serialization.load_pem_private_key(pem, password=None)
    stored = api.get(f"/v2/applications/{app_id}").json()
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public_pem.decode().strip() == stored["keys"]["public_key"].strip()
    assert set(stored["capabilities"]) == {"voice", "messages"}
    assert stored["capabilities"]["messages"]["webhooks"]["inbound_url"]["address"] == (
        hooks.url + "/inbound"
    )
    shoot(page, "application-key")

    page.get_by_role("link", name="Continue to the application").click()
    own_key = tmp_path / "own.pub"  # a key pair of the developer's own, uploaded as a file
    own_pair = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    own_key.write_bytes(own_pair.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))  # fmt: skip
    page.get_by_label("or read it from a file").set_input_files(own_key)
    expect(page.get_by_label("Or use your own public key (PEM)")).to_have_value(own_key.read_text())
    page.get_by_role("button", name="Upload public key").click()
    expect(page.get_by_role("status")).to_have_text("Public key saved.")
    stored = api.get(f"/v2/applications/{app_id}").json()["keys"]["public_key"]
    assert stored.strip() == own_key.read_text().strip()
    event = address(page, "Event URL")
    expect(event).to_have_value(hooks.url + "/event")
    event.fill(hooks.url + "/events-v2")
    webhook(page, "Event URL").get_by_label("Method").select_option("GET")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Application saved.")
    voice = api.get(f"/v2/applications/{app_id}").json()["capabilities"]["voice"]
    assert voice["webhooks"]["event_url"]["address"] == hooks.url + "/events-v2"
    assert voice["webhooks"]["event_url"]["http_method"] == "GET"
    shoot(page, "application-edit")

    page.get_by_role("link", name="Applications", exact=True).click()
    page.get_by_label("Search by name").fill("SUPPORT")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Support line")).to_be_visible()
    page.get_by_label("Search by name").fill("nothing-like-it")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No application's name contains")).to_be_visible()

    page.goto(f"/applications/{app_id}")
    page.get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete Support line?")).to_be_visible()
    page.get_by_role("button", name="Delete application").click()
    expect(page.get_by_role("status")).to_have_text("Application Support line deleted.")
    assert api.get(f"/v2/applications/{app_id}").status_code == 404


def test_buy_and_link_a_number_then_watch_a_simulated_call(
    page: Page, account: Credentials, hooks: Receiver, api: httpx.Client
) -> None:
    hooks.answer("/answer", Reply(body=[
        {"action": "talk", "text": "Welcome to the support line"},
        {"action": "input", "type": ["dtmf"], "dtmf": {"maxDigits": 1},
         "eventUrl": [hooks.url + "/input"]},
    ]))  # fmt: skip
    hooks.answer("/input", Reply(body=[{"action": "talk", "text": "Connecting you"}]))
    sign_in(page, account)
    app_id = create_application(page, "Support line", hooks)

    page.get_by_role("link", name="Numbers").click()
    page.get_by_label("Country").fill("GB")
    page.get_by_label("Digits it contains").fill("7700900")
    page.get_by_role("button", name="Search").click()
    number = page.locator("table").last.locator("code").first.inner_text()
    page.get_by_role("button", name=f"Buy {number}").click()
    expect(page.get_by_role("status")).to_have_text(f"Bought {number}.")
    page.get_by_label(f"Application for {number}").select_option(label="Support line")
    page.get_by_role("button", name="Save link").click()
    expect(page.get_by_role("status")).to_have_text(f"Linked {number}.")
    owned = api.get(f"/account/numbers?pattern={number}").json()["numbers"]
    assert owned[0]["app_id"] == app_id
    shoot(page, "numbers")

    page.get_by_role("link", name="Calls").click()
    page.get_by_label("Your number to call").select_option(number)
    page.get_by_label("Keys the caller presses").fill("5")
    page.get_by_label("Clock").select_option(label="As fast as possible")
    page.get_by_role("button", name="Call").click()
    expect(page.locator("#call-status")).to_have_text("completed", timeout=15_000)
    diagram = page.locator("#timeline")
    for lane in ("Caller", "ringway", "Application"):
        expect(diagram.locator(".lane", has_text=lane)).to_be_visible()
    answer = request_row(page, diagram, "/answer")
    expect(answer).to_contain_text("200")
    expect(diagram.locator(".kind-input")).to_contain_text("caller keys 5")
    expect(diagram).to_contain_text("Connecting you")
    answer.locator("summary").click()
    exchange = answer.locator(".exchange")
    expect(exchange).to_contain_text(f"GET {hooks.url}/answer?")
    expect(exchange).to_contain_text("Welcome to the support line")  # the response body
    assert hooks.on("/answer") and hooks.on("/input")
    inputs = request_row(page, diagram, "/input")
    inputs.locator("summary").focus()
    page.keyboard.press("Enter")  # keyboard users open a request too
    expect(inputs.locator(".exchange")).to_contain_text('"digits": "5"')
    shoot(page, "call-timeline")

    page.get_by_role("link", name="All calls").click()
    expect(page.locator("table")).to_contain_text("completed")
    shoot(page, "calls")


def test_messages_deliveries_and_account(
    page: Page, account: Credentials, hooks: Receiver, api: httpx.Client
) -> None:
    # A 400 is final: no automatic retry, so only the replay can send the delivery again.
    hooks.answer("/inbound", Reply(status=400), Reply(status=200))
    sign_in(page, account)
    create_application(page, "Text desk", hooks)
    number = own_number(page, "Text desk")

    page.get_by_role("link", name="Messages").click()
    page.get_by_label("To (your number)").fill(number)
    page.get_by_label("Text", exact=True).fill("")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#text-note")).to_have_text("Text is required: 1 to 3200 characters")
    page.get_by_label("Text", exact=True).fill("Where is my order?")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_have_text("Message sent to the application.")
    expect(page.locator("table")).to_contain_text("Where is my order?")
    eventually(lambda: hooks.on("/inbound"), what="the inbound message")
    shoot(page, "messages")

    page.get_by_role("link", name="Deliveries").click()
    delivery = page.locator(".delivery").first
    expect(delivery).to_contain_text("/inbound")
    delivery.locator("summary").click()
    expect(delivery).to_contain_text("Where is my order?")
    expect(delivery.locator(".status")).to_have_text("failed")
    shoot(page, "deliveries")
    before = len(hooks.on("/inbound"))
    delivery.get_by_role("button", name="Replay").click()
    expect(page.get_by_role("status")).to_have_text("Delivery queued to be sent again.")
    eventually(lambda: len(hooks.on("/inbound")) > before, what="the replayed delivery")
    page.get_by_label("State").select_option("failed")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No deliveries failed.")).to_be_visible()
    page.get_by_label("State").select_option("")
    page.get_by_label("Kind").select_option("rtc")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No deliveries of kind rtc.")).to_be_visible()
    page.get_by_label("Kind").select_option("message-inbound")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator(".delivery")).to_have_count(1)

    page.get_by_role("link", name="Account").click()
    secret = page.locator("#signature-secret")
    expect(secret).not_to_contain_text(account.signature_secret)
    page.get_by_role("button", name="Show").click()
    expect(secret).to_have_text(account.signature_secret)
    shoot(page, "account")
    page.get_by_role("link", name="Rotate API secret").click()
    expect(page.get_by_role("heading", name="Rotate the API secret?")).to_be_visible()
    page.get_by_role("button", name="Rotate API secret").click()
    new_secret = page.locator("#new-secret").inner_text()
    assert new_secret and new_secret != account.api_secret
    page.get_by_role(
        "link",
        name="Applications",
        exact=True,  # still signed in
    ).click()  # this browser stays signed in
    expect(page.get_by_role("heading", name="Applications")).to_be_visible()


def test_be_the_caller_on_a_live_call(page: Page, account: Credentials, hooks: Receiver) -> None:
    hooks.answer("/answer", Reply(body=[{"action": "input", "type": ["dtmf"],
                                         "dtmf": {"maxDigits": 1, "timeOut": 10},
                                         "eventUrl": [hooks.url + "/input"]}]))  # fmt: skip
    hooks.answer("/input", Reply(body=[{"action": "conversation", "name": "hold"}]))
    sign_in(page, account)
    create_application(page, "Live line", hooks)
    number = own_number(page, "Live line")
    page.get_by_role("link", name="Calls").click()
    page.get_by_label("Your number to call").select_option(number)
    expect(page.get_by_label("Clock")).to_have_value("1")  # real time, to play along
    page.get_by_role("button", name="Call").click()
    controls = page.get_by_role("region", name="Be the caller")
    expect(controls).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("action input dtmf")
    controls.get_by_label("Keys").fill("7")
    controls.get_by_role("button", name="Press").click()
    expect(page.get_by_role("status")).to_have_text("The caller pressed 7.")
    expect(page.locator("#timeline .kind-input")).to_contain_text("caller keys 7")
    received = eventually(lambda: hooks.on("/input"), what="the input's request")
    assert b'"digits":"7"' in received[0].body.replace(b" ", b"")
    expect(page.locator("#timeline")).to_contain_text("conversation")
    shoot(page, "call-live")
    controls.get_by_role("button", name="Hang up").click()
    expect(page.get_by_role("status")).to_have_text("The caller hung up.")
    expect(page.locator("#call-status")).to_have_text("completed")
    expect(controls).to_be_hidden()


def test_without_a_microphone_the_call_page_says_so(
    page: Page, server: LiveServer, account: Credentials, hooks: Receiver
) -> None:
    """This Chromium has no capture device (``test_microphone`` gives one a fake)."""
    hooks.answer("/answer", Reply(body=[{"action": "conversation", "name": "hold"}]))
    number = linked_number(server, account, {"answer_url": {"address": hooks.url + "/answer"}})
    sign_in(page, account)
    page.goto("/calls")
    page.get_by_label("Your number to call").select_option(number)
    page.get_by_role("button", name="Call").click()
    page.get_by_role("button", name="Start microphone").click()
    said = page.locator("#microphone .said")
    expect(said).to_have_text(re.compile("microphone (was denied|could be opened)"))
    expect(said).to_have_class("said problem")
    expect(page.get_by_role("button", name="Start microphone")).to_be_enabled()


@contextmanager
def page_elsewhere(html: str, cookie: str) -> Iterator[str]:
    """A real HTTP server on another port of 127.0.0.1 (the dashboard's site, another origin)
    answering every GET with ``html`` and the ``Set-Cookie`` header ``cookie``; its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Set-Cookie", cookie)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_a_page_on_another_port_cannot_make_the_browser_delete_an_application(
    chromium: Browser, server: LiveServer, account: Credentials, api: httpx.Client
) -> None:
    """The page plants its own CSRF cookie (cookies are shared across ports) and submits a form
    with the same value to the dashboard, where this browser is signed in."""
    app = api.post("/v2/applications", json={"name": "Target"}).json()
    attack = (f'<form method="post" action="{server.url}/applications/{app["id"]}/delete">'
              '<input type="hidden" name="csrf" value="planted"></form>'
              "<script>document.forms[0].submit()</script>")  # fmt: skip
    context = chromium.new_context(base_url=server.url)  # the refusal's 403 logs a console error
    try:
        tab = context.new_page()
        sign_in(tab, account)
        with page_elsewhere(attack, "ringway_csrf=planted; Path=/") as url:
            tab.goto(url)
            tab.wait_for_url(f"{server.url}/**")  # the form was sent to the dashboard
        cookies = context.cookies(server.url)
        assert [c["value"] for c in cookies if c["name"] == "ringway_csrf"] == ["planted"]
        expect(tab.get_by_role("heading")).to_have_text("This form came from another origin")
        assert api.get(f"/v2/applications/{app['id']}").status_code == 200
    finally:
        context.close()


def is_red(locator: Locator) -> bool:
    """Whether a control is styled as destructive (the dashboard's red)."""
    colour = locator.evaluate("(node) => getComputedStyle(node).backgroundColor")
    return bool(colour == "rgb(185, 28, 28)")


def test_the_form_makes_event_webhooks_post_and_destructive_actions_ask_first(
    page: Page, account: Credentials, hooks: Receiver, api: httpx.Client
) -> None:
    """A browser sends the selects as shown: the event URLs' methods must show POST, as the API
    defaults them. Deleting, a new key pair, cancelling a number and rotating the secret each
    go through a page that asks, whose red button acts and whose link goes back."""
    sign_in(page, account)
    page.goto("/applications/new")
    page.get_by_label("Name", exact=True).fill("Events")
    voice = page.locator(".capability", has=page.get_by_label("Voice", exact=True))
    voice.get_by_label("Address").first.fill(hooks.url + "/answer")
    address(voice, "Event URL").fill(hooks.url + "/event")
    page.get_by_label("RTC (conversations)").check()
    rtc = page.locator(".capability", has=page.get_by_label("RTC (conversations)"))
    expect(webhook(rtc, "Event URL").get_by_label("Method")).to_have_value("POST")
    address(rtc, "Event URL").fill(hooks.url + "/rtc")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("status")).to_have_text("Application created.")
    app_id = re.search(r"Id ([0-9a-f-]{36})", page.locator(".meta").inner_text())
    assert app_id
    stored = api.get(f"/v2/applications/{app_id.group(1)}").json()
    voice_hooks = stored["capabilities"]["voice"]["webhooks"]
    assert voice_hooks["answer_url"]["http_method"] == "GET"
    assert voice_hooks["event_url"]["http_method"] == "POST"
    assert stored["capabilities"]["rtc"]["webhooks"]["event_url"]["http_method"] == "POST"
    page.get_by_role("link", name="Continue to the application").click()

    key = stored["keys"]["public_key"]
    new_pair = page.get_by_role("link", name="Generate a new key pair")
    assert is_red(new_pair)
    new_pair.click()
    expect(page.get_by_role("heading", name="Replace the key pair of Events?")).to_be_visible()
    assert is_red(page.get_by_role("button", name="Generate a new key pair"))
    shoot(page, "confirm-key-pair")
    page.get_by_role("link", name="Keep it and go back").click()
    expect(page.get_by_role("heading", name="Events")).to_be_visible()
    assert api.get(f"/v2/applications/{app_id.group(1)}").json()["keys"]["public_key"] == key
    page.get_by_role("link", name="Generate a new key pair").click()
    page.get_by_role("button", name="Generate a new key pair").click()
    expect(page.get_by_role("link", name="Download private key")).to_be_visible()
    assert api.get(f"/v2/applications/{app_id.group(1)}").json()["keys"]["public_key"] != key

    number = own_number(page, "Events")
    cancel = page.get_by_role("link", name=f"Cancel {number}")
    assert is_red(cancel)
    cancel.click()
    expect(page.get_by_role("heading", name=f"Cancel {number}?")).to_be_visible()
    shoot(page, "confirm-cancel-number")
    page.get_by_role("button", name="Cancel number").click()
    expect(page.get_by_role("status")).to_have_text(f"Cancelled {number}.")
    assert api.get("/account/numbers").json()["count"] == 0

    page.get_by_role("link", name="Account").click()
    rotate = page.get_by_role("link", name="Rotate API secret")
    assert is_red(rotate)
    rotate.click()
    shoot(page, "confirm-rotate-secret")
    page.get_by_role("link", name="Keep it and go back").click()
    expect(page.get_by_role("heading", name="Account")).to_be_visible()
    assert api.get("/v2/applications").status_code == 200  # the secret still works

    page.goto(f"/applications/{app_id.group(1)}")
    delete = page.get_by_role("link", name="Delete")
    assert is_red(delete)
    delete.click()
    shoot(page, "confirm-delete-application")
    page.get_by_role("button", name="Delete application").click()
    expect(page.get_by_role("status")).to_have_text("Application Events deleted.")


NAV_FITS = """() => [...document.querySelectorAll("header.top nav a")].filter((link) => {
    const box = link.getBoundingClientRect();
    return box.left < 0 || box.right > window.innerWidth || box.height < 24;
}).map((link) => link.textContent)"""
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
WIDE = """() => [...document.querySelectorAll("body *")].filter(
    (node) => node.getBoundingClientRect().right > window.innerWidth + 1
).map((node) => node.outerHTML.slice(0, 80))"""


def test_every_page_at_phone_width(
    chromium: Browser, server: LiveServer, account: Credentials, hooks: Receiver,
    api: httpx.Client,
) -> None:  # fmt: skip
    """At 390 px every page fits the screen: the navigation's links all show, tap-sized, and
    the timeline's lanes and requests stay on screen and open; each page is photographed."""
    hooks.answer("/answer", Reply(body=[{"action": "talk", "text": "Welcome"}]))
    context = chromium.new_context(base_url=server.url, viewport=PHONE)
    try:
        page = context.new_page()
        sign_in(page, account)
        app_id = create_application(page, "Phone line", hooks)
        number = own_number(page, "Phone line")
        rtc_app = api.post("/v2/applications", json={"name": "Chat", "capabilities": {"rtc": {
            "webhooks": {"event_url": {"address": hooks.url + "/rtc"}}}}}).json()  # fmt: skip
        token = JwtClient(rtc_app["id"], rtc_app["keys"]["private_key"])
        bearer = {"Authorization": f"Bearer {token.generate_application_jwt().decode()}"}
        with server.client() as rtc:
            rtc.post("/v1/users", json={"name": "alice"}, headers=bearer)
            chat = rtc.post("/v1/conversations", json={"name": "support"}, headers=bearer).json()
            rtc.post(f"/v1/conversations/{chat['id']}/members", headers=bearer,
                     json={"state": "joined", "user": {"name": "alice"},
                           "channel": {"type": "app"}})  # fmt: skip
        api.put("/_ringway/phones/447700900777", json={"behaviour": "busy"})
        api.put("/_ringway/recipients/447700900555", json={"behaviour": "read"})
        page.goto("/calls")
        page.get_by_label("Your number to call").select_option(number)
        page.get_by_label("Clock").select_option(label="As fast as possible")
        page.get_by_role("button", name="Call").click()
        expect(page.locator("#call-status")).to_have_text("completed", timeout=15_000)
        diagram = page.locator("#timeline")
        for lane in ("Caller", "ringway", "Application"):
            box = diagram.locator(".lane", has_text=lane).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], lane
        answer = request_row(page, diagram, "/answer")
        answer.locator("summary").click()
        expect(answer.locator(".exchange")).to_contain_text("Welcome")
        assert page.evaluate(OVERFLOW) <= 0, "the timeline is wider than the screen"
        call_path = page.url.removeprefix(server.url)
        page.goto("/messages")
        page.get_by_label("To (your number)").fill(number)
        page.get_by_label("Text", exact=True).fill("Hello there")
        page.get_by_role("button", name="Send").click()
        message = page.get_by_role("link", name="Hello there").get_attribute("href")
        assert message
        pages = {"overview": "/", "applications": "/applications", "application-new":
                 "/applications/new", "application": f"/applications/{app_id}",
                 "numbers": "/numbers", "calls": "/calls", "call": call_path,
                 "messages": "/messages", "message": message, "deliveries": "/deliveries",
                 "conversations": "/conversations", "users": "/users", "phones": "/phones",
                 "conversation": f"/applications/{rtc_app['id']}/conversations/{chat['id']}",
                 "recipients": "/recipients", "account": "/account",
                 "confirm-rotate": "/account/rotate-secret",
                 "not-found": "/no-such-page"}  # fmt: skip
        for name, path in pages.items():
            page.goto(path)
            shoot(page, f"all-{name}", phone_first=True)
            assert page.evaluate(NAV_FITS) == [], f"navigation links off screen on {name}"
            assert page.evaluate(OVERFLOW) <= 0, (name, page.evaluate(WIDE))
        page.get_by_role("link", name="Deliveries").click()  # the navigation works by touch
        expect(page.get_by_role("heading", name="Deliveries")).to_be_visible()
    finally:
        context.close()


def test_a_confirmation_works_without_javascript(
    chromium: Browser, server: LiveServer, account: Credentials
) -> None:
    context = chromium.new_context(base_url=server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, account)
        page.get_by_role("link", name="Account").click()
        page.get_by_role("link", name="Rotate API secret").click()
        page.get_by_role("button", name="Rotate API secret").click()
        expect(page.locator("#new-secret")).not_to_be_empty()
        assert page.locator("#new-secret").inner_text() != account.api_secret
    finally:
        context.close()


def test_a_failed_call_is_red_with_its_outcome_and_calls_filter_to_failures(
    page: Page, server: LiveServer, account: Credentials, hooks: Receiver
) -> None:
    hooks.answer("/answer", Reply(body=[{"action": "talk", "text": "Hello"}]))
    nowhere = f"http://127.0.0.1:{free_port()}/answer"
    broken = linked_number(server, account, {"answer_url": {"address": nowhere}})
    working = linked_number(server, account, {"answer_url": {"address": hooks.url + "/answer"}})
    with server.client(account) as rest:
        body = {"from": "447700900001", "to": working, "speed": 0}
        assert rest.post("/_ringway/calls", json=body).status_code == 201
    sign_in(page, account)
    page.goto("/calls")
    page.get_by_label("Your number to call").select_option(broken)
    page.get_by_role("button", name="Call").click()
    said = page.locator("#call-outcome .outcome")
    expect(said).to_have_text("failed: answer_url unreachable (connection refused)",
                              timeout=15_000)  # fmt: skip
    expect(said).to_have_class(re.compile(r"\bfailure\b"))
    assert said.evaluate("e => getComputedStyle(e).color") == RED
    expect(page.locator("#call-status")).to_have_class(re.compile(r"\bfailed\b"))
    shoot(page, "failed-call")

    page.get_by_role("link", name="All calls").click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("tr.failure")).to_contain_text("answer_url unreachable")
    toggle = page.get_by_role("link", name="Show failures only")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(page).to_have_url(re.compile(r"/calls\?failed=1$"))
    expect(page.get_by_role("heading", name="Failed calls")).to_be_visible()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(broken)
    expect(page.get_by_role("link", name=re.compile("show all"))).to_have_attribute(
        "aria-pressed", "true"
    )
    shoot(page, "failed-calls")
