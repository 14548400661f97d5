"""The SMS API: sending to simulated recipients, each part charged and reported by a delivery
receipt, and inbound SMS to a number's ``moHttpUrl`` (else the account's ``moCallBackUrl``).
Both are recorded as messages; every webhook goes through the outbox, signed with the
account's SMS signing method when it has one."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from ringway.domain.accounts import EURO, AccountRow
from ringway.domain.errors import not_routed
from ringway.domain.messages import Message, MessageRecord, Recipient, StatusStep, status_steps
from ringway.domain.sms import (
    NETWORK,
    OUTCOMES,
    PRICE,
    QUOTA,
    SmsError,
    inbound_bodies,
    message_id,
    money,
    parse_sms,
    receipt_body,
)
from ringway.security.sig import signed
from ringway.services.deliveries import DeliveryService, new_delivery
from ringway.services.messages import message_record
from ringway.services.parties import Parties
from ringway.storage.messages import MessageRepository
from ringway.storage.numbers import NumberRepository
from ringway.storage.repositories import AccountRepository, utcnow

PART_COST = round(PRICE * EURO)


class SmsService:
    def __init__(
        self,
        messages: MessageRepository,
        numbers: NumberRepository,
        recipients: Parties[Recipient],
        deliveries: DeliveryService,
        accounts: AccountRepository,
    ) -> None:
        self._accounts = accounts
        self._messages = messages
        self._numbers = numbers
        self._recipients = recipients
        self._deliveries = deliveries

    def send(self, account: AccountRow, params: Mapping[str, str]) -> list[dict[str, str]]:
        """``POST /sms/json``: the ``messages`` of the answer, one a part (an ``SmsError``
        for a send refused whole)."""
        sms = parse_sms(params)
        now = utcnow()
        recipient = self._recipients.get(account.id, sms.to)
        steps = status_steps("sms", recipient, now)
        status, err_code = OUTCOMES[recipient.behaviour]
        url = sms.callback or account.dr_callback_url
        ids = [message_id() for _ in sms.parts]
        records = [
            _record(part_id, account.id, "outbound", sms.type, sms.from_, sms.to, sms.client_ref,
                    {"body" if sms.type == "binary" else "text": part, "part": i + 1,
                     "parts": len(ids)}, steps, now)
            for i, (part_id, part) in enumerate(zip(ids, sms.parts, strict=True))
        ]  # fmt: skip
        receipts = [
            new_delivery(account.id, None, "sms-receipt", part_id, url,
                         _signed(account, receipt_body(sms, part_id, status, err_code,
                                                       account.api_key, steps[-1].at)),
                         False, steps[-1].at)
            for part_id in ids
        ] if url and sms.receipt else []  # fmt: skip
        left = self._messages.add(records, receipts, PART_COST * len(ids), covered=True)
        if left is None:
            raise SmsError(QUOTA)
        self._deliveries.wake()
        return [
            {"to": sms.to, "message-id": part_id, "status": "0",
             "remaining-balance": money(Decimal(left + PART_COST * (len(ids) - 1 - i)) / EURO),
             "message-price": money(PRICE), "network": NETWORK,
             **({"client-ref": sms.client_ref} if sms.client_ref is not None else {}),
             **({"account-ref": sms.account_ref} if sms.account_ref is not None else {})}
            for i, part_id in enumerate(ids)
        ]  # fmt: skip

    def receive(self, account_id: str, from_: str, to: str, text: str) -> MessageRecord:
        """An inbound SMS from ``from_`` to the account's number ``to``, to the number's
        ``moHttpUrl``, else the account's ``moCallBackUrl``: a webhook a part."""
        account = self._accounts.by_id(account_id)
        assert account is not None
        number = self._numbers.get(to)
        owned = number is not None and number.account_id == account.id
        url = (number.mo_http_url if owned and number else None) or account.mo_callback_url
        if not owned or url is None:
            raise not_routed(to, "is not a number of the account with a moHttpUrl (or the "
                             "account a moCallBackUrl), nor linked to an application with a "
                             "messages inbound_url")  # fmt: skip
        now = utcnow()
        records, items = [], []
        for part_id, body in inbound_bodies(from_, to, text, account.api_key, now):
            content = {"text": body["text"], "part": int(body.get("concat-part", 1)),
                       "parts": int(body.get("concat-total", 1))}  # fmt: skip
            records.append(_record(part_id, account.id, "inbound", body["type"], from_, to, None,
                                   content, [StatusStep("received", now)], now))  # fmt: skip
            items.append(new_delivery(account.id, None, "sms-inbound", part_id, url,
                                      _signed(account, body), False, now))  # fmt: skip
        self._messages.add(records, items)
        self._deliveries.wake()
        return records[0]


def _signed(account: AccountRow, body: dict[str, str]) -> dict[str, Any]:
    method = account.sms_signature_method
    return signed(body, account.signature_secret, method) if method else dict(body)


def _record(
    part_id: str, account_id: str, direction: str, kind: str, from_: str, to: str,
    client_ref: str | None, content: dict[str, Any], steps: list[StatusStep], now: datetime,
) -> MessageRecord:  # fmt: skip
    """A part, as the message log keeps it."""
    part = Message("sms", kind, to, from_, {"api": "sms", **content}, client_ref)
    return message_record(part_id, account_id, None, direction, part, now, steps)
