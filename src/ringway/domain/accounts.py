"""Accounts: as an operator asks for them over HTTP (``POST /_ringway/accounts``), and as stored
with their API secrets."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field


class NewAccount(BaseModel):
    """Chosen credentials, each random when absent."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    api_key: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    api_secret: str | None = Field(default=None, min_length=8, max_length=128)
    signature_secret: str | None = Field(default=None, min_length=16, max_length=256)


EURO = 10**8  # balances and prices are stored in hundred-millionths of a euro
MAX_SECRETS = 2  # API secrets live at once


@dataclass(frozen=True, slots=True)
class AccountRow:
    id: str
    api_key: str
    secret_salt: str  # of the newest API secret
    secret_hash: str
    signature_secret: str
    created_at: dt.datetime
    balance: int = 10 * EURO
    mo_callback_url: str | None = None
    dr_callback_url: str | None = None
    sms_signature_method: str | None = None


@dataclass(frozen=True, slots=True)
class SecretRow:
    id: str
    account_id: str
    salt: str
    hash: str
    created_at: dt.datetime
