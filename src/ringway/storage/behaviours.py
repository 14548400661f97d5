"""How simulated parties behave, per account and address: virtual phones for calls,
recipients for messages. Each kind has a table of the same shape."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ringway.storage.database import Database


class Behaviours:
    def __init__(self, db: Database, table: sa.Table) -> None:
        self._db = db
        self._table = table

    def get(self, account_id: str, address: str) -> dict[str, Any] | None:
        t = self._table
        with self._db.read() as conn:
            row = conn.execute(
                sa.select(t.c.behaviour).where(t.c.account_id == account_id, t.c.address == address)
            ).first()
        return dict(row.behaviour) if row else None

    def all(self, account_id: str) -> dict[str, dict[str, Any]]:
        t = self._table
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(t).where(t.c.account_id == account_id).order_by(t.c.address)
            ).all()
        return {row.address: dict(row.behaviour) for row in rows}

    def set(self, account_id: str, address: str, behaviour: dict[str, Any]) -> None:
        statement = self._db.upsert(self._table).values(
            account_id=account_id, address=address, behaviour=behaviour
        )
        with self._db.write() as conn:
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["account_id", "address"], set_={"behaviour": behaviour}
                )
            )

    def delete(self, account_id: str, address: str) -> bool:
        t = self._table
        with self._db.write() as conn:
            result = conn.execute(
                sa.delete(t).where(t.c.account_id == account_id, t.c.address == address)
            )
        return result.rowcount == 1
