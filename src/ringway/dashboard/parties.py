"""Simulated parties: the virtual phones outbound calls ring and the recipients of messages,
each listed with how it behaves, set by a form and reset to the default."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, get_args

from starlette.responses import Response

from ringway.dashboard.pages import View, field_errors, page
from ringway.dashboard.wording import capitalized
from ringway.domain.applications import parse_body
from ringway.domain.errors import ProblemError
from ringway.domain.simulation import says_as_lines, says_from_lines
from ringway.services.parties import Parties
from ringway.services.platform import Platform


@dataclass(frozen=True)
class Field:
    """A form field for one of the behaviour's properties: ``kind`` is ``choice`` (its
    options from the model), ``number`` (seconds), ``lines`` (a list, one item a line) or
    ``says`` (what a person says when, one a line: ``SECONDS: words``)."""

    name: str
    label: str
    kind: str
    hint: str = ""


@dataclass(frozen=True)
class Kind:
    path: str
    title: str
    noun: str
    about: str
    parties: Callable[[Platform], Parties[Any]]
    fields: tuple[Field, ...]


PERSON = (Field("dtmf", "Keys pressed", "lines", "One group per input, one a line: 1234#"),
          Field("speech", "Words said", "lines", "One line per speech input."),
          Field("says", "Says", "says",
                "What they say unasked, one a line: seconds after the answer, then the words, "
                "e.g. 2: Hello, is anyone there?"),
          Field("hangup_after", "Hang up after (seconds)", "number",
                "Empty: stay until the other side hangs up."),
          Field("message_seconds", "Message length (seconds)", "number",
                "How long they speak at a record action, when they say nothing else."))  # fmt: skip
KINDS = {
    "phones": Kind("/phones", "Simulated phones", "phone",
                   "Where outbound legs go (a connect, POST /v1/calls) when the number is not on "
                   "ringway. An address set here behaves as set; any other answers after 3 s.",
                   lambda platform: platform.calls.phones,
                   (Field("behaviour", "Behaviour", "choice"),
                    Field("answer_after", "Answer after (seconds)", "number"), *PERSON)),
    "recipients": Kind("/recipients", "Message recipients", "recipient",
                       "Who receives the messages your applications send to addresses that are "
                       "not on ringway. Any address not set here has them delivered.",
                       lambda platform: platform.messages.recipients,
                       (Field("behaviour", "Behaviour", "choice"),
                        Field("delivered_after", "Delivered after (seconds)", "number"),
                        Field("read_after", "Read after (seconds)", "number",
                              "On channels with read receipts (not SMS or MMS)."))),
}  # fmt: skip


def _kind(view: View) -> Kind:
    return KINDS[view.request.url.path.strip("/").split("/")[0]]


async def parties_page(
    view: View, values: dict[str, str] | None = None, errors: dict[str, str] | None = None
) -> Response:
    kind = _kind(view)
    parties = kind.parties(view.platform)
    found = await view.platform.db.run(parties.all, view.account.id)
    default = parties.model().model_dump(mode="json")
    choices = get_args(parties.model.model_fields["behaviour"].annotation)
    shown = {name: {**default, **behaviour} for name, behaviour in sorted(found.items())}
    return view.render("parties.html", kind=kind, parties=shown, default=default,
                       choices=[(c, c) for c in choices], errors=errors or {},
                       values=values or _values(default))  # fmt: skip


def _values(behaviour: dict[str, Any]) -> dict[str, str]:
    """A behaviour as the form's fields: lists one item a line, absent numbers empty."""
    values = {}
    for name, value in behaviour.items():
        if name == "says":
            values[name] = says_as_lines(value)
        elif isinstance(value, list):
            values[name] = "\n".join(value)
        else:
            values[name] = "" if value is None else str(value)
    return values


def _behaviour(kind: Kind, form: dict[str, str]) -> dict[str, Any]:
    """The body a submitted form stands for; what is typed as a number becomes one, so that
    the API's own rules judge it."""
    body: dict[str, Any] = {}
    for field in kind.fields:
        raw = form.get(field.name, "").strip()
        if field.kind == "lines":
            body[field.name] = [line.strip() for line in raw.splitlines() if line.strip()]
        elif field.kind == "says":
            body[field.name] = says_from_lines(raw)
        elif raw and field.kind == "number":
            try:
                body[field.name] = float(raw)
            except ValueError:
                body[field.name] = raw
        elif raw:
            body[field.name] = raw
    return body


async def set_party(view: View) -> Response:
    kind, form = _kind(view), view.form
    parties = kind.parties(view.platform)
    address = form.get("address", "").strip()
    try:
        behaviour = parse_body(parties.model, _behaviour(kind, form))
        await view.platform.db.run(parties.set, view.account.id, address, behaviour)
    except ProblemError as error:
        return await parties_page(view, form, field_errors(error, about="address"))
    return view.redirect(kind.path, f"{address} saved.")


async def reset_party(view: View) -> Response:
    kind = _kind(view)
    address = view.form.get("address", "")
    try:
        await view.platform.db.run(kind.parties(view.platform).delete, view.account.id, address)
    except ProblemError as error:
        return view.redirect(kind.path, capitalized(error.detail), kind="error")
    return view.redirect(kind.path, f"{address} behaves as the default again.")


routes = [
    route
    for kind in KINDS.values()
    for route in (
        page(kind.path, GET=parties_page, POST=set_party),
        page(kind.path + "/reset", POST=reset_party),
    )
]
