"""Calls, their timelines, and commands for calls running in another process.

A running call's timeline is a row an entry (``call_entries``); once the call has finished it
is packed into one row (``call_timelines``: its entries as a zlib-compressed JSON array), which
keeps a finished call under 2 KB. Readers take both, so entries added after the packing (by the
process that ends an orphaned call) and timelines stored before packing existed still read.
"""

from __future__ import annotations

import datetime as dt
import operator
import zlib
from collections import Counter
from collections.abc import Callable, Container, Iterable
from decimal import Decimal
from typing import Any

import orjson
import sqlalchemy as sa

from ringway.domain.accounts import EURO
from ringway.domain.calls import CallQuery, CallRecord, Entry, Timeline, isoformat, wall_time
from ringway.storage.cache import ReadCache
from ringway.storage.database import CALLS, Database, to_json
from ringway.storage.listener import Listener
from ringway.storage.repositories import aware, record_of
from ringway.storage.tables import call_commands, call_entries, call_timelines, calls, processes

COMMANDS = "ringway_call_commands"  # the PostgreSQL channel announcing each command left


class CallRepository:
    def __init__(self, db: Database, cache: ReadCache | None = None) -> None:
        self._db = db
        self._cache = cache  # for the API's pages (``window``)
        # The journal's writes (a dozen timeline entries and a couple of leg states a call)
        # skip SQLAlchemy's per-row parameter handling: plain statements, rows as tuples, JSON
        # serialised once, and times as SQLAlchemy stores them on SQLite (isoformat does in C
        # what its DATETIME does in Python).
        mark, data = ("?", "?") if db.is_sqlite else ("%s", "CAST(%s AS JSON)")
        self._add_entries = ("INSERT INTO call_entries (session, seq, leg, at, kind, data) "
                             f"VALUES ({', '.join([mark] * 5)}, {data})")  # fmt: skip
        changing = ", ".join(f"{name} = excluded.{name}" for name in _CHANGING)
        self._save_legs = (f"INSERT INTO calls ({', '.join(_COLUMNS)}) "
                           f"VALUES ({', '.join([mark] * len(_COLUMNS))}) "
                           f"ON CONFLICT (uuid) DO UPDATE SET {changing}")  # fmt: skip
        self._add_timelines = (
            f"INSERT INTO call_timelines (session, entries) VALUES ({mark}, {mark})"
        )
        self._mark = mark
        self._charge = f"UPDATE accounts SET balance = balance - {mark} WHERE id = {mark}"
        self._time: Callable[[dt.datetime], object] = wall_time if db.is_sqlite else _same

    def save(
        self,
        records: Iterable[CallRecord],
        entries: Iterable[Entry],
        timelines: Iterable[Timeline] = (),
    ) -> None:
        """Store the latest state of some legs, new timeline entries, and the whole timelines
        of finished calls (packed, their entry rows dropped), in one transaction."""
        at = self._time
        records = list(records)
        packed = [(line.session, pack(line.entries)) for line in timelines]
        finished = {session for session, _ in packed}
        legs = [self._leg_row(record) for record in records]
        lines = [(e.session, e.seq, e.leg, at(e.at), e.kind, to_json(e.data)) for e in entries
                 if e.session not in finished]  # fmt: skip
        priced = {record.uuid: record for record in records if record.price is not None}
        with self._db.write(CALLS) as conn:
            if priced:
                self._bill(conn, priced)
            if legs:
                conn.exec_driver_sql(self._save_legs, legs)
            if lines:
                conn.exec_driver_sql(self._add_entries, lines)
            if packed:
                sessions = tuple(finished)
                for table in ("call_entries", "call_timelines"):
                    conn.exec_driver_sql(
                        f"DELETE FROM {table} WHERE session IN ({self._marks(sessions)})", sessions
                    )
                conn.exec_driver_sql(self._add_timelines, packed)

    def _bill(self, conn: sa.Connection, priced: dict[str, CallRecord]) -> None:
        """Take the price of legs that have just ended (their stored row has none yet) from
        their accounts' balances: one update an account."""
        uuids = tuple(priced)
        done = {uuid for (uuid,) in conn.exec_driver_sql(
            f"SELECT uuid FROM calls WHERE uuid IN ({self._marks(uuids)}) "
            "AND price IS NOT NULL", uuids)}  # fmt: skip
        owed: Counter[str] = Counter()
        for uuid, record in priced.items():
            if uuid not in done:
                owed[record.account_id] += round(Decimal(record.price or 0) * EURO)
        bills = [(amount, account_id) for account_id, amount in owed.items() if amount]
        if bills:
            conn.exec_driver_sql(self._charge, bills)

    def _marks(self, values: tuple[str, ...]) -> str:
        return ", ".join([self._mark] * len(values))

    def _leg_row(self, record: CallRecord) -> tuple[Any, ...]:
        row = list(_values(record))
        for index in _TIMES:
            if row[index] is not None:
                row[index] = self._time(row[index])
        return tuple(row)

    def get(self, account_id: str, uuid: str) -> CallRecord | None:
        with self._db.read() as conn:
            row = conn.execute(
                sa.select(calls).where(calls.c.uuid == uuid, calls.c.account_id == account_id)
            ).first()
        return record_of(CallRecord, row._mapping) if row else None

    def page(self, query: CallQuery, offset: int, limit: int) -> tuple[int, list[CallRecord]]:
        """A page by offset, and how many calls match in all (the dashboard's pages)."""
        where = _matching(query)
        with self._db.read() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(calls).where(*where))
            rows = conn.execute(
                sa.select(calls).where(*where).order_by(*_order(query)).offset(offset).limit(limit)
            ).all()
            return int(total.scalar_one()), [record_of(CallRecord, row._mapping) for row in rows]

    def window(
        self, query: CallQuery, after: str | None, offset: int, limit: int, horizon: int
    ) -> tuple[int, list[CallRecord]]:
        """``limit`` calls from the one after the call ``after`` (keyset: an index seek, however
        deep), else from ``offset``; and how many match from there on, counted up to
        ``horizon`` (no count over the whole table). Kept in the read cache, if given, until
        anything is written (the API is read far more often than calls end)."""
        if self._cache is None:
            return self._window(query, after, offset, limit, horizon)
        result: tuple[int, list[CallRecord]] = self._cache.get(
            ("calls", query, after, offset, limit, horizon),
            lambda: self._window(query, after, offset, limit, horizon),
            rows=limit,
            calls=True,
        )
        return result

    def _window(
        self, query: CallQuery, after: str | None, offset: int, limit: int, horizon: int
    ) -> tuple[int, list[CallRecord]]:
        where = _matching(query)
        with self._db.read() as conn:
            if after is not None:
                mark = (
                    sa.select(calls.c.created_at, calls.c.uuid)
                    .where(calls.c.uuid == after, calls.c.account_id == query.account_id)
                    .scalar_subquery()
                )
                key = sa.tuple_(calls.c.created_at, calls.c.uuid)
                seek = key < mark if query.newest_first else key > mark
                found = _read(conn, query, [*where, seek], 0, limit, horizon)
                if found[1] or conn.execute(sa.select(mark.exists())).scalar():
                    return found
                # No such call (deleted, or another account's): by offset instead.
            return _read(conn, query, where, offset, limit, horizon)

    def timeline(self, session: str, after: int = 0) -> list[Entry]:
        with self._db.read() as conn:
            packed = _packed(conn, session)
            rows = conn.execute(
                sa.select(call_entries)
                .where(call_entries.c.session == session, call_entries.c.seq > after)
                .order_by(call_entries.c.seq)
            ).all()
        entries = [entry for entry in packed if entry.seq > after]
        return entries + [record_of(Entry, row._mapping) for row in rows]

    def orphaned(self, live: list[str], limit: int = 100) -> list[tuple[str, str | None]]:
        """Calls still running whose process is not among ``live``: (session, owner) pairs."""
        unowned = sa.or_(calls.c.owner.is_(None), calls.c.owner.not_in(live))
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(calls.c.session, calls.c.owner)
                .where(calls.c.end_time.is_(None), unowned)
                .distinct()
                .limit(limit)
            ).all()
        return [(row.session, row.owner) for row in rows]

    def adopt(self, session: str, owner: str | None, adopter: str) -> list[CallRecord]:
        """Make ``adopter`` the owner of the running legs of ``session`` that ``owner`` ran; the
        legs adopted (none if another process adopted them first)."""
        was = calls.c.owner.is_(None) if owner is None else calls.c.owner == owner
        with self._db.engine.begin() as conn:
            rows = conn.execute(
                sa.update(calls)
                .where(calls.c.session == session, calls.c.end_time.is_(None), was)
                .values(owner=adopter)
                .returning(*calls.c)
            ).all()
        return [record_of(CallRecord, row._mapping) for row in rows]

    def last_seq(self, session: str) -> int:
        with self._db.read() as conn:
            packed = _packed(conn, session)
            seq = conn.execute(
                sa.select(sa.func.max(call_entries.c.seq)).where(call_entries.c.session == session)
            ).scalar_one()
        return max([int(seq or 0), *(entry.seq for entry in packed)])

    def event_target(self, session: str, leg: str) -> tuple[str, str] | None:
        """The URL (as sent: a GET's fields in its query) and method of the last event request
        a leg made, if it made one."""
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(call_entries.c.data)
                .where(call_entries.c.session == session, call_entries.c.leg == leg,
                       call_entries.c.kind == "request")
                .order_by(call_entries.c.seq.desc())
            ).scalars()  # fmt: skip
            packed = [entry.data for entry in reversed(_packed(conn, session))
                      if entry.leg == leg and entry.kind == "request"]  # fmt: skip
            for data in [*rows, *packed]:
                if data.get("purpose") == "event":
                    return str(data["url"]), str(data["method"])
        return None

    def send_command(self, leg: str, command: dict[str, Any]) -> None:
        """Leave a command for a leg that runs in another process; on PostgreSQL, also
        announce it (the leg, on ``COMMANDS``) to the processes listening, as it commits: one
        statement, its own transaction, a single round trip."""
        if self._db.is_sqlite:
            with self._db.engine.begin() as conn:
                conn.execute(sa.insert(call_commands).values(leg=leg, command=command))
            return
        with self._db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(_ANNOUNCED, {"leg": leg, "command": to_json(command)})

    def listener(self, notice: Callable[[str | None], None]) -> Listener | None:
        """On PostgreSQL, a listener told the leg of each command left (``notice(None)``: any
        leg's, see ``Listener``); ``None`` on SQLite, where the commands are only polled."""
        return self._db.listener(COMMANDS, notice)

    def take_commands(self, legs: Container[str]) -> list[tuple[str, dict[str, Any]]]:
        """The commands left for ``legs``, oldest first, removed as they are taken.

        Reads every pending command (there are few, and usually none) rather than asking for
        each leg: a busy engine holds thousands of legs, and this runs many times a second."""
        with self._db.engine.begin() as conn:
            if conn.exec_driver_sql(_ANY_COMMAND).first() is None:
                return []  # the usual answer, found without building a statement
            pending = conn.execute(sa.select(call_commands).order_by(call_commands.c.id)).all()
            rows = [row for row in pending if row.leg in legs]
            if rows:
                taken = [row.id for row in rows]
                conn.execute(sa.delete(call_commands).where(call_commands.c.id.in_(taken)))
        return [(row.leg, dict(row.command)) for row in rows]

    def take_announced(self, legs: Iterable[str]) -> list[tuple[str, dict[str, Any]]]:
        """The commands left for ``legs`` (a few, just announced), oldest first, removed as
        they are taken: one statement, a single round trip."""
        taken = sa.delete(call_commands).where(call_commands.c.leg.in_(list(legs)))
        with self._db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            rows = conn.execute(taken.returning(*call_commands.c)).all()
        return [(row.leg, dict(row.command)) for row in sorted(rows, key=operator.itemgetter(0))]

    def running_elsewhere(self, account_id: str, owner: str) -> list[str]:
        """One running leg of each call of the account that another registered process runs."""
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(sa.func.min(calls.c.uuid))
                .where(calls.c.account_id == account_id, calls.c.end_time.is_(None),
                       calls.c.owner != owner, calls.c.owner.in_(sa.select(processes.c.id)))
                .group_by(calls.c.session)
            ).scalars()  # fmt: skip
            return [str(uuid) for uuid in rows]

    def commands_pending(self, legs: list[str]) -> bool:
        """Whether any command left for ``legs`` is still waiting to be taken."""
        with self._db.read() as conn:
            found = conn.execute(
                sa.select(call_commands.c.id).where(call_commands.c.leg.in_(legs)).limit(1)
            ).first()
        return found is not None

    def delete_sessions(self, sessions: list[str]) -> None:
        """Forget calls (their legs, timelines and pending commands) altogether."""
        legs = sa.select(calls.c.uuid).where(calls.c.session.in_(sessions))
        with self._db.write() as conn:
            conn.execute(sa.delete(call_commands).where(call_commands.c.leg.in_(legs)))
            conn.execute(sa.delete(call_entries).where(call_entries.c.session.in_(sessions)))
            conn.execute(sa.delete(call_timelines).where(call_timelines.c.session.in_(sessions)))
            conn.execute(sa.delete(calls).where(calls.c.session.in_(sessions)))

    def drop_stale_commands(self) -> None:
        """Forget commands for legs that ended before their process took them: each pending
        command looks its leg up, so the sweep costs what the commands do, not what the ended
        calls do (``leg IN (ended legs)`` read them all: 0.6 s a million, on the event loop)."""
        ended = sa.exists().where(
            calls.c.uuid == call_commands.c.leg, calls.c.end_time.is_not(None)
        )
        with self._db.engine.begin() as conn:
            conn.execute(sa.delete(call_commands).where(ended))


