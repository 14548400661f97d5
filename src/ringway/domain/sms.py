"""The SMS API (wire-contract-wave2 §5): what ``POST /sms/json`` accepts, its legacy status
codes, how a text is split into parts, and the bodies of delivery receipts and inbound SMS."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ringway.domain.messages import GSM7
from ringway.domain.messages import PRICE as MESSAGE_PRICE

PRICE = Decimal(MESSAGE_PRICE["price"])  # EUR a part, as a message of the Messages API
NETWORK = "00101"  # MCC 001 MNC 01: the test network, reached by every fictional number
MAX_TEXT = 3200
MAX_CLIENT_REF = 100
TTL_RANGE = (20_000, 604_800_000)
GSM7_EXTENDED = set("|^€{}[]~\\\f")  # each takes two GSM characters
_RECIPIENT = re.compile(r"\d{7,15}")
_SENDER = re.compile(r"\+?\d{1,15}|[A-Za-z0-9 ]{1,11}")
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})*")
_URL = re.compile(r"https?://[^\s]{1,2000}")
_BOOLEAN = {"true": True, "1": True, "false": False, "0": False}

# Status codes (``status``, a string) and the texts that go with them.
THROTTLED, MISSING, INVALID, CREDENTIALS, QUOTA, TOO_LONG = 1, 2, 3, 4, 9, 12
SIGNATURE, SENDER, TTL, BAD_CALLBACK, SECRET_AND_SIG = 14, 15, 16, 23, 32
TEXTS = {
    THROTTLED: "Throttled",
    MISSING: "Missing Parameters", INVALID: "Invalid Parameters", CREDENTIALS: "Bad Credentials",
    QUOTA: "Quota Exceeded - rejected", TOO_LONG: "Message too long",
    SIGNATURE: "Invalid Signature", SENDER: "Illegal Sender Address - rejected",
    TTL: "Invalid TTL", BAD_CALLBACK: "Invalid Callback Url",
    SECRET_AND_SIG: "Signature and api secret disallowed",
}  # fmt: skip

# What a simulated recipient's behaviour makes of an SMS: the receipt's status and err-code.
OUTCOMES = {"delivered": ("delivered", "0"), "read": ("delivered", "0"),
            "rejected": ("rejected", "9"), "undeliverable": ("failed", "12")}  # fmt: skip


class SmsError(Exception):
    """A send the API refuses: answered HTTP 200 with ``status`` and ``error-text``."""

    def __init__(self, status: int, detail: str = "") -> None:
        self.status = status
        self.text = TEXTS[status] + (f": {detail}" if detail else "")
        super().__init__(self.text)


@dataclass(frozen=True)
class Sms:
    """A message to send: ``parts`` as they go over the air (texts, or hex for binary)."""

    from_: str
    to: str
    type: str
    parts: list[str]
    udh: str | None
    client_ref: str | None
    account_ref: str | None
    callback: str | None
    receipt: bool


def parse_sms(params: Mapping[str, str]) -> Sms:
    """A send from its parameters (form, query or JSON, as strings), or the ``SmsError``."""
    for name in ("from", "to"):
        if not params.get(name):
            raise SmsError(MISSING, f"{name}")
    kind = params.get("type") or "text"
    if kind not in ("text", "unicode", "binary"):
        raise SmsError(INVALID, "type must be text, unicode or binary")
    if not _RECIPIENT.fullmatch(params["to"].removeprefix("+")):
        raise SmsError(INVALID, "to must be a number of 7 to 15 digits")
    if not _SENDER.fullmatch(params["from"]):
        raise SmsError(SENDER, "from must be a number or up to 11 letters and digits")
    client_ref = params.get("client-ref")
    if client_ref is not None and len(client_ref) > MAX_CLIENT_REF:
        raise SmsError(INVALID, f"client-ref is longer than {MAX_CLIENT_REF} characters")
    callback = params.get("callback") or None
    if callback is not None and not _URL.fullmatch(callback):
        raise SmsError(BAD_CALLBACK)
    receipt = _BOOLEAN.get(params.get("status-report-req", "true").lower())
    if receipt is None:
        raise SmsError(INVALID, "status-report-req must be true or false")
    ttl = params.get("ttl")
    if ttl is not None and not (
        ttl.isascii() and ttl.isdigit() and TTL_RANGE[0] <= int(ttl) <= TTL_RANGE[1]
    ):
        raise SmsError(TTL, f"ttl must be {TTL_RANGE[0]} to {TTL_RANGE[1]} milliseconds")
    if params.get("message-class", "0") not in ("0", "1", "2", "3"):
        raise SmsError(INVALID, "message-class must be 0 to 3")
    udh = None
    if kind == "binary":
        body, udh = params.get("body"), params.get("udh")
        if not body:
            raise SmsError(MISSING, "body")
        if not _HEX.fullmatch(body) or not _HEX.fullmatch(udh or ""):
            raise SmsError(INVALID, "body and udh must be hexadecimal")
        if len(body + (udh or "")) > 280:
            raise SmsError(TOO_LONG, "a binary message holds 140 bytes")
        parts = [body.upper()]
    else:
        text = params.get("text")
        if not text:
            raise SmsError(MISSING, "text")
        if len(text) > MAX_TEXT:
            raise SmsError(TOO_LONG, f"text is longer than {MAX_TEXT} characters")
        parts = split(text, unicode=kind == "unicode" or not is_gsm(text))
    return Sms(params["from"], params["to"].removeprefix("+"), kind, parts, udh, client_ref,
               params.get("account-ref"), callback, receipt)  # fmt: skip


def is_gsm(text: str) -> bool:
    return set(text) <= GSM7 | GSM7_EXTENDED


def split(text: str, unicode: bool) -> list[str]:
    """The parts of a text: one of 160 GSM septets (the extended characters take two) or 70
    UCS-2 characters, else parts of 153 septets or 67 characters (a header takes the rest)."""
    single, each = (70, 67) if unicode else (160, 153)

    def width(char: str) -> int:
        return 2 if not unicode and char in GSM7_EXTENDED else 1

    if sum(map(width, text)) <= single:
        return [text]
    parts, part, used = [], "", 0
    for char in text:
        if used + width(char) > each:
            parts.append(part)
            part, used = "", 0
        part += char
        used += width(char)
    return [*parts, part]


def message_id() -> str:
    """An id as the SMS API gives them: 16 hexadecimal digits, upper case."""
    return secrets.token_hex(8).upper()


def money(amount: Decimal) -> str:
    return f"{amount:.8f}"


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S")


def receipt_body(
    sms: Sms, part_id: str, status: str, err_code: str, api_key: str, at: datetime
) -> dict[str, str]:
    """A delivery receipt (DLR) of one part: all fields are strings."""
    body = {
        "msisdn": sms.to, "to": sms.from_, "network-code": NETWORK, "messageId": part_id,
        "price": money(PRICE), "status": status, "scts": at.strftime("%y%m%d%H%M"),
        "err-code": err_code, "api-key": api_key, "message-timestamp": _stamp(at),
    }  # fmt: skip
    if sms.client_ref is not None:
        body["client-ref"] = sms.client_ref
    return body


def inbound_bodies(
    from_: str, to: str, text: str, api_key: str, at: datetime
) -> list[tuple[str, dict[str, str]]]:
    """The webhooks of an inbound SMS, one a part, with each part's message id."""
    unicode = not is_gsm(text)
    parts = split(text, unicode)
    concat = {"concat-ref": str(secrets.randbelow(256)), "concat-total": str(len(parts))}
    bodies = []
    for number, part in enumerate(parts, 1):
        part_id = message_id()
        body = {
            "msisdn": from_, "to": to, "messageId": part_id,
            "type": "unicode" if unicode else "text", "text": part,
            "keyword": (part.split() or [""])[0].upper(), "message-timestamp": _stamp(at),
            "api-key": api_key,
        }  # fmt: skip
        if len(parts) > 1:
            body |= {"concat": "true", **concat, "concat-part": str(number)}
        bodies.append((part_id, body))
    return bodies
