"""Application API v1 (wire-contract §2), over the same storage as v2."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ringway.services.accounts import Credentials
from tests.conftest import LiveServer

VOICE_V1 = {
    "name": "legacy voice",
    "type": "voice",
    "answer_url": "http://localhost:3000/answer",
    "event_url": "http://localhost:3000/event",
}
MESSAGES_V1 = {
    "name": "legacy messages",
    "type": "messages",
    "inbound_url": "http://localhost:3000/inbound",
    "status_url": "http://localhost:3000/status",
}


@pytest.fixture
def legacy(server: LiveServer) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    """An unauthenticated client and the account's credentials as v1 parameters."""
    credentials: Credentials = server.account()
    with server.client() as client:
        yield client, {"api_key": credentials.api_key, "api_secret": credentials.api_secret}


def create_v1(legacy: tuple[httpx.Client, dict[str, str]], body: dict[str, Any]) -> dict[str, Any]:
    client, auth = legacy
    response = client.post("/v1/applications", json={**body, **auth})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def test_v1_create_voice_answers_the_legacy_shape_with_a_private_key(
    legacy: tuple[httpx.Client, dict[str, str]],
) -> None:
    app = create_v1(legacy, VOICE_V1)
    assert app["name"] == "legacy voice"
    assert app["voice"]["webhooks"] == [
        {
            "endpoint_type": "answer_url",
            "endpoint": "http://localhost:3000/answer",
            "http_method": "GET",
        },
        {
            "endpoint_type": "event_url",
            "endpoint": "http://localhost:3000/event",
            "http_method": "POST",
        },
    ]
    assert "messages" not in app
    assert app["keys"]["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    assert app["_links"]["self"]["href"] == f"/v1/applications/{app['id']}"


def test_v1_create_accepts_a_form_body(legacy: tuple[httpx.Client, dict[str, str]]) -> None:
    client, auth = legacy
    response = client.post("/v1/applications", data={**MESSAGES_V1, **auth})
    assert response.status_code == 201, response.text
    hooks = {h["endpoint_type"]: h for h in response.json()["messages"]["webhooks"]}
    assert hooks["inbound_url"]["endpoint"] == "http://localhost:3000/inbound"
    assert hooks["status_url"]["http_method"] == "POST"


def test_v1_app_is_visible_through_v2_and_v2_app_through_v1(
    server: LiveServer, legacy: tuple[httpx.Client, dict[str, str]]
) -> None:
    client, auth = legacy
    v1_app = create_v1(legacy, VOICE_V1)
    with server.client() as v2:
        basic = (auth["api_key"], auth["api_secret"])
        seen = v2.get(f"/v2/applications/{v1_app['id']}", auth=basic).json()
        assert seen["capabilities"]["voice"]["webhooks"]["answer_url"]["address"] == (
            "http://localhost:3000/answer"
        )
        assert seen["keys"]["public_key"] == v1_app["keys"]["public_key"]
        v2_app = v2.post(
            "/v2/applications",
            auth=basic,
            json={
                "name": "modern",
                "capabilities": {
                    "messages": {
                        "webhooks": {
                            "inbound_url": {"address": "http://localhost/in"},
                            "status_url": {"address": "http://localhost/st"},
                        }
                    }
                },
            },
        ).json()
    fetched = client.get(f"/v1/applications/{v2_app['id']}", params=auth).json()
    assert fetched["name"] == "modern"
    assert {h["endpoint_type"] for h in fetched["messages"]["webhooks"]} == {
        "inbound_url",
        "status_url",
    }
    assert "private_key" not in fetched["keys"]


def test_v1_update_changes_name_and_webhooks_and_keeps_what_v1_cannot_express(
    server: LiveServer, legacy: tuple[httpx.Client, dict[str, str]]
) -> None:
    client, auth = legacy
    basic = (auth["api_key"], auth["api_secret"])
    with server.client() as v2:
        app = v2.post(
            "/v2/applications",
            auth=basic,
            json={
                "name": "both",
                "capabilities": {
                    "voice": {
                        "webhooks": {
                            "answer_url": {"address": "http://localhost/a", "socket_timeout": 2000}
                        },
                        "region": "eu-west",
                    },
                    "rtc": {},
                },
            },
        ).json()
        response = client.put(
            f"/v1/applications/{app['id']}",
            json={**auth, **VOICE_V1, "name": "renamed", "answer_method": "POST"},
        )
        assert response.status_code == 200, response.text
        assert response.json()["voice"]["webhooks"][0]["http_method"] == "POST"
        after = v2.get(f"/v2/applications/{app['id']}", auth=basic).json()
    assert after["name"] == "renamed"
    answer = after["capabilities"]["voice"]["webhooks"]["answer_url"]
    assert answer == {
        "address": "http://localhost:3000/answer",
        "http_method": "POST",
        "connect_timeout": 1000,
        "socket_timeout": 2000,
    }
    assert after["capabilities"]["voice"]["region"] == "eu-west"
    assert "rtc" in after["capabilities"]
    assert after["keys"] == {"public_key": app["keys"]["public_key"]}


def test_v1_type_is_required_and_cannot_change(
    legacy: tuple[httpx.Client, dict[str, str]],
) -> None:
    client, auth = legacy
    response = client.post("/v1/applications", json={**auth, "name": "x"})
    assert response.status_code == 400
    assert {p["name"] for p in response.json()["invalid_parameters"]} == {"type"}
    app = create_v1(legacy, VOICE_V1)
    response = client.put(f"/v1/applications/{app['id']}", json={**auth, **MESSAGES_V1})
    assert response.status_code == 400
    assert response.json()["invalid_parameters"] == [
        {"name": "type", "reason": "cannot be changed"}
    ]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({**VOICE_V1, "event_url": None}, "needs event_url"),
        ({**MESSAGES_V1, "status_url": None}, "needs status_url"),
        ({**VOICE_V1, "answer_method": "PATCH"}, "answer_method"),
        ({**VOICE_V1, "type": "video"}, "type"),
    ],
)
def test_v1_validation_errors_are_400(
    legacy: tuple[httpx.Client, dict[str, str]], body: dict[str, Any], reason: str
) -> None:
    client, auth = legacy
    response = client.post(
        "/v1/applications", json={**{k: v for k, v in body.items() if v is not None}, **auth}
    )
    assert response.status_code == 400
    assert reason in response.text


