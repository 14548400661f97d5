"""``ringway calls hangup|transfer|talk|stream|dtmf`` through the Voice API as an application
(its JWT), on calls that stay up; ids given by their start."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ringway.security.jwt import mint
from ringway.services.accounts import Credentials
from tests.api.test_messages import buy_number
from tests.conftest import LiveServer, eventually
from tests.receivers import Receiver, Reply

STAYS = [{"action": "conversation", "name": "stays"}]


@dataclass
class Line:
    rest: httpx.Client
    number: str
    app: list[str]  # --app-id and --private-key-file


@pytest.fixture
def line(server: LiveServer, account: Credentials, hooks: Receiver, tmp_path: Path) -> Any:
    """A number whose calls stay up (a conversation), and the flags that name its application."""
    hooks.answer("/answer", *[Reply(body=STAYS)] * 4)
    with server.client(account) as rest:
        voice = {"webhooks": {"answer_url": {"address": f"{hooks.url}/answer",
                                             "http_method": "GET"}}}  # fmt: skip
        app = rest.post("/v2/applications", json={"name": "ivr",
                        "capabilities": {"voice": voice}}).json()  # fmt: skip
        key = tmp_path / "app.key"
        key.write_text(app["keys"]["private_key"])
        yield Line(rest, buy_number(rest, app["id"]), ["--app-id", app["id"],
                   "--private-key-file", str(key)])  # fmt: skip


def place(line: Line) -> str:
    placed = line.rest.post("/_ringway/calls", json={"from": "447700900001", "to": line.number})
    assert placed.status_code == 201, placed.text
    uuid: str = placed.json()["uuid"]
    eventually(lambda: status(line, uuid) == "answered", what="the answer")
    return uuid


def status(line: Line, uuid: str) -> str:
    return str(line.rest.get(f"/_ringway/calls/{uuid}").json()["status"])


def kinds(line: Line, uuid: str) -> list[dict[str, Any]]:
    return list(line.rest.get(f"/_ringway/calls/{uuid}/timeline").json()["entries"])


def test_talk_stream_dtmf_transfer_and_hangup_by_the_start_of_the_uuid(
    cli: Any, line: Line, hooks: Receiver, tmp_path: Path
) -> None:
    uuid = place(line)
    short = uuid[-8:]  # as a timeline shows the leg
    said = cli("calls", "talk", short, "Please hold", "--loop", "0", *line.app).output
    assert said == f"Talk started: {uuid}\n"
    eventually(lambda: any(e.get("text") == "Please hold" for e in kinds(line, uuid)),
               what="the talk in the timeline")  # fmt: skip
    assert cli("calls", "talk", short, "--stop", *line.app).output == f"Talk stopped: {uuid}\n"
    streamed = cli("calls", "stream", short, f"{hooks.url}/hold.wav", "--level", "0.5",
                   *line.app, "--json").output  # fmt: skip
    assert json.loads(streamed) == {"message": "Stream started", "uuid": uuid}
    assert cli("calls", "dtmf", short, "12#", *line.app).output == f"DTMF sent: {uuid}\n"
    ncco = tmp_path / "ncco.json"
    ncco.write_text(json.dumps([{"action": "talk", "text": "Moved along"}]))
    assert cli("calls", "transfer", short, "--ncco", str(ncco), *line.app).output == (
        f"Transferred: {uuid}\n"
    )
    eventually(lambda: status(line, uuid) == "completed", what="the end of the new NCCO")
    entries = kinds(line, uuid)
    controls = [(e["action"], e.get("text") or e.get("stream_url") or e.get("digits"))
                for e in entries if e["kind"] == "control"]  # fmt: skip
    assert controls == [("talk", "Please hold"), ("silence", None),
                        ("stream", [f"{hooks.url}/hold.wav"]), ("dtmf", "12#"),
                        ("transfer", None)]  # fmt: skip
    assert {"action": "talk", "text": "Moved along"} in [e.get("action") for e in entries]

    other = place(line)
    token = mint(line.app[1], Path(line.app[3]).read_text())
    hung_up = cli("calls", "hangup", other[-8:], "--jwt", token, "--json").output
    assert json.loads(hung_up) == {"message": "Hung up", "uuid": other}
    ambiguous = cli("calls", "dtmf", other[:4], "1", "--jwt", token, expect=1).output
    assert ambiguous.startswith(f"Error: '{other[:4]}' fits 2 call ids (")  # both of today
    eventually(lambda: status(line, other) == "completed", what="the hang-up")


def test_the_voice_api_needs_an_application_and_a_running_call(cli: Any, line: Line) -> None:
    missing = cli("calls", "hangup", "00000000-0000-0000-0000-000000000000", expect=2).output
    assert "--app-id and --private-key-file" in missing and "--jwt" in missing
    unknown = cli("calls", "hangup", "feedface", *line.app, expect=1).output
    assert unknown == "Error: no call id starts or ends with 'feedface'\n"
    neither = cli("calls", "transfer", "00000000", *line.app, expect=2).output
    assert "give one of --ncco FILE and --answer-url URL" in neither


def test_simulate_from_an_app_user(cli: Any, line: Line, hooks: Receiver) -> None:
    line.rest.post("/_ringway/calls", json={"from": "447700900001", "to": line.number})
    hooks.script["/answer"].clear()
    hooks.answer("/answer", Reply(body=[{"action": "talk", "text": "Hi"}]))
    output = cli("calls", "simulate", "--from-user", "alice", "--to", line.number).output
    assert output.startswith("Call ") and f" from alice to {line.number}\n" in output
    answered = [r.query for r in hooks.on("/answer") if r.query.get("from_user") == "alice"]
    assert answered and answered[0]["endpoint_type"] == "app"
    neither = cli("calls", "simulate", "--to", line.number, expect=2).output
    assert "give --from NUMBER, or --from-user USER" in neither
