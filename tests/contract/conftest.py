"""A live ringway over TLS, and the official SDK pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from vonage import Auth, HttpClientOptions, Vonage
from vonage_application import ApplicationConfig, Capabilities

from ringway.config import Settings
from ringway.services.accounts import Credentials
from tests.conftest import LiveServer, run_server


@pytest.fixture
def tls_server(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveServer]:
    for live in run_server(settings, tls=True):
        # What the SDK guide tells SDK users to do: trust ringway's local CA.
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(live.ca))
        yield live


@dataclass
class SdkApp:
    """A fresh account's application, made through the SDK, and the SDK clients of both."""

    credentials: Credentials
    admin: Vonage  # the account's API key and secret
    client: Vonage  # the application's JWTs
    app_id: str


def sdk_app(server: LiveServer, name: str, capabilities: Capabilities) -> SdkApp:
    credentials = server.account()
    host = f"127.0.0.1:{server.port}"
    options = HttpClientOptions(api_host=host, rest_host=host)
    admin = Vonage(Auth(api_key=credentials.api_key, api_secret=credentials.api_secret), options)
    app = admin.application.create_application(
        ApplicationConfig(name=name, capabilities=capabilities)
    )
    assert app.keys is not None and app.keys.model_extra is not None
    private_key = app.keys.model_extra["private_key"]
    client = Vonage(Auth(application_id=app.id, private_key=private_key), options)
    return SdkApp(credentials, admin, client, app.id)
