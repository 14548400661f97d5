"""``ringway apps`` and ``ringway login`` against a live server."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ringway.cli import main
from ringway.security.keys import generate_key_pair
from ringway.services.accounts import Credentials
from tests.conftest import LiveServer


@pytest.fixture
def cli(
    server: LiveServer, account: Credentials, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Any:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RINGWAY_CONFIG", str(tmp_path / "config.json"))
    for name in ("RINGWAY_URL", "RINGWAY_API_KEY", "RINGWAY_API_SECRET", "RINGWAY_CA_FILE"):
        monkeypatch.delenv(name, raising=False)
    credentials = [
        "--url",
        server.url,
        "--api-key",
        account.api_key,
        "--api-secret",
        account.api_secret,
    ]

    def run(*args: str, expect: int = 0, auth: bool = True) -> Result:
        group, command, *rest = args
        full = [group, command, *(credentials if auth else []), *rest]
        result = CliRunner().invoke(main, full)
        assert result.exit_code == expect, result.output
        return result

    return run


def test_create_writes_the_private_key_to_a_0600_file_and_shows_the_app(
    cli: Any, tmp_path: Path
) -> None:
    result = cli(
        "apps",
        "create",
        "--name",
        "cli app",
        "--voice-answer-url",
        "http://localhost:3000/answer",
        "--voice-answer-http",
        "POST",
        "--voice-event-url",
        "http://localhost:3000/event",
        "--messages-inbound-url",
        "http://localhost:3000/in",
        "--messages-status-url",
        "http://localhost:3000/status",
        "--rtc-event-url",
        "http://localhost:3000/rtc",
        "--vbc",
        "--no-improve-ai",
        "--private-key-file",
        "my.key",
        "--json",
    )
    app = json.loads(result.stdout)
    key_file = tmp_path / "my.key"
    assert key_file.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "private_key" not in app["keys"]
    assert "my.key" in result.stderr
    hooks = app["capabilities"]["voice"]["webhooks"]
    assert hooks["answer_url"]["http_method"] == "POST"
    assert app["capabilities"]["messages"]["webhooks"]["status_url"]["address"].endswith("/status")
    assert app["capabilities"]["rtc"]["webhooks"]["event_url"]["http_method"] == "POST"
    assert app["capabilities"]["vbc"] == {}
    assert app["privacy"]["improve_ai"] is False


def test_create_defaults_the_key_file_to_the_app_id(cli: Any, tmp_path: Path) -> None:
    app = json.loads(cli("apps", "create", "--name", "default key", "--json").stdout)
    assert (tmp_path / f"{app['id']}.key").exists()


def test_create_with_a_public_key_file_writes_no_private_key(cli: Any, tmp_path: Path) -> None:
    pair = generate_key_pair()
    (tmp_path / "pub.pem").write_text(pair.public_pem)
    app = json.loads(
        cli("apps", "create", "--name", "own", "--public-key-file", "pub.pem", "--json").stdout
    )
    assert app["keys"]["public_key"] == pair.public_pem
    assert not list(tmp_path.glob("*.key"))


def test_update_changes_only_what_is_named(cli: Any) -> None:
    app = json.loads(
        cli(
            "apps",
            "create",
            "--name",
            "keep",
            "--voice-answer-url",
            "http://localhost/a",
            "--voice-event-url",
            "http://localhost/e",
            "--json",
        ).stdout
    )
    updated = json.loads(
        cli(
            "apps", "update", app["id"], "--voice-event-url", "http://localhost/e2", "--json"
        ).stdout
    )
    assert updated["name"] == "keep"
    hooks = updated["capabilities"]["voice"]["webhooks"]
    assert hooks["answer_url"]["address"] == "http://localhost/a"
    assert hooks["event_url"]["address"] == "http://localhost/e2"
    assert updated["keys"]["public_key"] == app["keys"]["public_key"]
    renamed = json.loads(cli("apps", "update", app["id"], "--name", "renamed", "--json").stdout)
    assert renamed["name"] == "renamed"
    assert renamed["capabilities"] == updated["capabilities"]


def test_list_show_and_delete(cli: Any) -> None:
    ids = [
        json.loads(cli("apps", "create", "--name", f"a{i}", "--json").stdout)["id"]
        for i in range(3)
    ]
    listed = json.loads(cli("apps", "list", "--page-size", "2", "--json").stdout)
    assert [a["id"] for a in listed] == ids
    table = cli("apps", "list").stdout
    assert all(app_id in table for app_id in ids)
    shown = cli("apps", "show", ids[0]).stdout
    assert ids[0] in shown and "a0" in shown
    assert "Deleted" in cli("apps", "delete", ids[0]).stdout
    result = cli("apps", "show", ids[0], expect=1)
    assert "does not exist" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_validation_error_is_one_clear_line(cli: Any) -> None:
    result = cli("apps", "create", "--name", "bad", "--voice-answer-url", "nowhere", expect=1)
    assert "capabilities.voice.webhooks.answer_url.address" in result.output
    assert "Traceback" not in result.output


def test_missing_credentials_and_wrong_secret_are_clear_errors(
    cli: Any, server: LiveServer
) -> None:
    result = cli("apps", "list", "--url", server.url, auth=False, expect=2)
    assert "ringway login" in result.output
    result = cli(
        "apps",
        "list",
        "--url",
        server.url,
        "--api-key",
        "nobody",
        "--api-secret",
        "x",
        auth=False,
        expect=1,
    )
    assert "credentials" in result.output


def test_login_saves_credentials_for_later_commands(
    cli: Any, server: LiveServer, account: Credentials, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        main,
        [
            "login",
            "--url",
            server.url,
            "--api-key",
            account.api_key,
            "--api-secret",
            account.api_secret,
        ],
    )
    assert result.exit_code == 0, result.output
    config = tmp_path / "config.json"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert json.loads(config.read_text())["api_key"] == account.api_key
    created = json.loads(
        cli("apps", "create", "--name", "after login", "--json", auth=False).stdout
    )
    assert created["name"] == "after login"


def test_login_refuses_wrong_credentials(server: LiveServer, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["login", "--url", server.url, "--api-key", "nobody", "--api-secret", "nothing"],
        env={"RINGWAY_CONFIG": str(tmp_path / "c.json")},
    )
    assert result.exit_code == 1
    assert not (tmp_path / "c.json").exists()


def test_commands_take_the_start_or_end_of_an_application_id(cli: Any) -> None:
    made = [json.loads(cli("apps", "create", "--name", f"app {n}", "--json").stdout)["id"]
            for n in range(2)]  # fmt: skip
    first, second = made
    assert json.loads(cli("apps", "show", first[:8], "--json").stdout)["name"] == "app 0"
    renamed = cli("apps", "update", second[-8:], "--name", "renamed", "--json").stdout
    assert json.loads(renamed)["id"] == second
    key = ["--private-key-file", f"{second}.key"]
    token = CliRunner().invoke(main, ["jwt", "create", "--app-id", second, *key]).stdout.strip()
    verified = cli("jwt", "verify", token, "--app-id", second[:8])
    assert json.loads(verified.stdout)["application_id"] == second
    assert json.loads(cli("numbers", "list", "--app-id", second[-8:], "--json").stdout) == []
    assert cli("apps", "delete", first[:8]).stdout == f"Deleted application {first}\n"
    assert "no application id starts or ends with" in cli("apps", "show", first[:8],
                                                           expect=1).output  # fmt: skip
    unknown = cli("numbers", "list", "--app-id", "zzzz", expect=1).output
    assert unknown == "Error: no application id starts or ends with 'zzzz'\n"