_COLUMNS = CallRecord.__slots__
_values = operator.attrgetter(*_COLUMNS)
_TIMES = [i for i, name in enumerate(_COLUMNS) if name in ("start_time", "end_time", "created_at")]
_CHANGING = ("status", "price", "duration", "start_time", "end_time", "rate", "outcome", "failed")


# Packed timelines are compressed with this dictionary of what most timelines say (keys,
# statuses, headers), which takes a short call's timeline from about 1,000 bytes to 700. Stored
# timelines need it as it is: a different one would come with a new ``PACKED`` format byte.
# (Migration 0016 keeps a copy of format 1 to unpack timelines into rows when it goes down.)
_DICTIONARY = (
    b'["start_time","end_time","rate":"0.00450000","price","network":"ringway","duration",'
    b'"disconnected_by":"platform","sip_code":200,"endpoint_type":"phone","region_url",'
    b'"reason","recording_uuid","seconds","size","input","dtmf","speech","ncco","event",'
    b'[[1,"","2026-12-03T08:03:12.123456+00:00","status",{"status":"started","direction":'
    b'"inbound"}],[3,"","","action",{"action":{"action":"talk","text":""}}],[2,"","","request",'
    b'{"purpose":"answer","url":"","method":"GET","attempt":1,"request":{"headers":{"User-Agent":'
    b'"ringway","Accept":"application/json"},"body":""},"status":200,"outcome":"ok",'
    b'"latency_ms":1.5,"response":"[{\\"action\\":\\"talk\\",\\"text\\":\\"\\"}]"}],'
    b'[4,"","","status",{"status":"answered","direction":"inbound"}],[5,"","","request",'
    b'{"purpose":"event","url":"","method":"POST","attempt":1,"request":{"headers":{"User-Agent":'
    b'"ringway","Accept":"application/json","Content-Type":"application/json"},"body":"{\\"from'
    b'\\":\\"\\",\\"to\\":\\"\\",\\"uuid\\":\\"\\",\\"conversation_uuid\\":'
    b'\\"CON-\\",\\"status\\":\\"completed\\",\\"direction\\":\\"inbound\\",'
    b'\\"timestamp\\":\\"\\"}"},"status":200,"outcome":"ok","latency_ms":1.5,"response":""}]]'
)
PACKED = b"\x01"  # the format: JSON, compressed with zlib and ``_DICTIONARY``


