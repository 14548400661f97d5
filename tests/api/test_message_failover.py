"""Messages failover (wire-contract-wave2 §3.1) against a live server and a real receiver: each
next message is sent when the one before ends rejected (its ttl run out too) or undeliverable,
and every step's statuses reach the status URL with its ``workflow``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import orjson
import pytest

from tests.api.test_messages import MESSAGES_ERRORS, USER, Messaging, messaging
from tests.conftest import LiveServer, eventually
from tests.receivers import Receiver

SMS = {"channel": "sms", "message_type": "text", "to": USER, "text": "Your code is 1234"}


@pytest.fixture
def chat(server: LiveServer, hooks: Receiver) -> Iterator[Messaging]:
    yield from messaging(server, hooks)


def whatsapp(chat: Messaging, **more: Any) -> dict[str, Any]:
    return {"channel": "whatsapp", "message_type": "text", "to": USER, "from": chat.number,
            "text": "Your code is 1234", **more}  # fmt: skip


def workflow_statuses(chat: Messaging, workflow_id: str, count: int) -> list[dict[str, Any]]:
    def arrived() -> list[dict[str, Any]] | None:
        bodies = [orjson.loads(r.body) for r in chat.hooks.on("/status")]
        mine = [b for b in bodies if b.get("workflow", {}).get("id") == workflow_id]
        return mine if len(mine) >= count else None

    return eventually(arrived, what=f"{count} statuses of workflow {workflow_id}")


def test_a_rejected_message_fails_over_to_the_next(chat: Messaging) -> None:
    chat.recipient(USER, delivered_after=0, channels={"whatsapp": "rejected"})
    answer = chat.send(**whatsapp(chat), failover=[{**SMS, "from": chat.number}]).json()
    first, workflow_id = answer["message_uuid"], answer["workflow_id"]
    assert len(workflow_id) > 30 and "-" not in workflow_id  # opaque, not a UUID
    statuses = workflow_statuses(chat, workflow_id, 4)
    assert [(s["channel"], s["status"]) for s in statuses] == [
        ("whatsapp", "submitted"), ("whatsapp", "rejected"), ("sms", "submitted"),
        ("sms", "delivered")]  # fmt: skip
    assert {s["message_uuid"] for s in statuses[:2]} == {first}
    second = statuses[2]["message_uuid"]
    assert second != first and statuses[3]["message_uuid"] == second
    assert [s["workflow"] for s in statuses] == [
        {"id": workflow_id, "item_number": str(item), "total_items": "2"} for item in (1, 1, 2, 2)
    ]
    assert statuses[1]["error"]["type"] == f"{MESSAGES_ERRORS}#1170"
    shown = chat.rest.get(f"/_ringway/messages/{second}").json()
    assert shown["channel"] == "sms" and shown["workflow"]["item_number"] == "2"


def test_undeliverable_fails_over_too_and_a_delivered_message_ends_the_workflow(
    chat: Messaging,
) -> None:
    chat.recipient(USER, delivered_after=0, channels={"rcs": "undeliverable"})
    rcs = {"channel": "rcs", "message_type": "text", "to": USER, "from": "Ringway",
           "text": "Your code is 1234"}  # fmt: skip
    answer = chat.send(**rcs, failover=[whatsapp(chat), {**SMS, "from": chat.number}]).json()
    statuses = workflow_statuses(chat, answer["workflow_id"], 4)
    assert [(s["channel"], s["status"]) for s in statuses] == [
        ("rcs", "submitted"), ("rcs", "undeliverable"), ("whatsapp", "submitted"),
        ("whatsapp", "delivered")]  # fmt: skip
    assert statuses[-1]["workflow"]["total_items"] == "3"
    # The SMS after a delivered WhatsApp message is never sent.
    listed = chat.rest.get("/_ringway/messages").json()["_embedded"]["messages"]
    assert sorted(m["channel"] for m in listed) == ["rcs", "whatsapp"]


def test_a_ttl_that_runs_out_rejects_the_message_and_fails_over_then(chat: Messaging) -> None:
    """The recipient takes 60 s to take delivery; the RCS message may wait 20."""
    chat.recipient(USER, delivered_after=60)
    rcs = {"channel": "rcs", "message_type": "text", "to": USER, "from": "Ringway", "text": "Hi",
           "ttl": 20}  # fmt: skip
    answer = chat.send(**rcs, failover=[{**SMS, "from": chat.number}]).json()
    shown = chat.rest.get(f"/_ringway/messages/{answer['message_uuid']}").json()
    bodies = [d["body"] for d in shown["deliveries"]]  # the second is due in 20 s
    assert [b["status"] for b in bodies] == ["submitted", "rejected"]
    assert bodies[1]["error"]["type"] == f"{MESSAGES_ERRORS}#1360"
    rejected_at = datetime.fromisoformat(bodies[1]["timestamp"])
    submitted_at = datetime.fromisoformat(bodies[0]["timestamp"])
    assert 19 <= (rejected_at - submitted_at).total_seconds() <= 21
    listed = chat.rest.get("/_ringway/messages").json()["_embedded"]["messages"]
    (sms,) = [m for m in listed if m["channel"] == "sms"]
    assert sms["status"] is None  # its turn has not come
    assert sms["deliveries"][0]["body"]["timestamp"] == bodies[1]["timestamp"]


def test_a_message_without_failover_has_no_workflow(chat: Messaging) -> None:
    chat.recipient(USER, delivered_after=0)
    answer = chat.send(**whatsapp(chat)).json()
    assert set(answer) == {"message_uuid"}
    assert all("workflow" not in s for s in chat.statuses(answer["message_uuid"], 2))


@pytest.mark.parametrize(
    ("failover", "name"),
    [
        ([], "failover"),
        ("sms", "failover"),
        ([{**SMS, "from": "447700900000", "failover": []}], "failover"),
        ([{**SMS, "from": "447700900000", "text": ""}], "text"),
        ([{**SMS, "from": "447700900000", "ttl": 0}], "ttl"),
    ],
)
def test_a_bad_failover_is_refused_whole(chat: Messaging, failover: Any, name: str) -> None:
    problem = chat.send(422, **whatsapp(chat), failover=failover).json()
    assert problem["type"] == f"{MESSAGES_ERRORS}#1150"
    assert problem["invalid_parameters"][0]["name"] == name
    assert chat.rest.get("/_ringway/messages").json()["_embedded"]["messages"] == []
