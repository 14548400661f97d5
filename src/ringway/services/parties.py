"""Simulated parties of one kind (virtual phones, message recipients): how each address of an
account behaves, or the default for an address never set."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel

from ringway.domain.errors import InvalidParameter, not_found, payload_invalid
from ringway.domain.ncco import MAX_ADDRESS
from ringway.storage.behaviours import Behaviours
from ringway.storage.database import Database

M = TypeVar("M", bound=BaseModel)


class Parties(Generic[M]):
    def __init__(self, db: Database, table: sa.Table, model: type[M], kind: str) -> None:
        self._store = Behaviours(db, table)
        self.model = model
        self.kind = kind

    def all(self, account_id: str) -> dict[str, Any]:
        """Every address with a behaviour of its own."""
        return self._store.all(account_id)

    def get(self, account_id: str, address: str, default: M | None = None) -> M:
        stored = self._store.get(account_id, address)
        if stored is not None:
            return self.model.model_validate(stored)
        return default if default is not None else self.model()

    def set(self, account_id: str, address: str, behaviour: M) -> None:
        if not 0 < len(address) <= MAX_ADDRESS or "\x00" in address:
            raise payload_invalid(
                [InvalidParameter("address", f"must be 1 to {MAX_ADDRESS} characters")]
            )
        self._store.set(account_id, address, behaviour.model_dump(mode="json"))

    def delete(self, account_id: str, address: str) -> None:
        if not self._store.delete(account_id, address):
            raise not_found(self.kind, address)