def pack(entries: list[Entry]) -> bytes:
    """A timeline as stored in one row: ``[seq, leg, at, kind, data]`` for each entry, as JSON,
    compressed."""
    lines = [(e.seq, e.leg, isoformat(e.at), e.kind, e.data) for e in entries]
    # Level 3 and a small hash table: counted with callgrind, half the instructions of level
    # 9 (about 170,000 fewer for the bench's call), for 12% more bytes (500 against 445).
    compressor = zlib.compressobj(3, zlib.DEFLATED, zlib.MAX_WBITS, 5, zdict=_DICTIONARY)
    return PACKED + compressor.compress(orjson.dumps(lines)) + compressor.flush()


def unpack(session: str, packed: bytes) -> list[Entry]:
    if packed[:1] != PACKED:
        raise ValueError(f"a timeline packed in an unknown format: {packed[:1]!r}")
    decompressor = zlib.decompressobj(zdict=_DICTIONARY)
    lines = orjson.loads(decompressor.decompress(packed[1:]) + decompressor.flush())
    return [Entry(session, seq, leg, aware(dt.datetime.fromisoformat(at)), kind, data)
            for seq, leg, at, kind, data in lines]  # fmt: skip


def _packed(conn: sa.Connection, session: str) -> list[Entry]:
    """The packed part of a call's timeline (none while it runs)."""
    packed = conn.execute(
        sa.select(call_timelines.c.entries).where(call_timelines.c.session == session)
    ).scalar_one_or_none()
    return unpack(session, packed) if packed is not None else []


