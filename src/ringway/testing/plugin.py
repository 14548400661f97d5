"""The pytest plugin (entry point ``pytest11``): ``ringway_server``, ``ringway`` and
``webhook_receiver`` in any project where ringway is installed.

Imports only what pytest needs until a fixture is used, since pytest loads it in every run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ringway.testing.account import RingwayAccount
    from ringway.testing.receiver import WebhookReceiver
    from ringway.testing.server import TestServer


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ringway", "ringway, the self-hosted Vonage platform")
    group.addoption("--ringway-url", help="Use the ringway server at this URL instead of "
                    "starting one (with RINGWAY_URL and RINGWAY_OPERATOR_TOKEN set, as "
                    "`ringway run` sets them, that server is used).")  # fmt: skip
    group.addoption("--ringway-operator-token", help="The operator token of the server at "
                    "--ringway-url (default: RINGWAY_OPERATOR_TOKEN).")  # fmt: skip
    group.addoption("--ringway-database-url", help="Run the started server on this database "
                    "(e.g. postgresql://user@host/db) instead of SQLite.")  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    """Refuse bad options at once, before any test runs."""
    url = config.getoption("--ringway-url")
    database_url = config.getoption("--ringway-database-url")
    if url and database_url:
        raise pytest.UsageError("--ringway-database-url is for the server the plugin starts; "
                                "it cannot be given with --ringway-url")  # fmt: skip
    if url is not None and not url.startswith(("http://", "https://")):
        raise pytest.UsageError(f"--ringway-url must be an http:// or https:// URL, not {url!r}")
    if database_url is not None:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(database_url)
        except ArgumentError as exc:
            raise pytest.UsageError(f"--ringway-database-url: {exc}") from None
    if url:
        from ringway.testing.server import ServerError

        try:
            _external(config)
        except ServerError as exc:
            raise pytest.UsageError(str(exc)) from None


def _external(config: pytest.Config) -> TestServer | None:
    """The server to use instead of starting one, checked to answer; ``None`` if none."""
    from pathlib import Path

    from ringway.testing.server import TestServer, wait_until_ready

    url = config.getoption("--ringway-url")
    token = config.getoption("--ringway-operator-token") or os.environ.get("RINGWAY_OPERATOR_TOKEN")
    if not url and os.environ.get("RINGWAY_URL") and token:
        url = os.environ["RINGWAY_URL"]
    if not url:
        return None
    ca = os.environ.get("RINGWAY_CA")
    server = TestServer(url.rstrip("/"), token, Path(ca) if ca else None)
    wait_until_ready(server)
    return server


@pytest.fixture(scope="session")
def ringway_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestServer]:
    """A live ringway for the test session: the one named by ``--ringway-url``, or one started
    on 127.0.0.1 (a free port, a temporary data directory, TLS from a CA of its own) and
    stopped at the end."""
    from ringway.testing.server import start

    external = _external(request.config)
    if external is not None:
        yield external
        return
    database_url = request.config.getoption("--ringway-database-url")
    server = start(tmp_path_factory.mktemp("ringway"), tls=True, database_url=database_url)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def ringway(ringway_server: TestServer) -> Iterator[RingwayAccount]:
    """A fresh account on the session's server, for this test alone."""
    from ringway.testing.account import RingwayAccount

    account = RingwayAccount(ringway_server, ringway_server.new_account())
    try:
        yield account
    finally:
        account.close()


@pytest.fixture
def webhook_receiver(ringway: RingwayAccount) -> Iterator[WebhookReceiver]:
    """A real HTTP server on 127.0.0.1 standing in for an application's webhooks; it checks
    signatures with the test's account's secret."""
    from ringway.testing.receiver import RunningReceiver, WebhookReceiver

    running = RunningReceiver(WebhookReceiver(ringway.signature_secret))
    try:
        yield running.receiver
    finally:
        running.stop()
