"""Seed files: accounts with fixed credentials, and for each its applications (fixed ids, the
shape of the v2 Applications API body, a key from a file or a generated pair), numbers, and
how its simulated parties behave, and faults to inject into its webhooks. TOML, or JSON (by
extension, or a file that starts with ``{``). ``parse_seed`` checks the whole file and names
every fault by its path in it, e.g.
``accounts[0].applications[1].capabilities.voice.webhooks.answer_url.address``."""

from __future__ import annotations

import json
import re
import tomllib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationError,
    model_validator,
)

from ringway.domain.applications import ApplicationIn, Strict, reason_of
from ringway.domain.faults import NAME, FaultSpec
from ringway.domain.messages import Recipient
from ringway.domain.ncco import MAX_ADDRESS
from ringway.domain.numbers import NumberType, country_of, normalize_msisdn
from ringway.domain.simulation import Phone

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ValueError("must be a UUID, e.g. 2f6c8a1e-0000-4000-8000-000000000001") from None


def _digits(value: object) -> object:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


def _api_key(value: str) -> str:
    if not value.isascii() or not value.isprintable() or " " in value or ":" in value:
        raise ValueError("must be printable ASCII, without spaces or ':'")
    return value


FaultName = Annotated[str, Field(pattern=f"^{NAME.pattern}$")]
Feature = Literal["VOICE", "SMS", "MMS"]


def _voice_and_sms() -> list[Feature]:
    return ["VOICE", "SMS"]


Id = Annotated[str, AfterValidator(_uuid)]
Msisdn = Annotated[str, BeforeValidator(_digits), AfterValidator(normalize_msisdn)]
Address = Annotated[str, Field(min_length=1, max_length=MAX_ADDRESS, pattern=r"^[^\x00]+$")]
FilePath = Annotated[str, Field(min_length=1, max_length=4096)]


class SeedApplication(ApplicationIn):
    """An application as the v2 create body, with a fixed ``id``, and where its key comes
    from: ``keys.public_key`` or ``public_key_file`` (a PEM), or ``private_key_file`` (the
    private key of a pair, which ringway writes when it creates the application and the file
    does not exist yet). File paths are relative to the seed file."""

    id: Id
    public_key_file: FilePath | None = None
    private_key_file: FilePath | None = None

    @model_validator(mode="after")
    def _one_key(self) -> Self:
        sources = {"keys.public_key": self.keys and self.keys.public_key,
                   "public_key_file": self.public_key_file,
                   "private_key_file": self.private_key_file}  # fmt: skip
        given = [name for name, value in sources.items() if value]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of keys.public_key, public_key_file and private_key_file"
                + (f" (not {' and '.join(given)})" if given else "")
            )
        return self


class SeedNumber(Strict):
    """A number the account owns, linked to ``app_id`` (one of its applications) or to none.
    A number missing from the inventory is added to it first, as ``type`` with ``features``."""

    msisdn: Msisdn
    country: Annotated[str, BeforeValidator(_upper), Field(pattern=r"^[A-Z]{2}$")] | None = None
    app_id: Id | None = None
    type: NumberType = "mobile-lvn"
    features: list[Feature] = Field(default_factory=_voice_and_sms, min_length=1)

    @model_validator(mode="after")
    def _country(self) -> Self:
        if self.country is None:
            self.country = country_of(self.msisdn)
            if self.country is None:
                raise ValueError(f"give the country of {self.msisdn}: its calling code is unknown")
        return self


class SeedAccount(Strict):
    api_key: Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_api_key)]
    api_secret: str = Field(min_length=1, max_length=256, pattern=r"^[^\x00]+$")
    signature_secret: str | None = Field(
        default=None, min_length=1, max_length=128, pattern=r"^[^\x00]+$"
    )
    applications: list[SeedApplication] = Field(default_factory=list)
    numbers: list[SeedNumber] = Field(default_factory=list)
    phones: dict[Address, Phone] = Field(default_factory=dict)  # by address, as the API lists
    recipients: dict[Address, Recipient] = Field(default_factory=dict)
    faults: dict[FaultName, FaultSpec] = Field(default_factory=dict)  # by name, as the API sets


class Seed(Strict):
    accounts: list[SeedAccount] = Field(default_factory=list)


@dataclass(frozen=True)
class SeedProblem:
    path: str  # where in the file, e.g. accounts[0].numbers[2].msisdn ("" for the whole file)
    reason: str


class SeedError(Exception):
    """A seed file that cannot be applied: every problem, each with its path in the file."""

    def __init__(self, file: str, problems: list[SeedProblem]) -> None:
        self.file = file
        self.problems = problems
        super().__init__("\n".join(
            f"{file}: {p.path}: {p.reason}" if p.path else f"{file}: {p.reason}" for p in problems
        ))  # fmt: skip


def parse_seed(text: str, file: str) -> Seed:
    """The seed in ``text`` (TOML, or JSON when ``file`` ends in ``.json`` or the text starts
    with ``{``), checked whole; else a ``SeedError`` naming every fault."""
    as_json = file.lower().endswith(".json") or text.lstrip().startswith("{")
    try:
        data: Any = json.loads(text) if as_json else tomllib.loads(text)
    except ValueError as exc:  # JSONDecodeError and TOMLDecodeError both are
        raise SeedError(file, [SeedProblem("", f"not valid {'JSON' if as_json else 'TOML'}: "
                                                f"{exc}")]) from None  # fmt: skip
    if not isinstance(data, dict):
        raise SeedError(file, [SeedProblem("", "must hold an object (a table)")])
    try:
        seed = Seed.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        found = [SeedProblem(path_of(error["loc"]), reason_of(error)) for error in errors]
        raise SeedError(file, found) from None
    problems = list(_repeats(seed))
    if problems:
        raise SeedError(file, problems)
    return seed


def _repeats(seed: Seed) -> Iterator[SeedProblem]:
    """What the file names twice: an api_key, an application id, a number."""
    seen: dict[tuple[str, str], str] = {}

    def once(kind: str, value: str, path: str) -> Iterator[SeedProblem]:
        first = seen.setdefault((kind, value), path)
        if first != path:
            yield SeedProblem(path, f"{value} is already at {first}")

    for i, account in enumerate(seed.accounts):
        yield from once("api_key", account.api_key, f"accounts[{i}].api_key")
        for j, app in enumerate(account.applications):
            yield from once("id", app.id, f"accounts[{i}].applications[{j}].id")
        for j, number in enumerate(account.numbers):
            yield from once("msisdn", number.msisdn, f"accounts[{i}].numbers[{j}].msisdn")


def path_of(loc: tuple[int | str, ...]) -> str:
    """``accounts[0].phones["447700900001"].behaviour`` from pydantic's location."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _NAME.match(part):
            path += f".{part}" if path else part
        else:
            path += f"[{json.dumps(part)}]"
    return path
