"""Numbers API (wire-contract §3): inventory, buying, routing, legacy errors, on both databases."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from ringway.services.accounts import Credentials
from tests.conftest import LiveServer


@pytest.fixture
def rest(api: httpx.Client) -> httpx.Client:
    return api


def ok(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.json() == {"error-code": "200", "error-code-label": "success"}


def failed(response: httpx.Response, status: int = 420, label: str = "method failed") -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error-code"] == str(status)
    if label:
        assert body["error-code-label"] == label
    return str(body.get("detail") or body["error-code-label"])


def owned(client: httpx.Client, **params: Any) -> dict[str, Any]:
    response = client.get("/account/numbers", params=params)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def new_app(client: httpx.Client) -> str:
    return str(client.post("/v2/applications", json={"name": "numbers"}).json()["id"])


@pytest.mark.parametrize("country", ["GB", "US", "DE", "FR", "ES", "AU"])
def test_every_country_has_numbers_for_sale(rest: httpx.Client, country: str) -> None:
    body = rest.get("/number/search", params={"country": country}).json()
    assert body["count"] >= 100
    assert len(body["numbers"]) == 10  # default size
    for number in body["numbers"]:
        assert number["country"] == country
        assert number["type"] in ("landline", "mobile-lvn", "landline-toll-free")
        assert set(number["features"]) <= {"VOICE", "SMS", "MMS"}
        assert float(number["cost"]) > 0


def test_inventory_numbers_come_from_fictional_ranges(rest: httpx.Client) -> None:
    gb = rest.get("/number/search", params={"country": "GB", "type": "mobile-lvn"}).json()
    assert all(n["msisdn"].startswith("447700900") for n in gb["numbers"])
    us = rest.get("/number/search", params={"country": "US", "size": 100}).json()
    assert all(n["msisdn"][4:8] == "5550" and n["msisdn"][8] == "1" for n in us["numbers"])


def test_search_filters_by_type_features_and_pattern(rest: httpx.Client) -> None:
    toll_free = rest.get("/number/search", params={"country": "GB", "type": "landline-toll-free"})
    assert {n["type"] for n in toll_free.json()["numbers"]} == {"landline-toll-free"}
    mms = rest.get("/number/search", params={"country": "US", "features": "SMS,MMS", "size": 100})
    assert all({"SMS", "MMS"} <= set(n["features"]) for n in mms.json()["numbers"])
    assert mms.json()["count"] == 100
    for search_pattern, check in ((0, str.startswith), (1, str.__contains__), (2, str.endswith)):
        pattern = {0: "4477009001", 1: "90012", 2: "99"}[search_pattern]
        body = rest.get(
            "/number/search",
            params={"country": "GB", "pattern": pattern, "search_pattern": search_pattern},
        ).json()
        assert body["count"] > 0
        assert all(check(n["msisdn"], pattern) for n in body["numbers"])


def test_search_pages_with_size_and_index(rest: httpx.Client) -> None:
    pages = [
        rest.get("/number/search", params={"country": "FR", "size": 50, "index": i}).json()
        for i in (1, 2, 3, 4, 5)
    ]
    seen = [n["msisdn"] for page in pages for n in page.get("numbers", [])]
    assert len(seen) == len(set(seen)) == pages[0]["count"] == 200
    assert pages[4] == {"count": 200} or pages[4]["numbers"] == []


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({}, "country"),
        ({"country": "Great Britain"}, "country"),
        ({"country": "GB", "type": "satellite"}, "type"),
        ({"country": "GB", "features": "FAX"}, "features"),
        ({"country": "GB", "size": 101}, "size"),
        ({"country": "GB", "index": 0}, "index"),
        ({"country": "GB", "search_pattern": 3}, "search_pattern"),
        ({"country": "GB", "pattern": "4477_"}, "pattern"),  # no SQL wildcards
    ],
)
def test_bad_search_parameters_are_clear_400s(
    rest: httpx.Client, params: dict[str, Any], reason: str
) -> None:
    assert reason in failed(rest.get("/number/search", params=params), 400, "")


def test_buy_then_list_then_cancel(rest: httpx.Client, server: LiveServer) -> None:
    ok(rest.post("/number/buy", data={"country": "GB", "msisdn": "447700900010"}))
    body = owned(rest)
    assert body["count"] == 1
    assert body["numbers"][0]["msisdn"] == "447700900010"
    assert "app_id" not in body["numbers"][0]
    search = rest.get("/number/search", params={"country": "GB", "pattern": "447700900010"})
    assert search.json() == {"count": 0}
    ok(rest.post("/number/cancel", data={"country": "GB", "msisdn": "447700900010"}))
    assert owned(rest) == {"count": 0}
    with server.client(server.account()) as other:
        ok(other.post("/number/buy", data={"country": "GB", "msisdn": "447700900010"}))


def test_a_number_belongs_to_one_account_at_a_time(rest: httpx.Client, server: LiveServer) -> None:
    ok(rest.post("/number/buy", data={"country": "GB", "msisdn": "447700900011"}))
    assert "already own" in failed(
        rest.post("/number/buy", data={"country": "GB", "msisdn": "447700900011"})
    )
    with server.client(server.account()) as other:
        assert "not available" in failed(
            other.post("/number/buy", data={"country": "GB", "msisdn": "447700900011"})
        )
        assert "do not own" in failed(
            other.post("/number/cancel", data={"country": "GB", "msisdn": "447700900011"})
        )
        assert owned(other) == {"count": 0}


def test_numbers_are_normalised_and_malformed_ones_are_clear_errors(rest: httpx.Client) -> None:
    ok(rest.post("/number/buy", data={"country": "gb", "msisdn": "+44 (7700) 900-012"}))
    assert owned(rest)["numbers"][0]["msisdn"] == "447700900012"
    for bad in ("07700900013", "44-77OO-900013", "1234", "4477009000131234"):
        detail = failed(rest.post("/number/buy", data={"country": "GB", "msisdn": bad}), 400, "")
        assert "Invalid msisdn" in detail
    assert "not a number ringway has" in failed(
        rest.post("/number/buy", data={"country": "GB", "msisdn": "447700123456"})
    )
    assert "is in GB, not US" in failed(
        rest.post("/number/buy", data={"country": "US", "msisdn": "447700900014"})
    )


def test_update_links_with_app_id_and_unlinks_without_it(rest: httpx.Client) -> None:
    app_id = new_app(rest)
    ok(rest.post("/number/buy", data={"country": "GB", "msisdn": "447700900020"}))
    ok(
        rest.post(
            "/number/update",
            data={
                "country": "GB",
                "msisdn": "447700900020",
                "app_id": app_id,
                "moHttpUrl": "http://localhost/mo",
            },
        )
    )
    number = owned(rest)["numbers"][0]
    assert number["app_id"] == app_id
    assert number["voiceCallbackType"] == "app"
    assert number["voiceCallbackValue"] == app_id
    assert number["messagesCallbackType"] == "app"
    assert number["moHttpUrl"] == "http://localhost/mo"
    ok(rest.post("/number/update", data={"country": "GB", "msisdn": "447700900020"}))
    number = owned(rest)["numbers"][0]
    assert "app_id" not in number and "moHttpUrl" not in number  # replaced: omitted is cleared


def test_legacy_voice_callback_type_app_links_too(rest: httpx.Client) -> None:
    app_id = new_app(rest)
    ok(rest.post("/number/buy", data={"country": "GB", "msisdn": "447700900021"}))
    ok(
        rest.post(
            "/number/update",
            data={
                "country": "GB",
                "msisdn": "447700900021",
                "voiceCallbackType": "app",
                "voiceCallbackValue": app_id,
            },
        )
    )
    assert owned(rest, application_id=app_id)["numbers"][0]["app_id"] == app_id


def test_sip_and_tel_routing_is_stored(rest: httpx.Client) -> None:
    ok(rest.post("/number/buy", data={"country": "GB", "msisdn": "447700900022"}))
    ok(rest.post("/number/update", data={
        "country": "GB", "msisdn": "447700900022", "voiceCallbackType": "sip",
        "voiceCallbackValue": "sip:desk@localhost", "voiceStatusCallback": "http://localhost/st",
    }))  # fmt: skip
    number = owned(rest)["numbers"][0]
    assert number["voiceCallbackType"] == "sip"
    assert number["voiceCallbackValue"] == "sip:desk@localhost"
    assert number["voiceStatusCallback"] == "http://localhost/st"
    detail = failed(rest.post("/number/update", data={
        "country": "GB", "msisdn": "447700900022", "voiceCallbackType": "fax",
        "voiceCallbackValue": "x"}), 400, "")  # fmt: skip
    assert "voiceCallbackType" in detail
    half = {"country": "GB", "msisdn": "447700900022", "voiceCallbackType": "tel"}
    detail = failed(rest.post("/number/update", data=half), 400, "")
    assert "together" in detail


def test_linking_needs_an_application_of_the_same_account(
    rest: httpx.Client, server: LiveServer
) -> None:
    ok(rest.post("/number/buy", data={"country": "GB", "msisdn": "447700900023"}))
    with server.client(server.account()) as other:
        foreign = new_app(other)
    for app_id in (foreign, "00000000-0000-0000-0000-000000000000"):
        detail = failed(rest.post("/number/update", data={
            "country": "GB", "msisdn": "447700900023", "app_id": app_id}))  # fmt: skip
        assert "does not exist, or you do not have access" in detail
    assert "do not own" in failed(rest.post("/number/update", data={
        "country": "GB", "msisdn": "447700900024", "app_id": new_app(rest)}))  # fmt: skip


def test_owned_numbers_filter_by_application_country_and_pattern(rest: httpx.Client) -> None:
    app_id = new_app(rest)
    for msisdn, country in (("447700900030", "GB"), ("447700900031", "GB"), ("12015550130", "US")):
        ok(rest.post("/number/buy", data={"country": country, "msisdn": msisdn}))
    ok(
        rest.post(
            "/number/update", data={"country": "GB", "msisdn": "447700900030", "app_id": app_id}
        )
    )
    assert [n["msisdn"] for n in owned(rest, application_id=app_id)["numbers"]] == ["447700900030"]
    assert owned(rest, has_application="true")["count"] == 1
    assert owned(rest, has_application="False")["count"] == 2  # the Python SDK sends False
    assert owned(rest, country="US")["numbers"][0]["msisdn"] == "12015550130"
    assert owned(rest, pattern="31", search_pattern=2)["numbers"][0]["msisdn"] == "447700900031"
    assert owned(rest, size=1, index=2)["numbers"][0]["msisdn"] == "447700900030"
    assert owned(rest, application_id="nothing") == {"count": 0}


def test_deleting_an_application_unlinks_its_numbers_which_stay_owned(rest: httpx.Client) -> None:
    app_id = new_app(rest)
    ok(rest.post("/number/buy", data={"country": "GB", "msisdn": "447700900040"}))
    ok(
        rest.post(
            "/number/update", data={"country": "GB", "msisdn": "447700900040", "app_id": app_id}
        )
    )
    assert rest.delete(f"/v2/applications/{app_id}").status_code == 204
    number = owned(rest)["numbers"][0]
    assert number["msisdn"] == "447700900040"
    assert "app_id" not in number


def test_credentials_in_query_form_or_basic_and_legacy_401(
    server: LiveServer, account: Credentials
) -> None:
    creds = {"api_key": account.api_key, "api_secret": account.api_secret}
    with server.client() as anonymous:
        assert anonymous.get("/account/numbers", params=creds).json() == {"count": 0}
        ok(anonymous.post("/number/buy", data={**creds, "country": "GB", "msisdn": "447700900050"}))
        assert anonymous.get("/account/numbers", params=creds).json()["count"] == 1
        for response in (
            anonymous.get("/account/numbers"),
            anonymous.get(
                "/number/search", params={"country": "GB", "api_key": "x", "api_secret": "y"}
            ),
            anonymous.post("/number/buy", data={"country": "GB", "msisdn": "447700900051"}),
        ):
            assert response.status_code == 401
            assert response.json() == {
                "error-code": "401",
                "error-code-label": "authentication failed",
            }


def test_python_sdk_form_posts_labelled_json_are_understood(rest: httpx.Client) -> None:
    response = rest.post(
        "/number/buy",
        content=b"country=GB&msisdn=447700900052",
        headers={"Content-Type": "application/json"},
    )
    ok(response)
    ok(rest.post("/number/cancel", json={"country": "GB", "msisdn": "447700900052"}))


def test_two_buyers_racing_for_one_number_exactly_one_wins(server: LiveServer) -> None:
    buyers = [server.account() for _ in range(4)]
    msisdns = [f"4477009006{i:02d}" for i in range(10)]
    results: dict[str, list[int]] = {m: [] for m in msisdns}
    barrier = threading.Barrier(len(buyers))

    def buy(credentials: Credentials) -> None:
        with server.client(credentials) as client:
            barrier.wait()
            for msisdn in msisdns:
                response = client.post("/number/buy", data={"country": "GB", "msisdn": msisdn})
                results[msisdn].append(response.status_code)

    threads = [threading.Thread(target=buy, args=(b,)) for b in buyers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for msisdn, statuses in results.items():
        assert sorted(statuses) == [200, 420, 420, 420], msisdn
    total = 0
    for credentials in buyers:
        with server.client(credentials) as client:
            total += owned(client)["count"]
    assert total == len(msisdns)
