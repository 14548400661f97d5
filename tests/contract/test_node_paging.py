"""The official Node SDK (``@vonage/server-sdk``) pages through lists against a live ringway: it
follows each page's ``_links.next`` with ``new URL(href)``, which needs absolute URLs."""

from __future__ import annotations

import json

from ringway.security.jwt import mint
from tests.conftest import LiveServer, eventually
from tests.contract.test_examples import node_example, run_example

SCRIPT = """
import { Vonage } from '@vonage/server-sdk';
const vonage = new Vonage(
  { applicationId: process.env.APP_ID, privateKey: process.env.PRIVATE_KEY },
  { apiHost: process.env.RINGWAY_URL },
);
const calls = [], users = [], conversations = [];
for await (const call of vonage.voice.getAllCalls({ pageSize: 1 })) calls.push(call.uuid);
for await (const user of vonage.users.listAllUsers({ pageSize: 1 })) users.push(user.name);
for await (const c of vonage.conversations.listAllConversations({ pageSize: 1 })) {
  conversations.push(c.name);
}
console.log(JSON.stringify({ calls, users, conversations }));
"""


def test_the_node_sdk_pages_through_calls_users_and_conversations(server: LiveServer) -> None:
    node, folder = node_example()
    with server.client(server.account()) as rest:
        hooks = {"answer_url": {"address": "http://127.0.0.1:9/answer"},
                 "event_url": {"address": "http://127.0.0.1:9/event"}}  # fmt: skip
        created = rest.post("/v2/applications", json={
            "name": "node paging", "capabilities": {"voice": {"webhooks": hooks}}})  # fmt: skip
        assert created.status_code == 201, created.text
        app_id, key = created.json()["id"], created.json()["keys"]["private_key"]
    token = mint(app_id, key)
    with server.client() as api:
        api.headers["Authorization"] = f"Bearer {token}"
        placed = []
        for n in range(3):
            response = api.post("/v1/calls", json={
                "to": [{"type": "phone", "number": f"1555010{n:04d}"}],
                "from": {"type": "phone", "number": "15550100999"},
                "ncco": [{"action": "talk", "text": "Hello"}]})  # fmt: skip
            assert response.status_code == 201, response.text
            placed.append(response.json()["uuid"])
        for name in ("ada", "bea", "cyd"):
            assert api.post("/v1/users", json={"name": name}).status_code == 201
            made = api.post("/v1/conversations", json={"name": f"talk-{name}"})
            assert made.status_code == 201, made.text
        eventually(lambda: api.get("/v1/calls").json()["count"] == 3, what="the calls stored")
    output = run_example(
        [node, "--input-type=module", "-e", SCRIPT],
        {"RINGWAY_URL": server.url, "APP_ID": app_id, "PRIVATE_KEY": key},
        folder,
    )
    listed = json.loads(output)
    assert sorted(listed["calls"]) == sorted(placed)  # three pages of one
    assert listed["users"] == ["ada", "bea", "cyd"]
    assert listed["conversations"] == ["talk-ada", "talk-bea", "talk-cyd"]
