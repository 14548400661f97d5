"""Voice API request bodies (wire §7) and ringway's simulated-call request."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    model_validator,
)

from ringway.domain.applications import WebhookAddress, parse_body
from ringway.domain.errors import InvalidParameter, payload_invalid
from ringway.domain.lenient import TextBool, TextFloat, TextInt
from ringway.domain.ncco import AdvancedMachineDetection, Endpoint
from ringway.domain.simulation import Person

Url = Annotated[list[WebhookAddress], Field(min_length=1, max_length=1)]
Msisdn = Annotated[str, Field(pattern=r"^\+?[1-9]\d{6,14}$")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


def _given(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"properties": {name: schema}, "required": [name]}


def _one_of(*choices: tuple[dict[str, Any], ...]) -> ConfigDict:
    """What a model checks across fields, after each field is valid, in its JSON Schema: exactly
    one of ``choices`` (each its own ``oneOf``)."""
    return ConfigDict(json_schema_extra={"allOf": [{"oneOf": list(pair)} for pair in choices]})


_ARRAY = {"type": "array"}


class FromPhone(Body):
    type: Literal["phone"]
    number: Msisdn


class CallRequest(Body):
    """``POST /v1/calls``: exactly one of ``answer_url`` and ``ncco``; ``from`` or
    ``random_from_number``."""

    model_config = _one_of(
        (_given("answer_url", _ARRAY), _given("ncco", _ARRAY)),
        (_given("from", {"type": "object"}), _given("random_from_number", {"const": True})),
    )
    to: list[Endpoint] = Field(min_length=1, max_length=1)
    from_: FromPhone | None = Field(default=None, alias="from")
    random_from_number: StrictBool = False
    answer_url: Url | None = None
    answer_method: Literal["GET", "POST"] = "GET"
    ncco: list[dict[str, Any]] | None = None
    event_url: Url | None = None
    event_method: Literal["GET", "POST"] = "POST"
    machine_detection: Literal["continue", "hangup"] | None = None
    advanced_machine_detection: AdvancedMachineDetection | None = None
    length_timer: StrictInt = Field(default=7200, ge=1, le=7200)
    ringing_timer: StrictInt = Field(default=60, ge=1, le=120)

    @model_validator(mode="after")
    def _choices(self) -> CallRequest:
        if (self.answer_url is None) == (self.ncco is None):
            raise ValueError("give either answer_url or ncco")
        if (self.from_ is None) == (not self.random_from_number):
            raise ValueError("give either from or random_from_number: true")
        return self


class Destination(Body):
    model_config = _one_of((_given("url", _ARRAY), _given("ncco", _ARRAY)))

    type: Literal["ncco"]
    url: Url | None = None
    ncco: list[dict[str, Any]] | None = None

    @model_validator(mode="after")
    def _one(self) -> Destination:
        if (self.url is None) == (self.ncco is None):
            raise ValueError("give either url or ncco")
        return self


class CallUpdate(Body):
    """``PUT /v1/calls/{uuid}``."""

    model_config = _one_of(
        (
            {"properties": {"action": {"const": "transfer"}, "destination": {"type": "object"}},
             "required": ["action", "destination"]},
            {"properties": {"action": {"not": {"const": "transfer"}},
                            "destination": {"type": "null"}}},
        )
    )  # fmt: skip
    action: Literal["hangup", "mute", "unmute", "earmuff", "unearmuff", "transfer"]
    destination: Destination | None = None

    @model_validator(mode="after")
    def _destination(self) -> CallUpdate:
        if (self.action == "transfer") != (self.destination is not None):
            raise ValueError("a transfer, and only a transfer, needs a destination")
        return self


class TalkRequest(Body):
    text: str = Field(min_length=1, max_length=1500)
    loop: TextInt = Field(default=1, ge=0, le=100)
    level: TextFloat = Field(default=0, ge=-1, le=1, allow_inf_nan=False)
    language: str = "en-US"
    style: TextInt = 0
    premium: TextBool = False
    voice_name: str | None = Field(default=None, max_length=64, description="Deprecated: "
                                   "language and style say the same.")  # fmt: skip


class StreamRequest(Body):
    stream_url: Url
    loop: TextInt = Field(default=1, ge=0, le=100)
    level: TextFloat = Field(default=0, ge=-1, le=1, allow_inf_nan=False)


class DtmfRequest(Body):
    digits: str = Field(min_length=1, max_length=64, pattern=r"^[0-9*#p]+$")


class DtmfSubscription(Body):
    """``PUT /v1/calls/{uuid}/input/dtmf``: where each key pressed on the call is posted. The
    SDKs send ``event_url`` as a list; a bare string and ``eventUrl`` are taken too."""

    event_url: Url = Field(validation_alias=AliasChoices("event_url", "eventUrl"))

    @model_validator(mode="before")
    @classmethod
    def _listed(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in ("event_url", "eventUrl"):
                if isinstance(data.get(name), str):
                    data = {**data, name: [data[name]]}
        return data


class SimulatedCall(Body):
    """``POST /_ringway/calls``: a simulated person calls a number."""

    from_: Msisdn = Field(alias="from")
    to: Msisdn
    caller: Person = Field(default_factory=Person)
    speed: StrictFloat | None = Field(default=None, ge=0, le=1000)
    custom_data: dict[str, Any] | None = None
    # The caller is this user of the application (an app, as with the Client SDK), not a phone.
    from_user: str | None = Field(default=None, min_length=1, max_length=255)


class SimulatedInput(Body):
    """``POST /_ringway/calls/{uuid}/dtmf`` (``digits``) or ``/speech`` (``text``)."""

    digits: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[0-9*#]+$")
    text: str | None = Field(default=None, min_length=1, max_length=1000)


def caller_gives(kind: str, body: Any) -> str:
    """What the simulated person gives on a live call: the ``digits`` of a ``dtmf``, the
    ``text`` of a ``speech``; nothing for a ``hangup``."""
    if kind == "hangup":
        return ""
    field = "digits" if kind == "dtmf" else "text"
    value = getattr(parse_body(SimulatedInput, body), field)
    if not value:
        raise payload_invalid([InvalidParameter(field, "is required")])
    return str(value)
