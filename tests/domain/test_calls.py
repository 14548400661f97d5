"""Call legs: the order of statuses and the events they post (wire-contract §5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringway.domain.calls import (
    FOLLOWS,
    IllegalTransition,
    Leg,
    Status,
    isoformat,
    timestamp,
    wall_time,
)

T0 = datetime(2026, 11, 27, 18, 0, 0, 123456, tzinfo=UTC)


def leg() -> Leg:
    return Leg("leg-1", "CON-1", "inbound", "447700900001", "447700900000")


def test_a_whole_call_posts_started_ringing_answered_completed() -> None:
    call = leg()
    events = [
        call.advance(Status.STARTED, T0),
        call.advance(Status.RINGING, T0 + timedelta(seconds=1)),
        call.advance(Status.ANSWERED, T0 + timedelta(seconds=3)),
        call.advance(Status.COMPLETED, T0 + timedelta(seconds=64.2), disconnected_by="user"),
    ]
    assert [e["status"] for e in events] == ["started", "ringing", "answered", "completed"]
    for event in events:
        assert {
            "from",
            "to",
            "uuid",
            "conversation_uuid",
            "status",
            "direction",
            "timestamp",
        } <= set(event)
        assert event["direction"] == "inbound"
    assert events[0]["timestamp"] == "2026-11-27T18:00:00.123Z"
    assert events[2]["start_time"] == "2026-11-27T18:00:03.123Z"
    assert events[2]["rate"] == "0.00450000" and events[2]["network"]
    completed = events[3]
    assert completed["duration"] == "61"  # 61.2 s of talk, to the nearest second
    assert completed["price"] == "0.00900000"  # two started minutes
    assert completed["start_time"] == events[2]["start_time"]
    assert completed["end_time"] == "2026-11-27T18:01:04.323Z"
    assert completed["disconnected_by"] == "user"
    assert completed["sip_code"] == 200
    assert call.ended


@pytest.mark.parametrize(
    ("end", "sip_code"),
    [(Status.BUSY, 486), (Status.CANCELLED, 487), (Status.TIMEOUT, 408),
     (Status.UNANSWERED, 480), (Status.FAILED, 500)],
)  # fmt: skip
def test_an_unanswered_leg_still_ends_with_completed_at_no_cost(end: Status, sip_code: int) -> None:
    call = leg()
    call.advance(Status.STARTED, T0)
    call.advance(Status.RINGING, T0)
    ending = call.advance(end, T0 + timedelta(seconds=30), detail="no_answer")
    assert ending["sip_code"] == sip_code and ending["detail"] == "no_answer"
    completed = call.advance(Status.COMPLETED, T0 + timedelta(seconds=30))
    assert (completed["duration"], completed["price"], completed["start_time"]) == (
        "0",
        "0.00000000",
        None,
    )


def test_a_rejected_leg_ends_there() -> None:
    call = leg()
    call.advance(Status.STARTED, T0)
    assert call.advance(Status.REJECTED, T0)["sip_code"] == 603
    assert call.ended
    with pytest.raises(IllegalTransition):
        call.advance(Status.COMPLETED, T0)


@pytest.mark.parametrize(
    "path",
    [[Status.RINGING], [Status.STARTED, Status.ANSWERED], [Status.STARTED, Status.COMPLETED],
     [Status.STARTED, Status.RINGING, Status.ANSWERED, Status.BUSY]],
)  # fmt: skip
def test_out_of_order_statuses_are_refused(path: list[Status]) -> None:
    call = leg()
    with pytest.raises(IllegalTransition):
        for status in path:
            call.advance(status, T0)


@given(st.data())
def test_every_walk_ends_in_completed_unless_rejected(data: st.DataObject) -> None:
    call, moment = leg(), T0
    while not call.ended:
        status = data.draw(st.sampled_from(sorted(FOLLOWS[call.status])))
        moment += timedelta(seconds=data.draw(st.integers(0, 600)))
        event = call.advance(status, moment)
        assert event["timestamp"] == timestamp(moment)
    seen = [status for status, _ in call.history]
    assert seen[0] is Status.STARTED
    assert seen[-1] in (Status.COMPLETED, Status.REJECTED)
    if Status.ANSWERED in seen:
        assert seen.index(Status.RINGING) < seen.index(Status.ANSWERED)


@given(st.lists(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                             timezones=st.sampled_from([UTC, timezone(timedelta(hours=2))])),
                min_size=1, max_size=20))  # fmt: skip
def test_times_are_written_as_isoformat_writes_them(moments: list[datetime]) -> None:
    """Times are formatted once a second and the fraction added: the text of events, packed
    timelines and stored rows stays what ``isoformat`` gives, whatever seconds come in turn."""
    for moment in [*moments, *(m.replace(microsecond=0) for m in moments)]:
        assert timestamp(moment) == moment.isoformat(timespec="milliseconds")[:23] + "Z"
        assert isoformat(moment) == moment.isoformat()
        assert wall_time(moment) == moment.isoformat(" ", "microseconds")[:26]
