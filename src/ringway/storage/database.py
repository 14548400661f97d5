"""The database: engine setup, migrations, transactions and change signals.

SQLite (WAL) is the default and PostgreSQL is chosen by URL. On SQLite, statements run inline
on the event loop (a primary-key read costs microseconds, less than a thread hop); on
PostgreSQL they run in a worker thread. Every committed write raises a change signal that other
processes see: SQLite rewrites its WAL-index header by itself, PostgreSQL bumps a sequence.
A write of ``CALLS`` (the engine's journal: calls, their timelines and balances, many times a
second) hands its signal to this process's watchers, which take it as seen when it is the only
commit since they last looked, so that caches keep what such a write cannot have changed.
"""

from __future__ import annotations

import asyncio
import logging
import mmap
import os
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import anyio.to_thread
import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ringway.storage.listener import Listener
from ringway.storage.tables import REVISION, metadata, postgresql_parts

log = logging.getLogger("ringway.storage")
CHANGES = "ringway_changes"  # the PostgreSQL sequence every committed write bumps
WAL_INDEX_HEADER = 48  # bytes: the first copy of the WAL-index header
I_CHANGE = slice(8, 12)  # its transaction counter, one more for each commit (native order)
# What a write may have changed, and what a watcher saw change; each includes those before it.
NOTHING, CALLS, EVERYTHING = 0, 1, 2
# Where Alembic keeps the revision of the schema, as Alembic makes it.
VERSIONS = sa.Table("alembic_version", sa.MetaData(),
                    sa.Column("version_num", sa.String(32), nullable=False),
                    sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"))  # fmt: skip
P = ParamSpec("P")
T = TypeVar("T")


def normalize_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs that name no driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Database:
    def __init__(self, url: str, pool_size: int = 10, max_overflow: int = 10) -> None:
        """``pool_size`` and ``max_overflow``: PostgreSQL connections kept open, and how many
        more a burst may open."""
        self.url = sa.make_url(normalize_url(url))
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if not self.is_sqlite and "application_name" not in self.url.query:
            # pg_stat_activity shows ringway's connections as such
            self.url = self.url.update_query_dict({"application_name": "ringway"})
        if self.is_sqlite:
            if self.url.database and self.url.database != ":memory:":
                Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = sa.create_engine(
                self.url,
                connect_args={"check_same_thread": False, "timeout": 30},
                json_serializer=to_json,
            )
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            postgresql_parts()
            self.engine = sa.create_engine(
                self.url, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow,
                json_serializer=to_json,
            )  # fmt: skip
        self._on_commit: list[Callable[[int, Signal], None]] = []
        self._header: _Mapped | None = None  # SQLite's WAL-index header, for ``Signal``

    def migrate(self) -> None:
        """Bring the schema to the newest revision, ``REVISION`` (serialised across nodes on
        PostgreSQL). An empty database gets the tables of ``tables.py`` at once, stamped with
        it, rather than every migration in turn (tests/storage/test_schema.py proves the two
        the same); an older one is upgraded by Alembic, which is imported only then."""
        with self.engine.begin() as conn:
            if not self.is_sqlite:
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(7421001)"))
            tables = sa.inspect(conn).get_table_names()
            if not tables:
                metadata.create_all(conn)
                VERSIONS.create(conn)
                conn.execute(VERSIONS.insert().values(version_num=REVISION))
                if not self.is_sqlite:
                    conn.execute(sa.text(f"CREATE SEQUENCE {CHANGES}"))
            elif VERSIONS.name not in tables or conn.scalar(sa.select(VERSIONS)) != REVISION:
                upgrade(conn)

    def upsert(self, table: sa.Table) -> Any:
        """``INSERT`` into ``table`` as this database's dialect writes it, with its ``ON
        CONFLICT`` clauses (the other dialect is never imported: ~25 ms of every start)."""
        if self.is_sqlite:
            from sqlalchemy.dialects import sqlite

            return sqlite.insert(table)
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)

    def on_commit(self, callback: Callable[[int, Signal], None]) -> None:
        """Call ``callback`` with what it changed (``CALLS`` or ``EVERYTHING``) and its change
        signal after each write this process commits."""
        self._on_commit.append(callback)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def write(self, changes: int = EVERYTHING) -> Iterator[Connection]:
        """A transaction that, once committed, signals the change to every process.

        ``changes=CALLS`` promises that it writes nothing but calls, their timelines and
        commands, and account balances (which no cache serves). On PostgreSQL the change
        counter is bumped after the commit, never before: a reader that sees the new count must
        also see the new rows. (``nextval`` is not transactional, so the rollback that ends the
        connection does not undo it.)
        """
        signal = Signal()
        with self.engine.connect() as conn:
            if changes == CALLS and self.is_sqlite:
                signal.before = self._wal_header()
            with conn.begin():
                yield conn
            if self.is_sqlite:
                signal.after = self._wal_header() if changes == CALLS else None
            else:
                signal.after = conn.execute(sa.text(f"SELECT nextval('{CHANGES}')")).scalar()
        for callback in self._on_commit:
            callback(changes, signal)

    def _wal_header(self) -> bytes | None:
        if self._header is None and self.url.database not in (None, "", ":memory:"):
            self._header = INDEX_HEADERS.acquire(f"{self.url.database}-shm")
        if self._header is None or self._header.map is None:
            return None
        return self._header.map[:WAL_INDEX_HEADER]

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run blocking storage work: inline on SQLite, in a thread on PostgreSQL. A caller
        cancelled meanwhile waits for the thread to finish first: a thread left running would
        hold its connection past the engine's disposal."""
        if self.is_sqlite:
            return fn(*args, **kwargs)
        work = asyncio.ensure_future(anyio.to_thread.run_sync(partial(fn, *args, **kwargs)))
        try:
            return await asyncio.shield(work)
        except asyncio.CancelledError:
            await asyncio.wait([work])
            raise

    def checkpoints(self) -> Checkpoints | None:
        """For a SQLite file, a thread that keeps its WAL short (see ``Checkpoints``)."""
        if self.is_sqlite and self.url.database not in (None, "", ":memory:"):
            return Checkpoints(self.url.database)
        return None

    def change_watcher(self) -> ChangeWatcher:
        if self.is_sqlite:
            return SQLiteWatcher(self.url.database or ":memory:")
        return PostgresWatcher(self._dsn)

    def listener(self, channel: str, notice: Callable[[str | None], None]) -> Listener | None:
        """On PostgreSQL, a listener for the notifications sent on ``channel`` (see
        ``Listener``), holding a connection of its own while it runs; SQLite has none."""
        return None if self.is_sqlite else Listener(self._dsn, channel, notice)

    @property
    def _dsn(self) -> str:
        """The URL as psycopg takes it, for the connections kept outside the pool."""
        return self.url.set(drivername="postgresql").render_as_string(False)

    def dispose(self) -> None:
        self.engine.dispose()
        if self._header is not None:  # after the connections: see ``IndexHeaders``
            INDEX_HEADERS.release(self._header)
            self._header = None


