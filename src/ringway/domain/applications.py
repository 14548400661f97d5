"""Applications: capabilities, webhook specs, their defaults and validation rules (wire §1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import ErrorDetails

from ringway.domain.errors import InvalidParameter, payload_invalid

Region = Literal["na-east", "na-west", "eu-west", "eu-east", "apac-sng", "apac-australia"]


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http or https URL")
    return value


WebhookAddress = Annotated[
    str, Field(max_length=2048, pattern=r"^https?://\S+$"), AfterValidator(_http_url)
]


def _wire_bool(value: object) -> object:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if isinstance(value, bool):
        return value
    raise ValueError("must be a boolean")


# Clients send booleans as JSON booleans, and some as the strings "true"/"True".
WireBool = Annotated[
    bool,
    BeforeValidator(_wire_bool),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "boolean"},
                {"type": "string", "pattern": "^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$"},
            ]
        },
        mode="validation",
    ),
]
ConnectTimeout = Annotated[
    StrictInt,
    Field(
        default=1000,
        ge=300,
        le=1000,
        validation_alias=AliasChoices("connect_timeout", "connection_timeout"),
        description="Milliseconds; `connection_timeout` is accepted as an alias.",
    ),
]


class Strict(BaseModel):
    """A wire object that rejects properties it does not know."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


class AnswerWebhook(Strict):
    address: WebhookAddress
    http_method: Literal["GET", "POST"] = "GET"
    connect_timeout: ConnectTimeout = 1000
    socket_timeout: StrictInt = Field(default=5000, ge=1000, le=5000)


class VoiceEventWebhook(Strict):
    address: WebhookAddress
    http_method: Literal["GET", "POST"] = "POST"
    connect_timeout: ConnectTimeout = 1000
    socket_timeout: StrictInt = Field(default=10000, ge=1000, le=10000)


class VoiceWebhooks(Strict):
    answer_url: AnswerWebhook | None = None
    fallback_answer_url: AnswerWebhook | None = None
    event_url: VoiceEventWebhook | None = None


class PaymentGateway(Strict):
    type: str = Field(min_length=1)
    mode: Literal["test", "live"]
    credential: str = Field(min_length=1)


class Payments(Strict):
    gateways: list[PaymentGateway] = Field(default_factory=list)


LegPersistence = Annotated[StrictInt, Field(ge=1, le=31, description="Days.")]


class Voice(Strict):
    webhooks: VoiceWebhooks = Field(default_factory=VoiceWebhooks)
    signed_callbacks: WireBool = False
    conversations_ttl: StrictInt = Field(default=48, ge=0, le=9000, description="Hours.")
    leg_persistence_time: LegPersistence = 7
    region: Region | None = None
    payment_enabled: WireBool | None = None
    payments: Payments | None = None


class PostWebhook(Strict):
    address: WebhookAddress
    http_method: Literal["POST"] = "POST"


class MessagesWebhooks(Strict):
    inbound_url: PostWebhook | None = None
    status_url: PostWebhook | None = None


class Messages(Strict):
    webhooks: MessagesWebhooks = Field(default_factory=MessagesWebhooks)
    version: Literal["v0.1", "v1"] = "v1"
    authenticate_inbound_media: WireBool = False


class RtcEventWebhook(Strict):
    address: WebhookAddress
    http_method: Literal["GET", "POST"] = "POST"


class RtcWebhooks(Strict):
    event_url: RtcEventWebhook | None = None


class Rtc(Strict):
    webhooks: RtcWebhooks = Field(default_factory=RtcWebhooks)
    signed_callbacks: WireBool = False
    leg_persistence_time: LegPersistence | None = None


class Vbc(Strict):
    """Must be an empty object."""


Passthrough = dict[str, Any]


class Capabilities(Strict):
    voice: Voice | None = None
    messages: Messages | None = None
    rtc: Rtc | None = None
    vbc: Vbc | None = None
    # Stored as given: SDKs and the Vonage CLI send these.
    verify: Passthrough | None = None
    meetings: Passthrough | None = None
    bulk: Passthrough | None = None
    network_apis: Passthrough | None = None
    video: Passthrough | None = None


