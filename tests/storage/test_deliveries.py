"""The outbox's storage on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt

from ringway.domain.deliveries import Delivery, DeliveryAttempt
from ringway.engine.outbox import Outbox, Schedule
from ringway.engine.webhooks import WebhookClient
from ringway.services.deliveries import new_delivery
from ringway.services.platform import Platform
from ringway.storage.deliveries import DeliveryRepository
from tests.receivers import Reply, receiver


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


def test_a_receiver_slower_than_the_lease_never_gets_a_delivery_twice_at_once(
    platform: Platform,
) -> None:
    """An attempt ends well within its lease, so no claim takes the delivery over while it
    runs; and every attempt is recorded, however it ended."""
    account = platform.accounts.get(platform.accounts.create().api_key).id
    store = DeliveryRepository(platform.db)

    async def main() -> None:
        async with receiver() as rec:
            url = rec.answer("/slow", Reply(delay=1.5))
            item = new_delivery(account, None, "rtc", "CON-1", url, {}, False,
                                dt.datetime.now(dt.UTC))  # fmt: skip
            with platform.db.write() as conn:
                store.enqueue(conn, [item])
            webhooks = WebhookClient()
            outbox = Outbox(store, platform.db, webhooks, _unsigned,
                            Schedule(delays=(0.3,), lease=1.0), poll=0.05)  # fmt: skip
            outbox.start()
            await asyncio.sleep(2.5)
            await outbox.stop()
            await webhooks.close()
            assert rec.most_at_once == 1
            log = platform.deliveries.get(account, item.uuid)
            assert len(log.attempts) == len(rec.received) >= 2
            assert [a.number for a in log.attempts] == list(range(1, len(log.attempts) + 1))
            *timed_out, last = [a.outcome for a in log.attempts]
            assert set(timed_out) == {"read-timeout"}  # at half the lease, not the receiver's
            assert last in ("read-timeout", "interrupted")  # the outbox stopped during it
            assert log.delivery.attempts == len(log.attempts)

    asyncio.run(main())


async def _unsigned(_delivery: Delivery) -> None:
    return None


def test_an_attempt_whose_lease_was_lost_is_still_recorded(platform: Platform) -> None:
    account = platform.accounts.get(platform.accounts.create().api_key).id
    store = DeliveryRepository(platform.db)
    item = new_delivery(account, None, "rtc", "CON-1", "http://localhost:3000/e", {}, False,
                        dt.datetime.now(dt.UTC))  # fmt: skip
    with platform.db.write() as conn:
        store.enqueue(conn, [item])
    now = dt.datetime.now(dt.UTC)
    (first,) = store.claim(now, dt.timedelta(seconds=-1), 10)  # a lease that has run out
    (second,) = store.claim(now, dt.timedelta(seconds=60), 10)  # so another claim takes it
    failed = DeliveryAttempt(first.id, 1, now, "http-500", 500, 1.0, "")
    assert not store.finish(first, failed, "pending", now)
    assert store.finish(second, DeliveryAttempt(second.id, 1, now, "ok", 200, 1.0, ""),
                        "delivered", now)  # fmt: skip
    log = platform.deliveries.get(account, item.uuid)
    assert [(a.number, a.outcome) for a in log.attempts] == [(1, "http-500"), (2, "ok")]
    assert (log.delivery.state, log.delivery.attempts) == ("delivered", 2)


def test_stopping_records_the_attempt_under_way_and_leaves_it_due(platform: Platform) -> None:
    account = platform.accounts.get(platform.accounts.create().api_key).id
    store = DeliveryRepository(platform.db)

    async def main() -> None:
        async with receiver() as rec:
            item = new_delivery(account, None, "rtc", "CON-1",
                                rec.answer("/slow", Reply(delay=5)), {}, False,
                                dt.datetime.now(dt.UTC))  # fmt: skip
            with platform.db.write() as conn:
                store.enqueue(conn, [item])
            webhooks = WebhookClient()
            outbox = Outbox(store, platform.db, webhooks, _unsigned, Schedule(), poll=0.05)
            outbox.start()
            while not rec.received:
                await asyncio.sleep(0.02)
            await outbox.stop()
            await webhooks.close()
            log = platform.deliveries.get(account, item.uuid)
            assert [a.outcome for a in log.attempts] == ["interrupted"]
            assert log.delivery.state == "pending" and log.delivery.lease_until is None
            assert log.delivery.next_at <= dt.datetime.now(dt.UTC)

    asyncio.run(main())
