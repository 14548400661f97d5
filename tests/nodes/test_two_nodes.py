"""Two ``ringway serve`` nodes on one PostgreSQL database, as behind a load balancer: what one
accepts the other sees at once, a call running on one is controlled through the other, the
outbox is shared without a delivery sent twice, and a node killed with ``kill -9`` loses
nothing it accepted while its calls are ended by the survivor."""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import orjson
import pytest
import sqlalchemy as sa

from ringway.domain import outcomes
from ringway.testing.server import Credentials, TestServer, start
from tests.api.test_messages import USER, buy_number
from tests.api.test_voice import jwt_of
from tests.conftest import PG_ADMIN_URL, eventually
from tests.receivers import Receiver, Reply

pytestmark = pytest.mark.postgres
CALLER = "447700900001"
# Calls run in real time, so that their timelines are stamped by the wall clock. Node A looks
# for commands only when they are announced (its poll, the safety net, would come after every
# test's end), so that commands reaching it prove the notifications; node B runs on a small
# pool, so that every test also proves a node works within it.
REAL_TIME = {"RINGWAY_CLOCK_SPEED": "1"}
ANNOUNCED_ONLY = {**REAL_TIME, "RINGWAY_COMMAND_POLL": "3600"}
SMALL_POOL = {**REAL_TIME, "RINGWAY_DATABASE_POOL_SIZE": "2", "RINGWAY_DATABASE_MAX_OVERFLOW": "1"}


@dataclass
class Node:
    """A ``ringway serve`` process, named in ``pg_stat_activity`` by ``application``."""

    name: str
    application: str
    server: TestServer

    @property
    def url(self) -> str:
        return self.server.url

    def client(self, credentials: Credentials | None = None) -> httpx.Client:
        auth = (credentials.api_key, credentials.api_secret) if credentials else None
        return httpx.Client(base_url=self.url, auth=auth, timeout=10)


def start_nodes(
    make_url: Callable[[], str], root: Path, env: dict[str, dict[str, str]]
) -> list[Node]:
    """Nodes named as the keys of ``env``, each with those variables, on one new schema,
    started side by side (given a minute each, on a machine busy with other work)."""
    url = make_url()
    tag = uuid4().hex[:8]  # other test workers start nodes of the same names

    def one(name: str) -> Node:
        application = f"{name}-{tag}"
        server = start(root / name, database_url=f"{url}&application_name={application}",
                       env=env[name], timeout=60)  # fmt: skip
        return Node(name, application, server)

    with ThreadPoolExecutor(len(env)) as pool:
        started = [pool.submit(one, name) for name in env]
        nodes = [future.result() for future in started]  # one that failed fails the fixture
    return nodes


@pytest.fixture(scope="module")
def nodes(
    postgres_schema_url: Callable[[], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Node, Node]]:
    a, b = start_nodes(postgres_schema_url, tmp_path_factory.mktemp("nodes"),
                       {"node-a": ANNOUNCED_ONLY, "node-b": SMALL_POOL})  # fmt: skip
    try:
        yield a, b
    finally:
        a.server.stop()
        b.server.stop()


@dataclass
class Tenant:
    """An account with an application (voice and messages, webhooks to ``hooks``), a number
    linked to it, and a simulated recipient that gets messages at once."""

    credentials: Credentials
    app_id: str
    private_key: str
    number: str
    hooks: Receiver

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {jwt_of(self.app_id, self.private_key)}"}


def tenant(node: Node, hooks: Receiver) -> Tenant:
    credentials = node.server.new_account()
    hook = lambda path, method="POST": {"address": hooks.url + path, "http_method": method}  # noqa: E731
    webhooks = {"answer_url": hook("/answer", "GET"), "event_url": hook("/event")}
    messages = {"inbound_url": hook("/inbound"), "status_url": hook("/status")}
    capabilities = {"voice": {"webhooks": webhooks}, "messages": {"webhooks": messages}}
    with node.client(credentials) as rest:
        app = rest.post("/v2/applications", json={"name": "two", "capabilities": capabilities})
        assert app.status_code == 201, app.text
        number = buy_number(rest, app.json()["id"])
        recipient = rest.put(f"/_ringway/recipients/{USER}", json={"delivered_after": 0})
        assert recipient.status_code == 200, recipient.text
    return Tenant(credentials, app.json()["id"], app.json()["keys"]["private_key"], number, hooks)


