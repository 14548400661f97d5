"""``ringway reset`` through the API, as a fresh account."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner

from ringway.cli import main
from ringway.services.accounts import Credentials
from tests.conftest import LiveServer


def test_reset_asks_first_then_wipes_the_account(
    cli: Any, server: LiveServer, account: Credentials, tmp_path: Path
) -> None:
    cli("apps", "create", "--name", "doomed", "--private-key-file", str(tmp_path / "doomed.key"))
    cli("phones", "set", "447700800001", "--behaviour", "busy")
    with server.client(account) as rest:
        assert rest.get("/v2/applications").json()["total_items"] == 1
        declined = CliRunner().invoke(main, ["reset"], input="n\n")
        assert declined.exit_code == 1 and "Aborted" in declined.output
        assert rest.get("/v2/applications").json()["total_items"] == 1

        assert "only its credentials are left" in cli("reset", "--yes").output

        assert rest.get("/v2/applications").json()["total_items"] == 0
        assert rest.get("/_ringway/phones").json()["phones"] == {}
    with httpx.Client(base_url=server.url, auth=(account.api_key, "wrong")) as wrong:
        assert wrong.post("/_ringway/reset").status_code == 401
