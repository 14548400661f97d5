"""JSON nested deeper than ringway keeps is a 400 in each endpoint's error format, on the
framework's routes and on the hot path alike."""

from __future__ import annotations

import httpx
import pytest

VALIDATION = "https://developer.nexmo.com/api-errors/application#payload-validation"


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def post(api: httpx.Client, path: str, body: bytes) -> httpx.Response:
    return api.post(path, content=body, headers={"Content-Type": "application/json"})


MESSAGE = (b'"channel": "sms", "message_type": "text", "to": "447700900003", '
           b'"from": "447700900004", "text": "hi"')  # fmt: skip


@pytest.mark.parametrize("depth", [101, 300, 1_000])
@pytest.mark.parametrize(
    ("path", "fields"),
    [("/v2/applications", b'"name": "deep"'),  # a framework route
     ("/_ringway/calls", b'"from": "447700900001", "to": "447700900002"'),  # the hot path
     ("/v1/messages", MESSAGE)],  # where a body may carry fields of its own
)  # fmt: skip
def test_a_json_body_nested_too_deep_is_a_400(
    api: httpx.Client, path: str, fields: bytes, depth: int
) -> None:
    response = post(api, path, b"{" + fields + b', "extra": ' + nested(depth - 1) + b"}")
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


def test_a_json_body_100_levels_deep_is_read(api: httpx.Client) -> None:
    response = post(api, "/v1/messages", b"{" + MESSAGE + b', "extra": ' + nested(99) + b"}")
    assert response.status_code == 202, response.text
