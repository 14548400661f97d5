"""Shared fixtures: databases on SQLite and PostgreSQL, live servers, fresh accounts."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import shutil
import socket
import ssl
import threading
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

import httpx
import pytest
import sqlalchemy as sa
import uvicorn

from ringway.api.app import create_app
from ringway.config import Settings
from ringway.security.tls import ensure_tls
from ringway.services.accounts import Credentials
from ringway.services.platform import Platform
from ringway.storage.tables import metadata
from ringway.testing.served import stop_accepting
from tests.receivers import Receiver, threaded_receiver

PG_ADMIN_URL = os.environ.get(
    "RINGWAY_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def postgres_reachable() -> str | None:
    """``None`` when PostgreSQL answers, else why not."""
    try:
        engine = sa.create_engine(PG_ADMIN_URL)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL at {PG_ADMIN_URL} is unreachable: {exc}"
    return None


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[object]:
    """A factory of PostgreSQL URLs, each on a schema of its own, dropped at the end."""
    reason = postgres_reachable()
    if reason:
        pytest.skip(reason)
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    schemas: list[str] = []

    def make() -> str:
        schema = f"rw_{uuid.uuid4().hex[:12]}"
        with engine.connect() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        schemas.append(schema)
        return f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"

    yield make
    with engine.connect() as conn:
        for schema in schemas:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database made once a session (at the newest revision at once, as every empty
    database is: tests/storage/test_schema.py proves it the migrated one), copied for each
    test: making a fresh file costs tens of milliseconds, a copy ~1 ms."""
    path = tmp_path_factory.mktemp("template") / "ringway.db"
    Platform.open(Settings(data_dir=path.parent, database_url=f"sqlite:///{path}",
                           key_pool_size=0)).close()  # fmt: skip
    return path


class SchemaPool:
    """PostgreSQL schemas a worker reuses: a test gets one holding the newest tables and no
    rows, and gives it back emptied (deleting the rows of a test takes a few milliseconds;
    creating a schema's tables ~250 ms). One still locked by a straggler is not reused."""

    def __init__(self, make: Callable[[], str]) -> None:
        self._make = make
        self._free: list[str] = []
        self._engines: dict[str, sa.Engine] = {}

    def take(self) -> str:
        return self._free.pop() if self._free else self._make()

    def give_back(self, url: str) -> None:
        engine = self._engines.setdefault(url, sa.create_engine(url, poolclass=sa.NullPool))
        try:
            with engine.begin() as conn:
                conn.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
                for table in reversed(metadata.sorted_tables):
                    conn.execute(table.delete())
                for (name,) in conn.execute(sa.text(
                    "SELECT sequence_name FROM information_schema.sequences "
                    "WHERE sequence_schema = current_schema()"
                )):  # fmt: skip
                    conn.execute(sa.text("SELECT setval(:name, 1, false)"), {"name": name})
        except sa.exc.SQLAlchemyError:  # no tables yet, or still in use: dropped at the end
            return
        self._free.append(url)

    def close(self) -> None:
        for engine in self._engines.values():
            engine.dispose()


@pytest.fixture(scope="session")
def postgres_schemas(postgres_schema_url: Callable[[], str]) -> Iterator[SchemaPool]:
    pool = SchemaPool(postgres_schema_url)
    yield pool
    pool.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each storage-touching test runs once on SQLite and once on PostgreSQL, on a database
    holding the newest tables and no rows; marked ``fresh_database``, on an empty one."""
    fresh = request.node.get_closest_marker("fresh_database") is not None
    if request.param == "sqlite":
        path = tmp_path / "ringway.db"
        if not fresh:
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    elif fresh:
        yield str(request.getfixturevalue("postgres_schema_url")())
    else:
        pool: SchemaPool = request.getfixturevalue("postgres_schemas")
        url = pool.take()
        yield url
        pool.give_back(url)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, database_url=database_url, key_pool_size=0)


@pytest.fixture
def platform(settings: Settings) -> Iterator[Platform]:
    platform = Platform.open(settings)
    yield platform
    platform.close()


T = TypeVar("T")


def eventually(
    check: Callable[[], T | Literal[False] | None], timeout: float = 5.0, what: str = ""
) -> T:
    """Poll ``check`` until it returns something truthy, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        time.sleep(0.02)


