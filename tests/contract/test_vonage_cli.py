"""The Vonage CLI (npm ``@vonage/cli``, which has no host option), unchanged, through ``ringway
vonage`` against a live ``ringway serve --tls``, with the credentials ``ringway login`` saved."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
from pathlib import Path

import httpx

from ringway.testing.node import node_with_packages
from tests.servers import ringway_serve

FOLDER = Path(__file__).resolve().parent / "vonage_cli"
KEY, SECRET = "c11e0001", "CliSecret0000001"
NUMBER = "441632960042"


def vonage_bin() -> Path:
    """The folder holding the ``vonage`` command, installed once (skip without Node)."""
    node_with_packages(FOLDER, ".bin/vonage")
    return FOLDER / "node_modules" / ".bin"


def test_the_vonage_cli_creates_lists_buys_links_and_deletes_through_ringway(
    tmp_path: Path,
) -> None:
    bin_dir = vonage_bin()
    env = {"RINGWAY_API_KEY": KEY, "RINGWAY_API_SECRET": SECRET}
    with ringway_serve(tmp_path / "data", "--tls", env=env) as served:
        ca = tmp_path / "data" / "tls" / "ca.pem"
        config = tmp_path / "ringway.json"  # what `ringway login` writes
        config.write_text(json.dumps({"url": served.url, "api_key": KEY, "api_secret": SECRET,
                                      "ca_file": str(ca)}))  # fmt: skip
        clean = {k: v for k, v in os.environ.items()
                 if not k.startswith(("RINGWAY_", "VONAGE_", "NODE_"))}  # fmt: skip
        cli_env = {**clean, "RINGWAY_CONFIG": str(config), "HOME": str(tmp_path),
                   "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}  # fmt: skip

        def vonage(*args: str) -> str:
            result = subprocess.run([sys.executable, "-m", "ringway.cli", "vonage", *args],
                                    env=cli_env, cwd=tmp_path, capture_output=True, text=True,
                                    timeout=120)  # fmt: skip
            assert result.returncode == 0, result.stdout + result.stderr
            return result.stdout

        created = vonage("apps:create", "cli demo",
                         "--voice_answer_url=http://localhost:3000/answer",
                         "--voice_event_url=http://localhost:3000/event")  # fmt: skip
        trust = ssl.create_default_context(cafile=str(ca))
        with httpx.Client(base_url=served.url, auth=(KEY, SECRET), verify=trust) as rest:
            (app,) = rest.get("/v2/applications").json()["_embedded"]["applications"]
            assert app["name"] == "cli demo" and f"Application ID: {app['id']}" in created
            voice = app["capabilities"]["voice"]["webhooks"]
            assert voice["answer_url"]["address"] == "http://localhost:3000/answer"
            key_file = created.split("Private Key File: ")[1].split()[0]  # the key it was given
            assert Path(key_file).read_text().startswith("-----BEGIN PRIVATE KEY")
            listed = vonage("apps")
            assert "cli demo" in listed and app["id"] in listed
            assert "has been purchased" in vonage("numbers:buy", NUMBER, "GB")
            assert "is assigned" in vonage("apps:link", app["id"], f"--number={NUMBER}")
            (number,) = rest.get("/account/numbers").json()["numbers"]
            assert number["msisdn"] == NUMBER and number["app_id"] == app["id"]
            # DELETE with an unframed {} body (the SDK 2.x inside this CLI): answered 204
            assert "deleted" in vonage("apps:delete", app["id"])
            assert rest.get(f"/v2/applications/{app['id']}").status_code == 404