def send_message(node: Node, who: Tenant, text: str = "Hello") -> str:
    body = {"channel": "sms", "message_type": "text", "to": USER, "from": who.number,
            "text": text}  # fmt: skip
    with node.client() as client:  # with the application's JWT: its status webhooks
        sent = client.post("/v1/messages", json=body, headers=who.bearer())
    assert sent.status_code == 202, sent.text
    uuid: str = sent.json()["message_uuid"]
    return uuid


def place_call(node: Node, who: Tenant) -> str:
    """A call to a virtual phone that answers at once and stays in a conversation until it is
    hung up."""
    to = "447700800123"
    ncco = [{"action": "conversation", "name": "stays"}]
    body = {"to": [{"type": "phone", "number": to}], "from": {"type": "phone", "number": CALLER},
            "ncco": ncco, "event_url": [who.hooks.url + "/event"]}  # fmt: skip
    with node.client(who.credentials) as rest:
        assert rest.put(f"/_ringway/phones/{to}", json={"answer_after": 0}).status_code == 200
    with node.client() as client:
        placed = client.post("/v1/calls", json=body, headers=who.bearer())
    assert placed.status_code == 201, placed.text
    uuid: str = placed.json()["uuid"]
    return uuid


def events(hooks: Receiver, uuid: str) -> list[dict[str, Any]]:
    bodies = [orjson.loads(r.body) for r in hooks.on("/event")]
    return [b for b in bodies if b.get("uuid") == uuid]


def statuses(hooks: Receiver, uuid: str) -> list[str]:
    return [e["status"] for e in events(hooks, uuid) if "status" in e]


def connections(name: str) -> int:
    """The PostgreSQL connections a node holds now."""
    return len(backends(name))


def backends(name: str, query: str = "%") -> list[int]:
    """The server processes of a node's connections whose last statement is like ``query``."""
    engine = sa.create_engine(PG_ADMIN_URL, poolclass=sa.NullPool)
    with engine.connect() as conn:
        found = conn.execute(
            sa.text("SELECT pid FROM pg_stat_activity "
                    "WHERE application_name = :name AND query LIKE :query"),
            {"name": name, "query": query},
        ).scalars()  # fmt: skip
        return list(found)


def terminate(pid: int) -> None:
    engine = sa.create_engine(PG_ADMIN_URL, poolclass=sa.NullPool)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.pg_terminate_backend(pid))).scalar_one()


# -- one database, two nodes ---------------------------------------------------------------


def test_what_one_node_makes_the_other_sees_at_once(
    nodes: tuple[Node, Node], hooks: Receiver
) -> None:
    for here, there in (nodes, nodes[::-1]):
        who = tenant(here, hooks)  # an account, an application and a number, through `here`
        message = send_message(here, who)
        call = place_call(here, who)
        with there.client(who.credentials) as rest, there.client() as bearer:
            app = rest.get(f"/v2/applications/{who.app_id}")
            assert app.status_code == 200, app.text
            assert app.json()["name"] == "two"
            owned = rest.get("/account/numbers").json()
            assert [n["msisdn"] for n in owned["numbers"]] == [who.number]
            assert owned["numbers"][0]["app_id"] == who.app_id
            seen = rest.get(f"/_ringway/messages/{message}")
            assert seen.status_code == 200, seen.text
            assert seen.json()["to"] == USER
            got = bearer.get(f"/v1/calls/{call}", headers=who.bearer())
            assert got.status_code == 200, got.text
            assert got.json()["direction"] == "outbound"
            hung_up = bearer.put(f"/v1/calls/{call}", json={"action": "hangup"},
                                 headers=who.bearer())  # fmt: skip
            assert hung_up.status_code == 204, hung_up.text
        eventually(lambda: "completed" in statuses(hooks, call), what="the hang-up")  # noqa: B023


