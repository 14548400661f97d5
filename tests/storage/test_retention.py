"""Retention on SQLite and PostgreSQL: what finished before the retention is pruned, in batches,
in the background of a running server; what is recent, running or pending stays."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import numpy as np
import pydantic
import pytest
import sqlalchemy as sa

from ringway.config import Settings
from ringway.domain.calls import CallRecord, Entry, Timeline
from ringway.domain.deliveries import DELIVERED, FAILED, PENDING, DeliveryAttempt
from ringway.domain.messages import MessageRecord
from ringway.domain.simulation import Person
from ringway.engine.audio import RATE
from ringway.engine.recordings import Recordings
from ringway.engine.retention import Pruner
from ringway.services.deliveries import new_delivery
from ringway.services.platform import Platform
from ringway.storage.calls import CallRepository
from ringway.storage.deliveries import DeliveryRepository
from ringway.storage.messages import MessageRepository
from ringway.storage.repositories import columns_of
from ringway.storage.retention import RetentionRepository
from ringway.storage.tables import (
    call_entries,
    call_timelines,
    calls,
    deliveries,
    delivery_attempts,
    messages,
)
from tests.conftest import eventually, run_server
from tests.engine.world import World, play
from tests.receivers import Reply

NOW = datetime.now(UTC)
OLD = NOW - timedelta(days=8)  # before the default retention of 7 days
RECENT = NOW - timedelta(hours=1)


def account_of(platform: Platform) -> str:
    return platform.accounts.get(platform.accounts.create().api_key).id


def add_call(
    platform: Platform, account: str, ends: list[datetime | None], recording: str | None = None
) -> str:
    """A call (a session) with a leg per item of ``ends`` (``None``: still running) and three
    timeline entries, one of them a recording if given; returns the session."""
    session = str(uuid.uuid4())
    legs = [CallRecord(str(uuid.uuid4()), session, account, None, f"CON-{session}", "inbound",
                       "447700900001", "447700900100", "phone",
                       "answered" if end is None else "completed", "0.00450000", None, None,
                       OLD, end, OLD) for end in ends]  # fmt: skip
    entries = [Entry(session, seq, legs[0].uuid, OLD, "status", {"status": "answered"})
               for seq in (1, 2)]  # fmt: skip
    if recording is not None:
        data = {"recording_uuid": recording, "seconds": 1.0, "size": 44}
        entries.append(Entry(session, 3, legs[0].uuid, OLD, "recording", data))
    CallRepository(platform.db).save(legs, entries)
    return session


def add_message(
    platform: Platform, account: str, made: datetime, last: datetime, pending: bool = False
) -> str:
    """A message made at ``made`` whose last status comes at ``last``, with a delivery
    (pending, or delivered at ``last``)."""
    message = str(uuid.uuid4())
    history = [{"status": "submitted", "at": made.isoformat()},
               {"status": "delivered", "at": last.isoformat()}]  # fmt: skip
    record = MessageRecord(message, account, None, "outbound", "sms", "text", "447700900100",
                           "447700900001", None, {"text": "hi"}, history, made)  # fmt: skip
    delivery = new_delivery(account, None, "message-status", message, "http://localhost:9/s",
                            {}, False, NOW + timedelta(days=1))  # fmt: skip
    MessageRepository(platform.db, DeliveryRepository(platform.db)).add([record], [delivery])
    if not pending:
        finish(platform, delivery.uuid, DELIVERED, last)
    return message


def add_delivery(platform: Platform, account: str, state: str, at: datetime) -> str:
    """A delivery in ``state``, finished at ``at`` after two attempts unless pending."""
    item = new_delivery(account, None, "rtc", "CON-1", "http://localhost:9/e", {}, False,
                        NOW + timedelta(days=1))  # fmt: skip
    with platform.db.write() as conn:
        DeliveryRepository(platform.db).enqueue(conn, [item])
    if state != PENDING:
        finish(platform, item.uuid, state, at)
    return item.uuid


def finish(platform: Platform, delivery_uuid: str, state: str, at: datetime) -> None:
    """Record two attempts and the final state, as the outbox would have at ``at``."""
    with platform.db.write() as conn:
        conn.execute(sa.update(deliveries).where(deliveries.c.uuid == delivery_uuid)
                     .values(state=state, next_at=at, updated_at=at))  # fmt: skip
        ident = conn.execute(
            sa.select(deliveries.c.id).where(deliveries.c.uuid == delivery_uuid)
        ).scalar_one()
        conn.execute(sa.insert(delivery_attempts), [
            columns_of(DeliveryAttempt(ident, number, at, "ok", 200, 1.0, ""))
            for number in (1, 2)])  # fmt: skip


def count(platform: Platform, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
    with platform.db.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table).where(*where))
                   .scalar_one())  # fmt: skip


def prune(platform: Platform, keep: float = 7 * 86_400, limit: int = 500) -> Counter[str]:
    recordings = Recordings(platform.settings.data_dir / "recordings")
    pruner = Pruner(platform.db, RetentionRepository(platform.db, limit), recordings, keep,
                    pause=0)  # fmt: skip
    return asyncio.run(pruner.prune())


def test_what_finished_before_the_retention_goes_and_the_rest_stays(
    platform: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    account = account_of(platform)
    recording = str(uuid.uuid4())
    audio = Recordings(platform.settings.data_dir / "recordings")
    audio.store(account, recording, "wav", [np.zeros(RATE, dtype=np.int16)])
    old_call = add_call(platform, account, [OLD, OLD], recording)
    half_done = add_call(platform, account, [OLD, None])  # one leg still running
    late_leg = add_call(platform, account, [OLD, RECENT])
    running = add_call(platform, account, [None])
    recent = add_call(platform, account, [RECENT])
    old_message = add_message(platform, account, OLD, OLD + timedelta(seconds=1))
    waiting = add_message(platform, account, OLD, OLD, pending=True)
    read_later = add_message(platform, account, OLD, RECENT)  # its last status is recent
    new_message = add_message(platform, account, RECENT, RECENT)
    delivered = add_delivery(platform, account, DELIVERED, OLD)
    failed = add_delivery(platform, account, FAILED, OLD)
    pending = add_delivery(platform, account, PENDING, OLD)
    fresh = add_delivery(platform, account, DELIVERED, RECENT)

    with caplog.at_level(logging.INFO, logger="ringway.retention"):
        pruned = prune(platform)

    assert pruned == Counter({"call legs": 2, "timeline entries": 3, "messages": 1,
                              "deliveries": 3, "delivery attempts": 6})  # fmt: skip
    assert "pruned" in caplog.text and "call legs: 2" in caplog.text
    assert count(platform, calls, calls.c.session == old_call) == 0
    assert count(platform, call_entries, call_entries.c.session == old_call) == 0
    assert audio.path(account, recording) is None  # its file is gone
    for kept in (half_done, late_leg, running, recent):
        assert count(platform, call_entries, call_entries.c.session == kept) == 2
    assert count(platform, calls) == 6
    left = {m.uuid for m in MessageRepository(platform.db, DeliveryRepository(platform.db))
            .page(account, 0, 10)[1]}  # fmt: skip
    assert left == {waiting, read_later, new_message} and old_message not in left
    store = DeliveryRepository(platform.db)
    assert store.get(account, delivered) is None and store.get(account, failed) is None
    assert store.get(account, pending) is not None and store.get(account, fresh) is not None
    # The message's own delivery went with the deliveries: finished a second after it.
    assert store.for_subjects(account, [old_message]) == []
    assert count(platform, delivery_attempts) == 2 * 3  # those of fresh, read_later, new_message
    assert prune(platform) == Counter()  # nothing left to prune: harmless to run again


def test_batches_reach_more_rows_than_one_batch_holds(platform: Platform) -> None:
    account = account_of(platform)
    for _ in range(7):
        add_call(platform, account, [OLD])
        add_delivery(platform, account, FAILED, OLD)
    # Messages made before the cutoff but final only recently are stepped over, not stuck on.
    late = [add_message(platform, account, OLD, RECENT) for _ in range(4)]
    for _ in range(5):
        add_message(platform, account, OLD + timedelta(seconds=1), OLD + timedelta(seconds=2))
    pruned = prune(platform, limit=3)
    assert pruned["call legs"] == 7 and pruned["timeline entries"] == 14
    assert pruned["messages"] == 5 and pruned["deliveries"] == 7 + 5
    assert count(platform, calls) == 0
    assert {r[0] for r in _uuids(platform)} == set(late)


def _uuids(platform: Platform) -> list[sa.Row[tuple[str]]]:
    with platform.db.read() as conn:
        return list(conn.execute(sa.select(messages.c.uuid)).all())


def test_processes_pruning_at_once_delete_each_row_once(platform: Platform) -> None:
    account = account_of(platform)
    sessions = [add_call(platform, account, [OLD, OLD]) for _ in range(20)]
    others = [Platform.open(platform.settings, migrate=False) for _ in range(2)]
    try:
        with ThreadPoolExecutor(len(others)) as pool:
            results = list(pool.map(partial(prune, limit=8), others))
    finally:
        for other in others:
            other.close()
    assert sum(result["call legs"] for result in results) == 2 * len(sessions)
    assert count(platform, calls) == count(platform, call_entries) == 0


def test_the_retention_is_counted_back_from_now(platform: Platform) -> None:
    account = account_of(platform)
    add_call(platform, account, [RECENT])
    assert prune(platform, keep=2 * 86_400) == Counter()
    assert prune(platform, keep=60)["call legs"] == 1


def test_a_running_server_prunes_in_the_background(settings: Settings) -> None:
    setup = Platform.open(settings)
    try:
        account = account_of(setup)
        old, recent = add_call(setup, account, [OLD]), add_call(setup, account, [RECENT])
        old_delivery = add_delivery(setup, account, DELIVERED, OLD)
    finally:
        setup.close()
    for server in run_server(settings):
        eventually(partial(pruned, server.platform, account, old, old_delivery), timeout=2)
        assert count(server.platform, calls, calls.c.session == recent) == 1


def pruned(platform: Platform, account: str, session: str, delivery: str) -> bool:
    """Whether the call and the delivery are gone (deliveries are pruned after calls)."""
    gone = count(platform, calls, calls.c.session == session) == 0
    return gone and DeliveryRepository(platform.db).get(account, delivery) is None


def test_the_pruner_runs_again_every_interval(platform: Platform) -> None:
    account = account_of(platform)
    pruner = Pruner(platform.db, RetentionRepository(platform.db),
                    Recordings(platform.settings.data_dir / "recordings"), 86_400,
                    every=0.02)  # fmt: skip

    async def main() -> None:
        pruner.start()
        try:
            await asyncio.sleep(0.05)  # the first prune, at start, found nothing
            session = add_call(platform, account, [OLD])
            for _ in range(100):
                await asyncio.sleep(0.02)
                if count(platform, calls, calls.c.session == session) == 0:
                    return
            raise AssertionError("a later prune never came")
        finally:
            await pruner.stop()

    asyncio.run(main())


@pytest.mark.parametrize(("retention", "pruning"), [(0, False), (7 * 86_400, True)])
def test_the_pruner_runs_unless_the_retention_is_0(
    settings: Settings, retention: float, pruning: bool
) -> None:
    platform = Platform.open(settings.model_copy(update={"retention": retention}))
    try:
        session = add_call(platform, account_of(platform), [OLD - timedelta(days=3650)])

        async def main() -> bool:
            await platform.start_engine()
            try:
                return any(t.get_name() == "ringway-retention" for t in asyncio.all_tasks())
            finally:
                await platform.stop_engine()

        assert asyncio.run(main()) is pruning
        if not pruning:
            assert count(platform, calls, calls.c.session == session) == 1
    finally:
        platform.close()


def test_the_recording_of_a_real_call_goes_with_it(tmp_path: Path) -> None:
    async def test(w: World) -> None:
        _, number = w.application(Reply(body=[{"action": "record", "endOnSilence": 3}]))
        leg = await w.call(number, Person(message_seconds=1))
        (recording,) = [e.data["recording_uuid"] for e in leg.session.entries
                        if e.kind == "recording"]  # fmt: skip
        assert w.platform.calls.recording(w.account_id, recording) is not None
        for _ in range(100):  # until the journal has stored the call's end
            await asyncio.sleep(0.01)
            if count(w.platform, calls, calls.c.end_time.is_not(None)):
                break
        pruner = Pruner(w.platform.db, RetentionRepository(w.platform.db),
                        Recordings(tmp_path / "recordings"), keep=-86_400)  # fmt: skip
        pruned = await pruner.prune()  # (a negative retention: everything that has ended)
        assert pruned["call legs"] == 1
        assert w.platform.calls.recording(w.account_id, recording) is None

    play(tmp_path, test)


@pytest.mark.parametrize(("value", "seconds"), [("7d", 604_800), ("12h", 43_200),
                                                ("90m", 5400), ("600", 600), ("0", 0),
                                                (3600, 3600)])  # fmt: skip
def test_the_retention_takes_a_duration(value: object, seconds: float) -> None:
    assert Settings(retention=value).retention == seconds


@pytest.mark.parametrize("value", ["7 days", "abc", "30", "-1", "1e400", 10])
def test_a_retention_that_makes_no_sense_is_refused(value: object) -> None:
    with pytest.raises(pydantic.ValidationError, match="retention"):
        Settings(retention=value)


def test_the_default_retention_is_a_week() -> None:
    assert Settings().retention == 7 * 86_400


def test_a_packed_timeline_goes_with_its_call_and_its_recordings_too(platform: Platform) -> None:
    account = account_of(platform)
    recording = str(uuid.uuid4())
    audio = Recordings(platform.settings.data_dir / "recordings")
    audio.store(account, recording, "wav", [np.zeros(RATE, dtype=np.int16)])
    assert audio.path(account, recording) is not None
    session = add_call(platform, account, [OLD], recording)
    calls_ = CallRepository(platform.db)
    calls_.save([], [], [Timeline(session, calls_.timeline(session))])
    assert count(platform, call_timelines) == 1 and count(platform, call_entries) == 0
    assert prune(platform) == Counter({"call legs": 1, "timelines": 1})
    assert count(platform, call_timelines) == 0
    assert audio.path(account, recording) is None  # its file is gone
