"""Injected webhook faults against live servers and a real receiver: the engine and the outbox
treat each as the real failure (outcome, retry, fallback, retry schedule), mark it injected, and
hold it per account and across servers on one database."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import orjson
import pytest

from ringway.config import Settings
from ringway.domain.faults import Action, Fault, chosen
from ringway.engine.webhooks import Target, WebhookClient
from tests.api.test_messages import USER, Messaging, messaging
from tests.api.test_voice import CALLER, body_of
from tests.conftest import LiveServer, eventually, run_server
from tests.receivers import Receiver, Reply, receiver

TALK = [{"action": "talk", "text": "Hi"}]
_prefixes = itertools.count()


@dataclass
class Phoned:
    """An account with a voice application (answer, fallback and event URLs on ``hooks``, under
    a prefix of its own) linked to a number."""

    server: LiveServer
    rest: httpx.Client
    hooks: Receiver
    prefix: str
    number: str

    def fault(self, name: str, expect: int = 200, **body: Any) -> dict[str, Any]:
        response = self.rest.put(f"/_ringway/faults/{name}", json=body)
        assert response.status_code == expect, response.text
        result: dict[str, Any] = response.json()
        return result

    def call(self, via: LiveServer | None = None) -> dict[str, Any]:
        """A simulated call to the number (through ``via``), run to its end: its timeline."""
        with (via or self.server).client() as other:
            placed = other.post("/_ringway/calls", json={"from": CALLER, "to": self.number},
                                auth=self.rest.auth)  # fmt: skip
        assert placed.status_code == 201, placed.text
        uuid = placed.json()["uuid"]

        def ended() -> dict[str, Any] | None:
            timeline: dict[str, Any] = self.rest.get(f"/_ringway/calls/{uuid}/timeline").json()
            return None if timeline["running"] else timeline

        return eventually(ended, what="the end of the call")

    def on(self, path: str) -> list[Any]:
        return self.hooks.on(self.prefix + path)


def requests(timeline: dict[str, Any], purpose: str) -> list[dict[str, Any]]:
    return [e for e in timeline["entries"] if e["kind"] == "request" and e["purpose"] == purpose]


def phoned(server: LiveServer, hooks: Receiver, fallback: bool = True) -> Iterator[Phoned]:
    prefix = f"/p{next(_prefixes)}"
    webhooks: dict[str, Any] = {
        "answer_url": {"address": hooks.answer(prefix + "/answer", Reply(body=TALK)),
                       "http_method": "GET", "socket_timeout": 1000},
        "event_url": {"address": hooks.url + prefix + "/event"},
    }  # fmt: skip
    if fallback:
        webhooks["fallback_answer_url"] = {
            "address": hooks.answer(prefix + "/fallback", Reply(body=TALK)),
            "http_method": "POST",
        }
    account = server.account()
    with server.client(account) as rest:
        created = rest.post("/v2/applications", json={"name": "faulty", "capabilities": {
            "voice": {"webhooks": webhooks}}})  # fmt: skip
        assert created.status_code == 201, created.text
        found = rest.get("/number/search", params={"country": "GB", "pattern": "4477009"})
        number = found.json()["numbers"][0]["msisdn"]
        routing = {"country": "GB", "msisdn": number, "app_id": created.json()["id"]}
        assert rest.post("/number/buy", data=routing).status_code == 200
        assert rest.post("/number/update", data=routing).status_code == 200
        yield Phoned(server, rest, hooks, prefix, number)


@pytest.fixture
def phone(server: LiveServer, hooks: Receiver) -> Iterator[Phoned]:
    yield from phoned(server, hooks)


@pytest.fixture
def no_fallback(server: LiveServer, hooks: Receiver) -> Iterator[Phoned]:
    yield from phoned(server, hooks, fallback=False)


# -- the API ----------------------------------------------------------------------------------


def test_faults_are_set_listed_read_and_deleted(phone: Phoned) -> None:
    rest = phone.rest
    assert rest.get("/_ringway/faults").json() == {"faults": []}
    set_ = phone.fault("answer-down", match={"kind": "answer", "url": "*/answer"},
                       action={"status": 503}, times=2)  # fmt: skip
    assert set_ == {"name": "answer-down", "match": {"kind": "answer", "url": "*/answer"},
                    "action": {"status": 503}, "times": 2, "remaining": 2,
                    "matched": 0}  # fmt: skip
    flaky = phone.fault("flaky", action={"reset": True}, probability=0.3)
    assert isinstance(flaky["seed"], int)  # chosen, and shown, so the run can be repeated
    assert phone.fault("flaky", action={"timeout": True}, probability=0.3, seed=7)["seed"] == 7
    listed = rest.get("/_ringway/faults").json()["faults"]
    assert [f["name"] for f in listed] == ["answer-down", "flaky"]
    assert rest.get("/_ringway/faults/flaky").json()["action"] == {"timeout": True}
    assert rest.delete("/_ringway/faults/flaky").status_code == 204
    assert rest.get("/_ringway/faults/flaky").status_code == 404
    assert rest.delete("/_ringway/faults/flaky").status_code == 404
    assert rest.get("/_ringway/faults", auth=("nobody", "nothing")).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": {}}, "action"),
        ({"action": {"status": 503, "reset": True}}, "action"),
        ({"action": {"status": 99}}, "action.status"),
        ({"action": {"status": "503"}}, "action.status"),
        ({"action": {"reset": 1}}, "action.reset"),
        ({"action": {"delay_ms": 0}}, "action.delay_ms"),
        ({"action": {"explode": True}}, "action.explode"),
        ({"match": {"kind": "ringing"}, "action": {"reset": True}}, "match.kind"),
        ({"match": {"url": ""}, "action": {"reset": True}}, "match.url"),
        ({"action": {"reset": True}, "times": 0}, "times"),
        ({"action": {"reset": True}, "times": 1, "probability": 0.5}, "probability"),
        ({"action": {"reset": True}, "probability": 1.5}, "probability"),
        ({"action": {"reset": True}, "seed": 7}, "seed"),
        ({"match": {"kind": "answer"}}, "action"),
    ],
)
def test_a_bad_fault_is_a_400_naming_the_field(phone: Phoned, body: Any, field: str) -> None:
    response = phone.rest.put("/_ringway/faults/bad", json=body)
    assert response.status_code == 400, response.text
    assert field in {p["name"] for p in response.json()["invalid_parameters"]}
    assert phone.rest.get("/_ringway/faults").json() == {"faults": []}


def test_a_bad_fault_name_is_a_400(phone: Phoned) -> None:
    response = phone.rest.put("/_ringway/faults/a%20b", json={"action": {"reset": True}})
    assert response.status_code == 400, response.text
    assert response.json()["invalid_parameters"][0]["name"] == "name"
    assert phone.rest.get("/_ringway/faults/%00").status_code == 404


# -- the voice engine -------------------------------------------------------------------------


def test_a_503_on_the_answer_url_goes_to_the_fallback_as_a_real_503_would(phone: Phoned) -> None:
    phone.fault("down", match={"kind": "answer"}, action={"status": 503})
    timeline = phone.call()
    assert phone.on("/answer") == []  # never sent
    answers = requests(timeline, "answer")
    # Retried once, as a real 503 is; then the fallback, with the reason a real one gives.
    assert [(a["attempt"], a["status"], a["outcome"], a.get("injected")) for a in answers] == [
        (1, 503, "http-503", "down"), (2, 503, "http-503", "down"), (1, 200, "ok", None),
    ]  # fmt: skip
    (fallback,) = phone.on("/fallback")
    sent = orjson.loads(fallback.body)
    assert sent["reason"] == "HTTP 503"
    assert sent["original_request"] == {"url": phone.hooks.url + phone.prefix + "/answer",
                                        "type": "answer"}  # fmt: skip
    assert phone.rest.get("/_ringway/faults/down").json()["matched"] == 2


def test_times_1_takes_only_the_next_request(phone: Phoned) -> None:
    phone.fault("once", match={"kind": "answer"}, action={"status": 503}, times=1)
    timeline = phone.call()
    outcomes = [(a["outcome"], a.get("injected")) for a in requests(timeline, "answer")]
    assert outcomes == [("http-503", "once"), ("ok", None)]  # the retry was sent
    assert len(phone.on("/answer")) == 1 and phone.on("/fallback") == []
    assert phone.rest.get("/_ringway/faults/once").json()["remaining"] == 0
    again = phone.call()
    assert [a["outcome"] for a in requests(again, "answer")] == ["ok"]
    assert len(phone.on("/answer")) == 2


@pytest.mark.parametrize(("action", "outcome"), [("reset", "reset"), ("timeout", "read-timeout")])
def test_a_reset_or_timeout_fails_as_the_real_one_and_is_retried(
    phone: Phoned, action: str, outcome: str
) -> None:
    phone.fault("cut", match={"kind": "answer"}, action={action: True}, times=1)
    timeline = phone.call()
    first, second = requests(timeline, "answer")
    assert (first["outcome"], first["status"], first["injected"]) == (outcome, None, "cut")
    assert (second["outcome"], "injected" in second) == ("ok", False)
    if action == "timeout":  # after the answer URL's socket timeout (1 s), as a real one
        assert 990 <= first["latency_ms"] < 1500  # (the clocks differ by a few µs)
    assert len(phone.on("/answer")) == 1
    assert phone.on("/fallback") == []


def test_a_delay_sends_the_request_late(phone: Phoned) -> None:
    phone.fault("slow", match={"kind": "answer"}, action={"delay_ms": 400})
    started = time.monotonic()
    timeline = phone.call()
    (answer,) = requests(timeline, "answer")
    assert (answer["outcome"], answer["injected"]) == ("ok", "slow")
    assert answer["latency_ms"] >= 390
    assert len(phone.on("/answer")) == 1 and time.monotonic() - started >= 0.4


def test_a_delay_past_the_socket_timeout_is_a_read_timeout() -> None:
    async def main() -> None:
        webhooks = WebhookClient()
        try:
            async with receiver() as rec:
                target = Target(rec.answer("/x"), "POST", 300, 300)
                late = Fault(name="late", action=Action(delay_ms=3000))
                attempt = await webhooks.exchange(target, b"{}", None, 1, fault=late)
                assert (attempt.outcome, attempt.retryable) == ("read-timeout", True)
                assert 290 <= attempt.latency_ms < 2000  # cut at the timeout, not the delay
                fine = Fault(name="fine", action=Action(delay_ms=100))
                attempt = await webhooks.exchange(target, b"{}", None, 1, fault=fine)
                assert attempt.outcome == "ok" and attempt.latency_ms >= 90
                assert len(rec.on("/x")) == 1  # only the one that arrived in time was sent
        finally:
            await webhooks.close()

    asyncio.run(main())


def test_a_fault_of_one_url_leaves_the_others_alone(phone: Phoned) -> None:
    phone.fault("events", match={"url": "*/event"}, action={"status": 500})
    timeline = phone.call()
    assert [a["outcome"] for a in requests(timeline, "answer")] == ["ok"]
    events = requests(timeline, "event")
    assert events and {(e["outcome"], e["injected"]) for e in events} == {("http-500", "events")}
    assert phone.on("/event") == []


def test_probability_with_a_seed_is_the_same_every_run(no_fallback: Phoned) -> None:
    phone = no_fallback  # a failed notify goes on with the NCCO
    notify = phone.hooks.url + phone.prefix + "/notify"
    ncco = [{"action": "notify", "payload": {"n": n}, "eventUrl": [notify]} for n in range(12)]
    phone.hooks.script[phone.prefix + "/answer"].clear()
    phone.hooks.answer(phone.prefix + "/answer", Reply(body=ncco))
    expected = [n for n in range(12) if not chosen(7, n + 1, 0.5)]
    assert 0 < len(expected) < 12  # some taken, some not, with this seed

    def run() -> list[int]:
        phone.fault("coin", match={"url": "*/notify"}, action={"status": 404},
                    probability=0.5, seed=7)  # fmt: skip
        before = len(phone.on("/notify"))
        phone.call()
        return [body_of(r)["n"] for r in phone.on("/notify")[before:]]

    assert run() == expected
    assert run() == expected  # set again (its count starts over): the same requests taken


def test_one_accounts_faults_never_touch_another_accounts_requests(
    phone: Phoned, server: LiveServer, hooks: Receiver
) -> None:
    phone.fault("everything", action={"status": 503})
    for other in phoned(server, hooks):
        timeline = other.call()
        assert [a["outcome"] for a in requests(timeline, "answer")] == ["ok"]
        assert len(other.on("/answer")) == 1 and other.on("/event")
    assert phone.rest.get("/_ringway/faults/everything").json()["matched"] == 0


@pytest.fixture
def second_server(settings: Settings, server: LiveServer, tmp_path: Any) -> Iterator[LiveServer]:
    """Another server on the same database (as a second worker or node would be)."""
    yield from run_server(settings.model_copy(update={"data_dir": tmp_path / "second"}))


def test_a_fault_set_through_one_server_holds_in_another(
    phone: Phoned, second_server: LiveServer
) -> None:
    # The second server learns that the account has no faults (and caches that)…
    assert [a["outcome"] for a in requests(phone.call(via=second_server), "answer")] == ["ok"]
    phone.fault("twice", match={"kind": "answer"}, action={"status": 404}, times=2)
    # …and sees the fault set through the first at once; the two take two requests in all.
    first = phone.call(via=second_server)
    assert [a.get("injected") for a in requests(first, "answer")] == ["twice", None]
    second = phone.call(via=phone.server)
    assert [a.get("injected") for a in requests(second, "answer")] == ["twice", None]
    third = phone.call(via=second_server)  # none left for this one
    assert [a["outcome"] for a in requests(third, "answer")] == ["ok"]
    with second_server.client() as other:
        shown = other.get("/_ringway/faults/twice", auth=phone.rest.auth).json()
    assert (shown["remaining"], shown["matched"]) == (0, 2)
    assert phone.rest.delete("/_ringway/faults/twice").status_code == 204


# -- the outbox -------------------------------------------------------------------------------


@pytest.fixture
def chat(settings: Settings, hooks: Receiver) -> Iterator[Messaging]:
    settings.delivery_retries = "0.2,0.3"
    for live in run_server(settings):
        yield from messaging(live, hooks)


def test_a_status_fault_makes_a_delivery_retry_on_the_schedule(chat: Messaging) -> None:
    put = chat.rest.put("/_ringway/faults/status-down", json={
        "match": {"kind": "status"}, "action": {"status": 503}, "times": 2})  # fmt: skip
    assert put.status_code == 200, put.text
    chat.recipient(USER, delivered_after=0)
    uuid = chat.send().json()["message_uuid"]
    chat.statuses(uuid, 2)
    delivered = eventually(
        lambda: (d := chat.deliveries(kind="message-status"))
        and all(x["state"] == "delivered" for x in d) and d,
        what="both statuses delivered",
    )  # fmt: skip
    (first,) = [d for d in delivered if d["body"]["status"] == "submitted"]
    log = first["log"]
    assert [(a["outcome"], a["status"], a["injected"]) for a in log] == [
        ("http-503", 503, "status-down"), ("http-503", 503, "status-down"), ("ok", 200, None),
    ]  # fmt: skip
    at = [time_of(a["at"]) for a in log]
    assert at[1] - at[0] >= 0.2 and at[2] - at[1] >= 0.3  # the retry schedule
    assert len(chat.hooks.on("/status")) == 2  # each status received once; nothing faulted
    # Inbound messages are another kind: untouched.
    other = chat.rest.put("/_ringway/faults/inbound-reset", json={
        "match": {"kind": "inbound"}, "action": {"reset": True}, "times": 1})  # fmt: skip
    assert other.status_code == 200
    sent = chat.rest.post("/_ringway/messages", json={"channel": "sms", "from": USER,
                                                      "to": chat.number, "text": "Hi"})  # fmt: skip
    assert sent.status_code == 201, sent.text
    (inbound,) = eventually(
        lambda: [d for d in chat.deliveries(kind="message-inbound") if d["state"] == "delivered"],
        what="the inbound message delivered",
    )
    assert [(a["outcome"], a["injected"]) for a in inbound["log"]] == [
        ("reset", "inbound-reset"), ("ok", None),
    ]  # fmt: skip


def time_of(at: str) -> float:
    return datetime.fromisoformat(at).timestamp()