def upgrade(conn: Connection, target: str = "head") -> None:
    """Run the migrations up to ``target`` on ``conn``."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("ringway.storage") / "migrations")
    )
    config.attributes["connection"] = conn
    command.upgrade(config, target)


def to_json(value: Any) -> str:
    return orjson.dumps(value).decode()


# sqlite3 binds None and bytes only after looking for an adapter: with none registered, it
# raises and clears two AttributeErrors for each such parameter (counted with callgrind, ~1,900
# instructions; a call's journal writes two dozen). Adapters that hand them back as they are
# (C callables: ``{}.get`` gives None) skip that, and bind what was bound before.
_NOTHING: dict[None, None] = {}
sqlite3.register_adapter(type(None), _NOTHING.get)
sqlite3.register_adapter(bytes, bytes)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Checkpoints:
    """Copies the WAL into the SQLite database file from a thread of its own, often enough that
    the WAL rarely reaches the size at which a commit does that itself (1,000 pages, still the
    fallback). Otherwise every thousandth page a busy engine wrote made one of its commits copy
    megabytes and sync the file on the event loop. (SQLite releases the GIL while it
    checkpoints; a reader's snapshot can hold a checkpoint back, as it would a commit's.)"""

    def __init__(self, path: str, every: float = 0.1) -> None:
        self._path, self._every = path, every
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ringway-checkpoints", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        failing = False
        try:
            while not self._stopping.wait(self._every):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    failing = False
                except sqlite3.Error as exc:  # say so once; commits checkpoint meanwhile
                    if not failing:
                        log.warning("could not checkpoint %s: %s", self._path, exc)
                    failing = True
        finally:
            conn.close()


@dataclass
class Signal:
    """The change signal of a commit of this process: SQLite's WAL-index header before and
    after it (of a write of ``CALLS``), PostgreSQL's change count it took."""

    before: Any = None
    after: Any = None


class ChangeWatcher:
    """Tells whether any process may have committed a write since the last call."""

    def changed(self) -> bool:
        raise NotImplementedError

    def adopt(self, signal: Signal) -> bool:
        """Take this process's own commit as seen, if it is the only one since the last call
        (then its changes are all the caller's to forget); ``False`` if not sure."""
        return False

    def close(self) -> None:
        """Release the watcher's connection."""