def test_v1_list_pages_with_a_zero_based_page_index(
    legacy: tuple[httpx.Client, dict[str, str]],
) -> None:
    client, auth = legacy
    ids = [create_v1(legacy, {**VOICE_V1, "name": f"app {i}"})["id"] for i in range(5)]
    first = client.get("/v1/applications", params={**auth, "page_size": 2}).json()
    assert first["count"] == 5
    assert first["page_size"] == 2
    assert first["page_index"] == 0
    assert [a["id"] for a in first["_embedded"]["applications"]] == ids[:2]
    assert first["_links"]["first"]["href"] == "/v1/applications?page_size=2"
    assert first["_links"]["next"]["href"] == "/v1/applications?page_size=2&page_index=1"
    assert first["_links"]["last"]["href"] == "/v1/applications?page_size=2&page_index=2"
    assert "prev" not in first["_links"]
    last = client.get("/v1/applications", params={**auth, "page_size": 2, "page_index": 2}).json()
    assert [a["id"] for a in last["_embedded"]["applications"]] == ids[4:]
    assert "next" not in last["_links"]
    assert last["_links"]["prev"]["href"] == "/v1/applications?page_size=2&page_index=1"


def test_v1_delete_with_query_credentials(legacy: tuple[httpx.Client, dict[str, str]]) -> None:
    client, auth = legacy
    app = create_v1(legacy, VOICE_V1)
    response = client.delete(f"/v1/applications/{app['id']}", params=auth)
    assert response.status_code == 204
    assert client.get(f"/v1/applications/{app['id']}", params=auth).status_code == 404


def test_v1_rejects_bad_credentials_and_other_accounts(
    server: LiveServer, legacy: tuple[httpx.Client, dict[str, str]]
) -> None:
    client, auth = legacy
    app = create_v1(legacy, VOICE_V1)
    wrong = {**auth, "api_secret": "nope"}
    assert client.get("/v1/applications", params=wrong).status_code == 401
    assert client.post("/v1/applications", json={**VOICE_V1, **wrong}).status_code == 401
    other = server.account()
    other_auth = {"api_key": other.api_key, "api_secret": other.api_secret}
    assert client.get(f"/v1/applications/{app['id']}", params=other_auth).status_code == 404
