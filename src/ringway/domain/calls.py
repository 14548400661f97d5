"""Call legs (wire §5): which status follows which, the event each status posts, and the
records of legs and their timelines (``CallRecord``, ``Entry``) that storage keeps.

A leg goes started → ringing → answered → completed. It may end early as busy, cancelled,
timeout, unanswered, failed or rejected; every leg but a rejected one ends with completed.
Times come from the caller (the engine's virtual clock), never from the wall clock here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    STARTED = "started"
    RINGING = "ringing"
    ANSWERED = "answered"
    BUSY = "busy"
    CANCELLED = "cancelled"
    TIMEOUT = "timeout"
    UNANSWERED = "unanswered"
    REJECTED = "rejected"
    FAILED = "failed"
    COMPLETED = "completed"


EARLY_ENDS = frozenset(
    {Status.BUSY, Status.CANCELLED, Status.TIMEOUT, Status.UNANSWERED, Status.FAILED}
)
# The statuses that end a leg's part in the call (``completed`` may still follow).
ENDINGS = EARLY_ENDS | {Status.REJECTED, Status.COMPLETED}
FOLLOWS: dict[Status | None, frozenset[Status]] = {
    None: frozenset({Status.STARTED}),
    Status.STARTED: frozenset({Status.RINGING, Status.REJECTED, Status.FAILED}),
    Status.RINGING: frozenset({Status.ANSWERED, Status.REJECTED} | EARLY_ENDS),
    Status.ANSWERED: frozenset({Status.COMPLETED}),
    **{status: frozenset({Status.COMPLETED}) for status in EARLY_ENDS},
    Status.REJECTED: frozenset(),
    Status.COMPLETED: frozenset(),
}
# The SIP response behind each way a leg can end.
SIP_CODES = {
    Status.BUSY: 486,
    Status.CANCELLED: 487,
    Status.TIMEOUT: 408,
    Status.UNANSWERED: 480,
    Status.REJECTED: 603,
    Status.FAILED: 500,
    Status.COMPLETED: 200,
}
DEFAULT_RATE = Decimal("0.00450000")  # per minute, fictional
NETWORK = "ringway"


class IllegalTransition(ValueError):
    """A status that cannot follow the leg's current one."""


class _Seconds:
    """A UTC moment's date and time to the second, as ISO 8601 with ``T`` and with a space,
    formatted once for each second (``isoformat`` costs some 13,000 instructions, most in C's
    printf; a call formats a few dozen times, in the two or three seconds its virtual clock
    spans, among other calls' seconds)."""

    def __init__(self) -> None:
        self._texts: dict[int, tuple[str, str]] = {}

    def __call__(self, moment: datetime) -> tuple[str, str]:
        second = int(moment.timestamp())
        texts = self._texts.get(second)
        if texts is None:
            if len(self._texts) >= 256:
                self._texts.clear()
            text = moment.isoformat()[:19]
            texts = self._texts[second] = (text, f"{text[:10]} {text[11:]}")
        return texts


_seconds = _Seconds()


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, as events carry it: ``2026-11-27T18:00:00.000Z``."""
    if moment.tzinfo is not UTC:
        return moment.isoformat(timespec="milliseconds")[:23] + "Z"
    return _seconds(moment)[0] + "." + str(moment.microsecond // 1000).zfill(3) + "Z"


def isoformat(moment: datetime) -> str:
    """``moment.isoformat()``, sooner for a UTC moment."""
    if moment.tzinfo is not UTC:
        return moment.isoformat()
    micro = moment.microsecond
    return _seconds(moment)[0] + ("." + str(micro).zfill(6) if micro else "") + "+00:00"


def wall_time(moment: datetime) -> str:
    """The moment's fields to the microsecond, no offset (``2026-11-27 18:00:00.000000``),
    as SQLAlchemy's SQLite DATETIME stores them."""
    if moment.tzinfo is not UTC:
        return moment.isoformat(" ", "microseconds")[:26]
    return _seconds(moment)[1] + "." + str(moment.microsecond).zfill(6)


