"""Deliveries: the outbox's log of asynchronous webhooks, every attempt of each, and replays."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import orjson

from ringway.domain.deliveries import Delivery, DeliveryAttempt, DeliveryLog, NewDelivery
from ringway.domain.errors import not_found
from ringway.engine.outbox import Outbox
from ringway.engine.webhooks import Signer
from ringway.security.signing import callback_signer
from ringway.storage.database import Database
from ringway.storage.deliveries import DeliveryRepository
from ringway.storage.repositories import AccountRepository


def new_delivery(
    account_id: str, app_id: str | None, kind: str, subject: str, url: str,
    body: dict[str, Any], signed: bool, due: datetime,
) -> NewDelivery:  # fmt: skip
    """A delivery of ``body`` as JSON, due at ``due``, with a fresh id."""
    return NewDelivery(str(uuid.uuid4()), account_id, app_id, kind, subject, url,
                       orjson.dumps(body), signed, due)  # fmt: skip


class DeliveryService:
    def __init__(
        self, db: Database, deliveries: DeliveryRepository, accounts: AccountRepository
    ) -> None:
        self._db = db
        self.repository = deliveries
        self._accounts = accounts
        self.outbox: Outbox | None = None  # runs inside the server

    def wake(self) -> None:
        """Something was enqueued: send it now rather than at the next poll."""
        if self.outbox is not None:
            self.outbox.wake()

    async def signer(self, delivery: Delivery) -> Signer | None:
        """Signs with the account's signature secret (wire §10)."""
        account = await self._db.run(self._accounts.by_id, delivery.account_id)
        if account is None:
            return None
        return callback_signer(
            account.signature_secret, account.api_key, delivery.application_id or ""
        )

    def page(
        self, account_id: str, state: str | None, kind: str | None, offset: int, limit: int
    ) -> tuple[int, list[DeliveryLog]]:
        """The newest deliveries, of one ``state`` and ``kind`` if given."""
        total, items = self.repository.page(account_id, state, kind, offset, limit)
        return total, self._logs(items)

    def get(self, account_id: str, uuid: str) -> DeliveryLog:
        delivery = self.repository.get(account_id, uuid)
        if delivery is None:
            raise not_found("delivery", uuid)
        return self._logs([delivery])[0]

    def of_subjects(self, account_id: str, subjects: list[str]) -> dict[str, list[DeliveryLog]]:
        """The deliveries of each subject (a message, a conversation), in two queries."""
        found: dict[str, list[DeliveryLog]] = {subject: [] for subject in subjects}
        for log in self._logs(self.repository.for_subjects(account_id, subjects)):
            found[log.delivery.subject].append(log)
        return found

    def retry(self, account_id: str, uuid: str) -> DeliveryLog:
        if not self.repository.retry(account_id, uuid):
            raise not_found("delivery", uuid)
        self.wake()
        return self.get(account_id, uuid)

    def _logs(self, items: list[Delivery]) -> list[DeliveryLog]:
        by_delivery: dict[int, list[DeliveryAttempt]] = {d.id: [] for d in items}
        for attempt in self.repository.attempts(list(by_delivery)):
            by_delivery[attempt.delivery_id].append(attempt)
        return [DeliveryLog(d, by_delivery[d.id]) for d in items]
