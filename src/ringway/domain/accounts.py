"""Accounts as an operator asks for them over HTTP (``POST /_ringway/accounts``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class NewAccount(BaseModel):
    """Chosen credentials, each random when absent."""

    model_config = ConfigDict(extra="forbid")

    api_key: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    api_secret: str | None = Field(default=None, min_length=8, max_length=128)
    signature_secret: str | None = Field(default=None, min_length=16, max_length=256)
