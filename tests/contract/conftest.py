"""A live ringway over TLS, and the official SDK pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ringway.config import Settings
from tests.conftest import LiveServer, run_server


@pytest.fixture
def tls_server(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveServer]:
    for live in run_server(settings, tls=True):
        # What the README tells SDK users to do: trust ringway's local CA.
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(live.ca))
        yield live
