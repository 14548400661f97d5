"""``ringway numbers`` and ``ringway apps numbers`` against a live server; ``numbers seed``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from ringway.cli import main
from ringway.client import Client
from ringway.services.accounts import Credentials
from tests.conftest import LiveServer


def test_search_buy_link_show_unlink_cancel(cli: Any, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    found = json.loads(cli("numbers", "search", "--country", "AU", "--size", "3", "--json").stdout)
    assert len(found) == 3 and all(n["country"] == "AU" for n in found)
    msisdn = found[0]["msisdn"]
    assert "Bought" in cli("numbers", "buy", f"+{msisdn}").stdout  # country from the number
    app = json.loads(cli("apps", "create", "--name", "routed", "--json").stdout)
    cli("numbers", "link", msisdn, app["id"])
    linked = json.loads(cli("apps", "numbers", app["id"], "--json").stdout)
    assert [n["msisdn"] for n in linked] == [msisdn]
    assert linked[0]["voiceCallbackType"] == "app"
    listed = json.loads(cli("numbers", "list", "--json").stdout)
    assert listed[0]["app_id"] == app["id"]
    cli("numbers", "unlink", msisdn)
    assert json.loads(cli("apps", "numbers", app["id"], "--json").stdout) == []
    cli("numbers", "cancel", msisdn)
    assert json.loads(cli("numbers", "list", "--json").stdout) == []


def test_number_errors_are_one_line(cli: Any) -> None:
    assert "country code" in cli("numbers", "buy", "07700900000", expect=1).output
    assert "cannot tell the country" in cli("numbers", "buy", "999999999", expect=1).output
    result = cli("numbers", "cancel", "447700900099", expect=1)
    assert "do not own" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_seed_adds_numbers_from_flags_or_a_file(database_url: str, tmp_path: Path) -> None:
    storage = ["--data-dir", str(tmp_path), "--database-url", database_url]
    runner = CliRunner()
    flags = ["--country", "GB", "--type", "landline", "--first", "441632961000", "--count", "5"]
    result = runner.invoke(main, ["numbers", "seed", *storage, *flags])
    assert result.exit_code == 0, result.output
    assert "Added 5 numbers" in result.output
    ranges = [{"country": "US", "type": "mobile-lvn", "first": 12125550100, "count": 3,
               "features": ["VOICE", "SMS"], "cost": "0.50"}]  # fmt: skip
    (tmp_path / "ranges.json").write_text(json.dumps(ranges))
    result = runner.invoke(
        main, ["numbers", "seed", *storage, "--file", str(tmp_path / "ranges.json")]
    )
    assert "Added 3 numbers" in result.output
    again = runner.invoke(
        main, ["numbers", "seed", *storage, "--file", str(tmp_path / "ranges.json")]
    )
    assert "Added 0 numbers" in again.output
    bad = runner.invoke(main, ["numbers", "seed", *storage, "--country", "GB"])
    assert bad.exit_code == 2


def test_client_link_and_unlink_keep_the_numbers_other_routing(
    server: LiveServer, account: Credentials
) -> None:
    with Client(server.url, account.api_key, account.api_secret) as client:
        client.numbers.buy("447700900070")
        with server.client(account) as rest:
            routing = {"moHttpUrl": "http://localhost/mo", "voiceCallbackType": "sip",
                       "voiceCallbackValue": "sip:desk@localhost"}  # fmt: skip
            number = {"country": "GB", "msisdn": "447700900070"}
            assert rest.post("/number/update", data={**number, **routing}).status_code == 200
        app = client.applications.create({"name": "keep"})
        client.numbers.link("447700900070", app.id)
        client.numbers.unlink("447700900070")
        (number,) = list(client.numbers.iter())
    assert number.app_id is None
    assert number.mo_http_url == "http://localhost/mo"
    assert (number.voice_callback_type, number.voice_callback_value) == (
        "sip",
        "sip:desk@localhost",
    )
