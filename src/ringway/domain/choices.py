"""The closed sets and ranges of values ringway accepts (fault kinds, simulated behaviours,
message channels and media, the lifetime of an application JWT), apart from the models and
functions that check them: the CLI offers them as choices without importing pydantic or a JWT
library."""

from __future__ import annotations

from typing import Literal

FaultKind = Literal["answer", "fallback", "event", "inbound", "status", "rtc"]
PhoneBehaviour = Literal["answer", "busy", "no-answer", "unavailable", "reject", "fail", "machine"]
RecipientBehaviour = Literal["delivered", "read", "rejected", "undeliverable"]

MEDIA = ("image", "audio", "video", "file", "vcard")
# The message types of each channel (wire name: viber is ``viber_service``).
CHANNELS: dict[str, tuple[str, ...]] = {
    "sms": ("text",),
    "mms": ("text", "image", "vcard", "audio", "video", "file"),
    "whatsapp": (
        "text",
        "image",
        "audio",
        "video",
        "file",
        "template",
        "sticker",
        "custom",
        "reaction",
    ),
    "messenger": ("text", "image", "audio", "video", "file"),
    "viber_service": ("text", "image", "video", "file"),
    "rcs": ("text", "image", "video", "file", "custom"),
}

MIN_TTL, MAX_TTL, DEFAULT_TTL = 30, 86_400, 900  # seconds an application JWT may live
