"""The Account API against a live server: the balance (and what spends it), the SMS API's
default webhooks in both spellings, and API secrets (list, create, read, revoke; at most two
live; each authenticates), with the platform's error shapes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from ringway.domain.calls import CallRecord
from ringway.services.accounts import Credentials
from ringway.storage.calls import CallRepository
from tests.conftest import LiveServer, eventually

SECRETS = "https://developer.nexmo.com/api-errors/account/secret-management"


@pytest.fixture
def account(server: LiveServer) -> Credentials:
    return server.account()


@pytest.fixture
def rest(server: LiveServer, account: Credentials) -> Iterator[httpx.Client]:
    with server.client(account) as client:
        yield client


def test_a_new_account_has_ten_euros_and_no_auto_reload(rest: httpx.Client) -> None:
    response = rest.get("/account/get-balance")
    assert response.status_code == 200
    assert response.json() == {"value": 10.0, "autoReload": False}


def test_the_balance_takes_query_credentials_and_refuses_bad_ones(
    server: LiveServer, account: Credentials
) -> None:
    with server.client() as anonymous:
        keys = {"api_key": account.api_key, "api_secret": account.api_secret}
        good = anonymous.get("/account/get-balance", params=keys)
        bad = anonymous.get("/account/get-balance", params={**keys, "api_secret": "wrong"})
    assert good.json()["value"] == 10.0
    assert bad.status_code == 401
    assert bad.json() == {"error-code": "401", "error-code-label": "authentication failed"}


def test_messages_and_ended_calls_spend_the_balance_once(
    server: LiveServer, account: Credentials, rest: httpx.Client
) -> None:
    sent = rest.post("/v1/messages", json={"channel": "sms", "message_type": "text",
                                          "to": "447700900123", "from": "447700900000",
                                          "text": "Hi"})  # fmt: skip
    assert sent.status_code == 202, sent.text
    platform = server.platform
    now = dt.datetime.now(dt.UTC)
    leg = CallRecord("0190a0a0-0000-7000-8000-000000000001", "s-1",
                     platform.accounts.get(account.api_key).id, None, "CON-1", "outbound",
                     "447700900000", "447700900123", "phone", "completed", "0.10000000",
                     "0.20000000", 120, now, now, now)  # fmt: skip
    calls = CallRepository(platform.db)
    calls.save([leg], [])  # the journal writes an ended leg, and may write it again
    calls.save([leg], [])
    expected = 10 - 0.0057 - 0.2
    assert eventually(lambda: rest.get("/account/get-balance").json()["value"] == pytest.approx(
        expected))  # fmt: skip


def test_top_up_adds_to_the_balance(server: LiveServer, account: Credentials) -> None:
    assert server.platform.accounts.top_up(account.api_key, Decimal("2.5")) == Decimal("12.5")


@pytest.mark.parametrize("spelling", ["CallBack", "Callback"])
def test_settings_set_and_unset_the_sms_webhooks(rest: httpx.Client, spelling: str) -> None:
    mo, dr = f"mo{spelling}Url", f"dr{spelling}Url"
    both = rest.post("/account/settings", data={mo: "http://localhost:3000/mo",
                                                dr: "https://localhost/dlr"})  # fmt: skip
    assert both.status_code == 200, both.text
    assert both.json() == {"mo-callback-url": "http://localhost:3000/mo",
                           "dr-callback-url": "https://localhost/dlr", "max-outbound-request": 30,
                           "max-inbound-request": 30, "max-calls-per-second": 30}  # fmt: skip
    kept = rest.post("/account/settings", data={mo: ""})
    assert kept.json()["mo-callback-url"] == ""
    assert kept.json()["dr-callback-url"] == "https://localhost/dlr"
    bad = rest.post("/account/settings", data={dr: "not a url"})
    assert bad.status_code == 400 and bad.json()["error-code"] == "400"
    assert rest.post("/account/settings").json()["dr-callback-url"] == "https://localhost/dlr"


# -- secrets -------------------------------------------------------------------------------


def test_secrets_are_listed_created_and_revoked_two_at_most(
    server: LiveServer, account: Credentials, rest: httpx.Client
) -> None:
    path = f"/accounts/{account.api_key}/secrets"
    listed = rest.get(path)
    assert listed.status_code == 200
    (first,) = listed.json()["_embedded"]["secrets"]
    assert listed.json()["_links"]["self"]["href"] == path
    assert first["_links"]["self"]["href"] == f"{path}/{first['id']}"
    dt.datetime.strptime(first["created_at"], "%Y-%m-%dT%H:%M:%SZ")

    created = rest.post(path, json={"secret": "Second1secret"})
    assert created.status_code == 201, created.text
    second = created.json()
    assert rest.get(f"{path}/{second['id']}").json() == second
    with server.client() as anonymous:  # both secrets work
        for secret in (account.api_secret, "Second1secret"):
            auth = (account.api_key, secret)
            assert anonymous.get("/account/get-balance", auth=auth).status_code == 200

    third = rest.post(path, json={"secret": "Third1secret"})
    assert third.status_code == 400
    assert third.json()["type"] == f"{SECRETS}#validation"
    assert third.json()["invalid_parameters"][0]["name"] == "secret"

    assert rest.delete(f"{path}/{first['id']}").status_code == 204
    with server.client() as anonymous:
        old = anonymous.get(path, auth=(account.api_key, account.api_secret))
        assert old.status_code == 401
        new = httpx.BasicAuth(account.api_key, "Second1secret")
        last = anonymous.delete(f"{path}/{second['id']}", auth=new)
        assert last.status_code == 403
        assert last.json()["title"] == "Secret Deletion Forbidden"
        assert anonymous.get(f"{path}/{first['id']}", auth=new).status_code == 404


WEAK = ["short1A", "nouppercase1", "NOLOWERCASE1", "NoDigitsHere", "A1" + "a" * 24]


@pytest.mark.parametrize("body", [*({"secret": s} for s in WEAK), {}, {"secret": ["Abcdefg1"]}])
def test_a_weak_secret_is_a_validation_problem(
    account: Credentials, rest: httpx.Client, body: dict[str, str]
) -> None:
    response = rest.post(f"/accounts/{account.api_key}/secrets", json=body)
    assert response.status_code == 400
    assert response.json()["invalid_parameters"][0]["name"] == "secret"


def test_another_accounts_key_or_an_unknown_id_is_a_404(
    server: LiveServer, account: Credentials, rest: httpx.Client
) -> None:
    other = server.account()
    response = rest.get(f"/accounts/{other.api_key}/secrets")
    assert response.status_code == 404 and response.json()["title"] == "Invalid API Key"
    missing = rest.delete(f"/accounts/{account.api_key}/secrets/nope")
    assert missing.status_code == 404 and missing.json()["title"] == "Invalid ID"
    with server.client() as anonymous:
        unauthorized = anonymous.get(f"/accounts/{account.api_key}/secrets")
    assert unauthorized.status_code == 401
