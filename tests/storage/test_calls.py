"""Call storage on SQLite and PostgreSQL: states, timelines, commands between processes."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from ringway.domain.calls import CallQuery, CallRecord, Entry, Timeline
from ringway.engine.journal import Journal
from ringway.services.platform import Platform
from ringway.storage.calls import CallRepository
from ringway.storage.ids import ordered_uuid
from ringway.storage.tables import call_entries, call_timelines

T0 = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)


def record(account_id: str, uuid: str, ended: bool) -> CallRecord:
    return CallRecord(uuid, "s-1", account_id, None, "CON-1", "inbound", "447700900001",
                      "447700900100", "phone", "completed" if ended else "answered",
                      "0.00450000", None, None, T0, T0 if ended else None, T0)  # fmt: skip


def test_the_latest_state_wins_and_timelines_read_in_order(platform: Platform) -> None:
    account = platform.accounts.get(platform.accounts.create().api_key).id
    calls = CallRepository(platform.db)
    calls.save([record(account, "a" * 36, False)], [Entry("s-1", 1, "a" * 36, T0, "status", {})])
    calls.save([record(account, "a" * 36, True)],
               [Entry("s-1", 2, "a" * 36, T0, "request", {"body": "é"})])  # fmt: skip
    stored = calls.get(account, "a" * 36)
    assert stored is not None and stored.status == "completed" and stored.end_time == T0
    assert [e.seq for e in calls.timeline("s-1")] == [1, 2]
    assert calls.timeline("s-1", after=1)[0].data == {"body": "é"}
    total, page = calls.page(CallQuery(account, status="completed"), 0, 10)
    assert total == 1 and page[0].uuid == "a" * 36
    assert calls.get("someone-else", "a" * 36) is None


def test_commands_go_to_the_legs_asked_for_and_stale_ones_are_dropped(platform: Platform) -> None:
    account = platform.accounts.get(platform.accounts.create().api_key).id
    calls = CallRepository(platform.db)
    calls.save([record(account, "r" * 36, False), record(account, "e" * 36, True)], [])
    calls.send_command("r" * 36, {"action": "mute"})
    calls.send_command("e" * 36, {"action": "hangup"})
    calls.send_command("r" * 36, {"action": "unmute"})
    assert calls.take_commands(["x" * 36]) == []
    assert calls.take_commands(["r" * 36]) == [("r" * 36, {"action": "mute"}),
                                               ("r" * 36, {"action": "unmute"})]  # fmt: skip
    assert calls.take_commands(["r" * 36]) == []  # taken once
    calls.drop_stale_commands()
    assert calls.take_commands(["e" * 36]) == []


def test_the_commands_of_announced_legs_are_taken_once_in_order(platform: Platform) -> None:
    calls = CallRepository(platform.db)
    for n in range(3):
        calls.send_command("a" * 36, {"action": "mute", "n": n})
        calls.send_command("b" * 36, {"action": "mute", "n": n})
        calls.send_command("c" * 36, {"action": "mute", "n": n})
    taken = calls.take_announced({"c" * 36, "a" * 36})
    assert [(leg[0], command["n"]) for leg, command in taken] == [
        ("a", 0), ("c", 0), ("a", 1), ("c", 1), ("a", 2), ("c", 2)]  # fmt: skip
    assert calls.take_announced({"a" * 36, "c" * 36}) == []  # taken once
    assert [command["n"] for _, command in calls.take_commands(["b" * 36])] == [0, 1, 2]


def test_each_command_left_is_announced_to_listeners_once_in_order(platform: Platform) -> None:
    """On PostgreSQL, as its transaction commits, to every process listening (here two); SQLite
    announces nothing (its processes poll)."""
    calls = CallRepository(platform.db)
    heard: list[list[str | None]] = [[], []]
    listeners = [calls.listener(found.append) for found in heard]
    if platform.db.is_sqlite:
        assert listeners == [None, None]
        return
    legs = [str(uuid.uuid4()) for _ in range(3)] * 4

    async def listen() -> None:
        running = [asyncio.create_task(listener.run()) for listener in listeners if listener]
        while not all(heard):  # each says when it listens: notice(None)
            await asyncio.sleep(0.01)
        for leg in legs:
            await asyncio.to_thread(calls.send_command, leg, {"action": "mute"})
        while not all(len(found) > len(legs) for found in heard):
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)  # time for a repeated one to come
        for task in running:
            task.cancel()
        await asyncio.wait(running)

    asyncio.run(asyncio.wait_for(listen(), 10))
    assert heard == [[None, *legs], [None, *legs]]


def test_a_batch_the_database_refuses_is_stored_item_by_item(platform: Platform) -> None:
    account = platform.accounts.get(platform.accounts.create().api_key).id
    calls = CallRepository(platform.db)
    journal = Journal(platform.db)
    journal(record(account, "b" * 36, True))
    journal(Entry("s-1", 1, "b" * 36, T0, "status", {}))
    journal(Entry("s-1", 1, "b" * 36, T0, "status", {"twice": True}))  # the same key again
    journal(Entry("s-1", 2, "b" * 36, T0, "status", {}))
    asyncio.run(journal.flush())
    assert calls.get(account, "b" * 36) is not None
    assert [e.seq for e in calls.timeline("s-1")] == [1, 2]


def test_timeline_entries_read_back_exactly_as_written(platform: Platform) -> None:
    """Entries skip SQLAlchemy's per-row binding: what it would have stored is what comes back."""
    calls = CallRepository(platform.db)
    moments = [T0, T0.replace(microsecond=123456), datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)]
    data = {"request": {"headers": {"A": "b"}, "body": '{"x":"é ☕"}'}, "n": 1.5, "ok": True,
            "list": [1, None, "two"]}  # fmt: skip
    written = [Entry("s-2", seq, "c" * 36, at, "request", data)
               for seq, at in enumerate(moments, 1)]  # fmt: skip
    calls.save([], written)
    assert calls.timeline("s-2") == written


