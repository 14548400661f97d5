"""Users, conversations, members and events of the Conversation API, as stored and shown."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class User:
    id: str
    application_id: str
    name: str
    display_name: str | None
    image_url: str | None
    properties: dict[str, Any]
    channels: dict[str, Any]
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str
    application_id: str
    name: str
    display_name: str | None
    image_url: str | None
    properties: dict[str, Any]
    state: str
    sequence_number: int
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    conversation_id: str
    user_id: str
    state: str
    channel: dict[str, Any]
    timestamps: dict[str, str]
    initiator: dict[str, Any]
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Event:
    conversation_id: str
    id: int
    type: str
    from_member: str | None
    body: dict[str, Any]
    timestamp: dt.datetime
