"""``ringway run -- COMMAND``: a server for the length of one command, in any language."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.servers import RINGWAY

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# What a test suite in another language would do: read the environment, trust the CA, use the
# account, and exit with a status of its own.
CHECK = """
import os, httpx
env = os.environ
assert env["RINGWAY_URL"].startswith("https://127.0.0.1:")
assert env["REQUESTS_CA_BUNDLE"] == env["NODE_EXTRA_CA_CERTS"] == env["RINGWAY_CA"]
auth = (env["VONAGE_API_KEY"], env["VONAGE_API_SECRET"])
answer = httpx.get(env["RINGWAY_URL"] + "/v2/applications", auth=auth, verify=env["RINGWAY_CA"])
assert answer.status_code == 200, answer.text
assert len(env["VONAGE_SIGNATURE_SECRET"]) >= 32 and env["RINGWAY_OPERATOR_TOKEN"]
raise SystemExit(7)
"""
INNER_SUITE = """
import os

def test_the_plugin_uses_the_server_ringway_run_started(ringway_server, ringway):
    assert ringway_server.url == ringway.url == os.environ["RINGWAY_URL"]
    assert ringway.api_key != os.environ["VONAGE_API_KEY"]  # an account of the test's own
"""


def ringway_run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RINGWAY, "run", *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd)  # fmt: skip


def test_the_command_gets_the_server_and_its_status_is_the_runs() -> None:
    ran = ringway_run("--tls", "--", sys.executable, "-c", CHECK)
    assert ran.returncode == 7, ran.stderr


def test_a_pytest_suite_run_inside_uses_that_server(tmp_path: Path) -> None:
    (tmp_path / "test_inner.py").write_text(INNER_SUITE)
    ran = ringway_run("--", sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                      cwd=tmp_path)  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "1 passed" in ran.stdout


SEEDED = """
import os, httpx
env = os.environ
assert env["VONAGE_API_KEY"] == "5eed0001"  # the seed file's first account
app = env["RINGWAY_APP_IVR_ID"]
assert open(env["RINGWAY_APP_IVR_PRIVATE_KEY_FILE"]).read().startswith("-----BEGIN")
auth = (env["VONAGE_API_KEY"], env["VONAGE_API_SECRET"])
answer = httpx.get(env["RINGWAY_URL"] + "/v2/applications/" + app, auth=auth)
assert answer.status_code == 200 and answer.json()["name"] == "IVR", answer.text
"""


def test_a_seeded_run_names_the_seeded_account_and_applications(tmp_path: Path) -> None:
    seed = Path(shutil.copy(EXAMPLES / "seed.toml", tmp_path / "seed.toml"))
    ran = ringway_run("--seed", str(seed), "--", sys.executable, "-c", SEEDED)
    assert ran.returncode == 0, ran.stderr


def test_an_unknown_command_is_a_clear_error() -> None:
    ran = ringway_run("--", "no-such-command-anywhere")
    assert ran.returncode == 1
    assert "no such command: no-such-command-anywhere" in ran.stderr
