"""``ringway serve``'s log as an operator reads it: a JSON line for every request and webhook
attempt, and no secret in any of them, whatever the requests carried."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ringway.security.jwt import mint
from tests.conftest import eventually
from tests.receivers import Receiver, Reply
from tests.servers import Served, ringway_serve

ENV = {
    "RINGWAY_API_KEY": "10960001",
    "RINGWAY_API_SECRET": "LogSecret0000001",
    "RINGWAY_SIGNATURE_SECRET": "signature-secret-for-the-log-tests-00000000001",
}
AUTH = (ENV["RINGWAY_API_KEY"], ENV["RINGWAY_API_SECRET"])
CALLER, RECIPIENT = "447700900001", "447700900777"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RINGWAY_DATA_DIR", "RINGWAY_DATABASE_URL", "RINGWAY_LOG_LEVEL",
                 "RINGWAY_LOG_FORMAT", *ENV):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


def log_lines(served: Served) -> list[dict[str, Any]]:
    """The lines after what ``serve`` prints at start, each a JSON object."""
    output = served.output()
    return [json.loads(line) for line in output[output.index("dashboard:") :].splitlines()[1:]]


def scrape(url: str, wanted: str) -> str | None:
    """The metrics once they show ``wanted``."""
    metrics = httpx.get(f"{url}/_ringway/metrics").text
    return metrics if wanted in metrics else None


def test_json_lines_tell_every_request_and_webhook_and_no_secret(
    tmp_path: Path, hooks: Receiver
) -> None:
    hooks.answer("/answer", Reply(body=[{"action": "talk", "text": "Hello"}]))
    with (
        ringway_serve(tmp_path, "--log-format", "json", env=ENV) as served,
        httpx.Client(base_url=served.url, auth=AUTH) as rest,
    ):
        app = rest.post("/v2/applications", json={"name": "logged", "capabilities": {
            "voice": {"signed_callbacks": True, "webhooks": {
                "answer_url": {"address": hooks.url + "/answer", "http_method": "GET"},
                "event_url": {"address": hooks.url + "/event", "http_method": "POST"}}},
            "messages": {"webhooks": {
                "status_url": {"address": hooks.url + "/status", "http_method": "POST"}}},
        }}).json()  # fmt: skip
        private_key, app_id = app["keys"]["private_key"], app["id"]
        number = rest.get("/number/search", params={"country": "GB"}).json()["numbers"][0]
        routing = {"country": "GB", "msisdn": number["msisdn"]}
        assert rest.post("/number/buy", data=routing).status_code == 200
        assert rest.post("/number/update", data={**routing, "app_id": app_id}).status_code == 200
        # The secret as a query parameter, a JWT, the dashboard's password form.
        legacy = {"api_key": AUTH[0], "api_secret": AUTH[1]}
        assert httpx.get(f"{served.url}/v1/applications", params=legacy).status_code == 200
        jwt = mint(app_id, private_key, ttl=300)
        calls = httpx.get(f"{served.url}/v1/calls", headers={"Authorization": f"Bearer {jwt}"})
        assert calls.status_code == 200
        traced = rest.get(f"/v2/applications/{app_id}", headers={"X-Request-Id": "trace-7"})
        assert traced.headers["x-request-id"] == "trace-7"
        with httpx.Client(base_url=served.url) as browser:
            csrf = re.search(r'name="csrf" value="([^"]+)"', browser.get("/sign-in").text)
            assert csrf
            signed_in = browser.post(
                "/sign-in", data={"csrf": csrf[1], **legacy},
                headers={"Origin": served.url, "Sec-Fetch-Site": "same-origin"},
            )  # fmt: skip
            assert signed_in.status_code == 303
            session = next(iter(browser.cookies.values()))
            assert browser.get("/applications").status_code == 200
        # Signed webhooks: a simulated call's, and a message's status.
        call = rest.post("/_ringway/calls", json={"from": CALLER, "to": number["msisdn"]})
        assert call.status_code == 201, call.text
        assert rest.put(f"/_ringway/recipients/{RECIPIENT}",
                        json={"delivered_after": 0}).status_code == 200  # fmt: skip
        sent = httpx.post(f"{served.url}/v1/messages", headers={"Authorization": f"Bearer {jwt}"},
                          json={"channel": "sms", "message_type": "text", "to": RECIPIENT,
                                "from": number["msisdn"], "text": "Hi"})  # fmt: skip
        assert sent.status_code == 202, sent.text
        message_uuid = sent.json()["message_uuid"]
        eventually(lambda: len(hooks.on("/status")) >= 2, timeout=15, what="statuses")

        def logged() -> list[dict[str, Any]] | None:
            lines = log_lines(served)
            kinds = {line.get("kind") for line in lines}
            return lines if {"answer", "event", "message-status"} <= kinds else None

        lines = eventually(logged, timeout=15, what="the webhook lines")
        metrics = eventually(lambda: scrape(served.url, 'ringway_calls{status="completed"}'),
                             timeout=15, what="the call stored as completed")  # fmt: skip
        output = served.output()

    requests = [line for line in lines if line["event"] == "request"]
    one = next(line for line in requests if line["request_id"] == "trace-7")
    assert one["method"] == "GET" and one["path"] == f"/v2/applications/{app_id}"
    assert one["status"] == 200 and one["latency_ms"] >= 0 and one["account"] == AUTH[0]
    listed = next(line for line in requests if line["path"] == "/v1/calls")
    assert listed["application"] == app_id
    assert listed["request_id"] == calls.headers["x-request-id"]
    answer = next(line for line in lines if line.get("kind") == "answer")
    assert answer["url"] == hooks.url + "/answer"  # not the fields of its query
    assert answer["status"] == 200 and answer["outcome"] == "ok"
    assert answer["call"] == call.json()["uuid"] and answer["latency_ms"] >= 0
    status = next(line for line in lines if line.get("kind") == "message-status")
    assert status["message"] == message_uuid and status["url"] == hooks.url + "/status"

    stored = {
        (s.name, tuple(s.labels.values())): s.value
        for family in text_string_to_metric_families(metrics)
        for s in family.samples
    }
    assert stored[("ringway_messages", ("delivered",))] == 1
    assert stored[("ringway_calls", ("completed",))] == 1
    assert stored[("ringway_active_calls", ())] == 0

    signatures = [r.headers["Authorization"].removeprefix("Bearer ") for r in hooks.received]
    assert len(signatures) >= 5 and all(signatures)
    key_lines = [line for line in private_key.splitlines() if "PRIVATE KEY" not in line]
    secrets = [AUTH[1], ENV["RINGWAY_SIGNATURE_SECRET"], jwt, jwt.rsplit(".", 1)[1], session,
               csrf[1], *signatures, *key_lines]  # fmt: skip
    logged_part = output[output.index("dashboard:") :]
    for secret in secrets:
        assert secret not in logged_part
