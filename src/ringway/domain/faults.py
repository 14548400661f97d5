"""Injected webhook faults: which of an account's webhook requests a fault takes (by kind and
URL glob), what it does to them, and how many it takes (the next N, a seeded share, or all)."""

from __future__ import annotations

import hashlib
import re
from fnmatch import fnmatchcase
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ringway.domain.choices import FaultKind as Kind

# The fault kind of each outbox delivery kind.
DELIVERY_KINDS: dict[str, Kind] = {"message-inbound": "inbound", "message-status": "status",
                                   "rtc": "rtc", "sms-inbound": "inbound",
                                   "sms-receipt": "status"}  # fmt: skip
NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
MAX_SEED = 2**63 - 1


class Match(BaseModel):
    """The requests a fault takes: of one ``kind`` (any, when absent) to URLs matching the glob
    ``url`` (``*``, ``?``, ``[…]``; any, when absent)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    kind: Kind | None = None
    url: str | None = Field(default=None, min_length=1, max_length=2048)

    def takes(self, kind: str, url: str) -> bool:
        return (self.kind is None or self.kind == kind) and (
            self.url is None or fnmatchcase(url, self.url)
        )


class Action(BaseModel):
    """What happens to a request taken: exactly one of ``status`` (not sent; answered as if
    the server had said so), ``delay_ms`` (sent that late), ``reset`` (the connection drops)
    and ``timeout`` (no answer within the socket timeout)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    status: StrictInt | None = Field(default=None, ge=200, le=599)
    delay_ms: StrictInt | None = Field(default=None, ge=1, le=60_000)
    reset: Literal[True] | None = None
    timeout: Literal[True] | None = None

    @field_validator("reset", "timeout", mode="before")
    @classmethod
    def _true(cls, value: object) -> object:
        if value is not None and value is not True:  # a Literal[True] takes 1 too
            raise ValueError("must be true")
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> Action:
        if len(self.model_dump(exclude_none=True)) != 1:
            raise ValueError("must hold exactly one of status, delay_ms, reset, timeout")
        return self


class FaultSpec(BaseModel):
    """A fault as set: it takes the next ``times`` matching requests, or each with
    ``probability`` (decided by ``seed``, so the same on every run), or every one."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    match: Match = Field(default_factory=Match)
    action: Action
    times: StrictInt | None = Field(default=None, ge=1, le=2**31 - 1)
    probability: StrictFloat | None = Field(default=None, gt=0, le=1)
    seed: StrictInt | None = Field(default=None, ge=0, le=MAX_SEED)

    @field_validator("probability")
    @classmethod
    def _not_with_times(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is not None and info.data.get("times") is not None:  # (absent: times failed)
            raise ValueError("give times or probability, not both")
        return value

    @field_validator("seed")
    @classmethod
    def _with_probability(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and "probability" in info.data and info.data["probability"] is None:
            raise ValueError("goes with probability")  # (absent: probability failed)
        return value


class Fault(FaultSpec):
    """A stored fault: ``remaining`` of its ``times``, and how many requests it has ``matched``
    so far (the n-th is faulted or not by ``chosen(seed, n, probability)``)."""

    name: str
    remaining: int | None = None
    matched: int = 0

    def takes_last(self) -> bool:
        """Whether the last request counted (the ``matched``-th) is faulted."""
        if self.probability is None:
            return True
        return chosen(self.seed or 0, self.matched, self.probability)


def chosen(seed: int, n: int, probability: float) -> bool:
    """Whether the n-th request is in the ``probability`` share: a hash of ``seed`` and ``n``,
    so every process decides the same for the same n."""
    digest = hashlib.blake2b(f"{seed}:{n}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < probability


def fault_wire(fault: Fault) -> dict[str, object]:
    return fault.model_dump(mode="json", exclude_none=True)
