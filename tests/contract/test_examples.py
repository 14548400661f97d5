"""The SDK examples in the README run, unchanged, against a live ringway."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import LiveServer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXPECTED = ["private key received: true", "answer_url: http://localhost:3000/answer", "deleted"]


def run_example(command: list[str], env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run(
        command, env={**os.environ, **env}, cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_python_sdk_example_over_tls(tls_server: LiveServer) -> None:
    credentials = tls_server.account()
    output = run_example(
        [sys.executable, str(EXAMPLES / "python" / "applications.py")],
        {
            "RINGWAY_HOST": f"127.0.0.1:{tls_server.port}",
            "RINGWAY_API_KEY": credentials.api_key,
            "RINGWAY_API_SECRET": credentials.api_secret,
        },
        EXAMPLES,
    )
    for line in EXPECTED:
        assert line.lower() in output.lower()


def node_example() -> tuple[str, Path]:
    """``node`` and the Node example's folder, its packages installed (skip without Node)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("Node.js and npm are not installed on this machine")
    folder = EXAMPLES / "node"
    if not (folder / "node_modules" / "@vonage" / "server-sdk").exists():
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=folder,
            check=True,
            capture_output=True,
            timeout=300,
        )
    return node, folder


def test_node_sdk_example(server: LiveServer) -> None:
    node, folder = node_example()
    credentials = server.account()
    output = run_example(
        [node, "applications.mjs"],
        {
            "RINGWAY_URL": server.url,
            "RINGWAY_API_KEY": credentials.api_key,
            "RINGWAY_API_SECRET": credentials.api_secret,
        },
        folder,
    )
    for line in EXPECTED:
        assert line in output
    assert "renamed to: node example, renamed" in output


def test_node_sdk_sms_example(server: LiveServer) -> None:
    """The Node SDK sends the SMS API a JSON body, with Basic credentials."""
    node, folder = node_example()
    credentials = server.account()
    output = run_example(
        [node, "sms.mjs"],
        {
            "RINGWAY_URL": server.url,
            "RINGWAY_API_KEY": credentials.api_key,
            "RINGWAY_API_SECRET": credentials.api_secret,
        },
        folder,
    )
    assert "parts: 2" in output
    assert output.count(": status 0, ref node-1") == 2
    assert "balance: 9.9886 EUR, auto reload: false" in output
    assert "receipts go to: http://localhost:3000/receipts" in output


def test_a_node_test_suite_runs_through_ringway_run() -> None:
    node, folder = node_example()
    output = run_example(
        [sys.executable, "-m", "ringway.cli", "run", "--", node, "--test", "greeting.test.mjs"],
        {},
        folder,
    )
    assert "# pass 1" in output and "# fail 0" in output