def retained(work: Callable[[], None]) -> int:
    """Bytes that Python still holds after ``work``, as tracemalloc counts them."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        work()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    """A real uvicorn server on 127.0.0.1, run in a thread."""

    url: str
    port: int
    platform: Platform
    ca: Path | None = None

    def account(self) -> Credentials:
        return self.platform.accounts.create()

    def client(self, credentials: Credentials | None = None) -> httpx.Client:
        auth = (credentials.api_key, credentials.api_secret) if credentials else None
        verify = ssl.create_default_context(cafile=str(self.ca)) if self.ca else True
        return httpx.Client(base_url=self.url, auth=auth, verify=verify)


class QuickServer(uvicorn.Server):
    """uvicorn, stopping as soon as a test is done with it: uvicorn itself looks whether to
    stop every 0.1 s, then waits 0.1 s more for the connections it asked to close (about
    200 ms a test, a tenth of the suite)."""

    stopping: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self.stopping, self.loop = asyncio.Event(), asyncio.get_running_loop()
        await self.on_tick(0)  # the Date header
        if not self.should_exit:
            await self.stopping.wait()

    def stop(self) -> None:
        self.should_exit = True
        if self.stopping is not None:
            self.loop.call_soon_threadsafe(self.stopping.set)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.config.is_ssl:  # TLS connections take their time to close: uvicorn's own way
            await super().shutdown(sockets)
            return
        await stop_accepting(self.servers)
        for server in self.servers:
            server.close()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                while self.server_state.connections or self.server_state.tasks:
                    # Again each time: a connection accepted just before the close registers
                    # a moment later, and left open it leaks its socket past the test.
                    for connection in list(self.server_state.connections):
                        connection.shutdown()
                    await asyncio.sleep(0.005)
                for server in self.servers:
                    await server.wait_closed()
        for connection in list(self.server_state.connections):
            connection.transport.close()
        for task in self.server_state.tasks:
            task.cancel()
        await self.lifespan.shutdown()


def run_server(settings: Settings, tls: bool = False) -> Iterator[LiveServer]:
    # Bound here and handed to uvicorn: a port only looked up as free could be taken by another
    # process before uvicorn binds it (it was, once, in a parallel run).
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    port: int = listening.getsockname()[1]
    settings.public_url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    app = create_app(settings)
    ca = None
    ssl: dict[str, str] = {}
    if tls:
        files = ensure_tls(settings.data_dir)
        ca = files.ca
        ssl = {"ssl_certfile": str(files.cert), "ssl_keyfile": str(files.key)}
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
        ws="websockets-sansio",  # as `ringway serve` (uvicorn's auto): the call page's audio
        **ssl,
    )  # fmt: skip
    server = QuickServer(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    scheme = "https" if tls else "http"
    try:
        yield LiveServer(f"{scheme}://127.0.0.1:{port}", port, app.platform, ca)
    finally:
        server.stop()
        thread.join(timeout=10)
        listening.close()


@pytest.fixture
def server(settings: Settings) -> Iterator[LiveServer]:
    yield from run_server(settings)


@pytest.fixture
def second_server(settings: Settings, server: LiveServer, tmp_path: Path) -> Iterator[LiveServer]:
    """Another server on the same database, with an engine of its own (as a second worker or
    node would be)."""
    yield from run_server(settings.model_copy(update={"data_dir": tmp_path / "second"}))


@pytest.fixture
def hooks() -> Iterator[Receiver]:
    """A real webhook receiver; every path answers 200 unless a test scripts it."""
    with threaded_receiver() as recorder:
        yield recorder


@pytest.fixture
def account(server: LiveServer) -> Credentials:
    return server.account()


@pytest.fixture
def api(server: LiveServer, account: Credentials) -> Iterator[httpx.Client]:
    """An HTTP client authenticated as a fresh account."""
    with server.client(account) as client:
        yield client
