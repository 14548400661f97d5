"""Application API v2 over HTTP, on SQLite and PostgreSQL (wire-contract §1)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ringway.security.keys import generate_key_pair
from tests.conftest import LiveServer

# A valid PEM public key, but not an RSA one.
EC_PUBLIC_KEY = (
    ec.generate_private_key(ec.SECP256R1())
    .public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)
ERRORS = "https://developer.nexmo.com/api-errors"
VOICE = {
    "webhooks": {
        "answer_url": {"address": "http://localhost:3000/answer"},
        "event_url": {"address": "http://localhost:3000/event"},
    }
}


def create(api: httpx.Client, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = api.post("/v2/applications", json=body or {"name": "demo"})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def problem(response: httpx.Response, status: int, type_: str, title: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["type"] == type_
    assert body["title"] == title
    assert body["detail"]
    assert body["instance"]
    return body


def invalid(response: httpx.Response) -> dict[str, str]:
    body = problem(response, 400, f"{ERRORS}/application#payload-validation", "Bad Request")
    return {p["name"]: p["reason"] for p in body["invalid_parameters"]}


def test_create_without_key_returns_a_generated_pkcs8_private_key_once(api: httpx.Client) -> None:
    app = create(api, {"name": "keys"})
    assert app["keys"]["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    assert app["keys"]["private_key"].endswith("-----END PRIVATE KEY-----\n")
    assert app["keys"]["public_key"].startswith("-----BEGIN PUBLIC KEY-----")
    fetched = api.get(f"/v2/applications/{app['id']}").json()
    assert "private_key" not in fetched["keys"]
    assert fetched["keys"]["public_key"] == app["keys"]["public_key"]


def test_generated_private_key_matches_the_stored_public_key(api: httpx.Client) -> None:
    app = create(api)
    private = serialization.load_pem_private_key(app["keys"]["private_key"].encode(), None)
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public.decode() == app["keys"]["public_key"]


def test_create_fills_in_every_default_and_returns_the_full_object(api: httpx.Client) -> None:
    app = create(
        api,
        {
            "name": "defaults",
            "capabilities": {
                "voice": VOICE,
                "messages": {"webhooks": {"inbound_url": {"address": "http://localhost/in"}}},
                "rtc": {"webhooks": {"event_url": {"address": "http://localhost/rtc"}}},
                "vbc": {},
            },
        },
    )
    assert app["name"] == "defaults"
    assert app["privacy"] == {"improve_ai": True}
    assert app["_links"] == {"self": {"href": f"/v2/applications/{app['id']}"}}
    voice = app["capabilities"]["voice"]
    assert voice["webhooks"]["answer_url"] == {
        "address": "http://localhost:3000/answer",
        "http_method": "GET",
        "connect_timeout": 1000,
        "socket_timeout": 5000,
    }
    assert voice["webhooks"]["event_url"] == {
        "address": "http://localhost:3000/event",
        "http_method": "POST",
        "connect_timeout": 1000,
        "socket_timeout": 10000,
    }
    assert voice["conversations_ttl"] == 48
    assert voice["leg_persistence_time"] == 7
    assert voice["signed_callbacks"] is False
    messages = app["capabilities"]["messages"]
    assert messages["version"] == "v1"
    assert messages["webhooks"]["inbound_url"] == {
        "address": "http://localhost/in",
        "http_method": "POST",
    }
    assert app["capabilities"]["rtc"]["webhooks"]["event_url"]["http_method"] == "POST"
    assert app["capabilities"]["vbc"] == {}
    assert api.get(f"/v2/applications/{app['id']}").json()["capabilities"] == app["capabilities"]


def test_connection_timeout_is_accepted_as_an_alias_and_answered_as_connect_timeout(
    api: httpx.Client,
) -> None:
    hook = {"address": "http://localhost/a", "connection_timeout": 300, "socket_timeout": 1000}
    app = create(
        api, {"name": "alias", "capabilities": {"voice": {"webhooks": {"answer_url": hook}}}}
    )
    answer = app["capabilities"]["voice"]["webhooks"]["answer_url"]
    assert answer["connect_timeout"] == 300
    assert "connection_timeout" not in answer


@pytest.mark.parametrize(
    ("hook_name", "field", "value"),
    [
        ("answer_url", "connect_timeout", 299),
        ("answer_url", "connect_timeout", 1001),
        ("answer_url", "socket_timeout", 999),
        ("answer_url", "socket_timeout", 5001),
        ("fallback_answer_url", "socket_timeout", 5001),
        ("event_url", "socket_timeout", 10001),
        ("event_url", "http_method", "PUT"),
        ("event_url", "connect_timeout", "soon"),
    ],
)
def test_voice_webhook_ranges_and_enums_are_enforced_with_a_dotted_path(
    api: httpx.Client, hook_name: str, field: str, value: object
) -> None:
    hook = {"address": "http://localhost/x", field: value}
    response = api.post(
        "/v2/applications",
        json={"name": "bad", "capabilities": {"voice": {"webhooks": {hook_name: hook}}}},
    )
    assert f"capabilities.voice.webhooks.{hook_name}.{field}" in invalid(response)


def test_event_socket_timeout_accepts_up_to_ten_seconds(api: httpx.Client) -> None:
    hook = {"address": "http://localhost/e", "socket_timeout": 10000, "connect_timeout": 1000}
    app = create(api, {"name": "e", "capabilities": {"voice": {"webhooks": {"event_url": hook}}}})
    assert app["capabilities"]["voice"]["webhooks"]["event_url"]["socket_timeout"] == 10000


@pytest.mark.parametrize(
    ("capabilities", "path"),
    [
        ({"voice": {"region": "mars-north"}}, "capabilities.voice.region"),
        ({"voice": {"conversations_ttl": 9001}}, "capabilities.voice.conversations_ttl"),
        ({"voice": {"leg_persistence_time": 32}}, "capabilities.voice.leg_persistence_time"),
        ({"rtc": {"leg_persistence_time": 0}}, "capabilities.rtc.leg_persistence_time"),
        ({"messages": {"version": "v2"}}, "capabilities.messages.version"),
        (
            {
                "messages": {
                    "webhooks": {"status_url": {"address": "http://h/s", "http_method": "GET"}}
                }
            },
            "capabilities.messages.webhooks.status_url.http_method",
        ),
        ({"vbc": {"anything": 1}}, "capabilities.vbc.anything"),
        (
            {"voice": {"webhooks": {"answer_url": {}}}},
            "capabilities.voice.webhooks.answer_url.address",
        ),
        (
            {"voice": {"webhooks": {"answer_url": {"address": "not a url"}}}},
            "capabilities.voice.webhooks.answer_url.address",
        ),
        (
            {
                "voice": {
                    "payments": {"gateways": [{"type": "x", "mode": "dev", "credential": "c"}]}
                }
            },
            "capabilities.voice.payments.gateways.0.mode",
        ),
    ],
)
def test_capability_rules_are_enforced(
    api: httpx.Client, capabilities: dict[str, Any], path: str
) -> None:
    response = api.post("/v2/applications", json={"name": "x", "capabilities": capabilities})
    assert path in invalid(response)


def test_every_region_and_payment_setting_is_accepted(api: httpx.Client) -> None:
    for region in ("na-east", "na-west", "eu-west", "eu-east", "apac-sng", "apac-australia"):
        voice = {
            "region": region,
            "payment_enabled": True,
            "payments": {"gateways": [{"type": "stripe", "mode": "test", "credential": "c1"}]},
            "conversations_ttl": 0,
        }
        app = create(api, {"name": region, "capabilities": {"voice": voice}})
        assert app["capabilities"]["voice"]["region"] == region
        assert app["capabilities"]["voice"]["payments"]["gateways"][0]["mode"] == "test"


def test_unknown_properties_are_rejected_with_their_dotted_path(api: httpx.Client) -> None:
    response = api.post(
        "/v2/applications",
        json={
            "name": "x",
            "colour": "blue",
            "capabilities": {
                "voice": {"webhooks": {"answer_url": {"address": "http://h", "x": 1}}}
            },
        },
    )
    reasons = invalid(response)
    assert "colour" in reasons
    assert "capabilities.voice.webhooks.answer_url.x" in reasons


def test_fields_that_sdks_echo_are_accepted_and_passthrough_capabilities_stored(
    api: httpx.Client,
) -> None:
    app = create(
        api,
        {
            "name": "echo",
            "id": "ignored",
            "capabilities": {
                "verify": {"webhooks": {"status_url": {"address": "http://h/v"}}, "version": "v2"},
                "meetings": {"webhooks": {"room_changed": {"address": "http://h/m"}}},
                "network_apis": {"network_application_id": "n1", "redirect_uri": "http://h/r"},
                "bulk": {},
                "video": {"webhooks": {}},
            },
        },
    )
    assert app["id"] != "ignored"
    assert app["capabilities"]["verify"]["version"] == "v2"
    assert app["capabilities"]["network_apis"]["redirect_uri"] == "http://h/r"
    echoed = {**app, "name": "echoed"}
    del echoed["_links"]
    response = api.put(f"/v2/applications/{app['id']}", json=echoed)
    assert response.status_code == 200, response.text
    assert response.json()["keys"]["public_key"] == app["keys"]["public_key"]


def test_booleans_may_arrive_as_strings(api: httpx.Client) -> None:
    app = create(
        api,
        {
            "name": "b",
            "privacy": {"improve_ai": "False"},
            "capabilities": {"voice": {"signed_callbacks": "True"}},
        },
    )
    assert app["privacy"]["improve_ai"] is False
    assert app["capabilities"]["voice"]["signed_callbacks"] is True


def test_name_is_required_and_must_be_a_string(api: httpx.Client) -> None:
    assert "name" in invalid(api.post("/v2/applications", json={}))
    assert "name" in invalid(api.post("/v2/applications", json={"name": 5}))
    assert "name" in invalid(api.post("/v2/applications", json={"name": ""}))


def test_supplied_public_key_is_stored_and_no_private_key_returned(api: httpx.Client) -> None:
    pair = generate_key_pair()
    app = create(api, {"name": "own key", "keys": {"public_key": pair.public_pem}})
    assert app["keys"] == {"public_key": pair.public_pem}


@pytest.mark.parametrize(
    "public_key",
    [
        "not a key",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        EC_PUBLIC_KEY,
    ],
)
def test_an_invalid_public_key_is_a_clear_400(api: httpx.Client, public_key: str) -> None:
    response = api.post("/v2/applications", json={"name": "k", "keys": {"public_key": public_key}})
    assert "RSA public key" in invalid(response)["keys.public_key"]


def test_put_replaces_everything_but_keeps_the_key_without_keys(api: httpx.Client) -> None:
    app = create(api, {"name": "before", "capabilities": {"voice": VOICE, "vbc": {}}})
    response = api.put(
        f"/v2/applications/{app['id']}",
        json={"name": "after", "capabilities": {"messages": {}}, "privacy": {"improve_ai": False}},
    )
    assert response.status_code == 200, response.text
    replaced = response.json()
    assert replaced["name"] == "after"
    assert set(replaced["capabilities"]) == {"messages"}
    assert replaced["privacy"] == {"improve_ai": False}
    assert replaced["keys"] == {"public_key": app["keys"]["public_key"]}
    assert api.get(f"/v2/applications/{app['id']}").json() == replaced


def test_put_with_a_new_public_key_replaces_the_key(api: httpx.Client) -> None:
    app = create(api)
    pair = generate_key_pair()
    response = api.put(
        f"/v2/applications/{app['id']}",
        json={"name": "rekeyed", "keys": {"public_key": pair.public_pem}},
    )
    assert response.json()["keys"] == {"public_key": pair.public_pem}


def test_put_requires_a_name_and_validates_like_create(api: httpx.Client) -> None:
    app = create(api)
    assert "name" in invalid(api.put(f"/v2/applications/{app['id']}", json={}))
    assert api.get(f"/v2/applications/{app['id']}").json()["name"] == "demo"


def test_delete_answers_204_with_an_empty_body_then_404(api: httpx.Client) -> None:
    app = create(api)
    response = api.delete(f"/v2/applications/{app['id']}")
    assert response.status_code == 204
    assert response.content == b""
    problem(api.get(f"/v2/applications/{app['id']}"), 404, f"{ERRORS}#not-found", "Not Found")
    problem(api.delete(f"/v2/applications/{app['id']}"), 404, f"{ERRORS}#not-found", "Not Found")


def test_not_found_names_the_id(api: httpx.Client) -> None:
    body = problem(
        api.get("/v2/applications/00000000-0000-0000-0000-000000000000"),
        404,
        f"{ERRORS}#not-found",
        "Not Found",
    )
    assert body["detail"] == (
        "ID '00000000-0000-0000-0000-000000000000' does not exist, or you do not have access"
    )


def test_another_accounts_application_is_exactly_like_a_missing_one(server: LiveServer) -> None:
    owner, other = server.account(), server.account()
    with server.client(owner) as mine, server.client(other) as theirs:
        app = create(mine, {"name": "private"})
        path = f"/v2/applications/{app['id']}"
        for response in (
            theirs.get(path),
            theirs.put(path, json={"name": "stolen"}),
            theirs.delete(path),
        ):
            body = problem(response, 404, f"{ERRORS}#not-found", "Not Found")
            assert body["detail"] == f"ID '{app['id']}' does not exist, or you do not have access"
        assert theirs.get("/v2/applications").json()["total_items"] == 0
        assert mine.get(path).json()["name"] == "private"


def test_bad_credentials_are_401_problem_details(server: LiveServer) -> None:
    credentials = server.account()
    cases: list[dict[str, Any]] = [
        {},
        {"auth": (credentials.api_key, "wrong")},
        {"auth": ("nobody", credentials.api_secret)},
        {"headers": {"Authorization": "Basic !!!"}},
        {"headers": {"Authorization": "Bearer abc"}},
    ]
    for kwargs in cases:
        with httpx.Client(base_url=server.url, **kwargs) as client:
            response = client.get("/v2/applications")
        problem(response, 401, f"{ERRORS}#unauthorized", "Invalid credentials supplied")


def test_wrong_methods_are_405_problem_details(api: httpx.Client) -> None:
    for method, path in (
        ("PATCH", "/v2/applications"),
        ("POST", "/v2/applications/abc"),
        ("DELETE", "/v2/applications"),
    ):
        response = api.request(method, path)
        problem(response, 405, f"{ERRORS}#wrong-verb", "Request method not allowed")
        assert "GET" in response.headers["allow"]


def test_an_accept_header_without_json_is_406(api: httpx.Client) -> None:
    response = api.get("/v2/applications", headers={"Accept": "text/html"})
    problem(response, 406, f"{ERRORS}#accept-header", "Invalid Accept header")


def test_node_sdk_accept_star_and_python_sdk_content_type_on_get_are_fine(
    api: httpx.Client,
) -> None:
    app = create(api)
    headers = {"Accept": "*/*", "Content-Type": "application/json"}
    response = api.get(f"/v2/applications/{app['id']}", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert api.delete(f"/v2/applications/{app['id']}", headers=headers).status_code == 204


def test_a_non_json_body_is_415(api: httpx.Client) -> None:
    response = api.post(
        "/v2/applications",
        content=b"name=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    problem(response, 415, f"{ERRORS}#content-type-header", "Unsupported Content-Type header")


@pytest.mark.parametrize(
    "raw",
    [b"{", b'{"name": "x",}', b"[1, 2]", b'"text"', b"\xff\xfe{}", b'{"name": "\xe9t\xe9"}', b""],
)
def test_malformed_bodies_are_400_never_500(api: httpx.Client, raw: bytes) -> None:
    response = api.post(
        "/v2/applications", content=raw, headers={"Content-Type": "application/json"}
    )
    assert "body" in invalid(response)
    assert api.get("/v2/applications").json()["total_items"] == 0


def test_wrong_types_are_400_naming_the_field(api: httpx.Client) -> None:
    response = api.post(
        "/v2/applications", json={"name": "x", "capabilities": {"voice": {"webhooks": []}}}
    )
    assert "capabilities.voice.webhooks" in invalid(response)
    response = api.post("/v2/applications", json={"name": "x", "privacy": {"improve_ai": "maybe"}})
    assert "privacy.improve_ai" in invalid(response)


def test_huge_bodies_are_413_and_store_nothing(api: httpx.Client) -> None:
    body = b'{"name": "' + b"x" * 2_000_000 + b'"}'
    response = api.post(
        "/v2/applications", content=body, headers={"Content-Type": "application/json"}
    )
    problem(response, 413, f"{ERRORS}#payload-too-large", "Payload Too Large")

    def chunks() -> Any:
        yield b'{"name": "'
        for _ in range(40):
            yield b"y" * 65536
        yield b'"}'

    response = api.post(
        "/v2/applications", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert api.get("/v2/applications").json()["total_items"] == 0


def test_unknown_paths_are_404_problem_details(api: httpx.Client) -> None:
    problem(api.get("/v2/nothing"), 404, f"{ERRORS}#not-found", "Not Found")


def test_nul_characters_are_refused_not_stored(server: LiveServer, api: httpx.Client) -> None:
    response = api.post("/v2/applications", json={"name": "a\x00b"})
    assert "name" in invalid(response)
    response = api.post(
        "/v2/applications",
        json={"name": "n", "capabilities": {"verify": {"webhooks": {"k\x00": 1}}}},
    )
    assert "capabilities.verify.webhooks" in invalid(response)
    problem(api.get("/v2/applications/%00"), 404, f"{ERRORS}#not-found", "Not Found")
    with httpx.Client(base_url=server.url, auth=("a\x00", "b")) as client:
        response = client.get("/v2/applications")
    problem(response, 401, f"{ERRORS}#unauthorized", "Invalid credentials supplied")
    assert api.get("/v2/applications").json()["total_items"] == 0


def test_the_list_pages_with_links_and_refuses_bad_paging(api: httpx.Client) -> None:
    ids = [create(api, {"name": f"app {i}"})["id"] for i in range(3)]
    for _ in range(2):  # a page served again (from the cache) is the same page
        first = api.get("/v2/applications", params={"page_size": 2}).json()
        assert (first["page"], first["page_size"], first["total_items"], first["total_pages"]) == (
            1, 2, 3, 2)  # fmt: skip
        assert [a["id"] for a in first["_embedded"]["applications"]] == ids[:2]
        assert first["_links"]["next"]["href"] == "/v2/applications?page_size=2&page=2"
    last = api.get("/v2/applications?page_size=2&page=2").json()
    assert [a["id"] for a in last["_embedded"]["applications"]] == ids[2:]
    assert last["_links"]["prev"]["href"] == "/v2/applications?page_size=2&page=1"
    assert "next" not in last["_links"]
    for query, name in (("page_size=0", "page_size"), ("page=x", "page"),
                        ("page_size=1001", "page_size"), ("page_size=0", "page_size")):  # fmt: skip
        refused = api.get(f"/v2/applications?{query}")
        assert refused.status_code == 400, refused.text
        assert [p["name"] for p in refused.json()["invalid_parameters"]] == [name]
