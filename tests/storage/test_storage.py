"""Storage on both databases: migrations, the read cache and what it notices."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import uuid
from importlib import resources

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from ringway.config import Settings
from ringway.domain.applications import ApplicationIn
from ringway.services.platform import Platform
from ringway.storage.account_data import AccountData
from ringway.storage.cache import ReadCache
from ringway.storage.database import Database
from ringway.storage.repositories import ApplicationRepository
from ringway.storage.sessions import SessionRepository
from ringway.storage.tables import dashboard_sessions
from tests.conftest import eventually, retained
from tests.storage.test_account_migration import alembic


@pytest.mark.fresh_database
def test_migrations_are_idempotent_and_reach_the_newest_revision(
    settings: Settings,
) -> None:
    for _ in range(2):
        platform = Platform.open(settings)
        platform.close()
    platform = Platform.open(settings)
    try:
        with platform.db.read() as conn:
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
        script = ScriptDirectory(str(resources.files("ringway.storage") / "migrations"))
        assert version == script.get_current_head()
        assert sa.inspect(platform.db.engine).has_table("numbers")
    finally:
        platform.close()


def test_reads_after_writes_in_one_process(platform: Platform) -> None:
    account = platform.accounts.create()
    app, _ = platform.applications.create(account.account_id, ApplicationIn(name="one"))
    assert platform.applications.get(account.account_id, app.id).name == "one"
    platform.applications.replace(account.account_id, app.id, ApplicationIn(name="two"))
    assert platform.applications.get(account.account_id, app.id).name == "two"
    platform.applications.delete(account.account_id, app.id)
    page = platform.applications.list(account.account_id, 1, 10)
    assert page.total_items == 0


def test_pages_of_the_later_half_read_from_the_end_list_the_same_order(
    platform: Platform,
) -> None:
    account = platform.accounts.create().account_id
    made = [platform.applications.create(account, ApplicationIn(name=f"app {n}"))[0].id
            for n in range(7)]  # fmt: skip
    for size in (1, 2, 3, 7, 10):
        pages = [platform.applications.list(account, page, size) for page in range(1, 9)]
        assert [app.id for page in pages for app in page.items] == made
        assert {page.total_items for page in pages} == {7}
    assert [a.name for a in platform.applications.list(account, 2, 2, "APP").items] == [
        "app 2", "app 3"]  # fmt: skip


def test_dashboard_sessions_end_expire_and_are_swept(platform: Platform) -> None:
    account = platform.accounts.create().account_id
    sessions = SessionRepository(platform.db, platform.cache)
    expired = sessions.start(account, dt.timedelta(seconds=-1))
    assert sessions.get(expired.id) is None
    one = sessions.start(account, dt.timedelta(hours=1))
    two = sessions.start(account, dt.timedelta(hours=1), ending=one.id)
    assert sessions.get(one.id) is None
    assert sessions.get(two.id) == two
    with platform.db.read() as conn:
        kept = conn.execute(sa.select(dashboard_sessions.c.id)).scalars().all()
    assert kept == [two.id]  # the expired session was swept when the next one started
    sessions.end(two.id)
    assert sessions.get(two.id) is None


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_sqlite_cache_notices_a_write_by_another_program(platform: Platform) -> None:
    account = platform.accounts.create()
    app, _ = platform.applications.create(account.account_id, ApplicationIn(name="cached"))
    assert platform.applications.get(account.account_id, app.id).name == "cached"
    path = platform.db.url.database
    assert path
    with sqlite3.connect(path) as outsider:
        outsider.execute("UPDATE applications SET name = 'edited' WHERE id = ?", (app.id,))
    assert platform.applications.get(account.account_id, app.id).name == "edited"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_thread_copies_the_wal_into_the_database_file(platform: Platform) -> None:
    """Commits leave their pages in the WAL (this writer never checkpoints itself); the
    checkpoint thread the journal runs copies them into the database file."""
    path = platform.db.url.database
    assert path
    writer = sqlite3.connect(path)
    try:
        writer.execute("PRAGMA wal_autocheckpoint=0")
        writer.execute("CREATE TABLE filler (data BLOB)")
        writer.commit()
        before = os.path.getsize(path)
        writer.executemany("INSERT INTO filler VALUES (?)", [(os.urandom(4096),)] * 256)
        writer.commit()
        assert os.path.getsize(path) == before  # a megabyte, all of it in the WAL
        checkpoints = platform.db.checkpoints()
        assert checkpoints is not None
        try:
            eventually(lambda: os.path.getsize(path) > before + 1_000_000, what="the WAL copied")
        finally:
            checkpoints.stop()
    finally:
        writer.close()


def test_guessed_keys_and_ids_leave_nothing_in_memory(platform: Platform) -> None:
    """What an unauthenticated request names (an api_key, a token's application_id) is not
    remembered when nothing has it: 300 guesses of 20 kB each would otherwise keep 6 MB."""
    account = platform.accounts.create()
    assert platform.accounts.authenticate(account.api_key, account.api_secret) is not None

    def guess() -> None:
        for n in range(300):
            key = f"{n:06d}" + "k" * 20_000
            assert platform.accounts.authenticate(key, "secret") is None
            assert platform.accounts.find(key) is None
            assert platform.applications.find(key) is None
            assert platform.applications.find(str(uuid.uuid4())) is None

    assert retained(guess) < 1_000_000


def test_the_read_cache_holds_a_bounded_number_of_rows(platform: Platform) -> None:
    """A page counts as the rows it may hold, and a search (its key is whatever was typed) is
    not kept, so an account's list requests cannot fill memory however many they are: 200
    pages of 20 applications and 200 searches of 10 kB would otherwise keep 8 MB."""
    cache = ReadCache(platform.db.change_watcher(), 500)
    repository = ApplicationRepository(platform.db, cache)
    account = platform.accounts.create()
    for n in range(20):
        platform.applications.create(account.account_id, ApplicationIn(name=f"app {n}"))

    def browse() -> None:
        for limit in range(1, 201):
            assert repository.page(account.account_id, 0, limit)[0] == 20
            assert repository.page(account.account_id, 0, limit, "x" * 10_000)[0] == 0

    try:
        assert retained(browse) < 1_000_000
    finally:
        cache.close()


def test_the_account_keeps_its_count_of_applications(platform: Platform) -> None:
    account = platform.accounts.create().account_id
    made = [platform.applications.create(account, ApplicationIn(name="a"))[0] for _ in range(3)]
    platform.applications.delete(account, made[0].id)
    assert platform.applications.list(account, 1, 10).total_items == 2
    AccountData(platform.db).wipe(account)
    assert platform.applications.list(account, 1, 10).total_items == 0
    platform.applications.create(account, ApplicationIn(name="b"))
    assert platform.applications.list(account, 1, 10).total_items == 1


@pytest.mark.fresh_database
def test_migration_0015_counts_the_applications_accounts_already_have(
    settings: Settings,
) -> None:
    db = Database(settings.resolved_database_url)
    try:
        alembic(db, "0014")
        at = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO accounts (id, api_key, secret_salt, secret_hash, "
                    "signature_secret, created_at) VALUES ('a1', 'old00001', 's', 'h', 's', :at)"
                ),
                {"at": at},
            )
            for _ in range(2):
                conn.execute(sa.text(
                    "INSERT INTO applications (id, account_id, name, public_key, capabilities, "
                    "improve_ai, created_at, updated_at) VALUES (:id, 'a1', 'x', 'k', '{}', "
                    "false, :at, :at)"), {"id": str(uuid.uuid4()), "at": at})  # fmt: skip
        alembic(db, "head")
        with db.engine.connect() as conn:
            count = conn.execute(sa.text("SELECT application_count FROM accounts")).scalar()
        assert count == 2
        alembic(db, "0014", down=True)
        alembic(db, "head")
    finally:
        db.dispose()
