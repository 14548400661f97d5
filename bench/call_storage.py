"""The bytes a finished simulated call keeps in the database, on SQLite and PostgreSQL.

Starts ringway (``serve``) and a webhook receiver (``bench/receiver.py``), places the bench's
calls (a talk NCCO, five requests each) and waits until every leg has ended and been stored.
On SQLite: the database file's growth over the calls, each copy VACUUMed first (free pages
dropped). On PostgreSQL (``--postgres URL``, in a schema made for the run and dropped after):
``pg_total_relation_size`` (rows, indexes, TOAST) of the tables calls keep rows in, after
``VACUUM FULL``. Voice webhooks are sent directly, not through the outbox, so calls leave no
delivery behind.

Run as ``python -m bench.call_storage`` (``--calls 1000 --postgres postgresql://…``).
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import httpx
import sqlalchemy as sa

from bench.call_instructions import place
from bench.run import AUTH, CALL, KEY, SECRET, free_port, link_number, process
from ringway.storage.database import normalize_url

CALL_TABLES = ("calls", "call_entries", "call_timelines", "call_commands")


def vacuumed_size(database: Path, copy: Path) -> int:
    """The size of a VACUUMed copy of the SQLite database (its WAL folded in)."""
    with sqlite3.connect(database) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    with sqlite3.connect(copy) as conn:
        conn.execute("VACUUM")
    return copy.stat().st_size


def relation_bytes(url: str) -> int:
    engine = sa.create_engine(normalize_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        present = [t for t in CALL_TABLES if conn.execute(sa.text(
            "SELECT to_regclass(:t)"), {"t": t}).scalar() is not None]  # fmt: skip
        total = 0
        for table in present:
            conn.execute(sa.text(f"VACUUM FULL {table}"))
            total += conn.execute(sa.text(f"SELECT pg_total_relation_size('{table}')")).scalar_one()
    engine.dispose()
    return int(total)


def ended(url: str) -> int:
    engine = sa.create_engine(normalize_url(url))
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM calls WHERE end_time IS NOT NULL"))
        value = int(count.scalar_one())
    engine.dispose()
    return value


def measure(calls: int, work: Path, database_url: str | None) -> tuple[int, int]:
    """The bytes the call tables hold before and after ``calls`` calls."""
    with ExitStack() as stack:
        hooks_port, port = free_port(), free_port()
        hooks, ours = f"http://127.0.0.1:{hooks_port}", f"http://127.0.0.1:{port}"
        stack.enter_context(
            process([sys.executable, "-m", "bench.receiver", str(hooks_port)], {}, f"{hooks}/count")
        )
        command = [sys.executable, "-m", "ringway.cli", "serve", "--port", str(port),
                   "--data-dir", str(work / "data"), "--log-level", "warning"]  # fmt: skip
        if database_url:
            command += ["--database-url", database_url]
        env = {"RINGWAY_API_KEY": KEY, "RINGWAY_API_SECRET": SECRET, "RINGWAY_KEY_POOL_SIZE": "0"}
        log = work / "server.log"
        server = stack.enter_context(process(command, env, f"{ours}/_ringway/health", log, 120))
        with httpx.Client(base_url=ours, headers={"Authorization": AUTH}, timeout=60) as client:
            CALL["to"] = link_number(client, hooks)
        url = database_url or f"sqlite:///{work / 'data' / 'ringway.db'}"
        before = size(url, work)
        asyncio.run(place(ours, calls, 32))
        deadline = time.monotonic() + 600
        while ended(url) < calls:
            if time.monotonic() > deadline:
                raise RuntimeError("the calls did not all end")
            time.sleep(0.2)
        server.terminate()  # its last batch is stored as it stops
        server.wait(timeout=60)
        return before, size(url, work)


def size(url: str, work: Path) -> int:
    if url.startswith("sqlite"):
        copy = work / f"copy-{uuid.uuid4().hex}.db"
        try:
            return vacuumed_size(Path(url.removeprefix("sqlite:///")), copy)
        finally:
            copy.unlink(missing_ok=True)
    return relation_bytes(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--postgres", help="a PostgreSQL URL to measure on as well")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        before, after = measure(args.calls, Path(tmp), None)
    print(f"SQLite: {(after - before) / args.calls:,.0f} bytes a finished call "
          f"({after - before:,} bytes over {args.calls} calls, VACUUMed)")  # fmt: skip
    if args.postgres:
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(normalize_url(args.postgres), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        try:
            url = f"{args.postgres}?options=-csearch_path%3D{schema}"
            with tempfile.TemporaryDirectory() as tmp:
                before, after = measure(args.calls, Path(tmp), url)
            print(f"PostgreSQL: {(after - before) / args.calls:,.0f} bytes a finished call "
                  f"({after - before:,} bytes of {', '.join(CALL_TABLES)} over {args.calls} "
                  "calls, after VACUUM FULL)")  # fmt: skip
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()


if __name__ == "__main__":
    main()
