"""The Express app's tests: ``node app.mjs`` on a free port, called by ringway's simulated callers
with signed callbacks, with the ``ringway`` pytest plugin (``pip install ringway``; Node.js and
npm; the packages are installed on first use)."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from ringway.testing.node import node_with_packages

HERE = Path(__file__).resolve().parent
GREETING = "Welcome to Ringway Tours. Press any key."
STARTUP_SECONDS = 10.0


@dataclass
class App:
    url: str
    log: Path  # what the app printed

    def printed(self) -> list[str]:
        return self.log.read_text().splitlines()


@pytest.fixture
def app(ringway: Any, tmp_path: Path) -> Iterator[App]:
    """``node app.mjs`` on a free port of 127.0.0.1, with the account's signature secret in its
    environment, for the length of a test; stopped whatever happens."""
    node = node_with_packages(HERE, "express")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = tmp_path / "app.log"
    with log.open("wb") as out:
        env = {**os.environ, **ringway.env, "PORT": str(port)}
        process = subprocess.Popen([node, "app.mjs"], cwd=HERE, env=env, stdout=out,
                                   stderr=subprocess.STDOUT)  # fmt: skip
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while "listening on" not in log.read_text():
            assert process.poll() is None, f"node app.mjs exited: {log.read_text()}"
            assert time.monotonic() < deadline, f"node app.mjs did not start: {log.read_text()}"
            time.sleep(0.02)
        yield App(f"http://127.0.0.1:{port}", log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def number_of(ringway: Any, app: App, signed_callbacks: bool = True) -> str:
    """A number whose calls reach the app, through an application of its own."""
    voice = {"signed_callbacks": signed_callbacks, "webhooks": {
        "answer_url": {"address": f"{app.url}/answer", "http_method": "GET"},
        "event_url": {"address": f"{app.url}/event", "http_method": "POST"}}}  # fmt: skip
    application = ringway.create_application(name="express", capabilities={"voice": voice})
    return str(ringway.buy_number(application_id=application.id))


def said(result: Any) -> list[str]:
    return [line["action"]["text"] for line in result.timeline
            if line["kind"] == "action" and line["action"]["action"] == "talk"]  # fmt: skip


def requests(result: Any) -> list[dict[str, Any]]:
    return [line for line in result.timeline if line["kind"] == "request"]


def test_a_caller_hears_back_the_key_they_pressed(ringway: Any, app: App) -> None:
    result = ringway.simulate_call(number_of(ringway, app), dtmf=["5"])
    assert (result.status, result.failed) == ("completed", False), result.outcome
    assert said(result) == [GREETING, "You pressed 5. Goodbye."]
    # The input callback reached the app, signed, and its answer is the NCCO that was played.
    (keyed,) = [r for r in requests(result) if r["purpose"] == "input"]
    assert keyed["request"]["headers"]["Authorization"] == "Bearer [signed]"
    assert json.loads(keyed["request"]["body"])["dtmf"]["digits"] == "5"
    assert (keyed["status"], json.loads(keyed["response"])) == (200, [
        {"action": "talk", "text": "You pressed 5. Goodbye."}])  # fmt: skip
    # Every callback was signed, and the app took each one.
    assert {r["purpose"] for r in requests(result)} >= {"answer", "input", "event"}
    assert all(r["outcome"] == "ok" for r in requests(result)), requests(result)
    assert f"input {result.uuid} keys 5" in app.printed()


def test_a_caller_who_presses_nothing_is_told_so(ringway: Any, app: App) -> None:
    result = ringway.simulate_call(number_of(ringway, app), dtmf=[""])  # silence, scripted
    assert said(result)[-1] == "We did not hear a key. Goodbye."


def test_the_app_hears_every_status_of_the_call(ringway: Any, app: App) -> None:
    result = ringway.simulate_call(number_of(ringway, app), dtmf=["1"])
    events = [line for line in app.printed() if line.startswith(f"event {result.uuid} ")]
    statuses = [line.split()[2] for line in events]
    assert statuses == ["started", "ringing", "answered", "completed"]


def test_without_signed_callbacks_the_app_refuses_the_call(ringway: Any, app: App) -> None:
    result = ringway.simulate_call(number_of(ringway, app, signed_callbacks=False))
    assert result.failed and "answer_url answered 401" in result.outcome
    assert "refused GET /answer: not signed with the signature secret" in app.printed()


def signature(body: bytes, secret: str) -> str:
    """An ``Authorization`` header as the platform signs a callback carrying ``body``."""
    claims = {"iat": int(time.time()), "jti": str(uuid.uuid4()), "iss": "Vonage",
              "payload_hash": hashlib.sha256(body).hexdigest()}  # fmt: skip
    return "Bearer " + jwt.encode(claims, secret, algorithm="HS256")


def test_a_forged_callback_is_refused(ringway: Any, app: App) -> None:
    body = b'{"uuid": "forged", "dtmf": {"digits": "1", "timed_out": false}}'
    other = "a secret that is not the account's signature secret"
    forgeries = {
        "unsigned": (body, {}),
        "another secret": (body, {"Authorization": signature(body, other)}),
        "tampered": (body.replace(b'"1"', b'"9"'),
                     {"Authorization": signature(body, ringway.signature_secret)}),
    }  # fmt: skip
    for name, (content, headers) in forgeries.items():
        answer = httpx.post(f"{app.url}/input", content=content, headers=headers)
        assert answer.status_code == 401, name
    signed = {"Authorization": signature(body, ringway.signature_secret)}
    assert httpx.post(f"{app.url}/input", content=body, headers=signed).status_code == 200
    assert [line for line in app.printed() if line.startswith("input")] == ["input forged keys 1"]
