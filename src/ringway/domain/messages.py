"""Messages (wire §8): what ``POST /v1/messages`` accepts on each channel, how simulated
recipients behave, and the bodies of inbound and status webhooks, in the v1 (flat) and v0.1
(nested) formats; and the record of a message (``MessageRecord``)."""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat

from ringway.domain.calls import timestamp
from ringway.domain.choices import CHANNELS, MEDIA
from ringway.domain.choices import RecipientBehaviour as Behaviour
from ringway.domain.errors import InvalidParameter, ProblemError

TEXT_LIMIT = {"sms": 3200, "mms": 2000, "whatsapp": 4096, "messenger": 640,
              "viber_service": 1000, "rcs": 3072}  # fmt: skip
READ_RECEIPTS = frozenset({"whatsapp", "messenger", "viber_service", "rcs"})
V01_CHANNEL = {"viber_service": "viber_service_msg"}
ID_CHANNELS = frozenset({"messenger"})  # addressed by ids, not numbers, on both sides
MAX_CAPTION = 3000
MAX_CLIENT_REF = 100
PRICE = {"currency": "EUR", "price": "0.0057"}
ERRORS = "https://developer.vonage.com/api-errors/messages"
# Errors of failed deliveries, by recipient behaviour: (code, title, description).
FAILURES = {
    "rejected": (1170, "Invalid recipient", "The recipient refused the message."),
    "undeliverable": (1260, "Destination unreachable", "The message could not be delivered."),
}
EXPIRED = (1360, "TTL was activated", "The message was not delivered within its ttl.")
MAX_TTL = 2_592_000  # RCS's ceiling (JAVA); each SDK checks its channel's own range

_NUMBER = re.compile(r"[1-9]\d{6,14}")
_ALPHANUMERIC = re.compile(r"[A-Za-z0-9 ]{1,11}")
_RCS_SENDER = re.compile(r"[A-Za-z0-9\-_&]{1,50}")
_URL = re.compile(r"https?://[^\s]+")
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


def _problem(
    code: int, title: str, detail: str, params: list[InvalidParameter] | None = None
) -> ProblemError:
    return ProblemError(422, f"{ERRORS}#{code}", title, detail, params or [])


def invalid_json(detail: str) -> ProblemError:
    return ProblemError(422, "https://developer.vonage.com/api-errors#invalid-json",
                        "The request body did not contain valid JSON", detail)  # fmt: skip


def invalid_params(params: list[InvalidParameter]) -> ProblemError:
    return _problem(1150, "Invalid params", "The value of one or more parameters is invalid.",
                    params)  # fmt: skip


@dataclass(frozen=True)
class Message:
    """A message as sent or received: ``content`` holds its type's field and its ``context``
    (WhatsApp) as on the wire; ``ttl`` is how long it may wait to be delivered, in seconds."""

    channel: str
    message_type: str
    to: str
    from_: str
    content: dict[str, Any]
    client_ref: str | None = None
    options: dict[str, Any] = field(default_factory=dict)  # the channel's own object
    webhook_url: str | None = None
    webhook_version: str | None = None
    ttl: int | None = None


def parse_message(body: Any, inbound: bool = False) -> Message:
    """A message from a request body, or the problem the real API answers. For an inbound
    (simulated) message, ``from`` is the user's address and ``to`` the business's."""
    if not isinstance(body, dict):
        raise invalid_params([InvalidParameter("body", "must be a JSON object")])
    channel = body.get("channel")
    if not isinstance(channel, str) or channel not in CHANNELS:
        raise _problem(1100, "Unsupported channel", "The specified channel is not supported.")
    message_type = body.get("message_type", "text" if inbound and "text" in body else None)
    if message_type not in CHANNELS[channel]:
        raise _problem(1140, "Invalid message type",
                       f"The message_type is not supported on {channel}: use one of "
                       f"{', '.join(CHANNELS[channel])}.")  # fmt: skip
    user, business = ("from", "to") if inbound else ("to", "from")
    if not _user_address(channel, body.get(user)):
        raise _problem(1130, "Invalid recipient" if not inbound else "Invalid sender",
                       f"The `{user}` parameter is invalid for the given channel.")  # fmt: skip
    if not _business_address(channel, body.get(business)):
        raise _problem(1120, "Invalid sender" if not inbound else "Invalid recipient",
                       f"The `{business}` parameter is invalid for the given channel.")  # fmt: skip
    client_ref = body.get("client_ref")
    fits = isinstance(client_ref, str) and len(client_ref) <= MAX_CLIENT_REF
    if client_ref is not None and not fits:
        raise _problem(1060, "Invalid client reference",
                       f"The client reference can be a string of up to {MAX_CLIENT_REF} "
                       "characters.")  # fmt: skip
    found = body.get(channel)
    options: dict[str, Any] = found if isinstance(found, dict) else {}
    ttl = body.get("ttl", options.get("ttl") if channel == "viber_service" else None)
    problems = _content_problems(channel, message_type, body)
    problems += _context_problems(channel, message_type, body.get("context"))
    problems += _webhook_problems(body)
    if ttl is not None and not (type(ttl) is int and 0 < ttl <= MAX_TTL):
        problems.append(InvalidParameter("ttl", f"must be whole seconds, 1 to {MAX_TTL}."))
    if problems:
        raise invalid_params(problems)
    _check_options(channel, message_type, options)
    content = {message_type: body[message_type]}
    if channel == "whatsapp" and "context" in body:
        content["context"] = body["context"]
    return Message(
        channel, message_type, str(body["to"]), str(body["from"]), content, client_ref,
        options, body.get("webhook_url"), body.get("webhook_version"), ttl,
    )  # fmt: skip