def test_a_call_on_one_node_is_controlled_through_the_other(
    nodes: tuple[Node, Node], hooks: Receiver, record_property: Callable[[str, Any], None]
) -> None:
    a, b = nodes
    who = tenant(a, hooks)
    uuid = place_call(a, who)
    eventually(lambda: "answered" in statuses(hooks, uuid), what="the answer")
    commands = [("", {"action": "mute"}), ("", {"action": "unmute"}), ("/talk", {"text": "Hold"})]
    sent: list[tuple[str, float, float]] = []  # each command, when it was sent and answered
    with b.client() as bearer:
        for path, body in [*commands * 5, ("", {"action": "hangup"})]:
            headers = who.bearer()
            at = time.time()
            answer = bearer.put(f"/v1/calls/{uuid}{path}", json=body, headers=headers)
            assert answer.status_code in (200, 204), answer.text
            sent.append((body.get("action", "talk"), at, time.time()))
    eventually(lambda: "completed" in statuses(hooks, uuid), timeout=10, what="the hang-up")
    assert events(hooks, uuid)[-1]["disconnected_by"] == "platform"
    timeline = entries_of(a, who, uuid)
    applied = [e for e in timeline if e["kind"] == "control"]  # as node A applied them
    assert [e["action"] for e in applied] == [action for action, *_ in sent]  # in the order sent
    talks = [e for e in timeline if e["kind"] == "talk" and e["event"] == "started"]
    assert len(talks) == 5
    # How long each command took from the request to node B to its effect on node A (the
    # timeline's clock is the same machine's), and how much of it was B's answer.
    total = [(dt.datetime.fromisoformat(e["at"]).timestamp() - at) * 1000
             for e, (_, at, _) in zip(applied, sent, strict=True)]  # fmt: skip
    answer = [(answered - at) * 1000 for _, at, answered in sent]
    summary = (f"median {statistics.median(total):.0f} ms (B answers in "
               f"{statistics.median(answer):.0f}), max {max(total):.0f} ms, "
               f"over {len(total)} commands")  # fmt: skip
    record_property("control_latency_ms", total)
    print(f"\ncontrol through node B until node A applies it: {summary}")


def test_a_node_whose_listening_connection_is_lost_listens_again(
    nodes: tuple[Node, Node], hooks: Receiver
) -> None:
    """A command left while node A had no connection listening is found once it has one again;
    one left afterwards is announced on the new connection (A's poll would come too late)."""
    a, b = nodes
    who = tenant(a, hooks)
    uuid = place_call(a, who)
    eventually(lambda: "answered" in statuses(hooks, uuid), what="the answer")
    listening = lambda: backends(a.application, "LISTEN %")  # noqa: E731
    applied = lambda: [e["action"] for e in entries_of(a, who, uuid) if e["kind"] == "control"]  # noqa: E731
    [lost] = listening()
    terminate(lost)
    with b.client() as bearer:
        control = lambda body: bearer.put(f"/v1/calls/{uuid}", json=body, headers=who.bearer())  # noqa: E731
        assert control({"action": "mute"}).status_code == 204  # while A is not listening
        eventually(lambda: listening() not in ([], [lost]), what="a new listening connection")
        eventually(lambda: applied() == ["mute"], what="the command left meanwhile")
        assert control({"action": "unmute"}).status_code == 204
        assert control({"action": "hangup"}).status_code == 204
    eventually(lambda: "completed" in statuses(hooks, uuid), what="the hang-up")
    assert applied() == ["mute", "unmute", "hangup"]


def entries_of(node: Node, who: Tenant, uuid: str) -> list[dict[str, Any]]:
    with node.client(who.credentials) as rest:
        found: list[dict[str, Any]] = rest.get(f"/_ringway/calls/{uuid}/timeline").json()[
            "entries"]  # fmt: skip
    return found


def test_the_outbox_is_shared_and_sends_each_delivery_once(
    nodes: tuple[Node, Node], hooks: Receiver
) -> None:
    who = tenant(nodes[0], hooks)
    hooks.answer("/status", Reply(delay=0.01))  # each send takes a while: the nodes overlap

    def send(n: int) -> str:
        return send_message(nodes[n % 2], who, f"Hello {n}")

    with ThreadPoolExecutor(8) as pool:
        sent = list(pool.map(send, range(40)))
    expected = 2 * len(sent)  # submitted and delivered, for each
    ids = lambda: [r.headers["X-Ringway-Delivery"] for r in hooks.on("/status")]  # noqa: E731
    eventually(lambda: len(set(ids())) == expected, timeout=20, what="every status delivered")
    time.sleep(0.6)  # longer than two polls of the outbox: a second send would be here by now
    assert max(Counter(ids()).values()) == 1
    assert len(ids()) == expected
    bodies = [orjson.loads(r.body) for r in hooks.on("/status")]
    assert Counter(b["message_uuid"] for b in bodies) == dict.fromkeys(sent, 2)


