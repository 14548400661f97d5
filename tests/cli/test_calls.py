"""``ringway calls`` and ``ringway phones`` against a live server whose webhooks reach a real
receiver, run in an event loop of its own."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from typing import Any

import pytest
from click.testing import CliRunner

from ringway.cli import main
from ringway.services.accounts import Credentials
from tests.conftest import LiveServer, eventually, free_port
from tests.receivers import Receiver, Reply

CALLER = "447700900001"
NCCO = [
    {"action": "talk", "text": "Hello"},
    {"action": "input", "type": ["dtmf"], "dtmf": {"maxDigits": 4}},
]
LINE = re.compile(r"^\d\d:\d\d:\d\d\.\d{3}  (?P<leg>[0-9a-f]{8})  (?P<what>.+)$")


@pytest.fixture
def number(server: LiveServer, account: Credentials, hooks: Receiver) -> str:
    """A number of the account, linked to an application whose voice webhooks reach ``hooks``."""
    hooks.answer("/answer", Reply(body=NCCO))
    return linked_number(server, account, {
        "answer_url": {"address": f"{hooks.url}/answer", "http_method": "GET"},
        "event_url": {"address": f"{hooks.url}/event", "http_method": "POST"},
    })  # fmt: skip


def linked_number(server: LiveServer, account: Credentials, webhooks: dict[str, Any]) -> str:
    """A number of the account, linked to a new application with these voice webhooks."""
    with server.client(account) as rest:
        app = rest.post("/v2/applications", json={
            "name": "ivr", "capabilities": {"voice": {"webhooks": webhooks}}})  # fmt: skip
        assert app.status_code == 201, app.text
        found = rest.get("/number/search", params={"country": "GB", "pattern": "4477009"})
        msisdn: str = found.json()["numbers"][0]["msisdn"]
        routing = {"country": "GB", "msisdn": msisdn}
        assert rest.post("/number/buy", data=routing).status_code == 200
        linked = rest.post("/number/update", data={**routing, "app_id": app.json()["id"]})
        assert linked.status_code == 200, linked.text
    return msisdn


def timeline(output: str) -> list[str]:
    """What each timeline line says, without its time and leg."""
    return [m["what"] for m in map(LINE.match, output.splitlines()) if m]


def test_simulate_prints_the_call_as_it_happens(cli: Any, number: str, hooks: Receiver) -> None:
    output = cli("calls", "simulate", "--from", CALLER, "--to", number, "--dtmf", "1234",
                 "--speed", "0").stdout  # fmt: skip
    lines = output.splitlines()
    uuid = re.fullmatch(rf"Call (\S+) from {CALLER} to {number}", lines[0])
    assert uuid, lines[0]
    said = timeline(output)
    statuses = [line for line in said if line.startswith("status ")]
    assert statuses == ["status started (inbound)", "status ringing", "status answered",
                        "status completed"]  # fmt: skip
    assert "action talk 'Hello'" in said
    assert "action input dtmf" in said
    keys = [line for line in said if line.startswith("caller keys")]
    assert keys == ["caller keys 1", "caller keys 2", "caller keys 3", "caller keys 4"]
    requests = [line for line in said if line.startswith("→")]
    assert f"→ GET {hooks.url}/answer answer 200" in " ".join(requests)
    assert any(
        line.startswith(f"→ POST {hooks.url}/event event answered 200 ") for line in requests
    )
    assert any(
        line.startswith(f"→ POST {hooks.url}/event input keys 1234 200") for line in requests
    )
    assert (
        said.index("status answered") < said.index("caller keys 1") < said.index("status completed")
    )
    assert re.fullmatch(rf"Call {uuid[1]} completed, duration \d+ s", lines[-1]), lines[-1]
    (posted,) = [r for r in hooks.on("/event") if b'"dtmf"' in r.body]
    assert json.loads(posted.body)["dtmf"] == {"digits": "1234", "timed_out": False}


def test_simulate_shows_a_failing_answer_url(cli: Any, number: str, hooks: Receiver) -> None:
    hooks.script["/answer"].clear()
    hooks.answer("/answer", Reply(status=500))
    output = cli("calls", "simulate", "--from", CALLER, "--to", number, expect=1).stdout
    assert output.splitlines()[-1].endswith(
        " failed: answer_url answered 500; status completed, duration 0 s"
    )
    said = timeline(output)
    assert any(line.startswith(f"→ GET {hooks.url}/answer answer 500 ") for line in said)
    assert "error answer: HTTP 500" in said
    error_event = f"→ POST {hooks.url}/event event error 'HTTP 500' 200 "
    assert any(line.startswith(error_event) for line in said), said
    assert "action talk 'Hello'" not in said


def test_simulate_json_streams_every_entry_once_in_order(cli: Any, number: str) -> None:
    # At 10x real time the call lasts long enough for several polls while it runs.
    output = cli("calls", "simulate", "--from", CALLER, "--to", number, "--dtmf", "12",
                 "--dtmf", "34", "--speed", "10", "--json").stdout  # fmt: skip
    *entries, call = [json.loads(line) for line in output.splitlines()]
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    assert call["status"] == "completed" and "seq" not in call
    keyed = [e["value"] for e in entries if e["kind"] == "input"]
    assert keyed == ["1", "2"]  # the one input takes the first --dtmf entry; 34 is never asked
    shown = json.loads(cli("calls", "show", call["uuid"], "--json").stdout)
    assert shown["call"]["uuid"] == call["uuid"]
    assert shown["timeline"] == entries


def test_show_and_list_a_finished_call(cli: Any, number: str) -> None:
    simulated = cli("calls", "simulate", "--from", CALLER, "--to", number, "--dtmf", "9",
                    "--json").stdout  # fmt: skip
    uuid = json.loads(simulated.splitlines()[-1])["uuid"]
    output = cli("calls", "show", uuid).stdout
    assert uuid in output and CALLER in output and "completed" in output
    said = timeline(output)
    assert said[0] == "status started (inbound)"
    assert [line for line in said if line.startswith("status ")][-1] == "status completed"
    assert "caller keys 9" in said
    assert "still running" not in output
    listed = json.loads(cli("calls", "list", "--json").stdout)
    assert [(c["uuid"], c["status"]) for c in listed] == [(uuid, "completed")]
    table = cli("calls", "list", "--status", "completed").stdout
    assert uuid[:8] in table and "1 of 1 shown" in table
    assert "0 of 0 shown" in cli("calls", "list", "--status", "busy").stdout


def test_phones_set_list_show_reset(cli: Any) -> None:
    address = "447700900555"
    default = json.loads(cli("phones", "show", address, "--json").stdout)
    assert default["behaviour"] == "answer"
    flags = ["--behaviour", "busy", "--answer-after", "5", "--dtmf", "1#", "--say", "yes please",
             "--hangup-after", "30"]  # fmt: skip
    result = cli("phones", "set", address, *flags, "--json")
    assert json.loads(result.stdout) == {
        **default, "behaviour": "busy", "answer_after": 5.0, "dtmf": ["1#"],
        "speech": ["yes please"], "hangup_after": 30.0,
    }  # fmt: skip
    assert json.loads(cli("phones", "show", address, "--json").stdout)["behaviour"] == "busy"
    listed = json.loads(cli("phones", "list", "--json").stdout)
    assert listed["phones"][address]["answer_after"] == 5.0
    assert listed["default"] == default
    table = cli("phones", "list").stdout
    assert address in table and "busy" in table and "(any other)" in table
    cli("phones", "set", "sip:desk@example.com", "--behaviour", "no-answer")
    assert cli("phones", "show", "sip:desk@example.com", "--json").stdout.count("no-answer") == 1
    assert f"Reset {address}" in cli("phones", "reset", address).stdout
    assert json.loads(cli("phones", "show", address, "--json").stdout) == default
    assert list(json.loads(cli("phones", "list", "--json").stdout)["phones"]) == [
        "sip:desk@example.com"
    ]


def test_errors_are_one_line(cli: Any, number: str) -> None:
    unknown = cli("calls", "simulate", "--from", CALLER, "--to", "447700900999", expect=1)
    assert "447700900999" in unknown.output and "does not exist" in unknown.output
    assert len(unknown.output.strip().splitlines()) == 1
    bad = cli("calls", "simulate", "--from", CALLER, "--to", number, "--dtmf", "12a", expect=1)
    assert "dtmf" in bad.output and len(bad.output.strip().splitlines()) == 1
    missing = cli("calls", "show", "00000000-0000-0000-0000-000000000000", expect=1)
    assert "does not exist" in missing.output
    never_set = cli("phones", "reset", "447700900556", expect=1)
    assert "does not exist" in never_set.output
    assert len(never_set.output.strip().splitlines()) == 1


def test_tables_keep_ids_whole_in_a_pipe_and_on_a_narrow_terminal(
    cli: Any, number: str, server: LiveServer, account: Credentials
) -> None:
    with server.client(account) as rest:
        placed = rest.post("/_ringway/calls", json={"from": CALLER, "to": number, "speed": 0})
        uuid = placed.json()["uuid"]
    piped = CliRunner().invoke(main, ["calls", "list"], env={"COLUMNS": "40"}).stdout
    (row,) = [line for line in piped.splitlines() if uuid in line]
    assert CALLER in row and number in row and "…" not in piped  # one line, nothing cut
    narrow = CliRunner().invoke(main, ["calls", "list"],
                                env={"COLUMNS": "60", "TTY_COMPATIBLE": "1"}).stdout  # fmt: skip
    (row,) = [line for line in narrow.splitlines() if uuid[:8] in line]
    assert uuid in row and "…" in row  # the id whole, the other columns trimmed
    assert len(narrow.splitlines()) == len(piped.splitlines())  # no line wrapped


def test_phones_set_takes_every_behaviour_field(cli: Any) -> None:
    flags = ["--behaviour", "machine", "--answer-after", "1.5", "--dtmf", "", "--dtmf", "9",
             "--say", "hello", "--hangup-after", "20", "--message-seconds", "12",
             "--says", "2: Hello there", "--says", "4.5:Goodbye"]  # fmt: skip
    phone = json.loads(cli("phones", "set", "447700900557", *flags, "--json").stdout)
    assert phone == {"behaviour": "machine", "answer_after": 1.5, "dtmf": ["", "9"],
                     "speech": ["hello"], "hangup_after": 20.0, "message_seconds": 12.0,
                     "says": [{"text": "Hello there", "at": 2.0, "language": "en-US"},
                              {"text": "Goodbye", "at": 4.5, "language": "en-US"}]}  # fmt: skip
    refused = cli("phones", "set", "447700900557", "--says", "Hello", expect=2)
    assert "SECONDS:WORDS" in refused.output


def test_an_unreachable_answer_url_fails_the_call_loudly(
    cli: Any, server: LiveServer, account: Credentials
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/answer"
    number = linked_number(server, account, {"answer_url": {"address": nowhere}})
    result = cli("calls", "simulate", "--from", CALLER, "--to", number, expect=1)
    last = result.stdout.splitlines()[-1]
    uuid = last.split()[1]
    assert last == (f"Call {uuid} failed: answer_url unreachable (connection refused); "
                    "status completed, duration 0 s")  # fmt: skip
    call = json.loads(cli("calls", "show", uuid, "--json").stdout)["call"]
    assert call["outcome"] == "failed: answer_url unreachable (connection refused)"
    assert call["failed"] is True and call["status"] == "completed"
    shown = cli("calls", "show", uuid).stdout
    assert "failed: answer_url unreachable (connection refused)" in shown
    failed = json.loads(cli("calls", "list", "--failed", "--json").stdout)
    assert [c["uuid"] for c in failed] == [uuid]
    as_json = cli("calls", "simulate", "--from", CALLER, "--to", number, "--json", expect=1)
    assert json.loads(as_json.stdout.splitlines()[-1])["failed"] is True


def test_an_invalid_ncco_is_the_outcome(cli: Any, number: str, hooks: Receiver) -> None:
    hooks.script["/answer"].clear()
    hooks.answer("/answer", Reply(body=[{"action": "talk", "text": "Hi"}, {"action": "connect"}]))
    last = cli("calls", "simulate", "--from", CALLER, "--to", number,
               expect=1).stdout.splitlines()[-1]  # fmt: skip
    assert " failed: invalid NCCO at [1].endpoint from answer_url (" in last, last


def test_the_fallback_answer_url_in_the_outcome(
    cli: Any, server: LiveServer, account: Credentials, hooks: Receiver
) -> None:
    hooks.answer("/answer", Reply(status=503), Reply(status=503), Reply(status=503),
                 Reply(status=503))  # fmt: skip
    hooks.answer("/fallback", Reply(status=500), Reply(body=NCCO[:1]))
    number = linked_number(server, account, {
        "answer_url": {"address": f"{hooks.url}/answer"},
        "fallback_answer_url": {"address": f"{hooks.url}/fallback"},
    })  # fmt: skip
    failed = cli("calls", "simulate", "--from", CALLER, "--to", number, expect=1)
    assert (" failed: answer_url answered 503, then fallback_answer_url answered 500; status "
            "completed") in failed.stdout.splitlines()[-1]  # fmt: skip
    # The fallback answers the second call: it goes on, and says what the fallback made good.
    rescued = cli("calls", "simulate", "--from", CALLER, "--to", number, "--speed", "0")
    assert re.search(r" completed \(answer_url answered 503; fallback_answer_url answered\), "
                     r"duration \d+ s$", rescued.stdout)  # fmt: skip


def _interruptible() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("hang_up", [False, True])
def test_ctrl_c_says_the_call_runs_on_or_hangs_it_up(
    server: LiveServer, account: Credentials, number: str, hooks: Receiver, hang_up: bool
) -> None:
    hooks.script["/answer"].clear()
    hooks.answer("/answer", Reply(body=[{"action": "conversation", "name": "hold"}]))
    env = {**os.environ, "RINGWAY_URL": server.url, "RINGWAY_API_KEY": account.api_key,
           "RINGWAY_API_SECRET": account.api_secret}  # fmt: skip
    flags = ["--hang-up-on-interrupt"] if hang_up else []
    command = [sys.executable, "-m", "ringway.cli", "calls", "simulate", "--from", CALLER,
               "--to", number, "--speed", "1", *flags]  # fmt: skip
    # A process started in the background inherits SIGINT ignored (as `make test &` does), and
    # Python then keeps ignoring it: a terminal's Ctrl-C is what is tested, so restore it.
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, preexec_fn=_interruptible) as process:  # fmt: skip
        assert process.stdout is not None
        uuid = process.stdout.readline().split()[1]
        with server.client(account) as rest:
            eventually(lambda: rest.get(f"/_ringway/calls/{uuid}").json()["status"] == "answered",
                       what="the call answered")  # fmt: skip
            process.send_signal(signal.SIGINT)
            _out, err = process.communicate(timeout=30)
            assert process.returncode == 130, err
            timeline = lambda: rest.get(f"/_ringway/calls/{uuid}/timeline").json()  # noqa: E731
            if hang_up:
                assert f"the caller hung up call {uuid}" in err
                ended = eventually(lambda: not (t := timeline())["running"] and t,
                                   what="the call ended")  # fmt: skip
                assert ended["status"] == "completed" and ended["outcome"] == "completed"
            else:
                assert f"call {uuid} is still running" in err
                assert f"ringway calls hangup {uuid}" in err
                assert timeline()["running"] is True
                assert rest.post(f"/_ringway/calls/{uuid}/hangup").status_code == 204