_ANY_COMMAND = "SELECT 1 FROM call_commands LIMIT 1"
_ANNOUNCED = sa.text(
    "WITH left_ AS (INSERT INTO call_commands (leg, command) "
    "VALUES (:leg, CAST(:command AS JSON)) RETURNING leg) "
    f"SELECT pg_notify('{COMMANDS}', leg) FROM left_"
)


def _same(moment: dt.datetime) -> dt.datetime:
    return moment


def _read(
    conn: sa.Connection,
    query: CallQuery,
    where: list[sa.ColumnElement[bool]],
    offset: int,
    limit: int,
    horizon: int,
) -> tuple[int, list[CallRecord]]:
    """One statement: the page, each row with how many match from its start on (counted up to
    ``horizon``: an uncorrelated subquery, run once)."""
    ahead = sa.select(calls.c.uuid).where(*where).order_by(*_order(query))
    counted = ahead.offset(offset).limit(horizon).subquery()
    rest = sa.select(sa.func.count()).select_from(counted).scalar_subquery().label("rest")
    rows = conn.execute(
        sa.select(calls, rest).where(*where).order_by(*_order(query)).offset(offset).limit(limit)
    ).all()
    return (int(rows[0].rest) if rows else 0), [record_of(CallRecord, r._mapping) for r in rows]


def _matching(query: CallQuery) -> list[sa.ColumnElement[bool]]:
    where = [calls.c.account_id == query.account_id]
    if query.status:
        where.append(calls.c.status == query.status)
    if query.failed:
        where.append(calls.c.failed.is_(True))
    if query.conversation_uuid:
        where.append(calls.c.conversation_uuid == query.conversation_uuid)
    if query.application_id:
        where.append(calls.c.application_id == query.application_id)
    if query.statuses:
        where.append(calls.c.status.in_(query.statuses))
    if query.date_start:
        where.append(calls.c.created_at >= query.date_start)
    if query.date_end:
        where.append(calls.c.created_at <= query.date_end)
    return where


def _order(query: CallQuery) -> tuple[sa.UnaryExpression[Any], ...]:
    """Creation order, ties broken by the (time-ordered) uuid: the index
    ``ix_calls_account_created`` (account, created_at, uuid) read forwards or backwards."""
    if query.newest_first:
        return calls.c.created_at.desc(), calls.c.uuid.desc()
    return calls.c.created_at.asc(), calls.c.uuid.asc()