class Privacy(Strict):
    improve_ai: WireBool = True


class KeysIn(BaseModel):
    """Keys as clients send them; extra members (an echoed private key) are ignored."""

    model_config = ConfigDict(extra="ignore", defer_build=True)
    public_key: str | None = None


class ApplicationIn(Strict):
    """The body of a create (POST) or full replacement (PUT)."""

    name: str = Field(min_length=1, max_length=255)
    capabilities: Capabilities = Field(default_factory=Capabilities)
    privacy: Privacy = Field(default_factory=Privacy)
    keys: KeysIn | None = None
    id: str | None = Field(default=None, description="Echoed by clients on PUT; ignored.")


class Shown(BaseModel):
    """A shape the API answers with, for the OpenAPI document: built when it is rendered."""

    model_config = ConfigDict(defer_build=True)


class Link(Shown):
    href: str


class SelfLinks(Shown):
    self: Link


class KeysOut(Shown):
    public_key: str
    private_key: str | None = Field(default=None, description="Only in the create response.")


class ApplicationOut(Shown):
    """An application as the API answers it."""

    id: str
    name: str
    keys: KeysOut
    privacy: Privacy
    capabilities: Capabilities
    links: SelfLinks = Field(alias="_links")


@dataclass(frozen=True, slots=True)
class Application:
    """A stored application. ``capabilities`` holds the wire form with defaults filled in."""

    id: str
    account_id: str
    name: str
    public_key: str
    capabilities: dict[str, Any]
    improve_ai: bool
    created_at: datetime

    def webhook(self, capability: str, name: str) -> dict[str, Any] | None:
        """A webhook's settings (``address``, ``http_method``, timeouts), if it has one."""
        hooks = (self.capabilities.get(capability) or {}).get("webhooks") or {}
        found: dict[str, Any] | None = hooks.get(name) or None
        return found


M = TypeVar("M", bound=BaseModel)


def parse_body(model: type[M], body: Any) -> M:
    """Validate a request body, raising a payload-validation problem naming every fault."""
    if not isinstance(body, dict):
        raise payload_invalid([InvalidParameter("body", "must be a JSON object")])
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise payload_invalid(invalid_parameters(exc)) from None


def parse_application(body: Any) -> ApplicationIn:
    """A v2 create or replace body."""
    return parse_body(ApplicationIn, body)


def invalid_parameters(exc: ValidationError) -> list[InvalidParameter]:
    """Turn pydantic errors into wire ``invalid_parameters`` with dotted paths."""
    return [
        InvalidParameter(".".join(str(part) for part in error["loc"]) or "body", reason_of(error))
        for error in exc.errors(include_url=False)
    ]


def reason_of(error: ErrorDetails) -> str:
    """What a pydantic error says, in the words ``invalid_parameters`` uses."""
    if error["type"] == "extra_forbidden":
        return "is not a recognised property"
    return str(error["msg"]).removeprefix("Value error, ")


def capabilities_dump(capabilities: Capabilities) -> dict[str, Any]:
    """The stored and returned form of capabilities: defaults in, absent ones out."""
    return capabilities.model_dump(mode="json", exclude_none=True)


def keys_of(app: Application, private_key: str | None) -> dict[str, str]:
    keys = {"public_key": app.public_key}
    if private_key is not None:
        keys["private_key"] = private_key
    return keys


def to_wire(app: Application, private_key: str | None = None) -> dict[str, Any]:
    """The v2 wire object; ``private_key`` is only passed for the create response."""
    return {
        "id": app.id,
        "name": app.name,
        "keys": keys_of(app, private_key),
        "privacy": {"improve_ai": app.improve_ai},
        "capabilities": app.capabilities,
        "_links": {"self": {"href": f"/v2/applications/{app.id}"}},
    }
