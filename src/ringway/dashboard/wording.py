"""Form errors as sentences for people: the field's label and what is wrong with it, in plain
words (the API's ``invalid_parameters`` reasons speak the validator's language)."""

from __future__ import annotations

import re

# Path segments whose label is not their name with spaces for underscores.
LABELS = {"http_method": "Method", "conversations_ttl": "Conversations TTL", "dtmf": "Keys",
          "speech": "What the caller says", "hangup_after": "Hang up after", "digits": "Keys",
          "public_key": "Public key", "answer_url": "answer URL", "event_url": "event URL",
          "fallback_answer_url": "fallback answer URL", "inbound_url": "inbound URL",
          "status_url": "status URL", "rtc": "RTC", "from": "From", "to": "To",
          "answer_after": "Answer after", "delivered_after": "Delivered after",
          "read_after": "Read after", "message_seconds": "Message seconds",
          "version": "Webhook version"}  # fmt: skip
# The validator's phrases, matched in order, as what follows the label.
PHRASES: list[tuple[str, str]] = [
    (r"String should match pattern '\^https\?://\\S\+\$'", "must be an http:// or https:// URL"),
    (r"String should match pattern '\^\[0-9\*#p?\][+*]\$'", "may hold only digits, * and #"),
    (
        r"String should match pattern '\^\\\+\?\[1-9\].*'",
        "must be a phone number: 7 to 15 digits, not starting with 0",
    ),
    (r"String should match pattern '.*'", "is not in the expected form"),
    (r"String should have at least 1 character", "must not be empty"),
    (r"String should have at least (\d+) characters", r"must be at least \1 characters long"),
    (r"String should have at most (\d+) characters?", r"must be at most \1 characters long"),
    (r"Input should be a valid integer.*", "must be a whole number"),
    (r"Input should be a valid number.*", "must be a number"),
    (r"Input should be a valid boolean.*", "must be true or false"),
    (r"Input should be a valid dictionary.*", "must be a group of fields"),
    (r"Input should be a valid string", "must be text"),
    (r"Input should be a valid (\w+).*", r"must be a \1"),
    (r"Input should be greater than or equal to (.+)", r"must be at least \1"),
    (r"Input should be less than or equal to (.+)", r"must be at most \1"),
    (r"Input should be greater than (.+)", r"must be more than \1"),
    (r"Input should be less than (.+)", r"must be less than \1"),
    (r"Input should be (.+)", r"must be \1"),
    (r"Field required", "is required"),
    (r"Extra inputs are not permitted", "is not a field of this form"),
    (r"Value error, (.+)", r"\1"),
]


def capitalized(text: str) -> str:
    """A message of the services (``you do not own 447700900123``) as a sentence."""
    return text[:1].upper() + text[1:].rstrip(".")


def label(name: str) -> str:
    """The field a dotted path names, as a person calls it: ``Address``, ``Connect timeout``."""
    last = name.rsplit(".", 1)[-1]
    words = LABELS.get(last, last.replace("_", " "))
    return words[:1].upper() + words[1:] if words else "This form"


def context(name: str) -> str:
    """What a field belongs to, for a list of errors away from the fields: ``Voice answer URL``
    for ``capabilities.voice.webhooks.answer_url.address``; empty for a top-level field."""
    parts = name.split(".")
    if parts[0] != "capabilities" or len(parts) < 3:
        return ""
    owner = label(parts[1])
    if len(parts) >= 5 and parts[2] == "webhooks":
        return f"{owner} {LABELS.get(parts[3], parts[3].replace('_', ' '))}"
    return owner


def sentence(name: str, reason: str) -> str:
    """``Address must be an http:// or https:// URL`` for the API's reason about ``name``."""
    text = reason.strip().rstrip(".").replace("`", "")
    for pattern, replacement in PHRASES:
        if re.fullmatch(pattern, text, flags=re.DOTALL):
            text = re.sub(pattern, replacement, text, flags=re.DOTALL)
            break
    text = text.replace("'", "") if text.startswith("must be") else text
    if text[:1].isupper() or text[:1] in "'\"":  # already a sentence of its own
        return text
    return f"{label(name)} {text}"
