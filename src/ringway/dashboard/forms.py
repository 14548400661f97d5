"""The application form: wire objects flattened to dotted field names and back.

Every field is named by its path in the v2 wire body (``capabilities.voice.webhooks.answer_url
.address``), so the body a form makes is validated by the same rules as the API's, and each
``invalid_parameters`` entry lands beside the field it names.
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any, get_args

from annotated_types import Ge, Le
from pydantic import BaseModel

from ringway.domain.applications import (
    AnswerWebhook,
    Application,
    Messages,
    RtcEventWebhook,
    Voice,
    VoiceEventWebhook,
)
from ringway.domain.errors import InvalidParameter, ProblemError, payload_invalid

CAPABILITIES = ("voice", "messages", "rtc", "vbc")
NUMBERS = ("connect_timeout", "socket_timeout", "conversations_ttl", "leg_persistence_time")
DEPTH = 5  # parts in the longest path a form field has: capabilities.voice.webhooks.<hook>.address


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """``{"a": {"b": 1}}`` as ``{"a.b": "1"}``; booleans as ``"true"``/``"false"``."""
    if isinstance(value, dict):
        flat: dict[str, str] = {}
        for key, item in value.items():
            flat.update(flatten(item, f"{prefix}.{key}" if prefix else key))
        return flat
    if isinstance(value, bool):
        return {prefix: "true" if value else "false"}
    return {prefix: "" if value is None else str(value)}


def application_values(app: Application | None) -> dict[str, str]:
    """An application as the form's fields (one per wire path, and a box per capability), over
    each webhook's default method; a new application (``None``) has the voice box ticked."""
    if app is None:
        return {**METHODS, "capability.voice": "on"}
    values = {**METHODS, **flatten({"name": app.name, "capabilities": app.capabilities})}
    values.update({f"capability.{name}": "on" for name in app.capabilities})
    return values


def application_body(form: dict[str, str], current: Application | None = None) -> dict[str, Any]:
    """The v2 body a submitted form stands for, over the application as it is (``current``):
    what the form does not show (a region, payments, privacy, other capabilities) is kept.

    A capability whose box is unticked is removed, and so is a webhook with no address (its
    method and timeouts go with it); an emptied field falls back to its default; numbers typed
    as digits become numbers, so that the API's own bounds judge them. Checkboxes come with a
    hidden ``false`` before them, so an unticked one is sent too. A field whose path runs
    through a value, or deeper than any field of the form, is refused (a ProblemError).
    """
    capabilities = copy.deepcopy(current.capabilities) if current else {}
    for name in CAPABILITIES:
        if form.get(f"capability.{name}") == "on":
            capabilities.setdefault(name, {})
        else:
            capabilities.pop(name, None)
    for path, raw in sorted(form.items(), key=lambda item: item[0].count(".")):
        parts = path.split(".")  # shortest first: a value is placed before a path under it
        if parts[0] != "capabilities" or len(parts) < 3 or parts[1] not in capabilities:
            continue
        if len(parts) > DEPTH:
            raise _not_a_field(path)
        node = _branch(capabilities, parts[1:-1], path)
        webhook = parts[2] == "webhooks" and len(parts) == DEPTH
        if webhook and not form.get(path.rpartition(".")[0] + ".address"):
            _branch(capabilities, parts[1:3], path).pop(parts[3], None)
        elif raw == "":
            node.pop(parts[-1], None)
        else:
            node[parts[-1]] = _typed(parts[-1], raw)
    body: dict[str, Any] = {"name": form.get("name", ""), "capabilities": capabilities}
    if current is not None:
        body["privacy"] = {"improve_ai": current.improve_ai}
    return body


def _branch(tree: dict[str, Any], parts: list[str], path: str) -> dict[str, Any]:
    """The object at ``parts`` in ``tree``, made where missing; a value (not an object) on the
    way means that the field ``path`` has no place in the body."""
    for part in parts:
        tree = tree.setdefault(part, {})
        if not isinstance(tree, dict):
            raise _not_a_field(path)
    return tree


def _not_a_field(path: str) -> ProblemError:
    return payload_invalid([InvalidParameter(path, "is not a field of this form")])


def _typed(name: str, raw: str) -> str | int:
    """A number field's digits as a number, so that the API's bounds judge it."""
    if name in NUMBERS and raw.isascii() and raw.isdigit():
        with contextlib.suppress(ValueError):  # more digits than Python converts
            return int(raw)
    return raw


def _range(model: type[BaseModel], name: str) -> str:
    """A number field's bounds and default, as the domain's model has them."""
    info = model.model_fields[name]
    low = next(m.ge for m in info.metadata if isinstance(m, Ge))
    high = next(m.le for m in info.metadata if isinstance(m, Le))
    return f"{low} to {high}; default {info.default}"


def _choices(model: type[BaseModel], name: str) -> list[tuple[str, str]]:
    return [(value, value) for value in get_args(model.model_fields[name].annotation)]


# Each webhook's method as the API defaults it, shown until the form says otherwise (a select
# with no choice made would send its first option, GET).
METHODS = {f"capabilities.{path}.http_method": str(model.model_fields["http_method"].default)
           for path, model in (("voice.webhooks.answer_url", AnswerWebhook),
                               ("voice.webhooks.fallback_answer_url", AnswerWebhook),
                               ("voice.webhooks.event_url", VoiceEventWebhook),
                               ("rtc.webhooks.event_url", RtcEventWebhook))}  # fmt: skip
_VOICE_HOOKS = {"answer_url": AnswerWebhook, "fallback_answer_url": AnswerWebhook,
                "event_url": VoiceEventWebhook}  # fmt: skip
# What the form says of its fields, read from the models that judge them.
LIMITS: dict[str, Any] = {
    "hints": {
        **{f"capabilities.voice.webhooks.{hook}.{name}": _range(model, name)
           for hook, model in _VOICE_HOOKS.items()
           for name in ("connect_timeout", "socket_timeout")},
        "capabilities.voice.conversations_ttl": _range(Voice, "conversations_ttl"),
    },
    "methods": _choices(AnswerWebhook, "http_method"),
    "versions": _choices(Messages, "version"),
}  # fmt: skip
