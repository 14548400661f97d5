"""The official ``vonage`` SDK's numbers client, unchanged, against ringway over TLS."""

from __future__ import annotations

from vonage import Auth, HttpClientOptions, Vonage
from vonage_application import ApplicationConfig
from vonage_numbers import (
    ListOwnedNumbersFilter,
    NumberParams,
    SearchAvailableNumbersFilter,
    UpdateNumberParams,
)

from tests.conftest import LiveServer


def test_sdk_searches_buys_lists_links_unlinks_and_cancels(tls_server: LiveServer) -> None:
    credentials = tls_server.account()
    host = f"127.0.0.1:{tls_server.port}"
    vonage = Vonage(
        Auth(api_key=credentials.api_key, api_secret=credentials.api_secret),
        HttpClientOptions(api_host=host, rest_host=host),
    )
    available, count, next_index = vonage.numbers.search_available_numbers(
        SearchAvailableNumbersFilter(country="GB", type="mobile-lvn", features="VOICE", size=5)
    )
    assert count >= 100 and len(available) == 5 and next_index == 2
    msisdn = available[0].msisdn
    assert msisdn is not None
    status = vonage.numbers.buy_number(NumberParams(country="GB", msisdn=msisdn))
    assert status.error_code == "200"

    numbers, count, _ = vonage.numbers.list_owned_numbers()
    assert [n.msisdn for n in numbers] == [msisdn] and count == 1

    app = vonage.application.create_application(ApplicationConfig(name="numbers sdk"))
    vonage.numbers.update_number(UpdateNumberParams(country="GB", msisdn=msisdn, app_id=app.id))
    linked, _, _ = vonage.numbers.list_owned_numbers(ListOwnedNumbersFilter(application_id=app.id))
    assert linked[0].app_id == app.id
    assert linked[0].voice_callback_type == "app"
    with_app, _, _ = vonage.numbers.list_owned_numbers(ListOwnedNumbersFilter(has_application=True))
    assert [n.msisdn for n in with_app] == [msisdn]

    vonage.numbers.update_number(UpdateNumberParams(country="GB", msisdn=msisdn))
    unlinked, _, _ = vonage.numbers.list_owned_numbers()
    assert unlinked[0].app_id is None

    vonage.numbers.cancel_number(NumberParams(country="GB", msisdn=msisdn))
    assert vonage.numbers.list_owned_numbers() == ([], 0, None)
