"""Messages: sending (to simulated recipients, or to numbers on ringway), simulated inbound
messages, and the record of both. Every webhook they cause goes through the outbox."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson

from ringway.domain.accounts import EURO
from ringway.domain.applications import Application
from ringway.domain.deliveries import DeliveryLog, NewDelivery
from ringway.domain.errors import InvalidParameter, not_found, not_routed
from ringway.domain.messages import (
    FAILURES,
    PRICE,
    SETTLED,
    Message,
    MessageRecord,
    Recipient,
    StatusStep,
    already_delivered,
    inbound_body,
    invalid_params,
    parse_failover,
    parse_message,
    parse_update,
    reached,
    status_body,
    status_steps,
)
from ringway.services.deliveries import DeliveryService, new_delivery
from ringway.services.parties import Parties
from ringway.storage.database import Database
from ringway.storage.messages import MessageRepository
from ringway.storage.numbers import NumberRepository
from ringway.storage.repositories import ApplicationRepository, utcnow
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

    def send(
        self, account_id: str, application: Application | None, body: Any
    ) -> tuple[MessageRecord, str | None]:
        """``POST /v1/messages``: a number on ringway linked to a messages application gets it
        as an inbound message; anyone else is a simulated recipient. With ``failover``, each
        next message is sent when the one before ends rejected (its ttl run out too) or
        undeliverable. The first message, and the workflow's id if there is one."""
        chain = [parse_message(body), *parse_failover(body)]
        workflow_id = _workflow_id() if len(chain) > 1 else None
        start = utcnow()
        records: list[MessageRecord] = []
        items: list[NewDelivery] = []
        for number, message in enumerate(chain, 1):
            workflow = None if workflow_id is None else {
                "id": workflow_id, "item_number": str(number), "total_items": str(len(chain)),
            }  # fmt: skip
            steps = self._send_one(account_id, application, message, start, workflow, records,
                                   items)  # fmt: skip
            if steps[-1].status not in FAILURES:
                break
            start = steps[-1].at
        self._messages.add(records, items, cost=round(Decimal(PRICE["price"]) * EURO) * number)
        self._deliveries.wake()
        return records[0], workflow_id

    def _send_one(
        self, account_id: str, application: Application | None, message: Message,
        start: datetime, workflow: dict[str, str] | None, records: list[MessageRecord],
        items: list[NewDelivery],
    ) -> list[StatusStep]:  # fmt: skip
        """Adds one outbound message's record (first) and webhooks to ``records`` and
        ``items``, and those of what it causes on the far side; its statuses."""
        message_uuid = str(uuid.uuid4())
        far = self._linked(message.to)
        caused: list[MessageRecord] = []
        if far is not None:
            # What the far side gets is the message, not the sender's reference or webhooks.
            arriving = replace(message, client_ref=None, webhook_url=None, webhook_version=None)
            caused, items_in = self._inbound(far, arriving, start)
            items += items_in
            steps = [StatusStep("submitted", start), StatusStep("delivered", start)]
        else:
            recipient = self.recipients.get(account_id, message.to)
            steps = status_steps(message.channel, recipient, start, message.ttl)
            reacted = self._reaction(application, message_uuid, message, recipient, steps)
            if reacted is not None:
                caused, items_in = reacted
                items += items_in
        url = message.webhook_url or _hook(application, "status_url")
        version = message.webhook_version or _messages_of(application).get("version", "v1")
        app_id = application.id if application else None
        subject = message_uuid if workflow is None else workflow["id"]
        if url is not None:
            items += [
                _delivery(account_id, app_id, "message-status", subject, url,
                          status_body(message_uuid, message, step, version, workflow), step.at)
                for step in steps
            ]  # fmt: skip
        extra = {} if workflow is None else {"workflow": workflow}
        records += [message_record(message_uuid, account_id, app_id, "outbound", message, start,
                                   steps, extra), *caused]  # fmt: skip
        return steps

    def _reaction(
        self, application: Application | None, message_uuid: str, message: Message,
        recipient: Recipient, steps: list[StatusStep],
    ) -> tuple[list[MessageRecord], list[NewDelivery]] | None:  # fmt: skip
        """A recipient with a ``reaction`` reacts to a WhatsApp message delivered to it: an
        inbound reaction to the sending application's inbound_url."""
        delivered = next((step.at for step in steps if step.status == "delivered"), None)
        if (recipient.reaction is None or delivered is None or message.channel != "whatsapp"
                or message.message_type == "reaction" or application is None
                or _hook(application, "inbound_url") is None):  # fmt: skip
            return None
        reaction = Message("whatsapp", "reaction", message.from_, message.to, {
            "reaction": {"action": "react", "emoji": recipient.reaction},
            "context": {"message_uuid": message_uuid, "message_from": message.from_},
        })  # fmt: skip
        return self._inbound(application, reaction,
                             delivered + timedelta(seconds=recipient.react_after))  # fmt: skip

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
        record = message_record(message_uuid, app.account_id, app.id, "inbound", message, now,
                                steps)  # fmt: skip
        return [record], [delivery]

    def update(self, account_id: str, message_uuid: str, body: Any) -> MessageRecord:
        """``PATCH /v1/messages/{uuid}``: mark an inbound WhatsApp message read, or revoke an
        outbound RCS message before it is delivered (its later statuses are never sent)."""
        record = self._messages.get(account_id, message_uuid)
        if record is None:
            raise not_found("message", message_uuid)
        status = parse_update(record.channel, record.direction, body)
        now = utcnow()
        history = [step for step in record.history if datetime.fromisoformat(step["at"]) <= now]
        settled = [step["status"] for step in history if step["status"] in SETTLED]
        if status == "revoked" and settled:
            raise already_delivered(settled[-1])
        if status not in settled:
            history.append({"status": status, "at": now.isoformat()})
        dropped = []
        if status == "revoked":
            logs = self._logs(account_id, [record])[record.uuid]
            dropped = [log.delivery.id for log in logs if log.delivery.next_at > now]
        self._messages.set_history(record, history, dropped)
        return replace(record, history=history)

    # -- reading -------------------------------------------------------------------------

    def get(self, account_id: str, message_uuid: str) -> tuple[MessageRecord, list[DeliveryLog]]:
        record = self._messages.get(account_id, message_uuid)
        if record is None:
            raise not_found("message", message_uuid)
        return record, self._logs(account_id, [record])[message_uuid]

    def since(self, account_id: str, moment: datetime) -> tuple[int, int]:
        """How many messages the account sent and received from ``moment`` on, and how many of
        them failed (rejected or undeliverable so far)."""
        histories = self._messages.histories_since(account_id, moment)
        now = utcnow()
        failed = sum(any(step["status"] in FAILURES for step in reached(history, now))
                     for history in histories)  # fmt: skip
        return len(histories), failed

    def page(
        self, account_id: str, offset: int, limit: int, failed: bool = False
    ) -> tuple[int, list[tuple[MessageRecord, list[DeliveryLog]]]]:
        total, records = self._messages.page(account_id, offset, limit, failed)
        logs = self._logs(account_id, records)
        return total, [(r, logs[r.uuid]) for r in records]

    def _logs(self, account_id: str, records: list[MessageRecord]) -> dict[str, list[DeliveryLog]]:
        """The deliveries of each message: a workflow's share one subject (so its statuses go
        out in order), told apart by their bodies' ``message_uuid``."""
        subjects = {record.uuid: _subject(record) for record in records}
        found = self._deliveries.of_subjects(account_id, sorted(set(subjects.values())))
        return {
            uuid: [log for log in found[subject] if subject == uuid
                   or orjson.loads(log.delivery.body)["message_uuid"] == uuid]
            for uuid, subject in subjects.items()
        }  # fmt: skip


BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _subject(record: MessageRecord) -> str:
    """The subject of a message's status deliveries: its workflow's, or its own."""
    return str(record.content.get("workflow", {}).get("id", record.uuid))


def _workflow_id() -> str:
    """An opaque base58 string, as the platform's workflow ids are."""
    return "".join(secrets.choice(BASE58) for _ in range(44))


def _delivery(
    account_id: str, app_id: str | None, kind: str, subject: str, url: str,
    body: dict[str, Any], due: datetime,
) -> NewDelivery:  # fmt: skip
    """Message webhooks are always signed (wire §10)."""
    return new_delivery(account_id, app_id, kind, subject, url, body, True, due)


def message_record(
    message_uuid: str, account_id: str, app_id: str | None, direction: str, message: Message,
    now: datetime, steps: list[StatusStep], extra: dict[str, Any] | None = None,
) -> MessageRecord:  # fmt: skip
    """A message as the log keeps it; ``extra`` joins the stored content (a failover step's
    ``workflow``)."""
    history = [{"status": s.status, "at": s.at.isoformat(),
                **({"error": s.error} if s.error is not None else {})} for s in steps]  # fmt: skip
    failed_at = next((s.at for s in steps if s.error is not None), None)
    return MessageRecord(
        message_uuid, account_id, app_id, direction, message.channel, message.message_type,
        message.from_, message.to, message.client_ref, {**message.content, **(extra or {})},
        history, now, failed_at,
    )  # fmt: skip
