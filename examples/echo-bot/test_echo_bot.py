"""The echo bot's tests: messages from ringway's simulated users to the running bot, its replies
through ringway's Messages API, and forged webhooks, with the ``ringway`` pytest plugin
(``pip install ringway``; no configuration)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import jwt
import pytest
from aiohttp import web
from echo_bot import STATUSES, Settings, make_app

USER = "447700900123"  # a fictional number the simulated user writes from
OTHER_SECRET = "a secret that is not the account's signature secret"
HISTORY = {"sms": ["submitted", "delivered"],  # SMS has no read receipts
           "whatsapp": ["submitted", "delivered", "read"]}  # fmt: skip
T = TypeVar("T")


@dataclass
class Bot:
    app: web.Application
    url: str
    number: str  # the bot's number, linked to its application


@pytest.fixture
def bot(ringway: Any, tmp_path: Path) -> Iterator[Bot]:
    """The bot, served on a free port of 127.0.0.1 for the length of a test, with an
    application of its own and a number, configured through its environment as in production."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    application = ringway.create_application(name="echo bot", capabilities={"messages": {
        "webhooks": {"inbound_url": {"address": f"{url}/inbound"},
                     "status_url": {"address": f"{url}/status"}}}})  # fmt: skip
    key = tmp_path / "echo-bot.key"
    key.write_text(application.keys.private_key)
    env = {**ringway.env, "VONAGE_APPLICATION_ID": application.id,
           "VONAGE_PRIVATE_KEY_PATH": str(key)}  # fmt: skip
    app = make_app(Settings.from_env(env))
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield Bot(app, url, ringway.buy_number(application_id=application.id))
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def eventually(probe: Callable[[], T | None], what: str, timeout: float = 5.0) -> T:
    """What ``probe`` returns once it returns something."""
    deadline = time.monotonic() + timeout
    while (found := probe()) is None or found == []:
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {timeout} s")
        time.sleep(0.02)
    return found


def sent(ringway: Any) -> list[dict[str, Any]]:
    """The messages the account sent, as ringway's message log shows them."""
    messages = ringway.client.messages.list(page_size=100)["_embedded"]["messages"]
    return [message for message in messages if message["direction"] == "outbound"]


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
def test_a_text_comes_back_to_its_sender_on_its_channel(
    ringway: Any, bot: Bot, channel: str
) -> None:
    ringway.client.recipients.set(USER, behaviour="read", delivered_after=0, read_after=0)
    ringway.simulate_message(channel=channel, to=bot.number, text="Hello, bot",
                             **{"from": USER})  # fmt: skip
    expected = HISTORY[channel]
    reply = eventually(lambda: next((m for m in sent(ringway) if m["status"] == expected[-1]),
                                    None), what=f"reply {expected[-1]}")  # fmt: skip
    assert (reply["channel"], reply["message_type"], reply["text"]) == (channel, "text",
                                                                         "Hello, bot")  # fmt: skip
    assert (reply["to"], reply["from"]) == (USER, bot.number)

    def at_the_bot() -> list[str] | None:
        """The reply's statuses the bot took (signed, they pass its check), once all came."""
        got = [s["status"] for s in bot.app[STATUSES] if s["message_uuid"] == reply["message_uuid"]]
        return got if len(got) >= len(expected) else None

    assert eventually(at_the_bot, what="the reply's statuses at the bot") == expected


def an_inbound_text(number: str) -> bytes:
    """An inbound SMS to ``number``, as the platform posts it."""
    return json.dumps({"channel": "sms", "message_uuid": str(uuid.uuid4()), "to": number,
                       "from": USER, "timestamp": "2026-01-01T00:00:00Z",
                       "message_type": "text", "text": "Hello, bot",
                       "sms": {"num_messages": "1"}}).encode()  # fmt: skip


def signature(body: bytes, secret: str) -> str:
    """An ``Authorization`` header as the platform signs a webhook carrying ``body``."""
    claims = {"iat": int(time.time()), "jti": str(uuid.uuid4()), "iss": "Vonage",
              "payload_hash": hashlib.sha256(body).hexdigest()}  # fmt: skip
    return "Bearer " + jwt.encode(claims, secret, algorithm="HS256")


def post(url: str, body: bytes, authorization: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    return httpx.post(url, content=body, headers=headers)


FORGERIES: dict[str, Callable[[bytes, str], tuple[bytes, str | None]]] = {
    "unsigned": lambda body, secret: (body, None),
    "not a JWT": lambda body, secret: (body, "Bearer not-a-token"),
    "another secret": lambda body, secret: (body, signature(body, OTHER_SECRET)),
    "tampered body": lambda body, secret: (
        body.replace(b"Hello, bot", b"Send me money"), signature(body, secret)),
}  # fmt: skip


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
def test_a_forged_webhook_is_refused_and_not_echoed(
    ringway: Any, bot: Bot, forge: Callable[[bytes, str], tuple[bytes, str | None]]
) -> None:
    body, authorization = forge(an_inbound_text(bot.number), ringway.signature_secret)
    assert post(f"{bot.url}/inbound", body, authorization).status_code == 401
    assert post(f"{bot.url}/status", body, authorization).status_code == 401
    assert sent(ringway) == []  # the bot replies before it answers, so none is coming


def test_a_webhook_signed_as_the_platform_signs_is_echoed(ringway: Any, bot: Bot) -> None:
    """The forgeries above are refused for what is wrong with them, not for how they are sent."""
    ringway.client.recipients.set(USER, behaviour="delivered", delivered_after=0)
    body = an_inbound_text(bot.number)
    assert post(f"{bot.url}/inbound", body, signature(body, ringway.signature_secret)).is_success
    assert [m["text"] for m in sent(ringway)] == ["Hello, bot"]
    # The reply is delivered, and the bot hears so (nothing is left in flight at the end).
    eventually(lambda: [s for s in bot.app[STATUSES] if s["status"] == "delivered"],
               what="the reply's delivered status at the bot")  # fmt: skip
