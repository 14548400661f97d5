"""``ringway vonage``: what it gives the Vonage CLI's process, seen by a stand-in ``vonage``
command in Node that calls the Vonage hosts as the Node SDKs do (2.x through ``https.request``
with an ``https.Agent``, 3.x through node-fetch, which does the same, and ``fetch``).
tests/contract/test_vonage_cli.py runs the real CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ringway.cli import main
from ringway.services.accounts import Credentials
from tests.conftest import LiveServer

STAND_IN = """#!/usr/bin/env node
const https = require('node:https');
const auth = 'Basic ' + Buffer.from(
  `${process.env.VONAGE_API_KEY}:${process.env.VONAGE_API_SECRET}`).toString('base64');
function viaRequest(...args) {
  return new Promise((resolve, reject) => {
    const req = https.request(...args, (res) => {
      let body = '';
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => resolve([res.statusCode, JSON.parse(body)]));
    });
    req.on('error', reject);
    req.end();
  });
}
(async () => {
  const agent = new https.Agent({ keepAlive: true });
  const apps = await viaRequest({ hostname: 'api.nexmo.com', port: 443, path: '/v2/applications',
                                  headers: { authorization: auth }, agent });
  const numbers = await viaRequest(new URL('https://rest.nexmo.com/account/numbers'),
                                   { headers: { authorization: auth } });
  const health = await fetch('https://api-eu.vonage.com/_ringway/health');
  console.log(JSON.stringify({ apps, numbers, health: [health.status, await health.json()],
                               args: process.argv.slice(2) }));
})();
"""


def test_the_cli_process_reaches_ringway_for_the_vonage_hosts(
    server: LiveServer, account: Credentials, tmp_path: Path
) -> None:
    if not shutil.which("node"):
        pytest.skip("Node.js is not installed on this machine")
    stand_in = tmp_path / "vonage"
    stand_in.write_text(STAND_IN)
    stand_in.chmod(0o755)
    with server.client(account) as rest:
        assert rest.post("/v2/applications", json={"name": "seen"}).status_code == 201
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("RINGWAY_", "VONAGE_"))}
    env = {**clean, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}",
           "RINGWAY_CONFIG": str(tmp_path / "none.json")}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "ringway.cli", "vonage", "--url", server.url, "--api-key",
         account.api_key, "--api-secret", account.api_secret, "apps", "--flag"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    seen = json.loads(result.stdout)
    assert seen["args"] == ["apps", "--flag"]
    status, apps = seen["apps"]
    assert status == 200 and [a["name"] for a in apps["_embedded"]["applications"]] == ["seen"]
    assert seen["numbers"] == [200, {"count": 0}]
    assert seen["health"][0] == 200 and seen["health"][1]["status"] == "ok"


def test_without_the_vonage_cli_it_says_how_to_install_it(
    server: LiveServer, account: Credentials, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = CliRunner().invoke(main, ["vonage", "--url", server.url, "--api-key",
                                       account.api_key, "--api-secret", account.api_secret,
                                       "apps"])  # fmt: skip
    assert result.exit_code == 1
    assert "npm install --global @vonage/cli" in result.output
