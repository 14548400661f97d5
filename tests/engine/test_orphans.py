"""Calls no process runs any more are ended by one that runs: after a ``kill -9``, a call that
was up does not stay ``answered`` forever."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import orjson

from ringway.domain import outcomes
from ringway.engine.orphans import ORPHANED, alive, machine
from ringway.storage.processes import ProcessRow
from tests.api.test_messages import buy_number
from tests.conftest import eventually
from tests.receivers import Reply, threaded_receiver
from tests.servers import ringway_serve

KEY, SECRET = "0a0b0c01", "OrphanSecret0001"
ENV = {"RINGWAY_API_KEY": KEY, "RINGWAY_API_SECRET": SECRET, "RINGWAY_CLOCK_SPEED": "1",
       "RINGWAY_PROCESS_TIMEOUT": "1"}  # fmt: skip


def test_a_call_running_in_a_killed_process_is_ended_by_the_next_one(tmp_path: Path) -> None:
    with threaded_receiver() as hooks:
        hooks.answer("/answer", Reply(body=[{"action": "conversation", "name": "stays"}]))
        with (
            ringway_serve(tmp_path, env=ENV) as first,
            httpx.Client(base_url=first.url, auth=(KEY, SECRET)) as rest,
        ):
            voice = {"webhooks": {
                "answer_url": {"address": hooks.url + "/answer", "http_method": "GET"},
                "event_url": {"address": hooks.url + "/event", "http_method": "POST"}}}  # fmt: skip
            app = rest.post(
                "/v2/applications", json={"name": "ivr", "capabilities": {"voice": voice}}
            )
            number = buy_number(rest, app.json()["id"])
            placed = rest.post("/_ringway/calls", json={"from": "447700900001", "to": number})
            uuid = placed.json()["uuid"]
            eventually(lambda: stored_status(tmp_path, uuid) == "answered",
                       what="the answer, stored")  # fmt: skip
            first.process.kill()  # kill -9: the call was up, and nothing ended it
            first.process.wait()
        with (
            ringway_serve(tmp_path, env=ENV) as second,
            httpx.Client(base_url=second.url, auth=(KEY, SECRET)) as rest,
        ):
            ended = eventually(lambda: ended_event(hooks.on("/event"), uuid), timeout=10,
                               what="the completed event, from the next process")  # fmt: skip
            assert ended["disconnected_by"] == "platform"
            assert statuses(hooks.on("/event"), uuid) == ["started", "ringing", "answered",
                                                          "completed"]  # fmt: skip
            call = rest.get(f"/_ringway/calls/{uuid}").json()
            assert call["status"] == "completed" and call["end_time"] is not None
            assert (call["outcome"], call["failed"]) == (outcomes.ORPHANED, True)
            timeline = rest.get(f"/_ringway/calls/{uuid}/timeline").json()
            assert {"kind": "error", "reason": ORPHANED}.items() <= next(
                e for e in timeline["entries"] if e["kind"] == "error"
            ).items()
            assert timeline["running"] is False
            hung_up = rest.post(f"/_ringway/calls/{uuid}/hangup")  # once a 204 that did nothing
            assert hung_up.status_code == 404, hung_up.text


def stored_status(data_dir: Path, uuid: str) -> str | None:
    """The call's status as the database holds it (the server keeps it in memory first)."""
    with contextlib.closing(sqlite3.connect(data_dir / "ringway.db")) as db:
        row = db.execute("SELECT status FROM calls WHERE uuid = ?", (uuid,)).fetchone()
    return row[0] if row else None


def statuses(requests: list[Any], uuid: str) -> list[str]:
    bodies = [orjson.loads(r.body) for r in requests]
    return [b["status"] for b in bodies if b.get("uuid") == uuid and "status" in b]


def ended_event(requests: list[Any], uuid: str) -> dict[str, Any] | None:
    bodies = [orjson.loads(r.body) for r in requests]
    return next((b for b in bodies if b.get("uuid") == uuid and b.get("status") == "completed"),
                None)  # fmt: skip


def test_a_process_is_alive_while_it_beats_and_its_pid_runs() -> None:
    now = dt.datetime.now(dt.UTC)
    here = machine()
    me = ProcessRow("a", here, os.getpid(), now, now)
    assert alive(me, now, 15, here)
    assert not alive(me, now + dt.timedelta(seconds=16), 15, here)  # it stopped beating
    dead = ProcessRow("b", here, 2**22 + 1, now, now)  # beyond any pid Linux hands out
    assert alive(dead, now, 15, None)  # where a pid cannot be checked, the heartbeat decides
    assert not alive(dead, now, 15, here) if here else True
    elsewhere = ProcessRow("c", "another machine", 2**22 + 1, now, now)
    assert alive(elsewhere, now, 15, here)
