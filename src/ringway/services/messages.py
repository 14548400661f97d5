"""Messages: sending (to simulated recipients, or to numbers on ringway), simulated inbound
messages, and the record of both. Every webhook they cause goes through the outbox."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from ringway.domain.applications import Application
from ringway.domain.errors import InvalidParameter, not_found, not_routed
from ringway.domain.messages import (
    PRICE,
    Message,
    Recipient,
    StatusStep,
    inbound_body,
    invalid_params,
    parse_message,
    status_body,
    status_steps,
)
from ringway.services.deliveries import DeliveryLog, DeliveryService, new_delivery
from ringway.services.parties import Parties
from ringway.storage.database import Database
from ringway.storage.deliveries import NewDelivery
from ringway.storage.messages import MessageRecord, MessageRepository
from ringway.storage.numbers import NumberRepository
from ringway.storage.repositories import EURO, ApplicationRepository, utcnow
from ringway.storage.tables import recipients


def _messages_of(app: Application | None) -> dict[str, Any]:
    return (app.capabilities.get("messages") or {}) if app else {}


def _hook(app: Application | None, name: str) -> str | None:
    webhook = app.webhook("messages", name) if app is not None else None
    return str(webhook["address"]) if webhook else None


class MessageService:
    def __init__(
        self,
        db: Database,
        messages: MessageRepository,
        numbers: NumberRepository,
        applications: ApplicationRepository,
        deliveries: DeliveryService,
    ) -> None:
        self._messages = messages
        self._numbers = numbers
        self._applications = applications
        self._deliveries = deliveries
        self.recipients = Parties(db, recipients, Recipient, "recipient")
        # An SMS to a number no messages application takes goes through the SMS API (set by
        # the platform): (account_id, from, to, text).
        self.sms_inbound: Callable[[str, str, str, str], MessageRecord] | None = None

    # -- sending -------------------------------------------------------------------------

    def send(self, account_id: str, application: Application | None, body: Any) -> MessageRecord:
        """``POST /v1/messages``: a number on ringway linked to a messages application gets it
        as an inbound message; anyone else is a simulated recipient."""
        message = parse_message(body)
        now, message_uuid = utcnow(), str(uuid.uuid4())
        records: list[MessageRecord] = []
        items: list[NewDelivery] = []
        far = self._linked(message.to)
        if far is not None:
            # What the far side gets is the message, not the sender's reference or webhooks.
            arriving = replace(message, client_ref=None, webhook_url=None, webhook_version=None)
            records_in, items_in = self._inbound(far, arriving, now)
            records += records_in
            items += items_in
            steps = [StatusStep("submitted", now), StatusStep("delivered", now)]
        else:
            steps = status_steps(message.channel, self.recipients.get(account_id, message.to), now)
        url = message.webhook_url or _hook(application, "status_url")
        version = message.webhook_version or _messages_of(application).get("version", "v1")
        app_id = application.id if application else None
        if url is not None:
            items += [
                _delivery(account_id, app_id, "message-status", message_uuid, url,
                          status_body(message_uuid, message, step, version), step.at)
                for step in steps
            ]  # fmt: skip
        record = _record(message_uuid, account_id, app_id, "outbound", message, now, steps)
        self._messages.add([record, *records], items, cost=round(Decimal(PRICE["price"]) * EURO))
        self._deliveries.wake()
        return record

    def receive(self, account_id: str, body: Any) -> MessageRecord:
        """A simulated inbound message, to the application linked to its ``to`` number (or the
        one ``application_id`` names, for a channel address that is not a number)."""
        api = body.get("api") if isinstance(body, dict) else None
        if api not in (None, "sms", "messages"):
            raise invalid_params([InvalidParameter("api", "must be sms or messages")])
        message = parse_message(body, inbound=True)
        app = self._linked(message.to, account_id) if api != "sms" else None
        if app is None and api != "sms" and isinstance(body, dict) and body.get("application_id"):
            app = self._applications.get(str(body["application_id"]))
            if app is None or app.account_id != account_id:
                raise not_found("application", str(body["application_id"]))
            if _hook(app, "inbound_url") is None:
                app = None
        if app is None and message.channel == "sms" and api != "messages" and self.sms_inbound:
            return self.sms_inbound(account_id, message.from_, message.to, message.content["text"])
        if app is None:
            raise not_routed(message.to, "is not linked to an application with a messages "
                             "inbound_url")  # fmt: skip
        records, items = self._inbound(app, message, utcnow())
        self._messages.add(records, items)
        self._deliveries.wake()
        return records[0]

    def _linked(self, address: str, account_id: str | None = None) -> Application | None:
        """The messages application a number on ringway is linked to (of ``account_id`` if
        given: a simulated message reaches only the account's own numbers)."""
        number = self._numbers.get(address)
        if number is None or number.app_id is None or number.account_id is None:
            return None
        if account_id is not None and number.account_id != account_id:
            return None
        app = self._applications.get(number.app_id)
        return app if _hook(app, "inbound_url") is not None else None

    def _inbound(
        self, app: Application, message: Message, now: datetime
    ) -> tuple[list[MessageRecord], list[NewDelivery]]:
        message_uuid = str(uuid.uuid4())
        version = _messages_of(app).get("version", "v1")
        url = _hook(app, "inbound_url")
        assert url is not None
        body = inbound_body(message_uuid, message, now, version)
        delivery = _delivery(app.account_id, app.id, "message-inbound", message_uuid, url, body,
                             now)  # fmt: skip
        steps = [StatusStep("received", now)]
        record = _record(message_uuid, app.account_id, app.id, "inbound", message, now, steps)
        return [record], [delivery]

    # -- reading -------------------------------------------------------------------------

    def get(self, account_id: str, message_uuid: str) -> tuple[MessageRecord, list[DeliveryLog]]:
        record = self._messages.get(account_id, message_uuid)
        if record is None:
            raise not_found("message", message_uuid)
        return record, self._deliveries.of_subjects(account_id, [message_uuid])[message_uuid]

    def page(
        self, account_id: str, offset: int, limit: int
    ) -> tuple[int, list[tuple[MessageRecord, list[DeliveryLog]]]]:
        total, records = self._messages.page(account_id, offset, limit)
        logs = self._deliveries.of_subjects(account_id, [r.uuid for r in records])
        return total, [(r, logs[r.uuid]) for r in records]


def _delivery(
    account_id: str, app_id: str | None, kind: str, subject: str, url: str,
    body: dict[str, Any], due: datetime,
) -> NewDelivery:  # fmt: skip
    """Message webhooks are always signed (wire §10)."""
    return new_delivery(account_id, app_id, kind, subject, url, body, True, due)


def _record(
    message_uuid: str, account_id: str, app_id: str | None, direction: str, message: Message,
    now: datetime, steps: list[StatusStep],
) -> MessageRecord:  # fmt: skip
    history = [{"status": s.status, "at": s.at.isoformat(),
                **({"error": s.error} if s.error is not None else {})} for s in steps]  # fmt: skip
    return MessageRecord(
        message_uuid, account_id, app_id, direction, message.channel, message.message_type,
        message.from_, message.to, message.client_ref, message.content, history, now,
    )  # fmt: skip
