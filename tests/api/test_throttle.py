"""Failed sign-ins are limited per api_key and per client address: the APIs answer a 429
problem with Retry-After (the REST APIs in their own shape), the dashboard a sign-in page that
says how long to wait; and the counts take bounded memory."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from ringway.config import Settings
from ringway.services.accounts import Credentials
from ringway.services.platform import Platform
from ringway.services.sign_ins import Failures
from tests.conftest import LiveServer, retained
from tests.dashboard.conftest import Browser

LIMIT = 3
THROTTLED = "https://developer.nexmo.com/api-errors#throttled"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"auth_failure_limit": LIMIT})


def client(server: LiveServer, address: str, auth: tuple[str, str] | None = None) -> httpx.Client:
    """A client that the server sees at ``address`` (it trusts X-Forwarded-For from itself)."""
    return httpx.Client(base_url=server.url, auth=auth, headers={"X-Forwarded-For": address})


def address() -> str:
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"


def throttled(response: httpx.Response) -> int:
    """The seconds a 429 problem asks to wait."""
    assert response.status_code == 429, response.text
    assert response.json()["type"] == THROTTLED
    assert response.json()["title"] == "Rate Limit Hit"
    wait = int(response.headers["Retry-After"])
    assert 1 <= wait <= 60
    assert f"{wait} s" in response.json()["detail"]
    return wait


@pytest.fixture
def app_id(api: httpx.Client) -> str:
    return str(api.post("/v2/applications", json={"name": "throttled"}).json()["id"])


def test_a_key_that_failed_too_often_is_429_even_with_its_secret(
    server: LiveServer, account: Credentials, app_id: str
) -> None:
    right = (account.api_key, account.api_secret)
    for _ in range(LIMIT):  # from as many addresses: only the key's count reaches the limit
        with client(server, address(), (account.api_key, "wrong")) as guesser:
            assert guesser.get("/v2/applications").status_code == 401
    with client(server, address(), right) as owner:
        throttled(owner.get("/v2/applications"))
        throttled(owner.get(f"/v2/applications/{app_id}"))  # the hot path
        legacy = owner.get("/account/numbers", params={"api_key": right[0], "api_secret": right[1]})
        assert legacy.status_code == 429
        assert legacy.json()["error-code"] == "429"
        assert 1 <= int(legacy.headers["Retry-After"]) <= 60
    other = server.account()
    with client(server, address(), (other.api_key, other.api_secret)) as someone:
        assert someone.get("/v2/applications").status_code == 200


def test_an_address_that_failed_too_often_is_429_for_any_key(
    server: LiveServer, account: Credentials
) -> None:
    there = address()
    for _ in range(LIMIT):
        with client(server, there, (uuid.uuid4().hex, "guess")) as guesser:
            assert guesser.get("/v2/applications").status_code == 401
    right = (account.api_key, account.api_secret)
    with client(server, there, right) as owner:
        throttled(owner.get("/v2/applications"))
    with client(server, address(), right) as owner:
        assert owner.get("/v2/applications").status_code == 200


def test_the_dashboard_sign_in_says_how_long_to_wait(
    server: LiveServer, account: Credentials
) -> None:
    with client(server, address()) as http:
        browser = Browser(http)
        for _ in range(LIMIT):
            page = browser.post("/sign-in", {"api_key": account.api_key, "api_secret": "wrong"})
            assert page.status_code == 200
            assert "Invalid credentials supplied" in page.text
        page = browser.sign_in(account)
        assert page.status_code == 429
        wait = int(page.headers["Retry-After"])
        assert f"Too many failed sign-ins: please wait {wait} s" in page.text
        assert "ringway_session" not in http.cookies


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failures_are_counted_within_a_window_for_a_bounded_number_of_names() -> None:
    clock = Clock()
    failures = Failures(limit=2, window=60, capacity=100, clock=clock)
    failures.add("a")
    assert failures.wait("a") == 0
    failures.add("a")
    assert failures.wait("a") == 60
    clock.now += 59.5
    assert failures.wait("a") == 0.5
    clock.now += 1
    assert failures.wait("a") == 0  # the window ended
    failures.add("a")
    failures.add("a")
    for n in range(100):  # as many others: the oldest is forgotten
        failures.add(str(n))
    assert failures.wait("a") == 0


def test_guessed_keys_of_any_size_take_little_memory(platform: Platform) -> None:
    """500 failures with keys of 20 kB would keep 10 MB if the keys were kept."""

    async def guess() -> None:
        for n in range(500):
            key, address = f"{n:06d}" + "k" * 20_000, f"10.0.{n // 250}.{n % 250}"
            assert await platform.sign_ins.account(key, "secret", address) is None

    assert retained(lambda: asyncio.run(guess())) < 1_000_000