def parse_failover(body: Any) -> list[Message]:
    """The messages of ``failover``, tried in order (none of them has a failover of its own)."""
    entries = body.get("failover") if isinstance(body, dict) else None
    if entries is None:
        return []
    if not (isinstance(entries, list) and entries):
        raise invalid_params([InvalidParameter("failover", "must be a non-empty list of "
                                               "messages.")])  # fmt: skip
    if any(isinstance(entry, dict) and "failover" in entry for entry in entries):
        raise invalid_params([InvalidParameter("failover", "a failover message cannot have a "
                                               "failover of its own.")])  # fmt: skip
    return [parse_message(entry) for entry in entries]


def _user_address(channel: str, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if channel in ID_CHANNELS:
        return 0 < len(value) <= 50
    return bool(_NUMBER.fullmatch(value))


def _business_address(channel: str, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if channel in ID_CHANNELS or channel == "viber_service":
        return 0 < len(value) <= 50
    if channel == "rcs":
        return bool(_RCS_SENDER.fullmatch(value))
    if channel == "sms":
        return bool(_NUMBER.fullmatch(value) or _ALPHANUMERIC.fullmatch(value))
    return bool(_NUMBER.fullmatch(value))


def _content_problems(channel: str, kind: str, body: dict[str, Any]) -> list[InvalidParameter]:
    value = body.get(kind)
    if kind == "text":
        limit = TEXT_LIMIT[channel]
        if not isinstance(value, str) or not 0 < len(value) <= limit:
            return [InvalidParameter("text", f"is required: 1 to {limit} characters.")]
        return []
    if not isinstance(value, dict):
        return [InvalidParameter(kind, "is required: an object.")]
    if kind == "reaction":
        return _reaction_problems(value)
    problems = []
    needs_url = kind in MEDIA or (kind == "sticker" and "id" not in value)
    if needs_url and not (isinstance(value.get("url"), str) and _URL.fullmatch(value["url"])):
        problems.append(InvalidParameter(f"{kind}.url", "is required: an http(s) URL."))
    if kind == "sticker" and "id" in value and "url" in value:
        problems.append(InvalidParameter("sticker", "takes a url or an id, not both."))
    caption = value.get("caption")
    if caption is not None and not (isinstance(caption, str) and 0 < len(caption) <= MAX_CAPTION):
        problems.append(InvalidParameter(f"{kind}.caption", f"1 to {MAX_CAPTION} characters."))
    if kind == "template":
        if not (isinstance(value.get("name"), str) and value["name"]):
            problems.append(InvalidParameter("template.name", "is required."))
        parameters = value.get("parameters", [])
        if not (isinstance(parameters, list) and all(isinstance(p, str) for p in parameters)):
            problems.append(InvalidParameter("template.parameters", "must be a list of strings."))
    return problems


def _context_problems(channel: str, kind: str, context: Any) -> list[InvalidParameter]:
    """A WhatsApp message may answer one (``context.message_uuid``); a reaction must."""
    if channel != "whatsapp" or (context is None and kind != "reaction"):
        return []
    target = context.get("message_uuid") if isinstance(context, dict) else None
    if not (isinstance(target, str) and 0 < len(target) <= 100):
        return [InvalidParameter("context.message_uuid", "is required: the message's UUID.")]
    return []


def _reaction_problems(reaction: dict[str, Any]) -> list[InvalidParameter]:
    action, emoji = reaction.get("action"), reaction.get("emoji")
    if action not in ("react", "unreact"):
        return [InvalidParameter("reaction.action", "must be react or unreact.")]
    if action == "react" and not (isinstance(emoji, str) and 0 < len(emoji) <= 20):
        return [InvalidParameter("reaction.emoji", "is required to react: an emoji.")]
    return []


def _webhook_problems(body: dict[str, Any]) -> list[InvalidParameter]:
    problems = []
    url = body.get("webhook_url")
    if url is not None and not (isinstance(url, str) and _URL.fullmatch(url)):
        problems.append(InvalidParameter("webhook_url", "must be an http(s) URL."))
    if body.get("webhook_version", "v1") not in ("v1", "v0.1"):
        problems.append(InvalidParameter("webhook_version", "must be v1 or v0.1."))
    return problems


def _check_options(channel: str, kind: str, options: dict[str, Any]) -> None:
    problems = []
    if channel == "whatsapp" and kind == "template" and not options.get("locale"):
        problems.append(InvalidParameter("whatsapp.locale", "is required for a template."))
    if channel == "messenger" and "category" in options:
        if options["category"] not in ("response", "update", "message_tag"):
            problems.append(
                InvalidParameter(
                    "messenger.category", "Must be one of `response`, `update` or `message_tag`."
                )
            )
        elif options["category"] == "message_tag" and not options.get("tag"):
            problems.append(InvalidParameter("messenger.tag", "is required for message_tag."))
    viber = options.get("category", "transaction") if channel == "viber_service" else None
    if viber not in (None, "transaction", "promotion"):
        reason = "Must be one of `transaction` or `promotion`."
        problems.append(InvalidParameter("viber_service.category", reason))
    if problems:
        raise _problem(1110, "Invalid channel parameters",
                       "The value of one or more parameters is invalid.", problems)  # fmt: skip


# PATCH /v1/messages/{uuid}: the status it sets -> (channel, direction of the message).
UPDATES = {"read": ("whatsapp", "inbound"), "revoked": ("rcs", "outbound")}
SETTLED = frozenset({"delivered", "read", "rejected", "undeliverable", "revoked"})


def parse_update(channel: str, direction: str, body: Any) -> str:
    """The status a ``PATCH /v1/messages/{uuid}`` body sets on a message, or the problem:
    ``read`` marks an inbound WhatsApp message read, ``revoked`` withdraws an outbound RCS
    message not yet delivered."""
    status = body.get("status") if isinstance(body, dict) else None
    if status not in UPDATES:
        raise invalid_params([InvalidParameter("status", "must be read or revoked.")])
    assert isinstance(body, dict)
    wanted_channel, wanted_direction = UPDATES[status]
    if channel != wanted_channel:
        detail = f"Setting the status {status} is supported on {wanted_channel} only."
        raise _problem(1100, "Unsupported channel", detail)
    if direction != wanted_direction:
        reason = f"{status} applies to {wanted_direction} messages only."
        raise invalid_params([InvalidParameter("status", reason)])
    indicator = body.get("replying_indicator")
    if indicator is not None and not (
        status == "read" and isinstance(indicator, dict)
        and isinstance(indicator.get("show"), bool) and indicator.get("type", "text") == "text"
    ):  # fmt: skip
        raise invalid_params([InvalidParameter("replying_indicator", "must be {show: true|false, "
                                               'type: "text"}, with read.')])  # fmt: skip
    return str(status)


def already_delivered(status: str) -> ProblemError:
    return _problem(1320, "Message already sent",
                    f"The message is already {status}: it can no longer be revoked.")  # fmt: skip


def segments(text: str) -> int:
    """SMS parts a text takes: 160 GSM characters in one (153 each when split), 70 in UCS-2
    (67 each when split)."""
    single, part = (160, 153) if set(text) <= GSM7 else (70, 67)
    return 1 if len(text) <= single else math.ceil(len(text) / part)


# -- simulated recipients ------------------------------------------------------------------


Channel = Literal["sms", "mms", "whatsapp", "messenger", "viber_service", "rcs"]


class Recipient(BaseModel):
    """How a simulated recipient treats messages sent to it. ``read`` reads them
    ``read_after`` seconds after delivery, on channels with read receipts; ``channels`` gives
    some channels a behaviour of their own (to make one fail over); with a ``reaction`` it
    reacts to each WhatsApp message ``react_after`` seconds after delivery."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    behaviour: Behaviour = "delivered"
    delivered_after: StrictFloat = Field(default=0.5, ge=0, le=86_400)
    read_after: StrictFloat = Field(default=2.0, ge=0, le=86_400)
    channels: dict[Channel, Behaviour] = Field(default_factory=dict)
    reaction: str | None = Field(default=None, min_length=1, max_length=20)
    react_after: StrictFloat = Field(default=1.0, ge=0, le=86_400)


@dataclass(frozen=True)
class StatusStep:
    status: str
    at: datetime
    error: int | None = None


def status_steps(
    channel: str, recipient: Recipient, start: datetime, ttl: int | None = None
) -> list[StatusStep]:
    """What a message goes through: submitted, then delivered (and read), or a failure; a
    message whose ``ttl`` runs out before it would be delivered is rejected then."""
    steps = [StatusStep("submitted", start)]
    if ttl is not None and recipient.delivered_after > ttl:
        steps.append(StatusStep("rejected", start + timedelta(seconds=ttl), EXPIRED[0]))
        return steps
    behaviour = recipient.channels.get(channel, recipient.behaviour)  # type: ignore[call-overload]
    reached = start + timedelta(seconds=recipient.delivered_after)
    if behaviour in FAILURES:
        steps.append(StatusStep(behaviour, reached, FAILURES[behaviour][0]))
        return steps
    steps.append(StatusStep("delivered", reached))
    if behaviour == "read" and channel in READ_RECEIPTS:
        steps.append(StatusStep("read", reached + timedelta(seconds=recipient.read_after)))
    return steps


def reached(history: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """The steps of a stored history (``status``, ``at``, ``error``?) that have happened by
    ``now``, each with its wire ``timestamp``."""
    steps = []
    for step in history:
        at = datetime.fromisoformat(step["at"])
        if at <= now:
            steps.append({"status": step["status"], "timestamp": wire_time(at, "v0.1"),
                          **({"error": step["error"]} if "error" in step else {})})  # fmt: skip
    return steps


# -- webhook bodies ------------------------------------------------------------------------


def wire_time(moment: datetime, version: str) -> str:
    """v0.1 carries milliseconds, as call events do; v1 whole seconds."""
    return timestamp(moment) if version == "v0.1" else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _party(channel: str, address: str) -> dict[str, str]:
    key = "id" if channel in ID_CHANNELS or not address.isdigit() else "number"
    return {"type": V01_CHANNEL.get(channel, channel), key: address}


def status_body(
    message_uuid: str, message: Message, step: StatusStep, version: str,
    workflow: dict[str, str] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A status webhook's body; a failover step's carries its ``workflow``."""
    charged = step.status == ("submitted" if message.channel in ("sms", "mms") else "delivered")
    if version == "v0.1":
        body: dict[str, Any] = {
            "message_uuid": message_uuid, "to": _party(message.channel, message.to),
            "from": _party(message.channel, message.from_),
            "timestamp": wire_time(step.at, version), "status": step.status,
        }  # fmt: skip
        if step.error is not None:
            body["error"] = {"code": step.error, "reason": _failure(step.error)[1]}
    else:
        body = {
            "message_uuid": message_uuid, "to": message.to, "from": message.from_,
            "timestamp": wire_time(step.at, version), "status": step.status,
            "channel": message.channel,
        }  # fmt: skip
        if step.error is not None:
            _code, title, description = _failure(step.error)
            body["error"] = {"type": f"{ERRORS}#{step.error}", "title": str(step.error),
                             "detail": f"{title} - {description}",
                             "instance": str(uuid.uuid4())}  # fmt: skip
    if charged:
        body["usage"] = dict(PRICE)
    if message.client_ref is not None:
        body["client_ref"] = message.client_ref
    if workflow is not None:
        body["workflow"] = workflow
    return body


def _failure(code: int) -> tuple[int, str, str]:
    return next(f for f in (*FAILURES.values(), EXPIRED) if f[0] == code)


def inbound_body(message_uuid: str, message: Message, at: datetime, version: str) -> dict[str, Any]:
    kind, value = message.message_type, message.content[message.message_type]
    if version == "v0.1":
        content = {"type": kind, kind: value}
        return {
            "message_uuid": message_uuid, "to": _party(message.channel, message.to),
            "from": _party(message.channel, message.from_),
            "timestamp": wire_time(at, version), "message": {"content": content},
        }  # fmt: skip
    body: dict[str, Any] = {
        "channel": message.channel, "message_uuid": message_uuid, "to": message.to,
        "from": message.from_, "timestamp": wire_time(at, version), "message_type": kind,
        **message.content,
    }  # fmt: skip
    if message.channel == "sms":
        body["sms"] = {"num_messages": str(segments(value))}
    if message.channel in ("whatsapp", "rcs"):
        body["context_status"] = "available" if "context" in message.content else "none"
    if message.channel == "whatsapp":
        body["profile"] = {"name": message.from_}
    if message.client_ref is not None:
        body["client_ref"] = message.client_ref
    return body


@dataclass(frozen=True, slots=True)
class MessageRecord:
    """``history`` lists the statuses the message goes through, each with its due time."""

    uuid: str
    account_id: str
    application_id: str | None
    direction: str  # outbound | inbound
    channel: str
    message_type: str
    from_address: str
    to_address: str
    client_ref: str | None
    content: dict[str, Any]
    history: list[dict[str, Any]]
    created_at: datetime
    failed_at: datetime | None = None  # when its history reaches a failure, if it does
