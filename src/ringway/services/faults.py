"""Fault injection into an account's webhooks: set, list and delete faults, and pick the fault
(if any) that the engine or the outbox injects into a request."""

from __future__ import annotations

import secrets

from ringway.domain.errors import InvalidParameter, not_found, payload_invalid
from ringway.domain.faults import MAX_SEED, NAME, Fault, FaultSpec
from ringway.storage.database import Database
from ringway.storage.faults import FaultRepository


class FaultService:
    def __init__(self, db: Database, repository: FaultRepository) -> None:
        self._db = db
        self.repository = repository

    def put(self, account_id: str, name: str, spec: FaultSpec) -> Fault:
        """Set a fault by name (replacing one of that name); a probability without a seed gets
        a random one, shown, so that the run can be repeated."""
        if not NAME.fullmatch(name):
            reason = "must be 1 to 64 letters, digits, '.', '_' or '-'"
            raise payload_invalid([InvalidParameter("name", reason)])
        seed = spec.seed
        if spec.probability is not None and seed is None:
            seed = secrets.randbelow(MAX_SEED)
        fault = Fault(**{**spec.model_dump(), "seed": seed}, name=name, remaining=spec.times)
        self.repository.put(account_id, fault)
        return fault

    def list(self, account_id: str) -> list[Fault]:
        return self.repository.all(account_id)

    def get(self, account_id: str, name: str) -> Fault:
        fault = self.repository.get(account_id, name) if NAME.fullmatch(name) else None
        if fault is None:
            raise not_found("fault", name)
        return fault

    def delete(self, account_id: str, name: str) -> None:
        if not NAME.fullmatch(name) or not self.repository.delete(account_id, name):
            raise not_found("fault", name)

    async def pick(self, account_id: str, kind: str, url: str) -> Fault | None:
        """The fault to inject into a request of ``kind`` to ``url``: the oldest of the
        account's faults that matches it and, once the request is counted, takes it. With no
        faults this is one read-cache hit."""
        for fault in await self._db.run(self.repository.in_force, account_id):
            if fault.match.takes(kind, url):
                counted = await self._db.run(self.repository.count, account_id, fault.name)
                if counted is not None and counted.takes_last():
                    return counted
        return None
