"""NCCOs (wire §6): one model per action, and the validator that names what is wrong.

An NCCO is a JSON array of actions. Every ``eventUrl``, ``streamUrl`` and ``musicOnHoldUrl`` is
an array holding one URL. Unknown properties are refused, as the platform refuses them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from ringway.domain.applications import WebhookAddress
from ringway.domain.errors import InvalidParameter, payload_invalid
from ringway.domain.lenient import TextBool, TextFloat, TextInt, without_nulls

Url = Annotated[list[WebhookAddress], Field(min_length=1, max_length=1)]
Method = Literal["GET", "POST"]
Number = Annotated[TextFloat, Field(allow_inf_nan=False)]
MAX_TALK_TEXT = 1500
MAX_ADDRESS = 255  # what a call's address can hold


class Action(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    @model_validator(mode="before")
    @classmethod
    def _nulls(cls, data: Any) -> Any:
        return without_nulls(data)


class Talk(Action):
    action: Literal["talk"]
    text: str = Field(min_length=1)
    bargeIn: TextBool = False
    loop: TextInt = Field(default=1, ge=0, le=100, description="0 repeats until interrupted.")
    level: Number = Field(default=0, ge=-1, le=1)
    language: str = Field(default="en-US", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    style: TextInt = Field(default=0, ge=0)
    premium: TextBool = False
    voice_name: str | None = Field(default=None, max_length=64, description="Deprecated: "
                                   "language and style say the same.")  # fmt: skip

    @model_validator(mode="after")
    def _text_length(self) -> Talk:
        if not self.text.lstrip().startswith("<speak") and len(self.text) > MAX_TALK_TEXT:
            raise ValueError(f"text is longer than {MAX_TALK_TEXT} characters")
        return self


class Stream(Action):
    action: Literal["stream"]
    streamUrl: Url
    level: Number = Field(default=0, ge=-1, le=1)
    bargeIn: TextBool = False
    loop: TextInt = Field(default=1, ge=0, le=100)


class Dtmf(Action):
    timeOut: Number = Field(default=3, ge=0, le=10)
    maxDigits: TextInt = Field(default=4, ge=1, le=20)
    submitOnHash: TextBool = False


class Speech(Action):
    uuid: list[str] | None = None
    endOnSilence: Number = Field(default=2, ge=0.4, le=10)
    language: str = "en-US"
    context: list[str] = Field(default_factory=list)
    startTimeout: Number = Field(default=10, ge=1, le=60)
    maxDuration: Number = Field(default=60, ge=1, le=60)
    saveAudio: TextBool = False
    sensitivity: TextInt | None = Field(default=None, ge=0, le=100)


class Input(Action):
    action: Literal["input"]
    type: list[Literal["dtmf", "speech"]] = Field(min_length=1, max_length=2)
    dtmf: Dtmf | None = None
    speech: Speech | None = None
    eventUrl: Url | None = None
    eventMethod: Method = "POST"
    mode: Literal["synchronous", "asynchronous"] = "synchronous"

    @model_validator(mode="after")
    def _types(self) -> Input:
        if len(set(self.type)) != len(self.type):
            raise ValueError("type lists an input twice")
        for kind in ("dtmf", "speech"):
            if getattr(self, kind) is not None and kind not in self.type:
                raise ValueError(f"{kind} settings are given but type does not include {kind}")
        return self


class Record(Action):
    action: Literal["record"]
    format: Literal["mp3", "wav", "ogg"] = "mp3"
    split: Literal["conversation"] | None = None
    channels: TextInt = Field(default=1, ge=1, le=32)
    endOnSilence: TextInt | None = Field(default=None, ge=3, le=10)
    endOnKey: Literal["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#"] | None = None
    timeOut: TextInt = Field(default=7200, ge=3, le=7200)
    beepStart: TextBool = False
    eventUrl: Url | None = None
    eventMethod: Method = "POST"
    transcription: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _channels(self) -> Record:
        if self.channels > 1 and self.split != "conversation":
            raise ValueError("more than one channel needs split: conversation")
        return self


class Conversation(Action):
    action: Literal["conversation"]
    name: str = Field(min_length=1, max_length=255)
    musicOnHoldUrl: Url | None = None
    startOnEnter: TextBool = True
    endOnExit: TextBool = False
    record: TextBool = False
    canSpeak: list[str] | None = None
    canHear: list[str] | None = None
    mute: TextBool = False
    eventUrl: Url | None = None
    eventMethod: Method = "POST"
    transcription: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _mute(self) -> Conversation:
        if self.mute and self.canSpeak is not None:
            raise ValueError("mute cannot be combined with canSpeak")
        return self


class OnAnswer(Action):
    url: WebhookAddress
    ringbackTone: WebhookAddress | None = None


class PhoneEndpoint(Action):
    type: Literal["phone"]
    number: str = Field(pattern=r"^\+?[1-9]\d{6,14}$")
    dtmfAnswer: str | None = Field(default=None, pattern=r"^[0-9*#p]+$")
    onAnswer: OnAnswer | None = None


class AppEndpoint(Action):
    type: Literal["app"]
    user: str = Field(min_length=1, max_length=MAX_ADDRESS)


class SocketAuthorization(Action):
    """What the platform puts in the ``Authorization`` header of the WebSocket upgrade: the
    signed JWT (``vonage``), or ``value`` as given (``custom``)."""

    type: Literal["vonage", "custom"]
    value: str | None = Field(default=None, max_length=8191, pattern=r"^[\x20-\x7e]*$")

    @model_validator(mode="after")
    def _value(self) -> SocketAuthorization:
        if self.type == "custom" and not self.value:
            raise ValueError("a custom authorization needs its value")
        return self


SocketAudio = Literal["audio/l16;rate=8000", "audio/l16;rate=16000", "audio/l16;rate=24000"]


class WebsocketEndpoint(Action):
    type: Literal["websocket"]
    uri: str = Field(pattern=r"^wss?://\S+$", max_length=MAX_ADDRESS)
    content_type: SocketAudio = Field(default="audio/l16;rate=16000", alias="content-type")
    contentType: SocketAudio | None = Field(
        default=None, description="content-type as the Node SDK names it."
    )
    headers: dict[str, Any] | None = None
    authorization: SocketAuthorization | None = None

    @model_validator(mode="after")
    def _camel_case(self) -> WebsocketEndpoint:
        if self.contentType is not None and "content_type" not in self.model_fields_set:
            self.content_type = self.contentType
        return self


class SipEndpoint(Action):
    type: Literal["sip"]
    uri: str | None = Field(default=None, pattern=r"^sips?:\S+$", max_length=MAX_ADDRESS)
    user: str | None = Field(default=None, max_length=MAX_ADDRESS // 2)
    domain: str | None = Field(default=None, max_length=MAX_ADDRESS // 2)
    headers: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _address(self) -> SipEndpoint:
        if (self.uri is None) == (self.user is None or self.domain is None):
            raise ValueError("give either uri, or user and domain")
        return self


class VbcEndpoint(Action):
    type: Literal["vbc"]
    extension: str = Field(pattern=r"^\d+$", max_length=MAX_ADDRESS)


Endpoint = Annotated[
    PhoneEndpoint | AppEndpoint | WebsocketEndpoint | SipEndpoint | VbcEndpoint,
    Field(discriminator="type"),
]


class AdvancedMachineDetection(Action):
    behavior: Literal["continue", "hangup"] = "continue"
    mode: Literal["default", "detect", "detect_beep"] = "detect"
    beep_timeout: TextInt = Field(default=45, ge=45, le=120)


def machine_detection(plain: str | None, advanced: AdvancedMachineDetection | None) -> str | None:
    """What to do when a machine answers: ``continue``, ``hangup``, or ``None`` (no detection)."""
    return plain or (advanced.behavior if advanced is not None else None)


class Connect(Action):
    action: Literal["connect"]
    endpoint: list[Endpoint] = Field(min_length=1, max_length=1)
    from_: str | None = Field(default=None, alias="from", pattern=r"^\+?[1-9]\d{6,14}$")
    randomFromNumber: TextBool = False
    eventType: Literal["synchronous"] | None = None
    timeout: TextInt = Field(default=60, ge=3, le=120)
    limit: TextInt = Field(default=7200, ge=1, le=7200)
    machineDetection: Literal["continue", "hangup"] | None = None
    advancedMachineDetection: AdvancedMachineDetection | None = None
    eventUrl: Url | None = None
    eventMethod: Method = "POST"
    ringbackTone: WebhookAddress | None = None

    @model_validator(mode="after")
    def _caller(self) -> Connect:
        if self.from_ is not None and self.randomFromNumber:
            raise ValueError("from and randomFromNumber cannot both be given")
        return self


class Notify(Action):
    action: Literal["notify"]
    payload: dict[str, Any]
    eventUrl: Url
    eventMethod: Method = "POST"


class Wait(Action):
    action: Literal["wait"]
    timeout: Number = Field(default=10, ge=0.1, le=7200)


class Transfer(Action):
    action: Literal["transfer"]
    conversationId: str = Field(min_length=1)
    canHear: list[str] | None = None
    canSpeak: list[str] | None = None
    mute: TextBool = False


AnyAction = Annotated[
    Talk | Stream | Input | Record | Conversation | Connect | Notify | Wait | Transfer,
    Field(discriminator="action"),
]
ACTIONS = ("talk", "stream", "input", "record", "conversation", "connect", "notify", "wait",
           "transfer")  # fmt: skip
_NCCO = TypeAdapter(list[AnyAction], config=ConfigDict(defer_build=True))


class NccoInvalid(ValueError):
    """An NCCO that breaks a rule; ``reasons`` name each fault by its place (``[1].text``)."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def parse_ncco(data: Any) -> list[Action]:
    """The actions of an NCCO, or ``NccoInvalid`` naming every fault."""
    if not isinstance(data, list) or not data:
        raise NccoInvalid(["an NCCO is a non-empty JSON array of actions"])
    unknown = [
        f"[{i}].action: must be one of {', '.join(ACTIONS)}"
        for i, item in enumerate(data)
        if not isinstance(item, dict) or item.get("action") not in ACTIONS
    ]
    if unknown:
        raise NccoInvalid(unknown)
    try:
        actions: list[Action] = list(_NCCO.validate_python(data))
    except ValidationError as exc:
        raise NccoInvalid([_reason(error) for error in exc.errors(include_url=False)]) from None
    _check_barge_in(actions)
    return actions


