"""Phone numbers: E.164 normalisation, the fictional inventory, and how numbers look on the wire.

ringway never dials anything, but numbers leave it: in logs, fixtures and code people copy. So
its inventory comes from ranges set aside for fiction where a regulator publishes one (Ofcom for
GB, the 555-01xx block for US, ARCEP for FR, ACMA for AU, the Bundesnetzagentur's film numbers
for DE); Spain publishes none, and ringway uses 34 590 00x xxx, a block of the 5x range that
Spain does not hand out for fixed, mobile or freephone service.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

NumberType = Literal["landline", "mobile-lvn", "landline-toll-free"]
NUMBER_TYPES: tuple[str, ...] = ("landline", "mobile-lvn", "landline-toll-free")
FEATURES: tuple[str, ...] = ("VOICE", "SMS", "MMS")
VOICE_CALLBACK_TYPES: tuple[str, ...] = ("sip", "tel", "app")
CALLING_CODES = {"1": "US", "33": "FR", "34": "ES", "44": "GB", "49": "DE", "61": "AU"}

_SEPARATORS = re.compile(r"[\s().\-]")


def normalize_msisdn(raw: str) -> str:
    """E.164 digits without ``+``: ``+44 7700 900001`` and ``0044-7700-900001`` give
    ``447700900001``. Raises ``ValueError`` saying what is wrong."""
    digits = _SEPARATORS.sub("", raw.strip())
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):
        digits = digits[2:]
    if not digits:
        raise ValueError("the number is empty")
    if not digits.isdigit() or not digits.isascii():
        raise ValueError(f"'{raw}' is not a phone number: only digits, with an optional +")
    if digits.startswith("0"):
        raise ValueError(
            f"'{raw}' lacks its country code: give it in E.164 form, e.g. 447700900000"
        )
    if not 7 <= len(digits) <= 15:
        raise ValueError(f"'{raw}' has {len(digits)} digits; E.164 numbers have 7 to 15")
    return digits


def country_of(msisdn: str) -> str | None:
    """The country of a number in ringway's inventory countries, from its calling code."""
    for length in (1, 2, 3):
        country = CALLING_CODES.get(msisdn[:length])
        if country:
            return country
    return None


@dataclass(frozen=True)
class NumberRange:
    """``count`` consecutive numbers from ``first``, all alike."""

    country: str
    type: str
    first: int
    count: int
    features: tuple[str, ...]
    cost: str

    def numbers(self) -> list[str]:
        return [str(self.first + offset) for offset in range(self.count)]


DEFAULT_INVENTORY = (
    NumberRange("GB", "landline", 441632960000, 100, ("VOICE",), "0.90"),
    NumberRange("GB", "mobile-lvn", 447700900000, 1000, ("VOICE", "SMS"), "1.25"),
    NumberRange("GB", "landline-toll-free", 448081570000, 100, ("VOICE",), "2.50"),
    NumberRange("US", "landline", 12015550100, 100, ("VOICE", "SMS"), "0.90"),
    NumberRange("US", "mobile-lvn", 14155550100, 100, ("VOICE", "SMS", "MMS"), "0.90"),
    NumberRange("US", "landline-toll-free", 18005550100, 100, ("VOICE",), "1.80"),
    NumberRange("DE", "landline", 493023125000, 100, ("VOICE",), "1.00"),
    NumberRange("FR", "landline", 33199000000, 100, ("VOICE",), "1.00"),
    NumberRange("FR", "mobile-lvn", 33639980000, 100, ("VOICE", "SMS"), "1.50"),
    NumberRange("ES", "landline", 34590000000, 100, ("VOICE",), "1.00"),
    NumberRange("ES", "mobile-lvn", 34590010000, 100, ("VOICE", "SMS"), "1.50"),
    NumberRange("AU", "landline", 61255500000, 100, ("VOICE",), "1.10"),
    NumberRange("AU", "mobile-lvn", 61491570006, 100, ("VOICE", "SMS"), "1.60"),
)


