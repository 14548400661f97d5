"""Repositories: the only code that speaks SQL. Hot reads go through the read cache."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa

from ringway.domain.applications import Application
from ringway.storage.cache import ReadCache
from ringway.storage.database import Database
from ringway.storage.tables import accounts, applications


@dataclass(frozen=True, slots=True)
class AccountRow:
    id: str
    api_key: str
    secret_salt: str
    secret_hash: str
    signature_secret: str
    created_at: dt.datetime


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class AccountRepository:
    _by_key = sa.select(accounts).where(accounts.c.api_key == sa.bindparam("api_key"))

    def __init__(self, db: Database, cache: ReadCache) -> None:
        self._db = db
        self._cache = cache

    def add(self, row: AccountRow) -> None:
        with self._db.write() as conn:
            conn.execute(sa.insert(accounts).values(**columns_of(row)))

    def verified(
        self, api_key: str, api_secret: str, check: Callable[[AccountRow, str], bool]
    ) -> AccountRow | None:
        """The account if ``check`` accepts the secret; successes are remembered until the next
        write anywhere, so that a known key/secret pair costs no hashing on later requests."""

        def load() -> AccountRow | None:
            account = self.by_api_key(api_key)
            return account if account is not None and check(account, api_secret) else None

        result: AccountRow | None = self._cache.get(("verified", api_key, api_secret), load)
        return result

    def by_api_key(self, api_key: str) -> AccountRow | None:
        result: AccountRow | None = self._cache.get(
            ("account", api_key), lambda: self._load(api_key)
        )
        return result

    def by_id(self, account_id: str) -> AccountRow | None:
        def load() -> AccountRow | None:
            with self._db.read() as conn:
                row = conn.execute(sa.select(accounts).where(accounts.c.id == account_id)).first()
            return record_of(AccountRow, row._mapping) if row else None

        result: AccountRow | None = self._cache.get(("account-id", account_id), load)
        return result

    def all(self) -> list[AccountRow]:
        with self._db.read() as conn:
            rows = conn.execute(sa.select(accounts).order_by(accounts.c.created_at)).all()
        return [record_of(AccountRow, row._mapping) for row in rows]

    def count(self) -> int:
        with self._db.read() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(accounts)).scalar_one())

    def set_secret(self, account_id: str, salt: str, secret_hash: str) -> None:
        with self._db.write() as conn:
            conn.execute(
                sa.update(accounts)
                .where(accounts.c.id == account_id)
                .values(secret_salt=salt, secret_hash=secret_hash)
            )

    def set_signature_secret(self, account_id: str, signature_secret: str) -> None:
        with self._db.write() as conn:
            conn.execute(
                sa.update(accounts)
                .where(accounts.c.id == account_id)
                .values(signature_secret=signature_secret)
            )

    def _load(self, api_key: str) -> AccountRow | None:
        with self._db.read() as conn:
            row = conn.execute(self._by_key, {"api_key": api_key}).first()
        return record_of(AccountRow, row._mapping) if row else None


class ApplicationRepository:
    _by_id = sa.select(applications).where(applications.c.id == sa.bindparam("id"))

    def __init__(self, db: Database, cache: ReadCache) -> None:
        self._db = db
        self._cache = cache

    def add(self, app: Application) -> None:
        with self._db.write() as conn:
            conn.execute(
                sa.insert(applications).values(**columns_of(app), updated_at=app.created_at)
            )

    def get(self, app_id: str) -> Application | None:
        result: Application | None = self._cache.get(
            ("application", app_id), lambda: self._load(app_id)
        )
        return result

    def page(
        self, account_id: str, offset: int, limit: int, name: str = ""
    ) -> tuple[int, list[Application]]:
        """The account's applications in creation order, and how many it has in all; with
        ``name``, only those whose name contains it (in any case): a search is not cached, as
        its key is whatever was typed."""
        if name:
            return self._load_page(account_id, offset, limit, name)
        result: tuple[int, list[Application]] = self._cache.get(
            ("page", account_id, offset, limit),
            lambda: self._load_page(account_id, offset, limit, name),
            rows=1 + limit,
        )
        return result

    def _load_page(
        self, account_id: str, offset: int, limit: int, name: str
    ) -> tuple[int, list[Application]]:
        owned = applications.c.account_id == account_id
        if name:
            owned &= applications.c.name.icontains(name, autoescape=True)
        with self._db.read() as conn:
            total = conn.execute(
                sa.select(sa.func.count()).select_from(applications).where(owned)
            ).scalar_one()
            rows = conn.execute(
                sa.select(applications)
                .where(owned)
                .order_by(applications.c.created_at, applications.c.id)
                .offset(offset)
                .limit(limit)
            ).all()
        return int(total), [record_of(Application, row._mapping) for row in rows]

    def replace(self, app: Application) -> bool:
        fields = columns_of(app)
        del fields["created_at"]
        with self._db.write() as conn:
            result = conn.execute(
                sa.update(applications)
                .where(applications.c.id == app.id, applications.c.account_id == app.account_id)
                .values(**fields, updated_at=utcnow())
            )
        return result.rowcount == 1

    def delete(self, account_id: str, app_id: str) -> bool:
        with self._db.write() as conn:
            result = conn.execute(
                sa.delete(applications).where(
                    applications.c.id == app_id, applications.c.account_id == account_id
                )
            )
        return result.rowcount == 1

    def _load(self, app_id: str) -> Application | None:
        if not _is_uuid(app_id):
            return None  # ids are UUIDs: anything else names no application
        with self._db.read() as conn:
            row = conn.execute(self._by_id, {"id": app_id}).first()
        return record_of(Application, row._mapping) if row else None


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def columns_of(record: Any) -> dict[str, Any]:
    """The column values of a row dataclass."""
    return {name: getattr(record, name) for name in record.__slots__}


R = TypeVar("R")


def record_of(cls: type[R], mapping: Any) -> R:
    """A row dataclass from a result row (SQLite hands back naive datetimes: they are UTC)."""
    values = {
        name: _aware(value) if isinstance(value, dt.datetime) else value
        for name in cls.__slots__  # type: ignore[attr-defined]
        for value in (mapping[name],)
    }
    return cls(**values)
