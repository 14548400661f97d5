"""``POST /_ringway/accounts``: accounts made over HTTP by whoever holds the operator token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from ringway.config import Settings
from tests.conftest import LiveServer, run_server

TOKEN = "operator-token-for-tests-0001"


@pytest.fixture
def operated(settings: Settings) -> Iterator[LiveServer]:
    settings.operator_token = SecretStr(TOKEN)
    yield from run_server(settings)


def test_the_operator_token_makes_accounts_that_work(operated: LiveServer) -> None:
    with operated.client() as client:
        made = client.post("/_ringway/accounts", json={},
                           headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
        assert made.status_code == 201, made.text
        body = made.json()
        assert set(body) == {"account_id", "api_key", "api_secret", "signature_secret"}
        auth = (body["api_key"], body["api_secret"])
        assert client.get("/v2/applications", auth=auth).status_code == 200
        chosen = {"api_key": "chosen01", "api_secret": "ChosenSecret0001"}
        operator = {"Authorization": f"Bearer {TOKEN}"}
        again = [client.post("/_ringway/accounts", json=chosen, headers=operator) for _ in (1, 2)]
        assert [a.status_code for a in again] == [201, 409]
        assert again[0].json()["api_key"] == "chosen01"


def test_without_the_right_token_no_account_is_made(operated: LiveServer) -> None:
    with operated.client() as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                        {"Authorization": "Bearer"}):  # fmt: skip
            refused = client.post("/_ringway/accounts", json={}, headers=headers)
            assert refused.status_code == 401, refused.text
        bad = client.post("/_ringway/accounts", json={"api_key": "no spaces"},
                          headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
        assert bad.status_code == 400
        assert bad.json()["invalid_parameters"][0]["name"] == "api_key"
    assert len(operated.platform.accounts.list()) == 0


def test_a_server_without_an_operator_token_makes_no_account(server: LiveServer) -> None:
    with server.client() as client:
        refused = client.post("/_ringway/accounts", json={},
                              headers={"Authorization": "Bearer anything"})  # fmt: skip
    assert refused.status_code == 403
    assert "RINGWAY_OPERATOR_TOKEN" in refused.json()["detail"]
