"""The numbers table: inventory, ownership and routing. Claims are single conditional UPDATEs,
so two buyers racing for a number cannot both win."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from typing import Any

import sqlalchemy as sa

from ringway.domain.numbers import Number, NumberQuery, Routing
from ringway.storage.cache import ReadCache
from ringway.storage.database import Database
from ringway.storage.repositories import columns_of, record_of
from ringway.storage.tables import numbers

ROUTING = tuple(field.name for field in fields(Routing))


def _where(query: NumberQuery) -> list[Any]:
    """The SQL conditions of a query's filters."""
    clauses: list[Any] = []
    if query.country:
        clauses.append(numbers.c.country == query.country)
    if query.type:
        clauses.append(numbers.c.type == query.type)
    clauses += [numbers.c.features.contains(feature) for feature in query.features]
    if query.pattern:
        like = {0: "{}%", 1: "%{}%", 2: "%{}"}[query.search_pattern].format(query.pattern)
        clauses.append(numbers.c.msisdn.like(like))
    if query.application_id:
        clauses.append(numbers.c.app_id == query.application_id)
    if query.has_application is not None:
        has = numbers.c.app_id.is_not(None)
        clauses.append(has if query.has_application else sa.not_(has))
    return clauses


class NumberRepository:
    _by_msisdn = sa.select(numbers).where(numbers.c.msisdn == sa.bindparam("msisdn"))

    def __init__(self, db: Database, cache: ReadCache) -> None:
        self._db = db
        self._cache = cache

    def count(self) -> int:
        with self._db.read() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(numbers)).scalar_one())

    def add_missing(self, items: Iterable[Number]) -> int:
        """Insert the numbers not yet in the inventory; returns how many were new."""
        rows = [columns_of(number) for number in items]
        if not rows:
            return 0
        statement = self._db.upsert(numbers).on_conflict_do_nothing(index_elements=["msisdn"])
        with self._db.write() as conn:
            before = conn.execute(sa.select(sa.func.count()).select_from(numbers)).scalar_one()
            conn.execute(statement, rows)
            after = conn.execute(sa.select(sa.func.count()).select_from(numbers)).scalar_one()
        return int(after - before)

    def get(self, msisdn: str) -> Number | None:
        result: Number | None = self._cache.get(("number", msisdn), lambda: self._load(msisdn))
        return result

    def page(
        self, owner: str | None, query: NumberQuery, offset: int, limit: int
    ) -> tuple[int, list[Number]]:
        """Numbers owned by ``owner`` (``None``: the ones for sale) matching ``query``."""
        owned = numbers.c.account_id.is_(None) if owner is None else numbers.c.account_id == owner
        where = sa.and_(owned, *_where(query))
        with self._db.read() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(numbers).where(where))
            rows = conn.execute(
                sa.select(numbers)
                .where(where)
                .order_by(numbers.c.msisdn)
                .offset(offset)
                .limit(limit)
            ).all()
            return int(total.scalar_one()), [record_of(Number, row._mapping) for row in rows]

    def first_owned(self, account_id: str) -> str | None:
        """The account's lowest number, to call from when any will do."""
        with self._db.read() as conn:
            return conn.execute(
                sa.select(numbers.c.msisdn)
                .where(numbers.c.account_id == account_id)
                .order_by(numbers.c.msisdn)
                .limit(1)
            ).scalar()

    def claim(self, account_id: str, msisdn: str) -> bool:
        """Make ``account_id`` the owner if the number is for sale; ``False`` if it is not."""
        with self._db.write() as conn:
            result = conn.execute(
                sa.update(numbers)
                .where(numbers.c.msisdn == msisdn, numbers.c.account_id.is_(None))
                .values(account_id=account_id, **dict.fromkeys(ROUTING))
            )
        return result.rowcount == 1

    def release(self, account_id: str, msisdn: str) -> bool:
        """Put the account's number back on sale, forgetting its routing."""
        return self.set_routing(account_id, msisdn, {"account_id": None, **dict.fromkeys(ROUTING)})

    def set_routing(self, account_id: str, msisdn: str, values: dict[str, Any]) -> bool:
        """Replace the routing of a number the account owns; ``False`` if it owns no such number."""
        with self._db.write() as conn:
            result = conn.execute(
                sa.update(numbers)
                .where(numbers.c.msisdn == msisdn, numbers.c.account_id == account_id)
                .values(**values)
            )
        return result.rowcount == 1

    def _load(self, msisdn: str) -> Number | None:
        with self._db.read() as conn:
            row = conn.execute(self._by_msisdn, {"msisdn": msisdn}).first()
        return record_of(Number, row._mapping) if row else None