def test_leg_states_read_back_exactly_as_written(platform: Platform) -> None:
    """Leg states skip SQLAlchemy's binding too: every column comes back as it was, and a later
    state replaces the changing ones."""
    account = platform.accounts.get(platform.accounts.create().api_key).id
    calls = CallRepository(platform.db)
    ringing = CallRecord("d" * 36, "s-3", account, "app-1", "CON-3", "outbound", "447700900001",
                         "sip:bob@example.com", "sip", "ringing", "0.00450000", None, None,
                         None, None, T0.replace(microsecond=654321))  # fmt: skip
    calls.save([ringing], [])
    assert calls.get(account, "d" * 36) == ringing
    answered, hung_up = T0 + timedelta(seconds=2), T0 + timedelta(seconds=182)
    ended = replace(ringing, status="completed", price="0.01350000", duration=180,
                    start_time=answered, end_time=hung_up)  # fmt: skip
    calls.save([ended], [])
    assert calls.get(account, "d" * 36) == ended


def test_call_keys_are_version_7_uuids_in_time_order() -> None:
    """Each key sorts after those of earlier milliseconds, so new rows land at the end of the
    indexes; they are still UUIDs as the Voice API shows them."""
    first = ordered_uuid()
    later = [ordered_uuid() for _ in range(200)]
    for key in [first, *later]:
        parsed = uuid.UUID(key)
        assert str(parsed) == key and parsed.version == 7 and parsed.variant == uuid.RFC_4122
    assert len(set(later)) == len(later)
    assert all(key[:13] >= first[:13] for key in later)  # the millisecond part never goes back


def test_a_running_call_of_a_gone_process_is_adopted_once(platform: Platform) -> None:
    account = platform.accounts.get(platform.accounts.create().api_key).id
    calls = CallRepository(platform.db)
    running = replace(record(account, "b" * 36, False), owner="gone")
    kept = replace(record(account, "c" * 36, False), session="s-2", owner="alive")
    over = replace(record(account, "d" * 36, True), session="s-3", owner="gone")
    calls.save([running, kept, over], [])
    assert calls.orphaned(["alive"]) == [("s-1", "gone")]
    assert [leg.uuid for leg in calls.adopt("s-1", "gone", "me")] == ["b" * 36]
    assert calls.adopt("s-1", "gone", "another") == []  # the first adopter has it
    assert calls.orphaned(["alive", "me"]) == []
    calls.save([replace(record(account, "e" * 36, False), session="s-4")], [])  # before owners
    assert calls.orphaned(["alive", "me"]) == [("s-4", None)]
    assert [leg.uuid for leg in calls.adopt("s-4", None, "me")] == ["e" * 36]


