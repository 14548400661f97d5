"""The SDK examples (docs/guides/sdks.md) run, unchanged, against a live ringway."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson

from ringway.testing.node import node_with_packages
from tests.conftest import LiveServer, eventually
from tests.receivers import Receiver, Reply, wav

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
    folder = EXAMPLES / "node"
    return node_with_packages(folder, "@vonage/server-sdk"), folder


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


def run_node_script(script: str, server: LiveServer, hooks: Receiver) -> str:
    """Run an example script of examples/node against ``server``, its webhooks to ``hooks``."""
    node, folder = node_example()
    credentials = server.account()
    return run_example(
        [node, script],
        {"RINGWAY_URL": server.url, "RINGWAY_HOOKS": hooks.url,
         "RINGWAY_API_KEY": credentials.api_key,
         "RINGWAY_API_SECRET": credentials.api_secret},
        folder,
    )  # fmt: skip


def test_node_sdk_messaging_example(server: LiveServer, hooks: Receiver) -> None:
    """The Node habits: WhatsAppReaction, updateMessage, and the Vonage CLI's member (no
    channel.type) and deleteEvent, with the webhooks they cause on a real receiver."""
    output = run_node_script("messaging.mjs", server, hooks)
    for line in ("reaction sent: true", "marked read: true", "member channel: app",
                 "event deleted: true"):  # fmt: skip
        assert line in output, output
    sent = output.split("sent ", 1)[1].split()[0]
    reactions = eventually(
        lambda: [orjson.loads(r.body) for r in hooks.on("/inbound") if b'"reaction"' in r.body],
        what="the user's reaction",
    )
    assert reactions[0]["reaction"] == {"action": "react", "emoji": "👍"}
    assert reactions[0]["context"]["message_uuid"] == sent
    rtc = eventually(lambda: [orjson.loads(r.body) for r in hooks.on("/rtc")
                              if b"member:joined" in r.body], what="member:joined")  # fmt: skip
    assert rtc[0]["body"]["channel"]["type"] == "app"


def test_node_sdk_controls_a_call_that_waits(server: LiveServer, hooks: Receiver) -> None:
    """The everyday flow at the default clock speed: place a call into a conversation, then
    subscribe to its keys, talk and stream into it (`level` as the SDK's strings), hang up."""
    hooks.answer("/hold.wav", Reply(body=wav(1.0)))
    output = run_node_script("voice.mjs", server, hooks)
    for line in ("call answered", "talk: Talk started", "stream: Stream started", "hung up"):
        assert line in output
    keys = eventually(lambda: len(got := hooks.on("/keys")) == 2 and got, what="two keys")
    assert [orjson.loads(k.body)["dtmf"]["digits"] for k in keys] == ["4", "2"]
