"""The official ``vonage`` Python SDK, unchanged, against a live ringway over TLS."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from vonage import Auth, HttpClientOptions, Vonage
from vonage_application import (
    ApplicationConfig,
    Capabilities,
    ListApplicationsFilter,
    Messages,
    MessagesWebhooks,
    Privacy,
    Region,
    Voice,
    VoiceUrl,
    VoiceWebhooks,
)
from vonage_application.common import ApplicationUrl, Keys
from vonage_http_client.errors import AuthenticationError, NotFoundError, RateLimitedError

from ringway.cli import main
from ringway.security.keys import generate_key_pair
from ringway.services.accounts import Credentials
from tests.conftest import LiveServer


def sdk(server: LiveServer, credentials: Credentials, secret: str | None = None) -> Vonage:
    host = f"127.0.0.1:{server.port}"
    return Vonage(
        Auth(api_key=credentials.api_key, api_secret=secret or credentials.api_secret),
        HttpClientOptions(api_host=host, rest_host=host),
    )


def voice_config(name: str) -> ApplicationConfig:
    return ApplicationConfig(
        name=name,
        capabilities=Capabilities(
            voice=Voice(
                webhooks=VoiceWebhooks(
                    answer_url=VoiceUrl(
                        address="http://localhost:3000/answer",
                        http_method="GET",
                        connect_timeout=500,
                    ),
                    event_url=VoiceUrl(address="http://localhost:3000/event", http_method="POST"),
                ),
                signed_callbacks=True,
                region=Region.EU_WEST,
            ),
            messages=Messages(
                webhooks=MessagesWebhooks(
                    inbound_url=ApplicationUrl(address="http://localhost:3000/inbound"),
                    status_url=ApplicationUrl(address="http://localhost:3000/status"),
                ),
                version="v1",
            ),
        ),
        privacy=Privacy(improve_ai=False),
    )


def test_sdk_creates_with_a_generated_key_and_reads_it_back(tls_server: LiveServer) -> None:
    client = sdk(tls_server, tls_server.account())
    created = client.application.create_application(voice_config("sdk app"))
    assert created.keys is not None
    assert created.keys.model_extra is not None
    assert created.keys.model_extra["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    fetched = client.application.get_application(created.id)
    assert fetched.name == "sdk app"
    assert fetched.link == f"/v2/applications/{created.id}"
    assert fetched.privacy is not None and fetched.privacy.improve_ai is False
    voice = fetched.capabilities.voice if fetched.capabilities else None
    assert voice is not None and voice.webhooks is not None
    assert voice.webhooks.answer_url is not None
    assert voice.webhooks.answer_url.connect_timeout == 500
    assert voice.webhooks.answer_url.socket_timeout == 5000
    assert voice.region == Region.EU_WEST


def test_sdk_creates_with_its_own_public_key(tls_server: LiveServer) -> None:
    client = sdk(tls_server, tls_server.account())
    pair = generate_key_pair()
    created = client.application.create_application(
        ApplicationConfig(name="own key", keys=Keys(public_key=pair.public_pem))
    )
    assert created.keys is not None
    assert created.keys.public_key == pair.public_pem
    assert "private_key" not in (created.keys.model_extra or {})


def test_sdk_lists_across_several_pages(tls_server: LiveServer) -> None:
    client = sdk(tls_server, tls_server.account())
    ids = [client.application.create_application(voice_config(f"app {i}")).id for i in range(5)]
    seen: list[str] = []
    page: int | None = 1
    while page is not None:
        apps, page = client.application.list_applications(
            ListApplicationsFilter(page_size=2, page=page)
        )
        seen.extend(app.id for app in apps)
    assert seen == ids
    everything, next_page = client.application.list_applications()
    assert [app.id for app in everything] == ids
    assert next_page is None


def test_sdk_updates_and_deletes(tls_server: LiveServer) -> None:
    client = sdk(tls_server, tls_server.account())
    created = client.application.create_application(voice_config("before"))
    updated = client.application.update_application(created.id, voice_config("after"))
    assert updated.name == "after"
    assert client.application.get_application(created.id).name == "after"
    assert updated.keys is not None and created.keys is not None
    assert updated.keys.public_key == created.keys.public_key
    client.application.delete_application(created.id)
    with pytest.raises(NotFoundError):
        client.application.get_application(created.id)


def test_sdk_gets_not_found_for_another_accounts_app(tls_server: LiveServer) -> None:
    owner = sdk(tls_server, tls_server.account())
    stranger = sdk(tls_server, tls_server.account())
    app = owner.application.create_application(voice_config("mine"))
    with pytest.raises(NotFoundError):
        stranger.application.get_application(app.id)
    with pytest.raises(NotFoundError):
        stranger.application.delete_application(app.id)


def test_sdk_gets_authentication_error_for_a_wrong_secret(tls_server: LiveServer) -> None:
    client = sdk(tls_server, tls_server.account(), secret="WrongSecret00000")
    with pytest.raises(AuthenticationError):
        client.application.list_applications()


def test_sdk_raises_its_rate_limited_error_for_a_forced_429(tls_server: LiveServer) -> None:
    client = sdk(tls_server, tls_server.account())
    client.http_client._headers["X-Ringway-Force-Status"] = "429"  # sent with every request
    with pytest.raises(RateLimitedError) as raised:
        client.application.create_application(voice_config("never"))
    assert raised.value.response.headers["Retry-After"] == "1"
    del client.http_client._headers["X-Ringway-Force-Status"]
    assert client.application.list_applications()[0] == []  # nothing was created


def test_the_ringway_cli_talks_to_a_tls_ringway_with_its_ca(tls_server: LiveServer) -> None:
    credentials = tls_server.account()
    flags = ["--url", tls_server.url, "--api-key", credentials.api_key,
             "--api-secret", credentials.api_secret]  # fmt: skip
    result = CliRunner().invoke(main, ["apps", "list", *flags, "--ca-file", str(tls_server.ca)])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["apps", "list", *flags])  # not trusted without the CA
    assert result.exit_code == 1 and "cannot reach ringway" in result.output
