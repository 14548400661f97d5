"""The outbox across processes: deliveries that survive a ``kill -9`` of the server, and two
servers on one PostgreSQL database sharing it without sending anything twice."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.test_messages import buy_number, messages_app
from tests.conftest import eventually, free_port
from tests.receivers import Receiver, threaded_receiver
from tests.servers import ringway_serve

ENV = {
    "RINGWAY_API_KEY": "0b0c0001",
    "RINGWAY_API_SECRET": "OutboxSecret0001",
    "RINGWAY_DELIVERY_RETRIES": "0.2",
    "RINGWAY_DELIVERY_LEASE": "2",
}
AUTH = (ENV["RINGWAY_API_KEY"], ENV["RINGWAY_API_SECRET"])
_users = itertools.count(447700900200)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RINGWAY_DATA_DIR", "RINGWAY_DATABASE_URL", *ENV):
        monkeypatch.delenv(name, raising=False)


def setup_number(url: str, hooks_url: str) -> str:
    """A messages application whose webhooks go to ``hooks_url``, linked to a new number."""
    with httpx.Client(base_url=url, auth=AUTH) as rest:
        app = messages_app(rest, hooks_url)
        return buy_number(rest, app["id"])


def simulate(url: str, number: str, count: int) -> None:
    with httpx.Client(base_url=url, auth=AUTH) as rest:
        for _ in range(count):
            message = {"channel": "sms", "from": str(next(_users)), "to": number, "text": "Hi"}
            response = rest.post("/_ringway/messages", json=message)
            assert response.status_code == 201, response.text


def deliveries(url: str) -> list[dict[str, Any]]:
    """Every delivery, following the pages' ``next`` links."""
    with httpx.Client(base_url=url, auth=AUTH) as rest:
        page = rest.get("/_ringway/deliveries", params={"page_size": 100}).json()
        found: list[dict[str, Any]] = page["_embedded"]["deliveries"]
        while "next" in page["_links"]:
            page = rest.get(page["_links"]["next"]["href"]).json()
            found += page["_embedded"]["deliveries"]
    return found


def ended(attempt: dict[str, Any]) -> float:
    """When a logged attempt ended (its time is when it was recorded)."""
    return dt.datetime.fromisoformat(attempt["at"]).timestamp()


def began(attempt: dict[str, Any]) -> float:
    return ended(attempt) - attempt["latency_ms"] / 1000


def received_ids(receiver: Receiver) -> Counter[str]:
    return Counter(r.headers["X-Ringway-Delivery"] for r in receiver.received)


def test_kill_9_loses_no_delivery(tmp_path: Path) -> None:
    hooks_port = free_port()  # nothing listens there until after the restart
    with ringway_serve(tmp_path, env=ENV) as served:
        number = setup_number(served.url, f"http://127.0.0.1:{hooks_port}")
        simulate(served.url, number, 20)
        # The receiver is down: every delivery is tried, refused, and waits for its retry.
        eventually(lambda: len(d := deliveries(served.url)) == 20
                   and all(x["attempts"] >= 1 for x in d),
                   timeout=20, what="an attempt at every delivery")  # fmt: skip
        served.process.kill()  # kill -9: no shutdown, whatever was in flight stays in flight
        served.process.wait()
    with ringway_serve(tmp_path, env=ENV) as served, threaded_receiver(hooks_port) as receiver:
        expected = {d["id"] for d in deliveries(served.url)}
        assert len(expected) == 20
        eventually(lambda: set(received_ids(receiver)) == expected, timeout=30,
                   what="every delivery, after the restart")  # fmt: skip
        eventually(lambda: all(d["state"] == "delivered" for d in deliveries(served.url)),
                   what="every delivery marked delivered")  # fmt: skip


@pytest.mark.postgres
def test_two_processes_share_the_outbox_without_duplicates(
    tmp_path: Path, postgres_schema_url: Callable[[], str]
) -> None:
    env = {**ENV, "RINGWAY_DATABASE_URL": postgres_schema_url()}
    with (
        threaded_receiver() as receiver,
        ringway_serve(tmp_path / "one", env=env) as one,
        ringway_serve(tmp_path / "two", env=env) as two,
    ):
        number = setup_number(one.url, receiver.url)
        for _ in range(5):
            simulate(one.url, number, 20)
            simulate(two.url, number, 20)
        expected = {d["id"] for d in deliveries(one.url)}
        assert len(expected) == 200
        eventually(lambda: set(received_ids(receiver)) == expected, timeout=60,
                   what="every delivery")  # fmt: skip
        # None sent twice at once: a delivery the receiver got more than once is one whose
        # attempt failed (on a busy machine, an answer later than the attempt's deadline)
        # and was tried again after it, one attempt logged for each copy received.
        eventually(lambda: all(d["state"] == "delivered" for d in deliveries(one.url)),
                   what="every attempt recorded")  # fmt: skip
        logs = {d["id"]: d["log"] for d in deliveries(one.url)}
        for delivery, copies in received_ids(receiver).items():
            log = logs[delivery]
            assert len(log) == copies, (delivery, log)
            assert all(a["outcome"] != "ok" for a in log[:-1]), log
            for earlier, later in itertools.pairwise(log):
                assert began(later) >= ended(earlier) - 0.01, log
