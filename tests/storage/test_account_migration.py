"""Migration 0014 on a database made before it: each account's secret becomes its first listed
secret and still signs in, and the account starts with 10 EUR; it also goes down and up."""

from __future__ import annotations

import datetime as dt
from importlib import resources

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from ringway.config import Settings
from ringway.domain.applications import parse_application
from ringway.security import secrets
from ringway.services.platform import Platform
from ringway.storage.database import Database

pytestmark = pytest.mark.fresh_database


def alembic(db: Database, target: str, down: bool = False) -> None:
    config = Config()
    migrations = resources.files("ringway.storage") / "migrations"
    config.set_main_option("script_location", str(migrations))
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, target)


def test_an_older_account_keeps_its_secret_and_gets_a_balance(
    settings: Settings,
) -> None:
    db = Database(settings.resolved_database_url)
    try:
        alembic(db, "0012")
        salt = secrets.new_salt()
        with db.engine.begin() as conn:
            conn.execute(
                sa.text("INSERT INTO accounts (id, api_key, secret_salt, secret_hash, "
                        "signature_secret, created_at) VALUES ('a1', 'old00001', :salt, :hash, "
                        "'s' , :at)"),
                {"salt": salt, "hash": secrets.hash_secret("Old1secret", salt),
                 "at": dt.datetime(2026, 1, 2, tzinfo=dt.UTC)},
            )  # fmt: skip
        alembic(db, "head")
        alembic(db, "0012", down=True)
        alembic(db, "head")
    finally:
        db.dispose()
    platform = Platform.open(settings)
    try:
        account = platform.accounts.authenticate("old00001", "Old1secret")
        assert account is not None and account.balance == 10 * 10**8
        (secret,) = platform.accounts.secrets(account.id)
        assert secret.created_at == dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    finally:
        platform.close()


def test_going_down_and_up_keeps_an_accounts_applications(
    settings: Settings,
) -> None:
    """On SQLite, a migration that changes ``accounts`` copies it into a new table and drops the
    old one: with foreign keys on, that drop deleted every application with its account."""
    platform = Platform.open(settings)
    try:
        account = platform.accounts.create()
        platform.applications.create(account.account_id, parse_application({"name": "kept"}))
    finally:
        platform.close()
    db = Database(settings.resolved_database_url)
    try:
        alembic(db, "0012", down=True)
        db.migrate()
        if db.is_sqlite:  # the pool's connections still enforce foreign keys
            with db.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        db.dispose()
    platform = Platform.open(settings)
    try:
        (kept,) = platform.applications.list(account.account_id, 1, 10).items
        assert kept.name == "kept"
    finally:
        platform.close()
