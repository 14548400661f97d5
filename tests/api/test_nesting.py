"""JSON nested deeper than ringway keeps is a 400 in each endpoint's error format, on the
framework's routes and on the hot path alike."""

from __future__ import annotations

import httpx
import pytest

VALIDATION = "https://developer.nexmo.com/api-errors/application#payload-validation"
CUSTOM = (b'{"channel": "whatsapp", "message_type": "custom", "to": "447700900003", '
          b'"from": "447700900004", "custom": {"deep": ')  # fmt: skip


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def post(api: httpx.Client, path: str, body: bytes) -> httpx.Response:
    return api.post(path, content=body, headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("depth", [101, 300, 1_000])
@pytest.mark.parametrize(
    ("path", "start", "end"),
    [("/v2/applications", b'{"name": "deep", "x": ', b"}"),  # a framework route
     ("/_ringway/calls", b'{"from": "447700900001", "to": "447700900002", "x": ', b"}"),  # hot
     ("/v1/messages", CUSTOM, b"}}")],  # a custom message is stored as it came
)  # fmt: skip
def test_a_json_body_nested_too_deep_is_a_400(
    api: httpx.Client, path: str, start: bytes, end: bytes, depth: int
) -> None:
    levels = start.count(b"{")
    response = post(api, path, start + nested(depth - levels) + end)
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["type"] == VALIDATION
    assert problem["invalid_parameters"] == [
        {"name": "body", "reason": "is nested deeper than 100 levels"}
    ]


def test_a_json_body_of_parameters_nested_too_deep_is_a_legacy_400(api: httpx.Client) -> None:
    response = post(api, "/number/buy", b'{"country": ' + nested(1_000) + b"}")
    assert response.status_code == 400, response.text
    assert response.json()["error-code"] == "400"


def test_a_custom_message_100_levels_deep_is_stored_and_read_back(api: httpx.Client) -> None:
    sent = post(api, "/v1/messages", CUSTOM + nested(98) + b"}}")
    assert sent.status_code == 202, sent.text
    read = api.get(f"/_ringway/messages/{sent.json()['message_uuid']}")
    assert read.status_code == 200, read.text
    assert read.text.count("[") >= 98
