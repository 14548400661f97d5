"""Injected faults, per account and name. The faults still in force are read through the read
cache (an account with none costs a cache hit per webhook); each request a fault takes is
counted by one atomic update, so ``times`` holds across every process on the database."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ringway.domain.faults import Fault
from ringway.storage.cache import ReadCache
from ringway.storage.database import Database
from ringway.storage.repositories import utcnow
from ringway.storage.tables import faults

_IN_FORCE = sa.or_(faults.c.remaining.is_(None), faults.c.remaining > 0)


class FaultRepository:
    def __init__(self, db: Database, cache: ReadCache) -> None:
        self._db = db
        self._cache = cache

    def put(self, account_id: str, fault: Fault) -> None:
        """Set the fault, replacing one of the same name (and its counts)."""
        values = {"spec": fault.model_dump(mode="json", include={"match", "action", "times",
                                                                 "probability", "seed"}),
                  "remaining": fault.times, "matched": 0, "created_at": utcnow()}  # fmt: skip
        statement = self._db.upsert(faults).values(account_id=account_id, name=fault.name, **values)
        with self._db.write() as conn:
            conn.execute(
                statement.on_conflict_do_update(index_elements=["account_id", "name"], set_=values)
            )

    def all(self, account_id: str) -> list[Fault]:
        """Every fault of the account, used up or not, oldest first."""
        return self._select(faults.c.account_id == account_id)

    def get(self, account_id: str, name: str) -> Fault | None:
        found = self._select(faults.c.account_id == account_id, faults.c.name == name)
        return found[0] if found else None

    def delete(self, account_id: str, name: str) -> bool:
        with self._db.write() as conn:
            result = conn.execute(
                sa.delete(faults).where(faults.c.account_id == account_id, faults.c.name == name)
            )
        return result.rowcount == 1

    def in_force(self, account_id: str) -> tuple[Fault, ...]:
        """The faults that may still take a request, oldest first; cached, an empty tuple
        included."""
        result: tuple[Fault, ...] = self._cache.get(
            ("faults", account_id),
            lambda: tuple(self._select(faults.c.account_id == account_id, _IN_FORCE)),
        )
        return result

    def count(self, account_id: str, name: str) -> Fault | None:
        """Count a request the fault matched (one fewer ``remaining``): the fault as it is now,
        or ``None`` when it is used up or gone."""
        where = (faults.c.account_id == account_id, faults.c.name == name, _IN_FORCE)
        with self._db.write() as conn:
            row = conn.execute(
                sa.update(faults).where(*where)
                .values(matched=faults.c.matched + 1, remaining=faults.c.remaining - 1)
                .returning(*faults.c)
            ).first()  # fmt: skip
        return _fault(row._mapping) if row else None

    def _select(self, *where: Any) -> list[Fault]:
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(faults).where(*where).order_by(faults.c.created_at, faults.c.name)
            ).all()
        return [_fault(row._mapping) for row in rows]


def _fault(row: Any) -> Fault:
    return Fault.model_validate(
        {**row["spec"], "name": row["name"], "remaining": row["remaining"],
         "matched": row["matched"]}
    )  # fmt: skip
