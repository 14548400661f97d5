"""Repositories: the only code that speaks SQL. Hot reads go through the read cache."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa

from ringway.domain.accounts import MAX_SECRETS, AccountRow, SecretRow
from ringway.domain.applications import Application
from ringway.storage.cache import ReadCache
from ringway.storage.database import Database
from ringway.storage.tables import account_secrets, accounts, applications


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class AccountRepository:
    _by_key = sa.select(accounts).where(accounts.c.api_key == sa.bindparam("api_key"))
    _balance = sa.select(accounts.c.balance).where(accounts.c.id == sa.bindparam("id"))

    def __init__(self, db: Database, cache: ReadCache) -> None:
        self._db = db
        self._cache = cache

    def add(self, row: AccountRow) -> None:
        """A new account, with its API secret."""
        secret = SecretRow(str(uuid.uuid4()), row.id, row.secret_salt, row.secret_hash,
                           row.created_at)  # fmt: skip
        with self._db.write() as conn:
            conn.execute(sa.insert(accounts).values(**columns_of(row)))
            conn.execute(sa.insert(account_secrets).values(**columns_of(secret)))

    def verified(
        self, api_key: str, api_secret: str, check: Callable[[SecretRow, str], bool]
    ) -> AccountRow | None:
        """The account if ``check`` accepts the secret as one of its API secrets; successes
        are remembered until the next write anywhere, so that a known key/secret pair costs no
        hashing on later requests."""

        def load() -> AccountRow | None:
            account = self.by_api_key(api_key)
            if account is None:
                return None
            return account if any(check(s, api_secret) for s in self.secrets(account.id)) else None

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

    def secrets(self, account_id: str) -> list[SecretRow]:
        """The account's live API secrets, oldest first."""

        def load() -> list[SecretRow]:
            with self._db.read() as conn:
                rows = conn.execute(
                    sa.select(account_secrets)
                    .where(account_secrets.c.account_id == account_id)
                    .order_by(account_secrets.c.created_at, account_secrets.c.id)
                ).all()
            return [record_of(SecretRow, row._mapping) for row in rows]

        result: list[SecretRow] = self._cache.get(("secrets", account_id), load, rows=MAX_SECRETS)
        return result

    def set_secret(self, account_id: str, salt: str, secret_hash: str) -> None:
        """Replace every API secret of the account by this one."""
        with self._db.write() as conn:
            owned = account_secrets.c.account_id == account_id
            conn.execute(sa.delete(account_secrets).where(owned))
            self._add_secret(conn, account_id, salt, secret_hash)

    def add_secret(self, account_id: str, salt: str, secret_hash: str) -> SecretRow | None:
        """One more API secret; ``None`` when the account has ``MAX_SECRETS`` already."""
        with self._db.write() as conn:
            owned = account_secrets.c.account_id == account_id
            count = conn.execute(sa.select(sa.func.count()).where(owned)).scalar_one()
            if count >= MAX_SECRETS:
                return None
            return self._add_secret(conn, account_id, salt, secret_hash)

    def revoke_secret(self, account_id: str, secret_id: str) -> bool | None:
        """Revoke a secret: ``True`` done, ``False`` it is the last one (kept), ``None`` no
        such secret of the account."""
        with self._db.write() as conn:
            owned = account_secrets.c.account_id == account_id
            live = conn.execute(
                sa.select(account_secrets).where(owned).order_by(account_secrets.c.created_at)
            ).all()
            if secret_id not in {row.id for row in live}:
                return None
            if len(live) == 1:
                return False
            conn.execute(sa.delete(account_secrets).where(account_secrets.c.id == secret_id))
            newest = [row for row in live if row.id != secret_id][-1]
            self._mirror(conn, account_id, newest.salt, newest.hash)
            return True

    def _add_secret(
        self, conn: sa.Connection, account_id: str, salt: str, secret_hash: str
    ) -> SecretRow:
        row = SecretRow(str(uuid.uuid4()), account_id, salt, secret_hash, utcnow())
        conn.execute(sa.insert(account_secrets).values(**columns_of(row)))
        self._mirror(conn, account_id, salt, secret_hash)
        return row

    @staticmethod
    def _mirror(conn: sa.Connection, account_id: str, salt: str, secret_hash: str) -> None:
        conn.execute(
            sa.update(accounts)
            .where(accounts.c.id == account_id)
            .values(secret_salt=salt, secret_hash=secret_hash)
        )

    def set_sms_settings(self, account_id: str, **values: str | None) -> None:
        """``mo_callback_url``, ``dr_callback_url``, ``sms_signature_method``."""
        with self._db.write() as conn:
            conn.execute(sa.update(accounts).where(accounts.c.id == account_id).values(**values))

    def top_up(self, account_id: str, amount: int) -> int:
        """Add ``amount`` (hundred-millionths of a euro) to the balance; the new balance."""
        with self._db.write() as conn:
            return charge(conn, account_id, -amount) or 0

    def balance(self, account_id: str) -> int:
        """The balance as stored now. Not from the cache: calls ending change it, and the
        journal's writes, many a second, leave cached accounts in place (their ``balance`` is
        as it was when they were read)."""
        with self._db.read() as conn:
            found = conn.execute(self._balance, {"id": account_id}).scalar()
        return int(found or 0)

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
            _count_applications(conn, app.account_id, 1)

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
        # The account keeps its count of applications; a search counts what it finds.
        counted = sa.select(accounts.c.application_count).where(accounts.c.id == account_id)
        if name:
            owned &= applications.c.name.icontains(name, autoescape=True)
            counted = sa.select(sa.func.count()).select_from(applications).where(owned)
        order = (applications.c.created_at, applications.c.id)
        with self._db.read() as conn:
            total = int(conn.execute(counted).scalar() or 0)
            # A page in the later half is read from the end, so the last page costs what the
            # first does (an offset steps through every row it skips).
            backwards = offset > total // 2
            if backwards:
                offset, limit = max(total - offset - limit, 0), max(min(limit, total - offset), 0)
            rows = conn.execute(
                sa.select(applications)
                .where(owned)
                .order_by(*(column.desc() for column in order) if backwards else order)
                .offset(offset)
                .limit(limit)
            ).all()
        found = [record_of(Application, row._mapping) for row in rows]
        return total, found[::-1] if backwards else found

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
            if result.rowcount == 1:
                _count_applications(conn, account_id, -1)
        return result.rowcount == 1

    def _load(self, app_id: str) -> Application | None:
        if not _is_uuid(app_id):
            return None  # ids are UUIDs: anything else names no application
        with self._db.read() as conn:
            row = conn.execute(self._by_id, {"id": app_id}).first()
        return record_of(Application, row._mapping) if row else None


def _count_applications(conn: sa.Connection, account_id: str, change: int) -> None:
    """Keep ``accounts.application_count`` (the list's ``total_items``, which counting the
    rows would make cost as much as the account has applications), in the write's
    transaction."""
    conn.execute(
        sa.update(accounts)
        .where(accounts.c.id == account_id)
        .values(application_count=accounts.c.application_count + change)
    )


def charge(
    conn: sa.Connection, account_id: str, amount: int, *, covered: bool = False
) -> int | None:
    """Take ``amount`` (hundred-millionths of a euro) from the account's balance inside the
    caller's transaction; the balance left, or ``None`` if ``covered`` and the balance is less
    than ``amount`` (then nothing is taken)."""
    where = accounts.c.id == account_id
    if covered:
        where &= accounts.c.balance >= amount
    left = conn.execute(
        sa.update(accounts)
        .where(where)
        .values(balance=accounts.c.balance - amount)
        .returning(accounts.c.balance)
    ).scalar()
    return None if left is None else int(left)


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
        name: aware(value) if isinstance(value, dt.datetime) else value
        for name in cls.__slots__  # type: ignore[attr-defined]
        for value in (mapping[name],)
    }
    return cls(**values)
