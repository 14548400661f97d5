"""``python -m bench.scale``: ringway with a million applications and a million finished calls
in one account, beside the same server on an empty database, side by side in one run.

Fills a database (SQLite in a temporary directory, or ``--database-url``: give PostgreSQL a
database or schema of its own) with ``--count`` applications and ``--count`` finished calls in
bulk (SQLite ``executemany``, PostgreSQL ``COPY``), then reports: how long ``ringway serve``
takes to answer its health check on the full database and on an empty one; GET one application
on each (wrk, alternated: the rate must stay within 10%); the first and the last page of each
list, over HTTP (wrk) and as the database's own cost with no cache (the last page must cost at
most 1.5 times the first).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.run import free_port, process, wrk
from ringway.api.voice import HORIZON
from ringway.config import Settings
from ringway.domain.applications import ApplicationIn
from ringway.domain.calls import CallQuery, CallRecord
from ringway.security.jwt import mint
from ringway.services.platform import Platform
from ringway.storage.calls import CallRepository

KEY, SECRET = "5ca1e001", "ScaleSecret00001"
AUTH = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
ENV = {"RINGWAY_API_KEY": KEY, "RINGWAY_API_SECRET": SECRET}
CHUNK = 50_000


def prepare(data_dir: Path, url: str | None) -> tuple[str, str, str]:
    """A migrated database with the bench's account and one application (made the ordinary
    way, with a key pair): the account's id, the application's id and its private key."""
    settings = Settings(data_dir=data_dir, database_url=url, key_pool_size=1)
    platform = Platform.open(settings)
    try:
        account = platform.accounts.create(KEY, SECRET).account_id
        spec = ApplicationIn.model_validate({"name": "scale"})
        app, private_key = platform.applications.create(account, spec)
        assert private_key is not None
        return account, app.id, private_key
    finally:
        platform.close()


def fill(data_dir: Path, url: str | None, account: str, app_id: str, count: int) -> float:
    """Add ``count`` applications (clones of ``app_id``) and ``count`` finished calls to the
    account, in bulk; the seconds it took."""
    platform = Platform.open(Settings(data_dir=data_dir, database_url=url), migrate=False)
    db = platform.db
    start = time.perf_counter()
    t0 = datetime.now(UTC) - timedelta(hours=1, milliseconds=count)  # within any retention
    try:
        with db.engine.connect() as conn:
            model = conn.exec_driver_sql(f"SELECT * FROM applications WHERE id = '{app_id}'")
            template = dict(model.mappings().one())
        app_columns = list(template)

        def apps() -> Iterator[tuple[Any, ...]]:
            for n in range(count):
                at = t0 + timedelta(milliseconds=n)
                row = {**template, "id": str(uuid.uuid4()), "name": f"app {n}",
                       "created_at": at, "updated_at": at}  # fmt: skip
                yield tuple(row[c] for c in app_columns)

        call_columns = list(CallRecord.__slots__)

        def calls() -> Iterator[tuple[Any, ...]]:
            for n in range(count):
                at = t0 + timedelta(milliseconds=n)
                uuid7 = _uuid7(at)
                record = CallRecord(uuid7, uuid7, account, app_id, f"CON-{uuid.uuid4()}",
                                    "inbound", "447700900001", "447700900100", "phone",
                                    "completed", "0.00450000", "0.00450000", 6, at,
                                    at + timedelta(seconds=6), at)  # fmt: skip
                yield tuple(getattr(record, c) for c in call_columns)

        _bulk(db, "applications", app_columns, apps())
        _bulk(db, "calls", call_columns, calls())
        with db.engine.begin() as conn:  # the account's count, fresh statistics
            conn.exec_driver_sql(
                f"UPDATE accounts SET application_count = application_count + {count:d}"
            )
            for table in ("applications", "calls"):
                conn.exec_driver_sql(f"ANALYZE {table}")
        if db.is_sqlite:  # into the database file now, not by the server while it is measured
            with db.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        platform.close()
    return time.perf_counter() - start


def _uuid7(at: datetime) -> str:
    value = int(at.timestamp() * 1000) << 80 | int.from_bytes(os.urandom(10), "big")
    value = value & ~(0xF << 76) | 0x7 << 76
    value = value & ~(0x3 << 62) | 0x2 << 62
    return str(uuid.UUID(int=value))


def _bulk(db: Any, table: str, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> None:
    """Insert ``rows`` as fast as each database takes them: ``executemany`` in chunks on
    SQLite (times as SQLAlchemy writes them), ``COPY`` on PostgreSQL."""
    raw = db.engine.raw_connection()
    try:
        if db.is_sqlite:
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            cursor = raw.cursor()
            chunk: list[tuple[Any, ...]] = []
            for row in rows:
                chunk.append(tuple(_sqlite_value(v) for v in row))
                if len(chunk) == CHUNK:
                    cursor.executemany(sql, chunk)
                    chunk.clear()
            cursor.executemany(sql, chunk)
        else:
            copying = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with raw.cursor() as cursor, cursor.copy(copying) as copy:
                for row in rows:
                    copy.write_row(tuple(_pg_value(v) for v in row))
        raw.commit()
    finally:
        raw.close()


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(" ", "microseconds")[:26]
    return json.dumps(value) if isinstance(value, dict | list) else value


def _pg_value(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value


def serve(data_dir: Path, url: str | None, port: int) -> list[str]:
    command = [sys.executable, "-m", "ringway.cli", "serve", "--port", str(port),
               "--data-dir", str(data_dir), "--log-level", "warning"]  # fmt: skip
    return command + (["--database-url", url] if url else [])


def start_up(command: list[str], health: str) -> float:
    """Seconds from starting ``command`` until ``health`` answers 200."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, env={**os.environ, **ENV}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        while True:
            try:
                if httpx.get(health).status_code == 200:
                    return time.perf_counter() - start
            except httpx.TransportError:
                if proc.poll() is not None:
                    raise RuntimeError(f"{command} did not start") from None
            time.sleep(0.01)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def alternated(first: str, second: str, seconds: int, auth: str = AUTH) -> tuple[float, float]:
    """wrk rates of two URLs, run in turn twice and averaged, so drift hits both."""
    rates: tuple[list[float], list[float]] = ([], [])
    for _ in range(2):
        rates[0].append(wrk(first, seconds, auth=auth))
        rates[1].append(wrk(second, seconds, auth=auth))
    return statistics.mean(rates[0]), statistics.mean(rates[1])


