"""The CLI against the live server, as a fresh account."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner, Result

from ringway.cli import main
from ringway.services.accounts import Credentials
from tests.conftest import LiveServer


@pytest.fixture
def cli(server: LiveServer, account: Credentials, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``cli("numbers", "list")`` runs ``ringway numbers list`` and checks its exit code."""
    monkeypatch.setenv("RINGWAY_URL", server.url)
    monkeypatch.setenv("RINGWAY_API_KEY", account.api_key)
    monkeypatch.setenv("RINGWAY_API_SECRET", account.api_secret)

    def run(*args: str, expect: int = 0) -> Result:
        result = CliRunner().invoke(main, list(args))
        assert result.exit_code == expect, result.output
        return result

    return run