@dataclass
class Leg:
    """One leg of a call, its history, and the events its changes post."""

    uuid: str
    conversation_uuid: str
    direction: str  # inbound | outbound
    from_: str
    to: str
    rate: Decimal = DEFAULT_RATE
    status: Status | None = None
    answered_at: datetime | None = None
    history: list[tuple[Status, datetime]] = field(default_factory=list)

    def advance(self, status: Status, at: datetime, **extra: Any) -> dict[str, Any]:
        """Move to ``status`` and return the event it posts to the event URL; ``extra`` adds or
        overrides fields (``detail`` for unanswered/rejected/failed, ``disconnected_by``)."""
        if status not in FOLLOWS[self.status]:
            raise IllegalTransition(f"{status} cannot follow {self.status or 'nothing'}")
        self.status = status
        self.history.append((status, at))
        event: dict[str, Any] = {
            "from": self.from_,
            "to": self.to,
            "uuid": self.uuid,
            "conversation_uuid": self.conversation_uuid,
            "status": str(status),
            "direction": self.direction,
            "timestamp": timestamp(at),
        }
        if status is Status.ANSWERED:
            self.answered_at = at
            event |= {"start_time": timestamp(at), "rate": f"{self.rate:.8f}", "network": NETWORK}
        if status in SIP_CODES:
            event["sip_code"] = SIP_CODES[status]
        if status is Status.COMPLETED:
            event |= self._completed(at)
        return event | extra

    @property
    def ended(self) -> bool:
        return self.status in _FINAL

    @property
    def ended_at(self) -> datetime | None:
        return next((at for status, at in self.history if status in _FINAL), None)

    def charges(self, end: datetime) -> tuple[int, Decimal]:
        """Seconds talked (to the nearest) and their price (started minutes at ``rate``)."""
        if self.answered_at is None:
            return 0, Decimal(0)
        seconds = max(0, round((end - self.answered_at) / timedelta(seconds=1)))
        return seconds, self.rate * math.ceil(seconds / 60)

    def _completed(self, at: datetime) -> dict[str, Any]:
        seconds, price = self.charges(at)
        return {
            "start_time": timestamp(self.answered_at) if self.answered_at else None,
            "end_time": timestamp(at),
            "duration": str(seconds),
            "rate": f"{self.rate:.8f}",
            "price": f"{price:.8f}",
            "network": NETWORK,
            "disconnected_by": "platform",
        }


_FINAL = (Status.REJECTED, Status.COMPLETED)


@dataclass(frozen=True, slots=True)
class CallRecord:
    """A leg as the Voice API shows it; ``session`` is the simulated call it belongs to."""

    uuid: str
    session: str
    account_id: str
    application_id: str | None
    conversation_uuid: str
    direction: str
    from_address: str
    to_address: str
    endpoint_type: str
    status: str
    rate: str
    price: str | None
    duration: int | None
    start_time: datetime | None
    end_time: datetime | None
    created_at: datetime
    owner: str | None = None  # the process running it, while it runs
    outcome: str | None = None  # what became of it, in words, once it has ended
    failed: bool = False  # whether that outcome is a failure (see ``domain/outcomes``)

    def record(self) -> CallRecord:
        """A record is its own latest state (what the journal asks of a leg)."""
        return self


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of a call's timeline: a status change, a webhook attempt, an action, an input."""

    session: str
    seq: int
    leg: str
    at: datetime
    kind: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Timeline:
    """A finished call's whole timeline: storage keeps it as one packed row."""

    session: str
    entries: list[Entry]


@dataclass(frozen=True)
class CallQuery:
    account_id: str
    status: str | None = None
    failed: bool = False  # only failed calls
    conversation_uuid: str | None = None
    application_id: str | None = None
    statuses: tuple[str, ...] = ()  # any of these
    date_start: datetime | None = None
    date_end: datetime | None = None
    newest_first: bool = True