def cold(work: Callable[[], object], platform: Platform, repeat: int = 20) -> float:
    """The fastest of ``repeat`` runs of ``work`` (ms), the read cache emptied before each: on
    a busy machine the least disturbed run says best what the work costs."""
    times = []
    for _ in range(repeat):
        platform.cache.invalidate()
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1_000_000, help="applications and calls")
    parser.add_argument("--database-url", help="the full database (else SQLite, temporary)")
    parser.add_argument("--empty-database-url", help="the empty one (else SQLite, temporary)")
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    args = parser.parse_args()
    report: dict[str, Any] = {"count": args.count}
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        full_dir, empty_dir = Path(tmp) / "full", Path(tmp) / "empty"
        full_url, empty_url = args.database_url, args.empty_database_url
        account, app_id, private_key = prepare(full_dir, full_url)
        _, empty_app, _ = prepare(empty_dir, empty_url)
        report["fill_seconds"] = fill(full_dir, full_url, account, app_id, args.count)
        print(f"filled {args.count:,} applications and calls in {report['fill_seconds']:.0f} s")

        ports = {"full": free_port(), "empty": free_port()}
        health = {name: f"http://127.0.0.1:{port}/_ringway/health" for name, port in ports.items()}
        commands = {"full": serve(full_dir, full_url, ports["full"]),
                    "empty": serve(empty_dir, empty_url, ports["empty"])}  # fmt: skip
        starts: dict[str, list[float]] = {"full": [], "empty": []}
        for _ in range(3):
            for name in ("empty", "full"):
                starts[name].append(start_up(commands[name], health[name]))
        report["start_up_s"] = {name: statistics.median(t) for name, t in starts.items()}

        for name in ("full", "empty"):
            stack.enter_context(process(commands[name], ENV, health[name]))
        full, empty = (f"http://127.0.0.1:{ports[name]}" for name in ("full", "empty"))
        on_full, on_empty = alternated(
            f"{full}/v2/applications/{app_id}", f"{empty}/v2/applications/{empty_app}", args.seconds
        )
        report["get_one"] = {"full": on_full, "empty": on_empty, "ratio": on_full / on_empty}

        total = args.count + 1
        last_page = -(-total // 10)
        apps = f"{full}/v2/applications?page_size=10"
        first_rate, last_rate = alternated(
            f"{apps}&page=1", f"{apps}&page={last_page}", args.seconds
        )
        report["applications_http"] = {"first": first_rate, "last": last_rate}

        bearer = "Bearer " + mint(app_id, private_key, ttl=3600)
        with httpx.Client(base_url=full, headers={"Authorization": bearer}) as client:
            oldest = client.get("/v1/calls", params={"order": "asc", "page_size": 11})
            oldest.raise_for_status()
        before_last = oldest.json()["_embedded"]["calls"][-1]["uuid"]
        calls = f"{full}/v1/calls?page_size=10"
        deep = f"{calls}&record_index={args.count - 10}"
        first_rate, last_rate = alternated(calls, f"{deep}&after={before_last}", args.seconds,
                                           bearer)  # fmt: skip
        report["calls_http"] = {"first": first_rate, "last": last_rate}

        platform = Platform.open(Settings(data_dir=full_dir, database_url=full_url), migrate=False)
        try:
            listed = platform.applications.list
            repository = CallRepository(platform.db)
            newest = CallQuery(account)
            report["applications_ms"] = {
                "first": cold(lambda: listed(account, 1, 10), platform),
                "last": cold(lambda: listed(account, last_page, 10), platform),
            }
            deepest = args.count - 10

            def window(after: str | None, offset: int) -> Callable[[], object]:
                return lambda: repository.window(newest, after, offset, 10, HORIZON)

            report["calls_ms"] = {
                "first": cold(window(None, 0), platform),
                "last": cold(window(before_last, deepest), platform),
                "last by record_index alone": cold(window(None, deepest), platform, 3),
            }
        finally:
            platform.close()

    print(json.dumps(report, indent=2))
    _summary(report)


def _summary(report: dict[str, Any]) -> None:
    get_one, starts = report["get_one"], report["start_up_s"]
    print(f"\nwith {report['count']:,} applications and calls in one account:")
    print(f"start-up (health answers): {starts['full']:.2f} s, {starts['empty']:.2f} s empty")
    print(f"GET one application: {get_one['full']:,.0f} req/s, {get_one['empty']:,.0f} on an "
          f"empty database: {get_one['ratio']:.2f} (target >= 0.90)")  # fmt: skip
    for name in ("applications", "calls"):
        rates, costs = report[f"{name}_http"], report[f"{name}_ms"]
        print(f"{name}: first page {rates['first']:,.0f} req/s, last {rates['last']:,.0f}; "
              f"database cost first {costs['first']:.2f} ms, last {costs['last']:.2f} ms: "
              f"{costs['last'] / costs['first']:.2f}x (target <= 1.5)")  # fmt: skip
    print(
        f"calls, last page by record_index alone (no 'after'): "
        f"{report['calls_ms']['last by record_index alone']:.1f} ms"
    )


if __name__ == "__main__":
    main()
