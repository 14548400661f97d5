"""``X-Ringway-Force-Status``: any Vonage API answers the status asked for, with its real error
body and nothing done; ringway's own endpoints refuse it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.test_voice import CALLER, Voice, callee, open_voice
from tests.conftest import LiveServer
from tests.receivers import Receiver

ERRORS = "https://developer.nexmo.com/api-errors"
FORCE = "X-Ringway-Force-Status"


@pytest.fixture
def voice(hooks: Receiver, server: LiveServer) -> Iterator[Voice]:
    yield from open_voice(server, hooks)


def force(status: int | str) -> dict[str, str]:
    return {FORCE: str(status)}


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert body["detail"] and body["instance"]
    return body


def test_a_v2_endpoint_answers_the_forced_status_and_creates_nothing(api: httpx.Client) -> None:
    created = api.post("/v2/applications", json={"name": "never"}, headers=force(500))
    body = problem(created, 500)
    assert (body["type"], body["title"]) == (f"{ERRORS}#internal-error", "Internal Server Error")
    assert api.get("/v2/applications").json()["total_items"] == 0
    limited = problem(api.get("/v2/applications", headers=force(429)), 429)
    assert (limited["type"], limited["title"]) == (f"{ERRORS}#throttled", "Rate Limit Hit")
    assert api.get("/v2/applications", headers=force(429)).headers["Retry-After"] == "1"
    # Checked before anything else: no credentials, no body needed.
    with httpx.Client(base_url=str(api.base_url)) as anonymous:
        unavailable = problem(anonymous.post("/v2/applications", headers=force(503)), 503)
        assert unavailable["title"] == "Service Unavailable"
        denied = anonymous.delete("/v1/applications/x", headers=force(401))
        assert problem(denied, 401)["title"] == "Invalid credentials supplied"
        assert denied.headers["WWW-Authenticate"].startswith("Basic")


def test_the_hot_path_read_answers_the_forced_status(api: httpx.Client) -> None:
    app_id = api.post("/v2/applications", json={"name": "hot"}).json()["id"]
    for status, title in ((404, "Not Found"), (429, "Rate Limit Hit"), (500,
                          "Internal Server Error")):  # fmt: skip
        response = api.get(f"/v2/applications/{app_id}", headers=force(status))
        assert problem(response, status)["title"] == title
    assert api.get(f"/v2/applications/{app_id}").json()["name"] == "hot"


def test_a_legacy_endpoint_answers_in_its_error_code_shape(api: httpx.Client) -> None:
    number = api.get("/number/search", params={"country": "GB"}).json()["numbers"][0]["msisdn"]
    routing = {"country": "GB", "msisdn": number}
    failed = api.post("/number/buy", data=routing, headers=force(500))
    assert failed.status_code == 500
    assert failed.json() == {"error-code": "500", "error-code-label": "Internal Server Error",
                             "detail": failed.json()["detail"]}  # fmt: skip
    denied = api.get("/account/numbers", headers=force(401))
    assert denied.status_code == 401
    assert denied.json() == {"error-code": "401", "error-code-label": "authentication failed"}
    limited = api.get("/account/numbers", headers=force(429))
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "1")
    assert limited.json()["error-code"] == "429"
    assert api.get("/account/numbers").json() == {"count": 0}  # the number was not bought


def test_the_voice_api_answers_the_forced_status_and_places_no_call(voice: Voice) -> None:
    body = {"to": [{"type": "phone", "number": callee()}],
            "from": {"type": "phone", "number": CALLER},
            "ncco": [{"action": "talk", "text": "Hi"}]}  # fmt: skip
    response = voice.api("POST", "/v1/calls", json=body, headers=force(503))
    assert problem(response, 503)["type"] == f"{ERRORS}#http-error"
    assert voice.api("GET", "/v1/calls").json()["count"] == 0
    assert voice.hooks.received == []
    forbidden = voice.api("GET", "/v1/calls", headers=force(403))
    assert problem(forbidden, 403)["title"] == "Forbidden"


@pytest.mark.parametrize("path", ["/_ringway/calls", "/_ringway/faults", "/_ringway/health"])
def test_ringways_own_endpoints_refuse_it(api: httpx.Client, path: str) -> None:
    method = "POST" if path == "/_ringway/calls" else "GET"  # the hot path's simulated call
    response = api.request(method, path, headers=force(500), json={"from": CALLER, "to": "1"})
    body = problem(response, 400)
    assert body["invalid_parameters"][0]["name"] == FORCE
    assert "Vonage APIs" in body["invalid_parameters"][0]["reason"]
    assert api.get("/_ringway/calls").json()["count"] == 0


@pytest.mark.parametrize("value", ["abc", "4ab", "200", "302", "600", "5000", "", "+50"])
def test_a_value_that_is_no_error_status_is_refused(api: httpx.Client, value: str) -> None:
    response = api.get("/v2/applications", headers={FORCE: value})
    body = problem(response, 400)
    assert body["invalid_parameters"] == [
        {"name": FORCE, "reason": "must be an HTTP error status, 400 to 599"}
    ]