@dataclass(frozen=True, slots=True)
class Number:
    """A number in the inventory; ``account_id`` is its owner, if bought."""

    msisdn: str
    country: str
    type: str
    features: str
    cost: str
    account_id: str | None = None
    app_id: str | None = None
    mo_http_url: str | None = None
    voice_callback_type: str | None = None
    voice_callback_value: str | None = None
    voice_status_callback: str | None = None


@dataclass(frozen=True)
class NumberQuery:
    """Filters shared by the inventory search and the owned-number list. ``pattern`` (digits)
    is matched by ``search_pattern``: 0 starts with, 1 contains, 2 ends with."""

    country: str | None = None
    type: str | None = None
    features: tuple[str, ...] = ()
    pattern: str | None = None
    search_pattern: int = 0
    application_id: str | None = None
    has_application: bool | None = None

    def __post_init__(self) -> None:
        if self.type is not None and self.type not in NUMBER_TYPES:
            raise ValueError(f"Invalid type '{self.type}': use one of {', '.join(NUMBER_TYPES)}")
        unknown = [feature for feature in self.features if feature not in FEATURES]
        if unknown:
            raise ValueError(f"Invalid features {unknown}: use {', '.join(FEATURES)}")
        if self.pattern is not None and not (self.pattern.isdigit() and self.pattern.isascii()):
            raise ValueError(f"Invalid pattern '{self.pattern}': use digits")


@dataclass(frozen=True)
class Routing:
    """Where a number's traffic goes, as ``/number/update`` sets it (omitted means cleared)."""

    app_id: str | None = None
    mo_http_url: str | None = None
    voice_callback_type: str | None = None
    voice_callback_value: str | None = None
    voice_status_callback: str | None = None


def routing_from(
    app_id: str | None,
    voice_callback_type: str | None,
    voice_callback_value: str | None,
    mo_http_url: str | None = None,
    voice_status_callback: str | None = None,
) -> Routing:
    """The routing asked for; the legacy ``voiceCallbackType=app`` with the application id as
    its value links the number like ``app_id`` does. Raises ``ValueError`` saying what is wrong."""
    kind, value = voice_callback_type, voice_callback_value
    if kind is not None and kind not in VOICE_CALLBACK_TYPES:
        raise ValueError(f"Invalid voiceCallbackType '{kind}': use sip, tel or app")
    if (kind is None) != (value is None):
        raise ValueError("voiceCallbackType and voiceCallbackValue go together")
    if kind == "app":
        app_id, kind, value = app_id or value, None, None
    return Routing(app_id, mo_http_url, kind, value, voice_status_callback)


def normalize_country(raw: str) -> str:
    """An ISO 3166-1 alpha-2 code in capitals, or ``ValueError``."""
    country = raw.strip().upper()
    if len(country) != 2 or not country.isalpha() or not country.isascii():
        raise ValueError(f"Invalid country '{raw}': use ISO 3166-1 alpha-2")
    return country


def available_wire(number: Number) -> dict[str, Any]:
    return {
        "country": number.country,
        "msisdn": number.msisdn,
        "type": number.type,
        "cost": number.cost,
        "features": number.features.split(","),
    }


def owned_wire(number: Number) -> dict[str, Any]:
    body: dict[str, Any] = {
        "country": number.country,
        "msisdn": number.msisdn,
        "type": number.type,
        "features": number.features.split(","),
    }
    if number.app_id:
        body |= {
            "app_id": number.app_id,
            "voiceCallbackType": "app",
            "voiceCallbackValue": number.app_id,
            "messagesCallbackType": "app",
            "messagesCallbackValue": number.app_id,
        }
    if number.voice_callback_type:  # sip and tel routing take calls before the application
        body |= {
            "voiceCallbackType": number.voice_callback_type,
            "voiceCallbackValue": number.voice_callback_value,
        }
    if number.voice_status_callback:
        body["voiceStatusCallback"] = number.voice_status_callback
    if number.mo_http_url:
        body["moHttpUrl"] = number.mo_http_url
    return body
