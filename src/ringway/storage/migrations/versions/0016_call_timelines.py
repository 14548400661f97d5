"""Finished calls keep their timeline in one compressed row (``call_timelines``) rather than a
row an entry: a call's stored size went from about 6 KB to under 2 KB. Timelines stored before
stay as rows, read as they were. Going down unpacks every packed timeline into its rows again.

Revision ID: 0016
Revises: 0015
"""

import datetime as dt
import zlib
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

BATCH = 100  # packed timelines unpacked at once (about 1.5 KB each, a dozen entries)


def upgrade() -> None:
    op.create_table(
        "call_timelines",
        sa.Column("session", sa.String(36), primary_key=True),
        sa.Column("entries", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    conn = op.get_bind()
    sqlite = conn.dialect.name == "sqlite"
    # Rows as ``CallRepository.save`` writes them: orjson's text, and on SQLite the time as
    # SQLAlchemy's DATETIME stores it (the fields as they are, no offset).
    mark, data = ("?", "?") if sqlite else ("%s", "CAST(%s AS JSON)")
    insert = (f"INSERT INTO call_entries (session, seq, leg, at, kind, data) "
              f"VALUES ({', '.join([mark] * 5)}, {data})")  # fmt: skip
    after = ""  # keyset paging by session: one batch in memory at a time
    while True:
        batch = conn.execute(
            sa.text("SELECT session, entries FROM call_timelines WHERE session > :after "
                    "ORDER BY session LIMIT :n"),
            {"after": after, "n": BATCH},
        ).all()  # fmt: skip
        if not batch:
            break
        rows = []
        for session, packed in batch:
            for seq, leg, at, kind, value in _unpack(bytes(packed)):
                moment = dt.datetime.fromisoformat(at)
                when = moment.isoformat(" ", "microseconds")[:26] if sqlite else moment
                rows.append((session, seq, leg, when, kind, orjson.dumps(value).decode()))
        if rows:
            conn.exec_driver_sql(insert, rows)
        after = batch[-1][0]
    op.drop_table("call_timelines")


# A copy of format 1 of ``storage/calls`` (its format byte and dictionary), so that this
# migration reads what was packed when it ran, whatever later formats the storage learns.
_FORMAT = b"\x01"
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


def _unpack(packed: bytes) -> Any:
    """``[seq, leg, at, kind, data]`` for each entry of a packed timeline."""
    if packed[:1] != _FORMAT:
        raise ValueError(f"a timeline packed in an unknown format: {packed[:1]!r}")
    decompressor = zlib.decompressobj(zdict=_DICTIONARY)
    return orjson.loads(decompressor.decompress(packed[1:]) + decompressor.flush())
