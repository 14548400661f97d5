"""Ids as users type them: whole, or the start or end of one (a timeline shows each leg by its
last 8 characters: a call's uuid starts with its time), found among the account's records; a
part that fits several is an error that says so."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ringway.client import Client, Voice

UUID = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
LISTED = 3  # ids named in an ambiguity error


def resolve(given: str, kind: str, ids: Iterable[str]) -> str:
    """The one id of ``ids`` that starts or ends with ``given`` (``given`` itself when it is
    whole: ``ids`` is read only for a part, so it may be a lazy listing)."""
    if UUID.match(given):
        return given
    part = given.lower()
    found = list(dict.fromkeys(i for i in ids if i.lower().startswith(part) or
                               i.lower().endswith(part)))  # fmt: skip
    if not found:
        raise click.ClickException(f"no {kind} id starts or ends with {given!r}")
    if len(found) > 1:
        named = ", ".join(found[:LISTED]) + (", …" if len(found) > LISTED else "")
        raise click.ClickException(f"{given!r} fits {len(found)} {kind} ids ({named}); "
                                   "give more of it")  # fmt: skip
    return found[0]


def call_id(client: Client | Voice, given: str) -> str:
    from ringway.client import Client

    calls = client.calls.iter() if isinstance(client, Client) else client.iter()
    return resolve(given, "call", (call["uuid"] for call in calls))


def message_id(client: Client, given: str) -> str:
    return resolve(given, "message", (m["message_uuid"] for m in client.messages.iter()))


def delivery_id(client: Client, given: str) -> str:
    return resolve(given, "delivery", (d["id"] for d in client.deliveries.iter()))


def app_id(client: Client, given: str) -> str:
    return resolve(given, "application", (app.id for app in client.applications.iter()))