def _reason(error: Any) -> str:
    """``[1].endpoint[0].number: …`` from a pydantic error (dropping the union tags, which
    pydantic puts right after each list index)."""
    place, after_index = "", False
    for part in error["loc"]:
        if isinstance(part, int):
            place += f"[{part}]"
            after_index = True
            continue
        if not (after_index and part in _TAGS):
            place += f".{part}"
        after_index = False
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "is not a property of this action"
    return f"{place.lstrip('.') or 'ncco'}: {message}"


_TAGS = {*ACTIONS, "phone", "app", "websocket", "sip", "vbc"}


def _check_barge_in(actions: list[Action]) -> None:
    """Once a talk or stream may be interrupted, the next other action, if any, must be an
    input (to take what the caller interrupted it with)."""
    waiting_for_input = None
    for index, action in enumerate(actions):
        if isinstance(action, Talk | Stream):
            if action.bargeIn:
                waiting_for_input = index
            continue
        if waiting_for_input is not None and not isinstance(action, Input):
            raise NccoInvalid(
                [f"[{index}].action: the bargeIn talk or stream at [{waiting_for_input}] "
                 "must be followed by an input"]
            )  # fmt: skip
        waiting_for_input = None


def ncco_field(document: Any, name: str) -> list[Action]:
    """The NCCO in a request field, or a payload-validation problem naming each fault
    (``ncco[1].text``)."""
    try:
        return parse_ncco(document)
    except NccoInvalid as exc:
        params = []
        for reason in exc.reasons:
            place, _, why = reason.partition(": ")
            if place.startswith("["):
                params.append(InvalidParameter(name + place, why))
            else:
                params.append(InvalidParameter(name, why if place == "ncco" else reason))
        raise payload_invalid(params, "The NCCO is invalid") from None
