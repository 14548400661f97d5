"""The pytest plugin as a user meets it: a small test suite of their own, in a directory of its
own, uses every fixture against the server the plugin starts (pytester runs it in a process of
its own, as ``pytest`` would)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ringway.testing.server import new_operator_token, start

pytest_plugins = ["pytester"]

USER_SUITE = """
import pytest

def voice(webhook_receiver, ncco, status=200):
    answer = webhook_receiver.route("/answer", json=ncco, status=status)
    return {"voice": {"signed_callbacks": True, "webhooks": {
        "answer_url": {"address": answer, "http_method": "GET"},
        "event_url": {"address": webhook_receiver.url + "/event"}}}}

def test_a_caller_keys_a_digit_into_the_ivr(ringway, webhook_receiver):
    ncco = [{"action": "talk", "text": "Press 1"},
            {"action": "input", "type": ["dtmf"], "dtmf": {"maxDigits": 1},
             "eventUrl": [webhook_receiver.url + "/input"]}]
    app = ringway.create_application(name="ivr", capabilities=voice(webhook_receiver, ncco))
    assert app.keys.private_key.startswith("-----BEGIN PRIVATE KEY-----")
    number = ringway.buy_number(application_id=app.id)
    result = ringway.simulate_call(number, dtmf=["1"])
    assert (result.status, result.outcome, result.failed) == ("completed", "completed", False)
    (keyed,) = webhook_receiver.wait_for("/input")
    assert keyed.json["dtmf"] == {"digits": "1", "timed_out": False}
    events = webhook_receiver.requests("/event")
    assert [e.json["status"] for e in events][-1] == "completed"
    assert events and all(e.signature_valid for e in events)

def test_a_failing_answer_url_says_why(ringway, webhook_receiver):
    app = ringway.create_application(capabilities=voice(webhook_receiver, None, status=500))
    result = ringway.simulate_call(ringway.buy_number(application_id=app.id))
    assert result.outcome == "failed: answer_url answered 500" and result.failed
    assert any(line["kind"] == "error" for line in result.timeline)

def test_an_inbound_message_reaches_the_inbound_url(ringway, webhook_receiver):
    hooks = {"inbound_url": {"address": webhook_receiver.url + "/inbound"},
             "status_url": {"address": webhook_receiver.url + "/status"}}
    app = ringway.create_application(capabilities={"messages": {"webhooks": hooks}})
    number = ringway.buy_number(application_id=app.id)
    ringway.simulate_message(channel="sms", to=number, text="Hi", **{"from": "447700900002"})
    (inbound,) = webhook_receiver.wait_for("/inbound")
    assert inbound.json["text"] == "Hi" and inbound.signature_valid

def test_the_official_sdk_works_against_the_server(ringway):
    created = ringway.create_application(name="sdk")
    listed = ringway.vonage().application.list_applications()
    assert [a.id for a in listed[0]] == [created.id]

def test_the_environment_names_the_account(ringway):
    env = ringway.env
    assert (env["VONAGE_API_KEY"], env["VONAGE_API_SECRET"]) == (ringway.api_key,
                                                                 ringway.api_secret)
    assert env["VONAGE_SIGNATURE_SECRET"] == ringway.signature_secret
    assert env["RINGWAY_URL"] == ringway.url and env["REQUESTS_CA_BUNDLE"]

@pytest.mark.parametrize("turn", [1, 2])
def test_every_test_has_an_account_of_its_own(ringway, turn):
    assert ringway.client.applications.list()[1] == 0
    ringway.create_application(name=f"made in turn {turn}")

def test_a_reset_wipes_the_account(ringway):
    ringway.create_application()
    ringway.reset()
    assert ringway.client.applications.list()[1] == 0
"""


def test_a_users_suite_uses_every_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_SUITE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=8)


def test_the_testing_guides_example_passes(pytester: pytest.Pytester) -> None:
    guide = (Path(__file__).resolve().parents[2] / "docs/guides/testing.md").read_text()
    section = guide.split("## With pytest", 1)[1]
    example = section.split("```python\n", 1)[1].split("```", 1)[0]
    pytester.makepyfile(test_readme=example)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


@pytest.mark.postgres
def test_the_started_server_can_run_on_postgresql(
    pytester: pytest.Pytester, postgres_schema_url: Callable[[], str]
) -> None:
    pytester.makepyfile(test_user='''
def test_an_application_is_stored(ringway_server, ringway):
    made = ringway.create_application(name="on postgres")
    assert ringway.client.applications.get(made.id).name == "on postgres"
    assert not list(ringway_server.data_dir.glob("*.db"))  # no SQLite file was made
''')  # fmt: skip
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--ringway-database-url", postgres_schema_url()
    )
    result.assert_outcomes(passed=1)


def test_a_running_server_is_used_by_its_url(tmp_path: Path) -> None:
    """(A plain subprocess, not pytester: pytester forgets the modules a test imports, and
    starting the server here imports some.)"""
    server = start(tmp_path / "running")
    (tmp_path / "test_user.py").write_text(
        "def test_uses_the_running_server(ringway_server, ringway):\n"
        "    assert ringway_server.url == ringway.url\n"
        "    assert ringway.client.health()['status'] == 'ok'\n"
    )
    try:
        ran = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--ringway-url",
             server.url, "--ringway-operator-token", str(server.operator_token)],
            cwd=tmp_path, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        server.stop()
    assert ran.returncode == 0 and "1 passed" in ran.stdout, ran.stdout + ran.stderr


@pytest.mark.parametrize(
    ("option", "says"),
    [
        (["--ringway-url", "http://127.0.0.1:9"], "cannot reach ringway at http://127.0.0.1:9"),
        (["--ringway-url", "localhost:8000"], "--ringway-url must be an http:// or https:// URL"),
        (["--ringway-database-url", "::not a url::"], "--ringway-database-url"),
    ],
)
def test_a_bad_option_fails_the_session_at_once(
    pytester: pytest.Pytester, option: list[str], says: str
) -> None:
    pytester.makepyfile(test_user="def test_never_runs(ringway):\n    raise AssertionError\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{says}*"])


def test_a_generated_operator_token_can_be_passed_as_its_own_argument() -> None:
    """The docs say ``--ringway-operator-token TOKEN``; a token starting with ``-`` is taken for
    an option by pytest (and by any argparse CLI), so generated tokens never start with one.
    (One in 64 did, and failed CI once.)"""
    assert not any(new_operator_token().startswith("-") for _ in range(2000))