class SQLiteWatcher(ChangeWatcher):
    """Sees commits by any connection, in this process or another, to a WAL-mode database.

    Every commit rewrites the WAL-index header at the start of the ``-shm`` file (its ``iChange``
    counter goes up; https://www.sqlite.org/walformat.html), so comparing those 48 bytes, read
    through a shared memory map, tells whether anyone wrote, in well under a microsecond.
    ``PRAGMA data_version`` says the same but takes file locks: measured here it cost ~40% of
    a cached GET's throughput. The watcher keeps a connection of its own open so that SQLite
    keeps the ``-shm`` file; without one (no WAL), it falls back to the pragma. The map comes
    from ``IndexHeaders``, which never closes a descriptor of the file under SQLite's locks.
    """

    def __init__(self, path: str) -> None:
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._version: object = None
        self._conn.execute("PRAGMA data_version").fetchone()
        self._shm = INDEX_HEADERS.acquire(f"{path}-shm")

    def changed(self) -> bool:
        if self._shm is not None and self._shm.map is not None:
            version: object = self._shm.map[:WAL_INDEX_HEADER]
        else:
            version = self._conn.execute("PRAGMA data_version").fetchone()[0]
        if version == self._version:
            return False
        self._version = version
        return True

    def adopt(self, signal: Signal) -> bool:
        """The commit moved the header from what the watcher last saw on by one transaction
        (any other commit, or a WAL restart, would have moved it further)."""
        before, after = signal.before, signal.after
        if before is None or after is None or before != self._version:
            return False
        if _count(after) != (_count(before) + 1) % 2**32:
            return False
        self._version = after
        return True

    def close(self) -> None:
        self._conn.close()
        if self._shm is not None:
            INDEX_HEADERS.release(self._shm)
            self._shm = None


@dataclass
class _Mapped:
    key: tuple[int, int]  # the file's device and inode
    fd: int
    map: mmap.mmap | None
    users: int = 1


class IndexHeaders:
    """The WAL-index headers of ``-shm`` files, each mapped once per process.

    SQLite decides which process may rebuild the shared WAL index by POSIX locks on the
    ``-shm`` file, and closing *any* descriptor of a file drops all of the process's POSIX
    locks on it. Had the watcher opened the file and closed it again (or closed its map, which
    holds a duplicate descriptor), the next process to open the database would find no lock,
    take itself for the only user, and truncate the index under a server that has it mapped:
    SIGBUS. So a file's descriptor and map stay open while any watcher of this process uses
    them; the last watcher lets go only after its platform has closed its connections (the
    platform closes its database first), when the process holds no lock on the file any more.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mapped: dict[tuple[int, int], _Mapped] = {}

    def acquire(self, path: str) -> _Mapped | None:
        """The file ``path`` held open, its header mapped for reading when it has one;
        ``None`` when there is no such file."""
        with self._lock:
            try:
                stat = os.stat(path)  # find an existing map without opening the file again
            except OSError:
                return None
            key = (stat.st_dev, stat.st_ino)
            mapped = self._mapped.get(key)
            if mapped is not None:
                mapped.users += 1
                return mapped
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError:
                return None
            try:
                header: mmap.mmap | None = mmap.mmap(fd, WAL_INDEX_HEADER, access=mmap.ACCESS_READ)
            except (OSError, ValueError):  # not a WAL index (yet): the watcher asks SQLite
                header = None
            mapped = self._mapped[key] = _Mapped(key, fd, header)
            return mapped

    def release(self, mapped: _Mapped) -> None:
        with self._lock:
            mapped.users -= 1
            if mapped.users <= 0 and self._mapped.get(mapped.key) is mapped:
                del self._mapped[mapped.key]
                if mapped.map is not None:
                    mapped.map.close()
                os.close(mapped.fd)


INDEX_HEADERS = IndexHeaders()


def _count(header: bytes) -> int:
    return int.from_bytes(header[I_CHANGE], sys.byteorder)


class PostgresWatcher(ChangeWatcher):
    """Reads the change counter that every write bumps after it commits.

    One round trip per check, on a connection of its own, and strictly coherent: a write whose
    commit returned before the check began is always seen. (LISTEN/NOTIFY was cheaper but only
    eventually consistent: a notification can reach the listener after the writer has answered
    its client.) A lost connection counts as a change, since writes may have been missed.
    """

    def __init__(self, dsn: str) -> None:
        import psycopg

        self._psycopg = psycopg
        self._dsn = dsn
        self._lock = threading.Lock()
        self._conn: Any = None
        self._count: int | None = None

    def changed(self) -> bool:
        with self._lock:
            try:
                if self._conn is None:
                    self._conn = self._psycopg.connect(self._dsn, autocommit=True)
                row = self._conn.execute(
                    f"SELECT last_value, is_called FROM {CHANGES}", prepare=True
                ).fetchone()
            except self._psycopg.Error:
                self._drop()
                return True
            count = row[0] if row[1] else 0
            if count == self._count:
                return False
            self._count = count
            return True

    def adopt(self, signal: Signal) -> bool:
        """The commit took the next count after the one the watcher last saw."""
        with self._lock:
            if self._count is None or signal.after != self._count + 1:
                return False
            self._count = signal.after
            return True

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._count = None
