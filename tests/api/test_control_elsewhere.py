"""A call running in another server process on the same database, SQLite or PostgreSQL, is
controlled through this one: each command applied once, in the order sent (on PostgreSQL
announced by NOTIFY, on SQLite found by the poll)."""

from __future__ import annotations

from ringway.security.jwt import mint
from tests.conftest import LiveServer, eventually
from tests.receivers import Receiver

PHONE = "447700800123"  # a virtual phone that answers at once
ACTIONS = ["mute", "earmuff", "unmute", "unearmuff", "mute", "hangup"]


def test_a_call_running_in_another_process_is_controlled_through_this_one(
    server: LiveServer, second_server: LiveServer, hooks: Receiver
) -> None:
    account = server.account()
    voice = {"webhooks": {"answer_url": {"address": hooks.url + "/answer"},
                          "event_url": {"address": hooks.url + "/event"}}}  # fmt: skip
    with server.client(account) as rest:
        made = rest.post("/v2/applications", json={"name": "elsewhere",
                                                   "capabilities": {"voice": voice}})  # fmt: skip
        assert made.status_code == 201, made.text
        assert rest.put(f"/_ringway/phones/{PHONE}", json={"answer_after": 0}).is_success
    app = made.json()
    bearer = {"Authorization": f"Bearer {mint(app['id'], app['keys']['private_key'])}"}
    body = {"to": [{"type": "phone", "number": PHONE}],
            "from": {"type": "phone", "number": "447700900001"},
            "ncco": [{"action": "conversation", "name": "stays"}]}  # fmt: skip
    with second_server.client() as there, server.client() as here:
        placed = there.post("/v1/calls", json=body, headers=bearer)  # it runs there
        assert placed.status_code == 201, placed.text
        call = f"/v1/calls/{placed.json()['uuid']}"
        status = lambda: here.get(call, headers=bearer).json()["status"]  # noqa: E731
        eventually(lambda: status() == "answered", what="the answer")
        for action in ACTIONS:
            answer = here.put(call, json={"action": action}, headers=bearer)
            assert answer.status_code == 204, answer.text
        eventually(lambda: status() == "completed", what="the hang-up")
    with server.client(account) as rest:
        timeline = rest.get(f"/_ringway/calls/{placed.json()['uuid']}/timeline").json()
    assert [e["action"] for e in timeline["entries"] if e["kind"] == "control"] == ACTIONS
