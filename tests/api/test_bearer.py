"""The Bearer-JWT layer (wire-contract §4) on GET /v1/calls: what it accepts, and one test per
rule it enforces."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import jwt as pyjwt
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from vonage_jwt import JwtClient

from ringway.cli import main
from ringway.security.jwt import LEEWAY, VerifiedTokens, mint
from ringway.security.keys import generate_key_pair
from ringway.services.accounts import Credentials
from tests.conftest import LiveServer

UNAUTHORIZED = "https://developer.nexmo.com/api-errors#unauthorized"


@dataclass
class App:
    id: str
    private_key: str
    public_key: str


@pytest.fixture
def owner(api: httpx.Client) -> httpx.Client:
    return api


@pytest.fixture
def app(owner: httpx.Client) -> App:
    body = owner.post("/v2/applications", json={"name": "jwt"}).json()
    return App(body["id"], body["keys"]["private_key"], body["keys"]["public_key"])


@pytest.fixture
def calls(server: LiveServer) -> Iterator[Any]:
    with server.client() as client:

        def get(token: str | None, path: str = "/v1/calls", **kwargs: Any) -> httpx.Response:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            headers |= kwargs.pop("headers", {})
            return client.get(path, headers=headers, **kwargs)

        yield get


def claims_for(app: App, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"application_id": app.id, "iat": now, "jti": str(uuid.uuid4()), "exp": now + 900}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def signed(app: App, **overrides: Any) -> str:
    return pyjwt.encode(claims_for(app, **overrides), _private(app.private_key), algorithm="RS256")


def _private(pem: str) -> Any:
    return serialization.load_pem_private_key(pem.encode(), None)


def rejected(response: httpx.Response, rule: str) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["type"] == UNAUTHORIZED
    assert f"({rule})" in body["detail"], body["detail"]


def test_a_token_from_the_official_vonage_jwt_package_is_accepted(
    server: LiveServer, app: App, calls: Any
) -> None:
    token = JwtClient(app.id, app.private_key).generate_application_jwt().decode()
    response = calls(token)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "count": 0,
        "page_size": 10,
        "record_index": 0,
        "_links": {"self": {"href": f"{server.url}/v1/calls?page_size=10&record_index=0"}},
        "_embedded": {"calls": []},
    }


def test_a_token_from_ringway_jwt_create_verifies_with_pyjwt_and_is_accepted(
    app: App, calls: Any, tmp_path: Any
) -> None:
    key_file = tmp_path / "app.key"
    key_file.write_text(app.private_key)
    acl = '{"paths": {"/*/calls/**": {}}}'
    result = CliRunner().invoke(
        main,
        ["jwt", "create", "--app-id", app.id, "--private-key-file", str(key_file),
         "--ttl", "60", "--sub", "alice", "--acl", acl, "--nbf"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    public = serialization.load_pem_public_key(app.public_key.encode())
    claims = pyjwt.decode(token, public, algorithms=["RS256"])  # type: ignore[arg-type]
    assert pyjwt.get_unverified_header(token) == {"alg": "RS256", "typ": "JWT"}
    assert claims["application_id"] == app.id
    assert claims["sub"] == "alice"
    assert claims["exp"] - claims["iat"] == 60
    assert claims["nbf"] == claims["iat"]
    assert claims["acl"] == json.loads(acl)
    uuid.UUID(claims["jti"])
    assert calls(token).status_code == 200


def test_tokens_of_any_account_application_are_accepted(server: LiveServer, calls: Any) -> None:
    with server.client(server.account()) as other:
        body = other.post("/v2/applications", json={"name": "other"}).json()
    token = mint(body["id"], body["keys"]["private_key"])
    assert calls(token).status_code == 200


def test_no_bearer_token_is_401(calls: Any) -> None:
    rejected(calls(None), "missing")
    rejected(calls("", headers={"Authorization": "Basic abc"}), "missing")


def test_a_malformed_token_is_401(calls: Any) -> None:
    rejected(calls("not.a.jwt"), "malformed")


def test_an_unsigned_alg_none_token_is_401(app: App, calls: Any) -> None:
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(json.dumps(claims_for(app)).encode()).rstrip(b"=").decode()
    rejected(calls(f"{header}.{payload}."), "alg-none")


def test_an_hs256_token_signed_with_the_public_key_is_401(app: App, calls: Any) -> None:
    # Key confusion: the public key is no secret, so it must not work as an HMAC key.
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(json.dumps(claims_for(app)).encode()).rstrip(b"=").decode()
    signature = hmac.new(app.public_key.encode(), f"{header}.{payload}".encode(), hashlib.sha256)
    sig = base64.urlsafe_b64encode(signature.digest()).rstrip(b"=").decode()
    rejected(calls(f"{header}.{payload}.{sig}"), "alg-hmac")


def test_an_expired_token_is_401(app: App, calls: Any) -> None:
    now = int(time.time())
    rejected(calls(signed(app, iat=now - 1000, exp=now - 60)), "expired")


def test_a_token_not_yet_valid_is_401(app: App, calls: Any) -> None:
    rejected(calls(signed(app, nbf=int(time.time()) + 300)), "not-yet-valid")


@pytest.mark.parametrize("claim", ["iat", "jti", "exp", "application_id"])
def test_a_token_without_a_required_claim_is_401(app: App, calls: Any, claim: str) -> None:
    rejected(calls(signed(app, **{claim: None})), f"missing-{claim}")


def seconds_as_text(offset: int) -> Callable[[], str]:
    """A valid time, written as a string (made when the test runs, so that every process
    collecting the tests names them alike)."""
    return lambda: str(int(time.time()) + offset)


@pytest.mark.parametrize(
    ("claim", "value"),
    [pytest.param("exp", seconds_as_text(900), id="exp-as-text"),
     pytest.param("iat", seconds_as_text(0), id="iat-as-text"),
     ("exp", "soon"), ("exp", -1e300), ("iat", 1e300), ("nbf", "now"), ("exp", True)],
)  # fmt: skip
def test_a_time_claim_that_is_not_a_number_of_seconds_is_401(
    app: App, calls: Any, claim: str, value: Any
) -> None:
    value = value() if callable(value) else value
    rejected(calls(signed(app, **{claim: value})), f"invalid-{claim}")


def test_a_token_living_longer_than_a_day_is_401(app: App, calls: Any) -> None:
    now = int(time.time())
    rejected(calls(signed(app, iat=now, exp=now + 2 * 86_400)), "lifetime")


def test_a_token_for_an_unknown_application_is_401(app: App, calls: Any) -> None:
    rejected(calls(signed(app, application_id=str(uuid.uuid4()))), "application")


def test_a_token_for_a_deleted_application_is_401(
    app: App, owner: httpx.Client, calls: Any
) -> None:
    token = signed(app)
    assert calls(token).status_code == 200
    assert owner.delete(f"/v2/applications/{app.id}").status_code == 204
    rejected(calls(token), "application")


def test_a_token_seen_before_is_refused_once_its_applications_key_is_replaced(
    app: App, owner: httpx.Client, calls: Any
) -> None:
    token = signed(app)
    assert [calls(token).status_code for _ in range(3)] == [200, 200, 200]
    replacement = generate_key_pair()
    replaced = owner.put(f"/v2/applications/{app.id}", json={
        "name": "jwt", "keys": {"public_key": replacement.public_pem}})  # fmt: skip
    assert replaced.status_code == 200, replaced.text
    rejected(calls(token), "signature")  # not taken from what was verified before
    assert calls(signed(App(app.id, replacement.private_pem, ""))).status_code == 200


def test_a_verified_token_is_remembered_only_until_it_expires() -> None:
    tokens = VerifiedTokens(max_entries=2)
    tokens.put("t1", "app", "pem", {"exp": 1000})
    assert tokens.get("t1", 1000 + LEEWAY - 1) is not None
    assert tokens.get("t1", 1000 + LEEWAY) is None
    for name in ("t2", "t3", "t4"):  # bounded: full, it starts again
        tokens.put(name, "app", "pem", {"exp": 10**10})
    assert [tokens.get(n, 0) is not None for n in ("t2", "t3", "t4")] == [False, False, True]


def test_a_token_signed_by_another_key_is_401(app: App, calls: Any) -> None:
    stranger = generate_key_pair()
    rejected(calls(mint(app.id, stranger.private_pem)), "signature")


def test_a_token_signed_with_a_replaced_key_is_401(
    app: App, owner: httpx.Client, calls: Any
) -> None:
    old = signed(app)
    assert calls(old).status_code == 200  # the old key is now cached
    fresh = generate_key_pair()
    response = owner.put(
        f"/v2/applications/{app.id}",
        json={"name": "rekeyed", "keys": {"public_key": fresh.public_pem}},
    )
    assert response.status_code == 200
    rejected(calls(old), "signature")
    assert calls(mint(app.id, fresh.private_pem)).status_code == 200


def test_an_acl_limits_the_paths_and_methods_a_token_may_call(app: App, calls: Any) -> None:
    allowed = mint(app.id, app.private_key, acl={"paths": {"/*/calls/**": {}, "/v1/calls": {}}})
    assert calls(allowed).status_code == 200
    elsewhere = mint(app.id, app.private_key, acl={"paths": {"/*/users/**": {}}})
    response = calls(elsewhere)
    assert response.status_code == 403
    assert response.json()["type"] == "https://developer.nexmo.com/api-errors#forbidden"
    assert "GET /v1/calls" in response.json()["detail"]
    post_only = mint(app.id, app.private_key, acl={"paths": {"/v1/calls": {"methods": ["POST"]}}})
    assert calls(post_only).status_code == 403


def test_list_parameters_are_checked(app: App, calls: Any) -> None:
    token = signed(app)
    assert calls(token, params={"page_size": 5, "record_index": 20}).json()["page_size"] == 5
    assert calls(token, params={"page_size": 101}).status_code == 400


def test_jwt_verify_says_valid_or_why_not(
    server: LiveServer, account: Credentials, app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RINGWAY_URL", server.url)
    monkeypatch.setenv("RINGWAY_API_KEY", account.api_key)
    monkeypatch.setenv("RINGWAY_API_SECRET", account.api_secret)
    now = int(time.time())
    cases = [
        (signed(app), 0, '"application_id"'),
        (signed(app, iat=now - 1000, exp=now - 60), 1, "invalid (expired)"),
        (mint(app.id, generate_key_pair().private_pem), 1, "invalid (signature)"),
    ]
    for token, code, expected in cases:
        result = CliRunner().invoke(main, ["jwt", "verify", token, "--app-id", app.id])
        assert result.exit_code == code, result.output
        assert expected in result.output
