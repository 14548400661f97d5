"""The outbox's storage on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from ringway.services.deliveries import new_delivery
from ringway.services.platform import Platform
from ringway.storage.deliveries import DeliveryRepository


def test_a_replay_starts_a_new_window_of_retries(platform: Platform) -> None:
    account = platform.accounts.get(platform.accounts.create().api_key).id
    store = DeliveryRepository(platform.db)
    long_ago = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    item = new_delivery(account, None, "rtc", "CON-1", "http://localhost:3000/e", {}, False,
                        long_ago)  # fmt: skip
    with platform.db.write() as conn:
        store.enqueue(conn, [item])
    before = dt.datetime.now(dt.UTC)
    assert store.retry(account, item.uuid)
    replayed = store.get(account, item.uuid)
    assert replayed is not None and replayed.state == "pending"
    assert replayed.due_at >= before - dt.timedelta(seconds=1)
    assert replayed.next_at >= before - dt.timedelta(seconds=1)
    assert not store.retry("another-account", item.uuid)