def test_a_node_holds_no_more_connections_than_its_pool_allows(
    nodes: tuple[Node, Node], hooks: Receiver
) -> None:
    """Node B's pool: 2 connections kept, 1 more for a burst, and the two of its own: the one
    that watches for other nodes' writes and the one listening for commands."""
    a, b = nodes
    who = tenant(a, hooks)
    most = 0
    with ThreadPoolExecutor(16) as pool:
        burst = [pool.submit(send_message, b, who, f"Burst {n}") for n in range(48)]
        while not all(f.done() for f in burst):
            most = max(most, connections(b.application))
        assert len({f.result() for f in burst}) == 48  # every one accepted
    assert 1 <= most <= 2 + 1 + 2
    # once the burst (and the deliveries it made) is over, the extra connection is closed
    eventually(lambda: connections(b.application) <= 2 + 2, timeout=20, what="the pool, back to 2")


# -- kill -9 ---------------------------------------------------------------------------------


def test_a_node_killed_with_kill_9_loses_nothing_and_its_calls_are_ended(
    postgres_schema_url: Callable[[], str], tmp_path: Path, hooks: Receiver
) -> None:
    # A dead node is found within a second; a delivery it held is free again after 2 s, and
    # one that timed out on a machine this busy is tried again half a second later.
    quick = {"RINGWAY_PROCESS_TIMEOUT": "1", "RINGWAY_DELIVERY_LEASE": "2",
             "RINGWAY_DELIVERY_RETRIES": "0.5"}  # fmt: skip
    a, b = start_nodes(postgres_schema_url, tmp_path, {"node-a": quick, "node-b": quick})
    try:
        who = tenant(a, hooks)
        hooks.answer("/status", Reply(delay=0.1))  # A is mid-send when it dies
        sent = [send_message(a, who, f"Hello {n}") for n in range(10)]
        call = place_call(a, who)
        with b.client() as bearer:
            answered = lambda: bearer.get(f"/v1/calls/{call}", headers=who.bearer()).json()  # noqa: E731
            eventually(lambda: answered()["status"] == "answered", what="the answer, stored")
        assert a.server.process is not None
        a.server.process.kill()
        a.server.process.wait()

        with b.client(who.credentials) as rest:
            assert rest.get(f"/v2/applications/{who.app_id}").status_code == 200
            assert [n["msisdn"] for n in rest.get("/account/numbers").json()["numbers"]] == [
                who.number]  # fmt: skip
            for message in sent:
                assert rest.get(f"/_ringway/messages/{message}").status_code == 200
            ended = eventually(
                lambda: (c := rest.get(f"/_ringway/calls/{call}").json())["end_time"] and c,
                timeout=10, what="the call ended by node B",
            )  # fmt: skip
            assert (ended["status"], ended["outcome"], ended["failed"]) == (
                "completed", outcomes.ORPHANED, True)  # fmt: skip
            # The completed event goes through the outbox, a moment after the call is stored.
            eventually(lambda: statuses(hooks, call)[-1:] == ["completed"], what="its end")
            assert events(hooks, call)[-1]["disconnected_by"] == "platform"

            def delivered() -> bool:
                wanted = {"kind": "message-status", "page_size": 100}
                page = rest.get("/_ringway/deliveries", params=wanted)
                found = page.json()["_embedded"]["deliveries"]
                return len(found) == 20 and all(d["state"] == "delivered" for d in found)

            eventually(delivered, timeout=20, what="every status delivered, A's by B")
        bodies = [orjson.loads(r.body) for r in hooks.on("/status")]
        assert set(Counter(b["message_uuid"] for b in bodies)) == set(sent)
        # A crash may repeat a delivery (one A was sending), never drop one
        assert all(n >= 2 for n in Counter(b["message_uuid"] for b in bodies).values())
    finally:
        a.server.stop()
        b.server.stop()
