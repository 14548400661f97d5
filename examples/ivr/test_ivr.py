"""The IVR's tests: real calls from ringway's simulated callers to the running application,
with the ``ringway`` pytest plugin (``pip install ringway``; no configuration)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web
from ivr import BASE_URL, EVENTS, HOURS, MESSAGES, SALES, make_app


@pytest.fixture
def ivr() -> Iterator[web.Application]:
    """The application, served on a free port of 127.0.0.1 for the length of a test."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = make_app(f"http://127.0.0.1:{port}")
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield app
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


@pytest.fixture
def number(ringway: Any, ivr: web.Application) -> str:
    """A number whose calls reach the IVR."""
    base = ivr[BASE_URL]
    app = ringway.create_application(name="tours", capabilities={"voice": {"webhooks": {
        "answer_url": {"address": f"{base}/answer", "http_method": "GET"},
        "event_url": {"address": f"{base}/event", "http_method": "POST"}}},
        "messages": {"webhooks": {"inbound_url": {"address": f"{base}/inbound"},
                                  "status_url": {"address": f"{base}/status"}}}})  # fmt: skip
    return str(ringway.buy_number(application_id=app.id))


def said(result: Any) -> list[str]:
    return [line["action"]["text"] for line in result.timeline
            if line["kind"] == "action" and line["action"]["action"] == "talk"]  # fmt: skip


def test_pressing_1_puts_the_caller_through_to_sales(ringway: Any, number: str) -> None:
    # Sales answers and stays: the call would stay up until someone hangs up, so the caller does.
    result = ringway.simulate_call(number, dtmf=["1"], hangup_after=60)
    assert not result.failed, result.outcome
    connects = [line["action"] for line in result.timeline if line["kind"] == "action"
                and line["action"]["action"] == "connect"]  # fmt: skip
    assert connects[0]["endpoint"] == [{"type": "phone", "number": SALES}]
    assert "Putting you through to sales." in said(result)


def test_pressing_2_gives_the_opening_hours(ringway: Any, number: str) -> None:
    result = ringway.simulate_call(number, dtmf=["2"])
    assert said(result)[-1] == HOURS


def test_any_other_key_hears_the_menu_again(ringway: Any, number: str) -> None:
    result = ringway.simulate_call(number, dtmf=["7", "2"])
    assert len([text for text in said(result) if text.startswith("Welcome")]) == 2
    assert said(result)[-1] == HOURS


def test_the_application_hears_every_status_of_the_call(
    ringway: Any, number: str, ivr: web.Application
) -> None:
    result = ringway.simulate_call(number, dtmf=["2"])
    statuses = [e["status"] for e in ivr[EVENTS] if e.get("uuid") == result.uuid]
    assert statuses == ["started", "ringing", "answered", "completed"]


def test_a_message_to_the_number_reaches_the_application(
    ringway: Any, number: str, ivr: web.Application
) -> None:
    ringway.simulate_message(channel="sms", to=number, text="Opening hours?",
                             **{"from": "447700900123"})  # fmt: skip
    deadline = time.monotonic() + 5  # the message is queued, then delivered at once
    while not ivr[MESSAGES] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [message["text"] for message in ivr[MESSAGES]] == ["Opening hours?"]