def test_a_window_seeks_after_a_call_and_counts_only_up_to_its_horizon(platform: Platform) -> None:
    account = platform.accounts.get(platform.accounts.create().api_key).id
    calls = CallRepository(platform.db)
    made = [replace(record(account, ordered_uuid(), True), created_at=T0 + timedelta(seconds=n))
            for n in (0, 0, 1, 1, 2, 2, 3)]  # fmt: skip
    made.sort(key=lambda call: (call.created_at, call.uuid))  # ties of created_at by uuid
    calls.save(made, [])
    newest, oldest = CallQuery(account), CallQuery(account, newest_first=False)
    uuids = [c.uuid for c in made]
    assert [c.uuid for c in calls.window(newest, None, 0, 3, 100)[1]] == uuids[::-1][:3]
    rest, page = calls.window(newest, uuids[4], 0, 3, 100)  # after the third newest
    assert [c.uuid for c in page] == uuids[3::-1][:3] and rest == 4
    rest, page = calls.window(oldest, uuids[1], 2, 3, 100)
    assert [c.uuid for c in page] == uuids[2:5] and rest == 5
    assert calls.window(oldest, uuids[1], 0, 3, 2)[0] == 2  # counted up to the horizon
    # An unknown call (deleted, or another account's) pages by offset instead.
    assert [c.uuid for c in calls.window(oldest, "f" * 36, 5, 3, 100)[1]] == uuids[5:]
    assert calls.window(CallQuery("someone-else"), uuids[1], 0, 3, 100) == (0, [])


def test_a_finished_calls_timeline_is_packed_into_one_row_and_reads_the_same(
    platform: Platform,
) -> None:
    """Entries are rows while the call runs; its whole timeline then replaces them with one
    compact row, read back exactly, with anything added later (ending an orphan) after it."""
    calls = CallRepository(platform.db)
    leg = "f" * 36
    event = {"purpose": "event", "url": "http://localhost:9/event", "method": "POST",
             "request": {"headers": {"A": "b"}, "body": '{"x":"é ☕"}'}}  # fmt: skip
    written = [Entry("s-5", 1, leg, T0, "status", {"status": "started"}),
               Entry("s-5", 2, leg, T0.replace(microsecond=5), "request", event),
               Entry("s-5", 3, leg, T0 + timedelta(seconds=1), "x", {"l": [1.5]})]  # fmt: skip
    calls.save([], written[:2])
    calls.save([], written[2:], [Timeline("s-5", written)])
    with platform.db.read() as conn:
        rows = conn.execute(sa.select(sa.func.count()).select_from(call_entries)).scalar_one()
        packed = conn.execute(sa.select(call_timelines.c.entries)).scalars().all()
    assert rows == 0 and len(packed) == 1 and len(packed[0]) < 300
    assert calls.timeline("s-5") == written
    assert calls.timeline("s-5", after=2) == written[2:]
    assert calls.last_seq("s-5") == 3
    assert calls.event_target("s-5", leg) == ("http://localhost:9/event", "POST")
    later = Entry("s-5", 4, leg, T0 + timedelta(seconds=2), "error", {"reason": "orphaned"})
    calls.save([], [later])
    assert calls.timeline("s-5") == [*written, later] and calls.last_seq("s-5") == 4


def test_a_finished_call_is_stored_packed_by_the_engine(platform: Platform) -> None:
    """A call run by the journal ends with its timeline in one row and no entry rows."""
    account = platform.accounts.get(platform.accounts.create().api_key).id
    calls = CallRepository(platform.db)

    async def run() -> None:
        journal = Journal(platform.db)
        journal(record(account, "g" * 36, False))
        journal(Entry("s-1", 1, "g" * 36, T0, "status", {}))
        await journal.flush()
        entries = [Entry("s-1", 1, "g" * 36, T0, "status", {}),
                   Entry("s-1", 2, "g" * 36, T0, "status", {"status": "completed"})]  # fmt: skip
        journal(entries[1])
        journal(record(account, "g" * 36, True))
        journal(Timeline("s-1", entries))
        await journal.flush()
        assert calls.timeline("s-1") == entries

    asyncio.run(run())
    with platform.db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(call_entries)).scalar_one() == 0
