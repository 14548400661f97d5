"""A browser-like HTTP client for the dashboard: it keeps cookies and sends the CSRF token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ringway.services.accounts import Credentials
from tests.conftest import LiveServer


class Browser:
    def __init__(self, client: httpx.Client) -> None:
        self.http = client

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(path, **kwargs)

    def token(self) -> str:
        """The CSRF token the dashboard's pages put in this browser's forms."""
        found = re.search(r'name="csrf" value="([^"]+)"', self.http.get("/sign-in").text)
        assert found, "no CSRF token in the page"
        return found.group(1)

    def post(self, path: str, form: dict[str, str] | None = None) -> httpx.Response:
        """Submit a form as the page that holds it would: with the CSRF token the page gives
        it, and the page's origin."""
        headers = {"Origin": str(self.http.base_url).rstrip("/"), "Sec-Fetch-Site": "same-origin"}
        return self.http.post(path, data={"csrf": self.token(), **(form or {})}, headers=headers)

    def sign_in(self, credentials: Credentials) -> httpx.Response:
        return self.post(
            "/sign-in", {"api_key": credentials.api_key, "api_secret": credentials.api_secret}
        )


@pytest.fixture
def browser(server: LiveServer) -> Iterator[Browser]:
    with httpx.Client(base_url=server.url) as client:
        yield Browser(client)


@pytest.fixture
def signed_in(browser: Browser, account: Credentials) -> Browser:
    assert browser.sign_in(account).status_code == 303
    return browser
